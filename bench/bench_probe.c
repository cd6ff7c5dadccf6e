// SPDX-License-Identifier: BSD-2-Clause
/* bench_probe.c - what health probes cost the daemon: 100 spawned
 * components, each with a tcp probe every second on a loopback listener
 * (served by a separate process, so only the prober's side is measured),
 * against the same 100 components without probes.  CPU is this process's
 * user+system time (the healer runs in it, as in the daemon) over the same
 * wall time, as a percentage of one CPU.  Prints figures; asserts
 * nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "bench_util.h"
#include "bus.h"
#include "config.h"
#include "healer.h"
#include "loop.h"

#define COMPONENTS	100
#define SECONDS		10

static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) || listen(fd, 512) ||
	    getsockname(fd, (void *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* CPU % of one CPU while the healer runs COMPONENTS for SECONDS. */
static int run(const char *crasher, int port, bool probes, double *pct,
	       unsigned long *probes_run)
{
	struct hms_config *cfg = NULL;
	struct hms_loop *loop = NULL;
	struct hms_bus *bus = NULL;
	struct hms_healer *h = NULL;
	size_t cap = COMPONENTS * 512 + 256, o = 0;
	char *yaml = malloc(cap);
	double c0;
	uint64_t end, t0;
	int err = -ENOMEM;

	if (!yaml)
		return err;
	o += (size_t)snprintf(yaml + o, cap - o, "components:\n");
	for (int i = 0; i < COMPONENTS; i++) {
		o += (size_t)snprintf(yaml + o, cap - o,
			"  - name: c%d\n    command: [%s, sleep]\n"
			"    start_grace_s: 0.01\n", i, crasher);
		if (probes)
			o += (size_t)snprintf(yaml + o, cap - o,
				"    probe: {tcp: \"127.0.0.1:%d\", "
				"interval_s: 1, timeout_ms: 500}\n", port);
	}
	err = config_load_string("bench", yaml, strlen(yaml), &cfg, stderr);
	err = err ?: loop_new(&loop);
	err = err ?: bus_new(&bus);
	err = err ?: healer_new(cfg, loop, bus, NULL, NULL, NULL, &h);
	if (err)
		goto cleanup;
	/* let them all start, then measure */
	end = bench_now_ns() + 2000000000ull;
	while (bench_now_ns() < end)
		loop_run_once(loop, 100);
	c0 = cpu_s();
	t0 = bench_now_ns();
	end = t0 + SECONDS * 1000000000ull;
	while (bench_now_ns() < end)
		loop_run_once(loop, 100);
	*pct = 100.0 * (cpu_s() - c0) / ((bench_now_ns() - t0) / 1e9);
	*probes_run = probes ? (unsigned long)COMPONENTS * SECONDS : 0;
cleanup:
	healer_free(h);
	bus_free(bus);
	loop_free(loop);
	config_free(cfg);
	free(yaml);
	return err;
}

int main(void)
{
	char exe[PATH_MAX], crasher[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	unsigned long probes_run = 0;
	double base = 0, with = 0;
	int port = 0, lfd;
	pid_t server;

	if (n <= 0)
		return 1;
	exe[n] = '\0';
	snprintf(crasher, sizeof(crasher), "%s/../tests/helpers/hms_crasher",
		 dirname(exe));
	lfd = listener(&port);
	if (lfd < 0) {
		perror("bench_probe: listen");
		return 1;
	}
	server = fork();
	if (server == 0) {
		for (;;) {
			int c = accept(lfd, NULL, NULL);

			if (c >= 0)
				close(c);
		}
	}
	close(lfd);
	if (run(crasher, port, false, &base, &probes_run) ||
	    run(crasher, port, true, &with, &probes_run)) {
		fprintf(stderr, "bench_probe: healer failed to run\n");
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		return 1;
	}
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	printf("probe cost, %d spawned components, %d s\n", COMPONENTS,
	       SECONDS);
	printf("no probes                 cpu %6.2f %% of one CPU\n", base);
	printf("tcp probe every 1 s each  cpu %6.2f %% of one CPU  "
	       "(+%.2f points, ~%lu probes, %.1f us per probe)\n", with,
	       with - base, probes_run,
	       probes_run ? (with - base) / 100.0 * SECONDS * 1e6 /
			    probes_run : 0);
	return 0;
}

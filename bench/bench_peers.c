// SPDX-License-Identifier: BSD-2-Clause
/* bench_peers.c - hms-ebpf next to the plainest supervisor there is, in
 * one run, on the same service: a C loop that fork/execs the service and
 * waitpid()s it, and the real daemon ($DAEMON, default .output/hms-ebpf,
 * registry on) restarting a spawned component.  The bench sends SIGSEGV
 * to the running instance K times (default 20) and measures, by the
 * kernel's own clock (this process's sensors: EXIT of the killed
 * instance -> EXEC of the next one), how long the service was down.
 * Prints p50/p99 of each and the ratio (goal: <= 1.5x).  Asserts
 * nothing; needs root.  Options: --kills K. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "bench_util.h"
#include "bus.h"
#include "event.h"
#include "loop.h"
#include "sensors.h"

#define MAX_K	1000

struct peers {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_sensors *sensors;
	char comm[16];
	uint64_t exit_ns;	/* the killed instance's exit */
	uint64_t lat[MAX_K];
	size_t n;
	pid_t running;		/* the instance to kill next */
	bool waiting;
};

static void on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct peers *p = arg;

	if (strncmp(ev->comm, p->comm, sizeof(p->comm)))
		return;
	if (ev->type == HMS_EV_EXIT && p->waiting &&
	    ev->tgid == (uint32_t)p->running)
		p->exit_ns = ev->ts_ns;
	else if (ev->type == HMS_EV_EXEC) {
		if (p->waiting && p->exit_ns && ev->ts_ns > p->exit_ns &&
		    p->n < MAX_K) {
			p->lat[p->n++] = ev->ts_ns - p->exit_ns;
			p->waiting = false;
		}
		if (!p->waiting)
			p->running = (pid_t)ev->tgid;
	}
}

/* Kill the running instance k times, each once the previous restart was
 * seen (and the new instance had 50 ms to settle). */
static void kill_loop(struct peers *p, int k)
{
	uint64_t end;

	p->n = 0;
	end = loop_now_ns() + 20000000000ull;
	while (!p->running && loop_now_ns() < end)
		loop_run_once(p->loop, 50);
	for (int i = 0; i < k && p->running; i++) {
		uint64_t settle = loop_now_ns() + 50000000ull;
		size_t before = p->n;

		while (loop_now_ns() < settle)
			loop_run_once(p->loop, 10);
		p->exit_ns = 0;
		p->waiting = true;
		kill(p->running, SIGSEGV);
		end = loop_now_ns() + 10000000000ull;
		while (p->n == before && loop_now_ns() < end)
			loop_run_once(p->loop, 50);
		if (p->n == before)
			break;
	}
	p->waiting = false;
}

static double report(const char *what, struct peers *p, double base)
{
	double p50 = bench_pct(p->lat, p->n, 50) / 1e6;
	double p99 = bench_pct(p->lat, p->n, 99) / 1e6;

	printf("%-30s n=%3zu  p50 %7.3f ms  p99 %7.3f ms", what, p->n, p50,
	       p99);
	if (base > 0)
		printf("  ratio to the C loop %.2fx", p50 / base);
	printf("\n");
	return p50;
}

int main(int argc, char **argv)
{
	const char *bin = getenv("DAEMON") ? getenv("DAEMON") :
			  ".output/hms-ebpf";
	char dir[64], svc[128], conf[128], cmd[256];
	struct sensors_opts o;
	struct peers p = { 0 };
	pid_t sup, d;
	double base;
	int k = 20;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kills") && i + 1 < argc)
			k = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_peers [--kills K]\n");
			return 2;
		}
	}
	if (k < 1 || k > MAX_K)
		k = 20;
	if (geteuid()) {
		fprintf(stderr, "bench_peers: needs root, skipped\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/hms-bench-peers-%d", (int)getpid());
	if (mkdir(dir, 0700))
		return 1;
	/* the service: sleep(1) under a name of ours */
	snprintf(svc, sizeof(svc), "%s/hmspeersvc", dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/sleep %s", svc);
	if (system(cmd))
		return 1;
	snprintf(p.comm, sizeof(p.comm), "hmspeersvc");
	if (loop_new(&p.loop) || bus_new(&p.bus))
		return 1;
	bus_subscribe(p.bus, BUS_ALL, on_event, &p);
	sensors_opts_default(&o);
	o.families = SENSORS_PROC;
	o.bulk_rate_per_sec = 0;
	if (sensors_new(&o, p.loop, p.bus, &p.sensors))
		return 1;
	printf("kill -SEGV -> next instance's exec (kernel clock), %d kills "
	       "each\n", k);

	/* 1. the C loop: fork, exec, waitpid, again */
	sup = fork();
	if (sup == 0) {
		for (;;) {
			pid_t c = fork();

			if (c == 0) {
				execl(svc, svc, "100000", (char *)NULL);
				_exit(127);
			}
			waitpid(c, NULL, 0);
		}
	}
	kill_loop(&p, k);
	base = report("C fork/exec/waitpid loop", &p, 0);
	kill(sup, SIGKILL);
	waitpid(sup, NULL, 0);
	kill(p.running, SIGKILL);
	p.running = 0;

	/* 2. hms-ebpf, the real daemon, registry on */
	snprintf(conf, sizeof(conf), "%s/hms.yaml", dir);
	f = fopen(conf, "w");
	if (!f)
		return 1;
	fprintf(f, "version: 1\ndaemon:\n  registry: %s/reg\n"
		"  socket: %s/hms.sock\n"
		"components:\n  - name: svc\n    spawn: true\n"
		"    command: [%s, \"100000\"]\n    output: null\n"
		"    backoff: {initial_ms: 0}\n"
		"    budget: {max: 10000, interval_s: 1}\n"
		"    crash_loop: {count: 10000, window_s: 1}\n"
		"    verify_s: 0.01\n"
		"    on: {crash: [restart], killed: [restart]}\n", dir, dir, svc);
	fclose(f);
	d = fork();
	if (d == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "-c", conf, "--no-tmux", (char *)NULL);
		_exit(127);
	}
	kill_loop(&p, k);
	report("hms-ebpf (spawned, registry on)", &p, base);
	kill(d, SIGTERM);
	waitpid(d, NULL, 0);
	sensors_free(p.sensors);
	bus_free(p.bus);
	loop_free(p.loop);
	bench_rmtree(dir);
	return 0;
}

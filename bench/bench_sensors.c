// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_sensors.c - figures for the sensors and event pipeline (issue 2):
 *   overhead   fork/exec/exit and loopback connect storms, without and with
 *              the real daemon attached, in alternating rounds: slowdown %
 *   throughput records/s drained from the bulk ring onto the bus with zero
 *              drops (synthetic BPF producer, bpf/synth.bpf.c)
 *   latency    kernel timestamp of a process exit -> arrival on the bus
 *   footprint  idle CPU % and RSS of the daemon with all sensors attached
 * Usage: bench_sensors [overhead|throughput|latency|footprint|all]
 * Needs root.  Prints figures; asserts nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "bench_util.h"
#include "bus.h"
#include "loop.h"
#include "procfs.h"
#include "proctable.h"
#include "sensors.h"

static char tmpdir[64];

/* ---- overhead ---------------------------------------------------- */

static uint64_t storm_fork_exec(int n)
{
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	return (bench_now_ns() - t0) / n;
}

static uint64_t storm_connect(int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	uint64_t t0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(l, (void *)&a, sizeof(a));
	listen(l, 128);
	getsockname(l, (void *)&a, &len);
	t0 = bench_now_ns();
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		connect(c, (void *)&a, sizeof(a));
		s = accept(l, NULL, NULL);
		close(c);
		close(s);
	}
	t0 = (bench_now_ns() - t0) / n;
	close(l);
	return t0;
}

static pid_t daemon_start(void)
{
	const char *daemon = getenv("DAEMON") ? getenv("DAEMON")
					      : ".output/hms-ebpf";
	char sock[128], reg[128], errf[128];
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/hms.sock", tmpdir);
	snprintf(reg, sizeof(reg), "%s/registry", tmpdir);
	snprintf(errf, sizeof(errf), "%s/daemon.err", tmpdir);
	unlink(errf);
	pid = fork();
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl(daemon, daemon, "--no-tmux", "--socket", sock,
		      "--registry", reg, (char *)NULL);
		_exit(127);
	}
	/* ready when it says its sensors are attached */
	for (int i = 0; i < 200; i++) {
		char buf[4096] = "";
		int fd = open(errf, O_RDONLY);

		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf) - 1) < 0)
				buf[0] = '\0';
			close(fd);
		}
		if (strstr(buf, "sensors attached"))
			return pid;
		usleep(50000);
	}
	fprintf(stderr, "bench: the daemon did not come up\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void daemon_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static uint64_t proc_cpu_ticks(pid_t pid);

static void overhead_one(const char *name, uint64_t (*storm)(int), int n,
			 int rounds)
{
	uint64_t base[8], with[8], dcpu = 0, wall = 0;
	double b, w;

	storm(n / 4);	/* warm up */
	for (int r = 0; r < rounds; r++) {
		pid_t d;

		base[r] = storm(n);
		d = daemon_start();
		if (d < 0)
			return;
		dcpu -= proc_cpu_ticks(d);
		with[r] = storm(n);
		dcpu += proc_cpu_ticks(d);
		wall += with[r] * n;
		daemon_stop(d);
	}
	b = bench_pct(base, rounds, 50) / 1000.0;
	w = bench_pct(with, rounds, 50) / 1000.0;
	printf("overhead.%-10s baseline %8.1f us/iter  with daemon %8.1f "
	       "us/iter  slowdown %+5.1f %%  (median of %d rounds x %d; "
	       "target <= 5 %%); daemon CPU during the storm %.1f %%\n",
	       name, b, w, (w - b) / b * 100.0, rounds, n,
	       dcpu * 1e9 / sysconf(_SC_CLK_TCK) / (double)wall * 100.0);
}

static void bench_overhead(void)
{
	overhead_one("fork_exec", storm_fork_exec, 1000, 7);
	overhead_one("connect", storm_connect, 20000, 7);
}

/* ---- in-process pipeline: throughput and latency ------------------ */

struct pipe_ctx {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_sensors *sensors;
	struct hms_proctable *pt;
	_Atomic uint64_t delivered;
	uint32_t magic;
	uint64_t *lat;
	size_t nlat, maxlat;
	volatile int stop;
	int exit_code;
};

static void on_runq(const struct hms_event_hdr *ev, void *arg)
{
	struct pipe_ctx *c = arg;

	if (ev->tgid == c->magic)
		atomic_fetch_add_explicit(&c->delivered, 1,
					  memory_order_relaxed);
}

static void on_exit_ev(const struct hms_event_hdr *ev, void *arg)
{
	struct pipe_ctx *c = arg;

	if (ev->ppid == (uint32_t)getpid() && c->nlat < c->maxlat)
		c->lat[c->nlat++] = loop_now_ns() - ev->ts_ns;
}

static int pipe_start(struct pipe_ctx *c, unsigned int families)
{
	struct sensors_opts o;

	memset(c, 0, sizeof(*c));
	sensors_opts_default(&o);
	o.families = families;
	o.bulk_rate_per_sec = 0;
	/* the daemon's own first subscriber rides along */
	return loop_new(&c->loop) ?: bus_new(&c->bus) ?:
	       proctable_new(c->bus, &c->pt) ?:
	       sensors_new(&o, c->loop, c->bus, &c->sensors);
}

static void pipe_stop(struct pipe_ctx *c)
{
	sensors_free(c->sensors);
	proctable_free(c->pt);
	bus_free(c->bus);
	loop_free(c->loop);
}

struct producer {
	struct pipe_ctx *c;
	struct hms_synth *y;
	uint64_t total, produced, window;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	while (p->produced < p->total) {
		uint64_t got = 0;

		/* closed loop: stay within a window of what was drained */
		while (p->produced - atomic_load(&p->c->delivered) > p->window)
			sched_yield();
		if (sensors_synth_run(p->y, 1024, p->c->magic, &got))
			break;
		p->produced += got;
	}
	return NULL;
}

static void bench_throughput(void)
{
	struct pipe_ctx c;
	struct producer p = { .total = 4000000, .window = 8192 };
	struct hms_ev_stats st;
	pthread_t t;
	uint64_t t0, dt;

	if (pipe_start(&c, SENSORS_PROC))
		return;
	c.magic = 0xfeed0000u | (getpid() & 0xffff);
	bus_subscribe(c.bus, HMS_EV_RUNQ_LATENCY, on_runq, &c);
	p.c = &c;
	if (sensors_synth_new(c.sensors, &p.y)) {
		pipe_stop(&c);
		return;
	}
	t0 = bench_now_ns();
	pthread_create(&t, NULL, produce, &p);
	while (atomic_load(&c.delivered) < p.total)
		loop_run_once(c.loop, 5);
	dt = bench_now_ns() - t0;
	pthread_join(t, NULL);
	sensors_get_stats(c.sensors, &st);
	printf("throughput.bulk  %.0f records/s drained onto the bus "
	       "(%llu records, %.2f s, drops %llu; target >= 500000/s)\n",
	       atomic_load(&c.delivered) / (dt / 1e9),
	       (unsigned long long)atomic_load(&c.delivered), dt / 1e9,
	       (unsigned long long)st.drops[HMS_EV_RUNQ_LATENCY]);
	sensors_synth_free(p.y);
	pipe_stop(&c);
}

static void *fork_exits(void *arg)
{
	struct pipe_ctx *c = arg;

	while (!c->stop) {
		pid_t p = fork();

		if (p == 0)
			_exit(c->exit_code);
		waitpid(p, NULL, 0);
		usleep(3000);
	}
	return NULL;
}

/* Failed exits (code 1) wake the consumer at once; clean exits (code 0)
 * ride with the next bulk drain (20 ms) by design. */
static void bench_latency_one(int code, size_t n)
{
	struct pipe_ctx c;
	pthread_t t;

	if (pipe_start(&c, SENSORS_ALL))
		return;
	c.exit_code = code;
	c.maxlat = n;
	c.lat = calloc(c.maxlat, sizeof(*c.lat));
	bus_subscribe(c.bus, HMS_EV_EXIT, on_exit_ev, &c);
	pthread_create(&t, NULL, fork_exits, &c);
	while (c.nlat < c.maxlat)
		loop_run_once(c.loop, 100);
	c.stop = 1;
	pthread_join(t, NULL);
	printf("latency.exit(%d)  kernel exit -> bus: p50 %.1f us  p99 %.1f us"
	       "  max %.1f us  (n=%zu; %s)\n", code,
	       bench_pct(c.lat, c.nlat, 50) / 1e3,
	       bench_pct(c.lat, c.nlat, 99) / 1e3,
	       bench_pct(c.lat, c.nlat, 100) / 1e3, c.nlat,
	       code ? "a failure: target p99 <= 1000 us"
		    : "clean exit: batched, up to the 20 ms drain");
	free(c.lat);
	pipe_stop(&c);
}

static void bench_latency(void)
{
	bench_latency_one(1, 2000);
	bench_latency_one(0, 300);
}

/* ---- footprint ---------------------------------------------------- */

static uint64_t proc_cpu_ticks(pid_t pid)
{
	struct procfs_stat st;

	if (procfs_stat_read(pid, &st))
		return 0;
	return st.utime + st.stime;
}

/* One "Key: N kB" figure of /proc/PID/smaps_rollup. */
static long proc_mem_kb(pid_t pid, const char *key)
{
	char path[64], line[256], fmt[64];
	long kb = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", key);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			kb = v;
	if (f)
		fclose(f);
	return kb;
}

static void bench_footprint(void)
{
	long hz = sysconf(_SC_CLK_TCK), rss, pss, uss;
	uint64_t c0, c1, t0, t1;
	pid_t d = daemon_start();

	if (d < 0)
		return;
	sleep(2);	/* settle: seeding, first stats */
	c0 = proc_cpu_ticks(d);
	t0 = bench_now_ns();
	sleep(20);
	c1 = proc_cpu_ticks(d);
	t1 = bench_now_ns();
	rss = proc_mem_kb(d, "Rss");
	pss = proc_mem_kb(d, "Pss");
	uss = proc_mem_kb(d, "Anonymous");
	daemon_stop(d);
	printf("footprint.idle   CPU %.2f %% of one core over %.0f s, RSS "
	       "%.1f MiB (PSS %.1f MiB; anonymous %.1f MiB, the rest is "
	       "library text and the ring buffers)  (target < 0.5 %% and < 20 MiB RSS)\n",
	       (c1 - c0) * 1e9 / hz / (double)(t1 - t0) * 100.0,
	       (t1 - t0) / 1e9, rss / 1024.0, pss / 1024.0, uss / 1024.0);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	int all = !strcmp(what, "all");

	if (geteuid() != 0) {
		fprintf(stderr, "bench_sensors: needs root\n");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hms-bench-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	if (all || !strcmp(what, "throughput"))
		bench_throughput();
	if (all || !strcmp(what, "latency"))
		bench_latency();
	if (all || !strcmp(what, "overhead"))
		bench_overhead();
	if (all || !strcmp(what, "footprint"))
		bench_footprint();
	bench_rmtree(tmpdir);
	return 0;
}

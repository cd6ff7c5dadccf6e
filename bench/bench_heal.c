// SPDX-License-Identifier: BSD-2-Clause
/* bench_heal.c - crash -> restart latency of the healer, measured by the
 * kernel: from the crash (hdr.ts_ns of the EXIT event, CLOCK_MONOTONIC) to
 * the exec of the new instance (hdr.ts_ns of its EXEC event), over 100
 * crashes of a spawned component and of an adopted one (matched by comm).
 * The baseline is a plain supervisor in a child process that blocks in
 * waitpid() and fork/execs again, measured the same way.  The spawned
 * component is measured again with the tmux dashboard on, and with its
 * tmux server SIGSTOPped (healing must not notice).  Then the cost of one
 * spawn in the daemon's loop, in a process of the daemon's size: plain
 * fork() (the baseline), the former fork + wait for the exec on the
 * close-on-exec pipe, and actions_spawn (clone VM|VFORK, the outcome read
 * later in the loop).  Prints p50/p99 and ratios to the baselines;
 * asserts nothing.  Needs root. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "actions.h"
#include "bench_util.h"
#include "dashboard.h"
#include "bus.h"
#include "config.h"
#include "event.h"
#include "healer.h"
#include "loop.h"
#include "sensors.h"

#define SAMPLES		100
#define MAX_PIDS	4096

struct bench {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_sensors *sensors;
	char comm[16];			/* the measured processes' comm */
	uint64_t crash[MAX_PIDS];	/* kernel ts of their SIGSEGV exits */
	size_t n_crash;
	uint64_t exec[MAX_PIDS];	/* kernel ts of their execs */
	size_t n_exec;
	uint64_t lat[MAX_PIDS];
	size_t n;
};

/* Crashes and execs come on different rings (critical and bulk), so they
 * are paired afterwards by kernel time: each crash with the first exec
 * after it. */
static void bench_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct bench *b = arg;

	if (getenv("BENCH_DEBUG") && ev->type >= HMS_EV_STATS &&
	    ev->type != HMS_EV_STATS) {
		char *js = event_to_json_str(ev);

		fprintf(stderr, "%s\n", js ? js : "?");
		free(js);
	}
	if (strncmp(ev->comm, b->comm, sizeof(b->comm)))
		return;
	if (ev->type == HMS_EV_EXIT && b->n_crash < MAX_PIDS &&
	    ((const struct hms_ev_exit *)ev)->signal == SIGSEGV)
		b->crash[b->n_crash++] = ev->ts_ns;
	else if (ev->type == HMS_EV_EXEC && b->n_exec < MAX_PIDS)
		b->exec[b->n_exec++] = ev->ts_ns;
}

static void bench_pair(struct bench *b)
{
	size_t j = 0;

	qsort(b->crash, b->n_crash, sizeof(uint64_t), bench_cmp_u64);
	qsort(b->exec, b->n_exec, sizeof(uint64_t), bench_cmp_u64);
	b->n = 0;
	for (size_t i = 0; i < b->n_crash && b->n < SAMPLES; i++) {
		while (j < b->n_exec && b->exec[j] <= b->crash[i])
			j++;
		if (j == b->n_exec)
			break;
		b->lat[b->n++] = b->exec[j] - b->crash[i];
	}
}

static void report(const char *what, struct bench *b, double base_p50)
{
	double p50 = bench_pct(b->lat, b->n, 50) / 1e6;
	double p99 = bench_pct(b->lat, b->n, 99) / 1e6;

	printf("%-28s n=%3zu  p50 %7.3f ms  p99 %7.3f ms", what, b->n, p50,
	       p99);
	if (base_p50 > 0)
		printf("  p50 ratio to baseline %.2f", p50 / base_p50);
	printf("\n");
}

static int bench_open(struct bench *b, const char *comm)
{
	struct sensors_opts o;
	int err;

	memset(b, 0, sizeof(*b));
	snprintf(b->comm, sizeof(b->comm), "%s", comm);
	if ((err = loop_new(&b->loop)) || (err = bus_new(&b->bus)))
		return err;
	bus_subscribe(b->bus, BUS_ALL, bench_on_event, b);
	sensors_opts_default(&o);
	o.families = SENSORS_PROC;
	o.bulk_rate_per_sec = 0;
	return sensors_new(&o, b->loop, b->bus, &b->sensors);
}

static void bench_close(struct bench *b)
{
	sensors_free(b->sensors);
	bus_free(b->bus);
	loop_free(b->loop);
}

/* Until SAMPLES crashes each with a later exec were seen (or limit). */
static void pump(struct bench *b, int limit_s)
{
	uint64_t end = loop_now_ns() + (uint64_t)limit_s * 1000000000ull;

	while (loop_now_ns() < end) {
		loop_run_once(b->loop, 100);
		if (b->n_crash >= SAMPLES && b->n_exec > SAMPLES) {
			bench_pair(b);
			if (b->n >= SAMPLES)
				break;
		}
	}
	bench_pair(b);
}

enum { TMUX_OFF, TMUX_ON, TMUX_STOPPED };

static const char *pane_exe;	/* a crasher under a comm not measured */

static int dash_ready_or_failed(struct hms_dashboard *d, struct bench *b)
{
	for (int i = 0; i < 400 && !dashboard_ready(d); i++)
		loop_run_once(b->loop, 50);
	return dashboard_ready(d) > 0 ? 0 : -ECHILD;
}

/* The tmux server's pid, asked through the dashboard's own queue. */
static void got_pid(struct hms_dashboard *d, int rc, const char *out,
		    void *arg)
{
	(void)d;
	*(pid_t *)arg = rc ? -1 : atoi(out);
}

/* The dashboard on a private tmux server whose panes are idle crashers
 * ("hms_crasher view ..." waits); with TMUX_STOPPED its server is
 * SIGSTOPped before the crashes.  *server set. */
static int bench_tmux(struct bench *b, struct hms_healer *h, const char *link,
		      const char *dir, int mode, struct hms_dashboard **d,
		      pid_t *server)
{
	char sock[PATH_MAX + 16], name[32];
	struct dashboard_opts o = { .session = "bench", .layout = "default",
		.tmux_config = "/dev/null", .width = 200, .height = 50,
		.kill_on_free = true };
	int err;

	*server = 0;
	if (mode == TMUX_OFF)
		return 0;
	snprintf(sock, sizeof(sock), "%s/hms.sock", dir);
	snprintf(name, sizeof(name), "hms-bh-%d", getpid());
	(void)link;
	o.self_exe = pane_exe;
	o.socket_path = sock;
	o.tmux_socket = name;
	o.actions = healer_actions(h);
	err = dashboard_new(&o, b->loop, b->bus, d);
	err = err ?: dash_ready_or_failed(*d, b);
	if (err)
		return err;
	dashboard_tmux(*d, 0, got_pid, server, (const char *[]){
		"display-message", "-p", "#{pid}", NULL });
	for (int i = 0; i < 200 && !*server; i++)
		loop_run_once(b->loop, 50);
	if (*server <= 0)
		return -ECHILD;
	if (mode == TMUX_STOPPED)
		kill(*server, SIGSTOP);
	return 0;
}

/* The healer with a component that segfaults 5 ms after each start. */
static int run_healer(const char *what, const char *link, const char *dir,
		      bool adopted, int tmux, double base_p50)
{
	struct hms_healer *h = NULL;
	struct hms_config *cfg = NULL;
	struct hms_dashboard *dash = NULL;
	pid_t server = 0;
	struct bench b;
	char yaml[1024];
	pid_t outside = 0;
	int err;

	err = bench_open(&b, basename((char *)link));
	if (err)
		goto cleanup;
	snprintf(yaml, sizeof(yaml),
		 "daemon: {registry: %s/reg}\n"
		 "components:\n"
		 "  - name: bench\n"
		 "    %s\n"
		 "    command: [%s, segv, \"5\"]\n"
		 "    backoff: {initial_ms: 0, factor: 1, jitter: 0}\n"
		 "    budget: {max: 10000, interval_s: 1}\n"
		 "    crash_loop: {count: 10000, window_s: 1}\n"
		 "    verify_s: 1\n"
		 "    on: {crash: [restart]}\n",
		 dir, adopted ? "match: {comm: hmsbench_a}" : "spawn: true",
		 link);
	err = config_load_string(dir, yaml, strlen(yaml), &cfg, stderr);
	if (err)
		goto cleanup;
	if (adopted) {
		/* started outside: the first crash is the adopted one's */
		outside = fork();
		if (outside == 0) {
			execl(link, link, "segv", "300", (char *)NULL);
			_exit(127);
		}
		usleep(100000);
	}
	err = healer_new(cfg, b.loop, b.bus, NULL, b.sensors, NULL, &h);
	err = err ?: bench_tmux(&b, h, link, dir, tmux, &dash, &server);
	if (err)
		goto cleanup;
	/* crashes before the dashboard was up do not count */
	b.n_crash = b.n_exec = 0;
	pump(&b, 60);
	report(what, &b, base_p50);
cleanup:
	if (err)
		fprintf(stderr, "bench_heal: %s: %s\n", what, strerror(-err));
	if (server > 0)
		kill(server, SIGCONT);
	dashboard_free(dash);
	if (server > 0)
		kill(server, SIGKILL);
	healer_free(h);
	if (outside > 0)
		waitpid(outside, NULL, WNOHANG);	/* if nobody did */
	config_free(cfg);
	bench_close(&b);
	return err;
}

/* Baseline: a supervisor blocked in waitpid, respawning at once. */
static double run_baseline(const char *link)
{
	struct bench b;
	pid_t sup;
	double p50;

	if (bench_open(&b, basename((char *)link)))
		return 0;
	sup = fork();
	if (sup == 0) {
		for (int i = 0; i < SAMPLES + 20; i++) {
			pid_t p = fork();

			if (p == 0) {
				execl(link, link, "segv", "5", (char *)NULL);
				_exit(127);
			}
			waitpid(p, NULL, 0);
		}
		_exit(0);
	}
	pump(&b, 60);
	waitpid(sup, NULL, 0);
	report("baseline waitpid+fork/exec", &b, 0);
	p50 = bench_pct(b.lat, b.n, 50) / 1e6;
	bench_close(&b);
	return p50;
}

/* ---- the cost of one spawn in the daemon's loop ---- */

#define SPAWNS		200
#define BALLAST_MB	64	/* the daemon's size: page tables to copy */

static uint64_t spawn_lat[SPAWNS];

static void spawn_report(const char *what, double base)
{
	double p50 = bench_pct(spawn_lat, SPAWNS, 50) / 1e3;
	double p99 = bench_pct(spawn_lat, SPAWNS, 99) / 1e3;

	printf("%-38s p50 %8.1f us  p99 %8.1f us", what, p50, p99);
	if (base > 0)
		printf("  p50 ratio to fork() %.2f", p50 / base);
	printf("\n");
}

/* The former actions_spawn: fork, then block in read() on the close-on-
 * exec pipe until the child has exec'd. */
static pid_t old_spawn(const char *prog)
{
	int p[2], child_err = 0;
	pid_t c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	c = fork();
	if (c == 0) {
		close(p[0]);
		execl(prog, prog, (char *)NULL);
		child_err = errno;
		if (write(p[1], &child_err, sizeof(child_err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	while (read(p[0], &child_err, sizeof(child_err)) < 0 && errno == EINTR)
		;
	close(p[0]);
	return c;
}

static void bench_spawn(void)
{
	char *argv[] = { "/bin/true", NULL };
	struct actions_spawn_opts o = { .argv = argv };
	struct hms_actions *a = NULL;
	struct hms_loop *loop = NULL;
	char *ballast;
	double base;
	pid_t pid;

	ballast = mmap(NULL, (size_t)BALLAST_MB << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ballast == MAP_FAILED || loop_new(&loop) || actions_new(loop, &a))
		return;
	memset(ballast, 1, (size_t)BALLAST_MB << 20);
	printf("\nspawn cost in the loop (parent side), %d spawns of /bin/true, "
	       "process with %d MiB resident\n", SPAWNS, BALLAST_MB);
	for (int i = 0; i < SPAWNS; i++) {
		uint64_t t0 = bench_now_ns();

		pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		spawn_lat[i] = bench_now_ns() - t0;
		waitpid(pid, NULL, 0);
	}
	base = bench_pct(spawn_lat, SPAWNS, 50) / 1e3;
	spawn_report("baseline: C fork() (exec in child)", 0);
	for (int i = 0; i < SPAWNS; i++) {
		uint64_t t0 = bench_now_ns();

		pid = old_spawn("/bin/true");
		spawn_lat[i] = bench_now_ns() - t0;
		waitpid(pid, NULL, 0);
	}
	spawn_report("before: fork + read() until exec", base);
	for (int i = 0; i < SPAWNS; i++) {
		uint64_t t0 = bench_now_ns();

		if (actions_spawn(a, &o, &pid))
			break;
		spawn_lat[i] = bench_now_ns() - t0;
		/* the exec outcome and the exit, as the loop does */
		while (actions_pending(a) || !kill(pid, 0))
			loop_run_once(loop, 10);
	}
	spawn_report("after: actions_spawn (clone VM|VFORK)", base);
	actions_free(a);
	loop_free(loop);
	munmap(ballast, (size_t)BALLAST_MB << 20);
}

int main(void)
{
	char exe[PATH_MAX], crasher[PATH_MAX + 64], dir[] = "/tmp/hms-bh-XXXXXX";
	char links[3][PATH_MAX + 64];
	const char *names[3] = { "hmsbench_b", "hmsbench_s", "hmsbench_a" };
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	double base;

	if (geteuid() != 0) {
		fprintf(stderr, "bench_heal: needs root, skipped\n");
		return 0;
	}
	if (n <= 0 || !mkdtemp(dir))
		return 1;
	exe[n] = '\0';
	snprintf(crasher, sizeof(crasher), "%s/../tests/helpers/hms_crasher",
		 dirname(exe));
	for (int i = 0; i < 3; i++) {
		snprintf(links[i], sizeof(links[i]), "%s/%s", dir, names[i]);
		if (symlink(crasher, links[i]) < 0) {
			perror("bench_heal: symlink");
			return 1;
		}
	}
	printf("crash -> restart latency, kernel exit -> new exec, %d crashes\n",
	       SAMPLES);
	base = run_baseline(links[0]);
	pane_exe = links[0];
	run_healer("healer, spawned component", links[1], dir, false,
		   TMUX_OFF, base);
	run_healer("healer, adopted (comm)", links[2], dir, true, TMUX_OFF,
		   base);
	run_healer("spawned, tmux dashboard on", links[1], dir, false,
		   TMUX_ON, base);
	run_healer("spawned, tmux SIGSTOPped", links[1], dir, false,
		   TMUX_STOPPED, base);
	bench_spawn();
	for (int i = 0; i < 3; i++)
		unlink(links[i]);
	bench_rmtree(dir);
	return 0;
}

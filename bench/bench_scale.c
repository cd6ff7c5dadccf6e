// SPDX-License-Identifier: BSD-2-Clause
/* bench_scale.c - the daemon's cost at rest and at scale, measured on the
 * real binary ($DAEMON, default .output/hms-ebpf) with 0, 100 and 1,000
 * components, spawned and adopted (matched by comm, none running):
 *   - start: from the daemon's exec to every spawned component running;
 *   - idle: daemon CPU %, wakeups/s (voluntary context switches of all
 *     its threads) and RSS over a quiet window, next to the host's fork
 *     rate in the same window (the daemon sees every exec on the host:
 *     "idle" can only be as quiet as the host);
 *   - exec storm: wall time of K fork+exec+wait of /bin/true with the
 *     daemon running (the median of 5 storms), as a ratio to the same
 *     without a daemon measured just before the case (and to the run's
 *     first baseline), and the daemon's CPU during them;
 *   - stop: SIGTERM to the daemon gone with every spawned component.
 * Adopted components are matched by comm ("adopted") and by pidfile
 * ("pidfile": each names a pidfile that does not exist yet), none
 * running, so every one is missing the whole time.
 * Prints one line per case; asserts nothing.  Needs root.
 * Options: --max N (largest count, default 1000), --idle S (idle window,
 * default 5 s), --storm K (execs per storm, default 1500), --host-procs P
 * (P sleeping processes started first, so the host has that many more
 * processes for the daemon to ignore; default 0). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "bench_util.h"

static char dir[128];
static char sleeper[192];	/* a copy of sleep(1) with a comm of ours */

static uint64_t host_forks(void)
{
	char line[256];
	uint64_t n = 0;
	FILE *f = fopen("/proc/stat", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "processes %llu",
			   (unsigned long long *)&n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* utime+stime of pid (all threads), in clock ticks */
static uint64_t proc_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			"%llu %llu", &ut, &st) == 2)
		return ut + st;
	return 0;
}

static uint64_t proc_wakeups(pid_t pid)
{
	char path[320], line[128];
	uint64_t sum = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
			 (int)pid, de->d_name);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long v;

			if (sscanf(line, "voluntary_ctxt_switches: %llu",
				   &v) == 1)
				sum += v;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return sum;
}

static long proc_rss_kb(pid_t pid)
{
	char path[64], line[128];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Live processes whose comm starts with prefix. */
static int count_comm(const char *prefix)
{
	char path[300], comm[32];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, prefix, strlen(prefix)))
			n++;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

enum bench_mode { MODE_ADOPTED, MODE_SPAWNED, MODE_PIDFILE };
static const char *const mode_names[] = { "adopted", "spawned", "pidfile" };

static int write_config(const char *path, int n, enum bench_mode mode)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "version: 1\ndaemon:\n  registry: %s/reg\n"
		"  socket: %s/hms.sock\n", dir, dir);
	if (n)
		fprintf(f, "components:\n");
	for (int i = 0; i < n; i++) {
		if (mode == MODE_SPAWNED)
			fprintf(f, "  - name: s%d\n    spawn: true\n"
				"    command: [%s, \"100000\"]\n"
				"    output: null\n", i, sleeper);
		else if (mode == MODE_PIDFILE)
			fprintf(f, "  - name: p%d\n"
				"    match: {pidfile: %s/run/p%d.pid}\n"
				"    command: [/bin/true]\n"
				"    on: {crash: [restart]}\n", i, dir, i);
		else
			fprintf(f, "  - name: a%d\n"
				"    match: {comm: hmsbA%d, user: any}\n"
				"    command: [/bin/true]\n"
				"    on: {crash: [restart]}\n", i, i);
	}
	fclose(f);
	return 0;
}

static pid_t daemon_start(const char *conf)
{
	const char *bin = getenv("DAEMON") ? getenv("DAEMON") :
			  ".output/hms-ebpf";
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "-c", conf, "--no-tmux", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The daemon is up once its socket exists. */
static int daemon_wait_ready(pid_t pid)
{
	char sock[192];
	struct stat st;

	snprintf(sock, sizeof(sock), "%s/hms.sock", dir);
	for (int i = 0; i < 3000; i++) {
		if (!stat(sock, &st))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ECHILD;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static double storm(int k)
{
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < k; i++) {
		pid_t p = fork();

		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	return (bench_now_ns() - t0) / 1e9;
}

/* The median of STORM_ROUNDS storms: one storm of a second or so moves
 * by +-10 % with the host; the median of a few does not. */
#define STORM_ROUNDS	5

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double storm_median(int k)
{
	double r[STORM_ROUNDS];

	for (int i = 0; i < STORM_ROUNDS; i++)
		r[i] = storm(k);
	qsort(r, STORM_ROUNDS, sizeof(r[0]), cmp_dbl);
	return r[STORM_ROUNDS / 2];
}

static void run_case(int n, enum bench_mode mode, int idle_s, int k,
		     double base)
{
	const char *name = mode_names[mode];
	int spawned = mode == MODE_SPAWNED;
	double base_now;
	char conf[192];
	uint64_t t0, t_ready = 0, t_all = 0, w0, w1, c0, c1, f0, f1, stop_ns;
	double st, tck = (double)sysconf(_SC_CLK_TCK);
	uint64_t quiet_w = 0;
	int quiet_s = 0;
	long rss;
	pid_t d;

	snprintf(conf, sizeof(conf), "%s/hms.yaml", dir);
	if (write_config(conf, n, mode))
		return;
	/* the storm without a daemon right before this case: the host
	 * drifts by 10 % over a run, more than what is measured */
	base_now = storm_median(k);
	t0 = bench_now_ns();
	d = daemon_start(conf);
	if (d < 0 || daemon_wait_ready(d)) {
		printf("%-8s %5d: daemon did not start\n",
		       name, n);
		return;
	}
	t_ready = bench_now_ns() - t0;
	if (spawned && n) {
		for (int i = 0; i < 6000 && count_comm("hmsbS") < n; i++)
			usleep(5000);
		t_all = bench_now_ns() - t0;
		/* the host's own cost of n fork+execs is in this figure:
		 * print it next to n plain ones (the baseline storm) */
		printf("%-8s %5d: start: all running %.0f ms after the "
		       "daemon's exec, %.0f ms after it was ready; n plain "
		       "fork+execs take %.0f ms here; daemon cpu %.2f s\n",
		       "spawned", n, t_all / 1e6, (t_all - t_ready) / 1e6,
		       base / k * n * 1e3, proc_ticks(d) / tck);
	}
	/* the start-up settles: adopted ones are reported missing after
	 * missing_check_s (5 s by default), a one-time burst of failures
	 * and alerts that is not "idle" */
	sleep(spawned ? 3 : 8);
	w0 = proc_wakeups(d);
	c0 = proc_ticks(d);
	f0 = host_forks();
	/* per second too: the seconds in which nothing was forked on the
	 * host show what the daemon costs when nothing happens */
	for (int i = 0; i < idle_s; i++) {
		uint64_t fw = proc_wakeups(d), ff = host_forks();

		sleep(1);
		/* our own /proc reads fork nothing; the sleep wakes us once */
		if (host_forks() == ff) {
			quiet_s++;
			quiet_w += proc_wakeups(d) - fw;
		}
	}
	w1 = proc_wakeups(d);
	c1 = proc_ticks(d);
	f1 = host_forks();
	rss = proc_rss_kb(d);
	printf("%-8s %5d: ready %6.0f ms  all running %6.0f ms  "
	       "idle cpu %5.2f %%  wakeups %6.1f/s  (host forks %6.1f/s)  "
	       "rss %5.1f MB\n", name, n,
	       t_ready / 1e6, t_all / 1e6,
	       (c1 - c0) / tck / idle_s * 100.0,
	       (double)(w1 - w0) / idle_s, (double)(f1 - f0) / idle_s,
	       rss / 1024.0);
	if (quiet_s)
		printf("%-8s %5d: %d quiet second(s) (no fork on the host): "
		       "wakeups %.1f/s\n", name, n,
		       quiet_s, (double)quiet_w / quiet_s);
	else
		printf("%-8s %5d: no quiet second on this host (no figure "
		       "for \"nothing happens\")\n",
		       name, n);
	c0 = proc_ticks(d);
	st = storm_median(k);
	c1 = proc_ticks(d);
	printf("%-8s %5d: exec storm of %d (median of 5): %.2f s = %.3fx "
	       "without daemon just before (%.2f s; %.3fx the run's first "
	       "baseline), daemon cpu %.2f s\n", name, n, k, st,
	       st / base_now, base_now, st / base, (c1 - c0) / tck);
	t0 = bench_now_ns();
	c0 = proc_ticks(d);
	kill(d, SIGTERM);
	{
		/* the daemon's cpu for the stop: read before it is reaped */
		siginfo_t si;

		waitid(P_PID, d, &si, WEXITED | WNOWAIT);
		c1 = proc_ticks(d);
		waitpid(d, NULL, 0);
	}
	while (spawned && n && count_comm("hmsbS") > 0 &&
	       bench_now_ns() - t0 < 60000000000ULL)
		usleep(5000);
	stop_ns = bench_now_ns() - t0;
	printf("%-8s %5d: stop %6.0f ms (daemon cpu %.2f s)\n",
	       name, n, stop_ns / 1e6,
	       c1 > c0 ? (c1 - c0) / tck : 0.0);
	fflush(stdout);
}

/* P children that sleep until killed: a host with more processes */
static pid_t *host_procs_start(int p)
{
	pid_t *pids = calloc(p ? p : 1, sizeof(*pids));

	for (int i = 0; pids && i < p; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pause();
			_exit(0);
		}
		if (pids[i] < 0) {
			fprintf(stderr, "bench_scale: fork: %s (%d started)\n",
				strerror(errno), i);
			break;
		}
	}
	return pids;
}

static void host_procs_stop(pid_t *pids, int p)
{
	for (int i = 0; pids && i < p && pids[i] > 0; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; pids && i < p && pids[i] > 0; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
}

int main(int argc, char **argv)
{
	int max = 1000, idle_s = 5, k = 1500, hp = 0;
	pid_t *host = NULL;
	int counts[] = { 0, 100, 1000 };
	char cmd[512];
	double base, base2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--max") && i + 1 < argc)
			max = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--idle") && i + 1 < argc)
			idle_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--storm") && i + 1 < argc)
			k = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--host-procs") && i + 1 < argc)
			hp = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_scale [--max N] "
				"[--idle SECONDS] [--storm EXECS] "
				"[--host-procs P]\n");
			return 2;
		}
	}
	if (geteuid()) {
		fprintf(stderr, "bench_scale: needs root, skipped\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/hms-bench-scale-%d", (int)getpid());
	if (mkdir(dir, 0700))
		return 1;
	snprintf(sleeper, sizeof(sleeper), "%s/hmsbSleep", dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/sleep %s", sleeper);
	if (system(cmd))
		return 1;
	snprintf(cmd, sizeof(cmd), "%s/run", dir);
	if (mkdir(cmd, 0755))
		return 1;
	if (hp) {
		host = host_procs_start(hp);
		printf("host: %d more sleeping processes started\n", hp);
	}
	base = storm_median(k);
	printf("baseline: exec storm of %d without daemon: %.2f s\n", k, base);
	for (size_t i = 0; i < 3; i++) {
		if (counts[i] > max)
			break;
		run_case(counts[i], MODE_SPAWNED, idle_s, k, base);
		if (counts[i]) {
			run_case(counts[i], MODE_ADOPTED, idle_s, k, base);
			run_case(counts[i], MODE_PIDFILE, idle_s, k, base);
		}
	}
	base2 = storm_median(k);
	printf("baseline again: %.2f s (the host's drift during the run: "
	       "%+.1f %%)\n", base2, (base2 / base - 1) * 100.0);
	host_procs_stop(host, hp);
	bench_rmtree(dir);
	return 0;
}

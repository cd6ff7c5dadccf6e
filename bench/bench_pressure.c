// SPDX-License-Identifier: BSD-2-Clause
/* bench_pressure.c - what pressure-driven healing buys, in figures.
 *
 * 1. The memory hog of tests/helpers/hms_memhog (64 MiB of file it keeps
 *    reading, anonymous memory growing 2 MiB every 250 ms to 192 MiB) in a
 *    128 MiB v1 memory cgroup, N runs with a mem_pressure trigger
 *    (some 20ms in 2s) and a memory step, N runs without (the baseline):
 *    OOM kills in each set, and for the healed runs the time from the
 *    first stall the kernel accounted to the hog's cgroup (its
 *    memory.pressure total, sampled every 20 ms by this bench) and from
 *    the trigger's failure event to the finished memory action.
 * 2. The healer's CPU time with 100 idle components each with three PSI
 *    triggers (memory, cpu, io) over 20 s, against the same 100 components
 *    without triggers in the same run.
 *
 * N is BENCH_PRESSURE_RUNS (default 5: a run takes about 25 s).  Prints
 * figures only; asserts nothing.  Needs root, cgroup v2 and a v1 memory
 * controller (or skips). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "bench_util.h"
#include "bus.h"
#include "config.h"
#include "event.h"
#include "healer.h"
#include "loop.h"
#include "pressure.h"
#include "sensors.h"

#define V1_MEM		"/sys/fs/cgroup/memory"
#define MAX_RUNS	100

struct run {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_sensors *sensors;
	char cg2[512];			/* the hog's cgroup v2, if its own */
	uint64_t first_stall_ns;	/* first nonzero memory.pressure */
	uint64_t fire_ns;		/* mem_pressure failure */
	uint64_t action_ns;		/* memory action finished */
	bool oom, done;
};

static char helpers[PATH_MAX];

static void on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct run *r = arg;

	if (ev->type == HMS_EV_FAILURE) {
		const struct hms_ev_failure *f = (const void *)ev;

		if (!strcmp(f->failure, "oom"))
			r->oom = r->done = true;
		else if (!strcmp(f->failure, "missing"))
			r->done = true;
		else if (!strcmp(f->failure, "mem_pressure") && !r->fire_ns)
			r->fire_ns = loop_now_ns();
	} else if (ev->type == HMS_EV_ACTION) {
		const struct hms_ev_action *a = (const void *)ev;

		if (a->kind == ACTION_MEMORY && a->phase == 1 && !r->action_ns)
			r->action_ns = loop_now_ns();
	}
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static void rmdir_retry(const char *dir)
{
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(20000);
}

/* One hog run; 0 or -errno. */
static int hog_run(bool pressure, const char *tmp, struct run *r)
{
	char v1[256], yaml[16384], file[320];
	struct hms_config *cfg = NULL;
	struct hms_healer *h = NULL;
	struct sensors_opts o;
	uint64_t end;
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(v1, sizeof(v1), V1_MEM "/hms-bench-psi-%d", (int)getpid());
	if (mkdir(v1, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(file, sizeof(file), "%s/memory.limit_in_bytes", v1);
	write_str(file, "134217728");
	snprintf(yaml, sizeof(yaml),
		 "daemon: {cgroup_parent: hms-bench-psi-%d.slice}\n"
		 "strategies:\n"
		 "  relieve: [{memory: {factor: 3, max_mb: 512}}, "
		 "{restart: {}}]\n"
		 "components:\n"
		 "  - name: memhog\n"
		 "    command: [%s/hms_memhog, %s/data, \"64\", \"192\", "
		 "\"2\", \"250\"]\n"
		 "    cgroup: %s\n"
		 "    start_grace_s: 0.1\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    verify_s: 1\n"
		 "%s"
		 "    on: {mem_pressure: [relieve], oom: [alert], "
		 "missing: [alert]}\n",
		 (int)getpid(), helpers, tmp, v1,
		 pressure ? "    pressure: {memory: {some: 20ms, window: 2s}}\n"
			  : "");
	err = loop_new(&r->loop);
	if (!err)
		err = bus_new(&r->bus);
	if (!err)
		err = bus_subscribe(r->bus, BUS_ALL, on_event, r);
	if (!err)
		err = config_load_string("bench", yaml, strlen(yaml), &cfg,
					 stderr);
	sensors_opts_default(&o);
	o.families = SENSORS_PROC;
	if (!err)
		err = sensors_new(&o, r->loop, r->bus, &r->sensors);
	if (!err)
		err = healer_new(cfg, r->loop, r->bus, NULL, r->sensors, NULL,
				 &h);
	snprintf(r->cg2, sizeof(r->cg2), "%s/hms-bench-psi-%d.slice/memhog",
		 pressure_cgroup2_root(), (int)getpid());
	end = loop_now_ns() + 240ull * 1000000000ull;
	while (!err && !r->done && loop_now_ns() < end) {
		uint64_t total = 0;

		loop_run_once(r->loop, 20);
		/* the bench samples; the daemon never does */
		if (pressure && !r->first_stall_ns &&
		    !pressure_read(r->cg2, PRESSURE_MEMORY, false, NULL,
				   &total) && total)
			r->first_stall_ns = loop_now_ns();
	}
	if (!err && !r->done)
		err = -ETIMEDOUT;
	healer_free(h);
	sensors_free(r->sensors);
	config_free(cfg);
	bus_free(r->bus);
	loop_free(r->loop);
	rmdir_retry(v1);
	return err;
}

static void bench_hog(const char *tmp, int n)
{
	uint64_t from_stall[MAX_RUNS], from_fire[MAX_RUNS];
	int ooms[2] = { 0, 0 }, runs[2] = { 0, 0 }, ns = 0, nf = 0;
	struct run r;

	for (int i = 0; i < 2 * n; i++) {
		bool pressure = i % 2 == 0;	/* interleaved: same conditions */
		int err = hog_run(pressure, tmp, &r);

		if (err) {
			fprintf(stderr, "bench_pressure: run %d: %s\n", i,
				strerror(-err));
			continue;
		}
		runs[pressure]++;
		ooms[pressure] += r.oom;
		if (pressure && r.action_ns && r.first_stall_ns &&
		    r.action_ns > r.first_stall_ns)
			from_stall[ns++] = r.action_ns - r.first_stall_ns;
		if (pressure && r.action_ns && r.fire_ns)
			from_fire[nf++] = r.action_ns - r.fire_ns;
	}
	printf("memory hog (128 MiB limit, grows to 192 MiB + 64 MiB file), "
	       "%d runs each (BENCH_PRESSURE_RUNS)\n", n);
	printf("  OOM kills with pressure healing:    %d of %d runs\n",
	       ooms[1], runs[1]);
	printf("  OOM kills without (baseline):       %d of %d runs\n",
	       ooms[0], runs[0]);
	printf("  OOM kills avoided:                  %d\n", ooms[0] - ooms[1]);
	printf("  first stall -> memory action: p50 %.0f ms  p99 %.0f ms "
	       "(%d runs)\n", bench_pct(from_stall, ns, 50) / 1e6,
	       bench_pct(from_stall, ns, 99) / 1e6, ns);
	printf("  trigger event -> memory action: p50 %.3f ms  p99 %.3f ms\n",
	       bench_pct(from_fire, nf, 50) / 1e6,
	       bench_pct(from_fire, nf, 99) / 1e6);
}

/* CPU time of this process (the healer) over secs of an idle loop with
 * 100 components, with or without three triggers each. */
static double idle_cpu(const char *tmp, bool triggers, int secs,
		       size_t *fds)
{
	size_t len = 1 << 16, o = 0;
	char *yaml = malloc(len);
	struct hms_config *cfg = NULL;
	struct hms_healer *h = NULL;
	struct hms_loop *loop = NULL;
	struct hms_bus *bus = NULL;
	struct rusage a, b;
	uint64_t end;
	double cpu = -1;

	if (!yaml)
		return -1;
	o += (size_t)snprintf(yaml + o, len - o,
			      "daemon: {cgroup_parent: hms-bench-idle-%d.slice}\n"
			      "components:\n", (int)getpid());
	for (int i = 0; i < 100 && o < len; i++)
		o += (size_t)snprintf(yaml + o, len - o,
			"  - name: idle%d\n"
			"    command: [%s/hms_crasher, sleep]\n"
			"    start_grace_s: 0.1\n"
			"%s", i, helpers, triggers ?
			"    pressure:\n"
			"      memory: {some: 500ms, window: 2s}\n"
			"      cpu: {some: 1500ms, window: 2s}\n"
			"      io: {some: 500ms, window: 2s}\n" : "");
	if (o >= len || loop_new(&loop) || bus_new(&bus) ||
	    config_load_string("bench", yaml, o, &cfg, stderr) ||
	    healer_new(cfg, loop, bus, NULL, NULL, NULL, &h))
		goto cleanup;
	*fds = 0;
	{
		char p[64];

		for (int fd = 0; fd < 65536; fd++) {
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			if (!access(p, F_OK))
				(*fds)++;
		}
	}
	loop_run_once(loop, 100);
	getrusage(RUSAGE_SELF, &a);
	end = loop_now_ns() + (uint64_t)secs * 1000000000ull;
	while (loop_now_ns() < end)
		loop_run_once(loop, 100);
	getrusage(RUSAGE_SELF, &b);
	cpu = (b.ru_utime.tv_sec - a.ru_utime.tv_sec) +
	      (b.ru_stime.tv_sec - a.ru_stime.tv_sec) +
	      ((b.ru_utime.tv_usec - a.ru_utime.tv_usec) +
	       (b.ru_stime.tv_usec - a.ru_stime.tv_usec)) / 1e6;
cleanup:
	(void)tmp;
	healer_free(h);
	config_free(cfg);
	bus_free(bus);
	loop_free(loop);
	free(yaml);
	{
		char dir[512];

		snprintf(dir, sizeof(dir), "%s/hms-bench-idle-%d.slice",
			 pressure_cgroup2_root(), (int)getpid());
		rmdir(dir);
	}
	return cpu;
}

int main(void)
{
	char exe[PATH_MAX], tmp[] = "/tmp/hms-bench-psi-XXXXXX";
	const char *env = getenv("BENCH_PRESSURE_RUNS");
	int n = env ? atoi(env) : 5;
	ssize_t len;
	double with, without;
	size_t fds_with = 0, fds_without = 0;

	if (geteuid() != 0 || access("/proc/pressure/memory", R_OK)) {
		printf("bench_pressure: needs root and PSI, skipped\n");
		return 0;
	}
	if (n < 1 || n > MAX_RUNS / 2)
		n = 5;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0 || !mkdtemp(tmp))
		return 1;
	exe[len] = '\0';
	/* .output/bench/bench_pressure -> .output/tests/helpers */
	snprintf(helpers, sizeof(helpers), "%.4000s/../tests/helpers",
		 dirname(exe));
	if (!access(V1_MEM "/memory.limit_in_bytes", F_OK) &&
	    !getenv("BENCH_PRESSURE_IDLE_ONLY"))
		bench_hog(tmp, n);
	else
		printf("memory hog: no v1 memory controller (or skipped)\n");
	without = idle_cpu(tmp, false, 20, &fds_without);
	with = idle_cpu(tmp, true, 20, &fds_with);
	printf("healer idle, 100 components, 20 s: %.3f s CPU (%.2f%%) with "
	       "300 triggers, %.3f s (%.2f%%) without; fds %zu vs %zu\n",
	       with, with / 20 * 100, without, without / 20 * 100, fds_with,
	       fds_without);
	bench_rmtree(tmp);
	return 0;
}

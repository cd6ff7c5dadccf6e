// SPDX-License-Identifier: BSD-2-Clause
/* test_pressure.c - healing before the failure, on the real kernel with
 * real cgroups (root): a memory hog in a v1 memory cgroup with a limit,
 * and in a cgroup v2 of its own for PSI, raises mem_pressure before it
 * would be OOM-killed, and a memory step raises the limit so it completes;
 * without the pressure config the same hog is OOM-killed (the control),
 * and the OOM failure carries its forensics; with pressure seen but not
 * relieved the OOM failure says a mem_pressure failure came first.  A
 * latency-sensitive service sharing a CPU with a hog raises cpu_pressure;
 * a graduated chain runs an alert first (verified a failure: the pressure
 * stays), then a cpu step (SCHED_RR) that brings it below the threshold,
 * verified by the pressure over the window.  A reload keeps a running
 * component's cgroup and triggers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "harness.h"
#include "healer_test.h"
#include "healer_int.h"
#include "pressure.h"
#include "sensors.h"

#define V1_MEM	"/sys/fs/cgroup/memory"

struct pts {
	struct ht t;
	struct hms_sensors *sensors;
	char v1[256];			/* v1 memory cgroup we made */
	char parent[256];		/* daemon.cgroup_parent (relative) */
	char helper[1024];		/* directory of the helpers */
	pid_t outside;			/* a cpu hog we started */
};

static int setup(void **state)
{
	struct pts *s = calloc(1, sizeof(*s));

	*state = s;
	return s ? 0 : -1;
}

static void rmdir_retry(const char *dir)
{
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(20000);
}

static int teardown(void **state)
{
	struct pts *s = *state;
	char dir[512];

	if (s->outside > 0) {
		kill(s->outside, SIGKILL);
		waitpid(s->outside, NULL, 0);
	}
	healer_free(s->t.healer);
	s->t.healer = NULL;
	sensors_free(s->sensors);
	if (s->v1[0])
		rmdir_retry(s->v1);
	if (s->parent[0]) {
		/* normally removed by the healer already: only leftovers */
		snprintf(dir, sizeof(dir), "%s/%s/memhog",
			 pressure_cgroup2_root(), s->parent);
		rmdir_retry(dir);
		snprintf(dir, sizeof(dir), "%s/%s/latency",
			 pressure_cgroup2_root(), s->parent);
		rmdir_retry(dir);
		snprintf(dir, sizeof(dir), "%s/%s", pressure_cgroup2_root(),
			 s->parent);
		rmdir_retry(dir);
	}
	if (s->t.loop) {
		snprintf(dir, sizeof(dir), "%s/data", s->t.dir);
		unlink(dir);
		ht_fini(&s->t);
	}
	free(s);
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static uint64_t read_field(const char *path, const char *key)
{
	char *text = NULL, *p;
	size_t len = 0;
	uint64_t v = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (getdelim(&text, &len, '\0', f) > 0) {
		p = key ? strstr(text, key) : text;
		if (p)
			v = strtoull(p + (key ? strlen(key) : 0), NULL, 10);
	}
	free(text);
	fclose(f);
	return v;
}

/* Test temp dir, helpers and (optionally) a v1 memory cgroup limited to
 * limit_mb; skips where the host lacks what it needs. */
static void prepare(struct pts *s, unsigned int limit_mb)
{
	char file[320], val[32], *slash;

	assert_int_equal(ht_init(&s->t), 0);
	snprintf(s->helper, sizeof(s->helper), "%.1000s", s->t.crasher);
	slash = strrchr(s->helper, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(s->parent, sizeof(s->parent), "hms-test-psi-%d.slice",
		 (int)getpid());
	if (access("/proc/pressure/memory", R_OK))
		skip();		/* no PSI in this kernel */
	if (!limit_mb)
		return;
	snprintf(s->v1, sizeof(s->v1), V1_MEM "/hms-test-psi-%d",
		 (int)getpid());
	if (mkdir(s->v1, 0755) < 0) {
		s->v1[0] = '\0';
		skip();		/* no v1 memory controller here */
	}
	snprintf(file, sizeof(file), "%s/memory.limit_in_bytes", s->v1);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)limit_mb << 20);
	assert_int_equal(write_file(file, val), 0);
}

static void start(struct pts *s, const char *yaml)
{
	struct sensors_opts o;

	assert_int_equal(ht_config(&s->t, yaml), 0);
	sensors_opts_default(&o);
	o.families = SENSORS_PROC;
	assert_int_equal(sensors_new(&o, s->t.loop, s->t.bus, &s->sensors), 0);
	assert_int_equal(healer_new(s->t.cfg, s->t.loop, s->t.bus, NULL,
				    s->sensors, NULL, &s->t.healer), 0);
}

/* The hog: 64 MiB of file it keeps reading, anonymous memory growing
 * step_mb every 250 ms up to target_mb.  In a 128 MiB cgroup the file
 * stops fitting at about 64 MiB of anonymous memory (pressure), the OOM
 * kill comes at about 128.  The healing test grows 2 MiB a step (time for
 * the relief to be verified below the threshold); the tests that only
 * watch the OOM come grow 4 (half the wait). */
static void hog_yaml(struct pts *s, char *buf, size_t len, unsigned target,
		     unsigned step_mb, const char *extra)
{
	snprintf(buf, len,
		 "# helpers next to %%1$s\n"
		 "daemon: {cgroup_parent: %s}\n"
		 "strategies:\n"
		 "  relieve: [{memory: {factor: 3, max_mb: 512}}, "
		 "{restart: {}}]\n"
		 "components:\n"
		 "  - name: memhog\n"
		 "    command: [%s/hms_memhog, %%2$s/data, \"64\", \"%u\", "
		 "\"%u\", \"250\"]\n"
		 "    cgroup: %s\n"
		 "    start_grace_s: 0.1\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    budget: {max: 3, interval_s: 600}\n"
		 "    verify_s: 1\n"
		 "%s", s->parent, s->helper, target, step_mb, s->v1, extra);
}

static uint64_t oom_kills(const struct pts *s)
{
	char file[320];

	snprintf(file, sizeof(file), "%s/memory.oom_control", s->v1);
	return read_field(file, "oom_kill ");
}

static size_t count_failures(struct ht *t, const char *cls)
{
	size_t at = 0, n = 0;

	while (ht_wait(t, &at, ht_is_failure, cls, 0))
		n++;
	return n;
}

static void test_mem_pressure_heals(void **state)
{
	struct pts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_failure *f;
	const struct hms_ev_action *a;
	const struct hms_ev_outcome *o;
	char yaml[10240], file[320], dir[512], want[300];
	size_t at = 0, at2;
	pid_t pid;

	prepare(s, 128);
	hog_yaml(s, yaml, sizeof(yaml), 192, 2,
		 "    pressure: {memory: {some: 20ms, window: 2s}}\n"
		 "    on: {mem_pressure: [relieve], oom: [alert], "
		 "missing: [alert]}\n");
	start(s, yaml);
	pid = healer_find(t->healer, "memhog")->pid;
	assert_true(pid > 0);
	/* its own cgroup v2, under the configured parent */
	snprintf(dir, sizeof(dir), "%s/%s/memhog", pressure_cgroup2_root(),
		 s->parent);
	assert_int_equal(access(dir, F_OK), 0);
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), "0::/%s/memhog", s->parent);
	{
		char *cg = harness_slurp(file);

		assert_non_null(cg);
		assert_non_null(strstr(cg, want));
		free(cg);
	}
	f = (const void *)ht_wait(t, &at, ht_is_failure, "mem_pressure",
				  120000);
	assert_non_null(f);
	assert_string_equal(f->component, "memhog");
	assert_int_equal(f->hdr.tgid, pid);
	assert_int_equal(oom_kills(s), 0);	/* before any OOM kill */
	a = (const void *)ht_wait(t, &at, ht_is_action_done,
				  HT_ARG(ACTION_MEMORY), 30000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
	snprintf(file, sizeof(file), "%s/memory.limit_in_bytes", s->v1);
	assert_true(read_field(file, NULL) >> 20 >= 384);
	/* verified by the pressure: relieved, no restart needed */
	at2 = at;
	o = (const void *)ht_wait(t, &at2, ht_is_type, HT_ARG(HMS_EV_OUTCOME),
				  60000);
	assert_non_null(o);
	assert_string_equal(o->failure, "mem_pressure");
	if (!o->success)
		fprintf(stderr, "outcome: result %u: %.*s\n", o->result,
			(int)sizeof(o->reason), o->reason);
	assert_true(o->success);
	/* the hog completes: exit code 0, never OOM-killed */
	f = (const void *)ht_wait(t, &at, ht_is_failure, "missing", 180000);
	assert_non_null(f);
	assert_int_equal(f->hdr.tgid, pid);
	assert_int_equal(f->exit_code, 0);
	assert_int_equal(f->signal, 0);
	assert_int_equal(count_failures(t, "oom"), 0);
	assert_int_equal(oom_kills(s), 0);
	at = 0;
	assert_null(ht_wait(t, &at, ht_is_action_done, HT_ARG(ACTION_RESTART),
			    0));
	/* stopping the healer removes the cgroups it made */
	healer_free(t->healer);
	t->healer = NULL;
	assert_int_equal(access(dir, F_OK), -1);
	snprintf(dir, sizeof(dir), "%s/%s", pressure_cgroup2_root(), s->parent);
	assert_int_equal(access(dir, F_OK), -1);
}

static void check_oom_fields(const struct hms_ev_failure *f)
{
	assert_true(f->oom_rss_kb > 0);
	assert_true(f->oom_flags & HMS_OOM_F_CGROUP);
	assert_int_equal(f->oom_cg_limit >> 20, 128);
	assert_true(f->oom_cg_peak > 0);
	assert_true(f->oom_cg_limit >= f->oom_cg_peak);
	assert_true(f->oom_cg_limit >= f->oom_cg_usage);
	if (f->oom_flags & HMS_OOM_F_PRESSURE) {
		assert_true(f->oom_mem_some_avg10 <= 10000);
		assert_true(f->oom_mem_full_avg10 <= f->oom_mem_some_avg10);
	}
}

/* The control: the same hog, no pressure config: OOM-killed. */
static void test_mem_control_oom(void **state)
{
	struct pts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_failure *f;
	char yaml[10240], *js;
	size_t at = 0;

	prepare(s, 128);
	hog_yaml(s, yaml, sizeof(yaml), 192, 4,
		 "    on: {oom: [alert], missing: [alert]}\n");
	start(s, yaml);
	f = (const void *)ht_wait(t, &at, ht_is_failure, "oom", 180000);
	assert_non_null(f);
	assert_true(oom_kills(s) >= 1);
	assert_int_equal(count_failures(t, "mem_pressure"), 0);
	check_oom_fields(f);
	assert_false(f->oom_flags & HMS_OOM_F_PRECEDED);
	js = event_to_json_str(&f->hdr);
	assert_non_null(js);
	assert_non_null(strstr(js, "\"cgroup_limit_bytes\":134217728"));
	assert_non_null(strstr(js, "\"mem_pressure_before\":false"));
	free(js);
}

/* Pressure seen, only told (alert): the OOM failure says it came first. */
static void test_oom_after_pressure(void **state)
{
	struct pts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_failure *f;
	char yaml[10240], *js;
	size_t at = 0;

	prepare(s, 128);
	hog_yaml(s, yaml, sizeof(yaml), 192, 4,
		 "    pressure: {memory: {some: 20ms, window: 2s}}\n"
		 "    on: {mem_pressure: [alert], oom: [alert], "
		 "missing: [alert]}\n");
	start(s, yaml);
	assert_non_null(ht_wait(t, &at, ht_is_failure, "mem_pressure",
				120000));
	assert_int_equal(oom_kills(s), 0);
	f = (const void *)ht_wait(t, &at, ht_is_failure, "oom", 180000);
	assert_non_null(f);
	check_oom_fields(f);
	assert_true(f->oom_flags & HMS_OOM_F_PRESSURE);
	assert_true(f->oom_mem_some_avg10 > 0);	/* its own cgroup stalled */
	assert_true(f->oom_flags & HMS_OOM_F_PRECEDED);
	assert_true(f->oom_pressure_ago_ms < 300000);
	assert_string_equal(f->oom_pressure_strategy, "alert");
	js = event_to_json_str(&f->hdr);
	assert_non_null(js);
	assert_non_null(strstr(js, "\"mem_pressure_before\":true"));
	/* the one-line why, for the processes view and status */
	assert_non_null(strstr(healer_find(t->healer, "memhog")->last_cause,
			       "cgroup usage/limit "));
	/* and what was done for the pressure (the status's last_oom) */
	assert_non_null(strstr(healer_find(t->healer, "memhog")->
			       last_oom.done, "alert ok"));
	assert_non_null(strstr(healer_find(t->healer, "memhog")->last_cause,
			       "/128M"));
	assert_non_null(strstr(healer_find(t->healer, "memhog")->last_cause,
			       "mem_pressure "));
	assert_non_null(strstr(js, "\"mem_pressure_strategy\":\"alert\""));
	free(js);
}

/* A reload keeps a running component in its cgroup with its triggers;
 * stopping removes the cgroup. */
static void test_reload_keeps_triggers(void **state)
{
	struct pts *s = *state;
	struct ht *t = &s->t;
	struct hms_config *cfg2 = NULL;
	char yaml[4096], path[1200], dir[512], want[300], *cg;
	const char *armed = NULL;
	pid_t pid;

	prepare(s, 0);
	snprintf(path, sizeof(path), "%s/hms_crasher", s->helper);
	snprintf(yaml, sizeof(yaml),
		 "daemon: {cgroup_parent: %s}\n"
		 "components:\n"
		 "  - name: idle\n"
		 "    command: [%s, sleep]\n"
		 "    start_grace_s: 0.1\n"
		 "    pressure:\n"
		 "      memory: {full: 500ms, window: 2s}\n"
		 "      io: {some: 1s, window: 4s}\n", s->parent, path);
	start(s, yaml);
	pid = healer_find(t->healer, "idle")->pid;
	assert_true(pid > 0);
	snprintf(dir, sizeof(dir), "%s/%s/idle", pressure_cgroup2_root(),
		 s->parent);
	assert_true(healer_pressure_armed(healer_find(t->healer, "idle"),
					  PRESSURE_MEMORY, &armed));
	assert_string_equal(armed, dir);
	assert_true(healer_pressure_armed(healer_find(t->healer, "idle"),
					  PRESSURE_IO, NULL));
	assert_false(healer_pressure_armed(healer_find(t->healer, "idle"),
					   PRESSURE_CPU, NULL));
	/* the same config again, as SIGHUP does */
	snprintf(path, sizeof(path), "%s/hms.yaml", t->dir);
	assert_int_equal(config_load_file(path, &cfg2, stderr), 0);
	assert_int_equal(healer_reload(t->healer, cfg2), 0);
	config_free(t->cfg);
	t->cfg = cfg2;
	assert_int_equal(healer_find(t->healer, "idle")->pid, pid);
	assert_true(healer_pressure_armed(healer_find(t->healer, "idle"),
					  PRESSURE_MEMORY, &armed));
	assert_string_equal(armed, dir);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), "0::/%s/idle", s->parent);
	cg = harness_slurp(path);
	assert_non_null(cg);
	assert_non_null(strstr(cg, want));
	free(cg);
	healer_free(t->healer);
	t->healer = NULL;
	assert_int_equal(access(dir, F_OK), -1);
}

static bool is_outcome_ok(const struct hms_event_hdr *ev, const void *arg)
{
	const struct hms_ev_outcome *o = (const void *)ev;

	return ev->type == HMS_EV_OUTCOME && o->success &&
	       !strcmp(o->failure, arg);
}

/* A service that wakes every 2 ms for 200 us of work, on the CPU a hog
 * spins on: it waits in the run queue (cpu pressure) until the cpu step
 * makes it SCHED_RR (on this loaded VM nice -20 with a short slice halves
 * the wait but does not end it: other work shares the CPU too). */
static void test_cpu_pressure_relieved(void **state)
{
	struct pts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_action *a;
	char yaml[10240], path[1100], cpu[8], dir[512];
	const struct hms_ev_outcome *o;
	uint64_t t0, t1, n0, n1;
	size_t at = 0, at2;

	prepare(s, 0);
	snprintf(cpu, sizeof(cpu), "%d", sysconf(_SC_NPROCESSORS_ONLN) > 1);
	snprintf(path, sizeof(path), "%s/hms_cpuload", s->helper);
	s->outside = fork();
	assert_true(s->outside >= 0);
	if (s->outside == 0) {
		execl(path, path, "spin", cpu, (char *)NULL);
		_exit(127);
	}
	snprintf(yaml, sizeof(yaml),
		 "daemon: {cgroup_parent: %s}\n"
		 "components:\n"
		 "  - name: latency\n"
		 "    command: [%s, tick, \"%s\", \"2000\", \"1000\"]\n"
		 "    start_grace_s: 0.1\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    budget: {max: 10, interval_s: 600}\n"
		 "    verify_s: 1\n"
		 "    pressure: {cpu: {some: 200ms, window: 2s}}\n"
		 "    on: {cpu_pressure: [[{alert: {}}, "
		 "{cpu: {rt_priority: 1}}]]}\n",
		 s->parent, path, cpu);
	start(s, yaml);
	assert_non_null(ht_wait(t, &at, ht_is_failure, "cpu_pressure", 60000));
	/* graduated: the first failure runs the first step only (an alert
	 * does not relieve anything), verified as a failure; the next
	 * failure continues with the cpu step */
	a = (const void *)ht_wait(t, &at, ht_is_action_done,
				  HT_ARG(ACTION_ALERT), 30000);
	assert_non_null(a);
	at2 = at;
	o = (const void *)ht_wait(t, &at2, ht_is_type, HT_ARG(HMS_EV_OUTCOME),
				  60000);
	assert_non_null(o);
	assert_false(o->success);
	at2 = at;
	a = (const void *)ht_wait(t, &at2, ht_is_action_done,
				  HT_ARG(ACTION_CPU), 60000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
	{
		/* the cpu step came after the alert's failed verification */
		size_t i_o = 0, i_a = 0;

		for (size_t i = 0; i < t->n; i++) {
			if (t->ev[i] == &o->hdr)
				i_o = i;
			if (t->ev[i] == &a->hdr)
				i_a = i;
		}
		assert_true(i_o < i_a);
	}
	at = at2;
	/* a verified success (a repeat is allowed while the scheduler
	 * settles), and the component healthy */
	assert_non_null(ht_wait(t, &at, is_outcome_ok, "cpu_pressure",
				120000));
	assert_int_equal(healer_component_state(t->healer, "latency"),
			 HEALER_HEALTHY);
	/* measured independently: below the threshold's 10% over 4 s */
	snprintf(dir, sizeof(dir), "%s/%s/latency", pressure_cgroup2_root(),
		 s->parent);
	assert_int_equal(pressure_read(dir, PRESSURE_CPU, false, NULL, &n0),
			 0);
	t0 = loop_now_ns();
	ht_pump(t, 4000);
	assert_int_equal(pressure_read(dir, PRESSURE_CPU, false, NULL, &n1),
			 0);
	t1 = loop_now_ns();
	assert_true((double)(n1 - n0) / ((t1 - t0) / 1000.0) < 0.10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mem_pressure_heals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mem_control_oom, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oom_after_pressure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cpu_pressure_relieved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_triggers,
						setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_pressure: needs root, skipped\n");
		return 0;
	}
	if (getenv("HMS_TEST_FILTER"))	/* one test: HMS_TEST_FILTER=name */
		cmocka_set_test_filter(getenv("HMS_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

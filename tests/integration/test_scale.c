// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_scale.c - 1,000 adopted components (matched by comm): the ones
 * running at start are adopted by the one pass over the process table,
 * the missing ones cost no pass over the process table once reported,
 * one that starts later is adopted from its exec event without any /proc
 * pass, and a crash heals that component and no other.  Functional only:
 * the speed of all this is bench/bench_scale.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "config.h"
#include "healer_int.h"
#include "healer_test.h"
#include "sensors.h"

#define N_COMPS	1000

static struct ht T;
static struct hms_sensors *S;
static pid_t running[3];	/* of c17, c500, c999 (c999 later) */
static pid_t restarted;

static pid_t main_pid(const char *name)
{
	struct hcomp *c = healer_find(T.healer, name);

	return c ? c->pid : 0;
}

static pid_t start_one(int i)
{
	char link[128];
	pid_t pid;

	snprintf(link, sizeof(link), "%s/hmsk%d", T.dir, i);
	pid = fork();
	if (pid == 0) {
		execl(link, link, "sleep", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* the process has exec'd (its comm is the link's name) */
static void wait_comm(pid_t pid, int i)
{
	char path[64], comm[32] = "", want[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	snprintf(want, sizeof(want), "hmsk%d\n", i);
	for (int k = 0; k < 500 && strcmp(comm, want); k++) {
		FILE *f = fopen(path, "r");

		comm[0] = '\0';
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (strcmp(comm, want))
			usleep(10000);
	}
}

static int setup(void **state)
{
	struct sensors_opts o;
	char path[128], link[128];
	FILE *f;

	(void)state;
	if (geteuid() != 0 || ht_init(&T))
		return -1;
	snprintf(path, sizeof(path), "%s/hms.yaml", T.dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "version: 1\ncomponents:\n");
	for (int i = 0; i < N_COMPS; i++)
		fprintf(f, "  - name: c%d\n    match: {comm: hmsk%d}\n"
			"    command: [%s/hmsk%d, sleep]\n"
			"    verify_s: 0.3\n    backoff: {initial_ms: 0}\n"
			/* the 998 missing ones stay "starting": no
			 * failure churn during the test */
			"    start_grace_s: 3600\n"
			"    on: {crash: [restart], killed: [restart]}\n",
			i, i, T.dir, i);
	/* and three that fail as missing at once: looked for once more
	 * after failing, then left to exec events */
	for (int i = 0; i < 3; i++)
		fprintf(f, "  - name: m%d\n    match: {comm: hmsgone%d}\n"
			"    command: [/bin/true]\n    start_grace_s: 0.1\n"
			"    missing_check_s: 1\n"
			"    on: {crash: [restart]}\n", i, i);
	fclose(f);
	if (config_load_file(path, &T.cfg, stderr))
		return -1;
	for (int i = 0; i < 3; i++) {
		int n = (int[]){ 17, 500, 999 }[i];

		snprintf(link, sizeof(link), "%s/hmsk%d", T.dir, n);
		if (symlink(T.crasher, link) < 0)
			return -1;
	}
	running[0] = start_one(17);
	running[1] = start_one(500);
	wait_comm(running[0], 17);
	wait_comm(running[1], 500);
	sensors_opts_default(&o);
	o.families = SENSORS_PROC;
	if (sensors_new(&o, T.loop, T.bus, &S))
		return -1;
	return healer_new(T.cfg, T.loop, T.bus, NULL, S, NULL, &T.healer);
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static int teardown(void **state)
{
	char link[128];

	(void)state;
	healer_free(T.healer);	/* adopted: they keep running */
	T.healer = NULL;
	sensors_free(S);
	for (int i = 0; i < 3; i++)
		reap(running[i]);
	reap(restarted);
	for (int i = 0; i < 3; i++) {
		snprintf(link, sizeof(link), "%s/hmsk%d", T.dir,
			 (int[]){ 17, 500, 999 }[i]);
		unlink(link);
	}
	ht_fini(&T);
	return 0;
}

static bool is_healthy_of(const struct hms_event_hdr *ev, const void *arg)
{
	const struct hms_ev_component *e = (const void *)ev;

	return ev->type == HMS_EV_COMPONENT_STATE &&
	       e->new_state == HEALER_HEALTHY && !strcmp(e->component, arg);
}

static void test_adopted_at_start(void **state)
{
	(void)state;
	assert_int_equal(main_pid("c17"), running[0]);
	assert_int_equal(main_pid("c500"), running[1]);
	assert_int_equal(healer_component_state(T.healer, "c17"),
			 HEALER_HEALTHY);
	assert_int_equal(healer_component_state(T.healer, "c500"),
			 HEALER_HEALTHY);
	/* the others match nothing */
	assert_int_equal(main_pid("c16"), 0);
	assert_int_equal(main_pid("c999"), 0);
	assert_int_not_equal(healer_component_state(T.healer, "c18"),
			     HEALER_HEALTHY);
}

/* The 997 that match nothing (starting, as configured here) and the
 * three reported missing (failed, looked for once more) are found by exec
 * events when they run: no pass over the process table for them while
 * nothing happens (there was one every second for a failed one). */
static void test_missing_ones_cost_no_passes(void **state)
{
	uint64_t tp0, pp0, tp1, pp1;

	(void)state;
	ht_pump(&T, 2500);	/* m0-m2 failed (1 s) and looked for once */
	healer_scan_counts(T.healer, &tp0, &pp0);
	ht_pump(&T, 3000);
	healer_scan_counts(T.healer, &tp1, &pp1);
	assert_int_equal(healer_component_state(T.healer, "c18"),
			 HEALER_STARTING);
	assert_int_equal(healer_component_state(T.healer, "m1"),
			 HEALER_FAILED);
	assert_int_equal(tp1, tp0);
	assert_int_equal(pp1, pp0);
}

static void test_adopted_by_exec_without_proc_scan(void **state)
{
	uint64_t tp0, pp0, tp1, pp1;
	size_t at = 0;

	(void)state;
	ht_clear(&T);
	healer_scan_counts(T.healer, &tp0, &pp0);
	running[2] = start_one(999);
	assert_non_null(ht_wait(&T, &at, is_healthy_of, "c999", 20000));
	assert_int_equal(main_pid("c999"), running[2]);
	healer_scan_counts(T.healer, &tp1, &pp1);
	/* found from its exec event: no pass over /proc */
	assert_int_equal(pp1, pp0);
}

/* a SIGSEGV we send is "killed" (a sender), one it raises "crash" */
static bool is_crash_of(const struct hms_event_hdr *ev, const void *arg)
{
	const struct hms_ev_failure *f = (const void *)ev;

	return ev->type == HMS_EV_FAILURE && strcmp(f->failure, "missing") &&
	       !strcmp(f->component, arg);
}

static bool is_failure(const struct hms_event_hdr *ev, const void *arg)
{
	const struct hms_ev_failure *f = (const void *)ev;

	(void)arg;
	return ev->type == HMS_EV_FAILURE && strcmp(f->failure, "missing");
}

static void test_crash_heals_the_right_one(void **state)
{
	const struct hms_ev_action *a;
	size_t at = 0, other = 0;
	const struct hms_event_hdr *f;

	(void)state;
	ht_clear(&T);
	kill(running[1], SIGSEGV);
	assert_non_null(ht_wait(&T, &at, is_crash_of, "c500", 20000));
	a = (const void *)ht_wait(&T, &at, ht_is_action_done,
				  HT_ARG(ACTION_RESTART), 20000);
	assert_non_null(a);
	assert_string_equal(a->component, "c500");
	assert_int_equal(a->result, 0);
	waitpid(running[1], NULL, WNOHANG);
	running[1] = 0;
	restarted = (pid_t)a->hdr.tgid;
	assert_int_equal(main_pid("c500"), restarted);
	/* nobody else failed or moved */
	f = ht_wait(&T, &other, is_failure, NULL, 0);
	assert_non_null(f);
	assert_string_equal(((const struct hms_ev_failure *)f)->component,
			    "c500");
	assert_null(ht_wait(&T, &other, is_failure, NULL, 500));
	assert_int_equal(main_pid("c17"), running[0]);
	assert_int_equal(main_pid("c999"), running[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adopted_at_start),
		cmocka_unit_test(test_missing_ones_cost_no_passes),
		cmocka_unit_test(test_adopted_by_exec_without_proc_scan),
		cmocka_unit_test(test_crash_heals_the_right_one),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_scale: needs root, skipped\n");
		return 0;
	}
	if (ht_find_crasher(&T)) {
		fprintf(stderr, "test_scale: hms_crasher not built\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}

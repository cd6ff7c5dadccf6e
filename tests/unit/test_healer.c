// SPDX-License-Identifier: BSD-2-Clause
/* test_healer.c - the healer without BPF (no root): backoff arithmetic and
 * windows, and the policy against real child processes seen through
 * pidfds only: a crash is restarted and verified, a crash loop grows its
 * delays and gives up after the budget, a daemonizing service stays the
 * component, dry-run runs nothing, a hanging hook is killed with its
 * group at its timeout, a reload with a valid config resets gave_up, a
 * signal action's alternatives are learned (with a real registry) and a
 * pinned strategy is an override. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <time.h>
#include "harness.h"
#include "healer_test.h"
#include "healer_int.h"
#include "registry.h"

static void test_backoff(void **state)
{
	struct cfg_backoff b = { .initial_ms = 100, .factor = 2.0,
				 .max_ms = 1000, .jitter = 0 };
	const uint64_t want[] = { 100, 200, 400, 800, 1000, 1000 };
	uint64_t rng = 42;

	(void)state;
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(healer_backoff_ms(&b, i, NULL), want[i]);
	b.jitter = 0.1;
	for (int i = 0; i < 1000; i++) {
		uint64_t d = healer_backoff_ms(&b, 2, &rng);

		assert_true(d >= 360 && d <= 440);
	}
}

static void test_window(void **state)
{
	uint64_t ring[HC_RING];
	size_t n = 0;

	(void)state;
	for (uint64_t t = 1; t <= 100; t++)
		healer_ring_push(ring, &n, t * 1000);
	assert_int_equal(n, HC_RING);
	assert_int_equal(healer_window_count(ring, n, 100000, 10500), 11);
	assert_int_equal(healer_window_count(ring, n, 100000, 1), 1);
	assert_int_equal(healer_window_count(ring, n, 200000, 1000), 0);
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct ht));
	return *state ? 0 : -1;
}

/* Runs even when an assertion failed: nothing of ours stays behind. */
static int teardown(void **state)
{
	struct ht *t = *state;

	if (t->loop)
		ht_fini(t);
	free(t);
	return 0;
}

static int start(struct ht *t, const char *yaml)
{
	if (ht_init(t) || ht_config(t, yaml))
		return -1;
	return healer_new(t->cfg, t->loop, t->bus, NULL, NULL, NULL,
			  &t->healer);
}

static pid_t main_pid(struct ht *t, const char *name)
{
	struct hcomp *c = healer_find(t->healer, name);

	return c ? c->pid : 0;
}

static void test_crash_restart(void **state)
{
	const struct hms_ev_failure *f;
	const struct hms_ev_outcome *o;
	struct ht *tp = *state;
	size_t at = 0;
	pid_t pid, pid2;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: svc\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.1\n"
		"    verify_s: 0.3\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [restart]}\n"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state,
				HT_ARG(HEALER_HEALTHY), 10000));
	pid = main_pid(tp, "svc");
	assert_true(pid > 0);
	kill(pid, SIGSEGV);
	f = (const void *)ht_wait(tp, &at, ht_is_failure, "crash", 10000);
	assert_non_null(f);
	assert_int_equal(f->signal, SIGSEGV);
	assert_int_equal(f->hdr.tgid, pid);
	assert_string_equal(f->component, "svc");
	assert_non_null(ht_wait(tp, &at, ht_is_action_done,
				HT_ARG(ACTION_RESTART), 10000));
	o = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_OUTCOME),
				  10000);
	assert_non_null(o);
	assert_true(o->success);
	assert_string_equal(o->failure, "crash");
	pid2 = main_pid(tp, "svc");
	assert_true(pid2 > 0 && pid2 != pid);
	assert_int_equal(kill(pid2, 0), 0);
	assert_int_equal(healer_component_state(tp->healer, "svc"),
			 HEALER_HEALTHY);
	/* healer_free stops it (and reaps it) */
	healer_free(tp->healer);
	tp->healer = NULL;
	assert_true(kill(pid2, 0) < 0);
}

static void test_crash_loop_backoff_budget(void **state)
{
	const struct hms_event_hdr *ev;
	uint64_t times[8];
	const struct hms_ev_alert *al;
	struct ht *tp = *state;
	size_t at = 0, n = 0;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: loop\n"
		"    command: [%1$s, segv]\n"
		"    backoff: {initial_ms: 50, factor: 2.0, max_ms: 5000, "
		"jitter: 0}\n"
		"    budget: {max: 4, interval_s: 60}\n"
		"    crash_loop: {count: 100, window_s: 60}\n"
		"    on: {crash: [restart]}\n"), 0);
	while (n < 4 && (ev = ht_wait(tp, &at, ht_is_action_done,
				      HT_ARG(ACTION_RESTART), 20000)))
		times[n++] = ev->ts_ns;
	assert_int_equal(n, 4);
	/* each restart waits its backoff after the crash that came right
	 * after the previous restart: at least 100, 200, 400 ms (lower
	 * bounds set by our timers, not a speed assertion) */
	for (size_t i = 1; i < n; i++)
		assert_true(times[i] - times[i - 1] >=
			    (50000000ull << i));
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_GAVE_UP),
				20000));
	al = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_ALERT),
				   5000);
	assert_non_null(al);
	assert_int_equal(al->severity, 2);
	assert_int_equal(healer_component_state(tp->healer, "loop"),
			 HEALER_GAVE_UP);
	/* no more restarts once given up */
	ht_pump(tp, 300);
	assert_null(ht_wait(tp, &at, ht_is_action_done, HT_ARG(ACTION_RESTART),
			    1));
	/* an operator reset runs it again */
	assert_int_equal(healer_reset(tp->healer, "loop"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_action_done,
				HT_ARG(ACTION_RESTART), 20000));
}

static void test_daemonize(void **state)
{
	struct ht *tp = *state;
	size_t at = 0;
	pid_t first, gc;
	char path[128];
	FILE *f;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: d\n"
		"    command: [%1$s, daemonize, %2$s/pid]\n"
		"    start_grace_s: 0.5\n"
		"    on: {crash: [restart], missing: [restart]}\n"), 0);
	first = main_pid(tp, "d");
	assert_non_null(ht_wait(tp, &at, ht_is_state,
				HT_ARG(HEALER_HEALTHY), 10000));
	snprintf(path, sizeof(path), "%s/pid", tp->dir);
	gc = 0;
	for (int i = 0; i < 500 && (!gc || main_pid(tp, "d") != gc); i++) {
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &gc) != 1)
				gc = 0;
			fclose(f);
		}
		ht_pump(tp, 20);
	}
	/* the grandchild is the component now, no failure was seen */
	assert_true(gc > 0);
	assert_int_equal(main_pid(tp, "d"), gc);
	assert_true(gc != first);
	at = 0;
	assert_null(ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_FAILURE), 1));
	/* and its crash is the component's crash */
	kill(gc, SIGSEGV);
	assert_non_null(ht_wait(tp, &at, ht_is_failure, "crash", 10000));
	assert_non_null(ht_wait(tp, &at, ht_is_action_done,
				HT_ARG(ACTION_RESTART), 10000));
}

static void test_dry_run(void **state)
{
	struct ht *tp = *state;
	size_t at = 0;
	char marker[128];
	const struct hms_ev_action *a;

	assert_int_equal(start(tp,
		"daemon: {dry_run: true}\n"
		"strategies:\n"
		"  hook: [{exec: [%1$s, touch, %2$s/marker]}, {restart: {}}]\n"
		"components:\n"
		"  - name: dry\n"
		"    command: [%1$s, touch, %2$s/marker]\n"
		"    on: {crash: [hook], missing: [hook]}\n"), 0);
	a = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_ACTION),
				  5000);
	assert_non_null(a);
	assert_int_equal(a->phase, 2);
	assert_true(a->dry_run);
	assert_int_equal(main_pid(tp, "dry"), 0);
	/* an operator heal: decided and published, nothing run */
	assert_int_equal(healer_heal_now(tp->healer, "dry"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_STRATEGY),
				5000));
	a = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_ACTION),
				  5000);
	assert_non_null(a);
	assert_int_equal(a->kind, ACTION_EXEC);
	assert_int_equal(a->phase, 2);
	a = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_ACTION),
				  5000);
	assert_non_null(a);
	assert_int_equal(a->kind, ACTION_RESTART);
	assert_int_equal(a->phase, 2);
	ht_pump(tp, 300);
	snprintf(marker, sizeof(marker), "%s/marker", tp->dir);
	assert_true(access(marker, F_OK) < 0);
	assert_int_equal(main_pid(tp, "dry"), 0);
}

/* ms `hms_crasher hang-group` takes here from fork to its child's pid
 * in the pidfile (an ASan build on a loaded machine: seconds). */
static long hang_group_start_ms(void)
{
	char dir[] = "/tmp/hms-hook-XXXXXX", file[64], *s;
	struct timespec t0, t1;
	struct ht tmp;
	pid_t pid, child = 0;

	assert_int_equal(ht_find_crasher(&tmp), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/pid", dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		execl(tmp.crasher, tmp.crasher, "hang-group", file,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 6000 && !child; i++) {
		s = harness_slurp(file);
		child = s && strchr(s, '\n') ? atoi(s) : 0;
		free(s);
		if (!child)
			usleep(5000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(file);
	rmdir(dir);
	assert_true(child > 0);
	return (t1.tv_sec - t0.tv_sec) * 1000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

/* The hook must time out after it started its child, so its timeout is
 * 300 ms plus three times what the helper was seen to take to get there
 * (not a fixed 300 ms: an ASan-built helper may need longer to start). */
static void test_hook_timeout(void **state)
{
	const struct hms_ev_action *a;
	struct ht *tp = *state;
	size_t at = 0;
	char path[128], yaml[1024];
	pid_t child = 0;
	FILE *f;

	snprintf(yaml, sizeof(yaml),
		"strategies:\n"
		"  hang: [{exec: {argv: [%%1$s, hang-group, %%2$s/pid], "
		"timeout_ms: %ld}}, {restart: {}}]\n"
		"components:\n"
		"  - name: hk\n"
		"    command: [%%1$s, sleep]\n"
		"    start_grace_s: 0.1\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [hang]}\n", 300 + 3 * hang_group_start_ms());
	assert_int_equal(start(tp, yaml), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state,
				HT_ARG(HEALER_HEALTHY), 10000));
	kill(main_pid(tp, "hk"), SIGABRT);
	a = (const void *)ht_wait(tp, &at, ht_is_action_done,
				  HT_ARG(ACTION_EXEC), 10000);
	assert_non_null(a);
	assert_int_equal(a->result, -ETIMEDOUT);
	/* the failed hook is a failure outcome, the healer goes on */
	assert_non_null(ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_OUTCOME),
				5000));
	snprintf(path, sizeof(path), "%s/pid", tp->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &child), 1);
	fclose(f);
	/* the hook's child went with its group (and was reaped by us) */
	for (int i = 0; i < 200 && kill(child, 0) == 0; i++)
		ht_pump(tp, 50);
	assert_int_equal(kill(child, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_reload(void **state)
{
	struct hms_config *old;
	struct ht *tp = *state;
	size_t at = 0;
	pid_t pid;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: r\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.1\n"
		"    budget: {max: 1, interval_s: 60}\n"
		"    backoff: {initial_ms: 0}\n"
		"    verify_s: 0.1\n"
		"    on: {crash: [restart]}\n"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state,
				HT_ARG(HEALER_HEALTHY), 10000));
	kill(main_pid(tp, "r"), SIGSEGV);
	assert_non_null(ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_OUTCOME),
				10000));
	kill(main_pid(tp, "r"), SIGSEGV);
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_GAVE_UP),
				10000));
	/* a valid new config replaces the old one whole; gave_up resets */
	old = tp->cfg;
	tp->cfg = NULL;
	assert_int_equal(ht_config(tp,
		"components:\n"
		"  - name: r\n"
		"    command: [%1$s, sleep]\n"
		"    backoff: {initial_ms: 0}\n"
		"    verify_s: 0.1\n"), 0);
	assert_int_equal(healer_reload(tp->healer, tp->cfg), 0);
	config_free(old);
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				10000));
	pid = main_pid(tp, "r");
	assert_true(pid > 0 && kill(pid, 0) == 0);
	assert_int_equal(healer_component_state(tp->healer, "r"),
			 HEALER_HEALTHY);
}

static void publish_fake(struct ht *t, unsigned int type, size_t size,
			 pid_t pid, uint64_t value)
{
	union {
		struct hms_ev_net net;
		struct hms_ev_runq runq;
		struct hms_ev_hang hang;
	} u;

	memset(&u, 0, sizeof(u));
	event_init(&u.net.hdr, type, size);
	u.net.hdr.tgid = (uint32_t)pid;
	if (type >= HMS_EV_CONNECT_FAIL && type <= HMS_EV_TCP_RETRANSMIT)
		u.net.sport = (uint16_t)value;	/* one socket per value */
	else if (type == HMS_EV_RUNQ_LATENCY)
		u.runq.latency_ns = value;
	else if (type == HMS_EV_HANG)
		u.hang.blocked_ns = value;
	bus_publish(t->bus, &u.net.hdr);
}

/* starved is sustained starvation: one 110 ms wait (default threshold
 * 100 ms) does not trip it; with no strategy the component is degraded
 * and healthy again once the waits stayed below the count for a window. */
static void test_starved_sustained_clears(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_component *e;
	size_t at = 0;
	pid_t pid, pid2;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: dflt\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.01\n"
		"  - name: st\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.01\n"
		"    starved: {count: 3, window_s: 0.5}\n"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				10000));
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				10000));
	pid = main_pid(tp, "dflt");
	pid2 = main_pid(tp, "st");
	publish_fake(tp, HMS_EV_RUNQ_LATENCY, sizeof(struct hms_ev_runq), pid,
		     110000000);
	for (int i = 0; i < 2; i++)
		publish_fake(tp, HMS_EV_RUNQ_LATENCY,
			     sizeof(struct hms_ev_runq), pid2, 150000000);
	ht_pump(tp, 100);
	assert_null(ht_wait(tp, &at, ht_is_failure, "starved", 1));
	assert_int_equal(healer_component_state(tp->healer, "dflt"),
			 HEALER_HEALTHY);
	publish_fake(tp, HMS_EV_RUNQ_LATENCY, sizeof(struct hms_ev_runq), pid2,
		     150000000);
	assert_non_null(ht_wait(tp, &at, ht_is_failure, "starved", 5000));
	assert_int_equal(healer_component_state(tp->healer, "st"),
			 HEALER_DEGRADED);
	e = (const void *)ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				  10000);
	assert_non_null(e);
	assert_string_equal(e->component, "st");
	assert_non_null(strstr(e->reason, "starved cleared"));
}

/* hang, net and starved come from sensor events attributed by pid */
static void test_detect_events(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_failure *f;
	const struct hms_ev_alert *al;
	size_t at = 0;
	pid_t pid;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: ev\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.05\n"
		"    verify_s: 0.05\n"
		"    backoff: {initial_ms: 0}\n"
		"    net: {threshold: 3, window_s: 10}\n"
		"    starved_us: 5000\n"
		"    starved: {count: 2, window_s: 10}\n"
		"    on:\n"
		"      net: [{alert: {severity: info, message: net storm}}]\n"
		"      starved: [{cpu: {nice: 7}}]\n"
		"      hang: [{alert: {message: hung}}]\n"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state,
				HT_ARG(HEALER_HEALTHY), 10000));
	pid = main_pid(tp, "ev");
	/* two resets are under the threshold, the third is a storm */
	publish_fake(tp, HMS_EV_TCP_RESET_RECV, sizeof(struct hms_ev_net),
		     pid, 40001);
	publish_fake(tp, HMS_EV_CONNECT_FAIL, sizeof(struct hms_ev_net),
		     pid, 40002);
	/* the same error of the same socket seen again counts once */
	publish_fake(tp, HMS_EV_SOCK_ERROR, sizeof(struct hms_ev_net),
		     pid, 40002);
	assert_null(ht_wait(tp, &at, ht_is_failure, "net", 1));
	publish_fake(tp, HMS_EV_TCP_RETRANSMIT, sizeof(struct hms_ev_net),
		     pid, 40003);
	f = (const void *)ht_wait(tp, &at, ht_is_failure, "net", 5000);
	assert_non_null(f);
	assert_int_equal(healer_component_state(tp->healer, "ev"),
			 HEALER_DEGRADED);
	al = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_ALERT),
				   5000);
	assert_non_null(al);
	assert_string_equal(al->message, "net storm");
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				5000));
	/* a short wait is no starvation, nor is one long wait; sustained
	 * long ones are; cpu lowers nice */
	publish_fake(tp, HMS_EV_RUNQ_LATENCY, sizeof(struct hms_ev_runq), pid,
		     1000000);
	publish_fake(tp, HMS_EV_RUNQ_LATENCY, sizeof(struct hms_ev_runq), pid,
		     9000000);
	assert_null(ht_wait(tp, &at, ht_is_failure, "starved", 1));
	publish_fake(tp, HMS_EV_RUNQ_LATENCY, sizeof(struct hms_ev_runq), pid,
		     9000000);
	assert_non_null(ht_wait(tp, &at, ht_is_failure, "starved", 5000));
	assert_non_null(ht_wait(tp, &at, ht_is_action_done, HT_ARG(ACTION_CPU),
				5000));
	errno = 0;
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)pid), 7);
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				5000));
	/* events of other processes are not the component's */
	publish_fake(tp, HMS_EV_HANG, sizeof(struct hms_ev_hang), 1, 1);
	assert_null(ht_wait(tp, &at, ht_is_failure, "hang", 1));
	publish_fake(tp, HMS_EV_HANG, sizeof(struct hms_ev_hang), pid,
		     150000000000ull);
	assert_non_null(ht_wait(tp, &at, ht_is_failure, "hang", 5000));
	al = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_ALERT),
				   5000);
	assert_non_null(al);
	assert_string_equal(al->message, "hung");
	assert_int_equal(main_pid(tp, "ev"), pid);	/* never restarted */
}

/* crash_loop: N failures in the window switch to its strategies */
static void test_crash_loop_class(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_strategy *st;
	size_t at = 0;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: cl\n"
		"    command: [%1$s, exit, \"3\"]\n"
		"    backoff: {initial_ms: 10, factor: 1}\n"
		"    budget: {max: 10, interval_s: 60}\n"
		"    crash_loop: {count: 3, window_s: 60}\n"
		"    on:\n"
		"      exit: [restart]\n"
		"      crash_loop: [{alert: {severity: critical}}]\n"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_failure, "exit", 10000));
	assert_non_null(ht_wait(tp, &at, ht_is_failure, "crash_loop", 10000));
	st = (const void *)ht_wait(tp, &at, ht_is_type,
				   HT_ARG(HMS_EV_STRATEGY), 5000);
	assert_non_null(st);
	assert_string_equal(st->failure, "crash_loop");
	assert_string_equal(st->strategy, "cl.crash_loop.0");
	/* the alert-only strategy restarts nothing: it stays down */
	ht_pump(tp, 200);
	assert_int_equal(main_pid(tp, "cl"), 0);
}

/* depends_on: started in order; a failing dependency degrades */
static void test_depends_on(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_component *cs;
	size_t at = 0;
	pid_t db, api;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: api\n"
		"    command: [%1$s, sleep]\n"
		"    depends_on: [db]\n"
		"    start_grace_s: 0.05\n"
		"  - name: db\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.05\n"
		"    backoff: {initial_ms: 100}\n"
		"    verify_s: 0.1\n"), 0);
	db = main_pid(tp, "db");
	api = main_pid(tp, "api");
	assert_true(db > 0 && api > db);	/* db first */
	cs = (const void *)ht_wait(tp, &at, ht_is_state,
				   HT_ARG(HEALER_HEALTHY), 5000);
	assert_non_null(cs);
	ht_pump(tp, 100);
	assert_int_equal(healer_component_state(tp->healer, "api"),
			 HEALER_HEALTHY);
	kill(db, SIGKILL);
	at = 0;
	for (;;) {
		cs = (const void *)ht_wait(tp, &at, ht_is_state,
					   HT_ARG(HEALER_DEGRADED), 5000);
		assert_non_null(cs);
		if (!strcmp(cs->component, "api"))
			break;
	}
	assert_non_null(strstr(cs->reason, "dependency db failed"));
	for (;;) {
		cs = (const void *)ht_wait(tp, &at, ht_is_state,
					   HT_ARG(HEALER_HEALTHY), 10000);
		assert_non_null(cs);
		if (!strcmp(cs->component, "api"))
			break;
	}
	assert_int_equal(main_pid(tp, "api"), api);
}

/* an adopted component that is not running is missing: started */
static void test_missing_adopted(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_action *a;
	size_t at = 0;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: gone\n"
		"    match: {pidfile: /nonexistent/hms-test.pid}\n"
		"    command: [%1$s, sleep]\n"
		"    on_daemon_stop: stop\n"	/* the test's process: gone */
		"    start_grace_s: 0.1\n"
		"    backoff: {initial_ms: 0}\n"), 0);
	assert_int_equal(main_pid(tp, "gone"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_failure, "missing", 10000));
	a = (const void *)ht_wait(tp, &at, ht_is_action_done,
				  HT_ARG(ACTION_RESTART), 10000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
	assert_true(main_pid(tp, "gone") > 0);
}

/* a start command that cannot run: retried with backoff, then gave_up;
 * the healer itself carries on */
static void test_bad_command(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_action *a;
	size_t at = 0;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: bad\n"
		"    command: [/nonexistent/hms-no-such-binary]\n"
		"    backoff: {initial_ms: 10}\n"
		"    budget: {max: 2, interval_s: 60}\n"
		"  - name: good\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.05\n"), 0);
	a = (const void *)ht_wait(tp, &at, ht_is_action_done,
				  HT_ARG(ACTION_RESTART), 10000);
	assert_non_null(a);
	assert_int_equal(a->result, -ENOENT);
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_GAVE_UP),
				10000));
	at = 0;
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				10000));
	assert_int_equal(healer_component_state(tp->healer, "good"),
			 HEALER_HEALTHY);
	assert_true(main_pid(tp, "good") > 0);
}

/* user, group, cwd and environment of the component and of its hooks */
static void test_identity_env(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_action *a;
	char path[128], want[128], *text = NULL;
	size_t at = 0, len = 0;
	pid_t pid;
	FILE *f;

	if (geteuid() != 0)
		skip();
	assert_int_equal(start(tp,
		"strategies:\n"
		"  report: [{exec: [%1$s, env, %2$s/env.txt]}]\n"
		"components:\n"
		"  - name: who\n"
		"    command: [%1$s, sleep]\n"
		"    user: nobody\n"
		"    group: nogroup\n"
		"    cwd: /tmp\n"
		"    env: {FOO: bar}\n"
		"    start_grace_s: 0.05\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [report]}\n"), 0);
	/* the hook (as nobody) writes into our private dir */
	assert_int_equal(chmod(tp->dir, 0777), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state,
				HT_ARG(HEALER_HEALTHY), 10000));
	pid = main_pid(tp, "who");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "Uid:\t65534\t65534"));
	free(text);
	text = NULL;
	kill(pid, SIGSEGV);
	a = (const void *)ht_wait(tp, &at, ht_is_action_done,
				  HT_ARG(ACTION_EXEC), 10000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
	snprintf(path, sizeof(path), "%s/env.txt", tp->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	unlink(path);
	assert_non_null(strstr(text, "uid=65534 "));
	assert_non_null(strstr(text, "cwd=/tmp\n"));
	assert_non_null(strstr(text, "HMS_COMPONENT=who\n"));
	assert_non_null(strstr(text, "HMS_FAILURE=crash\n"));
	assert_non_null(strstr(text, "HMS_SIGNAL=11\n"));
	snprintf(want, sizeof(want), "HMS_PID=%d\n", (int)pid);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "FOO=bar\n"));
	free(text);
}

/* adopt matching by comm, exe, cgroup and pidfile */
static void test_match(void **state)
{
	struct cfg_component cc;
	char exe[PATH_MAX], line[512], pidfile[64], *p;
	struct ht t;
	pid_t pid;
	FILE *f;

	(void)state;
	assert_int_equal(ht_find_crasher(&t), 0);
	assert_non_null(realpath(t.crasher, exe));
	pid = fork();
	if (pid == 0) {
		execl(exe, exe, "sleep", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		char comm[32] = "";

		snprintf(line, sizeof(line), "/proc/%d/comm", (int)pid);
		f = fopen(line, "r");
		if (f && fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "hms_crasher", 11)) {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	memset(&cc, 0, sizeof(cc));
	cc.match = MATCH_COMM;
	snprintf(cc.match_value, sizeof(cc.match_value), "hms_crasher");
	assert_true(healer_matches(&cc, pid, NULL, NULL));
	snprintf(cc.match_value, sizeof(cc.match_value), "hms_crash");
	assert_false(healer_matches(&cc, pid, NULL, NULL));
	cc.match = MATCH_EXE;
	snprintf(cc.match_value, sizeof(cc.match_value), "%.255s", exe);
	assert_true(healer_matches(&cc, pid, NULL, NULL));
	snprintf(cc.match_value, sizeof(cc.match_value), "/bin/sleep");
	assert_false(healer_matches(&cc, pid, NULL, NULL));
	/* the file, not the path string: a copy of it at another path is
	 * another inode (no match), a hard link the same one (match) */
	{
		char copy[128], hard[128];
		pid_t cp;

		snprintf(copy, sizeof(copy), "/tmp/hms-match-copy-%d",
			 (int)getpid());
		snprintf(hard, sizeof(hard), "%s/hms-match-link-%d",
			 dirname(strdupa(exe)), (int)getpid());
		cp = fork();
		if (cp == 0) {
			execlp("cp", "cp", exe, copy, (char *)NULL);
			_exit(127);
		}
		waitpid(cp, NULL, 0);
		snprintf(cc.match_value, sizeof(cc.match_value), "%s", copy);
		assert_false(healer_matches(&cc, pid, NULL, NULL));
		unlink(copy);
		if (link(exe, hard) == 0) {
			snprintf(cc.match_value, sizeof(cc.match_value), "%s",
				 hard);
			assert_true(healer_matches(&cc, pid, NULL, NULL));
			unlink(hard);
		}
	}
	/* the cgroup path as /proc/PID/cgroup shows it */
	snprintf(line, sizeof(line), "/proc/%d/cgroup", (int)pid);
	f = fopen(line, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	p = strchr(strchr(line, ':') + 1, ':') + 1;
	cc.match = MATCH_CGROUP;
	snprintf(cc.match_value, sizeof(cc.match_value), "%s", p);
	assert_true(healer_matches(&cc, pid, NULL, NULL));
	snprintf(cc.match_value, sizeof(cc.match_value), "/hms-no-such");
	assert_false(healer_matches(&cc, pid, NULL, NULL));
	snprintf(pidfile, sizeof(pidfile), "/tmp/hms-match-%d.pid",
		 (int)getpid());
	f = fopen(pidfile, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
	cc.match = MATCH_PIDFILE;
	snprintf(cc.match_value, sizeof(cc.match_value), "%s", pidfile);
	assert_true(healer_matches(&cc, pid, NULL, NULL));
	assert_false(healer_matches(&cc, getpid(), NULL, NULL));
	unlink(pidfile);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool is_recovering_of(const struct hms_event_hdr *ev, const void *arg)
{
	const struct hms_ev_component *cs = (const void *)ev;

	return ev->type == HMS_EV_COMPONENT_STATE &&
	       cs->new_state == HEALER_RECOVERING && !strcmp(cs->component, arg);
}

static bool is_exec_done_of(const struct hms_event_hdr *ev, const void *arg)
{
	const struct hms_ev_action *a = (const void *)ev;

	return ev->type == HMS_EV_ACTION && a->kind == ACTION_EXEC &&
	       a->phase == 1 && !strcmp(a->component, arg);
}

/* max_concurrent_actions: 1 -> the second recovery waits for the first */
static void test_global_limit(void **state)
{
	struct ht *tp = *state;
	size_t at = 0, first_done, second_start;
	const char *first, *second;
	pid_t a, b;

	assert_int_equal(start(tp,
		"daemon: {max_concurrent_actions: 1}\n"
		"strategies:\n"
		"  slow: [{exec: [%1$s, exit, \"0\", \"300\"]}, {restart: {}}]\n"
		"components:\n"
		"  - {name: a, command: [%1$s, sleep], start_grace_s: 0.05,\n"
		"     backoff: {initial_ms: 0}, on: {crash: [slow]}}\n"
		"  - {name: b, command: [%1$s, sleep], start_grace_s: 0.05,\n"
		"     backoff: {initial_ms: 0}, on: {crash: [slow]}}\n"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				5000));
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				5000));
	a = main_pid(tp, "a");
	b = main_pid(tp, "b");
	kill(a, SIGSEGV);
	kill(b, SIGSEGV);
	at = 0;
	assert_non_null(ht_wait(tp, &at, ht_is_state,
				HT_ARG(HEALER_RECOVERING), 10000));
	first = ((const struct hms_ev_component *)tp->ev[at - 1])->component;
	second = !strcmp(first, "a") ? "b" : "a";
	assert_non_null(ht_wait(tp, &at, is_exec_done_of, first, 10000));
	first_done = at;
	at = 0;
	assert_non_null(ht_wait(tp, &at, is_recovering_of, second, 10000));
	second_start = at;
	/* the second began only once the first's chain was done */
	assert_true(second_start > first_done);
	assert_non_null(ht_wait(tp, &at, is_exec_done_of, second, 10000));
}

/* restart of a running component: its stop signal, SIGKILL at the stop
 * timeout, its whole process group, then the new instance */
static void test_stop_timeout(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_action *a;
	char path[128];
	size_t at = 0;
	pid_t old, child = 0;
	FILE *f;

	assert_int_equal(start(tp,
		"components:\n"
		"  - name: stubborn\n"
		"    command: [%1$s, hang-group, %2$s/pid]\n"
		"    stop_timeout_s: 0.2\n"
		"    start_grace_s: 0.05\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {missing: [restart], killed: [restart]}\n"), 0);
	assert_non_null(ht_wait(tp, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				5000));
	old = main_pid(tp, "stubborn");
	snprintf(path, sizeof(path), "%s/pid", tp->dir);
	for (int i = 0; i < 100 && !child; i++) {
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &child) != 1)
				child = 0;
			fclose(f);
		}
		if (!child)
			ht_pump(tp, 20);
	}
	assert_true(child > 0);
	assert_int_equal(healer_heal_now(tp->healer, "stubborn"), 0);
	a = (const void *)ht_wait(tp, &at, ht_is_type, HT_ARG(HMS_EV_ACTION),
				  5000);
	assert_non_null(a);
	assert_int_equal(a->phase, 0);	/* stopping: TERM is ignored */
	a = (const void *)ht_wait(tp, &at, ht_is_action_done,
				  HT_ARG(ACTION_RESTART), 10000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
	assert_true(main_pid(tp, "stubborn") != old);
	/* the old group went with it, its worker included */
	for (int i = 0; i < 100 && kill(child, 0) == 0; i++)
		ht_pump(tp, 20);
	assert_true(kill(old, 0) < 0);
	assert_true(kill(child, 0) < 0);
}

static int collect_signal(const struct registry_outcome *o, void *arg)
{
	int *n = arg;	/* [USR2 failed, USR2 healed, USR1 failed, USR1 healed] */

	if (strstr(o->params, "\"signal\":\"SIGUSR2\""))
		n[o->success ? 1 : 0]++;
	else if (strstr(o->params, "\"signal\":\"SIGUSR1\""))
		n[o->success ? 3 : 2]++;
	return 0;
}

/* A signal action that lists alternatives: the registry's learner picks
 * the signal, the outcome records the one actually sent.  The service
 * heals on USR1 only (it creates the file its probe looks for); USR2,
 * listed first, does nothing, so after it fails the learner moves on. */
static void test_signal_choice_learned(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_outcome *o;
	struct registry_query q = { 0 };
	struct hms_registry *reg = NULL;
	char dir[160], json[256];
	int n[4] = { 0 }, outcomes = 0;
	size_t at = 0;

	assert_int_equal(ht_init(tp), 0);
	assert_int_equal(ht_config(tp,
		"strategies:\n"
		"  nudge: [{signal: [USR2, USR1]}]\n"
		"components:\n"
		"  - name: svc\n"
		"    command: [%1$s, sigheal, %2$s/marker]\n"
		"    start_grace_s: 0.1\n"
		"    verify_s: 0.3\n"
		"    backoff: {initial_ms: 0}\n"
		"    budget: {max: 20, interval_s: 60}\n"
		"    probe: {exec: [/bin/test, -e, %2$s/marker], interval_s: 0.1,"
		" failures: 1}\n"
		"    on: {probe: [nudge]}\n"), 0);
	/* healthy until the service is ready for the signals, then the
	 * probe's file goes */
	snprintf(dir, sizeof(dir), "%s/marker", tp->dir);
	fclose(fopen(dir, "w"));
	snprintf(dir, sizeof(dir), "%s/reg", tp->dir);
	assert_int_equal(registry_open(dir, &reg), 0);
	assert_int_equal(healer_new(tp->cfg, tp->loop, tp->bus, NULL, NULL,
				    reg, &tp->healer), 0);
	snprintf(dir, sizeof(dir), "%s/marker.ready", tp->dir);
	for (int i = 0; i < 600 && access(dir, F_OK); i++) {
		size_t none = at;	/* run the loop 100 ms */

		ht_wait(tp, &none, ht_is_type, HT_ARG(60000), 100);
	}
	assert_int_equal(access(dir, F_OK), 0);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/marker", tp->dir);
	unlink(dir);
	do {
		o = (const void *)ht_wait(tp, &at, ht_is_type,
					  HT_ARG(HMS_EV_OUTCOME), 60000);
		if (!o)
			registry_close(reg);
		assert_non_null(o);
		outcomes++;
	} while (!o->success && outcomes < 10);
	assert_true(o->success);
	healer_free(tp->healer);
	tp->healer = NULL;
	assert_true(registry_query_outcomes(reg, "nudge", &q, collect_signal,
					    n) > 0);
	assert_int_equal(registry_tuned_params(reg, "svc", "probe", "nudge",
					       json, sizeof(json)), 0);
	print_message("USR2 failed %d healed %d, USR1 failed %d healed %d; "
		      "tuned %s\n", n[0], n[1], n[2], n[3], json);
	registry_close(reg);
	snprintf(dir, sizeof(dir), "rm -rf -- '%s/reg'", tp->dir);
	assert_int_equal(system(dir), 0);
	assert_true(n[0] >= 1);		/* the first listed was tried ... */
	assert_int_equal(n[1], 0);	/* ... and never healed */
	assert_int_equal(n[3], 1);	/* USR1 healed, recorded as sent */
	assert_non_null(strstr(json, "\"signal\":\"SIGUSR1\""));
}

/* components[].pin: the operator's strategy is used whatever the
 * registry would choose, and strategy_chosen says so (reason override,
 * probability 1). */
static void test_pin_is_override(void **state)
{
	struct ht *tp = *state;
	const struct hms_ev_strategy *st;
	struct hms_registry *reg = NULL;
	char dir[160];
	size_t at = 0;
	pid_t pid;

	assert_int_equal(ht_init(tp), 0);
	assert_int_equal(ht_config(tp,
		"strategies:\n"
		"  again: [{restart: {}}]\n"
		"components:\n"
		"  - name: svc\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.1\n"
		"    verify_s: 0.2\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [restart, again]}\n"
		"    pin: {crash: again}\n"), 0);
	snprintf(dir, sizeof(dir), "%s/reg", tp->dir);
	assert_int_equal(registry_open(dir, &reg), 0);
	assert_int_equal(healer_new(tp->cfg, tp->loop, tp->bus, NULL, NULL,
				    reg, &tp->healer), 0);
	for (int round = 0; round < 2; round++) {
		assert_non_null(ht_wait(tp, &at, ht_is_state,
					HT_ARG(HEALER_HEALTHY), 10000));
		pid = main_pid(tp, "svc");
		assert_true(pid > 0);
		kill(pid, SIGSEGV);
		st = (const void *)ht_wait(tp, &at, ht_is_type,
					   HT_ARG(HMS_EV_STRATEGY), 10000);
		assert_non_null(st);
		assert_string_equal(st->strategy, "again");
		assert_int_equal(st->reason, HMS_REASON_OVERRIDE);
		assert_string_equal(hms_choice_reason_name(st->reason),
				    "override");
		assert_int_equal(st->n_explained, 2);
		assert_true(st->cand[1].p_choose == 1);
		assert_true(st->cand[0].p_choose == 0);
	}
	healer_free(tp->healer);
	tp->healer = NULL;
	registry_close(reg);
	snprintf(dir, sizeof(dir), "rm -rf -- '%s/reg'", tp->dir);
	assert_int_equal(system(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_match),
		cmocka_unit_test_setup_teardown(test_crash_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_loop_backoff_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemonize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starved_sustained_clears,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crash_loop_class, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_depends_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_adopted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_command, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_identity_env, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_global_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_signal_choice_learned,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_is_override, setup,
						teardown),
	};

	if (getenv("HT_FILTER"))
		cmocka_set_test_filter(getenv("HT_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

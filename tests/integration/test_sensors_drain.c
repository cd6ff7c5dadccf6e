// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sensors_drain.c - the event-driven drain: with no records coming
 * the drain timer stops (nothing wakes the daemon), the first record
 * after that wakes it, every bulk record still arrives, and a crash is
 * delivered by the critical ring's own wakeup, not by a timer round.
 * The watch filters keep the host's other processes out, so "quiet" does
 * not depend on what else runs on the machine.
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
#include "harness.h"

#define N_FORKS	200

static struct harness H;
static pid_t crash_pid;
static bool crash_seen;
/* the first record delivered after the drain went idle */
static bool armed_first, first_seen, first_in_wakeup;
static uint32_t first_type;

static void on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct sensors_drain_info di;

	(void)arg;
	if (ev->type >= HMS_EV_STATS)
		return;
	if (armed_first && !first_seen) {
		sensors_drain_info(H.sensors, &di);
		first_seen = true;
		first_in_wakeup = di.in_wakeup;
		first_type = ev->type;
	}
	if (ev->type == HMS_EV_EXIT && crash_pid &&
	    ev->tgid == (uint32_t)crash_pid)
		crash_seen = true;
}

static int setup(void **state)
{
	struct sensors_opts o;
	int err;

	(void)state;
	if (harness_need_root())
		return -1;
	sensors_opts_default(&o);
	o.families = SENSORS_PROC;
	o.bulk_rate_per_sec = 0;
	o.watch_filter = true;		/* bulk: only watched processes */
	o.critical_watched_only = true;	/* critical: the same */
	err = harness_start(&H, &o);
	if (err)
		return err;
	if (sensors_watch_tgid(H.sensors, (uint32_t)getpid(), true))
		return -1;
	return bus_subscribe(H.bus, BUS_ALL, on_event, NULL);
}

static int teardown(void **state)
{
	(void)state;
	harness_stop(&H);
	return 0;
}

/* Run the loop until the drain timer has stopped and nothing came for
 * a while (a record's wakeup may still be pending when the timer stops):
 * bounded. */
static bool wait_idle(void)
{
	struct sensors_drain_info di;

	for (int i = 0; i < 400; i++) {
		sensors_drain_info(H.sensors, &di);
		if (loop_run_once(H.loop, di.idle ? 100 : 50) == 0 && di.idle)
			return true;
	}
	return false;
}

static size_t count_forks(void)
{
	size_t n = 0;

	for (size_t i = 0; i < H.n; i++)
		n += H.events[i]->type == HMS_EV_FORK &&
		     H.events[i]->tgid == (uint32_t)getpid();
	return n;
}

static int child_exit(void *arg)
{
	(void)arg;
	return 0;
}

static void test_bulk_after_idle_all_delivered(void **state)
{
	struct sensors_drain_info before, after;
	size_t n = 0;

	(void)state;
	assert_true(wait_idle());
	harness_clear(&H);
	sensors_drain_info(H.sensors, &before);
	first_seen = false;
	armed_first = true;
	/* N fork records on the bulk ring, none of which asks for a wakeup
	 * but the first (the consumer is idle) */
	for (int i = 0; i < N_FORKS; i++)
		harness_reap(harness_fork(child_exit, NULL));
	for (int i = 0; i < 400 && (n = count_forks()) < N_FORKS; i++)
		loop_run_once(H.loop, 50);
	assert_int_equal(n, N_FORKS);
	/* the consumer was idle (no timer): a record woke it */
	armed_first = false;
	assert_true(first_seen);
	assert_true(first_in_wakeup);
	/* ... and once they stopped coming, the drain stopped too */
	assert_true(wait_idle());
	sensors_drain_info(H.sensors, &after);
	assert_true(after.idle_entries > before.idle_entries);
}

static int child_wait_segv(void *arg)
{
	int fd = *(int *)arg;
	char c;

	if (read(fd, &c, 1) != 1)
		return 1;
	raise(SIGSEGV);
	return 0;
}

static void test_crash_wakes_idle_consumer(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	crash_seen = false;
	crash_pid = harness_fork(child_wait_segv, &p[0]);
	assert_true(crash_pid > 0);
	close(p[0]);
	assert_int_equal(sensors_watch_tgid(H.sensors, (uint32_t)crash_pid,
					    true), 0);
	assert_true(wait_idle());
	first_seen = false;
	armed_first = true;
	assert_int_equal(write(p[1], "x", 1), 1);
	close(p[1]);
	for (int i = 0; i < 400 && !crash_seen; i++)
		loop_run_once(H.loop, 50);
	harness_reap(crash_pid);
	armed_first = false;
	assert_true(crash_seen);
	/* the crash (its signal or its exit, both critical) came by the
	 * critical ring waking the idle loop, not by a timer round */
	assert_true(first_seen);
	assert_true(first_in_wakeup);
	if (first_type != HMS_EV_EXIT && first_type != HMS_EV_SIGNAL)
		fail_msg("first record after idle: type %u", first_type);
	crash_pid = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_after_idle_all_delivered),
		cmocka_unit_test(test_crash_wakes_idle_consumer),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_sensors_drain: needs root, skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sensors_sched.c - run-queue latency: busy threads pinned to one CPU
 * wait for each other; with a low threshold the sensor reports waits of
 * this process and keeps its latency histogram.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

/* the pipeline of harness_group_setup */
#define H (*harness_current)
static volatile int spin_stop;

static void *spin(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((long)arg, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!spin_stop)
		;
	return NULL;
}

static void test_runq_latency(void **state)
{
	struct harness_match m = { .type = HMS_EV_RUNQ_LATENCY };
	uint64_t slots[HMS_HIST_SLOTS] = {0}, total = 0;
	const struct hms_ev_runq *e;
	long cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	pthread_t t[3];

	(void)state;
	assert_int_equal(sensors_set_runq_threshold(H.sensors, 1000000), 0);
	spin_stop = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, spin,
						(void *)cpu), 0);
	m.tgid = getpid();
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 15000);
	spin_stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_non_null(e);
	assert_true(e->latency_ns >= 1000000);
	assert_int_equal(e->hdr.tgid, getpid());
	assert_int_equal(sensors_runq_hist(H.sensors, getpid(), slots), 0);
	for (int i = 0; i < HMS_HIST_SLOTS; i++)
		total += slots[i];
	assert_true(total > 0);
	/* a wait of >= 1 ms lands in a slot of >= 512 us */
	total = 0;
	for (int i = 9; i < HMS_HIST_SLOTS; i++)
		total += slots[i];
	assert_true(total > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_runq_latency, harness_test_setup),
	};

	return cmocka_run_group_tests_name("sensors_sched", tests,
					   harness_group_setup, harness_group_teardown);
}

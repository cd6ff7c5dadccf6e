// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_threshold.c - the registry tunes a PSI trigger's stall
 * threshold within its bounds (registry/threshold.c), on a real RocksDB
 * store in a temp dir: two false alarms in a row move it up one step,
 * never above the bound; a true alarm in between resets the run; a missed
 * alarm moves it down, never below the configured threshold; the answer
 * survives a reopen; a changed bound starts afresh; the reserved strategy
 * name never shows as evidence; bad arguments are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

#define LO	20000.0		/* 20 ms */
#define HI	100000.0	/* 100 ms */

struct fx {
	char dir[64];
	struct hms_registry *reg;
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/hms-reg-threshold-XXXXXX");
	if (!mkdtemp(fx->dir) || registry_open(fx->dir, &fx->reg))
		return -1;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	registry_close(fx->reg);
	harness_rmtree(fx->dir);
	free(fx);
	return 0;
}

static double observe(struct fx *fx, int alarm)
{
	double v = -1;

	assert_int_equal(registry_threshold_observe(fx->reg, "api",
						    "mem_pressure", LO, HI,
						    alarm, &v), 0);
	return v;
}

static double get(struct fx *fx, double lo, double hi)
{
	double v = -1;

	assert_int_equal(registry_threshold_get(fx->reg, "api",
						"mem_pressure", lo, hi, &v),
			 0);
	return v;
}

static int count_rows(const struct registry_evidence *ev, void *arg)
{
	assert_string_not_equal(ev->strategy, REGISTRY_THRESHOLD_STRATEGY);
	(*(int *)arg)++;
	return 0;
}

static void test_false_alarms_move_up(void **state)
{
	struct fx *fx = *state;
	double v;
	int rows = 0;

	assert_true(get(fx, LO, HI) == LO);	/* nothing learned */
	v = observe(fx, REGISTRY_ALARM_FALSE);
	assert_true(v == LO);			/* one is not a pattern */
	v = observe(fx, REGISTRY_ALARM_FALSE);
	assert_true(fabs(v - LO * 1.25) < 1);	/* two in a row: one step */
	/* a true alarm breaks the run: one false one does not move it */
	observe(fx, REGISTRY_ALARM_TRUE);
	v = observe(fx, REGISTRY_ALARM_FALSE);
	assert_true(fabs(v - LO * 1.25) < 1);
	/* only false alarms: up to the bound, never past it */
	for (int i = 0; i < 40; i++)
		v = observe(fx, REGISTRY_ALARM_FALSE);
	assert_true(v == HI);
	assert_true(get(fx, LO, HI) == HI);
	/* a missed alarm: one step down, then back to the configured one */
	v = observe(fx, REGISTRY_ALARM_MISSED);
	assert_true(v < HI && v > LO);
	for (int i = 0; i < 40; i++)
		v = observe(fx, REGISTRY_ALARM_MISSED);
	assert_true(v == LO);
	/* never a strategy of its own */
	registry_evidence_foreach(fx->reg, NULL, count_rows, &rows);
	assert_int_equal(rows, 0);
}

static void test_persists_and_bounds(void **state)
{
	struct fx *fx = *state;
	double v;

	for (int i = 0; i < 4; i++)
		v = observe(fx, REGISTRY_ALARM_FALSE);
	assert_true(v > LO);
	registry_close(fx->reg);
	fx->reg = NULL;
	assert_int_equal(registry_open(fx->dir, &fx->reg), 0);
	assert_true(fabs(get(fx, LO, HI) - v) < 1e-6);	/* survives */
	/* another bound (or threshold): learned afresh */
	assert_true(get(fx, LO, 2 * HI) == LO);
	assert_true(get(fx, 2 * LO, HI) == 2 * LO);
	/* the bound equal to the threshold: never moves */
	for (int i = 0; i < 4; i++)
		assert_int_equal(registry_threshold_observe(fx->reg, "db",
				 "cpu_pressure", LO, LO, REGISTRY_ALARM_FALSE,
				 &v), 0);
	assert_true(v == LO);
}

static void test_bad_arguments(void **state)
{
	struct fx *fx = *state;
	double v;

	assert_int_equal(registry_threshold_observe(fx->reg, "api", "nope",
						    LO, HI,
						    REGISTRY_ALARM_FALSE, &v),
			 -EINVAL);
	assert_int_equal(registry_threshold_observe(fx->reg, "api",
						    "mem_pressure", HI, LO,
						    REGISTRY_ALARM_FALSE, &v),
			 -EINVAL);
	assert_int_equal(registry_threshold_observe(fx->reg, "api",
						    "mem_pressure", LO, HI, 7,
						    &v), -EINVAL);
	assert_int_equal(registry_threshold_get(fx->reg, "", "mem_pressure",
						LO, HI, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_false_alarms_move_up,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_persists_and_bounds,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments,
						fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

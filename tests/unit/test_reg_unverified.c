// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_unverified.c - an unverified outcome (a chain that only told,
 * with no evidence of health) is stored and read back as such, survives a
 * reopen, and is counted neither as a success nor as a failure: not in
 * the learned evidence, not in the aggregates' count, not in the choice.
 * The class `probe` is known.  Each test has its own store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

struct fx {
	char dir[64];
	struct hms_registry *reg;
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/hms-reg-unv-XXXXXX");
	if (!fx || !mkdtemp(fx->dir) || registry_open(fx->dir, &fx->reg))
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

static void record(struct hms_registry *reg, int i, int success,
		   int unverified)
{
	struct registry_outcome o = { .time_ns = T0 + (uint64_t)i * SEC,
				      .success = success,
				      .unverified = unverified,
				      .recover_ns = 5000000 };

	strcpy(o.component, "svc");
	strcpy(o.failure, "crash");
	strcpy(o.strategy, "tell");
	strcpy(o.params, "{}");
	assert_int_equal(registry_record_outcome(reg, &o), 0);
}

struct seen {
	int unverified, verified;
};

static int seen_cb(const struct registry_outcome *o, void *arg)
{
	struct seen *s = arg;

	if (o->unverified) {
		assert_false(o->success);
		s->unverified++;
	} else {
		s->verified++;
	}
	return 0;
}

static int agg_cb(const struct registry_aggregate *a, void *arg)
{
	*(struct registry_aggregate *)arg = *a;
	return 0;
}

static int ev_cb(const struct registry_evidence *e, void *arg)
{
	*(struct registry_evidence *)arg = *e;
	return 0;
}

static void check(struct hms_registry *reg, int n_unv, int n_ok)
{
	struct registry_query q = { 0 };
	struct registry_aggregate a = { 0 };
	struct registry_evidence e = { 0 };
	struct seen s = { 0 };

	assert_true(registry_query_outcomes(reg, NULL, &q, seen_cb, &s) >= 0);
	assert_int_equal(s.unverified, n_unv);
	assert_int_equal(s.verified, n_ok);
	assert_int_equal(registry_aggregate_foreach(reg, &q, agg_cb, &a), 0);
	assert_int_equal(a.unverified, n_unv);
	assert_int_equal(a.count, n_ok);
	assert_int_equal(a.successes, n_ok);
	assert_int_equal(registry_evidence_foreach(reg, NULL, ev_cb, &e), 0);
	if (n_ok) {
		assert_true(e.successes > 0);
		assert_true(e.failures == 0);
		assert_int_equal(e.n_outcomes, n_ok);
	} else {
		assert_true(e.successes == 0 && e.failures == 0);
	}
}

static void test_unverified_not_counted(void **state)
{
	struct fx *fx = *state;

	for (int i = 0; i < 5; i++)
		record(fx->reg, i, 0, 1);
	check(fx->reg, 5, 0);
	record(fx->reg, 10, 1, 0);
	check(fx->reg, 5, 1);
	/* the evidence is rebuilt from the store on open: still the same */
	registry_close(fx->reg);
	fx->reg = NULL;
	assert_int_equal(registry_open(fx->dir, &fx->reg), 0);
	check(fx->reg, 5, 1);
}

static void test_probe_class_known(void **state)
{
	(void)state;
	assert_true(registry_failure_valid("probe"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unverified_not_counted,
						fx_setup, fx_teardown),
		cmocka_unit_test(test_probe_class_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

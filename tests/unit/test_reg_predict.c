// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_predict.c - registry_predict names the candidate with the best
 * posterior mean of its decayed evidence (what the strategies pane marks
 * "next"), the first one on cold start, and ignores other components. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

#define SEC 1000000000ull

static uint64_t now_ns = 1700000000ull * SEC;

static uint64_t fx_clock(void *arg)
{
	(void)arg;
	return now_ns;
}

static void outcome(struct hms_registry *reg, const char *comp,
		    const char *strat, int ok)
{
	struct registry_outcome o = { .time_ns = now_ns, .success = ok,
				      .recover_ns = 100 * 1000000ull };

	strcpy(o.component, comp);
	strcpy(o.failure, "crash");
	strcpy(o.strategy, strat);
	assert_int_equal(registry_record_outcome(reg, &o), 0);
	now_ns += SEC;
}

static void test_predict(void **state)
{
	const char *cands[] = { "gentle", "hard", "never-used" };
	char dir[] = "/tmp/hms-reg-predict-XXXXXX";
	struct hms_registry *reg;
	int pick = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(registry_open(dir, &reg), 0);
	registry_set_clock(reg, fx_clock, NULL);
	/* cold start: config order */
	assert_int_equal(registry_predict(reg, "api", "crash", cands, 3,
					  &pick), 0);
	assert_int_equal(pick, 0);
	/* gentle mostly fails, hard mostly heals */
	for (int i = 0; i < 6; i++) {
		outcome(reg, "api", "gentle", i == 0);
		outcome(reg, "api", "hard", i != 0);
	}
	/* another component's evidence must not count */
	for (int i = 0; i < 20; i++)
		outcome(reg, "db", "gentle", 1);
	assert_int_equal(registry_predict(reg, "api", "crash", cands, 3,
					  &pick), 0);
	assert_int_equal(pick, 1);
	/* the same question twice, the same answer: no draw */
	assert_int_equal(registry_predict(reg, "api", "crash", cands, 3,
					  &pick), 0);
	assert_int_equal(pick, 1);
	assert_int_equal(registry_predict(reg, "db", "crash", cands, 3,
					  &pick), 0);
	assert_int_equal(pick, 0);
	assert_int_equal(registry_predict(reg, "api", "crash", cands, 0,
					  &pick), -EINVAL);
	registry_close(reg);
	harness_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

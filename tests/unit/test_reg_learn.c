/* test_reg_learn.c - the registry learns which strategy heals: Thompson
 * sampling in a simulated environment (seeded RNG, simulated clock),
 * adaptation when a strategy stops working, cold start, decay, tie
 * breaking by recovery time, parameter tuning and persistence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

#define SEC 1000000000ull

struct fx {
	char dir[64];
	struct hms_registry *reg;
	uint64_t now;
	uint64_t env;	/* environment's own random source */
};

static uint64_t fx_clock(void *arg)
{
	return ((struct fx *)arg)->now;
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/hms-reg-learn-XXXXXX");
	if (!mkdtemp(fx->dir) || registry_open(fx->dir, &fx->reg))
		return -1;
	fx->now = 1700000000ull * SEC;
	fx->env = 42;
	registry_set_clock(fx->reg, fx_clock, fx);
	registry_seed(fx->reg, 1234);
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

static double env_uniform(struct fx *fx)
{
	fx->env = fx->env * 6364136223846793005ull + 1442695040888963407ull;
	return (fx->env >> 11) * 0x1.0p-53;
}

static void outcome(struct fx *fx, const char *comp, const char *strat,
		    int ok, double recover_ms, const char *params)
{
	struct registry_outcome o = { .time_ns = fx->now, .success = ok,
				      .recover_ns = recover_ms * 1e6 };

	strcpy(o.component, comp);
	strcpy(o.failure, "crash");
	strcpy(o.strategy, strat);
	snprintf(o.params, sizeof(o.params), "%s", params ? params : "");
	assert_int_equal(registry_record_outcome(fx->reg, &o), 0);
}

/* One incident: choose, act in the simulated world, report.  Returns
 * the index chosen. */
static int episode(struct fx *fx, const double *p_heal, const char **cands)
{
	struct registry_choice c;

	fx->now += 60 * SEC;
	assert_int_equal(registry_choose(fx->reg, "api", "crash", cands, 2, &c), 0);
	assert_true(c.index >= 0 && c.index < 2);
	outcome(fx, "api", cands[c.index], env_uniform(fx) < p_heal[c.index],
		c.index == 0 ? 200 : 400, NULL);
	return c.index;
}

static void test_learns_best_then_adapts(void **state)
{
	struct fx *fx = *state;
	const char *cands[] = { "B-weak", "A-strong" };	/* config order: B first */
	double world[2] = { 0.30, 0.90 };
	int i, a = 0, b = 0;

	registry_set_half_life(fx->reg, 3600.0);
	for (i = 0; i < 200; i++)
		episode(fx, world, cands);
	for (i = 0; i < 100; i++)
		a += episode(fx, world, cands) == 1;
	print_message("A chosen %d/100 after 200 incidents\n", a);
	assert_true(a >= 90);

	world[1] = 0.0;	/* A stops working */
	for (i = 0; i < 200; i++)
		episode(fx, world, cands);
	for (i = 0; i < 100; i++)
		b += episode(fx, world, cands) == 0;
	print_message("after A broke, B chosen %d/100\n", b);
	assert_true(b >= 80);
}

static void test_same_seed_same_choices(void **state)
{
	struct fx *fx = *state;
	const char *cands[] = { "one", "two", "three" };
	struct registry_choice c;
	int first[50], i;

	outcome(fx, "db", "one", 1, 10, NULL);
	outcome(fx, "db", "two", 0, 0, NULL);
	outcome(fx, "db", "three", 1, 30, NULL);
	for (int round = 0; round < 2; round++) {
		registry_seed(fx->reg, 99);
		for (i = 0; i < 50; i++) {
			assert_int_equal(registry_choose(fx->reg, "db", "crash",
							 cands, 3, &c), 0);
			if (!round)
				first[i] = c.index;
			else
				assert_int_equal(first[i], c.index);
		}
	}
}

static void test_cold_start_uses_config_order(void **state)
{
	struct fx *fx = *state;
	const char *cands[] = { "gentle-restart", "more-memory" };
	struct registry_choice c;

	assert_int_equal(registry_choose(fx->reg, "api", "oom", cands, 2, &c), 0);
	assert_int_equal(c.index, 0);
	assert_int_equal(c.cold_start, 1);
	assert_true(c.sample < 0);
	/* evidence for another component does not end api's cold start */
	outcome(fx, "web", "more-memory", 1, 5, NULL);
	assert_int_equal(registry_choose(fx->reg, "api", "crash", cands, 2, &c), 0);
	assert_int_equal(c.cold_start, 1);
	outcome(fx, "api", "more-memory", 1, 5, NULL);
	assert_int_equal(registry_choose(fx->reg, "api", "crash", cands, 2, &c), 0);
	assert_int_equal(c.cold_start, 0);
	assert_true(c.sample >= 0 && c.sample <= 1);
}

static int rows;

/* Keep the first row; count them all. */
static int grab(const struct registry_evidence *ev, void *arg)
{
	if (!rows++)
		*(struct registry_evidence *)arg = *ev;
	return 0;
}

static void test_evidence_decays_with_half_life(void **state)
{
	struct fx *fx = *state;
	struct registry_evidence ev;
	int i;

	registry_set_half_life(fx->reg, 3600);
	for (i = 0; i < 8; i++)
		outcome(fx, "api", "restart", 1, 100, NULL);
	outcome(fx, "api", "restart", 0, 0, NULL);
	outcome(fx, "web", "restart", 0, 0, NULL);	/* filtered out */
	rows = 0;
	assert_int_equal(registry_evidence_foreach(fx->reg, "api", grab, &ev), 0);
	assert_int_equal(rows, 1);
	assert_true(fabs(ev.successes - 8) < 1e-9);
	assert_true(fabs(ev.failures - 1) < 1e-9);
	fx->now += 3600 * SEC;	/* one half-life later */
	rows = 0;
	assert_int_equal(registry_evidence_foreach(fx->reg, "api", grab, &ev), 0);
	assert_true(fabs(ev.successes - 4) < 1e-9);
	assert_true(fabs(ev.failures - 0.5) < 1e-9);
	assert_int_equal(ev.n_outcomes, 9);
	assert_true(fabs(ev.median_recover_ms - 100) < 1e-9);
}

static void test_ties_go_to_faster_recovery(void **state)
{
	struct fx *fx = *state;
	const char *cands[] = { "slow", "fast" };
	struct registry_choice c;
	int i, fast = 0;

	/* both always heal: posteriors pile up near 1, samples tie */
	for (i = 0; i < 3000; i++) {
		outcome(fx, "api", "slow", 1, 900, NULL);
		outcome(fx, "api", "fast", 1, 90, NULL);
	}
	for (i = 0; i < 100; i++) {
		assert_int_equal(registry_choose(fx->reg, "api", "crash", cands, 2, &c), 0);
		fast += c.index == 1;
	}
	assert_int_equal(fast, 100);
	assert_true(fabs(c.median_recover_ms - 90) < 1e-9);
}

static void test_tunes_smallest_backoff_that_heals(void **state)
{
	struct fx *fx = *state;
	struct registry_strategy s = { .name = "backoff-restart",
		.failure = "crash", .actions = "[{\"restart\":{}}]",
		.params = "{\"initial_ms\":1000}",
		.bounds = "{\"initial_ms\":[200,60000],\"factor\":[1,4]}" };
	char json[256];

	assert_int_equal(registry_put_strategy(fx->reg, &s), 0);
	assert_int_equal(registry_tuned_params(fx->reg, "api", "crash",
					       "backoff-restart", json,
					       sizeof(json)), -ENOENT);
	outcome(fx, "api", "backoff-restart", 1, 50, "{\"initial_ms\":1000,\"signal\":\"TERM\"}");
	outcome(fx, "api", "backoff-restart", 1, 50, "{\"initial_ms\":500,\"signal\":\"HUP\"}");
	outcome(fx, "api", "backoff-restart", 0, 0, "{\"initial_ms\":250,\"signal\":\"HUP\"}");
	outcome(fx, "api", "backoff-restart", 0, 0, "{\"initial_ms\":250,\"signal\":\"TERM\"}");
	outcome(fx, "api", "backoff-restart", 0, 0, "{\"initial_ms\":1000,\"signal\":\"TERM\"}");
	assert_int_equal(registry_tuned_params(fx->reg, "api", "crash",
					       "backoff-restart", json,
					       sizeof(json)), 0);
	/* 250 never healed; 500 healed 1/1; HUP 1/2 beats TERM 1/3 */
	assert_string_equal(json, "{\"initial_ms\":500,\"signal\":\"HUP\"}");
	outcome(fx, "api", "backoff-restart", 1, 50, "{\"initial_ms\":250}");
	outcome(fx, "api", "backoff-restart", 1, 50, "{\"initial_ms\":250}");
	assert_int_equal(registry_tuned_params(fx->reg, "api", "crash",
					       "backoff-restart", json,
					       sizeof(json)), 0);
	/* 250 now heals 2/4: smallest that still heals, but bounds say >= 200 */
	assert_string_equal(json, "{\"initial_ms\":250,\"signal\":\"HUP\"}");
}

static void test_tunes_memory_increment(void **state)
{
	struct fx *fx = *state;
	char json[256];

	/* the increment that stopped repeat OOMs is 256; 64 and 128 did not */
	outcome(fx, "db", "more-memory", 0, 0, "{\"increment_mb\":64}");
	outcome(fx, "db", "more-memory", 0, 0, "{\"increment_mb\":128}");
	outcome(fx, "db", "more-memory", 1, 800, "{\"increment_mb\":256}");
	outcome(fx, "db", "more-memory", 1, 700, "{\"increment_mb\":512}");
	assert_int_equal(registry_tuned_params(fx->reg, "db", "crash",
					       "more-memory", json,
					       sizeof(json)), 0);
	assert_string_equal(json, "{\"increment_mb\":256}");
}

static void test_evidence_survives_reopen(void **state)
{
	struct fx *fx = *state;
	struct registry_evidence ev;

	outcome(fx, "api", "restart", 1, 120, "{\"delay_ms\":100}");
	outcome(fx, "api", "restart", 0, 0, NULL);
	registry_close(fx->reg);
	assert_int_equal(registry_open(fx->dir, &fx->reg), 0);
	registry_set_clock(fx->reg, fx_clock, fx);
	rows = 0;
	assert_int_equal(registry_evidence_foreach(fx->reg, NULL, grab, &ev), 0);
	assert_int_equal(rows, 1);
	assert_string_equal(ev.strategy, "restart");
	assert_true(fabs(ev.successes - 1) < 1e-9);
	assert_true(fabs(ev.failures - 1) < 1e-9);
	assert_int_equal(ev.n_outcomes, 2);
	assert_string_equal(ev.tuned_params, "{\"delay_ms\":100}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learns_best_then_adapts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_same_seed_same_choices, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cold_start_uses_config_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_evidence_decays_with_half_life, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ties_go_to_faster_recovery, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tunes_smallest_backoff_that_heals, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tunes_memory_increment, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_evidence_survives_reopen, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

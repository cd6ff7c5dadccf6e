// SPDX-License-Identifier: BSD-2-Clause
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

/* Time alone shrinks evidence by the half-life but not below 200
 * outcomes' worth (a quiet world keeps what it learned), until the group
 * has been idle for 20 half-lives: then it has fully decayed. */
static void test_evidence_decays_with_half_life(void **state)
{
	struct fx *fx = *state;
	struct registry_evidence ev;
	double s0, f0;
	int i;

	registry_set_half_life(fx->reg, 3600);
	for (i = 0; i < 1000; i++)
		outcome(fx, "api", "restart", i % 4 != 0, 100, NULL);
	outcome(fx, "web", "restart", 0, 0, NULL);	/* filtered out */
	rows = 0;
	assert_int_equal(registry_evidence_foreach(fx->reg, "api", grab, &ev), 0);
	assert_int_equal(rows, 1);
	s0 = ev.successes;
	f0 = ev.failures;
	/* discounted per incident: 1000 outcomes weigh (1-0.999^1000)/0.001 */
	assert_true(fabs(s0 + f0 - (1 - pow(0.999, 1000)) / 0.001) < 1e-6);
	fx->now += 3600 * SEC;	/* one half-life later: halved (above 200) */
	rows = 0;
	assert_int_equal(registry_evidence_foreach(fx->reg, "api", grab, &ev), 0);
	assert_true(fabs(ev.successes - s0 / 2) < 1e-6);
	assert_true(fabs(ev.failures - f0 / 2) < 1e-6);
	fx->now += 5 * 3600 * SEC;	/* floor: 200 outcomes' worth, same ratio */
	rows = 0;
	assert_int_equal(registry_evidence_foreach(fx->reg, "api", grab, &ev), 0);
	assert_true(fabs(ev.successes + ev.failures - 200) < 1e-6);
	assert_true(fabs(ev.successes / ev.failures - s0 / f0) < 1e-6);
	assert_false(ev.decayed);
	assert_int_equal(ev.n_outcomes, 1000);
	fx->now += 20 * 3600 * SEC;	/* idle for 20 half-lives: gone */
	rows = 0;
	assert_int_equal(registry_evidence_foreach(fx->reg, "api", grab, &ev), 0);
	assert_true(ev.successes + ev.failures < 0.01);
	assert_true(ev.decayed);
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

/* The delay learner: heals iff the delay actually waited is >= 300 ms.
 * From the configured 1000 ms it walks down the sqrt(2) grid by trials
 * and settles on 354 ms (the smallest cell that heals); trials stop. */
static void test_tunes_smallest_backoff_that_heals(void **state)
{
	struct fx *fx = *state;
	struct registry_param q = { .name = "delay_ms", .lo = 10,
				    .hi = 30000, .dflt = 1000, .ratio = M_SQRT2 };
	char json[256], params[64];
	int i, trials_late = 0;

	assert_int_equal(registry_tuned_params(fx->reg, "api", "crash",
					       "restart", json, sizeof(json)),
			 -ENOENT);
	for (i = 0; i < 60; i++) {
		assert_int_equal(registry_params_choose(fx->reg, "api", "crash",
							"restart", &q, 1), 0);
		assert_true(q.value >= 10 && q.value <= 30000);
		snprintf(params, sizeof(params), "{\"delay_ms\":%.0f}", q.value);
		fx->now += 60 * SEC;
		{
			struct registry_outcome o = { .time_ns = fx->now,
				.success = q.value >= 300, .trial = q.trial,
				.recover_ns = 1000000 };

			strcpy(o.component, "api");
			strcpy(o.failure, "crash");
			strcpy(o.strategy, "restart");
			strcpy(o.params, params);
			assert_int_equal(registry_record_outcome(fx->reg, &o), 0);
		}
		trials_late += i >= 30 && q.trial;
	}
	assert_int_equal(registry_tuned_params(fx->reg, "api", "crash",
					       "restart", json, sizeof(json)), 0);
	assert_string_equal(json, "{\"delay_ms\":353.553}");
	/* the known-bad 250 ms is not tried again within 30 incidents */
	assert_int_equal(trials_late, 0);
}

/* A string parameter (signal choice): the configured one is kept while
 * it heals, the others are tried one at a time, the best is kept. */
static void test_tunes_signal_choice(void **state)
{
	struct fx *fx = *state;
	static const char *const sigs[] = { "TERM", "HUP", "USR1" };
	struct registry_param q = { .name = "signal", .choices = sigs,
				    .nchoices = 3 };
	char json[256];
	int i;

	for (i = 0; i < 40; i++) {
		struct registry_outcome o = { .recover_ns = 1000000 };

		assert_int_equal(registry_params_choose(fx->reg, "db", "crash",
							"reload", &q, 1), 0);
		fx->now += 60 * SEC;
		o.time_ns = fx->now;
		o.success = !strcmp(q.str, "HUP");	/* only HUP heals */
		o.trial = q.trial;
		strcpy(o.component, "db");
		strcpy(o.failure, "crash");
		strcpy(o.strategy, "reload");
		snprintf(o.params, sizeof(o.params), "{\"signal\":\"%s\"}", q.str);
		assert_int_equal(registry_record_outcome(fx->reg, &o), 0);
	}
	assert_int_equal(registry_tuned_params(fx->reg, "db", "crash",
					       "reload", json, sizeof(json)), 0);
	assert_string_equal(json, "{\"signal\":\"HUP\"}");
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
	/* the success was discounted once by the later failure */
	assert_true(fabs(ev.successes - 0.999) < 1e-9);
	assert_true(fabs(ev.failures - 1) < 1e-9);
	assert_int_equal(ev.n_outcomes, 2);
	/* no parameter arm was asked for: nothing tuned */
	assert_string_equal(ev.tuned_params, "{}");
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
		cmocka_unit_test_setup_teardown(test_tunes_signal_choice, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_evidence_survives_reopen, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* sim_learning.h - seeded simulations of the world the registry learns
 * in, with a simulated clock: shared by bench/bench_learning.c (100
 * seeds, figures) and tests/unit/test_reg_adapt.c (few seeds, asserts).
 * Each run uses its own component name in one store, so runs are
 * independent.  Header-only, like bench_util.h. */
#ifndef HMS_SIM_LEARNING_H
#define HMS_SIM_LEARNING_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

struct sim {
	struct hms_registry *reg;
	uint64_t now;		/* simulated CLOCK_REALTIME ns */
	uint64_t step;		/* ns between incidents */
	uint64_t env;		/* the world's own random source */
	char comp[32];
	unsigned long trial_fail;	/* failed heals on a parameter trial */
	unsigned long trials;
};

static inline uint64_t sim_clock(void *arg)
{
	return ((struct sim *)arg)->now;
}

static inline double sim_uniform(struct sim *s)
{
	s->env = s->env * 6364136223846793005ull + 1442695040888963407ull;
	return (s->env >> 11) * 0x1.0p-53;
}

/* Start run `seed` of scenario `tag` on reg. */
static inline void sim_begin(struct sim *s, struct hms_registry *reg,
		      const char *tag, unsigned seed, uint64_t step_ns)
{
	if (!s->now)
		s->now = 1700000000ull * 1000000000ull;
	s->reg = reg;
	s->step = step_ns;
	s->env = 0x9e3779b97f4a7c15ull * (seed + 1) ^ 0x1234567;
	s->trial_fail = s->trials = 0;
	snprintf(s->comp, sizeof(s->comp), "%s%u", tag, seed);
	registry_set_clock(reg, sim_clock, s);
	registry_seed(reg, seed * 7919ull + 17);
}

/* One incident: choose, heal with probability p[pick], report.  Returns
 * the index chosen or -1. */
static inline int sim_incident(struct sim *s, const char *const *cands, size_t n,
			const double *p, const double *rec_ms)
{
	struct registry_choice c;
	struct registry_outcome o = { 0 };

	s->now += s->step;
	if (registry_choose(s->reg, s->comp, "crash", cands, n, &c))
		return -1;
	o.time_ns = s->now;
	o.success = sim_uniform(s) < p[c.index];
	o.recover_ns = (uint64_t)((rec_ms ? rec_ms[c.index] : 100) * 1e6);
	snprintf(o.component, sizeof(o.component), "%s", s->comp);
	snprintf(o.failure, sizeof(o.failure), "crash");
	snprintf(o.strategy, sizeof(o.strategy), "%s", cands[c.index]);
	if (registry_record_outcome(s->reg, &o))
		return -1;
	return c.index;
}

/* Stable world 0.2/0.5/0.8, best listed last: share of the best in
 * incidents 101-200. */
static inline double sim_stable(struct sim *s, struct hms_registry *reg,
			 unsigned seed, uint64_t step_ns)
{
	static const char *const c[] = { "weak", "middling", "best" };
	static const double p[] = { 0.2, 0.5, 0.8 };
	int i, best = 0;

	sim_begin(s, reg, step_ns > 3600e9 ? "sd" : "sm", seed, step_ns);
	for (i = 1; i <= 200; i++)
		if (sim_incident(s, c, 3, p, NULL) == 2 && i > 100)
			best++;
	return best / 100.0;
}

/* The change detector's count on a row (registry_evidence.changes). */
struct sim_row {
	const char *strategy;
	uint32_t changes;
};

static inline int sim_row_cb(const struct registry_evidence *e, void *arg)
{
	struct sim_row *r = arg;

	if (!strcmp(e->strategy, r->strategy))
		r->changes = e->changes;
	return 0;
}

static inline uint32_t sim_changes(struct sim *s, const char *strategy)
{
	struct sim_row r = { strategy, 0 };

	registry_evidence_foreach(s->reg, s->comp, sim_row_cb, &r);
	return r.changes;
}

/* What a changing world shows, in incidents after the change at 200
 * (-1: not within 200).  moved: until 16 of the last 20 picks are good
 * (mode 0: avoid A; mode 1: pick C, the strategy that became the best).
 * alarm: until the change detector fired on A, the strategy that broke
 * (-1 also when the choice moved without an alarm: the run stops there).
 * avoided: until 16 of the last 20 picks avoid A (in mode 0 = moved). */
struct sim_change_result {
	int moved, alarm, avoided;
};

/* mode 0: A 0.9 -> 0.1 (B 0.5 stays).  mode 1: a worse strategy becomes
 * the best: A 0.8 -> 0.3, C 0.2 -> 0.9 (B 0.5 stays). */
static inline void sim_change_ex(struct sim *s, struct hms_registry *reg,
				 unsigned seed, int mode,
				 struct sim_change_result *r)
{
	static const char *const c[] = { "A", "B", "C" };
	double p[3] = { mode ? 0.8 : 0.9, 0.5, 0.2 };
	int good[20] = { 0 }, away[20] = { 0 }, i, k, pick, ng, na;
	uint32_t changes;

	r->moved = r->alarm = r->avoided = -1;
	sim_begin(s, reg, mode ? "cw" : "cb", seed, 60ull * 1000000000);
	for (i = 1; i <= 200; i++)
		sim_incident(s, c, mode ? 3 : 2, p, NULL);
	changes = sim_changes(s, "A");
	p[0] = mode ? 0.3 : 0.1;
	if (mode)
		p[2] = 0.9;
	for (i = 1; i <= 200 && (r->moved < 0 || r->avoided < 0); i++) {
		pick = sim_incident(s, c, mode ? 3 : 2, p, NULL);
		good[i % 20] = mode ? pick == 2 : pick != 0;
		away[i % 20] = pick != 0;
		for (k = ng = na = 0; k < 20; k++) {
			ng += good[k];
			na += away[k];
		}
		if (ng >= 16 && r->moved < 0)
			r->moved = i;
		if (na >= 16 && r->avoided < 0)
			r->avoided = i;
		if (r->alarm < 0 && sim_changes(s, "A") != changes)
			r->alarm = i;
	}
}

/* Incidents after the change until 16 of the last 20 picks are good;
 * -1 when not within 200 (sim_change_ex says what good is). */
static inline int sim_change(struct sim *s, struct hms_registry *reg,
			     unsigned seed, int mode)
{
	struct sim_change_result r;

	sim_change_ex(s, reg, seed, mode, &r);
	return r.moved;
}

/* Close strategies 0.85 vs 0.90 (better last): share of the better in
 * incidents 401-500. */
static inline double sim_close(struct sim *s, struct hms_registry *reg,
			unsigned seed)
{
	static const char *const c[] = { "good", "better" };
	static const double p[] = { 0.85, 0.90 };
	int i, better = 0;

	sim_begin(s, reg, "cl", seed, 60ull * 1000000000);
	for (i = 1; i <= 500; i++)
		if (sim_incident(s, c, 2, p, NULL) == 1 && i > 400)
			better++;
	return better / 100.0;
}

/* A faster but less reliable strategy (0.8, 90 ms) against a slower,
 * more reliable one (0.9, 900 ms): share of the faster in 101-200.
 * same_ms = 1: both 900 ms, the baseline without any tie-break. */
static inline double sim_tie(struct sim *s, struct hms_registry *reg,
			     unsigned seed, int same_ms)
{
	static const char *const c[] = { "reliable", "fast" };
	static const double p[] = { 0.9, 0.8 }, ms[] = { 900, 90 };
	static const double ms_same[] = { 900, 900 };
	int i, fast = 0;

	sim_begin(s, reg, same_ms ? "tb" : "ti", seed, 60ull * 1000000000);
	for (i = 1; i <= 200; i++)
		if (sim_incident(s, c, 2, p, same_ms ? ms_same : ms) == 1 &&
		    i > 100)
			fast++;
	return fast / 100.0;
}

/* Parameter tuning: one strategy heals iff the parameter (the delay
 * actually waited, the factor actually applied) reaches a threshold that
 * moves at incident 300.  kind 0: delay_ms, configured 1000 ms, bounds
 * [10, 30000], threshold 300 -> 600 ms, waits jittered by +-10 %.  kind
 * 1: memory factor, configured 2.0, bounds [1, 16], threshold 1.5 ->
 * 2.5. */
struct sim_param_result {
	double tuned_at_50;	/* the answer after 50 incidents */
	int near_at_50;		/* within one grid step of the threshold */
	double trial_fail_rate;	/* failed trial heals / incidents 51-300 */
	int retune;		/* incidents after the move until within one
				 * step again (and staying), -1 never */
	unsigned long strategy_failures_from_trials;
};

static inline double sim_tuned(struct sim *s, const char *name)
{
	char js[256], *p, key[40];

	if (registry_tuned_params(s->reg, s->comp, "crash", "restart", js,
				  sizeof(js)))
		return -1;
	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(js, key);
	return p ? strtod(p + strlen(key), NULL) : -1;
}

static inline void sim_param(struct sim *s, struct hms_registry *reg, unsigned seed,
		      int kind, struct sim_param_result *r)
{
	const double ratio = kind ? pow(2, 0.25) : sqrt(2);
	double thr = kind ? 1.5 : 300, v, tuned;
	struct registry_param q = { .name = kind ? "factor" : "delay_ms",
				    .lo = kind ? 1 : 10, .hi = kind ? 16 : 30000,
				    .dflt = kind ? 2.0 : 1000, .ratio = ratio };
	static const char *const c[] = { "restart" };
	struct registry_choice ch;
	int i, near_since = -1;

	memset(r, 0, sizeof(*r));
	r->retune = -1;
	sim_begin(s, reg, kind ? "pf" : "pd", seed, 60ull * 1000000000);
	for (i = 1; i <= 400; i++) {
		struct registry_outcome o = { 0 };

		if (i == 301)
			thr = kind ? 2.5 : 600;
		s->now += s->step;
		registry_choose(reg, s->comp, "crash", c, 1, &ch);
		if (registry_params_choose(reg, s->comp, "crash", "restart",
					   &q, 1))
			return;
		v = kind ? q.value : q.value * (0.9 + 0.2 * sim_uniform(s));
		o.time_ns = s->now;
		o.success = v >= thr;
		o.trial = q.trial;
		o.recover_ns = (uint64_t)(v * 1e6);
		snprintf(o.component, sizeof(o.component), "%s", s->comp);
		snprintf(o.failure, sizeof(o.failure), "crash");
		snprintf(o.strategy, sizeof(o.strategy), "restart");
		snprintf(o.params, sizeof(o.params), "{\"%s\":%.6g}", q.name, v);
		if (registry_record_outcome(reg, &o))
			return;
		if (q.trial && !o.success && i > 50 && i <= 300)
			s->trial_fail++;
		tuned = sim_tuned(s, q.name);
		if (i == 50) {
			r->tuned_at_50 = tuned;
			r->near_at_50 = fabs(log(tuned / thr)) <= log(ratio) + 1e-9;
		}
		if (i > 300) {
			int near = tuned >= thr &&
				   fabs(log(tuned / thr)) <= log(ratio) + 1e-9;

			if (near && near_since < 0)
				near_since = i - 300;
			else if (!near)
				near_since = -1;
		}
	}
	r->retune = near_since;
	r->trial_fail_rate = s->trial_fail / 250.0;
}

#endif

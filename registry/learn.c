// SPDX-License-Identifier: BSD-2-Clause
/* learn.c - what the registry learns from each verified outcome.
 *
 * Evidence per (component, failure class, strategy) forgets in two ways:
 * per incident of the same component and class (a discount REG_GAMMA
 * for every outcome of the group, applied lazily through the group's
 * incident counter) and by time (half-life), where time alone never
 * shrinks a row below REG_FLOOR outcomes' worth until REG_STALE_HL
 * half-lives pass - so a world with one incident a day keeps what it
 * learned, and a busy world forgets by incidents.  On top of that a
 * CUSUM detector on each strategy's own outcomes (drop to half its
 * success rate) declares a change: the strategy keeps only what it saw
 * since the change point and the other candidates of the group forget
 * what they had (REG_RESET_OTHERS), so they are tried again on equal
 * terms.  Parameter trials are learned on the
 * parameter's arm (param.c), never here.  docs/registry.md says why
 * these numbers meet the goals. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

double reg_sat_add(double a, double b)
{
	double x = a + b;

	return x > REG_COUNT_MAX ? REG_COUNT_MAX : x < 0 ? 0 : x;
}

uint64_t reg_sat_add64(uint64_t a, uint64_t b)
{
	return a > REG_N_MAX - b || b > REG_N_MAX ? REG_N_MAX : a + b;
}

/* Time decay of a pair (s, f) over dt ns, with the floor. */
void reg_time_decay(struct hms_registry *reg, double *s, double *f,
		    uint64_t dt, uint64_t idle)
{
	double hl = dt / 1e9 / reg->half_life, n = *s + *f, k;

	if (dt == 0 || n <= 0)
		return;
	k = exp2(-hl);
	if (idle / 1e9 / reg->half_life < REG_STALE_HL && n * k < REG_FLOOR)
		k = n < REG_FLOOR ? 1 : REG_FLOOR / n;
	*s *= k;
	*f *= k;
}

void reg_ev_decay_to(struct hms_registry *reg, struct reg_ev *e, uint64_t t,
		     uint64_t k)
{
	/* idle: since the group's last outcome (any strategy) */
	uint64_t last = reg->ngrp > e->group ? reg->grp[e->group].t_last : 0;
	uint64_t idle = t > last ? t - last : 0;

	if (k > e->k_ref) {
		double g = pow(REG_GAMMA, (double)(k - e->k_ref));

		e->s *= g;
		e->f *= g;
		e->k_ref = k;
	}
	if (t > e->t_ref) {
		reg_time_decay(reg, &e->s, &e->f, t - e->t_ref, idle);
		e->t_ref = t;
	}
	if (t > e->rt_ref) {
		reg_time_decay(reg, &e->rs, &e->rf, t - e->rt_ref,
			       t - e->rt_ref);
		e->rt_ref = t;
	}
}

void reg_ev_now(struct hms_registry *reg, const struct reg_ev *e, double *s,
		double *f)
{
	struct reg_ev tmp = *e;

	reg_ev_decay_to(reg, &tmp, reg_now(reg), reg->grp[e->group].k);
	*s = reg_sat_add(tmp.s, tmp.rs);
	*f = reg_sat_add(tmp.f, tmp.rf);
}

void reg_ev_rec_push(struct reg_ev *e, double ms)
{
	if (!isfinite(ms) || ms < 0)
		ms = 0;
	if (ms > REG_MS_MAX)
		ms = REG_MS_MAX;
	if (e->nrec < REG_REC_MAX) {
		e->rec_ms[(e->rec_head + e->nrec++) % REG_REC_MAX] = ms;
	} else {
		e->rec_ms[e->rec_head] = ms;
		e->rec_head = (e->rec_head + 1) % REG_REC_MAX;
	}
}

double reg_quantile(const double *v, size_t n, double q)
{
	double tmp[64], pos;
	size_t i, j, lo;

	if (!n)
		return -1;
	n = n > 64 ? 64 : n;
	for (i = 0; i < n; i++) {	/* insertion sort: n is small */
		double x = v[i];

		for (j = i; j > 0 && tmp[j - 1] > x; j--)
			tmp[j] = tmp[j - 1];
		tmp[j] = x;
	}
	pos = q * (n - 1);
	lo = (size_t)pos;
	return lo + 1 < n ? tmp[lo] + (pos - lo) * (tmp[lo + 1] - tmp[lo])
			  : tmp[lo];
}

static double reg_ev_q(const struct reg_ev *e, double q)
{
	double v[REG_REC_MAX];
	int i;

	if (!e || !e->nrec)
		return -1;
	for (i = 0; i < e->nrec; i++)
		v[i] = e->rec_ms[i];
	return reg_quantile(v, e->nrec, q);
}

double reg_ev_median(const struct reg_ev *e)
{
	return reg_ev_q(e, 0.5);
}

double reg_ev_p95(const struct reg_ev *e)
{
	return reg_ev_q(e, 0.95);
}

/* ---- change detection ----------------------------------------------- */

/* First position in reg->order of the rows of (component, failure). */
static size_t reg_group_first(struct hms_registry *reg, const char *c,
			      const char *f)
{
	size_t lo = 0, hi = reg->nev;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct reg_ev *e = &reg->ev[reg->order[mid]];
		int d = strcmp(e->component, c);

		d = d ?: strcmp(e->failure, f);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A change was detected on e: it keeps the evidence since the change
 * point; the group's other strategies keep at most REG_RESET_OTHERS
 * outcomes' worth (none: an old ratio, good or bad, says nothing about
 * the changed world), so they are tried again.  Changed rows other than e
 * are queued into wb. */
static int reg_change(struct hms_registry *reg, struct reg_ev *e,
		      uint64_t t, rocksdb_writebatch_t *wb)
{
	size_t i = reg_group_first(reg, e->component, e->failure);
	uint64_t k = reg->grp[e->group].k;
	int err = 0;

	e->s = e->run_s;
	e->f = e->run_f;
	e->rs = e->rf = 0;
	e->cusum = 0;
	e->run_s = e->run_f = 0;
	e->change_ns = t;
	e->changes++;
	for (; i < reg->nev && !err; i++) {
		struct reg_ev *o = &reg->ev[reg->order[i]];
		double n, sc;

		if (strcmp(o->component, e->component) ||
		    strcmp(o->failure, e->failure))
			break;
		if (!strcmp(o->strategy, e->strategy))
			continue;
		reg_ev_decay_to(reg, o, t, k);
		n = o->s + o->f + o->rs + o->rf;
		sc = n > REG_RESET_OTHERS ? REG_RESET_OTHERS / n : 1;
		o->s *= sc;
		o->f *= sc;
		o->rs *= sc;
		o->rf *= sc;
		o->cusum = 0;
		o->run_s = o->run_f = 0;
		err = reg_ev_put(reg, wb, o);	/* wb NULL: marks it */
	}
	return err;
}

/* Bernoulli CUSUM for a drop of the success rate from p0 (the current
 * posterior mean) to p0 / 2.  Returns 1 when it raises the alarm: S above
 * REG_CUSUM_H and at least REG_CUSUM_MIN_F failures since the change
 * point (REG_CUSUM_MIN_F_HI from p0 >= 0.85).  From p0 = 0.9 a failure
 * adds 1.7: five failures close together cross the threshold, and that is
 * how a strategy that is fine raises a false alarm (two close strategies
 * lost their better one that way); a real drop to half keeps failing, so
 * it has its seven - or, from a high p0, ten - failures a few incidents
 * later at most (seven rather than six: a stable world's 0.8 strategy
 * raised fewer false alarms, and a real drop was not found later). */
static int reg_cusum(struct reg_ev *e, int success)
{
	double n = e->s + e->f + e->rs + e->rf;
	double p0 = (e->s + e->rs + 1) / (n + 2), p1 = p0 / 2;

	if (n < REG_CUSUM_MIN_N || p0 < 0.3)
		return 0;
	e->cusum += success ? log(p1 / p0) : log((1 - p1) / (1 - p0));
	if (e->cusum <= 0) {
		e->cusum = 0;
		e->run_s = e->run_f = 0;
		return 0;
	}
	if (success)
		e->run_s += 1;
	else
		e->run_f += 1;
	if (e->cusum > 1e3)
		e->cusum = 1e3;
	return e->cusum > REG_CUSUM_H &&
	       e->run_f >= (p0 >= REG_CUSUM_HI ? REG_CUSUM_MIN_F_HI
					     : REG_CUSUM_MIN_F);
}

/* Fold the outcome o into e (a row of the table).  Rows of the group
 * changed by a detected change go into wb (NULL = memory only). */
static int reg_ev_learn(struct hms_registry *reg, struct reg_ev *e,
			const struct registry_outcome *o,
			rocksdb_writebatch_t *wb)
{
	struct reg_group *g = &reg->grp[e->group];
	double w = 1;
	int err = 0;

	if (o->unverified)	/* stored, never evidence */
		return 0;
	if (o->trial) {	/* learned on the parameter's arm only */
		e->trials = reg_sat_add64(e->trials, 1);
		return 0;
	}
	if (g->k < REG_N_MAX)
		g->k++;
	if (o->time_ns > g->t_last)
		g->t_last = o->time_ns;
	if (o->time_ns >= e->t_ref) {
		reg_ev_decay_to(reg, e, o->time_ns, g->k);
	} else {	/* a late report counts as old evidence */
		reg_ev_decay_to(reg, e, e->t_ref, g->k);
		w = exp2(-((e->t_ref - o->time_ns) / 1e9) / reg->half_life);
	}
	if (w == 1 && reg_cusum(e, o->success)) {
		if (o->success)
			e->run_s -= 1;
		else
			e->run_f -= 1;
		err = reg_change(reg, e, o->time_ns, wb);
	}
	if (o->success) {
		e->s = reg_sat_add(e->s, w);
		reg_ev_rec_push(e, o->recover_ns / 1e6);
	} else {
		e->f = reg_sat_add(e->f, w);
	}
	e->n = reg_sat_add64(e->n, 1);
	return err;
}

int reg_ev_replay(struct hms_registry *reg, const struct registry_outcome *o)
{
	struct reg_ev *e = reg_ev_get(reg, o->component, o->failure,
				      o->strategy);

	if (!e)
		return -ENOMEM;
	if (!e->t_ref)
		e->t_ref = o->time_ns;
	if (!o->unverified)
		reg_param_learn(reg, o, NULL, NULL, NULL, NULL);
	return reg_ev_learn(reg, e, o, NULL);
}

static int reg_outcome_validate(struct hms_registry *reg,
				const struct registry_outcome *o)
{
	struct registry_strategy st;
	struct registry_incident in;

	if (!memchr(o->component, 0, sizeof(o->component)) ||
	    !registry_name_valid(o->component))
		return reg_fail(reg, -EINVAL, "outcome: component is not a valid name");
	if (!memchr(o->failure, 0, sizeof(o->failure)) ||
	    !registry_failure_valid(o->failure))
		return reg_fail(reg, -EINVAL, "outcome: failure: unknown class");
	if (!memchr(o->strategy, 0, sizeof(o->strategy)) ||
	    !registry_name_valid(o->strategy))
		return reg_fail(reg, -EINVAL, "outcome: strategy is not a valid name");
	if (!memchr(o->params, 0, sizeof(o->params)))
		return reg_fail(reg, -EINVAL, "outcome: params not terminated");
	if (!o->time_ns || o->time_ns > REG_T_MAX)
		return reg_fail(reg, -EINVAL, "outcome: time_ns out of range");
	if (o->incident_id && reg->db && !reg->fwd &&
	    registry_get_incident(reg, o->incident_id, &in))
		return reg_fail(reg, -ENOENT, "outcome: incident %llu does not exist",
				(unsigned long long)o->incident_id);
	if (registry_get_strategy(reg, o->strategy, &st))
		memset(&st, 0, sizeof(st));
	return reg_params_validate(reg, o->params, st.bounds, "outcome");
}

#define REG_TOUCH_MAX	8

/* The rows of e's group as they are: a detected change rewrites them
 * all, and a write that fails must leave memory as the store is. */
struct reg_undo {
	size_t *at;		/* indexes into reg->ev */
	struct reg_ev *was;
	size_t n;
};

static int reg_undo_save(struct hms_registry *reg, const struct reg_ev *e,
			 struct reg_undo *u)
{
	size_t first = reg_group_first(reg, e->component, e->failure), i, n;

	memset(u, 0, sizeof(*u));
	for (n = 0, i = first; i < reg->nev; i++, n++) {
		const struct reg_ev *o = &reg->ev[reg->order[i]];

		if (strcmp(o->component, e->component) ||
		    strcmp(o->failure, e->failure))
			break;
	}
	u->at = calloc(n ? n : 1, sizeof(*u->at));
	u->was = calloc(n ? n : 1, sizeof(*u->was));
	if (!u->at || !u->was) {
		free(u->at);
		free(u->was);
		return -ENOMEM;
	}
	for (u->n = 0; u->n < n; u->n++) {
		u->at[u->n] = reg->order[first + u->n];
		u->was[u->n] = reg->ev[u->at[u->n]];
	}
	return 0;
}

static void reg_undo_end(struct hms_registry *reg, struct reg_undo *u,
			 int restore)
{
	for (size_t i = 0; restore && i < u->n; i++)
		reg->ev[u->at[i]] = u->was[i];
	free(u->at);
	free(u->was);
}

int registry_record_outcome(struct hms_registry *reg,
			    const struct registry_outcome *o)
{
	struct reg_param *touched[REG_TOUCH_MAX], copies[REG_TOUCH_MAX];
	struct reg_ev *cur;
	struct reg_undo undo;
	struct reg_group g;
	rocksdb_writebatch_t *wb;
	uint8_t key[64];
	size_t kl, nt = 0, i;
	char *val;
	int err;

	err = reg_outcome_validate(reg, o);
	if (err)
		return err;
	if (reg->readonly)
		return reg_fail(reg, -EROFS, "store is open read-only");
	cur = reg_ev_get(reg, o->component, o->failure, o->strategy);
	if (!cur)
		return -ENOMEM;
	if (!cur->t_ref)
		cur->t_ref = o->time_ns;
	g = reg->grp[cur->group];
	val = reg_outcome_encode(o);
	if (!val || reg_undo_save(reg, cur, &undo)) {
		free(val);
		return -ENOMEM;
	}
	kl = reg_key_outcome(key, sizeof(key), o->strategy, o->time_ns,
			     o->incident_id, reg->seq++);
	wb = reg_batch(reg);	/* NULL: no store, memory only */
	if (wb && !reg->fwd)	/* a copy keeps the evidence, not the rows */
		reg_rdb.writebatch_put_cf(wb, reg->cf[CF_OUTCOMES], (char *)key,
					  kl, val, strlen(val));
	free(val);
	err = reg_ev_learn(reg, cur, o, wb);
	if (!o->unverified)	/* nothing proved: teaches no parameter */
		reg_param_learn(reg, o, wb, touched, copies, &nt);
	err = err ?: reg_ev_put(reg, wb, cur);
	err = err ?: reg_write(reg, wb);
	reg_batch_free(wb);
	/* nothing was stored: forget what was learned, also the others'
	 * evidence a detected change reset */
	reg_undo_end(reg, &undo, err != 0);
	if (err) {
		reg->grp[cur->group] = g;
		for (i = 0; i < nt; i++)
			*touched[i] = copies[i];
	} else if (reg->fwd) {
		reg->fwd(REGISTRY_OP_OUTCOME, o, sizeof(*o), reg->fwd_arg);
	}
	return err;
}

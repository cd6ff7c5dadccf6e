// SPDX-License-Identifier: BSD-2-Clause
/* param.c - parameters as their own learning problem, apart from the
 * strategy's evidence.
 *
 * A number (backoff delay, memory factor) lives on a geometric grid
 * within its bounds, anchored at the configured value: no eviction, the
 * answer cannot be lost.  Healing is taken to be monotone in it (a
 * longer delay or a larger factor heals at least as well), so the answer
 * is the smallest cell that heals: once the answer is confirmed (two
 * successes, posterior mean >= 0.7) the cell below is tried, and
 * becomes the answer when it is confirmed too.  The stopping rule: a
 * cell whose posterior mean is below 0.4 is not tried again until its
 * evidence is forgotten (discount REG_PGAMMA per outcome, ~70 outcomes
 * for one failure).  Two failures in a row at the answer (not trials)
 * move it up one cell and void the successes below: the world changed.
 * A string (signal choice) takes the best-confirmed choice and tries the
 * others, one at a time, with the same stopping rule.  Each outcome is
 * learned on the cell of the value actually used (the delay actually
 * waited), trial or not. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define REG_PGAMMA	0.99
#define REG_CELLS_SIDE	12

static double reg_cell_mean(const struct reg_param *p, int i)
{
	return (p->s[i] + 1.0) / (p->s[i] + p->f[i] + 2.0);
}

static int reg_cell_confirmed(const struct reg_param *p, int i)
{
	return p->s[i] >= 1.95 && reg_cell_mean(p, i) >= 0.7;
}

static int reg_cell_bad(const struct reg_param *p, int i)
{
	return p->f[i] >= 0.5 && reg_cell_mean(p, i) < 0.4;
}

static double reg_cell_value(const struct reg_param *p, int i)
{
	double v = p->anchor * pow(p->ratio, i - p->mid);

	return fmin(p->hi, fmax(p->lo, v));
}

static int reg_cell_of(const struct reg_param *p, double v)
{
	double k;
	int i;

	if (v <= 0)
		return 0;
	k = log(v / p->anchor) / log(p->ratio);
	if (!isfinite(k))
		return 0;
	k = k < -100 ? -100 : k > 100 ? 100 : k;
	i = p->mid + (int)lround(k);
	return i < 0 ? 0 : i >= p->ncell ? p->ncell - 1 : i;
}

/* (Re)build the state for request q when it is new or its setup changed. */
static int reg_param_setup(const struct registry_param *q, struct reg_param *p)
{
	int kmin = -REG_CELLS_SIDE, kmax = REG_CELLS_SIDE;
	size_t i;

	p->is_str = q->choices != NULL;
	if (p->is_str) {
		if (!q->nchoices || q->nchoices > REG_CHOICES_MAX)
			return -EINVAL;
		for (i = 0; i < q->nchoices; i++)
			if (!q->choices[i] || reg_copy(p->choice[i],
						       sizeof(p->choice[i]),
						       q->choices[i]))
				return -EINVAL;
		p->ncell = q->nchoices;
		return 0;
	}
	if (!(q->dflt > 0) || !(q->ratio > 1.001) || !(q->lo <= q->dflt) ||
	    !(q->dflt <= q->hi) || !isfinite(q->hi))
		return -EINVAL;
	if (q->lo > 0)
		kmin = (int)ceil(log(q->lo / q->dflt) / log(q->ratio) - 1e-9);
	kmax = (int)floor(log(q->hi / q->dflt) / log(q->ratio) + 1e-9);
	kmin = kmin < -REG_CELLS_SIDE ? -REG_CELLS_SIDE : kmin;
	kmax = kmax > REG_CELLS_SIDE ? REG_CELLS_SIDE : kmax;
	p->anchor = q->dflt;
	p->ratio = q->ratio;
	p->lo = q->lo;
	p->hi = q->hi;
	p->mid = -kmin;
	p->ncell = kmax - kmin + 1;
	p->answer = p->mid;
	return 0;
}

static int reg_param_same(const struct registry_param *q,
			  const struct reg_param *p)
{
	size_t i;

	if ((q->choices != NULL) != p->is_str)
		return 0;
	if (p->is_str) {
		if ((int)q->nchoices != p->ncell)
			return 0;
		for (i = 0; i < q->nchoices; i++)
			if (strcmp(q->choices[i], p->choice[i]))
				return 0;
		return 1;
	}
	return q->dflt == p->anchor && q->ratio == p->ratio &&
	       q->lo == p->lo && q->hi == p->hi;
}

/* Arm (c, f, s, q->name) as configured by q: the one learned, or a
 * fresh one (*fresh set) when there was none or q changed. */
static struct reg_param *reg_param_state(struct hms_registry *reg,
					 const char *c, const char *f,
					 const char *s,
					 const struct registry_param *q,
					 int *fresh)
{
	struct reg_param *p = reg_param_find(reg, c, f, s, q->name), z;

	*fresh = 0;
	if (p && reg_param_same(q, p))
		return p;
	*fresh = 1;
	memset(&z, 0, sizeof(z));
	if (reg_copy(z.component, sizeof(z.component), c) ||
	    reg_copy(z.failure, sizeof(z.failure), f) ||
	    reg_copy(z.strategy, sizeof(z.strategy), s) ||
	    reg_copy(z.name, sizeof(z.name), q->name) || reg_param_setup(q, &z))
		return NULL;
	if (p) {	/* configuration changed: learn afresh */
		*p = z;
		return p;
	}
	return reg_param_add(reg, &z);
}

/* Best confirmed choice of a string parameter, else the answer. */
static int reg_str_best(const struct reg_param *p)
{
	int i, best = p->answer;

	for (i = 0; i < p->ncell; i++)
		if (reg_cell_confirmed(p, i) &&
		    reg_cell_mean(p, i) > reg_cell_mean(p, best))
			best = i;
	return best;
}

/* The cell to try, or -1. */
static int reg_param_trial_cell(const struct reg_param *p)
{
	int i;

	if (!reg_cell_confirmed(p, p->answer))
		return -1;
	if (!p->is_str)
		return p->answer > 0 && !reg_cell_bad(p, p->answer - 1)
			       ? p->answer - 1 : -1;
	for (i = 0; i < p->ncell; i++)
		if (i != p->answer && p->s[i] + p->f[i] < 0.5)
			return i;
	return -1;
}

/* A copy tells the store about an arm it set up (the store learns from
 * outcomes only for arms it has). */
static void reg_param_forward(struct hms_registry *reg,
			      const struct reg_param *p,
			      const struct registry_param *q)
{
	struct reg_param_def d;

	memset(&d, 0, sizeof(d));
	memcpy(d.component, p->component, sizeof(d.component));
	memcpy(d.failure, p->failure, sizeof(d.failure));
	memcpy(d.strategy, p->strategy, sizeof(d.strategy));
	memcpy(d.name, p->name, sizeof(d.name));
	d.lo = q->lo;
	d.hi = q->hi;
	d.dflt = q->dflt;
	d.ratio = q->ratio;
	if (p->is_str) {
		d.nchoices = (uint32_t)p->ncell;
		memcpy(d.choice, p->choice, sizeof(d.choice));
	}
	reg->fwd(REGISTRY_OP_PARAM, &d, sizeof(d), reg->fwd_arg);
}

/* The store's side of reg_param_forward: the same arm, stored. */
int reg_param_define(struct hms_registry *reg, const struct reg_param_def *d)
{
	const char *choices[REG_CHOICES_MAX];
	struct registry_param q = {
		.name = d->name, .lo = d->lo, .hi = d->hi, .dflt = d->dflt,
		.ratio = d->ratio,
	};
	rocksdb_writebatch_t *wb;
	struct reg_param *p;
	int fresh, err;

	if (!registry_name_valid(d->component) ||
	    !registry_failure_valid(d->failure) ||
	    !registry_name_valid(d->strategy) || !registry_name_valid(d->name) ||
	    d->nchoices > REG_CHOICES_MAX)
		return reg_fail(reg, -EINVAL, "param: bad definition");
	for (uint32_t i = 0; i < d->nchoices; i++)
		choices[i] = d->choice[i];
	if (d->nchoices) {
		q.choices = choices;
		q.nchoices = d->nchoices;
	}
	p = reg_param_state(reg, d->component, d->failure, d->strategy, &q,
			    &fresh);
	if (!p)
		return reg_fail(reg, -EINVAL, "param %s: bad bounds or choices",
				d->name);
	if (!fresh)
		return 0;	/* resent, or set up already: nothing to store */
	wb = reg_batch(reg);
	err = reg_param_put(reg, wb, p);
	if (!err)
		err = reg_write(reg, wb);
	reg_batch_free(wb);
	return err;
}

int registry_params_choose(struct hms_registry *reg, const char *component,
			   const char *failure, const char *strategy,
			   struct registry_param *q, size_t n)
{
	int trial_taken = 0, fresh;
	size_t i;

	if (!registry_name_valid(component) || !registry_failure_valid(failure) ||
	    !registry_name_valid(strategy) || n > 8)
		return reg_fail(reg, -EINVAL, "params: bad arguments");
	for (i = 0; i < n; i++) {
		struct reg_param *p;
		int cell, t;

		q[i].trial = 0;
		q[i].value = q[i].dflt;
		q[i].str = q[i].choices && q[i].nchoices ? q[i].choices[0] : NULL;
		if (!q[i].name || !registry_name_valid(q[i].name))
			return reg_fail(reg, -EINVAL, "params: bad name");
		p = reg_param_state(reg, component, failure, strategy, &q[i],
				    &fresh);
		if (!p)
			return reg_fail(reg, -EINVAL,
					"params: %s: bad bounds or choices",
					q[i].name);
		if (fresh && reg->fwd)
			reg_param_forward(reg, p, &q[i]);
		cell = p->answer;
		t = trial_taken ? -1 : reg_param_trial_cell(p);
		if (t >= 0) {
			cell = t;
			q[i].trial = trial_taken = 1;
		}
		if (p->is_str)
			q[i].str = q[i].choices[cell];
		else
			q[i].value = reg_cell_value(p, cell);
	}
	return 0;
}

/* Learn one observed value v (cell) of p from an outcome. */
static void reg_param_observe(struct reg_param *p, int cell, int ok, int trial)
{
	int i;

	for (i = 0; i < p->ncell; i++) {
		p->s[i] *= REG_PGAMMA;
		p->f[i] *= REG_PGAMMA;
	}
	if (ok)
		p->s[cell] += 1;
	else
		p->f[cell] += 1;
	p->n = reg_sat_add64(p->n, 1);
	if (p->is_str) {
		if (cell == p->answer && !trial)
			p->fails_in_row = ok ? 0 : p->fails_in_row + 1;
		if (p->fails_in_row >= 2 || reg_cell_bad(p, p->answer)) {
			for (i = 0; i < p->ncell; i++)	/* best other choice */
				if (i != p->answer && !reg_cell_bad(p, i))
					break;
			if (i < p->ncell) {
				p->s[p->answer] = 0;
				p->answer = i;
			}
			p->fails_in_row = 0;
		}
		p->answer = reg_str_best(p);
		return;
	}
	if (trial && cell < p->answer && reg_cell_confirmed(p, cell))
		p->answer = cell;
	if (cell != p->answer || trial)
		return;
	p->fails_in_row = ok ? 0 : p->fails_in_row + 1;
	if ((p->fails_in_row >= 2 || reg_cell_bad(p, cell)) &&
	    p->answer + 1 < p->ncell) {
		for (i = 0; i <= p->answer; i++)	/* threshold moved */
			p->s[i] = 0;
		p->answer++;
		p->fails_in_row = 0;
	}
}

void reg_param_learn(struct hms_registry *reg, const struct registry_outcome *o,
		     rocksdb_writebatch_t *wb, struct reg_param **touched,
		     struct reg_param *copies, size_t *ntouched)
{
	json_t *params, *v;
	const char *key;

	if (!reg->npar || !o->params[0])
		return;
	params = json_loads(o->params, 0, NULL);
	json_object_foreach(params, key, v) {
		struct reg_param *p = reg_param_find(reg, o->component,
						     o->failure, o->strategy,
						     key);
		int cell = -1, i;

		if (!p)
			continue;
		if (p->is_str && json_is_string(v)) {
			for (i = 0; i < p->ncell; i++)
				if (!strcmp(p->choice[i], json_string_value(v)))
					cell = i;
		} else if (!p->is_str && json_is_number(v)) {
			cell = reg_cell_of(p, json_number_value(v));
		}
		if (cell < 0)
			continue;
		if (touched && *ntouched < 8) {
			copies[*ntouched] = *p;
			touched[(*ntouched)++] = p;
		}
		reg_param_observe(p, cell, o->success, o->trial);
		reg_param_put(reg, wb, p);	/* wb NULL: marks it */
	}
	json_decref(params);
}

/* {name: answer, ...} of the parameters learned for (c, f, s). */
void reg_param_tuned(struct hms_registry *reg, const char *c, const char *f,
		     const char *s, char *json, size_t len)
{
	const struct reg_ev *e = reg_ev_find(reg, c, f, s);
	json_t *obj;
	char *out;
	size_t i;

	if (!e || !e->npidx) {
		snprintf(json, len, "{}");
		return;
	}
	obj = json_object();
	for (i = 0; i < e->npidx; i++) {
		const struct reg_param *p = &reg->par[e->pidx[i]];
		double v;

		if (!p->n)
			continue;
		if (p->is_str) {
			json_object_set_new(obj, p->name,
					    json_string(p->choice[p->answer]));
			continue;
		}
		v = reg_cell_value(p, p->answer);
		json_object_set_new(obj, p->name, v == floor(v) && v < 9e15
				    ? json_integer((json_int_t)v) : json_real(v));
	}
	out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS |
			 JSON_REAL_PRECISION(6));
	if (!out || reg_copy(json, len, out))
		snprintf(json, len, "{}");
	free(out);
	json_decref(obj);
}

int registry_tuned_params(struct hms_registry *reg, const char *component,
			  const char *failure, const char *strategy,
			  char *json, size_t len)
{
	if (!component || !failure || !strategy || !len)
		return -EINVAL;
	reg_param_tuned(reg, component, failure, strategy, json, len);
	return strcmp(json, "{}") ? 0 : -ENOENT;
}

/* ---- stored form ---------------------------------------------------- */

json_t *reg_param_json(const struct reg_param *p)
{
	json_t *cells = json_array(), *ch = json_array();
	int i;

	for (i = 0; i < p->ncell; i++) {
		json_array_append_new(cells, json_pack("[f, f]", (double)p->s[i],
						       (double)p->f[i]));
		if (p->is_str)
			json_array_append_new(ch, json_string(p->choice[i]));
	}
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, "
			 "s:i, s:i, s:i, s:I, s:o, s:o}",
			 "v", REGISTRY_SCHEMA_VERSION, "component", p->component,
			 "failure", p->failure, "strategy", p->strategy,
			 "name", p->name, "type", p->is_str ? "string" : "number",
			 "anchor", p->anchor, "ratio", p->ratio, "lo", p->lo,
			 "hi", p->hi, "mid", p->mid, "answer", p->answer,
			 "fails_in_row", p->fails_in_row,
			 "n", (json_int_t)p->n, "choices", ch, "cells", cells);
}

int reg_param_from_json(struct hms_registry *reg, json_t *j,
			struct reg_param *p, const char *where)
{
	const char *c = NULL, *f = NULL, *s = NULL, *name = NULL, *type = NULL;
	json_t *cells = NULL, *ch = NULL, *x;
	json_int_t n = 0;
	int mid = 0, answer = 0, fir = 0;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (json_unpack(j, "{s:s, s:s, s:s, s:s, s:s, s:F, s:F, s:F, s:F, s:i, "
			"s:i, s:i, s:I, s:o, s:o}", "component", &c,
			"failure", &f, "strategy", &s, "name", &name,
			"type", &type, "anchor", &p->anchor, "ratio", &p->ratio,
			"lo", &p->lo, "hi", &p->hi, "mid", &mid,
			"answer", &answer, "fails_in_row", &fir, "n", &n,
			"choices", &ch, "cells", &cells) ||
	    !registry_name_valid(c) || !registry_failure_valid(f) ||
	    !registry_name_valid(s) || !registry_name_valid(name) ||
	    !json_is_array(cells) || !json_is_array(ch))
		return reg_fail(reg, -EINVAL, "%s: malformed", where);
	strcpy(p->component, c);
	strcpy(p->failure, f);
	strcpy(p->strategy, s);
	strcpy(p->name, name);
	p->is_str = !strcmp(type, "string");
	p->ncell = json_array_size(cells);
	p->mid = mid;
	p->answer = answer;
	p->fails_in_row = fir < 0 ? 0 : fir > 100 ? 100 : fir;
	p->n = n < 0 ? 0 : (uint64_t)n;
	if (p->ncell < 1 || p->ncell > (p->is_str ? REG_CHOICES_MAX : REG_GRID_MAX) ||
	    answer < 0 || answer >= p->ncell || mid < 0 || mid >= p->ncell ||
	    (p->is_str && (int)json_array_size(ch) != p->ncell) ||
	    (!p->is_str && (!(p->anchor > 0) || !(p->ratio > 1) ||
			    !isfinite(p->anchor) || !isfinite(p->ratio) ||
			    !isfinite(p->lo) || !isfinite(p->hi))))
		return reg_fail(reg, -ERANGE, "%s: out of range", where);
	json_array_foreach(cells, i, x) {
		double a = json_number_value(json_array_get(x, 0));
		double b = json_number_value(json_array_get(x, 1));

		if (!(a >= 0 && a <= REG_COUNT_MAX && b >= 0 && b <= REG_COUNT_MAX))
			return reg_fail(reg, -ERANGE, "%s.cells[%zu]: out of range",
					where, i);
		p->s[i] = a;
		p->f[i] = b;
		if (p->is_str && reg_copy(p->choice[i], sizeof(p->choice[i]),
					  json_string_value(json_array_get(ch, i))))
			return reg_fail(reg, -EINVAL, "%s.choices[%zu]", where, i);
	}
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* query.c - reading outcomes back: newest-first outcome lists per
 * strategy and exact aggregates (count, success rate, median and p95 time
 * to recover) per component x failure class x strategy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static int reg_outcome_match(const struct registry_outcome *o,
			     const struct registry_query *q)
{
	if (q->component && strcmp(o->component, q->component))
		return 0;
	if (q->failure && strcmp(o->failure, q->failure))
		return 0;
	if (o->time_ns < q->since_ns || (q->until_ns && o->time_ns > q->until_ns))
		return 0;
	return 1;
}

/* Call cb for every stored outcome matching strategy and q, in key order
 * (strategy, then time). */
static int reg_outcome_scan(struct hms_registry *reg, const char *strategy,
			    const struct registry_query *q,
			    int (*cb)(const struct registry_outcome *o, void *arg),
			    void *arg)
{
	struct registry_outcome o;
	rocksdb_iterator_t *it;
	size_t plen = strategy ? strlen(strategy) + 1 : 0, klen, vlen;
	int err = 0;

	if (!reg->db)	/* a copy keeps no outcome rows */
		return 0;
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_OUTCOMES]);
	if (strategy)
		reg_rdb.iter_seek(it, strategy, plen);
	else
		reg_rdb.iter_seek_to_first(it);
	for (; reg_rdb.iter_valid(it); reg_rdb.iter_next(it)) {
		const char *k = reg_rdb.iter_key(it, &klen);
		const char *v = reg_rdb.iter_value(it, &vlen);

		if (strategy && (klen < plen || memcmp(k, strategy, plen)))
			break;
		err = reg_outcome_decode(v, vlen, &o);
		if (err) {
			reg_fail(reg, err, "outcome: undecodable value");
			break;
		}
		if (reg_outcome_match(&o, q) && cb(&o, arg))
			break;
	}
	reg_rdb.iter_destroy(it);
	return err;
}

struct reg_olist {
	struct registry_outcome *v;
	size_t n, cap;
	int err;
};

static int reg_olist_add(const struct registry_outcome *o, void *arg)
{
	struct reg_olist *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (!p)
			return l->err = -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *o;
	return 0;
}

static int reg_o_newest_first(const void *a, const void *b)
{
	const struct registry_outcome *x = a, *y = b;

	return x->time_ns < y->time_ns ? 1 : x->time_ns > y->time_ns ? -1 : 0;
}

int registry_query_outcomes(struct hms_registry *reg, const char *strategy,
			    const struct registry_query *q,
			    registry_outcome_cb cb, void *arg)
{
	struct reg_olist l = { 0 };
	size_t i;
	int err;

	if (strategy && !registry_name_valid(strategy))
		return reg_fail(reg, -EINVAL, "query: bad strategy name");
	err = reg_outcome_scan(reg, strategy, q, reg_olist_add, &l);
	err = err ?: l.err;
	if (!err && l.n)
		qsort(l.v, l.n, sizeof(*l.v), reg_o_newest_first);
	for (i = 0; !err && i < l.n && (!q->limit || i < q->limit); i++)
		if (cb(&l.v[i], arg)) {
			i++;
			break;
		}
	free(l.v);
	return err ? err : (int)i;
}

struct reg_agg {
	struct registry_aggregate a;
	double *rec;
	size_t nrec, cap;
};

struct reg_agglist {
	struct reg_agg *v;
	size_t n, cap;
	int err;
};

static int reg_agg_add(const struct registry_outcome *o, void *arg)
{
	struct reg_agglist *l = arg;
	struct reg_agg *g = NULL;
	size_t i;

	for (i = 0; i < l->n && !g; i++)
		if (!strcmp(l->v[i].a.strategy, o->strategy) &&
		    !strcmp(l->v[i].a.component, o->component) &&
		    !strcmp(l->v[i].a.failure, o->failure))
			g = &l->v[i];
	if (!g) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			void *p = realloc(l->v, cap * sizeof(*l->v));

			if (!p)
				return l->err = -ENOMEM;
			l->v = p;
			l->cap = cap;
		}
		g = &l->v[l->n++];
		memset(g, 0, sizeof(*g));
		strcpy(g->a.component, o->component);
		strcpy(g->a.failure, o->failure);
		strcpy(g->a.strategy, o->strategy);
	}
	if (o->unverified) {
		g->a.unverified++;	/* stored, neither success nor failure */
		return 0;
	}
	g->a.count++;
	if (!o->success)
		return 0;
	g->a.successes++;
	if (g->nrec == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		void *p = realloc(g->rec, cap * sizeof(double));

		if (!p)
			return l->err = -ENOMEM;
		g->rec = p;
		g->cap = cap;
	}
	g->rec[g->nrec++] = o->recover_ns / 1e6;
	return 0;
}

static int reg_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double reg_sorted_q(const double *v, size_t n, double q)
{
	double pos = q * (n - 1);
	size_t lo = (size_t)pos;

	if (!n)
		return -1;
	return lo + 1 < n ? v[lo] + (pos - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

static int reg_agg_cmp(const void *a, const void *b)
{
	const struct registry_aggregate *x = a, *y = b;
	int c = strcmp(x->component, y->component);

	c = c ?: strcmp(x->failure, y->failure);
	return c ?: strcmp(x->strategy, y->strategy);
}

int registry_aggregate_foreach(struct hms_registry *reg,
			       const struct registry_query *q,
			       int (*cb)(const struct registry_aggregate *a,
					 void *arg),
			       void *arg)
{
	struct reg_agglist l = { 0 };
	size_t i;
	int err, stop = 0;

	err = reg_outcome_scan(reg, NULL, q, reg_agg_add, &l);
	err = err ?: l.err;
	for (i = 0; !err && i < l.n; i++) {
		struct reg_agg *g = &l.v[i];

		if (g->nrec)
			qsort(g->rec, g->nrec, sizeof(double), reg_dbl_cmp);
		g->a.success_rate = g->a.count ?
			(double)g->a.successes / g->a.count : 0;
		g->a.median_recover_ms = reg_sorted_q(g->rec, g->nrec, 0.5);
		g->a.p95_recover_ms = reg_sorted_q(g->rec, g->nrec, 0.95);
	}
	if (!err && l.n)	/* first member of reg_agg is the aggregate */
		qsort(l.v, l.n, sizeof(*l.v), reg_agg_cmp);
	for (i = 0; !err && !stop && i < l.n; i++)
		stop = cb(&l.v[i].a, arg);
	for (i = 0; i < l.n; i++)
		free(l.v[i].rec);
	free(l.v);
	return err;
}

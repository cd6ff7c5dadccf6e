// SPDX-License-Identifier: BSD-2-Clause
/* rows.c - evidence as rows for the dashboard and the tool: decayed
 * counts, posterior mean and 90 % interval, fleet part, times to
 * recover, tuned parameters and the probability of being chosen next
 * (registry_explain over the strategies of the same component and
 * class).  Rows come in key order from the sorted index, whole or in
 * pages, so the event loop never has to walk all evidence. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* The group of rows around sorted position pos: [*first, *end). */
static void reg_group_span(struct hms_registry *reg, size_t pos,
			   size_t *first, size_t *end)
{
	const struct reg_ev *e = &reg->ev[reg->order[pos]];
	size_t a = pos, b = pos + 1;

	while (a > 0 && reg->ev[reg->order[a - 1]].group == e->group)
		a--;
	while (b < reg->nev && reg->ev[reg->order[b]].group == e->group)
		b++;
	*first = a;
	*end = b;
}

static void reg_ev_row(struct hms_registry *reg, const struct reg_ev *e,
		       double p_next, struct registry_evidence *row)
{
	struct reg_ev tmp = *e;
	double n, sd;

	reg_ev_decay_to(reg, &tmp, reg_now(reg), reg->grp[e->group].k);
	memset(row, 0, sizeof(*row));
	strcpy(row->component, e->component);
	strcpy(row->failure, e->failure);
	strcpy(row->strategy, e->strategy);
	row->successes = reg_sat_add(tmp.s, tmp.rs);
	row->failures = reg_sat_add(tmp.f, tmp.rf);
	row->fleet_successes = tmp.rs;
	row->fleet_failures = tmp.rf;
	n = row->successes + row->failures;
	row->success_rate = n > 0 ? row->successes / n : 0;
	row->mean = (row->successes + 1) / (n + 2);
	sd = sqrt(row->mean * (1 - row->mean) / (n + 3));
	row->lo90 = fmax(0, row->mean - 1.645 * sd);
	row->hi90 = fmin(1, row->mean + 1.645 * sd);
	row->n_outcomes = reg_sat_add64(e->n, e->rn);
	row->median_recover_ms = reg_ev_median(e);
	row->p95_recover_ms = reg_ev_p95(e);
	row->trials = e->trials;
	row->changes = e->changes;
	row->decayed = n < 0.01;
	row->p_next = p_next;
	reg_param_tuned(reg, e->component, e->failure, e->strategy,
			row->tuned_params, sizeof(row->tuned_params));
}

/* Deliver sorted rows [from, to); probabilities per group. */
static int reg_rows(struct hms_registry *reg, size_t from, size_t to,
		    const char *component,
		    int (*cb)(const struct registry_evidence *ev, void *arg),
		    void *arg)
{
	struct registry_candidate cand[REGISTRY_CHOOSE_MAX];
	const char *names[REGISTRY_CHOOSE_MAX];
	struct registry_evidence row;
	size_t i = from, first, end, j;
	int count = 0;

	while (i < to) {
		const struct reg_ev *e = &reg->ev[reg->order[i]];

		reg_group_span(reg, i, &first, &end);
		if (component && strcmp(e->component, component)) {
			i = end;
			continue;
		}
		for (j = first; j < end && j - first < REGISTRY_CHOOSE_MAX; j++)
			names[j - first] = reg->ev[reg->order[j]].strategy;
		if (registry_explain(reg, e->component, e->failure, names,
				     j - first, cand))
			memset(cand, 0, sizeof(cand));
		for (; i < end && i < to; i++) {
			size_t k = i - first;

			reg_ev_row(reg, &reg->ev[reg->order[i]],
				   k < REGISTRY_CHOOSE_MAX ? cand[k].p_choose : 0,
				   &row);
			count++;
			if (cb(&row, arg))
				return count;
		}
	}
	return count;
}

/* Sorted position of the first row of component. */
static size_t reg_component_first(struct hms_registry *reg, const char *c)
{
	size_t lo = 0, hi = reg->nev;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(reg->ev[reg->order[mid]].component, c) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int registry_evidence_foreach(struct hms_registry *reg, const char *component,
			      int (*cb)(const struct registry_evidence *ev,
					void *arg),
			      void *arg)
{
	size_t from = component ? reg_component_first(reg, component) : 0;
	size_t to = reg->nev;

	if (component)	/* only the span of that component */
		for (to = from; to < reg->nev &&
		     !strcmp(reg->ev[reg->order[to]].component, component); to++)
			;
	reg_rows(reg, from, to, component, cb, arg);
	return 0;
}

int registry_evidence_page(struct hms_registry *reg, size_t offset,
			   size_t max,
			   int (*cb)(const struct registry_evidence *ev,
				     void *arg),
			   void *arg)
{
	size_t to;

	if (offset >= reg->nev)
		return 0;
	to = max < reg->nev - offset ? offset + max : reg->nev;
	return reg_rows(reg, offset, to, NULL, cb, arg);
}

size_t registry_evidence_count(const struct hms_registry *reg)
{
	return reg ? reg->nev : 0;
}

/* tune.c - turning evidence into answers: tuned strategy parameters and
 * the evidence rows the dashboard and the tool browse.
 *
 * Tuning rule, per parameter seen in outcomes: for a number (backoff
 * delay, memory increment, ...) the smallest value that healed at least
 * half of the times it was tried; for a string (signal choice) the value
 * with the best success rate.  Results are clamped to the strategy's
 * bounds when the strategy is registered. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static json_t *reg_tune_pick(const struct reg_tune *t, json_t *bounds)
{
	const struct reg_tune_val *best = NULL;
	json_t *b;
	double x, rate, best_rate = -1;
	int i;

	for (i = 0; i < t->nvals; i++) {
		const struct reg_tune_val *v = &t->vals[i];

		if (v->ok <= 0)
			continue;
		rate = v->ok / (v->ok + v->fail);
		if (t->is_str) {
			if (!best || rate > best_rate ||
			    (rate == best_rate && v->ok > best->ok)) {
				best = v;
				best_rate = rate;
			}
		} else if (rate >= 0.5 && (!best || v->num < best->num)) {
			best = v;
		}
	}
	if (!best)
		return NULL;
	if (t->is_str)
		return json_string(best->str);
	x = best->num;
	b = bounds ? json_object_get(bounds, t->name) : NULL;
	if (b) {
		x = fmax(x, json_number_value(json_array_get(b, 0)));
		x = fmin(x, json_number_value(json_array_get(b, 1)));
	}
	if (x == floor(x) && fabs(x) < 9e15)
		return json_integer((json_int_t)x);
	return json_real(x);
}

void reg_ev_tuned(struct hms_registry *reg, const struct reg_ev *e,
		  char *json, size_t len)
{
	struct registry_strategy st;
	json_t *obj = json_object(), *bounds = NULL, *v;
	char *s;
	int i;

	if (!registry_get_strategy(reg, e->strategy, &st) && st.bounds[0])
		bounds = json_loads(st.bounds, 0, NULL);
	for (i = 0; i < e->ntune; i++) {
		v = reg_tune_pick(&e->tune[i], bounds);
		if (v)
			json_object_set_new(obj, e->tune[i].name, v);
	}
	s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s || reg_copy(json, len, s))
		snprintf(json, len, "{}");
	free(s);
	json_decref(obj);
	json_decref(bounds);
}

int registry_tuned_params(struct hms_registry *reg, const char *component,
			  const char *failure, const char *strategy,
			  char *json, size_t len)
{
	const struct reg_ev *e;

	if (!component || !failure || !strategy || !len)
		return -EINVAL;
	e = reg_ev_find(reg, component, failure, strategy);
	if (!e)
		return -ENOENT;
	reg_ev_tuned(reg, e, json, len);
	return strcmp(json, "{}") ? 0 : -ENOENT;
}

static int reg_ev_cmp(const void *a, const void *b)
{
	const struct reg_ev *x = *(struct reg_ev *const *)a;
	const struct reg_ev *y = *(struct reg_ev *const *)b;
	int c = strcmp(x->component, y->component);

	c = c ?: strcmp(x->failure, y->failure);
	return c ?: strcmp(x->strategy, y->strategy);
}

static void reg_ev_row(struct hms_registry *reg, const struct reg_ev *e,
		       uint64_t now, struct registry_evidence *row)
{
	struct reg_ev tmp = *e;

	reg_ev_decay_to(reg, &tmp, now);
	memset(row, 0, sizeof(*row));
	strcpy(row->component, e->component);
	strcpy(row->failure, e->failure);
	strcpy(row->strategy, e->strategy);
	row->successes = tmp.s;
	row->failures = tmp.f;
	row->success_rate = tmp.s + tmp.f > 0 ? tmp.s / (tmp.s + tmp.f) : 0;
	row->n_outcomes = e->n;
	row->median_recover_ms = reg_quantile(e->rec_ms, e->nrec, 0.5);
	row->p95_recover_ms = reg_quantile(e->rec_ms, e->nrec, 0.95);
	reg_ev_tuned(reg, e, row->tuned_params, sizeof(row->tuned_params));
}

int registry_evidence_foreach(struct hms_registry *reg, const char *component,
			      int (*cb)(const struct registry_evidence *ev,
					void *arg),
			      void *arg)
{
	struct registry_evidence row;
	struct reg_ev **v;
	uint64_t now = reg_now(reg);
	size_t i, n = 0;

	v = calloc(reg->nev + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < reg->nev; i++)
		if (!component || !strcmp(reg->ev[i].component, component))
			v[n++] = &reg->ev[i];
	qsort(v, n, sizeof(*v), reg_ev_cmp);
	for (i = 0; i < n; i++) {
		reg_ev_row(reg, v[i], now, &row);
		if (cb(&row, arg))
			break;
	}
	free(v);
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* view_state.c - applies the daemon's pushes to a pane's tables.
 *
 * Kept apart from the socket and the screen so that the same code is fed
 * by the live connection, by unit tests and by the fixture renderer.  The
 * process table is indexed by tgid (open addressing) because a host may
 * track thousands of processes and updates arrive for a few at a time. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hms_names.h"
#include "hms_proto.h"
#include "view_state.h"

static void view_comp_map(struct view_state *st);

int view_state_new(struct view_state **out)
{
	struct view_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->events = calloc(VIEW_EVENTS_MAX, sizeof(*st->events));
	if (!st->events) {
		free(st);
		return -ENOMEM;
	}
	*out = st;
	return 0;
}

void view_state_reset(struct view_state *st)
{
	st->n_procs = 0;
	if (st->index)
		memset(st->index, 0, st->index_cap * sizeof(*st->index));
	st->n_comps = 0;
	view_comp_map(st);
	st->n_strats = 0;
	st->ev_head = st->n_events = 0;
	st->m_head = st->n_samples = 0;
	for (size_t i = 0; i < st->n_hist; i++) {
		memset(st->hist[i].head, 0, sizeof(st->hist[i].head));
		memset(st->hist[i].n, 0, sizeof(st->hist[i].n));
	}
	st->loaded = 0;
}

void view_state_free(struct view_state *st)
{
	if (!st)
		return;
	free(st->procs);
	free(st->index);
	free(st->comps);
	free(st->comp_key);
	free(st->comp_val);
	free(st->strats);
	free(st->events);
	for (size_t i = 0; st->hist && i < VIEW_HIST_COMPS; i++)
		for (int c = 0; c < VIEW_HC_MAX; c++)
			free(st->hist[i].ring[c]);
	free(st->hist);
	free(st);
}

static void view_copy(char *dst, size_t len, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		snprintf(dst, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(dst, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		dst[0] = '\0';
}

static double view_num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_boolean(v))
		return json_is_true(v);
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* ---- process table with a tgid index ---- */

static size_t view_slot(const struct view_state *st, uint32_t tgid)
{
	size_t mask = st->index_cap - 1, i = (tgid * 2654435761u) & mask;

	while (st->index[i] && st->procs[st->index[i] - 1].tgid != tgid)
		i = (i + 1) & mask;
	return i;
}

static int view_reindex(struct view_state *st, size_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));
	size_t i;

	if (!idx)
		return -ENOMEM;
	free(st->index);
	st->index = idx;
	st->index_cap = cap;
	for (i = 0; i < st->n_procs; i++)
		st->index[view_slot(st, st->procs[i].tgid)] = i + 1;
	return 0;
}

const struct view_proc *view_state_proc(const struct view_state *st,
					uint32_t tgid)
{
	size_t s;

	if (!st->index_cap)
		return NULL;
	s = view_slot(st, tgid);
	return st->index[s] ? &st->procs[st->index[s] - 1] : NULL;
}

static int view_proc_upsert(struct view_state *st, json_t *o)
{
	uint32_t tgid = (uint32_t)view_num(o, "tgid");
	struct view_proc *p;
	size_t s;

	if (st->n_procs + 1 > st->index_cap / 2 &&
	    view_reindex(st, st->index_cap ? st->index_cap * 2 : 1024))
		return -ENOMEM;
	if (st->n_procs == st->cap_procs) {
		size_t cap = st->cap_procs ? st->cap_procs * 2 : 256;
		void *n = realloc(st->procs, cap * sizeof(*st->procs));

		if (!n)
			return -ENOMEM;
		st->procs = n;
		st->cap_procs = cap;
	}
	s = view_slot(st, tgid);
	if (!st->index[s]) {
		st->index[s] = ++st->n_procs;
	}
	p = &st->procs[st->index[s] - 1];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->ppid = (uint32_t)view_num(o, "ppid");
	view_copy(p->comm, sizeof(p->comm), o, "comm");
	view_copy(p->exe, sizeof(p->exe), o, "exe");
	view_copy(p->last_failure, sizeof(p->last_failure), o, "last_failure");
	view_copy(p->cause, sizeof(p->cause), o, "cause");
	view_copy(p->sender, sizeof(p->sender), o, "sender");
	p->runq_p99_us = (uint64_t)view_num(o, "runq_p99_us");
	p->failures = (uint32_t)view_num(o, "failures");
	p->resets = (uint32_t)view_num(o, "resets");
	p->refusals = (uint32_t)view_num(o, "refusals");
	p->alive = (int)view_num(o, "alive");
	return 0;
}

static void view_proc_remove(struct view_state *st, uint32_t tgid)
{
	size_t s, last;

	if (!view_state_proc(st, tgid))
		return;
	s = view_slot(st, tgid);
	last = st->n_procs - 1;
	if (st->index[s] - 1 != last)
		st->procs[st->index[s] - 1] = st->procs[last];
	st->n_procs--;
	view_reindex(st, st->index_cap);	/* same size: cannot fail */
}

/* ---- components, strategies, events, metrics ---- */

/* Every pid of every component in a map, so that a table of 10,000
 * processes finds each one's component in O(1) at every frame. */
static void view_comp_map_put(struct view_state *st, uint32_t tgid,
			      uint32_t val)
{
	size_t mask = st->comp_cap - 1, i = (tgid * 2654435761u) & mask;

	while (st->comp_key[i] && st->comp_key[i] != tgid)
		i = (i + 1) & mask;
	if (!st->comp_key[i]) {		/* the main pid wins: put first */
		st->comp_key[i] = tgid;
		st->comp_val[i] = val;
	}
}

static void view_comp_map(struct view_state *st)
{
	size_t n = 0, cap = 16;

	for (size_t i = 0; i < st->n_comps; i++)
		n += 1 + st->comps[i].n_pids;
	while (cap < n * 2)
		cap *= 2;
	if (cap != st->comp_cap) {
		free(st->comp_key);
		free(st->comp_val);
		st->comp_key = calloc(cap, sizeof(*st->comp_key));
		st->comp_val = calloc(cap, sizeof(*st->comp_val));
		st->comp_cap = cap;
		if (!st->comp_key || !st->comp_val) {
			st->comp_cap = 0;	/* lookups find nothing */
			return;
		}
	} else {
		memset(st->comp_key, 0, cap * sizeof(*st->comp_key));
	}
	for (size_t i = 0; i < st->n_comps; i++)
		if (st->comps[i].pid)
			view_comp_map_put(st, st->comps[i].pid, (uint32_t)i + 1);
	for (size_t i = 0; i < st->n_comps; i++)
		for (size_t k = 0; k < st->comps[i].n_pids; k++)
			if (st->comps[i].pids[k])
				view_comp_map_put(st, st->comps[i].pids[k],
						  (uint32_t)i + 1);
}

static int view_comps(struct view_state *st, json_t *arr)
{
	size_t i, n = json_array_size(arr);
	void *mem = realloc(st->comps, (n ? n : 1) * sizeof(*st->comps));

	if (!mem)
		return -ENOMEM;
	st->comps = mem;
	st->n_comps = n;
	for (i = 0; i < n; i++) {
		struct view_component *c = &st->comps[i];
		json_t *o = json_array_get(arr, i);

		view_copy(c->name, sizeof(c->name), o, "name");
		view_copy(c->state, sizeof(c->state), o, "state");
		c->state_id = hms_state_from_name(c->state);
		view_copy(c->last_failure, sizeof(c->last_failure), o,
			  "last_failure");
		view_copy(c->last_cause, sizeof(c->last_cause), o,
			  "last_cause");
		c->pid = (uint32_t)view_num(o, "pid");
		c->restarts = (uint32_t)view_num(o, "restarts");
		c->paused = (int)view_num(o, "paused");
		c->n_pids = 0;
		for (size_t k = 0; k < json_array_size(json_object_get(o,
				"pids")) && c->n_pids < VIEW_COMP_PIDS; k++)
			c->pids[c->n_pids++] = (uint32_t)json_integer_value(
				json_array_get(json_object_get(o, "pids"), k));
		view_copy(c->last_oom, sizeof(c->last_oom),
			  json_object_get(o, "last_oom"), "summary");
	}
	view_comp_map(st);
	return VIEW_CH_COMPS;
}

static int view_strats(struct view_state *st, json_t *arr)
{
	size_t i, n = json_array_size(arr);
	void *mem = realloc(st->strats, (n ? n : 1) * sizeof(*st->strats));

	if (!mem)
		return -ENOMEM;
	st->strats = mem;
	st->n_strats = n;
	for (i = 0; i < n; i++) {
		struct view_strategy *s = &st->strats[i];
		json_t *o = json_array_get(arr, i);

		view_copy(s->component, sizeof(s->component), o, "component");
		view_copy(s->failure, sizeof(s->failure), o, "failure");
		view_copy(s->strategy, sizeof(s->strategy), o, "strategy");
		s->successes = view_num(o, "successes");
		s->failures = view_num(o, "failures");
		s->success_rate = view_num(o, "success_rate");
		s->n_outcomes = (uint32_t)view_num(o, "n_outcomes");
		s->median_recover_ms = view_num(o, "median_recover_ms");
		s->p95_recover_ms = view_num(o, "p95_recover_ms");
		s->p_next = view_num(o, "p_next");
		s->next = (int)view_num(o, "next");
	}
	return VIEW_CH_STRATS;
}

void view_state_event_from_msg(struct view_event *e, json_t *msg)
{
	memset(e, 0, sizeof(*e));
	e->seq = (uint64_t)view_num(msg, "seq");
	e->time_ms = (int64_t)view_num(msg, "time_ms");
	view_copy(e->kind, sizeof(e->kind), msg, "kind");
	e->tgid = (uint32_t)view_num(msg, "pid");
	view_copy(e->comm, sizeof(e->comm), msg, "comm");
	view_copy(e->component, sizeof(e->component), msg, "component");
	view_copy(e->text, sizeof(e->text), msg, "text");
}

/* ---- per-component history ---- */

int view_hist_class(const char *kind)
{
	if (!strcmp(kind, "failure") || !strcmp(kind, "alert") ||
	    !strcmp(kind, "oom"))
		return VIEW_HC_FAIL;
	if (!strcmp(kind, "action"))
		return VIEW_HC_ACT;
	if (!strcmp(kind, "strategy") || !strcmp(kind, "outcome") ||
	    !strcmp(kind, "component_state"))
		return VIEW_HC_OTHER;
	return -1;
}

static const size_t view_hist_cap[VIEW_HC_MAX] = {
	VIEW_HIST_FAIL, VIEW_HIST_ACT, VIEW_HIST_OTHER,
};

static struct view_hist *view_hist_get(struct view_state *st,
				       const char *name)
{
	struct view_hist *h;
	size_t i;

	for (i = 0; i < st->n_hist; i++)
		if (!strcmp(st->hist[i].name, name))
			return &st->hist[i];
	if (!st->hist) {
		st->hist = calloc(VIEW_HIST_COMPS, sizeof(*st->hist));
		if (!st->hist)
			return NULL;
	}
	if (st->n_hist == VIEW_HIST_COMPS)
		return NULL;
	h = &st->hist[st->n_hist];
	for (int c = 0; c < VIEW_HC_MAX; c++)
		if (!h->ring[c] &&
		    !(h->ring[c] = calloc(view_hist_cap[c], sizeof(*h->ring[c]))))
			return NULL;	/* kept for the next try */
	snprintf(h->name, sizeof(h->name), "%s", name);
	st->n_hist++;
	return h;
}

/* Keep a component's failures and healer events; an event already kept
 * (seen in the snapshot's history and again in its recent events) once. */
static void view_hist_push(struct view_state *st, const struct view_event *e)
{
	int c = view_hist_class(e->kind);
	struct view_hist *h;
	size_t slot, cap;

	if (c < 0 || !e->component[0] || !(h = view_hist_get(st, e->component)))
		return;
	cap = view_hist_cap[c];
	if (h->n[c] && e->seq) {
		const struct view_event *last =
			&h->ring[c][(h->head[c] + h->n[c] - 1) % cap];

		if (e->seq <= last->seq)
			return;
	}
	slot = (h->head[c] + h->n[c]) % cap;
	if (h->n[c] == cap) {
		slot = h->head[c];
		h->head[c] = (h->head[c] + 1) % cap;
	} else {
		h->n[c]++;
	}
	h->ring[c][slot] = *e;
}

size_t view_state_history(const struct view_state *st, const char *name,
			  const struct view_event **out, size_t max)
{
	const struct view_hist *h = NULL;
	size_t i, k = 0, pos[VIEW_HC_MAX] = { 0 };

	for (i = 0; i < st->n_hist; i++)
		if (!strcmp(st->hist[i].name, name))
			h = &st->hist[i];
	if (!h)
		return 0;
	while (k < max) {		/* merge the rings by event number */
		const struct view_event *best = NULL, *e;
		int bc = -1;

		for (int c = 0; c < VIEW_HC_MAX; c++) {
			if (pos[c] >= h->n[c])
				continue;
			e = &h->ring[c][(h->head[c] + pos[c]) % view_hist_cap[c]];
			if (!best || e->seq < best->seq ||
			    (e->seq == best->seq && e->time_ms < best->time_ms)) {
				best = e;
				bc = c;
			}
		}
		if (!best)
			break;
		pos[bc]++;
		out[k++] = best;
	}
	return k;
}

static void view_event_push(struct view_state *st, json_t *m)
{
	size_t slot = (st->ev_head + st->n_events) % VIEW_EVENTS_MAX;

	if (st->n_events == VIEW_EVENTS_MAX) {
		slot = st->ev_head;
		st->ev_head = (st->ev_head + 1) % VIEW_EVENTS_MAX;
	} else {
		st->n_events++;
	}
	view_state_event_from_msg(&st->events[slot], m);
	view_hist_push(st, &st->events[slot]);
}

static const char *const view_metric_keys[VIEW_M_MAX] = {
	"events", "restarts", "drops", "runq_ms", "recover_ms",
};

static void view_metric_push(struct view_state *st, json_t *s)
{
	size_t slot = (st->m_head + st->n_samples) % VIEW_METRIC_SAMPLES;
	int m;

	if (st->n_samples == VIEW_METRIC_SAMPLES) {
		slot = st->m_head;
		st->m_head = (st->m_head + 1) % VIEW_METRIC_SAMPLES;
	} else {
		st->n_samples++;
	}
	for (m = 0; m < VIEW_M_MAX; m++)
		st->metrics[m][slot] = view_num(s, view_metric_keys[m]);
}

static int view_procs(struct view_state *st, json_t *msg)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(msg, "upsert"), i, v)
		if (view_proc_upsert(st, v))
			return -ENOMEM;
	json_array_foreach(json_object_get(msg, "remove"), i, v)
		view_proc_remove(st, (uint32_t)json_integer_value(v));
	return VIEW_CH_PROCS;
}

static int view_snapshot(struct view_state *st, json_t *msg)
{
	json_t *v, *arr;
	size_t i;
	int ch = 0;

	view_state_reset(st);
	if ((arr = json_object_get(msg, "procs"))) {
		json_array_foreach(arr, i, v)
			if (view_proc_upsert(st, v))
				return -ENOMEM;
		ch |= VIEW_CH_PROCS;
	}
	if ((arr = json_object_get(msg, "components")) && view_comps(st, arr) < 0)
		return -ENOMEM;
	if ((arr = json_object_get(msg, "strategies")) && view_strats(st, arr) < 0)
		return -ENOMEM;
	json_array_foreach(json_object_get(msg, "history"), i, v) {
		struct view_event e;

		view_state_event_from_msg(&e, v);
		view_hist_push(st, &e);
	}
	json_array_foreach(json_object_get(msg, "events"), i, v)
		view_event_push(st, v);
	st->loaded = 1;
	json_array_foreach(json_object_get(msg, "metrics"), i, v)
		view_metric_push(st, v);
	return ch | VIEW_CH_COMPS | VIEW_CH_STRATS | VIEW_CH_EVENTS |
	       VIEW_CH_METRICS;
}

int view_state_apply(struct view_state *st, json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg,
							     HMS_PROTO_KEY_TYPE));

	if (!json_is_object(msg) || !type)
		return -EINVAL;
	if (!strcmp(type, HMS_MSG_SNAPSHOT))
		return view_snapshot(st, msg);
	if (!strcmp(type, HMS_MSG_EVENT)) {
		view_event_push(st, msg);
		return VIEW_CH_EVENTS;
	}
	if (!strcmp(type, HMS_MSG_PROCS))
		return view_procs(st, msg);
	if (!strcmp(type, HMS_MSG_COMPONENTS))
		return view_comps(st, json_object_get(msg, "components"));
	if (!strcmp(type, HMS_MSG_STRATEGIES))
		return view_strats(st, json_object_get(msg, "strategies"));
	if (!strcmp(type, HMS_MSG_METRICS)) {
		view_metric_push(st, json_object_get(msg, "sample"));
		return VIEW_CH_METRICS;
	}
	if (!strcmp(type, HMS_MSG_RESULT)) {
		view_copy(st->result, sizeof(st->result), msg, "message");
		st->result_ok = (int)view_num(msg, "ok");
		return VIEW_CH_RESULT;
	}
	if (!strcmp(type, HMS_MSG_HELLO)) {
		view_copy(st->role, sizeof(st->role), msg, "role");
		return VIEW_CH_HELLO;
	}
	return 0;	/* unknown types are ignored: newer daemon */
}

int view_state_apply_line(struct view_state *st, const char *line,
			  size_t len)
{
	json_t *msg = json_loadb(line, len, 0, NULL);
	int err;

	if (!msg)
		return -EINVAL;
	err = view_state_apply(st, msg);
	json_decref(msg);
	return err;
}

const struct view_component *view_state_comp_of(const struct view_state *st,
						uint32_t tgid)
{
	size_t mask, i;

	if (!tgid || !st->comp_cap)
		return NULL;
	mask = st->comp_cap - 1;
	for (i = (tgid * 2654435761u) & mask; st->comp_key[i];
	     i = (i + 1) & mask)
		if (st->comp_key[i] == tgid)
			return &st->comps[st->comp_val[i] - 1];
	return NULL;
}

const struct view_component *view_state_comp_by_pid(
	const struct view_state *st, uint32_t tgid)
{
	size_t i;

	for (i = 0; tgid && i < st->n_comps; i++)
		if (st->comps[i].pid == tgid)
			return &st->comps[i];
	return NULL;
}

const struct view_event *view_state_event(const struct view_state *st,
					  size_t i)
{
	if (i >= st->n_events)
		return NULL;
	return &st->events[(st->ev_head + i) % VIEW_EVENTS_MAX];
}

double view_state_metric(const struct view_state *st, int m, size_t i)
{
	if (m < 0 || m >= VIEW_M_MAX || i >= st->n_samples)
		return 0;
	return st->metrics[m][(st->m_head + i) % VIEW_METRIC_SAMPLES];
}

// SPDX-License-Identifier: BSD-2-Clause
/* view_json.c - `hms-ebpf view NAME --json`: the data a view shows, as
 * one JSON document for scripts.  Built from the pane's own tables (not
 * a copy of what the daemon sent), so it says what the view would draw:
 * processes in the view's order with exited ones only when asked is left
 * to the script (all rows, each with "alive"), events oldest first. */
#include <stdio.h>
#include <stdlib.h>

#include "hms_sanitize.h"
#include "view_int.h"

/* Untrusted text made valid UTF-8 and escaped as on the screen. */
static json_t *vj_str(const char *s)
{
	char safe[VIEW_TEXT * 4];

	sanitize_str(s, safe, sizeof(safe));
	return json_string(safe);
}

static json_t *vj_procs(const struct view_state *st)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < st->n_procs; i++) {
		const struct view_proc *p = &st->procs[i];
		const struct view_component *c = view_state_comp_of(st, p->tgid);

		json_array_append_new(arr, json_pack(
			"{sI sI so so so sb so so so sI sI sI sI}",
			"pid", (json_int_t)p->tgid, "ppid", (json_int_t)p->ppid,
			"comm", vj_str(p->comm), "exe", vj_str(p->exe),
			"component", vj_str(c ? c->name : ""), "alive", p->alive,
			"last_failure", vj_str(p->last_failure),
			"cause", vj_str(p->cause), "sender", vj_str(p->sender),
			"runq_p99_us", (json_int_t)p->runq_p99_us,
			"failures", (json_int_t)p->failures,
			"resets", (json_int_t)p->resets,
			"refusals", (json_int_t)p->refusals));
	}
	return arr;
}

static json_t *vj_comps(const struct view_state *st)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < st->n_comps; i++) {
		const struct view_component *c = &st->comps[i];

		json_array_append_new(arr, json_pack(
			"{so so sI sI so so sb}", "name", vj_str(c->name),
			"state", vj_str(c->state), "pid", (json_int_t)c->pid,
			"restarts", (json_int_t)c->restarts,
			"last_failure", vj_str(c->last_failure),
			"last_cause", vj_str(c->last_cause),
			"paused", c->paused));
	}
	return arr;
}

static json_t *vj_event(const struct view_event *e)
{
	return json_pack("{sI sI so sI so so so}", "seq", (json_int_t)e->seq,
			 "time_ms", (json_int_t)e->time_ms,
			 "kind", vj_str(e->kind), "pid", (json_int_t)e->tgid,
			 "comm", vj_str(e->comm),
			 "component", vj_str(e->component),
			 "text", vj_str(e->text));
}

static json_t *vj_events(const struct view_state *st, const char *filter)
{
	const struct view_event *h[VIEW_HIST_FAIL + VIEW_HIST_ACT +
				   VIEW_HIST_OTHER];
	json_t *arr = json_array();
	size_t n;

	if (filter[0] && (n = view_state_history(st, filter, h,
						 sizeof(h) / sizeof(h[0])))) {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, vj_event(h[i]));
		return arr;
	}
	for (size_t i = 0; i < st->n_events; i++)
		json_array_append_new(arr, vj_event(view_state_event(st, i)));
	return arr;
}

static json_t *vj_metrics(const struct view_state *st)
{
	static const char *const key[VIEW_M_MAX] = {
		"events", "restarts", "drops", "runq_ms", "recover_ms",
	};
	json_t *arr = json_array();

	for (size_t i = 0; i < st->n_samples; i++) {
		json_t *o = json_object();

		for (int m = 0; m < VIEW_M_MAX; m++)
			json_object_set_new(o, key[m], json_real(
				view_state_metric(st, m, i)));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *vj_strats(const struct view_state *st)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < st->n_strats; i++) {
		const struct view_strategy *s = &st->strats[i];

		json_array_append_new(arr, json_pack(
			"{so so so sf sf sI sf sf sb sf sf}",
			"component", vj_str(s->component),
			"failure", vj_str(s->failure),
			"strategy", vj_str(s->strategy),
			"successes", s->successes, "failures", s->failures,
			"n_outcomes", (json_int_t)s->n_outcomes,
			"success_rate", s->success_rate, "p_next", s->p_next,
			"next", s->next,
			"median_recover_ms", s->median_recover_ms,
			"p95_recover_ms", s->p95_recover_ms));
	}
	return arr;
}

char *view_json(const struct view_state *st, struct view_ui *ui)
{
	json_t *o = json_pack("{ss}", "view", view_kind_name(ui->kind));
	char *s;

	switch (ui->kind) {
	case VIEW_PROCESSES:
		json_object_set_new(o, "components", vj_comps(st));
		json_object_set_new(o, "processes", vj_procs(st));
		break;
	case VIEW_EVENTS:
		json_object_set_new(o, "events", vj_events(st, ui->filter));
		break;
	case VIEW_METRICS:
		json_object_set_new(o, "samples", vj_metrics(st));
		break;
	default:
		json_object_set_new(o, "strategies", vj_strats(st));
		json_object_set_new(o, "components", vj_comps(st));
		break;
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

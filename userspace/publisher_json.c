// SPDX-License-Identifier: BSD-2-Clause
/* publisher_json.c - the messages the publisher pushes: process rows from
 * the proctable (only those that changed since the last tick, removals
 * for those it forgot), components and strategies from the plugged-in
 * sources (only when they differ from what was pushed), per-second metric
 * samples, and the snapshot a pane gets when it subscribes.  Strings are
 * sanitized here already so that the JSON is valid UTF-8 whatever the
 * kernel reported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "hms_json.h"
#include "hms_proto.h"
#include "proctable.h"
#include "publisher_int.h"
#include "hms_sanitize.h"

/* ---- JSON of the tables ---- */

static json_t *pub_str(const char *s, size_t max)
{
	char buf[1024];

	sanitize_text(s, strnlen(s, max), buf, sizeof(buf));
	return json_string(buf);
}

static uint64_t pub_runq_p99(struct hms_publisher *p, const struct hms_proc *pr)
{
	uint64_t slots[HMS_HIST_SLOTS] = { 0 }, total = 0, acc = 0;
	int i;

	if (!p->src.runq_hist || p->src.runq_hist(p->src.ctx, pr->tgid, slots))
		return pr->runq_max_ns / 1000;
	for (i = 0; i < HMS_HIST_SLOTS; i++)
		total += slots[i];
	for (i = 0; i < HMS_HIST_SLOTS && total; i++) {
		acc += slots[i];
		if (acc * 100 >= total * 99)
			return 1ull << (i + 1);	/* upper edge of the slot */
	}
	return pr->runq_max_ns / 1000;
}

/* A growing text buffer; err once an allocation failed. */
struct pub_text {
	char *s;
	size_t len, cap;
	int err;
};

static void pub_text_put(struct pub_text *t, const char *s, size_t len)
{
	if (t->err)
		return;
	if (t->len + len + 1 > t->cap) {
		size_t cap = (t->len + len + 1) * 2;
		char *n = realloc(t->s, cap);

		if (!n) {
			t->err = -ENOMEM;
			return;
		}
		t->s = n;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

/* An untrusted string of at most max bytes, sanitized (as pub_str) and
 * quoted for JSON. */
static void pub_qstr(const char *s, size_t max, char *out, size_t len)
{
	char buf[1024];

	sanitize_text(s, strnlen(s, max), buf, sizeof(buf));
	pub_json_quote(buf, out, len);
}

/* One process row as JSON text, written by hand (printf) rather than
 * through jansson: thousands of rows a second go out while a processes
 * pane is connected.  Strings are sanitized (no control bytes, valid
 * UTF-8) and quoted, so the text is valid JSON; returns its length. */
static int pub_proc_text(struct hms_publisher *p, const struct hms_proc *pr,
			 char *out, size_t len)
{
	const char *fail = pr->last_failure ?
			   event_type_name(pr->last_failure) : NULL;
	const struct pub_kill *k = pr->exit_signal ?
				   pub_kill_of(p, pr->tgid, pr->exit_signal) : NULL;
	char cause[32] = "", sender[64] = "", comm[48];
	char qcomm[2 * 1024 + 4], qexe[2 * 1024 + 4], qsender[2 * 64 + 4];
	int n;

	if (pr->exit_signal)
		snprintf(cause, sizeof(cause), "%s",
			 event_signal_name(pr->exit_signal));
	else if (pr->last_failure == HMS_EV_OOM)
		snprintf(cause, sizeof(cause), "oom");
	else if (pr->exit_code)
		snprintf(cause, sizeof(cause), "exit %d", pr->exit_code);
	if (k) {			/* killed by another process */
		sanitize_text(k->comm, strnlen(k->comm, sizeof(k->comm)), comm,
			      sizeof(comm));
		snprintf(sender, sizeof(sender), "%s[%u]", comm, k->sender);
	}
	pub_qstr(pr->comm, sizeof(pr->comm), qcomm, sizeof(qcomm));
	pub_qstr(pr->exe, sizeof(pr->exe), qexe, sizeof(qexe));
	pub_qstr(sender, sizeof(sender), qsender, sizeof(qsender));
	n = snprintf(out, len, "{\"tgid\":%u,\"ppid\":%u,\"comm\":\"%s\","
		     "\"exe\":\"%s\",\"alive\":%s,\"last_failure\":\"%s\","
		     "\"cause\":\"%s\",\"sender\":\"%s\",\"runq_p99_us\":%llu,"
		     "\"failures\":%llu,\"resets\":%u,\"refusals\":%u}",
		     pr->tgid, pr->ppid, qcomm, qexe,
		     pr->alive ? "true" : "false", fail ? fail : "", cause,
		     qsender, (unsigned long long)pub_runq_p99(p, pr),
		     (unsigned long long)pr->counters[PROC_CNT_CRASH] +
		     pr->counters[PROC_CNT_EXIT_ERR] +
		     pr->counters[PROC_CNT_OOM] + pr->counters[PROC_CNT_HANG],
		     pr->counters[PROC_CNT_RESET],
		     pr->counters[PROC_CNT_CONNECT_FAIL]);
	return n < 0 || (size_t)n >= len ? 0 : n;
}

/* FNV-1a of a row's text: whether a pane already has this row. */
static uint64_t pub_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h ? h : 1;
}

struct pub_walk {
	struct hms_publisher *p;
	json_t *arr;
	struct pub_text *text;
};

static int pub_walk_proc(const struct hms_proc *pr, void *arg)
{
	struct pub_walk *w = arg;
	char row[8192];
	int n = pub_proc_text(w->p, pr, row, sizeof(row));

	if (!n)
		return 0;
	if (w->text->len)
		pub_text_put(w->text, ",", 1);
	pub_text_put(w->text, row, n);
	/* in the panes now, but not pushed: the next change goes out */
	pub_set_add(&w->p->sent, pr->tgid);
	return 0;
}

/* A component's last OOM kill: what answers "why" (docs/events.md). */
static json_t *pub_oom_json(const struct publisher_oom *m)
{
	json_t *o = json_pack("{sI sI sI sb sb sI so so so}",
		"pid", (json_int_t)m->pid, "time_ms", (json_int_t)m->time_ms,
		"rss_kb", (json_int_t)m->rss_kb,
		"cgroup_read", m->cgroup_read, "mem_pressure_before",
		m->pressure_before, "mem_pressure_ago_ms",
		(json_int_t)m->pressure_ago_ms,
		"mem_pressure_strategy", pub_str(m->strategy, 64),
		"mem_pressure_done", pub_str(m->done, 128),
		"summary", pub_str(m->summary, 256));

	if (!o)
		return json_null();
	if (m->cgroup_read) {
		json_object_set_new(o, "cgroup_limit_bytes",
				    m->limit_bytes == UINT64_MAX ? json_null() :
				    json_integer((json_int_t)m->limit_bytes));
		json_object_set_new(o, "cgroup_usage_bytes",
				    json_integer((json_int_t)m->usage_bytes));
		json_object_set_new(o, "cgroup_peak_bytes",
				    json_integer((json_int_t)m->peak_bytes));
	}
	if (m->pressure_read) {
		json_object_set_new(o, "mem_some_avg10",
				    json_real(m->some_avg10));
		json_object_set_new(o, "mem_full_avg10",
				    json_real(m->full_avg10));
	}
	return o;
}

static int pub_walk_comp(const struct publisher_component *c, void *arg)
{
	struct pub_walk *w = arg;
	json_t *pids = json_array();

	for (size_t i = 0; c->pids && i < c->n_pids; i++)
		json_array_append_new(pids, json_integer(c->pids[i]));
	json_t *o = json_pack("{so so sI so sI so so so sb sb}",
		"name", pub_str(c->name, 256), "state", json_string(hms_state_name(c->state)),
		"pid", (json_int_t)c->pid, "pids", pids,
		"restarts", (json_int_t)c->restarts,
		"last_failure", pub_str(c->last_failure ? c->last_failure : "", 64),
		"last_cause", pub_str(c->last_cause ? c->last_cause : "", 256),
		"reason", pub_str(c->reason ? c->reason : "", 256),
		"paused", c->paused, "stopped_by_operator", c->held);

	if (o && c->pins && c->pins[0])
		json_object_set_new(o, "pinned", pub_str(c->pins, 256));
	if (o && c->oom)
		json_object_set_new(o, "last_oom", pub_oom_json(c->oom));
	if (o && c->n_pressure) {
		json_t *arr = json_array();

		for (size_t i = 0; i < c->n_pressure; i++) {
			const struct publisher_pressure *pp = &c->pressure[i];

			json_array_append_new(arr, json_pack(
				"{ss ss sb sf sf sf sf}", "resource",
				pp->resource, "line", pp->full ? "full" : "some",
				"armed", pp->armed, "stall_ms", pp->stall_ms,
				"configured_ms", pp->configured_ms,
				"max_ms", pp->max_ms, "window_ms", pp->window_ms));
		}
		json_object_set_new(o, "pressure", arr);
	}
	json_array_append_new(w->arr, o);
	return 0;
}

static int pub_walk_strat(const struct publisher_strategy *s, void *arg)
{
	struct pub_walk *w = arg;

	json_array_append_new(w->arr, json_pack(
		"{so so so sf sf sf sI sf sf sb sf}",
		"component", pub_str(s->component, 256),
		"failure", pub_str(s->failure, 64),
		"strategy", pub_str(s->strategy, 256),
		"successes", s->successes, "failures", s->failures,
		"success_rate", s->success_rate,
		"n_outcomes", (json_int_t)s->n_outcomes,
		"median_recover_ms", s->median_recover_ms,
		"p95_recover_ms", s->p95_recover_ms, "next", s->next,
		"p_next", s->p_next));
	return 0;
}

json_t *pub_components(struct hms_publisher *p)
{
	struct pub_walk w = { p, json_array(), NULL };

	if (p->src.components)
		p->src.components(p->src.ctx, pub_walk_comp, &w);
	return w.arr;
}

static json_t *pub_strategies(struct hms_publisher *p)
{
	struct pub_walk w = { p, json_array(), NULL };

	if (p->src.strategies)
		p->src.strategies(p->src.ctx, pub_walk_strat, &w);
	return w.arr;
}

static json_t *pub_sample_json(const struct pub_sample *s)
{
	return json_pack("{sf sf sf sf sf}", "events", s->events,
			 "restarts", s->restarts, "drops", s->drops,
			 "runq_ms", s->runq_ms, "recover_ms", s->recover_ms);
}

/* Dump obj as one line with '\n' (steals obj). */
static char *pub_line(json_t *obj)
{
	char *s = hms_json_dumps(obj, JSON_COMPACT), *line = NULL;

	json_decref(obj);
	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	free(s);
	return line;
}

char *pub_msg_snapshot(struct hms_publisher *p, unsigned int topics)
{
	json_t *o = json_pack("{ss}", HMS_PROTO_KEY_TYPE, HMS_MSG_SNAPSHOT), *arr;
	struct pub_text procs = { 0 }, out = { 0 };
	char *s, *hist = NULL;
	size_t i, n;

	if (topics & PUB_T_PROCS) {
		struct pub_walk w = { p, NULL, &procs };

		pub_text_put(&procs, "", 0);	/* "" even when empty */
		proctable_foreach(p->pt, pub_walk_proc, &w);
	}
	if (topics & PUB_T_COMPONENTS)
		json_object_set_new(o, "components", pub_components(p));
	if (topics & PUB_T_STRATEGIES)
		json_object_set_new(o, "strategies", pub_strategies(p));
	if (topics & PUB_T_METRICS) {
		arr = json_array();
		for (i = 0; i < p->s_n; i++)
			json_array_append_new(arr, pub_sample_json(
				&p->samples[(p->s_head + i) % PUB_SAMPLES]));
		json_object_set_new(o, "metrics", arr);
	}
	s = hms_json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s && (topics & PUB_T_EVENTS) && !(hist = pub_history_lines(p))) {
		free(s);
		free(procs.s);
		return NULL;
	}
	if (!s || procs.err) {
		free(s);
		free(procs.s);
		return NULL;
	}
	/* splice the rows in as "procs":[...], the stored event lines as
	 * "history":[...] (each component's) and "events":[...] (the
	 * host's last ones) */
	pub_text_put(&out, s, strlen(s) - 1);
	if (procs.s) {
		pub_text_put(&out, ",\"procs\":[", 10);
		pub_text_put(&out, procs.s, procs.len);
		pub_text_put(&out, "]", 1);
	}
	if (hist) {
		pub_text_put(&out, ",\"history\":[", 12);
		pub_text_put(&out, hist, strlen(hist));
		pub_text_put(&out, "]", 1);
	}
	pub_text_put(&out, ",\"events\":[", 11);
	for (i = 0, n = 0; (topics & PUB_T_EVENTS) && i < p->ring_n; i++) {
		const char *ev = pub_ring_line(p, i);

		if (!ev)
			continue;
		if (n++)
			pub_text_put(&out, ",", 1);
		pub_text_put(&out, ev, strlen(ev));
	}
	pub_text_put(&out, "]}\n", 3);
	free(hist);
	free(procs.s);
	free(s);
	if (out.err) {
		free(out.s);
		return NULL;
	}
	return out.s;
}

/* Rows that changed since the last tick and differ from what the panes
 * have (a row's hash is kept: a process whose events changed nothing
 * shown is not sent again), and the pids of rows the proctable forgot. */
char *pub_msg_procs(struct hms_publisher *p, int sweep)
{
	struct pub_text up = { 0 }, rm = { 0 }, out = { 0 };
	char row[8192], num[16];
	size_t i;
	int n;

	for (i = 0; i < p->dirty.cap; i++) {
		uint32_t tgid = p->dirty.slot[i];
		const struct hms_proc *pr;
		uint64_t h, *last;

		if (!tgid)
			continue;
		pr = proctable_get(p->pt, tgid);
		if (pr) {
			n = pub_proc_text(p, pr, row, sizeof(row));
			if (!n)
				continue;
			h = pub_hash(row, n);
			if (!pub_set_add(&p->sent, tgid) &&
			    (last = pub_set_val(&p->sent, tgid))) {
				if (*last == h)
					continue;
				*last = h;
			}
			if (up.len)
				pub_text_put(&up, ",", 1);
			pub_text_put(&up, row, n);
		} else if ((last = pub_set_val(&p->sent, tgid))) {
			*last = 0;	/* a pid used again is always sent */
			n = snprintf(num, sizeof(num), "%s%u", rm.len ? "," : "",
				     tgid);
			pub_text_put(&rm, num, n);
		}
	}
	pub_set_clear(&p->dirty);
	if (sweep && p->sent.n) {	/* forget rows the proctable expired */
		struct pub_set keep = { 0 };

		for (i = 0; i < p->sent.cap; i++) {
			uint32_t tgid = p->sent.slot[i];

			if (!tgid)
				continue;
			if (proctable_get(p->pt, tgid)) {
				if (!pub_set_add(&keep, tgid))
					*pub_set_val(&keep, tgid) = p->sent.val[i];
			} else {
				n = snprintf(num, sizeof(num), "%s%u",
					     rm.len ? "," : "", tgid);
				pub_text_put(&rm, num, n);
			}
		}
		pub_set_free(&p->sent);
		p->sent = keep;
	}
	if (up.len || rm.len) {
		static const char head[] = "{\"" HMS_PROTO_KEY_TYPE "\":\""
					   HMS_MSG_PROCS "\",\"upsert\":[";

		pub_text_put(&out, head, sizeof(head) - 1);
		pub_text_put(&out, up.s ? up.s : "", up.len);
		pub_text_put(&out, "],\"remove\":[", 12);
		pub_text_put(&out, rm.s ? rm.s : "", rm.len);
		pub_text_put(&out, "]}\n", 3);
	}
	free(up.s);
	free(rm.s);
	if (up.err || rm.err || out.err) {
		free(out.s);
		return NULL;
	}
	return out.s;
}

/* Push a table only when its JSON differs from the last one pushed. */
static char *pub_if_changed(char **last, const char *type, const char *key,
			    json_t *arr, int force)
{
	char *s = hms_json_dumps(arr, JSON_COMPACT);

	if (!s || (!force && *last && !strcmp(*last, s))) {
		free(s);
		json_decref(arr);
		return NULL;
	}
	free(*last);
	*last = s;
	return pub_line(json_pack("{ss so}", HMS_PROTO_KEY_TYPE, type, key, arr));
}

char *pub_msg_components(struct hms_publisher *p, int force)
{
	return pub_if_changed(&p->comps_json, HMS_MSG_COMPONENTS, "components",
			      pub_components(p), force);
}

char *pub_msg_strategies(struct hms_publisher *p, int force)
{
	return pub_if_changed(&p->strats_json, HMS_MSG_STRATEGIES, "strategies",
			      pub_strategies(p), force);
}

char *pub_msg_metrics(struct hms_publisher *p, uint64_t now_ns)
{
	uint64_t sec = now_ns / 1000000000ull;
	char *out = NULL, *line;
	size_t len = 0;

	if (!p->cur_sec)
		p->cur_sec = sec;
	while (p->cur_sec < sec) {
		size_t slot = (p->s_head + p->s_n) % PUB_SAMPLES;

		if (p->s_n == PUB_SAMPLES)
			p->s_head = (p->s_head + 1) % PUB_SAMPLES;
		else
			p->s_n++;
		p->samples[slot] = p->cur;
		line = pub_line(json_pack("{ss so}", HMS_PROTO_KEY_TYPE, HMS_MSG_METRICS, "sample",
					  pub_sample_json(&p->cur)));
		memset(&p->cur, 0, sizeof(p->cur));
		p->cur_sec = sec - p->cur_sec > PUB_SAMPLES ?
			     sec - PUB_SAMPLES : p->cur_sec + 1;
		if (line) {
			char *n = realloc(out, len + strlen(line) + 1);

			if (n) {
				out = n;
				strcpy(out + len, line);
				len += strlen(line);
			}
			free(line);
		}
	}
	return out;
}

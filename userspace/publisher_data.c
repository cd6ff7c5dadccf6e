// SPDX-License-Identifier: BSD-2-Clause
/* publisher_data.c - what the publisher learns from the bus: which
 * processes changed since the last tick (a tgid set), which tables to
 * re-read, the current second's metric sample, and the recent event
 * lines that a new pane is given with its snapshot (and the batch of
 * lines not yet flushed to the panes). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "hms_names.h"
#include "hms_proto.h"
#include "hms_sanitize.h"
#include "loop.h"
#include "publisher_int.h"

/* ---- tgid set ---- */

static size_t pub_set_slot(const struct pub_set *s, uint32_t tgid)
{
	size_t mask = s->cap - 1, i = (tgid * 2654435761u) & mask;

	while (s->slot[i] && s->slot[i] != tgid)
		i = (i + 1) & mask;
	return i;
}

int pub_set_has(const struct pub_set *s, uint32_t tgid)
{
	return s->cap && tgid && s->slot[pub_set_slot(s, tgid)] == tgid;
}

int pub_set_add(struct pub_set *s, uint32_t tgid)
{
	size_t i;

	if (!tgid)
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct pub_set n = { calloc(cap, sizeof(uint32_t)),
				     calloc(cap, sizeof(uint64_t)), cap, 0 };

		if (!n.slot || !n.val) {
			free(n.slot);
			free(n.val);
			return -ENOMEM;
		}
		for (i = 0; i < s->cap; i++)
			if (s->slot[i]) {
				size_t k = pub_set_slot(&n, s->slot[i]);

				n.slot[k] = s->slot[i];
				n.val[k] = s->val[i];
			}
		n.n = s->n;
		free(s->slot);
		free(s->val);
		*s = n;
	}
	i = pub_set_slot(s, tgid);
	if (!s->slot[i]) {
		s->slot[i] = tgid;
		s->val[i] = 0;
		s->n++;
	}
	return 0;
}

uint64_t *pub_set_val(struct pub_set *s, uint32_t tgid)
{
	size_t i;

	if (!s->cap || !tgid)
		return NULL;
	i = pub_set_slot(s, tgid);
	return s->slot[i] ? &s->val[i] : NULL;
}

void pub_set_clear(struct pub_set *s)
{
	if (s->n)
		memset(s->slot, 0, s->cap * sizeof(*s->slot));
	s->n = 0;
}

void pub_set_free(struct pub_set *s)
{
	free(s->slot);
	free(s->val);
	memset(s, 0, sizeof(*s));
}

void pub_data_free(struct hms_publisher *p)
{
	size_t i;

	pub_set_free(&p->dirty);
	pub_set_free(&p->sent);
	for (i = 0; i < PUB_EV_RING; i++) {
		free(p->ring[i].ev);
		free(p->ring[i].line);
	}
	for (i = 0; p->hist && i < PUB_MAX_COMPS; i++)
		for (int c = 0; c < PUB_HIST_CLASSES; c++) {
			struct pub_hist *h = &p->hist[i];

			for (size_t k = 0; h->ring[c] && k < h->n[c]; k++)
				free(h->ring[c][k].line);
			free(h->ring[c]);
		}
	free(p->hist);
	free(p->batch);
	free(p->comps_json);
	free(p->strats_json);
}

/* ---- bus events ---- */

static void pub_restarts(struct hms_publisher *p,
			 const struct hms_ev_component *c)
{
	size_t i;

	for (i = 0; i < p->n_restarts; i++)
		if (!strncmp(p->restarts[i].name, c->component, HMS_NAME_LEN))
			break;
	if (i == p->n_restarts) {
		if (i == PUB_MAX_COMPS)
			return;
		memcpy(p->restarts[i].name, c->component, HMS_NAME_LEN);
		p->restarts[i].restarts = c->restarts;
		p->n_restarts++;
		return;
	}
	if (c->restarts > p->restarts[i].restarts)
		p->cur.restarts += c->restarts - p->restarts[i].restarts;
	p->restarts[i].restarts = c->restarts;
}

/* The component an event is about (healer events carry one), or "". */
static const char *pub_ev_component(const struct hms_event_hdr *ev)
{
	switch (ev->type) {
	case HMS_EV_COMPONENT_STATE:
		return ((const struct hms_ev_component *)ev)->component;
	case HMS_EV_ACTION:
		return ((const struct hms_ev_action *)ev)->component;
	case HMS_EV_STRATEGY:
		return ((const struct hms_ev_strategy *)ev)->component;
	case HMS_EV_OUTCOME:
		return ((const struct hms_ev_outcome *)ev)->component;
	case HMS_EV_ALERT:
		return ((const struct hms_ev_alert *)ev)->component;
	case HMS_EV_FAILURE:
		return ((const struct hms_ev_failure *)ev)->component;
	}
	return "";
}

/* Keys of an event's JSON that the message carries on its own (or that
 * say nothing to an operator): left out of "text". */
static const char *const pub_text_skip[] = {
	"version", "type", "size", "ts_ns", "pid", "tgid", "tid", "ppid",
	"cgroup_id", "comm", "component", "_pad", "time", "host", "id",
	"schema_version", "process", NULL,
};

static int pub_text_skipped(const char *k)
{
	for (int i = 0; pub_text_skip[i]; i++)
		if (!strcmp(k, pub_text_skip[i]))
			return 1;
	return 0;
}

/* "key=value ..." of an event's JSON, whatever its layout: the other
 * roles (objects with a pid) as "sender=10(kill)", other objects and
 * arrays left out, integer states by name. */
static void pub_text_add(char *buf, size_t len, size_t *off, json_t *obj,
			 json_t *subj)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		char val[160];

		if (pub_text_skipped(k) || json_is_array(v) || v == subj ||
		    *off >= len - 1)
			continue;
		if (json_is_object(v)) {
			if (!json_is_integer(json_object_get(v, "pid")))
				continue;
			snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT "(%s)",
				 json_integer_value(json_object_get(v, "pid")),
				 json_string_value(json_object_get(v, "comm")) ?:
				 "?");
		} else if (json_is_integer(v) && (!strcmp(k, "old_state") ||
						  !strcmp(k, "new_state"))) {
			snprintf(val, sizeof(val), "%s",
				 hms_state_name(json_integer_value(v)) ?: "?");
		} else if (json_is_string(v)) {
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
		} else if (json_is_real(v)) {
			snprintf(val, sizeof(val), "%.4g", json_real_value(v));
		} else {
			snprintf(val, sizeof(val), "%s",
				 json_is_true(v) ? "true" : "false");
		}
		*off += snprintf(buf + *off, len - *off, "%s%s=%s",
				 *off ? " " : "", k, val);
	}
	if (*off >= len)
		*off = len - 1;
}

/* s (sanitized: no control bytes, valid UTF-8) as the inside of a JSON
 * string: only '"' and '\\' need escaping; built by hand because this runs
 * for every event while a pane is connected. */
void pub_json_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* The event message line, in the panes' own format (docs/dashboard.md),
 * which does not change when the --json format does:
 * {"type":"event","seq":N,"time_ms":T,"kind":K,"pid":P,"comm":C,
 *  "component":N,"text":"key=value ..."} */
static char *pub_event_line(const struct hms_event_hdr *ev, int64_t time_ms,
			    uint64_t seq, int *len)
{
	json_t *js = event_to_json_body(ev), *subj;
	char raw[512] = "", text[1024], comm[64], comp[128], *line = NULL;
	char qtext[2048], qcomm[128], qcomp[256], out[3072];
	const char *kind = hms_event_type_name(ev->type);
	char kbuf[16];
	const char *pcomm = ev->comm;
	uint32_t pid = ev->tgid;
	size_t off = 0;

	if (!js)
		return NULL;
	/* the row's process: the one the event is about (a signal's or an
	 * OOM kill's target, else the process), else the record's header */
	subj = json_object_get(js, "target");
	if (!json_is_object(subj) || (ev->type != HMS_EV_SIGNAL &&
				      ev->type != HMS_EV_OOM))
		subj = json_object_get(js, "process");
	if (json_is_object(subj)) {
		pid = (uint32_t)json_integer_value(json_object_get(subj, "pid"));
		pcomm = json_string_value(json_object_get(subj, "comm")) ?: "";
	}
	pub_text_add(raw, sizeof(raw), &off, js, subj);
	/* strings in it (file names, messages) are anyone's: escaped */
	sanitize_text(raw, off, text, sizeof(text));
	if (!kind) {
		snprintf(kbuf, sizeof(kbuf), "type%u", ev->type);
		kind = kbuf;
	}
	sanitize_text(pcomm, strnlen(pcomm, HMS_COMM_LEN * 4), comm,
		      sizeof(comm));
	json_decref(js);
	sanitize_text(pub_ev_component(ev), strnlen(pub_ev_component(ev),
		      HMS_NAME_LEN), comp, sizeof(comp));
	pub_json_quote(text, qtext, sizeof(qtext));
	pub_json_quote(comm, qcomm, sizeof(qcomm));
	pub_json_quote(comp, qcomp, sizeof(qcomp));
	*len = snprintf(out, sizeof(out), "{\"" HMS_PROTO_KEY_TYPE "\":\""
			HMS_MSG_EVENT "\",\"seq\":%" PRIu64 ",\"time_ms\":%"
			PRId64 ",\"kind\":\"%s\",\"pid\":%u,\"comm\":\"%s\","
			"\"component\":\"%s\",\"text\":\"%s\"}\n", seq,
			time_ms, kind, pid, qcomm, qcomp, qtext);
	if (*len < 0 || (size_t)*len >= sizeof(out) ||
	    !(line = malloc(*len + 1)))
		return NULL;
	memcpy(line, out, *len + 1);
	return line;
}

/* ---- per-component history ---- */

static int pub_hist_class(uint32_t type)
{
	switch (type) {
	case HMS_EV_FAILURE: case HMS_EV_ALERT:
		return 0;
	case HMS_EV_ACTION:
		return 1;
	case HMS_EV_STRATEGY: case HMS_EV_OUTCOME: case HMS_EV_COMPONENT_STATE:
		return 2;
	}
	return -1;
}

static const size_t pub_hist_cap[PUB_HIST_CLASSES] = {
	PUB_HIST_FAIL, PUB_HIST_ACT, PUB_HIST_OTHER,
};

static struct pub_hist *pub_hist_get(struct hms_publisher *p,
				     const char *name)
{
	struct pub_hist *h;

	for (size_t i = 0; i < p->n_hist; i++)
		if (!strncmp(p->hist[i].name, name, HMS_NAME_LEN))
			return &p->hist[i];
	if (!p->hist && !(p->hist = calloc(PUB_MAX_COMPS, sizeof(*p->hist))))
		return NULL;
	if (p->n_hist == PUB_MAX_COMPS)
		return NULL;
	h = &p->hist[p->n_hist];
	for (int c = 0; c < PUB_HIST_CLASSES; c++)
		if (!h->ring[c] &&
		    !(h->ring[c] = calloc(pub_hist_cap[c], sizeof(*h->ring[c]))))
			return NULL;	/* freed with the publisher */
	memcpy(h->name, name, HMS_NAME_LEN);
	p->n_hist++;
	return h;
}

/* A healer event of a component: its line kept in that component's
 * history (rendered now: such events are rare). */
static void pub_hist_push(struct hms_publisher *p,
			  const struct hms_event_hdr *ev, int64_t time_ms,
			  uint64_t seq)
{
	int c = pub_hist_class(ev->type), len;
	struct pub_hist *h;
	struct pub_hist_line *l;
	size_t slot, cap;
	char *line;

	if (c < 0 || !pub_ev_component(ev)[0] ||
	    !(h = pub_hist_get(p, pub_ev_component(ev))))
		return;
	line = pub_event_line(ev, time_ms, seq, &len);
	if (!line)
		return;
	line[len - 1] = '\0';
	cap = pub_hist_cap[c];
	slot = (h->head[c] + h->n[c]) % cap;
	if (h->n[c] == cap)
		h->head[c] = (h->head[c] + 1) % cap;
	else
		h->n[c]++;
	l = &h->ring[c][slot];
	free(l->line);
	l->line = line;
	l->seq = seq;
}

static int pub_hist_cmp(const void *a, const void *b)
{
	const struct pub_hist_line *x = *(const struct pub_hist_line *const *)a,
				   *y = *(const struct pub_hist_line *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

char *pub_history_lines(struct hms_publisher *p)
{
	const struct pub_hist_line **all;
	size_t n = 0, len = 1, off = 0;
	char *out;

	for (size_t i = 0; i < p->n_hist; i++)
		for (int c = 0; c < PUB_HIST_CLASSES; c++)
			n += p->hist[i].n[c];
	all = calloc(n + 1, sizeof(*all));
	if (!all)
		return NULL;
	n = 0;
	for (size_t i = 0; i < p->n_hist; i++)
		for (int c = 0; c < PUB_HIST_CLASSES; c++)
			for (size_t k = 0; k < p->hist[i].n[c]; k++) {
				all[n] = &p->hist[i].ring[c][(p->hist[i].head[c] +
					k) % pub_hist_cap[c]];
				len += strlen(all[n++]->line) + 1;
			}
	qsort(all, n, sizeof(*all), pub_hist_cmp);
	out = malloc(len);
	if (out) {
		out[0] = '\0';
		for (size_t i = 0; i < n; i++)
			off += sprintf(out + off, "%s%s", i ? "," : "",
				       all[i]->line);
	}
	free(all);
	return out;
}

/* ---- who sent a fatal signal ---- */

static struct pub_kill *pub_kill_slot(struct pub_kill *k, uint32_t tgid)
{
	return &k[(tgid * 2654435761u) % PUB_KILLS];
}

static void pub_kill_note(struct hms_publisher *p,
			  const struct hms_ev_signal *s)
{
	struct pub_kill *k;

	if (!s->target_tgid || s->target_tgid == s->hdr.tgid)
		return;		/* the kernel or the process itself */
	k = pub_kill_slot(p->kills, s->target_tgid);
	k->target = s->target_tgid;
	k->sender = s->hdr.tgid;
	k->signal = s->signal;
	memcpy(k->comm, s->hdr.comm, sizeof(k->comm));
}

const struct pub_kill *pub_kill_of(const struct hms_publisher *p,
				   uint32_t tgid, uint32_t sig)
{
	const struct pub_kill *k = &p->kills[(tgid * 2654435761u) % PUB_KILLS];

	return tgid && k->target == tgid && k->signal == sig ? k : NULL;
}

/* Keep a copy of the record, and its line when there is one (malloc'd,
 * no newline: the ring takes it). */
static void pub_ring_push(struct hms_publisher *p,
			  const struct hms_event_hdr *ev, int64_t time_ms,
			  uint64_t seq, char *line)
{
	size_t slot = (p->ring_head + p->ring_n) % PUB_EV_RING;
	struct pub_ev_slot *e = &p->ring[slot];
	void *copy = malloc(ev->size);

	if (!copy) {
		free(line);
		return;
	}
	memcpy(copy, ev, ev->size);
	if (p->ring_n == PUB_EV_RING)
		p->ring_head = (p->ring_head + 1) % PUB_EV_RING;
	else
		p->ring_n++;
	free(e->ev);
	free(e->line);
	e->ev = copy;
	e->time_ms = time_ms;
	e->seq = seq;
	e->line = line;
}

const char *pub_ring_line(struct hms_publisher *p, size_t i)
{
	struct pub_ev_slot *e;
	int len;

	if (i >= p->ring_n)
		return NULL;
	e = &p->ring[(p->ring_head + i) % PUB_EV_RING];
	if (!e->line && e->ev) {
		e->line = pub_event_line(e->ev, e->time_ms, e->seq, &len);
		if (e->line)
			e->line[len - 1] = '\0';
	}
	return e->line;
}

/* Every event goes to the ring; it is rendered only when a pane is
 * connected to be sent it. */
static void pub_batch(struct hms_publisher *p, const struct hms_event_hdr *ev)
{
	struct timespec ts;
	int64_t time_ms;
	char *line = NULL;
	int len = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	/* the event's id while the bus dispatches it: the --json one */
	p->seq = event_id_current() > p->seq ? event_id_current() : p->seq + 1;
	pub_hist_push(p, ev, time_ms, p->seq);
	if (p->n_clients)
		line = pub_event_line(ev, time_ms, p->seq, &len);
	if (line && p->batch_len + len <= (8u << 20)) {
		if (p->batch_len + len > p->batch_cap) {
			size_t cap = (p->batch_len + len) * 2;
			char *n = realloc(p->batch, cap);

			if (!n)
				goto out;
			p->batch = n;
			p->batch_cap = cap;
		}
		memcpy(p->batch + p->batch_len, line, len);
		p->batch_len += len;
	}
out:
	if (line)
		line[len - 1] = '\0';	/* the ring keeps it without '\n' */
	pub_ring_push(p, ev, time_ms, p->seq, line);
}

void pub_data_event(struct hms_publisher *p, const struct hms_event_hdr *ev)
{
	p->cur.events++;
	pub_batch(p, ev);
	if (p->n_clients) {
		pub_set_add(&p->dirty, ev->tgid);
		if (ev->type == HMS_EV_FORK)
			pub_set_add(&p->dirty,
				((const struct hms_ev_fork *)ev)->child_tgid);
		else if (ev->type == HMS_EV_OOM)
			pub_set_add(&p->dirty,
				((const struct hms_ev_oom *)ev)->victim_tgid);
		else if (ev->type == HMS_EV_SIGNAL)
			pub_set_add(&p->dirty,
				((const struct hms_ev_signal *)ev)->target_tgid);
	}
	if (ev->type == HMS_EV_SIGNAL)
		pub_kill_note(p, (const struct hms_ev_signal *)ev);
	switch (ev->type) {
	case HMS_EV_RUNQ_LATENCY: {
		double ms = ((const struct hms_ev_runq *)ev)->latency_ns / 1e6;

		if (ms > p->cur.runq_ms)
			p->cur.runq_ms = ms;
		break;
	}
	case HMS_EV_OUTCOME: {
		const struct hms_ev_outcome *o = (const void *)ev;
		double ms = o->recover_ns / 1e6;

		/* a time to recover only when it did */
		if (o->success && ms > p->cur.recover_ms)
			p->cur.recover_ms = ms;
		p->changed |= PUB_T_STRATEGIES | PUB_T_COMPONENTS;
		break;
	}
	case HMS_EV_STRATEGY:
		p->changed |= PUB_T_STRATEGIES;
		break;
	case HMS_EV_COMPONENT_STATE:
		pub_restarts(p, (const struct hms_ev_component *)ev);
		p->changed |= PUB_T_COMPONENTS;
		break;
	case HMS_EV_ACTION: case HMS_EV_FAILURE: case HMS_EV_ALERT:
		p->changed |= PUB_T_COMPONENTS;
		break;
	case HMS_EV_STATS: {
		const struct hms_ev_stats *s = (const void *)ev;
		uint64_t total = 0;
		int t;

		for (t = 0; t < HMS_EV_TYPE_MAX; t++)
			total += s->drops[t];
		p->cur.drops += total >= p->drops_total ?
				total - p->drops_total : total;
		p->drops_total = total;
		break;
	}
	}
}


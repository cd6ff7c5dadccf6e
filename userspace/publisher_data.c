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
#include "hms_proto.h"
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
		struct pub_set n = { calloc(s->cap ? s->cap * 2 : 256,
					    sizeof(uint32_t)),
				     s->cap ? s->cap * 2 : 256, 0 };

		if (!n.slot)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				n.slot[pub_set_slot(&n, s->slot[i])] = s->slot[i];
		n.n = s->n;
		free(s->slot);
		*s = n;
	}
	i = pub_set_slot(s, tgid);
	if (!s->slot[i]) {
		s->slot[i] = tgid;
		s->n++;
	}
	return 0;
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

/* The event message line: {"type":"event","time_ms":T,"event":{...}} */
static char *pub_event_line(const struct hms_event_hdr *ev, uint64_t id,
			    int64_t time_ms, int *len)
{
	char *js = event_to_json_str_id(ev, id), *line = NULL;

	if (!js)
		return NULL;
	*len = asprintf(&line, "{\"" HMS_PROTO_KEY_TYPE "\":\"" HMS_MSG_EVENT
			"\",\"time_ms\":%" PRId64 ",\"event\":%s}\n",
			time_ms, js);
	free(js);
	return *len < 0 ? NULL : line;
}

/* Keep a copy of the record (and of its line when there is one). */
static void pub_ring_push(struct hms_publisher *p,
			  const struct hms_event_hdr *ev, int64_t time_ms,
			  const char *line, size_t len)
{
	size_t slot = (p->ring_head + p->ring_n) % PUB_EV_RING;
	struct pub_ev_slot *e = &p->ring[slot];
	void *copy = malloc(ev->size);

	if (!copy)
		return;
	memcpy(copy, ev, ev->size);
	if (p->ring_n == PUB_EV_RING)
		p->ring_head = (p->ring_head + 1) % PUB_EV_RING;
	else
		p->ring_n++;
	free(e->ev);
	free(e->line);
	e->ev = copy;
	e->time_ms = time_ms;
	e->id = event_id_current();
	e->line = line ? strndup(line, len) : NULL;
}

const char *pub_ring_line(struct hms_publisher *p, size_t i)
{
	struct pub_ev_slot *e;
	int len;

	if (i >= p->ring_n)
		return NULL;
	e = &p->ring[(p->ring_head + i) % PUB_EV_RING];
	if (!e->line && e->ev) {
		e->line = pub_event_line(e->ev, e->id, e->time_ms, &len);
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
	if (p->n_clients)
		line = pub_event_line(ev, 0, time_ms, &len);
	pub_ring_push(p, ev, time_ms, line, line ? len - 1 : 0);
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
	free(line);
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


// SPDX-License-Identifier: BSD-2-Clause
/* incidents.c - the registry's incident log, fed by the bus: one incident
 * per failure event, host-wide ones (watch.all: a process of no
 * component) under the pseudo-component CONFIG_HOST_COMPONENT.  A
 * per-(comm, class) window limit keeps a crash storm from flooding the
 * store: past `burst` in an interval the failures are only counted, and
 * the count is stored as one summary incident ("dropped=N") when the
 * interval ends (checked once a second while drops are pending, and at
 * exit). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bus.h"
#include "config.h"
#include "event.h"
#include "incidents.h"
#include "loop.h"
#include "registry.h"
#include "log.h"

#define INC_SLOTS	512	/* (comm, class) windows kept */
#define INC_FLUSH_NS	1000000000ull

struct inc_slot {
	char comm[HMS_COMM_LEN];
	char failure[HMS_NAME_LEN];
	char component[HMS_NAME_LEN];	/* of the last one seen */
	uint64_t start_ns;		/* window start, 0 = free slot */
	uint32_t count;			/* stored in this window */
	uint32_t dropped;		/* left out in this window */
};

struct hms_incidents {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_registry *reg;
	uint32_t burst;
	uint64_t interval_ns;
	struct hms_timer *flush;
	bool flush_armed;
	struct inc_slot slots[INC_SLOTS];
	struct incidents_stats st;
};

static uint64_t inc_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void inc_store(struct hms_incidents *in, struct registry_incident *r)
{
	if (!in->reg)
		return;
	r->time_ns = inc_wall_ns();
	if (registry_record_incident(in->reg, r, NULL) < 0) {
		in->st.errors++;
		log_warning("incident not stored: %s",
			    registry_last_error(in->reg));
	}
}

/* The drops of a window that ends, as one incident. */
static void inc_summary(struct hms_incidents *in, struct inc_slot *s)
{
	struct registry_incident r = { 0 };

	if (!s->dropped)
		return;
	snprintf(r.component, sizeof(r.component), "%s", s->component);
	memcpy(r.comm, s->comm, sizeof(r.comm));
	snprintf(r.failure, sizeof(r.failure), "%s", s->failure);
	snprintf(r.detail, sizeof(r.detail), "rate limit: dropped=%u more in "
		 "%llu s (burst %u)", s->dropped,
		 (unsigned long long)(in->interval_ns / 1000000000ull),
		 in->burst);
	inc_store(in, &r);
	in->st.summaries++;
	s->dropped = 0;
}

static uint32_t inc_hash(const char *comm, const char *failure)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < HMS_COMM_LEN && comm[i]; i++)
		h = (h ^ (uint8_t)comm[i]) * 16777619u;
	for (size_t i = 0; i < HMS_NAME_LEN && failure[i]; i++)
		h = (h ^ (uint8_t)failure[i]) * 16777619u;
	return h;
}

/* The window of (comm, failure); a full table reuses the oldest slot
 * (its drops stored first). */
static struct inc_slot *inc_slot(struct hms_incidents *in, const char *comm,
				 const char *failure)
{
	uint32_t h = inc_hash(comm, failure);
	struct inc_slot *oldest = NULL;

	for (uint32_t k = 0; k < 16; k++) {
		struct inc_slot *s = &in->slots[(h + k) % INC_SLOTS];

		if (!s->start_ns || (!strncmp(s->comm, comm, HMS_COMM_LEN) &&
				     !strncmp(s->failure, failure,
					      HMS_NAME_LEN)))
			return s;
		if (!oldest || s->start_ns < oldest->start_ns)
			oldest = s;
	}
	inc_summary(in, oldest);
	memset(oldest, 0, sizeof(*oldest));
	return oldest;
}

static void inc_flush(struct hms_incidents *in, uint64_t now, bool all)
{
	bool pending = false;

	for (size_t i = 0; i < INC_SLOTS; i++) {
		struct inc_slot *s = &in->slots[i];

		if (!s->dropped)
			continue;
		if (all || now - s->start_ns >= in->interval_ns) {
			inc_summary(in, s);
			s->start_ns = now;
			s->count = 0;
		} else {
			pending = true;
		}
	}
	if (!pending && in->flush_armed) {
		loop_timer_disarm(in->flush);
		in->flush_armed = false;
	}
}

static void inc_on_flush(struct hms_timer *t, void *arg)
{
	(void)t;
	inc_flush(arg, loop_now_ns(), false);
}

static void inc_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct hms_incidents *in = arg;
	const struct hms_ev_failure *f = (const void *)ev;
	struct registry_incident r = { 0 };
	uint64_t now = loop_now_ns();
	struct inc_slot *s;

	if (ev->type != HMS_EV_FAILURE || ev->size < sizeof(*f))
		return;
	s = inc_slot(in, ev->comm, f->failure);
	if (s->start_ns && now - s->start_ns >= in->interval_ns) {
		inc_summary(in, s);
		s->start_ns = 0;
	}
	if (!s->start_ns) {
		memcpy(s->comm, ev->comm, HMS_COMM_LEN);
		memcpy(s->failure, f->failure, HMS_NAME_LEN);
		s->start_ns = now;
		s->count = 0;
	}
	snprintf(s->component, sizeof(s->component), "%s",
		 f->component[0] ? f->component : CONFIG_HOST_COMPONENT);
	if (s->count >= in->burst) {
		s->dropped++;
		in->st.dropped++;
		if (!in->flush_armed) {
			loop_timer_arm(in->flush, INC_FLUSH_NS, INC_FLUSH_NS);
			in->flush_armed = true;
		}
		return;
	}
	s->count++;
	memcpy(r.component, s->component, sizeof(r.component));
	r.pid = ev->tgid;
	memcpy(r.comm, ev->comm, sizeof(r.comm));
	memcpy(r.failure, f->failure, sizeof(r.failure));
	r.failure[sizeof(r.failure) - 1] = '\0';
	r.signal = (int32_t)f->signal;
	r.exit_code = f->exit_code;
	r.core_dumped = f->core_dumped;
	r.sender_pid = f->sender_tgid;
	snprintf(r.detail, sizeof(r.detail), "%.*s", HMS_TEXT_LEN, f->cause);
	inc_store(in, &r);
	in->st.stored++;
}

void incidents_reload(struct hms_incidents *in, const struct hms_config *cfg)
{
	in->burst = cfg->daemon.incidents.burst;
	in->interval_ns = (uint64_t)cfg->daemon.incidents.interval_ms *
			  1000000ull;
}

int incidents_new(const struct hms_config *cfg, struct hms_loop *loop,
		  struct hms_bus *bus, struct hms_registry *reg,
		  struct hms_incidents **out)
{
	struct hms_incidents *in = calloc(1, sizeof(*in));
	int err;

	if (!in)
		return -ENOMEM;
	in->loop = loop;
	in->bus = bus;
	in->reg = reg;
	incidents_reload(in, cfg);
	err = loop_timer_new(loop, inc_on_flush, in, &in->flush);
	err = err ?: bus_subscribe(bus, HMS_EV_FAILURE, inc_on_event, in);
	if (err) {
		loop_timer_free(in->flush);
		free(in);
		return err;
	}
	*out = in;
	return 0;
}

void incidents_free(struct hms_incidents *in)
{
	if (!in)
		return;
	bus_unsubscribe(in->bus, HMS_EV_FAILURE, inc_on_event, in);
	inc_flush(in, loop_now_ns(), true);
	loop_timer_free(in->flush);
	free(in);
}

void incidents_get_stats(const struct hms_incidents *in,
			 struct incidents_stats *st)
{
	*st = in->st;
}

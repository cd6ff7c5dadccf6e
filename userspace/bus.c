// SPDX-License-Identifier: BSD-2-Clause
/*
 * bus.c - in-process event bus.  Sensors and derived-event producers
 * publish hms_event records; subscribers (proctable, healer, registry
 * log, publisher, --json writer) never call each other.
 */
#include <errno.h>
#include <stdlib.h>
#include "bus.h"
#include "event.h"

#define BUS_MAX_DEPTH	8

struct bus_sub {
	int type;
	bus_cb cb;
	void *arg;
	int dead;
	struct bus_sub *next;
};

struct hms_bus {
	struct bus_sub *subs;
	struct bus_sub **tail;
	int depth;
	int need_reap;
	uint64_t published;
	uint64_t dropped;
};

int bus_new(struct hms_bus **out)
{
	struct hms_bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return -ENOMEM;
	bus->tail = &bus->subs;
	*out = bus;
	return 0;
}

void bus_free(struct hms_bus *bus)
{
	struct bus_sub *s, *next;

	if (!bus)
		return;
	for (s = bus->subs; s; s = next) {
		next = s->next;
		free(s);
	}
	free(bus);
}

int bus_subscribe(struct hms_bus *bus, int type, bus_cb cb, void *arg)
{
	struct bus_sub *s;

	if (type != BUS_ALL && (type < 0 || type >= HMS_EV_TYPE_MAX))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->type = type;
	s->cb = cb;
	s->arg = arg;
	*bus->tail = s;
	bus->tail = &s->next;
	return 0;
}

static void bus_reap(struct hms_bus *bus)
{
	struct bus_sub **pp = &bus->subs, *s;

	bus->need_reap = 0;
	bus->tail = &bus->subs;
	while ((s = *pp)) {
		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
			bus->tail = pp;
		}
	}
}

int bus_unsubscribe(struct hms_bus *bus, int type, bus_cb cb, void *arg)
{
	struct bus_sub *s;

	for (s = bus->subs; s; s = s->next) {
		if (s->type == type && s->cb == cb && s->arg == arg &&
		    !s->dead) {
			s->dead = 1;
			bus->need_reap = 1;
			if (!bus->depth)
				bus_reap(bus);
			return 0;
		}
	}
	return -ENOENT;
}

void bus_publish(struct hms_bus *bus, const struct hms_event_hdr *ev)
{
	struct bus_sub *s;
	uint64_t id;

	if (bus->depth >= BUS_MAX_DEPTH) {
		bus->dropped++;
		return;
	}
	bus->published++;
	bus->depth++;
	id = event_id_begin();
	for (s = bus->subs; s; s = s->next) {
		if (s->dead)
			continue;
		if (s->type == BUS_ALL || s->type == ev->type)
			s->cb(ev, s->arg);
	}
	event_id_end(id);
	bus->depth--;
	if (!bus->depth && bus->need_reap)
		bus_reap(bus);
}

uint64_t bus_published(const struct hms_bus *bus)
{
	return bus->published;
}

uint64_t bus_dropped(const struct hms_bus *bus)
{
	return bus->dropped;
}

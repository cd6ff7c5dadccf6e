/* SPDX-License-Identifier: BSD-2-Clause */
/* bus.h - the in-process event bus: typed subscriptions, synchronous
 * dispatch.  Kernel and derived events all travel as hms_event records. */
#ifndef HMS_BUS_H
#define HMS_BUS_H

#include <stddef.h>
#include <stdint.h>
#include "hms_event.h"

#define BUS_ALL	(-1)

struct hms_bus;

typedef void (*bus_cb)(const struct hms_event_hdr *ev, void *arg);

int bus_new(struct hms_bus **out);
void bus_free(struct hms_bus *bus);

/* type is an enum hms_event_type or BUS_ALL. */
int bus_subscribe(struct hms_bus *bus, int type, bus_cb cb, void *arg);
int bus_unsubscribe(struct hms_bus *bus, int type, bus_cb cb, void *arg);

/* Dispatch ev (hdr.size bytes) to every matching subscriber, in order of
 * subscription.  Subscribers may publish from their callback (depth is
 * bounded; deeper publishes are dropped and counted). */
void bus_publish(struct hms_bus *bus, const struct hms_event_hdr *ev);

uint64_t bus_published(const struct hms_bus *bus);
uint64_t bus_dropped(const struct hms_bus *bus);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* incidents.h - the registry's incident log as a bus subscriber: every
 * failure event (of a component, or host-wide under the pseudo-component
 * CONFIG_HOST_COMPONENT) is stored, at most `burst` per (comm, class) per
 * interval; what a storm leaves out is counted and stored as one summary
 * incident when its interval ends. */
#ifndef HMS_INCIDENTS_H
#define HMS_INCIDENTS_H

#include <stdint.h>

struct hms_config;
struct hms_loop;
struct hms_bus;
struct hms_registry;
struct hms_incidents;

/* reg NULL: nothing is stored (but the subscriber still counts). */
int incidents_new(const struct hms_config *cfg, struct hms_loop *loop,
		  struct hms_bus *bus, struct hms_registry *reg,
		  struct hms_incidents **out);
/* New limits after a reload. */
void incidents_reload(struct hms_incidents *in, const struct hms_config *cfg);
/* Stores the pending drop counts, then frees; accepts NULL. */
void incidents_free(struct hms_incidents *in);

struct incidents_stats {
	uint64_t stored;	/* incidents written */
	uint64_t dropped;	/* left out by the rate limit */
	uint64_t summaries;	/* summary incidents written for drops */
	uint64_t errors;	/* writes the registry refused */
};
void incidents_get_stats(const struct hms_incidents *in,
			 struct incidents_stats *st);

#endif

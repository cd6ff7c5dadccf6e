/* SPDX-License-Identifier: BSD-2-Clause */
/* log_events.h - the healing story in the log: a bus subscriber that
 * writes one line for every failure, strategy chosen, action, outcome,
 * component state change and alert, naming the component, the failure
 * class, the strategy and the result; under journald each line also
 * carries HMS_COMPONENT=, HMS_FAILURE=, HMS_STRATEGY=, HMS_OUTCOME= ...
 * fields (log.h log_fields).  Storms are rate-limited per event type
 * (log_limit.h). */
#ifndef HMS_LOG_EVENTS_H
#define HMS_LOG_EVENTS_H

struct hms_bus;
struct hms_loop;
struct hms_event_hdr;
struct log_events;

/* Subscribe to the derived events of bus; loop (may be NULL: no timer)
 * runs the timer that reports suppressed lines once a storm ends. */
int log_events_new(struct hms_loop *loop, struct hms_bus *bus,
		   struct log_events **out);
void log_events_free(struct log_events *le);
/* The line (and fields) for one event, as the subscriber writes it;
 * exposed for the tests. */
void log_events_write(struct log_events *le, const struct hms_event_hdr *ev);

#endif

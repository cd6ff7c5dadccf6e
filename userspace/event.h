/* SPDX-License-Identifier: BSD-2-Clause */
/* event.h - decoding, naming and JSON rendering of hms events. */
#ifndef HMS_EVENT_UTIL_H
#define HMS_EVENT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "hms_names.h"

/* Size of the record for type, 0 when the type is unknown. */
size_t event_size(unsigned int type);
/* Stable external name ("exit", "tcp_reset_recv", ...), NULL if unknown
 * (the names table is common/hms_names.c). */
static inline const char *event_type_name(unsigned int type)
{
	return hms_event_type_name(type);
}

/* Type for name, or -ENOENT. */
static inline int event_type_from_name(const char *name)
{
	return hms_event_type_from_name(name);
}
/* A comma-separated list of type names ("exit,signal") as bits by type
 * number, ORed into bits; -ENOENT with the first unknown name in bad. */
int event_types_parse(const char *list, uint64_t bits[2], char *bad,
		      size_t badlen);
static inline int event_types_has(const uint64_t bits[2], unsigned int type)
{
	return type < 128 && (bits[type / 64] >> (type % 64)) & 1;
}

/* 1 for process failures that go on the critical ring. */
int event_is_critical(unsigned int type);

/* Check a raw record: 0 valid, -EINVAL short or inconsistent,
 * -ENOENT unknown type, -EPROTO wrong version. */
int event_check(const void *data, size_t len);

/* Fill a derived event's header: version, type, size, ts now. */
void event_init(struct hms_event_hdr *hdr, unsigned int type, size_t size);

/* The JSON of events (event_json.c, docs/events.schema.json). */
#define HMS_JSON_SCHEMA_VERSION	2

/* JSON object for ev (new reference), NULL on error. */
json_t *event_to_json(const struct hms_event_hdr *ev);
/* One compact JSON line, malloc'd, no newline. */
char *event_to_json_str(const struct hms_event_hdr *ev);
/* The same with the id given (event_id_current() when it was published;
 * 0: as above), for an event rendered after its dispatch. */
json_t *event_to_json_id(const struct hms_event_hdr *ev, uint64_t id);
char *event_to_json_str_id(const struct hms_event_hdr *ev, uint64_t id);
/* The object without its envelope (schema_version, id, type, time, ts_ns,
 * host): the roles and the payload, for the dashboard's event text. */
json_t *event_to_json_body(const struct hms_event_hdr *ev);

/* Event ids: the bus numbers each event it dispatches (begin returns the
 * outer event's id, end restores it), so that one event has one id
 * wherever it is rendered; an event rendered outside a dispatch gets a
 * new id. */
uint64_t event_id_begin(void);
void event_id_end(uint64_t prev);
/* The id of the event being dispatched now, 0 when none. */
uint64_t event_id_current(void);
/* A CLOCK_MONOTONIC time as RFC 3339 UTC with nanoseconds. */
void event_time_str(uint64_t mono_ns, char *buf, size_t len);

/* Names of enum values used in payloads. */
const char *event_signal_name(unsigned int sig);	/* "SIGSEGV" */
const char *event_tcp_state_name(unsigned int state);	/* "SYN_SENT" */
/* Render an address of a net event: "127.0.0.1" or "::1". */
void event_addr_str(uint16_t family, const uint8_t addr[16], char *buf,
		    size_t len);

#endif

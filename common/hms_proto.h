/* SPDX-License-Identifier: BSD-2-Clause */
/* hms_proto.h - the dashboard socket protocol, shared by the daemon's
 * publisher and every client (the panes, `hms-ebpf ctl`).  One JSON object
 * per line each way.  A client sends {"cmd": CMD, ...}; the daemon sends
 * {"type": MSG, ...}.  Names here are the protocol: never rename one. */
#ifndef HMS_PROTO_H
#define HMS_PROTO_H

#include <stdbool.h>

/* In the hello message.  2: event messages in the panes' own format
 * (seq, kind, pid, comm, component, text) and a snapshot "history". */
#define HMS_PROTO_VERSION	2
#define HMS_PROTO_SOCKET	"/run/hms-ebpf/hms.sock"	/* default */

#define HMS_PROTO_KEY_CMD	"cmd"
#define HMS_PROTO_KEY_TYPE	"type"

/* client -> daemon */
#define HMS_CMD_SUBSCRIBE	"subscribe"	/* "topics": [TOPIC...] */
#define HMS_CMD_PING		"ping"		/* answered by pong */
#define HMS_CMD_STATUS		"status"	/* ["component"], answered by
						 * a status message; any role */
/* acting verbs: {"cmd": VERB, "component": NAME, "id": N}, answered by a
 * result message; only for root and socket_group */
#define HMS_VERB_HEAL		"heal"
#define HMS_VERB_PAUSE		"pause"
#define HMS_VERB_RESUME		"resume"
#define HMS_VERB_ACK		"ack"		/* = reset */
#define HMS_VERB_RESET		"reset"
#define HMS_VERB_START		"start"
#define HMS_VERB_STOP		"stop"
#define HMS_VERB_PIN		"pin"		/* + "failure", "strategy" */
#define HMS_VERB_UNPIN		"unpin"		/* + "failure" (none: all) */
#define HMS_PROTO_KEY_FAILURE	"failure"
#define HMS_PROTO_KEY_STRATEGY	"strategy"

/* daemon -> client */
#define HMS_MSG_HELLO		"hello"		/* version, role */
#define HMS_MSG_ERROR		"error"		/* refused; then closed */
#define HMS_MSG_RESULT		"result"	/* ok, verb, component, message */
#define HMS_MSG_PONG		"pong"
#define HMS_MSG_STATUS		"status"	/* ok, components, message */
#define HMS_MSG_SNAPSHOT	"snapshot"	/* every subscribed table */
#define HMS_MSG_EVENT		"event"		/* "event": an event's JSON */
#define HMS_MSG_PROCS		"procs"		/* upsert, remove */
#define HMS_MSG_COMPONENTS	"components"
#define HMS_MSG_STRATEGIES	"strategies"
#define HMS_MSG_METRICS		"metrics"	/* sample */

/* hello's "role" */
#define HMS_ROLE_ACT		"act"
#define HMS_ROLE_WATCH		"watch"

/* Subscription topics: bit (1 << HMS_TOPIC_x), names in "topics". */
enum hms_topic {
	HMS_TOPIC_EVENTS,
	HMS_TOPIC_PROCS,
	HMS_TOPIC_COMPONENTS,
	HMS_TOPIC_STRATEGIES,
	HMS_TOPIC_METRICS,
	HMS_TOPIC_MAX,
};

const char *hms_topic_name(unsigned int topic);	/* "procs"; NULL */
int hms_topic_from_name(const char *name);	/* or -ENOENT */
/* cmd is one of the acting verbs above. */
bool hms_proto_is_verb(const char *cmd);

#endif

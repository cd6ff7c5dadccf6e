/* SPDX-License-Identifier: BSD-2-Clause */
/* publisher.h - the daemon side of the dashboard: a unix socket that
 * pushes newline-delimited JSON to panes (a snapshot on subscribe, then
 * events as they happen and coalesced table/metric updates) and takes
 * requests (status; heal, pause, resume, reset, ack, start, stop) from
 * permitted peers only (`hms-ebpf ctl` and the panes' keys).
 * Protocol: docs/dashboard.md. */
#ifndef HMS_PUBLISHER_H
#define HMS_PUBLISHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "hms_event.h"
#include "hms_proto.h"

struct hms_loop;
struct hms_bus;
struct hms_proctable;
struct hms_publisher;

#define PUBLISHER_DEFAULT_PATH	HMS_PROTO_SOCKET

/* What the healer knows about one component. */
/* A component's last OOM kill, its forensics (healer.h's
 * struct healer_oom_info, in the units of the JSON). */
struct publisher_oom {
	uint32_t pid;
	int64_t time_ms;		/* wall clock */
	uint64_t rss_kb;
	bool cgroup_read;		/* limit, usage, peak known */
	uint64_t limit_bytes;		/* UINT64_MAX: no limit */
	uint64_t usage_bytes, peak_bytes;
	bool pressure_read;		/* avg10 of its cgroup known */
	double some_avg10, full_avg10;	/* percent */
	bool pressure_before;		/* a mem_pressure failure came first */
	uint32_t pressure_ago_ms;
	const char *strategy;		/* run for it, "" */
	const char *done;		/* what its last action did, "" */
	const char *summary;		/* one line */
};

/* One PSI trigger of a component: the threshold in use (tuned by the
 * registry within max) and the configured one. */
struct publisher_pressure {
	const char *resource;		/* "memory", "cpu", "io" */
	bool full, armed;
	double stall_ms, configured_ms, max_ms, window_ms;	/* max 0: none */
};

struct publisher_component {
	const char *name;
	unsigned int state;		/* enum healer_state */
	uint32_t pid;			/* main pid, 0 when not running */
	uint32_t restarts;
	const char *last_failure;	/* failure class, "" if none */
	const char *last_cause;		/* "SIGSEGV", "exit 3", "" */
	bool paused;
	const uint32_t *pids;		/* every process of it */
	size_t n_pids;
	const char *reason;		/* of its last state change, e.g.
					 * "restart budget spent" */
	bool held;			/* stopped by the operator */
	const struct publisher_oom *oom;	/* NULL: no OOM kill seen */
	const struct publisher_pressure *pressure;	/* its PSI triggers */
	size_t n_pressure;
	const char *pins;		/* "crash=S ..." the operator forces */
};

/* What the registry knows about one strategy for one failure class. */
struct publisher_strategy {
	const char *component, *failure, *strategy;
	double successes, failures, success_rate;
	uint32_t n_outcomes;
	double median_recover_ms, p95_recover_ms;
	bool next;			/* the one the healer would pick now */
	double p_next;			/* its probability of being picked next */
};

typedef int (*publisher_component_cb)(const struct publisher_component *c,
				      void *arg);
typedef int (*publisher_strategy_cb)(const struct publisher_strategy *s,
				     void *arg);

/* An operator's request: verb and component; pin and unpin also name
 * the failure class and (pin) the strategy, NULL when not given. */
struct publisher_act {
	const char *verb;
	const char *component;
	const char *failure;
	const char *strategy;
};

/* Plugged in by main.c/daemon.c so that the publisher does not link
 * against the healer or the registry.  Every member may be NULL. */
struct publisher_sources {
	/* Call cb for every component (stop when cb returns non-zero). */
	int (*components)(void *ctx, publisher_component_cb cb, void *arg);
	/* Call cb for every (component, failure, strategy), grouped by
	 * component then failure. */
	int (*strategies)(void *ctx, publisher_strategy_cb cb, void *arg);
	/* An acting verb (common/hms_proto.h); 0 or -errno (-ENOENT: no
	 * such component), msg says what happened either way ("restart
	 * started: ...", "already healthy", "refused: paused", ...). */
	int (*act)(void *ctx, const struct publisher_act *req, char *msg,
		   size_t len);
	/* Run-queue latency histogram of tgid (log2 us slots) or -ENOENT. */
	int (*runq_hist)(void *ctx, uint32_t tgid,
			 uint64_t slots[HMS_HIST_SLOTS]);
	/* The registry's store state, or -ENOENT (no registry). */
	int (*registry)(void *ctx, struct hms_ev_registry *out);
	void *ctx;
	/* Publish fresh sensor counters on the bus (HMS_EV_STATS); called
	 * every 10 s while a pane is connected.  May be NULL. */
	int (*stats)(void *ctx);
};

struct publisher_opts {
	const char *path;		/* NULL = PUBLISHER_DEFAULT_PATH */
	gid_t socket_group;		/* may watch and act; (gid_t)-1 none */
	gid_t viewer_group;		/* may only watch; (gid_t)-1 none */
	mode_t mode;			/* 0: 0660, or 0666 with a viewer
					 * group (SO_PEERCRED decides) */
	uint32_t tick_ms;		/* table/metric coalescing, 0 = 200 */
	uint32_t procs_ms;		/* process rows at most this often
					 * (on the tick), 0 = 400 */
	uint32_t flush_ms;		/* event batching, 0 = 50 */
};

/* Bind the socket (mkdir -p its directory, replace a stale socket, refuse
 * a live one with -EADDRINUSE, anything else at its name with -EEXIST,
 * and a directory others could write with -EPERM: safedir.h), subscribe
 * to every bus event. */
int publisher_new(const struct publisher_opts *o, struct hms_loop *loop,
		  struct hms_bus *bus, struct hms_proctable *pt,
		  const struct publisher_sources *src,
		  struct hms_publisher **out);
/* Disconnects every pane, unlinks the socket. NULL is fine. */
void publisher_free(struct hms_publisher *p);

/* Topics a pane can subscribe to (also the bits of publisher_changed). */
enum publisher_topic {
	PUB_T_EVENTS	 = 1 << HMS_TOPIC_EVENTS,
	PUB_T_PROCS	 = 1 << HMS_TOPIC_PROCS,
	PUB_T_COMPONENTS = 1 << HMS_TOPIC_COMPONENTS,
	PUB_T_STRATEGIES = 1 << HMS_TOPIC_STRATEGIES,
	PUB_T_METRICS	 = 1 << HMS_TOPIC_METRICS,
	PUB_T_ALL	 = (1 << HMS_TOPIC_MAX) - 1,
};

/* Something changed outside the bus (config reload, registry import):
 * re-read those sources at the next tick. */
void publisher_changed(struct hms_publisher *p, unsigned int topics);
size_t publisher_clients(const struct hms_publisher *p);
const char *publisher_path(const struct hms_publisher *p);

#endif

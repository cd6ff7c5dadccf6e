/* SPDX-License-Identifier: BSD-2-Clause */
/* publisher_int.h - the publisher's internals shared by publisher.c
 * (socket, timers), publisher_peer.c (panes, requests), publisher_data.c
 * (bus accounting, metrics) and publisher_json.c (what is pushed). */
#ifndef HMS_PUBLISHER_INT_H
#define HMS_PUBLISHER_INT_H

#include <jansson.h>
#include <sys/un.h>
#include "log_limit.h"
#include "wbuf.h"
#include "publisher.h"

#define PUB_EV_RING	200		/* events replayed to a new pane */
#define PUB_SAMPLES	600		/* per-second metric samples kept */
#define PUB_MAX_COMPS	256		/* restarts tracked per component */
#define PUB_OUT_MAX	(2u << 20)	/* bytes queued for one pane */
#define PUB_OUT_TOTAL	(16u << 20)	/* bytes queued for all panes */
/* Per-component history replayed to a new pane whatever the host's event
 * rate: the last failures, actions and other healer events (strategy,
 * outcome, state) of each component (as the view keeps them). */
#define PUB_HIST_FAIL	50
#define PUB_HIST_ACT	50
#define PUB_HIST_OTHER	100
#define PUB_HIST_CLASSES 3
#define PUB_KILLS	512		/* who sent the last fatal signals */

struct hms_timer;

enum pub_role { PUB_ROLE_NONE, PUB_ROLE_WATCH, PUB_ROLE_ACT };

struct pub_set {			/* set of tgids, open addressing, */
	uint32_t *slot;			/* each with a value (0 when added) */
	uint64_t *val;
	size_t cap, n;
};

struct pub_sample {
	double events, restarts, drops, runq_ms, recover_ms;
};

struct pub_client {
	struct hms_publisher *p;
	int fd;
	uid_t uid;
	pid_t pid;
	int role;
	unsigned int topics;		/* 0 until subscribed */
	int dead;
	int want_out;
	char in[65536];
	size_t in_len;
	struct hms_wbuf out;		/* bounded by PUB_OUT_MAX */
	struct pub_client *next;
};

struct pub_hist_line {
	uint64_t seq;
	char *line;			/* message line, no newline */
};

struct pub_hist {			/* one component's history */
	char name[HMS_NAME_LEN];
	struct pub_hist_line *ring[PUB_HIST_CLASSES];
	size_t head[PUB_HIST_CLASSES], n[PUB_HIST_CLASSES];
};

struct pub_kill {			/* the sender of a fatal signal */
	uint32_t target, sender, signal;
	char comm[HMS_COMM_LEN];
};

struct pub_comp_restarts {
	char name[HMS_NAME_LEN];
	uint32_t restarts;
};

/* One recent event: the record, and its message line (rendered only when
 * a pane needs it: a host with no pane renders nothing). */
struct pub_ev_slot {
	struct hms_event_hdr *ev;
	char *line;			/* no newline; NULL until rendered */
	int64_t time_ms;
	uint64_t seq;			/* its id (event_id_current), the
					 * same as in its --json line */
};

struct hms_publisher {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_proctable *pt;
	struct publisher_sources src;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd, bound;
	gid_t socket_group, viewer_group;
	uint64_t flush_ns, last_flush_ns;
	int flush_armed;
	struct hms_timer *tick, *flush;
	uint64_t procs_ns, last_procs_ns;	/* process rows' interval */
	uint64_t tick_ns;		/* the tick runs only while panes are */
	uint64_t last_stats_ns;		/* connected (and once after) */
	struct pub_client *clients;
	size_t n_clients;
	/* pushed data */
	struct pub_set dirty;		/* rows changed since the last tick */
	struct pub_set sent;		/* rows the panes have: the value is
					 * the hash of the row last pushed (0:
					 * only in a snapshot) */
	char *batch;			/* event lines not yet flushed */
	size_t batch_len, batch_cap;
	struct pub_ev_slot ring[PUB_EV_RING];	/* for snapshots */
	size_t ring_head, ring_n;
	uint64_t seq;			/* events numbered for the panes */
	struct pub_hist *hist;		/* PUB_MAX_COMPS, by first sight */
	size_t n_hist;
	struct pub_kill kills[PUB_KILLS];	/* direct-mapped by target */
	unsigned int changed;		/* topics to re-read at the tick */
	char *comps_json, *strats_json;	/* as last pushed */
	struct pub_sample samples[PUB_SAMPLES], cur;
	size_t s_head, s_n;
	uint64_t cur_sec, last_sweep_ns, last_comps_ns, last_strats_ns;
	uint64_t drops_total;
	struct pub_comp_restarts restarts[PUB_MAX_COMPS];
	size_t n_restarts;
	/* lines any local user can cause, rate-limited (log_limit.h) */
	struct log_limit log_refused;	/* peers refused at connect */
	struct log_limit log_requests;	/* requests refused to watchers */
	struct log_limit log_slow;	/* panes dropped for not reading */
};

/* publisher_data.c */
int pub_set_add(struct pub_set *s, uint32_t tgid);
int pub_set_has(const struct pub_set *s, uint32_t tgid);
/* The value of tgid in the set, or NULL when it is not in it. */
uint64_t *pub_set_val(struct pub_set *s, uint32_t tgid);
/* s (sanitized: no control bytes, valid UTF-8) as the inside of a JSON
 * string, cut to fit len. */
void pub_json_quote(const char *s, char *out, size_t len);
void pub_set_clear(struct pub_set *s);
void pub_set_free(struct pub_set *s);
void pub_data_free(struct hms_publisher *p);
/* The message line of the i-th oldest recent event (rendered now if it
 * was not), or NULL. */
const char *pub_ring_line(struct hms_publisher *p, size_t i);
void pub_data_event(struct hms_publisher *p, const struct hms_event_hdr *ev);
/* Every kept history line, ordered by event number, as one JSON array
 * body ("l1,l2,..."); malloc'd ("" when none), NULL on ENOMEM. */
char *pub_history_lines(struct hms_publisher *p);
/* Who sent tgid the fatal signal sig (another process), or NULL. */
const struct pub_kill *pub_kill_of(const struct hms_publisher *p,
				   uint32_t tgid, uint32_t sig);
/* publisher_json.c.  Messages (malloc'd, '\n'-terminated) or NULL when nothing to say. */
char *pub_msg_snapshot(struct hms_publisher *p, unsigned int topics);
char *pub_msg_procs(struct hms_publisher *p, int sweep);
char *pub_msg_components(struct hms_publisher *p, int force);
/* The components array (what `status` answers). */
json_t *pub_components(struct hms_publisher *p);
char *pub_msg_strategies(struct hms_publisher *p, int force);
/* Close finished seconds; the message of the newest closed sample. */
char *pub_msg_metrics(struct hms_publisher *p, uint64_t now_ns);
/* publisher_peer.c */
void pub_accept(int fd, uint32_t events, void *arg);
void pub_client_close(struct pub_client *c);
/* Bytes from a pane, as if read from its socket: each complete line is
 * one request (publisher_peer.c reads the socket through this path; the
 * request fuzzer feeds it directly). */
void pub_client_input(struct pub_client *c, const char *data, size_t len);
/* Free closed clients; only from loop entry points. */
void pub_reap(struct hms_publisher *p);
void pub_broadcast(struct hms_publisher *p, unsigned int topic,
		   const char *msg, size_t len);

#endif

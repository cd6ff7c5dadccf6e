/* SPDX-License-Identifier: BSD-2-Clause */
/* registry.h - the knowledge registry: every incident, every recovery
 * outcome and the evidence learned from them, kept in a RocksDB store.
 *
 * This is the only public header of libhmsregistry.  No RocksDB type or
 * error convention leaks out: functions return 0 (or a count) on success
 * and -errno on failure; rejected writes leave a message behind that
 * registry_last_error() returns.  The handle is not thread-safe; the
 * daemon uses it from its single event loop. */
#ifndef HMS_REGISTRY_H
#define HMS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REGISTRY_SCHEMA_VERSION	2
#define REGISTRY_DEFAULT_HALF_LIFE_S	(7.0 * 24 * 3600)
/* Thompson samples closer than this count as a tie, broken by the
 * shorter median time to recover, but only between candidates whose
 * success is statistically indistinguishable (docs/registry.md). */
#define REGISTRY_TIE_EPS	0.01
/* Candidates a choice explains (strategy_chosen carries as many). */
#define REGISTRY_EXPLAIN_MAX	8
#define REGISTRY_CHOOSE_MAX	64

struct hms_registry;

/* Open (creating dir and store if missing) read-write.  An older store is
 * migrated; a newer one is refused.  -errno, message to stderr.  The
 * first open of a store loads RocksDB (dlopen; -ELIBACC if it cannot). */
int registry_open(const char *dir, struct hms_registry **out);
/* Open an existing store read-only; works while a daemon holds it open
 * (sees the data as of the open).  Never migrates: an old store gives
 * -EPROTO. */
int registry_open_ro(const char *dir, struct hms_registry **out);
void registry_close(struct hms_registry *reg);	/* accepts NULL */
/* The store's host name: its identity in a fleet (exports name it;
 * imports never take this host's evidence back).  Default: the hostname
 * when the store was created. */
int registry_set_host(struct hms_registry *reg, const char *host);
/* Message of the last rejected write or failed call ("" if none). */
const char *registry_last_error(const struct hms_registry *reg);

/* Learning knobs. */
void registry_seed(struct hms_registry *reg, uint64_t seed);
void registry_set_half_life(struct hms_registry *reg, double seconds);
/* Clock used to decay evidence at choice time (default CLOCK_REALTIME).
 * Tests pass a simulated clock; now_ns == NULL restores the default. */
void registry_set_clock(struct hms_registry *reg,
			uint64_t (*now_ns)(void *arg), void *arg);

/* Known sets.  failure classes: crash exit oom killed hang crash_loop net
 * starved missing probe mem_pressure cpu_pressure io_pressure.  action kinds: restart signal exec memory cpu alert. */
int registry_failure_valid(const char *failure);
int registry_action_valid(const char *kind);
/* Component and strategy names: 1-31 chars of [A-Za-z0-9_.-], starting
 * with a letter or digit. */
int registry_name_valid(const char *name);

/* ---- incidents ---------------------------------------------------- */

struct registry_incident {
	uint64_t time_ns;	/* wall clock, CLOCK_REALTIME ns */
	char host[64];
	char component[32];
	uint32_t pid;
	char comm[16];
	char failure[32];
	int32_t signal;
	int32_t exit_code;
	uint32_t core_dumped;
	uint32_t sender_pid;
	char detail[128];
};

/* Store an incident and its index entries in one atomic batch.  An empty
 * host is filled with this machine's hostname. */
int registry_record_incident(struct hms_registry *reg,
			     const struct registry_incident *in,
			     uint64_t *id_out);
int registry_get_incident(struct hms_registry *reg, uint64_t id,
			  struct registry_incident *out);	/* -ENOENT */

/* Filters for queries; NULL/0 fields mean "any".  Times are inclusive
 * CLOCK_REALTIME ns. */
struct registry_query {
	const char *component;
	const char *failure;
	uint64_t since_ns;
	uint64_t until_ns;	/* 0 = no upper bound */
	size_t limit;		/* 0 = no limit */
};

/* Callbacks return 0 to go on, non-zero to stop early.  The *_foreach
 * functions return 0 or -errno; the two query functions return the number
 * of rows delivered or -errno. */
typedef int (*registry_incident_cb)(uint64_t id,
				    const struct registry_incident *in,
				    void *arg);
/* Incidents matching q, newest first.  Returns the number delivered or
 * -errno.  Uses the component+time index when q->component is set, the
 * class+time index when only q->failure is set, the time index else. */
int registry_query_incidents(struct hms_registry *reg,
			     const struct registry_query *q,
			     registry_incident_cb cb, void *arg);

/* ---- strategies --------------------------------------------------- */

struct registry_strategy {
	char name[32];
	char failure[32];	/* failure class it is meant for, "" = any */
	char actions[512];	/* JSON array: [{"memory":{"factor":1.5}},{"restart":{}}] */
	char params[256];	/* JSON object of default parameters, may be "" */
	char bounds[256];	/* JSON object name -> [min, max], may be "" */
};

int registry_put_strategy(struct hms_registry *reg,
			  const struct registry_strategy *s);
int registry_get_strategy(struct hms_registry *reg, const char *name,
			  struct registry_strategy *out);	/* -ENOENT */
int registry_strategy_foreach(struct hms_registry *reg,
			      int (*cb)(const struct registry_strategy *s,
					void *arg),
			      void *arg);
/* Validate without writing; 0 or -EINVAL with registry_last_error(). */
int registry_strategy_check(struct hms_registry *reg,
			    const struct registry_strategy *s);

/* ---- outcomes and learning ---------------------------------------- */

struct registry_outcome {
	uint64_t incident_id;	/* 0 = not tied to a stored incident */
	uint64_t time_ns;
	char component[32];
	char failure[32];
	char strategy[32];
	char params[256];	/* JSON object text of parameters used */
	int success;
	uint64_t recover_ns;
	/* 1: the chain only told (alert, hook) and nothing proved the
	 * component healthy.  Stored and exported like any outcome, but
	 * counted neither as a success nor as a failure (success is 0). */
	int unverified;
	int trial;		/* a parameter trial: learned on the parameter's
				 * arm only, never on the strategy's evidence */
};

/* Store an outcome.  A verified one (unverified == 0) also updates the
 * evidence of its (component, failure, strategy), decayed to the
 * outcome's time; an unverified one is only stored. */
int registry_record_outcome(struct hms_registry *reg,
			    const struct registry_outcome *out);

typedef int (*registry_outcome_cb)(const struct registry_outcome *o,
				   void *arg);
/* Outcomes of one strategy (NULL = all), newest first. */
int registry_query_outcomes(struct hms_registry *reg, const char *strategy,
			    const struct registry_query *q,
			    registry_outcome_cb cb, void *arg);

/* Why a candidate was chosen. */
enum registry_reason {
	REGISTRY_REASON_COLD_START,	/* no evidence: config order */
	REGISTRY_REASON_SAMPLED,	/* highest Thompson draw */
	REGISTRY_REASON_TIE_RECOVERY,	/* tie, faster recovery won */
	REGISTRY_REASON_OVERRIDE,	/* operator / caller forced it */
	REGISTRY_REASON_ONLY,		/* the only candidate */
};
const char *registry_reason_name(int reason);

struct registry_choice {
	int index;		/* into candidates */
	double successes, failures;	/* decayed evidence of the chosen one */
	double sample;		/* -1 on cold start */
	int cold_start;
	double median_recover_ms;
	int reason;		/* enum registry_reason */
};

/* Choose among candidate strategy names for (component, failure) by
 * Thompson sampling over Beta(successes+1, failures+1), evidence decayed
 * to now by time and by incidents of the group.  Cold start (no
 * candidate has evidence) = first candidate. */
int registry_choose(struct hms_registry *reg, const char *component,
		    const char *failure, const char *const *candidates,
		    size_t n, struct registry_choice *out);
/* The candidate registry_choose is most likely to pick (the highest
 * probability from registry_explain; the first on cold start) into
 * *index, for displays. */
int registry_predict(struct hms_registry *reg, const char *component,
		     const char *failure, const char *const *candidates,
		     size_t n, int *index);

/* What a choice among candidates looks like, per candidate. */
struct registry_candidate {
	char strategy[32];
	double successes, failures;	/* decayed (local + fleet) */
	double mean, lo90, hi90;	/* posterior mean and 90 % interval */
	double p_choose;	/* probability registry_choose picks it now */
	double median_recover_ms;	/* -1 unknown */
};

/* Explain the next choice for (component, failure): every candidate's
 * posterior and its probability of being chosen, estimated by running
 * the same decision registry_choose makes REG_PROB_DRAWS times on a
 * private random stream (so it never disturbs the real draws, and the
 * same evidence gives the same figures).  n <= REGISTRY_CHOOSE_MAX. */
int registry_explain(struct hms_registry *reg, const char *component,
		     const char *failure, const char *const *candidates,
		     size_t n, struct registry_candidate *out);

/* ---- parameters as their own learning problem --------------------- */

/* A tunable of a strategy.  Numbers (backoff delay, memory factor) are
 * learned on a geometric grid within [lo, hi] anchored at the configured
 * value: the smallest value that heals.  Strings (signal choice) among
 * choices, choices[0] being the configured one. */
struct registry_param {
	const char *name;	/* e.g. "delay_ms", "factor", "signal" */
	double lo, hi;		/* bounds of a number */
	double dflt;		/* configured number (> 0) */
	double ratio;		/* grid step, > 1 (e.g. 1.4142) */
	const char *const *choices;	/* strings; NULL for a number */
	size_t nchoices;
	/* filled in: */
	double value;		/* number to use */
	const char *str;	/* string to use (one of choices) */
	int trial;		/* 1: this value is a trial */
};

/* Pick the values to use for one recovery.  At most one parameter is on
 * trial at a time; report the outcome with trial = any p[i].trial and
 * params holding the values actually used.  0 or -errno. */
int registry_params_choose(struct hms_registry *reg, const char *component,
			   const char *failure, const char *strategy,
			   struct registry_param *p, size_t n);

/* The stall threshold of a component's PSI trigger (failure
 * mem_pressure, cpu_pressure or io_pressure), tuned within [lo, hi]
 * (the configured threshold and its bound) from its alarms: two false
 * alarms in a row move it up one step (x1.25), a missed one (an OOM kill
 * without a pressure failure before it) down one step (registry/
 * threshold.c says why).  Stored as a parameter of the reserved strategy
 * name below, which never shows as evidence. */
#define REGISTRY_THRESHOLD_STRATEGY	"psi-threshold"
enum registry_alarm {
	REGISTRY_ALARM_FALSE,	/* went away without an action that
				 * changed something */
	REGISTRY_ALARM_TRUE,	/* an action relieved it, or it stayed */
	REGISTRY_ALARM_MISSED,	/* the failure came without the alarm */
};
/* The threshold to use now (lo when nothing was learned). */
int registry_threshold_get(struct hms_registry *reg, const char *component,
			   const char *failure, double lo, double hi,
			   double *value);
/* Learn from one alarm; *value is the threshold to use from now on. */
int registry_threshold_observe(struct hms_registry *reg,
			       const char *component, const char *failure,
			       double lo, double hi, int alarm, double *value);

/* One row per (component, failure, strategy). */
struct registry_evidence {
	char component[32];
	char failure[32];
	char strategy[32];
	double successes, failures, success_rate;	/* decayed to now */
	uint64_t n_outcomes;
	double median_recover_ms, p95_recover_ms;	/* of recent successes */
	char tuned_params[256];	/* JSON object, "{}" when nothing tuned */
	double mean, lo90, hi90;	/* posterior of success */
	double fleet_successes, fleet_failures;	/* part from imports */
	double p_next;		/* chance of being chosen next among the
				 * strategies with evidence for this
				 * component and class (registry_explain) */
	uint64_t trials;	/* parameter trials (not in the counts) */
	uint32_t changes;	/* changes detected */
	int decayed;		/* evidence has fully decayed */
};

/* Rows sorted by component, class, strategy; NULL component = all. */
int registry_evidence_foreach(struct hms_registry *reg,
			      const char *component /* NULL = all */,
			      int (*cb)(const struct registry_evidence *ev,
					void *arg),
			      void *arg);
/* One page of the same rows: skip `offset`, deliver at most `max`.
 * Costs O(max), never a walk of all evidence: for the event loop.
 * Returns the number delivered. */
int registry_evidence_page(struct hms_registry *reg, size_t offset,
			   size_t max,
			   int (*cb)(const struct registry_evidence *ev,
				     void *arg),
			   void *arg);
size_t registry_evidence_count(const struct hms_registry *reg);
/* Tuned parameters for a strategy as JSON object text, or -ENOENT. */
int registry_tuned_params(struct hms_registry *reg, const char *component,
			  const char *failure, const char *strategy,
			  char *json, size_t len);

/* ---- aggregates, stats, maintenance ------------------------------- */

/* Exact figures over stored outcomes (no decay), per
 * component x failure x strategy, filtered by q (limit ignored). */
struct registry_aggregate {
	char component[32];
	char failure[32];
	char strategy[32];
	uint64_t count, successes;	/* verified outcomes only */
	uint64_t unverified;		/* stored, not in count */
	double success_rate;
	double median_recover_ms, p95_recover_ms;	/* of successes */
};

int registry_aggregate_foreach(struct hms_registry *reg,
			       const struct registry_query *q,
			       int (*cb)(const struct registry_aggregate *a,
					 void *arg),
			       void *arg);

struct registry_stats {
	uint32_t schema_version;
	char host[64];
	uint64_t created_ns;
	uint64_t incidents, outcomes, strategies, evidence;
	uint64_t disk_bytes;
	uint64_t bad_rows;	/* invalid stored rows skipped at open */
	uint64_t sources;	/* fleet sources imported */
};

int registry_get_stats(struct hms_registry *reg, struct registry_stats *st);
int registry_compact(struct hms_registry *reg);
/* Delete every stored row that does not decode or validate (the ones
 * skipped at open); returns how many were deleted or -errno. */
int registry_repair(struct hms_registry *reg);

/* ---- export / import ---------------------------------------------- */

/* Write strategies, this host's evidence (with tuned parameters) and
 * the fleet sources it imported, with schema version, source host and a
 * unique export id, as one JSON document, streamed row by row. */
int registry_export(struct hms_registry *reg, FILE *f);
/* Validate the whole file first; on any error write nothing and leave a
 * message naming the item and field.  Otherwise, per source host in the
 * file: the same export again changes nothing, a newer one replaces that
 * host's contribution, an older one is skipped; hosts add up.  One batch
 * (skipped when dry_run).  Returns the number of items it holds. */
int registry_import(struct hms_registry *reg, const char *path, int dry_run);
/* Combine exports offline (no store): the newest contribution of every
 * host, strategies by name (first file wins).  0 or -errno with a
 * message in err. */
int registry_merge_exports(const char *const *paths, size_t n, FILE *out,
			   char *err, size_t errlen);

/* ---- isolation: an in-memory copy and the store's own process ------ */

/* The daemon never opens the store on disk: a store process does
 * (registry_serve, `hms-ebpf registry-serve DIR`), so that a full disk or
 * a RocksDB abort cannot stop healing.  The daemon keeps an in-memory copy
 * (a handle without a store: no RocksDB is loaded into the daemon) for
 * its choices, seeded from the store process's
 * snapshot, and every write it accepts is forwarded to the store process
 * through the forward callback (docs/registry.md, "Isolation"). */
enum registry_op {
	REGISTRY_OP_HELLO = 1,		/* store -> daemon: open, sizes */
	REGISTRY_OP_SNAPSHOT,		/* daemon -> store: send the rows */
	REGISTRY_OP_ROW,		/* store -> daemon: one snapshot row */
	REGISTRY_OP_SNAPSHOT_END,	/* store -> daemon: rows all sent */
	REGISTRY_OP_ACK,		/* store -> daemon: a write's result */
	REGISTRY_OP_STRATEGY,		/* struct registry_strategy */
	REGISTRY_OP_INCIDENT,		/* struct registry_incident */
	REGISTRY_OP_OUTCOME,		/* struct registry_outcome */
	REGISTRY_OP_HALF_LIFE,		/* double, seconds */
	REGISTRY_OP_THRESHOLD,		/* a PSI alarm observed (internal) */
	REGISTRY_OP_PARAM,		/* a parameter arm set up (internal) */
};

/* One message on the store process's SOCK_SEQPACKET socket: this header,
 * then len bytes (a row: key of klen bytes then the value; a write: its
 * struct; an ACK with err: the message; HELLO: uint32 sizes of the
 * three structs). */
struct registry_msg {
	uint32_t op;		/* enum registry_op */
	uint32_t cf;		/* ROW: family index */
	uint64_t seq;		/* writes and their ACK */
	int32_t err;		/* ACK, HELLO: 0 or -errno */
	uint32_t klen;		/* ROW */
	uint32_t len;		/* bytes after the header */
	uint32_t _pad;
};
#define REGISTRY_MSG_MAX	65536

/* An I/O error of the store (no space, quota, read-only fs, EIO): the
 * write is kept and retried; any other error is a rejected write. */
int registry_err_is_io(int err);

/* A copy: a handle without a store (no RocksDB is loaded for it; only
 * registry_open and registry_open_ro load it, rdb.c).  It keeps only what
 * choices need - strategies, evidence, parameter arms, the store's host -
 * in memory; incidents and outcome rows are never kept (queries find
 * none), and what only a store does (export, import, stats, compact,
 * repair, set_host, snapshot) gives -EOPNOTSUPP. */
int registry_open_mem(struct hms_registry **out);
/* Every accepted write of reg (strategy, incident, outcome, half-life,
 * threshold) is passed to cb as (op, item, size): a copy's writes go on
 * to the store process this way. */
typedef void (*registry_forward_cb)(int op, const void *item, size_t size,
				    void *arg);
void registry_set_forward(struct hms_registry *reg, registry_forward_cb cb,
			  void *arg);
/* Store side: apply one forwarded write (op and the item as forwarded). */
int registry_apply(struct hms_registry *reg, int op, const void *item,
		   size_t size);
/* The rows choices need (meta, strategies, evidence, parameters, fleet),
 * one cb per row; cb returns non-zero to stop. */
int registry_snapshot(struct hms_registry *reg,
		      int (*cb)(unsigned int cf, const void *key, size_t klen,
				const void *val, size_t vlen, void *arg),
		      void *arg);
/* Copy side (a handle of registry_open_mem): take a snapshot row, then
 * registry_load_end to rebuild the in-memory tables from the rows, where
 * a row the copy wrote since it opened wins over the snapshot's (it is
 * newer).  Rows of a store's own families only; -EINVAL on a store. */
int registry_load_row(struct hms_registry *reg, unsigned int cf,
		      const void *key, size_t klen, const void *val,
		      size_t vlen);
int registry_load_end(struct hms_registry *reg);
/* The store process: open dir, say HELLO on fd (a SOCK_SEQPACKET
 * socket), answer SNAPSHOT, apply writes in order and ACK each; after an
 * I/O error it ACKs and returns (the daemon starts it again).  Returns
 * when fd reaches its end: 0, or -errno. */
int registry_serve(const char *dir, int fd);

#endif

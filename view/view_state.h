/* SPDX-License-Identifier: BSD-2-Clause */
/* view_state.h - what a dashboard pane knows: the daemon's pushes
 * (newline-delimited JSON, see docs/dashboard.md) applied to plain
 * tables.  Strings are kept as received (untrusted); the renderer
 * sanitizes them on the way to the screen. */
#ifndef HMS_VIEW_STATE_H
#define HMS_VIEW_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define VIEW_STR	64
#define VIEW_TEXT	192
#define VIEW_EVENTS_MAX	2000
#define VIEW_METRIC_SAMPLES	600	/* one per second: ten minutes */
#define VIEW_COMP_PIDS	16	/* processes of a component known by pid */
/* Per-component history, whatever the host's event rate: the last
 * failures, the last actions and the last other healer events (strategy,
 * outcome, state) of each component, each class its own ring. */
#define VIEW_HIST_COMPS	256
#define VIEW_HIST_FAIL	50
#define VIEW_HIST_ACT	50
#define VIEW_HIST_OTHER	100

enum view_metric {
	VIEW_M_EVENTS,		/* bus events per second */
	VIEW_M_RESTARTS,	/* component restarts per second */
	VIEW_M_DROPS,		/* ring buffer drops per second */
	VIEW_M_RUNQ,		/* worst run-queue wait, ms */
	VIEW_M_RECOVER,		/* time to recover, ms */
	VIEW_M_MAX,
};

struct view_proc {
	uint32_t tgid, ppid;
	char comm[VIEW_STR];
	char exe[VIEW_STR];
	char last_failure[VIEW_STR];	/* event kind name or "" */
	char cause[VIEW_STR];		/* "SIGSEGV", "exit 3", ... */
	char sender[VIEW_STR];		/* of the fatal signal: "kill[7]" */
	uint64_t runq_p99_us;
	uint32_t failures, resets, refusals;
	int alive;
};

struct view_component {
	char name[VIEW_STR];
	char state[VIEW_STR];
	int state_id;			/* enum healer_state, -1 unknown */
	uint32_t pid, restarts;
	char last_failure[VIEW_STR];
	char last_cause[VIEW_STR];
	int paused;
	uint32_t pids[VIEW_COMP_PIDS];	/* every process of it (first ones) */
	size_t n_pids;
	char last_oom[160];		/* its last OOM kill, one line */
};

struct view_strategy {
	char component[VIEW_STR], failure[VIEW_STR], strategy[VIEW_STR];
	double successes, failures, success_rate;
	uint32_t n_outcomes;
	double median_recover_ms, p95_recover_ms;
	double p_next;			/* probability it is chosen next */
	int next;
};

struct view_event {
	uint64_t seq;			/* the publisher's event number */
	int64_t time_ms;		/* wall clock at publish */
	char kind[VIEW_STR];
	uint32_t tgid;
	char comm[VIEW_STR];
	char component[VIEW_STR];
	char text[VIEW_TEXT];		/* "key=value ..." of the payload */
};

enum view_hist_class { VIEW_HC_FAIL, VIEW_HC_ACT, VIEW_HC_OTHER, VIEW_HC_MAX };

struct view_hist {			/* one component's history */
	char name[VIEW_STR];
	struct view_event *ring[VIEW_HC_MAX];
	size_t head[VIEW_HC_MAX], n[VIEW_HC_MAX];
};

struct view_state {
	struct view_proc *procs;
	size_t n_procs, cap_procs;
	uint32_t *index;		/* open addressing: tgid -> procs[i]+1 */
	size_t index_cap;
	struct view_component *comps;
	size_t n_comps;
	uint32_t *comp_key, *comp_val;	/* tgid -> comps[i]+1, open
					 * addressing, rebuilt with comps */
	size_t comp_cap;
	struct view_strategy *strats;
	size_t n_strats;
	struct view_event *events;	/* ring of VIEW_EVENTS_MAX */
	size_t ev_head, n_events;
	struct view_hist *hist;		/* VIEW_HIST_COMPS, by first sight */
	size_t n_hist;
	double metrics[VIEW_M_MAX][VIEW_METRIC_SAMPLES];	/* ring */
	size_t m_head, n_samples;
	char role[16];			/* "act" or "watch" from hello */
	char result[VIEW_TEXT];		/* last answer to a request */
	int result_ok;
	int loaded;			/* a snapshot arrived (not "loading") */
};

/* What an applied message changed (bit mask). */
enum view_change {
	VIEW_CH_PROCS	= 1 << 0,
	VIEW_CH_COMPS	= 1 << 1,
	VIEW_CH_STRATS	= 1 << 2,
	VIEW_CH_EVENTS	= 1 << 3,
	VIEW_CH_METRICS	= 1 << 4,
	VIEW_CH_RESULT	= 1 << 5,
	VIEW_CH_HELLO	= 1 << 6,
};

int view_state_new(struct view_state **out);
void view_state_free(struct view_state *st);
/* Forget everything (on reconnect, before the new snapshot). */
void view_state_reset(struct view_state *st);
/* Apply one message; returns a view_change mask, or -EINVAL. */
int view_state_apply(struct view_state *st, json_t *msg);
/* The same from one JSON line. */
int view_state_apply_line(struct view_state *st, const char *line,
			  size_t len);

const struct view_proc *view_state_proc(const struct view_state *st,
					uint32_t tgid);
/* Component whose main pid is tgid, or NULL. */
const struct view_component *view_state_comp_by_pid(
	const struct view_state *st, uint32_t tgid);
/* i-th event, 0 = oldest kept. */
const struct view_event *view_state_event(const struct view_state *st,
					  size_t i);
/* i-th metric sample of m, 0 = oldest kept. */
double view_state_metric(const struct view_state *st, int m, size_t i);

/* Fill an event from an event message ({"type":"event", "seq", "time_ms",
 * "kind", "pid", "comm", "component", "text"}). */
void view_state_event_from_msg(struct view_event *e, json_t *msg);
/* The component tgid belongs to (its main pid or one of its pids). */
const struct view_component *view_state_comp_of(const struct view_state *st,
						uint32_t tgid);
/* Component name's history (failures, actions and other healer events,
 * oldest first, merged by event number) into out (at most max); the
 * number written. */
size_t view_state_history(const struct view_state *st, const char *name,
			  const struct view_event **out, size_t max);
/* The kept history class of an event kind, or -1 (not kept). */
int view_hist_class(const char *kind);

#endif

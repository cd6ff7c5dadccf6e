/* SPDX-License-Identifier: BSD-2-Clause */
/* healer_int.h - internals shared by the healer's files, grouped along
 * its pipeline: the component record and its timers, detection (bus
 * events -> failures), the decision (strategy, backoff, budget), the
 * action chains and the verification. */
#ifndef HMS_HEALER_INT_H
#define HMS_HEALER_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "actions.h"
#include "config.h"
#include "healer.h"
#include "hms_event.h"

#define HC_MAX_PIDS	64
#define HC_RING		64	/* timestamps kept for windows */
#define HEALER_NOTES	128	/* recent OOM / fatal signal notes */
#define HEALER_UID_ANY	((uid_t)-2)	/* match.user: any */
#define HC_NETKEYS	32	/* recent sockets with a counted error */
#define HC_NET_DEDUP_NS	1000000000ull	/* one error per socket per 1 s */

enum hc_timer {
	HT_NONE,
	HT_GRACE,	/* starting -> healthy */
	HT_BACKOFF,	/* -> run the recovery */
	HT_STOP,	/* stop timeout -> SIGKILL */
	HT_VERIFY,	/* recovering -> healthy (success) */
	HT_MISSING,	/* adopted: not found at start */
	HT_ADOPT,	/* daemonizing: look again for its child */
	HT_CLEAR,	/* degraded: has the condition cleared? */
	HT_PLUGIN,	/* a plugin action's timeout */
};

/* A socket whose error was counted towards `net` (4-tuple, ports and
 * addresses as the sensors give them). */
struct healer_netkey {
	uint64_t ts_ns;
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
};

struct healer_probe;

/* Why a process died, as far as the sensors told us. */
struct healer_note {
	uint32_t pid;
	uint32_t oom;
	uint32_t signal;
	int32_t code;
	uint32_t sender;
	char sender_comm[HMS_COMM_LEN];
	uint64_t ts_ns;
	struct healer_oom_info oom_info;
};

/* What is known about one failure. */
struct healer_failure {
	int fc;
	uint32_t pid;
	uint32_t signal;
	int32_t exit_code;
	uint32_t core_dumped;
	uint32_t sender;
	char sender_comm[HMS_COMM_LEN];
	char comm[HMS_COMM_LEN];
	uint64_t ts_ns;		/* kernel timestamp when known */
	char cause[96];
	struct healer_oom_info oom_info;	/* fc == FAIL_OOM */
};

struct hcomp {
	struct hms_healer *h;
	const struct cfg_component *cc;
	int state;
	bool paused;
	bool held;			/* stopped by the operator: no healing
					 * until start */
	uid_t want_uid;			/* whose processes may be adopted */
	pid_t refused_pid;		/* last match of another user */
	char reason[96];		/* of the last state change */
	pid_t pid;			/* main pid, 0 when none */
	pid_t pgid;			/* spawned: its process group */
	pid_t pids[HC_MAX_PIDS];	/* all processes of the component */
	size_t n_pids;
	int adopt_pidfd;		/* exit notification of adopted main */
	pid_t adopt_pid;
	uint32_t restarts;
	char last_failure[32];
	char last_cause[96];
	/* recovery */
	struct hms_timer *timer;
	int timer_what;
	uint64_t timer_due_ns;		/* when it fires (monotonic) */
	bool busy;			/* recovery scheduled or running */
	bool running;			/* holds a global action slot */
	bool queued;			/* waiting for a slot */
	bool stopping;			/* we are stopping it: exits expected */
	bool verifying;
	int fc;				/* failure being recovered, -1 none */
	int strategy;			/* chosen strategy index */
	size_t step;			/* next action of the chain */
	uint64_t fail_ns;		/* failure seen (monotonic) */
	uint32_t attempt;		/* backoff exponent */
	uint64_t healthy_since_ns;
	uint64_t recov_ts[HC_RING];	/* recoveries, for the budget */
	size_t n_recov;
	uint64_t fail_ts[HC_RING];	/* failures, for crash_loop */
	size_t n_fail;
	uint64_t net_ts[HC_RING];
	size_t n_net;
	struct action_hook *hook;
	struct plugin_ticket *pticket;	/* plugin action in flight */
	pid_t exec_pid;			/* restart: waiting for its exec */
	bool restart_waiting;		/* restart: stopping leftovers */
	unsigned int adopt_tries;	/* HT_ADOPT rounds so far */
	struct healer_failure pending;	/* reported if adoption fails */
	char comm[HMS_COMM_LEN];	/* of the main process */
	double factor_used;		/* memory factor of this recovery */
	uint32_t initial_ms_used;	/* backoff delay of this recovery */
	bool last_success;		/* the last recovery healed */
	bool param_trial;		/* a parameter value on trial */
	bool factor_applied;		/* the memory action ran */
	double factor_actual;		/* new limit / old limit */
	double delay_waited_ms;		/* failure -> recovery started */
	int signal_used;		/* signal action with alternatives: the
					 * one chosen, 0 = as configured */
	int signal_sent;		/* the one actually sent, 0 = none */
	/* `ctl pin`: class -> strategy index + 1 forced at run time (over
	 * the config's pin), 0 = none; kept across reloads by name */
	int pin_rt[FAIL_MAX];
	char cg[CONFIG_PATH_LEN];	/* memory cgroup of the last pid */
	bool cg_v2;
	struct healer_failure last;
	struct hc_pressure *pres;	/* PSI triggers, healer_pressure.c */
	/* evidence of the verification window (healer_verify.c) */
	uint64_t verify_start_ns;
	uint64_t alive_since_ns;	/* a live process seen since, 0 none */
	bool verify_extended;		/* restarted at the first process */
	bool verify_probed;		/* the final probe was asked for */
	uint32_t probe_ok, probe_failed;	/* probes in the window */
	int probe_last;			/* 1 passed, 0 failed, -1 none yet */
	uint32_t probe_fails;		/* consecutive failed probes */
	char probe_detail[64];		/* what the last probe said */
	/* detection windows (healer_detect.c) */
	uint64_t starve_ts[HC_RING];
	size_t n_starve;
	struct healer_netkey netkeys[HC_NETKEYS];
	size_t netkey_next;
	uint32_t gave_up_repeats;	/* failures seen while gave_up */
	struct healer_oom_info last_oom;	/* its last OOM kill (pid 0:
						 * none) */
	pid_t pidfile_pid;		/* what the pidfile said last */
	bool scan_want;			/* healer_scan_all: look for it */
	int scan_took;			/* ... and what it took */
	bool rescan_pending;		/* failed/gave up: one scan, then
					 * exec events */
	bool tick_look;			/* the tick asked a table pass for it */
};

struct hms_healer {
	const struct hms_config *cfg;
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_proctable *pt;
	struct hms_proctable *own_pt;	/* when none was given */
	pid_t self;			/* getpid(), once: table walks skip it */
	struct hms_sensors *sensors;
	struct hms_registry *reg;
	struct hms_actions *actions;
	struct hcomp *comps;
	size_t n_comps;
	struct healer_note notes[HEALER_NOTES];
	size_t note_next;
	unsigned int running;		/* actions holding a slot */
	struct hms_timer *tick;		/* adopted re-scan, missing */
	uint64_t rng;
	bool freeing;
	struct healer_probe *probes;	/* per component (healer_probe.c) */
	size_t n_probes;
	struct healer_host *host;	/* host pressure (healer_host.c) */
	struct healer_index *idx;	/* pid and match lookups */
	uint64_t adopt_scans;		/* process-table passes for adoption */
	uint64_t proc_passes;		/* /proc passes (orphans) */
	struct hms_plugins *plugins;	/* loaded plugins, may be NULL */
};

/* healer_host.c: host: {pressure: ...} triggers on /proc/pressure/ */
void healer_host_sync(struct hms_healer *h);
bool healer_host_armed(const struct hms_healer *h, int res);
void healer_host_free(struct hms_healer *h);

/* component record, state machine, alerts, timers */
void healer_set_state(struct hcomp *c, int state, const char *why);
struct hcomp *healer_find(struct hms_healer *h, const char *name);

/* The strategy index + 1 the operator forces for class fc (ctl pin over
 * the config's pin), 0 when the registry chooses. */
static inline int healer_pin_of(const struct hcomp *c, int fc)
{
	return c->pin_rt[fc] ? c->pin_rt[fc] : c->cc->pin[fc];
}
struct hcomp *healer_comp_of_pid(struct hms_healer *h, pid_t pid);
void healer_alert(struct hcomp *c, unsigned int severity, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
void healer_arm(struct hcomp *c, int what, uint64_t delay_ms);

/* life cycle: components built from a config, released, brought up */
int healer_build(struct hms_healer *h, const struct hms_config *cfg,
		 struct hcomp **out);
void healer_comp_release(struct hcomp *c);
void healer_bringup_all(struct hms_healer *h);

/* lookups in O(1) per event (healer_index.c) */
struct hms_proc;
int healer_index_build(struct hms_healer *h);
void healer_index_free(struct hms_healer *h);
void healer_pidmap_set(struct hms_healer *h, pid_t pid, struct hcomp *c);
void healer_pidmap_del(struct hms_healer *h, pid_t pid, struct hcomp *c);
struct hcomp *healer_pidmap_get(const struct hms_healer *h, pid_t pid);
/* Indices into h->comps, ascending; SIZE_MAX (no index): all. */
size_t healer_index_candidates(struct hms_healer *h, const struct hms_proc *p,
			       const size_t **out);
/* One process-table pass adopting for every component with scan_want
 * set (cleared); the number of components that took processes. */
int healer_scan_all(struct hms_healer *h);
/* pid (an exec, or named by a pidfile) matches c: adopt it. */
bool healer_exec_take(struct hcomp *c, pid_t pid);
/* healer_adopt_marked for every spawned component with scan_want, one
 * table pass. */
int healer_adopt_marked_all(struct hms_healer *h);
/* A pidfile now names pid: adopt it if c is missing it. */
void healer_pidfile_changed(struct hcomp *c, pid_t pid);
/* Arm the missing-check tick when some adopted component needs it. */
void healer_tick_want(struct hms_healer *h);
/* Take the processes found for c (uid, liveness and match checked);
 * how many were taken. */
int healer_adopt_take(struct hcomp *c, const pid_t *found, size_t n);

/* small text files (pidfiles) */
int healer_read_small(const char *path, char *buf, size_t len);
uid_t healer_want_uid(const struct cfg_component *cc);
bool healer_uid_ok(const struct hcomp *c, pid_t pid);
int healer_own_tree(struct hcomp *c, pid_t pid);
bool healer_exec_matches(struct hcomp *c, pid_t pid);
void healer_refused_note(struct hcomp *c, pid_t pid);
int healer_adopt_marked(struct hcomp *c);

/* the processes of a component: start, stop, own, adopt */
int healer_comp_start(struct hcomp *c, bool recovery);
void healer_comp_stop(struct hcomp *c);	/* async: stop signal + timer */
void healer_comp_kill_now(struct hcomp *c, uint32_t wait_ms);
/* healer_comp_kill_now in two halves: the stop signal, then the wait
 * (until deadline_ns, monotonic) and SIGKILL. */
void healer_comp_kill_begin(struct hcomp *c);
void healer_comp_kill_finish(struct hcomp *c, uint64_t deadline_ns);
int healer_pid_add(struct hcomp *c, pid_t pid);
void healer_set_main(struct hcomp *c, pid_t pid);
bool healer_pid_del(struct hcomp *c, pid_t pid);
bool healer_pid_has(const struct hcomp *c, pid_t pid);
int healer_adopt_scan(struct hcomp *c);
bool healer_proc_alive(pid_t pid);
int healer_adopt_children(struct hcomp *c, int *dying);
void healer_adopt_retry(struct hcomp *c);
void healer_kill_leftovers(struct hms_healer *h);
bool healer_matches(const struct cfg_component *cc, pid_t pid,
		    const char *comm, const char *exe);
void healer_child_exit(pid_t pid, const siginfo_t *si, void *arg);
/* Exec outcome of a started component (arg: the healer). */
void healer_exec_done(pid_t pid, int err, void *arg);
/* Where c's output (and its hooks') goes; path is the storage. */
void healer_output(const struct hcomp *c, struct actions_output *o,
		   char *path, size_t len);
void healer_orphan_exit(pid_t pid, const siginfo_t *si, void *arg);

/* detect: bus events -> failures */
void healer_on_event(const struct hms_event_hdr *ev, void *arg);
void healer_proc_gone(struct hcomp *c, pid_t pid, int32_t code,
		      uint32_t sig, uint32_t core, uint64_t ts_ns,
		      bool status_known);
int healer_classify(struct hms_healer *h, const struct cfg_component *cc,
		    pid_t pid, int32_t code, uint32_t sig,
		    struct healer_failure *f);

/* decide and act: recovery, backoff, budget, chains, verification */
void healer_failure(struct hcomp *c, const struct healer_failure *f);
void healer_run_recovery(struct hcomp *c);
void healer_recover(struct hcomp *c, int fc, uint64_t fail_ns, bool now);
void healer_chain_next(struct hcomp *c);
void healer_verify_done(struct hcomp *c);
void healer_recovery_abort(struct hcomp *c, int err);
uint64_t healer_backoff_ms(const struct cfg_backoff *b, uint32_t attempt,
			   uint64_t *rng);
/* Number of timestamps in ring within window ending at now. */
size_t healer_window_count(const uint64_t *ring, size_t n, uint64_t now,
			   uint64_t window_ns);
void healer_ring_push(uint64_t *ring, size_t *n, uint64_t ts);
void healer_release_slot(struct hcomp *c);
void healer_action_event(struct hcomp *c, int kind, uint32_t phase,
			 int result, pid_t pid, const char *detail);

/* healer_verify.c: evidence, outcomes, states that clear */
/* The chain is done: open the verification window. */
void healer_verify_begin(struct hcomp *c);
/* A process of the component appeared (adopted) during the window. */
void healer_verify_alive(struct hcomp *c);
/* Publish and store an outcome (enum hms_outcome_result) with the
 * evidence gathered so far; reason says why. */
void healer_outcome(struct hcomp *c, int result, const char *reason);
/* A probe run ended: 0 passed, else -errno. */
void healer_probe_result(struct hcomp *c, int result, const char *detail);
/* Degraded by a condition (net, starved): check again after a window. */
void healer_clear_arm(struct hcomp *c);
void healer_clear_check(struct hcomp *c);
/* Events of fc's condition since since_ns (net, starved), and its
 * threshold; 0 / 0 for other classes. */
uint32_t healer_cond_count(const struct hcomp *c, int fc, uint64_t since_ns,
			   uint32_t *threshold);

/* healer_probe.c: the probe of each component, on its interval */
void healer_probes_sync(struct hms_healer *h);	/* after build / reload */
void healer_probes_free(struct hms_healer *h);
/* Run the component's probe now (if it has one and none runs). */
void healer_probe_kick(struct hcomp *c);

/* pressure: PSI triggers on a component's cgroup v2, pressure failures,
 * their graduated (one step per verification) chains, their
 * pressure-based verification, and OOM forensics */
bool healer_pressure_class(int fc);
/* Spawn: the cgroup v2 directory the component joins (its own, created
 * under daemon.cgroup_parent, triggers armed), or NULL. */
const char *healer_pressure_prepare(struct hcomp *c);
/* Arm the triggers on the cgroup of c's main process (adopted). */
void healer_pressure_attach(struct hcomp *c);
void healer_pressure_release(struct hcomp *c);
/* Is the trigger for resource res armed (and on which cgroup v2)? */
bool healer_pressure_armed(const struct hcomp *c, int res, const char **dir);
uint64_t healer_pressure_verify_ms(const struct hcomp *c);
/* Pressure class: is there evidence it stayed below the threshold? */
bool healer_pressure_relieved(struct hcomp *c, char *why, size_t len);
size_t healer_pressure_first_step(struct hcomp *c);
bool healer_pressure_step_done(struct hcomp *c);
void healer_pressure_outcome(struct hcomp *c, bool success);
void healer_pressure_oom(struct hms_healer *h, const struct hms_ev_oom *e,
			 struct healer_oom_info *oi);
/* "OOM kill: rss NM, cgroup peak/limit N/NM, psi N%, mem_pressure ..." */
/* An action finished (healer_action_event): what a mem_pressure
 * recovery did, for OOM forensics and the threshold tuning. */
/* An unsupported step (-EOPNOTSUPP) does not count as the failure's one
 * step: the next one runs at once. */
void healer_pressure_step_skip(struct hcomp *c);
/* The stall threshold in use for resource res (tuned within its bound by
 * the registry), or -ENOENT. */
int healer_pressure_threshold(struct hcomp *c, int res, uint64_t *stall_us);
/* The component's cgroup v2 directory: its own (pressure), else its main
 * process's.  0 or -errno. */
int healer_pressure_cgroup2(const struct hcomp *c, char *buf, size_t len);
void healer_pressure_action_note(struct hcomp *c, int kind, uint32_t phase,
				 int result, const char *detail);
void healer_oom_cause(const struct healer_oom_info *oi, char *buf,
		      size_t len);
/* The forensics of an OOM failure into its event (nothing for others). */
void healer_oom_fields(struct hms_ev_failure *ev,
		       const struct healer_failure *f);

/* healer_plugin.c: plugin actions in chains, detectors' failures */
/* Start a's plugin action: -EINPROGRESS (the chain goes on from its
 * done or its timeout) or -errno (an ACTION event said why). */
int healer_plugin_action(struct hcomp *c, const struct cfg_action *a);
void healer_plugin_timeout(struct hcomp *c);
/* Stop waiting for c's plugin action (reload, cancel, release). */
void healer_plugin_cancel(struct hcomp *c);
struct hms_probe;
/* Give component idx's probe the loaded plugins. */
void healer_plugin_probe(struct hms_healer *h, size_t idx,
			 struct hms_probe *pr);

/* what the registry is told and asked */
void healer_registry_sync(struct hms_healer *h);
void healer_registry_params(struct hcomp *c, int fc, int strategy);
struct registry_outcome;
void healer_registry_outcome_params(struct hcomp *c,
				    struct registry_outcome *o);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hms_event.h - the event ABI shared by the BPF sensors and userspace.
 *
 * Every record on a ring buffer (and every record on the userspace bus)
 * starts with struct hms_event_hdr and carries a payload chosen by
 * hdr.type.  Only fixed-width types are used so that both compilers lay the
 * structs out the same way.  Type numbers never change; a retired number
 * stays reserved.  Consumers check hdr.size against the size they know
 * before reading a payload, and count and skip unknown types.
 *
 * It also owns every other number that crosses a process boundary (the
 * component states, action kinds and phases, alert severities and failure
 * classes carried in derived events, the socket and the registry) and the
 * values of the BPF maps userspace reads or writes.  Their names live in
 * one table, common/hms_names.c.
 */
#ifndef HMS_EVENT_H
#define HMS_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HMS_EVENT_VERSION	1
#define HMS_COMM_LEN		16
#define HMS_PATH_LEN		128
#define HMS_NAME_LEN		32
#define HMS_TEXT_LEN		96
#define HMS_HIST_SLOTS		26	/* log2 buckets of microseconds */

enum hms_event_type {
	HMS_EV_NONE		= 0,
	/* process family (bpf/proc.bpf.c) */
	HMS_EV_EXEC		= 1,	/* bulk */
	HMS_EV_FORK		= 2,	/* bulk */
	HMS_EV_EXIT		= 3,	/* critical: whole process exited */
	HMS_EV_SIGNAL		= 4,	/* critical: fatal signal generated */
	HMS_EV_OOM		= 5,	/* critical: OOM killer chose a victim */
	HMS_EV_HANG		= 6,	/* critical: hung task detector */
	/* network family (bpf/net.bpf.c), all bulk */
	HMS_EV_CONNECT_FAIL	= 10,	/* SYN_SENT -> CLOSE */
	HMS_EV_SOCK_ERROR	= 11,	/* inet_sk_error_report */
	HMS_EV_TCP_RESET_RECV	= 12,
	HMS_EV_TCP_RESET_SEND	= 13,
	HMS_EV_TCP_RETRANSMIT	= 14,
	/* scheduler family (bpf/sched.bpf.c), bulk */
	HMS_EV_RUNQ_LATENCY	= 20,
	/* userspace-derived events (never on a ring buffer) */
	HMS_EV_STATS		= 100,	/* per-type counts and drops */
	HMS_EV_COMPONENT_STATE	= 101,
	HMS_EV_ACTION		= 102,
	HMS_EV_STRATEGY		= 103,	/* strategy chosen, with evidence */
	HMS_EV_OUTCOME		= 104,
	HMS_EV_ALERT		= 105,
	HMS_EV_FAILURE		= 106,	/* failure attributed to a component */
	HMS_EV_REGISTRY		= 107,	/* the registry's store: up/degraded */
	HMS_EV_TYPE_MAX		= 128,
};

/* Component health states (hms_ev_component.old_state/new_state). */
enum healer_state {
	HEALER_STARTING		= 0,
	HEALER_HEALTHY		= 1,
	HEALER_DEGRADED		= 2,
	HEALER_FAILED		= 3,
	HEALER_RECOVERING	= 4,
	HEALER_GAVE_UP		= 5,
	HEALER_STOPPED		= 6,
	HEALER_STATE_MAX,
};

/* Action kinds (hms_ev_action.kind; registry strategy chains by name). */
enum action_kind {
	ACTION_RESTART	= 0,
	ACTION_SIGNAL	= 1,
	ACTION_EXEC	= 2,
	ACTION_MEMORY	= 3,
	ACTION_CPU	= 4,
	ACTION_ALERT	= 5,
	ACTION_START	= 6,	/* first start of a spawned component */
	ACTION_STOP	= 7,
	ACTION_IO	= 8,	/* io.weight of its cgroup */
	ACTION_PLUGIN	= 9,	/* an action kind of a loaded plugin */
	ACTION_KIND_MAX,
};
/* Kinds below this one may appear in a strategy's chain, and those after
 * ACTION_STOP: hms_action_is_chain() (common/hms_names.c) says which. */
#define ACTION_CHAIN_MAX	ACTION_START

/* hms_ev_action.phase */
enum action_phase {
	ACTION_PHASE_STARTED	= 0,
	ACTION_PHASE_FINISHED	= 1,
	ACTION_PHASE_SKIPPED	= 2,	/* dry run */
	ACTION_PHASE_MAX,
};

/* hms_ev_alert.severity (and the alert action's severity) */
enum alert_severity {
	ALERT_INFO	= 0,
	ALERT_WARNING	= 1,
	ALERT_CRITICAL	= 2,
	ALERT_SEVERITY_MAX,
};

/* Failure classes: by name in hms_ev_failure/strategy/outcome, the config
 * and the registry (the numbers stay inside one process). */
enum failure_class {
	FAIL_CRASH,		/* fatal signal */
	FAIL_EXIT,		/* non-zero exit code */
	FAIL_OOM,
	FAIL_KILLED,		/* fatal signal sent by another process */
	FAIL_HANG,
	FAIL_CRASH_LOOP,	/* N failures in a window */
	FAIL_NET,		/* refused/reset/retransmit storm */
	FAIL_STARVED,		/* run-queue latency over threshold */
	FAIL_MISSING,		/* not running when it should be */
	FAIL_MEM_PRESSURE,	/* PSI trigger on the component's cgroup v2 */
	FAIL_CPU_PRESSURE,
	FAIL_IO_PRESSURE,
	FAIL_PROBE,		/* a configured health probe fails */
	FAIL_PLUGIN,		/* raised by a plugin's detector; its class
				 * name is in the failure's cause */
	FAIL_MAX,
};

/* ---- BPF map values (bpf/hms_common.bpf.h declares the maps) ---- */

/* cfg_map: runtime knobs, one entry, written by userspace at any time. */
struct hms_cfg {
	__u64 runq_threshold_ns;
	__u32 bulk_rate_per_sec;	/* 0 = unlimited */
	__u32 watch_filter;		/* bulk events only for watched */
	__u32 critical_watched_only;
	__u32 bulk_wake_bytes;		/* force a wakeup past this backlog */
	__u32 consumer_idle;		/* 1: userspace stopped its drain */
					/* timer: the next record wakes it */
};

/* counters: per-CPU, per event type */
struct hms_counter {
	__u64 events;
	__u64 drops;
	__u64 ratelimited;
	__u64 filtered;
};

/* rate_map: per-process bulk rate limit window (kernel only) */
struct hms_rate {
	__u64 window_start_ns;
	__u32 count;
	__u32 _pad;
};

/* runq_hists: per-process log2 histogram of run-queue waits (µs slots) */
struct hms_runq_hist {
	__u64 slots[HMS_HIST_SLOTS];
};

/* runq_total (sched.bpf.c): per-CPU, one entry, every run-queue wait on
 * the host, with count and sum for the Prometheus histogram; monotonic,
 * unlike runq_hists whose entries go with their process. */
struct hms_runq_total {
	__u64 slots[HMS_HIST_SLOTS];
	__u64 count;
	__u64 sum_ns;
};

/* synth.bpf.c's program context (BPF_PROG_TEST_RUN) */
struct hms_synth_args {
	__u32 count;		/* records to write, at most 4096 */
	__u32 tgid;		/* put in the header */
	__u64 produced;		/* out: records written */
};

/* Common header: the first bytes of every record. */
struct hms_event_hdr {
	__u16 version;
	__u16 type;
	__u32 size;		/* whole record, header included */
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 _pad;
	__u64 cgroup_id;
	char comm[HMS_COMM_LEN];
};

struct hms_ev_exec {
	struct hms_event_hdr hdr;
	__u32 old_tid;
	__u32 _pad;
	char filename[HMS_PATH_LEN];
};

struct hms_ev_fork {
	struct hms_event_hdr hdr;	/* parent in the header */
	__u32 child_tgid;
	__u32 child_tid;
	__u32 is_thread;
	__u32 _pad;
};

struct hms_ev_exit {
	struct hms_event_hdr hdr;
	__s32 exit_code;	/* WEXITSTATUS-style code, 0 when killed */
	__u32 signal;		/* terminating signal, 0 when exited */
	__u32 core_dumped;
	__u32 _pad;
	__u64 start_ns;		/* task start time (monotonic) */
};

struct hms_ev_signal {
	struct hms_event_hdr hdr;	/* the sender in the header */
	__u32 target_tgid;
	__u32 target_tid;
	__u32 signal;
	__s32 code;		/* si_code */
	__u32 group;
	__u32 result;
	char target_comm[HMS_COMM_LEN];
};

struct hms_ev_oom {
	struct hms_event_hdr hdr;	/* current task (the allocator) */
	__u32 victim_tgid;
	__u32 uid;
	char victim_comm[HMS_COMM_LEN];
	__u64 victim_cgroup_id;
	__u64 total_vm_kb;
	__u64 anon_rss_kb;
	__u64 file_rss_kb;
	__u64 shmem_rss_kb;
	__s32 oom_score_adj;
	__u32 _pad;
};

struct hms_ev_hang {
	struct hms_event_hdr hdr;	/* the hung task */
	__u64 blocked_ns;	/* since last context switch, when known */
};

/* Network records: addresses in network byte order, ports in host order. */
struct hms_ev_net {
	struct hms_event_hdr hdr;	/* the socket's owner when known */
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 sport;
	__u16 dport;
	__u16 state;		/* TCP state at the event */
	__s32 error;		/* sk_err / errno (positive); for
				 * tcp_reset_send the enum sk_rst_reason */
	__u32 owner_known;	/* 1 when tgid/comm are the socket owner */
	__u8 saddr[16];		/* IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

struct hms_ev_runq {
	struct hms_event_hdr hdr;
	__u64 latency_ns;
	__u32 cpu;
	__u32 _pad;
};

/* ---- userspace-derived payloads ---- */

struct hms_ev_stats {
	struct hms_event_hdr hdr;
	__u64 events[HMS_EV_TYPE_MAX];	/* produced in kernel, per type */
	__u64 drops[HMS_EV_TYPE_MAX];	/* ring buffer full, per type */
	__u64 ratelimited;		/* bulk events over the per-process rate */
	__u64 unknown;			/* records of unknown type seen */
	__u64 short_records;		/* records shorter than their type */
	__u64 delivered;		/* records dispatched on the bus */
	__u64 filtered;			/* left out by the watch filter */
};

struct hms_ev_component {
	struct hms_event_hdr hdr;	/* tgid = current main pid or 0 */
	char component[HMS_NAME_LEN];
	__u32 old_state;	/* enum healer_state */
	__u32 new_state;
	__u32 restarts;
	__u32 _pad;
	char reason[HMS_TEXT_LEN];
};

struct hms_ev_action {
	struct hms_event_hdr hdr;	/* tgid = action's pid when it runs */
	char component[HMS_NAME_LEN];
	char strategy[HMS_NAME_LEN];
	__u32 kind;		/* enum action_kind */
	__u32 phase;		/* enum action_phase */
	__s32 result;		/* 0 ok or -errno */
	__u32 dry_run;
	char detail[HMS_TEXT_LEN];
};

/* Why a strategy was chosen (registry_reason numbers). */
enum hms_choice_reason {
	HMS_REASON_COLD_START	= 0,	/* no evidence: config order */
	HMS_REASON_SAMPLED	= 1,	/* highest Thompson draw / confident */
	HMS_REASON_TIE_RECOVERY	= 2,	/* tie, faster recovery won */
	HMS_REASON_OVERRIDE	= 3,	/* operator override */
	HMS_REASON_ONLY		= 4,	/* the only candidate */
	HMS_REASON_MAX,
};

#define HMS_EXPLAIN_MAX		8	/* candidates a strategy_chosen explains */

/* One candidate of a choice: posterior and chance of being chosen. */
struct hms_ev_candidate {
	char strategy[HMS_NAME_LEN];
	double successes;	/* decayed evidence */
	double failures;
	double mean;		/* posterior mean of success */
	double lo90;		/* 90 % interval */
	double hi90;
	double p_choose;	/* probability of being chosen */
};

struct hms_ev_strategy {
	struct hms_event_hdr hdr;
	char component[HMS_NAME_LEN];
	char failure[HMS_NAME_LEN];
	char strategy[HMS_NAME_LEN];
	double successes;	/* decayed evidence behind the choice */
	double failures;
	double sample;		/* the Thompson draw, or -1 on cold start */
	__u32 candidates;
	__u32 cold_start;
	/* since the explainable choice: */
	__u32 reason;		/* enum hms_choice_reason */
	__u32 n_explained;	/* entries of cand[] (<= HMS_EXPLAIN_MAX) */
	double delay_ms;	/* backoff delay chosen for this recovery */
	double factor;		/* memory factor chosen, 0 = none */
	__u32 param_trial;	/* 1: a parameter value on trial */
	__u32 _pad;
	struct hms_ev_candidate cand[HMS_EXPLAIN_MAX];
};

/* What an outcome claims (hms_ev_outcome.result). */
enum hms_outcome_result {
	HMS_OUTCOME_FAILURE	= 0,
	HMS_OUTCOME_SUCCESS	= 1,
	HMS_OUTCOME_UNVERIFIED	= 2,	/* a chain that only tells (alert,
					 * hook) and no evidence of health */
};

/* Checks of a verification (hms_ev_outcome.checks / .passed bits). */
enum hms_verify_check {
	HMS_CHECK_PROCESS	= 1 << 0,	/* a live process all the window */
	HMS_CHECK_PROBE		= 1 << 1,	/* the probe passed in the window */
	HMS_CHECK_CONDITION	= 1 << 2,	/* net / starved below threshold */
};

#define HMS_OUTCOME_PIDS	4

struct hms_ev_outcome {
	struct hms_event_hdr hdr;
	char component[HMS_NAME_LEN];
	char failure[HMS_NAME_LEN];
	char strategy[HMS_NAME_LEN];
	__u32 success;		/* result == HMS_OUTCOME_SUCCESS */
	__u32 _pad;
	__u64 recover_ns;	/* failure seen -> healthy again */
	/* evidence (appended; the fields above keep their offsets) */
	__u32 result;		/* enum hms_outcome_result */
	__u32 checks;		/* enum hms_verify_check bits required */
	__u32 passed;		/* ... and those that passed */
	__u32 n_alive;		/* processes of the component alive at the end */
	__u32 alive_pids[HMS_OUTCOME_PIDS];	/* the first of them */
	__u64 alive_ns;		/* a live process was seen this long, in
				 * the window (0 = none) */
	__u64 window_ns;	/* the verification window */
	__u32 probe_ok;		/* probes passed / failed in the window */
	__u32 probe_failed;
	__u32 cond_count;	/* net / starved events in the window ... */
	__u32 cond_threshold;	/* ... and the threshold they stayed below */
	char reason[HMS_TEXT_LEN];	/* one line: why this result */
};

struct hms_ev_alert {
	struct hms_event_hdr hdr;
	char component[HMS_NAME_LEN];
	__u32 severity;		/* enum alert_severity */
	__u32 _pad;
	char message[HMS_TEXT_LEN];
};

struct hms_ev_failure {
	struct hms_event_hdr hdr;	/* the failed process */
	char component[HMS_NAME_LEN];
	char failure[HMS_NAME_LEN];	/* failure class name */
	__u32 signal;
	__s32 exit_code;
	__u32 core_dumped;
	__u32 sender_tgid;
	char sender_comm[HMS_COMM_LEN];
	/* OOM forensics (failure "oom"; zero otherwise), read by userspace
	 * when the OOM event arrived: the victim's cgroup and pressure. */
	__u64 oom_rss_kb;		/* victim anon + file + shmem RSS */
	__u64 oom_cg_limit;		/* memory limit, bytes; 0 unknown,
					 * UINT64_MAX none */
	__u64 oom_cg_usage;		/* usage when read, bytes */
	__u64 oom_cg_peak;		/* peak usage (v1 max_usage, v2 peak) */
	__u32 oom_flags;		/* HMS_OOM_F_* */
	__u32 oom_pressure_ago_ms;	/* mem_pressure failure -> OOM */
	__u32 oom_mem_some_avg10;	/* its cgroup v2 memory.pressure, */
	__u32 oom_mem_full_avg10;	/* avg10 in hundredths of a percent */
	char oom_pressure_strategy[HMS_NAME_LEN];	/* run for it, or "" */
	char cause[HMS_TEXT_LEN];	/* appended: "SIGSEGV", "exit code 3" */
};

#define HMS_OOM_F_CGROUP	1u	/* limit/usage read */
#define HMS_OOM_F_PRESSURE	2u	/* avg10 read */
#define HMS_OOM_F_PRECEDED	4u	/* a mem_pressure failure came first */

/* hms_ev_registry.state: the registry's store process (issue 9). */
enum hms_registry_state {
	HMS_REGISTRY_UP		= 0,	/* writes are stored */
	HMS_REGISTRY_DEGRADED	= 1,	/* writes queue: store failing or down */
	HMS_REGISTRY_STATE_MAX,
};

/* The registry's store changed state (derived, published by the daemon's
 * registry_proc.c); healing never waits for it. */
struct hms_ev_registry {
	struct hms_event_hdr hdr;	/* tgid: the store process, 0 if none */
	__u32 state;		/* enum hms_registry_state */
	__s32 error;		/* errno of the failure (ENOSPC, EIO), or 0 */
	__u64 pending;		/* writes queued, not yet stored */
	__u64 lost;		/* writes dropped on a full queue, total */
	__u64 stored;		/* writes stored, total */
	__u32 restarts;		/* store processes started again, total */
	__u32 _pad;
	char message[HMS_TEXT_LEN];	/* one line: why */
};

#endif /* HMS_EVENT_H */

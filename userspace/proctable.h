/* SPDX-License-Identifier: BSD-2-Clause */
/* proctable.h - per-process table seeded from /proc and kept current by
 * exec/fork/exit events on the bus, with per-process failure counters. */
#ifndef HMS_PROCTABLE_H
#define HMS_PROCTABLE_H

#include <stddef.h>
#include <stdint.h>
#include "hms_event.h"

struct hms_bus;
struct hms_loop;
struct hms_proctable;

enum proc_counter {
	PROC_CNT_CRASH,		/* killed by a signal */
	PROC_CNT_EXIT_ERR,	/* non-zero exit */
	PROC_CNT_OOM,
	PROC_CNT_SIGNAL,	/* fatal signals sent to it */
	PROC_CNT_HANG,
	PROC_CNT_CONNECT_FAIL,
	PROC_CNT_RESET,
	PROC_CNT_RETRANSMIT,
	PROC_CNT_RUNQ,		/* run-queue latency events */
	PROC_CNT_MAX,
};

struct hms_proc {
	uint32_t tgid;
	uint32_t ppid;
	char comm[HMS_COMM_LEN];
	char exe[256];
	uint64_t exe_dev;	/* the executable's st_dev/st_ino: what a */
	uint64_t exe_ino;	/* path string cannot fake */
	uint32_t uid;		/* real and effective uid (at exec/seed) */
	uint32_t euid;
	char cgroup[256];	/* cgroup v2 path ("/" when in the root) */
	uint64_t cgroup_id;
	uint64_t start_ns;	/* monotonic start time, 0 when unknown */
	uint64_t last_event_ns;
	uint64_t exit_ns;	/* when it exited (0 while alive) */
	uint32_t counters[PROC_CNT_MAX];
	uint64_t runq_max_ns;	/* worst run-queue wait seen */
	uint32_t last_failure;	/* hms_event_type of the last failure */
	int32_t exit_code;	/* of the last exit, if it exited */
	uint32_t exit_signal;
	int alive;		/* 0 once it exited (kept briefly) */
};

/* Exited rows are kept (for the dashboard) until proctable_expire, and
 * at most this many: beyond it the oldest exits are forgotten first. */
#define PROCTABLE_MAX_EXITED	4096

int proctable_new(struct hms_bus *bus, struct hms_proctable **out);
void proctable_free(struct hms_proctable *pt);

/* Read every process from /proc. */
int proctable_seed(struct hms_proctable *pt);
/* Read one process from /proc (a pid named by a pidfile before its exec
 * event arrived); 0 or -errno. */
int proctable_refresh(struct hms_proctable *pt, uint32_t tgid);
const struct hms_proc *proctable_get(const struct hms_proctable *pt,
				     uint32_t tgid);
size_t proctable_count(const struct hms_proctable *pt);
/* Rows of processes that exited (part of the count). */
size_t proctable_exited(const struct hms_proctable *pt);
/* Visit every process; stop when cb returns non-zero. */
void proctable_foreach(const struct hms_proctable *pt,
		       int (*cb)(const struct hms_proc *p, void *arg),
		       void *arg);
/* Drop exited rows keep_ns after their exit, on a timer of loop armed
 * only while such rows exist (no periodic sweep). */
int proctable_expire_start(struct hms_proctable *pt, struct hms_loop *loop,
			   uint64_t keep_ns);
/* Full /proc passes made (proctable_seed): a debug counter. */
uint64_t proctable_proc_scans(const struct hms_proctable *pt);
/* Drop processes that exited more than keep_ns ago. */
void proctable_expire(struct hms_proctable *pt, uint64_t now_ns,
		      uint64_t keep_ns);
/* Real and effective uid of a running pid, read now (a process may have
 * changed its ids since its exec); 0 or -errno. */
int proctable_read_uid(uint32_t tgid, uint32_t *uid, uint32_t *euid);
/* Apply one event (what the bus subscription does). */
void proctable_apply(struct hms_proctable *pt, const struct hms_event_hdr *ev);

#endif

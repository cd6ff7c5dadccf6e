/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hms_common.bpf.h - maps and helpers shared by every sensor family.
 *
 * Each family object declares the same maps; userspace loads proc.bpf.o
 * first and hands its map fds to the others (bpf_map__reuse_fd), so there
 * is one critical ring, one bulk ring, one set of counters, one config.
 */
#ifndef HMS_COMMON_BPF_H
#define HMS_COMMON_BPF_H

#include "hms_event.h"

#define HMS_TASK_RUNNING	0
#define HMS_SI_USER		0
#define HMS_SI_KERNEL		0x80
#define HMS_SI_QUEUE		-1
#define HMS_SI_TKILL		-6
#define HMS_PF_KTHREAD		0x00200000

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} critical_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} bulk_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HMS_EV_TYPE_MAX);
	__type(key, __u32);
	__type(value, struct hms_counter);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hms_cfg);
} cfg_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} watch_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} watch_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct hms_rate);
} rate_map SEC(".maps");

/* per-process run-queue histograms (sched fills, proc forgets at exit) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct hms_runq_hist);
} runq_hists SEC(".maps");

static __always_inline struct hms_cfg *hms_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cfg_map, &zero);
}

static __always_inline struct hms_counter *hms_counter(__u32 type)
{
	return bpf_map_lookup_elem(&counters, &type);
}

static __always_inline __u64 hms_task_cgroup(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

static __always_inline int hms_watched(__u32 tgid, __u64 cgid)
{
	if (bpf_map_lookup_elem(&watch_tgids, &tgid))
		return 1;
	return bpf_map_lookup_elem(&watch_cgroups, &cgid) != NULL;
}

static __always_inline void hms_fill_hdr(struct hms_event_hdr *h, __u32 type,
					 __u32 size, struct task_struct *t)
{
	h->version = HMS_EVENT_VERSION;
	h->type = type;
	h->size = size;
	h->ts_ns = bpf_ktime_get_ns();
	h->tgid = BPF_CORE_READ(t, tgid);
	h->tid = BPF_CORE_READ(t, pid);
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	h->_pad = 0;
	h->cgroup_id = hms_task_cgroup(t);
	bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), &t->comm);
}

/* Header for an event whose subject is not a task we can read (e.g. a
 * socket whose owner was recorded earlier). */
static __always_inline void hms_fill_hdr_raw(struct hms_event_hdr *h,
					     __u32 type, __u32 size)
{
	h->version = HMS_EVENT_VERSION;
	h->type = type;
	h->size = size;
	h->ts_ns = bpf_ktime_get_ns();
	h->tgid = 0;
	h->tid = 0;
	h->ppid = 0;
	h->_pad = 0;
	h->cgroup_id = 0;
	__builtin_memset(h->comm, 0, sizeof(h->comm));
}

/* Reserve a record of type on ring rb and count what happened to it:
 * filtered (not watched while only_watched is set), dropped (ring full)
 * or produced.  ratelimit applies the per-process bulk rate. */
static __always_inline void *hms_reserve(void *rb, __u32 type, __u32 size,
					 __u32 tgid, __u64 cgid,
					 int only_watched, int ratelimit);

/* Critical events: failures of any process (unless restricted), consumer
 * woken at once. */
static __always_inline void *hms_critical_reserve(__u32 type, __u32 size,
						  __u32 tgid, __u64 cgid)
{
	struct hms_cfg *cfg = hms_cfg();

	return hms_reserve(&critical_rb, type, size, tgid, cgid,
			   cfg && cfg->critical_watched_only, 0);
}

static __always_inline void hms_critical_submit(void *e)
{
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

static __always_inline int hms_rate_ok(struct hms_cfg *cfg, __u32 tgid)
{
	struct hms_rate *r, fresh = {};
	__u64 now;

	if (!cfg || !cfg->bulk_rate_per_sec || !tgid)
		return 1;
	now = bpf_ktime_get_ns();
	r = bpf_map_lookup_elem(&rate_map, &tgid);
	if (!r) {
		fresh.window_start_ns = now;
		fresh.count = 1;
		bpf_map_update_elem(&rate_map, &tgid, &fresh, BPF_ANY);
		return 1;
	}
	if (now - r->window_start_ns >= 1000000000ULL) {
		r->window_start_ns = now;
		r->count = 1;
		return 1;
	}
	if (r->count >= cfg->bulk_rate_per_sec)
		return 0;
	r->count++;
	return 1;
}

static __always_inline void *hms_reserve(void *rb, __u32 type, __u32 size,
					 __u32 tgid, __u64 cgid,
					 int only_watched, int ratelimit)
{
	struct hms_counter *c = hms_counter(type);
	void *e;

	if (!c)
		return NULL;
	if (only_watched && !hms_watched(tgid, cgid)) {
		__sync_fetch_and_add(&c->filtered, 1);
		return NULL;
	}
	if (ratelimit && !hms_rate_ok(hms_cfg(), tgid)) {
		__sync_fetch_and_add(&c->ratelimited, 1);
		return NULL;
	}
	e = bpf_ringbuf_reserve(rb, size, 0);
	if (!e) {
		__sync_fetch_and_add(&c->drops, 1);
		return NULL;
	}
	__sync_fetch_and_add(&c->events, 1);
	return e;
}

/* Bulk events: filtered, rate-limited, wakeups batched. */
static __always_inline void *hms_bulk_reserve(__u32 type, __u32 size,
					      __u32 tgid, __u64 cgid)
{
	struct hms_cfg *cfg = hms_cfg();

	return hms_reserve(&bulk_rb, type, size, tgid, cgid,
			   cfg && cfg->watch_filter, 1);
}

/* A record that need not wake the consumer at once still wakes it when
 * the consumer is idle (its drain timer stopped, consumer_idle set):
 * the first record after a quiet spell starts the drain, the following
 * ones ride with its batches.  The flag is read after the reserve (and
 * after hms_reserve's atomic counter add, a full barrier), so a record
 * that saw it clear is counted in the backlog userspace checks before it
 * goes idle (sensors_rings.c). */
static __always_inline int hms_consumer_wake(void)
{
	struct hms_cfg *cfg = hms_cfg();

	if (!cfg || !*(volatile __u32 *)&cfg->consumer_idle)
		return 0;
	*(volatile __u32 *)&cfg->consumer_idle = 0;
	return 1;
}

static __always_inline void hms_lazy_submit(void *e)
{
	bpf_ringbuf_submit(e, hms_consumer_wake() ? BPF_RB_FORCE_WAKEUP :
			   BPF_RB_NO_WAKEUP);
}

/* Wake the consumer when this record takes the backlog across the
 * threshold or when the consumer is idle; else the running drain timer
 * collects the batch. */
static __always_inline void hms_bulk_submit(void *e, __u32 size)
{
	struct hms_cfg *cfg = hms_cfg();
	__u64 wake = cfg ? cfg->bulk_wake_bytes : 0;
	__u64 avail = bpf_ringbuf_query(&bulk_rb, BPF_RB_AVAIL_DATA);
	int cross = wake && avail >= wake && avail < wake + size + 8;

	if (hms_consumer_wake())
		cross = 1;
	bpf_ringbuf_submit(e, cross ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

#endif /* HMS_COMMON_BPF_H */

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sched.bpf.c - run-queue latency: time from wakeup (or preemption) to
 * running.  Every wait goes into a per-process log2 histogram; waits over
 * the userspace threshold also become HMS_EV_RUNQ_LATENCY events.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hms_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} enqueued SEC(".maps");

/* every wait of every process, for the host-wide histogram: monotonic,
 * unlike runq_hists whose entries go when their process exits */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hms_runq_total);
} runq_total SEC(".maps");

static __always_inline void mark_enqueued(struct task_struct *p)
{
	__u64 *ts;

	if (!BPF_CORE_READ(p, pid))
		return;
	ts = bpf_task_storage_get(&enqueued, p, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts)
		*ts = bpf_ktime_get_ns();
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(hms_wakeup, struct task_struct *p)
{
	mark_enqueued(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(hms_wakeup_new, struct task_struct *p)
{
	mark_enqueued(p);
	return 0;
}

/* floor(log2(v)) without loops: 0 for v < 2 */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline void hist_add(__u32 tgid, __u64 delta)
{
	struct hms_runq_hist *h, zero = {};
	struct hms_runq_total *t;
	__u32 slot = log2_u64(delta / 1000), key = 0;

	if (slot >= HMS_HIST_SLOTS)
		slot = HMS_HIST_SLOTS - 1;
	t = bpf_map_lookup_elem(&runq_total, &key);
	if (t) {		/* per CPU: no atomics needed */
		t->slots[slot]++;
		t->count++;
		t->sum_ns += delta;
	}
	h = bpf_map_lookup_elem(&runq_hists, &tgid);
	if (!h) {
		bpf_map_update_elem(&runq_hists, &tgid, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&runq_hists, &tgid);
		if (!h)
			return;
	}
	__sync_fetch_and_add(&h->slots[slot], 1);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hms_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct hms_cfg *cfg;
	struct hms_ev_runq *e;
	__u64 *ts, delta;
	__u32 tgid;

	/* preempted (even after set_current_state) or still runnable:
	 * back on the run queue */
	if (preempt || prev_state == HMS_TASK_RUNNING)
		mark_enqueued(prev);
	if (!BPF_CORE_READ(next, pid))
		return 0;
	ts = bpf_task_storage_get(&enqueued, next, 0, 0);
	if (!ts || !*ts)
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
	tgid = BPF_CORE_READ(next, tgid);
	hist_add(tgid, delta);
	cfg = hms_cfg();
	if (!cfg || !cfg->runq_threshold_ns || delta < cfg->runq_threshold_ns)
		return 0;
	e = hms_bulk_reserve(HMS_EV_RUNQ_LATENCY, sizeof(*e), tgid,
			     hms_task_cgroup(next));
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_RUNQ_LATENCY, sizeof(*e), next);
	e->latency_ns = delta;
	e->cpu = bpf_get_smp_processor_id();
	e->_pad = 0;
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc.bpf.c - process sensors: exec, fork, whole-process exit (code,
 * signal, core dump), fatal signals with their sender, OOM kills and hung
 * tasks.  Failures go to the critical ring; exec/fork to the bulk ring.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hms_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Signals whose default action ends the process. */
#define FATAL_DEFAULT_MASK \
	((1ULL << 1) | (1ULL << 2) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) | \
	 (1ULL << 6) | (1ULL << 7) | (1ULL << 8) | (1ULL << 9) | (1ULL << 10) | \
	 (1ULL << 11) | (1ULL << 12) | (1ULL << 13) | (1ULL << 14) | \
	 (1ULL << 15) | (1ULL << 16) | (1ULL << 24) | (1ULL << 25) | \
	 (1ULL << 26) | (1ULL << 27) | (1ULL << 29) | (1ULL << 30) | \
	 (1ULL << 31))

SEC("tp_btf/sched_process_exec")
int BPF_PROG(hms_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct hms_ev_exec *e;
	__u32 tgid = BPF_CORE_READ(p, tgid);

	e = hms_bulk_reserve(HMS_EV_EXEC, sizeof(*e), tgid,
			     hms_task_cgroup(p));
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_EXEC, sizeof(*e), p);
	e->old_tid = old_pid;
	e->_pad = 0;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  BPF_CORE_READ(bprm, filename));
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(hms_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u32 is_thread = ptgid == ctgid;
	struct hms_ev_fork *e;
	__u8 one = 1;

	if (BPF_CORE_READ(parent, flags) & HMS_PF_KTHREAD)
		return 0;
	/* Children of watched processes are watched too (daemonizing
	 * services stay under watch). */
	if (!is_thread && bpf_map_lookup_elem(&watch_tgids, &ptgid))
		bpf_map_update_elem(&watch_tgids, &ctgid, &one, BPF_ANY);
	e = hms_bulk_reserve(HMS_EV_FORK, sizeof(*e), ptgid,
			     hms_task_cgroup(parent));
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_FORK, sizeof(*e), parent);
	e->child_tgid = ctgid;
	e->child_tid = BPF_CORE_READ(child, pid);
	e->is_thread = is_thread;
	e->_pad = 0;
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

/* Report a whole-process exit of p (its last thread). */
static __always_inline int exit_report(struct task_struct *p)
{
	struct task_struct *leader = BPF_CORE_READ(p, group_leader);
	struct hms_ev_exit *e;
	__u32 tgid, code;

	tgid = BPF_CORE_READ(p, tgid);
	/* reserved while the process is still watched (the watch filter
	 * must see it), then its watch and rate state go, even when the
	 * record cannot be written */
	e = hms_critical_reserve(HMS_EV_EXIT, sizeof(*e), tgid,
				 hms_task_cgroup(p));
	bpf_map_delete_elem(&watch_tgids, &tgid);
	bpf_map_delete_elem(&rate_map, &tgid);
	bpf_map_delete_elem(&runq_hists, &tgid);
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_EXIT, sizeof(*e), p);
	/* the process's name, not the last thread's */
	bpf_probe_read_kernel_str(e->hdr.comm, sizeof(e->hdr.comm),
				  &leader->comm);
	code = BPF_CORE_READ(p, exit_code);
	e->signal = code & 0x7f;
	e->core_dumped = !!(code & 0x80);
	e->exit_code = e->signal ? 0 : (code >> 8) & 0xff;
	e->_pad = 0;
	e->start_ns = BPF_CORE_READ(leader, start_time);
	/* a clean exit is no failure: it rides with the next batch (or
	 * starts one); a crash or an error exit wakes the consumer at once */
	if (e->signal || e->exit_code)
		hms_critical_submit(e);
	else
		hms_lazy_submit(e);
	return 0;
}

/* Kernels that pass group_dead (6.16 and later): exact. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(hms_exit, struct task_struct *p, bool group_dead)
{
	if (!group_dead || (BPF_CORE_READ(p, flags) & HMS_PF_KTHREAD))
		return 0;
	return exit_report(p);
}

/* Older kernels: signal->live reaches 0 for the last thread; threads
 * exiting at the same moment may both see it (rare duplicates).
 * Userspace loads exactly one of the two programs. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(hms_exit_legacy, struct task_struct *p)
{
	if (BPF_CORE_READ(p, flags) & HMS_PF_KTHREAD)
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	return exit_report(p);
}

static __always_inline int sig_is_fatal(int sig, struct task_struct *t)
{
	struct sighand_struct *sh;
	void *handler = NULL;
	__u32 idx;

	if (sig == 9)
		return 1;
	if (sig < 1 || sig > 31 || !(FATAL_DEFAULT_MASK & (1ULL << sig)))
		return 0;
	sh = BPF_CORE_READ(t, sighand);
	if (!sh)
		return 0;
	idx = (sig - 1) & 63;
	bpf_core_read(&handler, sizeof(handler), &sh->action[idx].sa.sa_handler);
	return handler == NULL;	/* SIG_DFL */
}

SEC("tp_btf/signal_generate")
int BPF_PROG(hms_signal, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task_btf();
	struct hms_ev_signal *e;
	__u32 ttgid;
	int code;

	if (result != 0 || !task)
		return 0;
	if (BPF_CORE_READ(task, flags) & HMS_PF_KTHREAD)
		return 0;
	if (!sig_is_fatal(sig, task))
		return 0;
	ttgid = BPF_CORE_READ(task, tgid);
	e = hms_critical_reserve(HMS_EV_SIGNAL, sizeof(*e), ttgid,
				 hms_task_cgroup(task));
	if (!e)
		return 0;
	/* SEND_SIG_NOINFO (0) is a user kill(); SEND_SIG_PRIV (1) is the
	 * kernel's own (OOM killer, ...) */
	code = (unsigned long)info == 1 ? HMS_SI_KERNEL :
	       info ? BPF_CORE_READ(info, si_code) : HMS_SI_USER;
	if (code == HMS_SI_USER || code == HMS_SI_QUEUE || code == HMS_SI_TKILL) {
		hms_fill_hdr(&e->hdr, HMS_EV_SIGNAL, sizeof(*e), cur);
	} else {
		/* raised by the kernel, maybe from a timer or interrupt:
		 * current is not the sender */
		hms_fill_hdr_raw(&e->hdr, HMS_EV_SIGNAL, sizeof(*e));
		__builtin_memcpy(e->hdr.comm, "[kernel]", 9);
	}
	e->target_tgid = ttgid;
	e->target_tid = BPF_CORE_READ(task, pid);
	e->signal = sig;
	e->code = code;
	e->group = group;
	e->result = result;
	bpf_probe_read_kernel_str(e->target_comm, sizeof(e->target_comm),
				  &task->comm);
	hms_critical_submit(e);
	return 0;
}

/* Kernels whose mark_victim passes the task (6.8 and later). */
SEC("tp_btf/mark_victim")
int BPF_PROG(hms_oom, struct task_struct *t, uid_t uid)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	__u32 victim = BPF_CORE_READ(t, tgid);
	__u64 cgid = hms_task_cgroup(t);
	struct hms_ev_oom *e;

	e = hms_critical_reserve(HMS_EV_OOM, sizeof(*e), victim, cgid);
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_OOM, sizeof(*e), cur);
	e->victim_tgid = victim;
	e->uid = uid;
	bpf_probe_read_kernel_str(e->victim_comm, sizeof(e->victim_comm),
				  &t->comm);
	e->victim_cgroup_id = cgid;
	e->total_vm_kb = BPF_CORE_READ(mm, total_vm) * 4;
	e->file_rss_kb = BPF_CORE_READ(mm, rss_stat[0].count) * 4;
	e->anon_rss_kb = BPF_CORE_READ(mm, rss_stat[1].count) * 4;
	e->shmem_rss_kb = BPF_CORE_READ(mm, rss_stat[3].count) * 4;
	e->oom_score_adj = BPF_CORE_READ(t, signal, oom_score_adj);
	e->_pad = 0;
	hms_critical_submit(e);
	return 0;
}

/* Older kernels: the classic tracepoint gives a pid (maybe a thread). */
SEC("tp/oom/mark_victim")
int hms_oom_legacy(struct trace_event_raw_mark_victim *ctx)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	__u32 victim = ctx->pid;
	struct hms_ev_oom *e;
	unsigned int loc;

	e = hms_critical_reserve(HMS_EV_OOM, sizeof(*e), victim, 0);
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_OOM, sizeof(*e), cur);
	e->victim_tgid = victim;
	e->uid = ctx->uid;
	__builtin_memset(e->victim_comm, 0, sizeof(e->victim_comm));
	if (bpf_core_field_exists(ctx->__data_loc_comm)) {
		loc = ctx->__data_loc_comm & 0xffff;
		bpf_probe_read_kernel_str(e->victim_comm,
					  sizeof(e->victim_comm),
					  (void *)ctx + loc);
	}
	e->victim_cgroup_id = 0;
	e->total_vm_kb = ctx->total_vm;
	e->anon_rss_kb = ctx->anon_rss;
	e->file_rss_kb = ctx->file_rss;
	e->shmem_rss_kb = ctx->shmem_rss;
	e->oom_score_adj = ctx->oom_score_adj;
	e->_pad = 0;
	hms_critical_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_hang")
int BPF_PROG(hms_hang, struct task_struct *t)
{
	struct hms_ev_hang *e;
	__u64 last = 0;

	e = hms_critical_reserve(HMS_EV_HANG, sizeof(*e),
				 BPF_CORE_READ(t, tgid), hms_task_cgroup(t));
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_HANG, sizeof(*e), t);
	/* when it last got the CPU (rq clock, ns; 0 without schedstats) */
	if (bpf_core_field_exists(t->sched_info.last_arrival))
		last = BPF_CORE_READ(t, sched_info.last_arrival);
	e->blocked_ns = last && bpf_ktime_get_ns() > last ?
			bpf_ktime_get_ns() - last : 0;
	hms_critical_submit(e);
	return 0;
}

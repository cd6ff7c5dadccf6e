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

extern int CONFIG_HZ __kconfig __weak;

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
	hms_bulk_submit(e);
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
	hms_bulk_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(hms_exit, struct task_struct *p)
{
	struct hms_ev_exit *e;
	__u32 tgid, code;

	if (BPF_CORE_READ(p, flags) & HMS_PF_KTHREAD)
		return 0;
	/* Only the last thread of a process reports: the process is gone. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	e = hms_critical_reserve(HMS_EV_EXIT, sizeof(*e), tgid,
				 hms_task_cgroup(p));
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_EXIT, sizeof(*e), p);
	code = BPF_CORE_READ(p, exit_code);
	e->signal = code & 0x7f;
	e->core_dumped = !!(code & 0x80);
	e->exit_code = e->signal ? 0 : (code >> 8) & 0xff;
	e->_pad = 0;
	e->start_ns = BPF_CORE_READ(p, group_leader, start_time);
	/* the process is gone: stop watching its tgid */
	bpf_map_delete_elem(&watch_tgids, &tgid);
	bpf_map_delete_elem(&rate_map, &tgid);
	hms_critical_submit(e);
	return 0;
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
	hms_fill_hdr(&e->hdr, HMS_EV_SIGNAL, sizeof(*e), cur);
	e->target_tgid = ttgid;
	e->target_tid = BPF_CORE_READ(task, pid);
	e->signal = sig;
	e->code = info ? BPF_CORE_READ(info, si_code) : 0;
	e->group = group;
	e->result = result;
	bpf_probe_read_kernel_str(e->target_comm, sizeof(e->target_comm),
				  &task->comm);
	hms_critical_submit(e);
	return 0;
}

SEC("tp/oom/mark_victim")
int hms_oom(struct trace_event_raw_mark_victim *ctx)
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
	if (BPF_CORE_READ(cur, tgid) == victim)
		e->victim_cgroup_id = e->hdr.cgroup_id;
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
	__u64 last, hz = CONFIG_HZ ? CONFIG_HZ : 250;

	e = hms_critical_reserve(HMS_EV_HANG, sizeof(*e),
				 BPF_CORE_READ(t, tgid), hms_task_cgroup(t));
	if (!e)
		return 0;
	hms_fill_hdr(&e->hdr, HMS_EV_HANG, sizeof(*e), t);
	last = BPF_CORE_READ(t, last_switch_time);
	e->blocked_ns = last ? (bpf_jiffies64() - last) * (1000000000ULL / hz)
			     : 0;
	hms_critical_submit(e);
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * net.bpf.c - socket sensors: failed connects, socket errors, TCP resets
 * sent and received, retransmits.  Most of these fire in softirq context,
 * so the owning process is remembered per socket when it connects or
 * listens (process context) and looked up later.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "hms_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6

struct sk_owner {
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 _pad;
	__u64 cgroup_id;
	char comm[HMS_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sk_owner);
} sk_owners SEC(".maps");

static __always_inline void owner_remember(const void *sk)
{
	/* trusted pointer: plain loads, no probe-read helper calls */
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 key = (__u64)sk;
	struct sk_owner o;

	o.tgid = t->tgid;
	o.tid = t->pid;
	o.ppid = t->real_parent->tgid;
	o._pad = 0;
	o.cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	__builtin_memcpy(o.comm, t->comm, sizeof(o.comm));
	bpf_map_update_elem(&sk_owners, &key, &o, BPF_ANY);
}

static __always_inline struct sk_owner *owner_of(const void *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&sk_owners, &key);
}

/* Reserve a net event and fill its header from the socket's owner. */
static __always_inline struct hms_ev_net *net_reserve(__u32 type,
						      const void *sk)
{
	struct sk_owner *o = sk ? owner_of(sk) : NULL;
	struct hms_ev_net *e;

	e = hms_bulk_reserve(type, sizeof(*e), o ? o->tgid : 0,
			     o ? o->cgroup_id : 0);
	if (!e)
		return NULL;
	hms_fill_hdr_raw(&e->hdr, type, sizeof(*e));
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	e->error = 0;
	e->state = 0;
	e->owner_known = 0;
	if (o) {
		e->hdr.tgid = o->tgid;
		e->hdr.tid = o->tid;
		e->hdr.ppid = o->ppid;
		e->hdr.cgroup_id = o->cgroup_id;
		__builtin_memcpy(e->hdr.comm, o->comm, sizeof(e->hdr.comm));
		e->owner_known = 1;
	}
	return e;
}

static __always_inline void net_fill_sk(struct hms_ev_net *e,
					const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	e->family = family;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!e->sport)	/* port already released (socket closing) */
		e->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk,
						   inet_sport));
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(e->saddr, sk,
				   __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(e->daddr, sk,
				   __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk,
				   __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk,
				   __sk_common.skc_daddr);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(hms_sock_state, const struct sock *sk, const int oldstate,
	     const int newstate)
{
	struct hms_ev_net *e;

	/* hot path (every TCP state change): decide on the states, which
	 * are in registers, before touching the socket */
	if (newstate != TCP_SYN_SENT && newstate != TCP_LISTEN &&
	    (oldstate != TCP_SYN_SENT || newstate != TCP_CLOSE))
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (newstate != TCP_CLOSE) {
		owner_remember(sk);
		return 0;
	}
	e = net_reserve(HMS_EV_CONNECT_FAIL, sk);
	if (!e)
		return 0;
	net_fill_sk(e, sk);
	e->state = oldstate;
	e->error = BPF_CORE_READ(sk, sk_err);
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(hms_sk_error, const struct sock *sk)
{
	struct hms_ev_net *e;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (!BPF_CORE_READ(sk, sk_err))	/* already consumed: no error */
		return 0;
	e = net_reserve(HMS_EV_SOCK_ERROR, sk);
	if (!e)
		return 0;
	net_fill_sk(e, sk);
	e->error = BPF_CORE_READ(sk, sk_err);
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(hms_sk_destroy, struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&sk_owners, &key);
	return 0;
}

/* Tracepoints that give addresses as family + v4 + v6 arrays. */
static __always_inline void net_fill_tp(struct hms_ev_net *e, __u16 family,
					__u16 sport, __u16 dport,
					const __u8 *s4, const __u8 *d4,
					const __u8 *s6, const __u8 *d6)
{
	e->family = family;
	e->sport = sport;
	e->dport = dport;
	if (family == AF_INET6) {
		bpf_probe_read_kernel(e->saddr, 16, s6);
		bpf_probe_read_kernel(e->daddr, 16, d6);
	} else {
		bpf_probe_read_kernel(e->saddr, 4, s4);
		bpf_probe_read_kernel(e->daddr, 4, d4);
	}
}

SEC("tp/tcp/tcp_receive_reset")
int hms_rst_recv(struct trace_event_raw_tcp_event_sk *ctx)
{
	const void *sk = ctx->skaddr;
	struct hms_ev_net *e = net_reserve(HMS_EV_TCP_RESET_RECV, sk);

	if (!e)
		return 0;
	net_fill_tp(e, ctx->family, ctx->sport, ctx->dport, ctx->saddr,
		    ctx->daddr, ctx->saddr_v6, ctx->daddr_v6);
	if (sk)
		e->state = BPF_CORE_READ((struct sock *)sk,
					 __sk_common.skc_state);
	e->error = 104;	/* ECONNRESET */
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

SEC("tp/tcp/tcp_retransmit_skb")
int hms_retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	struct hms_ev_net *e = net_reserve(HMS_EV_TCP_RETRANSMIT, ctx->skaddr);

	if (!e)
		return 0;
	net_fill_tp(e, ctx->family, ctx->sport, ctx->dport, ctx->saddr,
		    ctx->daddr, ctx->saddr_v6, ctx->daddr_v6);
	e->state = ctx->state;
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

/* tcp_send_reset gives addresses as sockaddr_in / sockaddr_in6. */
SEC("tp/tcp/tcp_send_reset")
int hms_rst_send(struct trace_event_raw_tcp_send_reset *ctx)
{
	struct hms_ev_net *e = net_reserve(HMS_EV_TCP_RESET_SEND, ctx->skaddr);
	struct sockaddr_in6 s6, d6;

	if (!e)
		return 0;
	bpf_probe_read_kernel(&s6, sizeof(s6), ctx->saddr);
	bpf_probe_read_kernel(&d6, sizeof(d6), ctx->daddr);
	e->family = s6.sin6_family;
	e->sport = bpf_ntohs(s6.sin6_port);
	e->dport = bpf_ntohs(d6.sin6_port);
	if (s6.sin6_family == AF_INET6) {
		__builtin_memcpy(e->saddr, &s6.sin6_addr, 16);
		__builtin_memcpy(e->daddr, &d6.sin6_addr, 16);
	} else {
		struct sockaddr_in *s4 = (void *)&s6, *d4 = (void *)&d6;

		__builtin_memcpy(e->saddr, &s4->sin_addr, 4);
		__builtin_memcpy(e->daddr, &d4->sin_addr, 4);
	}
	e->state = ctx->state;
	e->error = ctx->reason;
	hms_bulk_submit(e, sizeof(*e));
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* healer_detect.c - from sensor events to failures attributed to a
 * component: exits are classified (crash, exit, oom, killed, missing) with
 * the notes kept from OOM and fatal-signal events, forks extend a
 * component's pid set, execs adopt matching processes, and hang, network
 * and run-queue events become hang, net (one count per error) and
 * starved (sustained waits) failures. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bus.h"
#include "event.h"
#include "healer_int.h"
#include "loop.h"
#include "proctable.h"

static struct healer_note *note_find(struct hms_healer *h, uint32_t pid)
{
	struct healer_note *best = NULL;

	for (size_t i = 0; i < HEALER_NOTES; i++) {
		struct healer_note *n = &h->notes[i];

		if (n->pid == pid && (!best || n->ts_ns > best->ts_ns))
			best = n;
	}
	return best;
}

static struct healer_note *note_new(struct hms_healer *h, uint32_t pid,
				    uint64_t ts)
{
	struct healer_note *n = note_find(h, pid);

	if (!n || ts - n->ts_ns > 10000000000ull) {
		n = &h->notes[h->note_next++ % HEALER_NOTES];
		memset(n, 0, sizeof(*n));
		n->pid = pid;
	}
	n->ts_ns = ts;
	return n;
}

static bool ok_code(const struct cfg_component *cc, int32_t code)
{
	for (size_t i = 0; cc && i < cc->n_ok_exit_codes; i++)
		if (cc->ok_exit_codes[i] == code)
			return true;
	return false;
}

/* The failure class of an exit; -1 when it is not a failure (an ok exit
 * code of a component with processes left). */
int healer_classify(struct hms_healer *h, const struct cfg_component *cc,
		    pid_t pid, int32_t code, uint32_t sig,
		    struct healer_failure *f)
{
	struct healer_note *n = note_find(h, (uint32_t)pid);

	f->pid = (uint32_t)pid;
	f->signal = sig;
	f->exit_code = code;
	if (n && n->oom) {
		f->fc = FAIL_OOM;
		f->oom_info = n->oom_info;
		healer_oom_cause(&f->oom_info, f->cause, sizeof(f->cause));
	} else if (sig && n && n->signal == sig && n->sender &&
		   n->sender != (uint32_t)pid && n->code <= 0) {
		f->fc = FAIL_KILLED;
		f->sender = n->sender;
		memcpy(f->sender_comm, n->sender_comm, HMS_COMM_LEN);
		snprintf(f->cause, sizeof(f->cause), "%s from pid %u (%.16s)",
			 event_signal_name(sig), n->sender, n->sender_comm);
	} else if (sig) {
		f->fc = FAIL_CRASH;
		snprintf(f->cause, sizeof(f->cause), "%s%s",
			 event_signal_name(sig),
			 f->core_dumped ? " (core dumped)" : "");
	} else if (code && !ok_code(cc, code)) {
		f->fc = FAIL_EXIT;
		snprintf(f->cause, sizeof(f->cause), "exit code %d", code);
	} else {
		f->fc = FAIL_MISSING;
		snprintf(f->cause, sizeof(f->cause), "exited (code %d)", code);
	}
	if (n)
		n->pid = 0;	/* used */
	return f->fc;
}

/* One of c's processes is gone. */
void healer_proc_gone(struct hcomp *c, pid_t pid, int32_t code,
		      uint32_t sig, uint32_t core, uint64_t ts_ns,
		      bool status_known)
{
	struct healer_failure f = { 0 };
	bool main_pid;

	/* a failed exec is a failed start (healer_exec_done), not an exit */
	if (actions_settle(c->h->actions, pid) < 0)
		return;
	main_pid = pid == c->pid;
	memcpy(f.comm, c->comm, HMS_COMM_LEN);
	if (!healer_pid_del(c, pid))
		return;		/* already seen by the other path */
	if (c->stopping) {
		if (c->n_pids)
			return;
		c->stopping = false;
		loop_timer_disarm(c->timer);
		c->timer_what = HT_NONE;
		c->pid = 0;
		if (c->busy)
			healer_chain_next(c);
		else
			healer_set_state(c, HEALER_STOPPED, "stopped");
		return;
	}
	if (!main_pid)
		return;		/* a worker: the main process decides */
	c->pid = 0;
	if (status_known && !sig && (!code || ok_code(c->cc, code))) {
		int dying = 0;

		if (c->n_pids || healer_adopt_children(c, &dying)) {
			c->pid = c->pids[0];
			return;	/* daemonized: a descendant carries on */
		}
		if (dying) {
			/* a middle process still exiting: wait for its child */
			c->pending = f;
			c->pending.fc = FAIL_MISSING;
			c->pending.pid = (uint32_t)pid;
			c->pending.ts_ns = ts_ns;
			snprintf(c->pending.cause, sizeof(c->pending.cause),
				 "exited (code %d), nothing left", code);
			c->adopt_tries = 0;
			healer_arm(c, HT_ADOPT, 5);
			return;
		}
	}
	c->pid = c->n_pids ? c->pids[0] : 0;
	if (!status_known) {
		f.fc = FAIL_MISSING;
		f.pid = (uint32_t)pid;
		snprintf(f.cause, sizeof(f.cause), "pid %d exited", (int)pid);
	} else {
		f.core_dumped = core;
		healer_classify(c->h, c->cc, pid, code, sig, &f);
	}
	f.ts_ns = ts_ns;
	healer_failure(c, &f);
}

/* HT_ADOPT: a daemonizing component's middle process was still exiting;
 * look for its child again, for about a second, then it is missing. */
void healer_adopt_retry(struct hcomp *c)
{
	int dying = 0;

	c->timer_what = HT_NONE;
	if (healer_adopt_children(c, &dying)) {
		c->pid = c->pids[0];
		if (c->verifying)
			healer_arm(c, HT_VERIFY, c->cc->verify_ms);
		else if (c->state == HEALER_STARTING)
			healer_arm(c, HT_GRACE, c->cc->start_grace_ms);
		return;
	}
	if (dying && ++c->adopt_tries < 200) {
		healer_arm(c, HT_ADOPT, 5);
		return;
	}
	healer_failure(c, &c->pending);
}

static void on_exit_ev(struct hms_healer *h, const struct hms_ev_exit *e)
{
	pid_t pid = (pid_t)e->hdr.tgid;
	struct hcomp *c = healer_comp_of_pid(h, pid);
	struct healer_failure f = { 0 };
	struct hms_ev_failure ev;

	if (c) {
		healer_proc_gone(c, pid, e->exit_code, e->signal,
				 e->core_dumped, e->hdr.ts_ns, true);
		return;
	}
	if (!h->cfg->watch_all.enabled || e->hdr.ppid == (uint32_t)getpid())
		return;
	f.core_dumped = e->core_dumped;
	healer_classify(h, NULL, pid, e->exit_code, e->signal, &f);
	if (f.fc == FAIL_MISSING || !(h->cfg->watch_all.classes & (1u << f.fc)))
		return;
	memset(&ev, 0, sizeof(ev));
	event_init(&ev.hdr, HMS_EV_FAILURE, sizeof(ev));
	ev.hdr.ts_ns = e->hdr.ts_ns;
	ev.hdr.tgid = e->hdr.tgid;
	ev.hdr.tid = e->hdr.tid;
	ev.hdr.ppid = e->hdr.ppid;
	ev.hdr.cgroup_id = e->hdr.cgroup_id;
	memcpy(ev.hdr.comm, e->hdr.comm, HMS_COMM_LEN);
	snprintf(ev.failure, sizeof(ev.failure), "%s",
		 config_failure_name(f.fc));
	ev.signal = f.signal;
	ev.exit_code = f.exit_code;
	ev.core_dumped = f.core_dumped;
	ev.sender_tgid = f.sender;
	memcpy(ev.sender_comm, f.sender_comm, HMS_COMM_LEN);
	healer_oom_fields(&ev, &f);
	snprintf(ev.cause, sizeof(ev.cause), "%s", f.cause);
	bus_publish(h->bus, &ev.hdr);	/* stored by incidents.c */
}

/* pid matches c (checked): take it.  true when the exec is handled
 * (taken, or gone before we heard of it). */
bool healer_exec_take(struct hcomp *c, pid_t pid)
{
	int old = c->state;
	char why[96];

	if (!healer_proc_alive(pid) || healer_own_tree(c, pid))
		return true;	/* gone before we heard of its exec */
	if (c->verifying) {
		healer_verify_alive(c);	/* the window decides */
		return true;
	}
	if (old == HEALER_HEALTHY || old == HEALER_DEGRADED)
		return true;
	if (c->timer_what == HT_MISSING) {
		loop_timer_disarm(c->timer);
		c->timer_what = HT_NONE;
	}
	c->rescan_pending = false;
	if (old == HEALER_FAILED || old == HEALER_GAVE_UP) {
		if (old == HEALER_GAVE_UP)
			c->n_recov = 0;
		c->attempt = 0;
		snprintf(why, sizeof(why), "re-adopted pid %d: started "
			 "outside hms-ebpf while %s", (int)pid,
			 healer_state_name(old));
	} else {
		snprintf(why, sizeof(why), "adopted pid %d", (int)pid);
	}
	healer_set_state(c, HEALER_HEALTHY, why);
	return true;
}

/* O(candidates): the match index gives the components this process may
 * match (by comm, exe, cgroup, pidfile pid), in config order. */
static void on_exec_ev(struct hms_healer *h, const struct hms_ev_exec *e)
{
	pid_t pid = (pid_t)e->hdr.tgid;
	const struct hms_proc *p;
	const size_t *cand;
	size_t nc;

	if (healer_comp_of_pid(h, pid) || actions_watched(h->actions, pid))
		return;		/* ours already, or a hook */
	p = h->pt ? proctable_get(h->pt, (uint32_t)pid) : NULL;
	nc = healer_index_candidates(h, p, &cand);
	if (nc == SIZE_MAX)
		nc = h->n_comps;
	for (size_t i = 0; i < nc; i++) {
		struct hcomp *c = &h->comps[cand ? cand[i] : i];

		if (c->cc->match == MATCH_SPAWN || c->busy || c->held ||
		    c->stopping)
			continue;
		if (!healer_exec_matches(c, pid))
			continue;
		healer_exec_take(c, pid);
		return;
	}
}

static void degrade(struct hcomp *c, int fc, const struct hms_event_hdr *ev,
		    const char *fmt, unsigned long long v)
{
	struct healer_failure f = { .fc = fc };

	if (c->busy || c->stopping)
		return;
	f.pid = ev->tgid;
	f.ts_ns = ev->ts_ns;
	memcpy(f.comm, ev->comm, HMS_COMM_LEN);
	snprintf(f.cause, sizeof(f.cause), fmt, v);
	healer_failure(c, &f);
}

/* One error, one count: a refused connect is seen as connect_fail,
 * sock_error and tcp_reset_recv on the same socket within microseconds,
 * a reset as tcp_reset_recv and sock_error.  An event on a socket
 * (4-tuple) that already counted within HC_NET_DEDUP_NS is the same
 * error. */
static bool net_seen(struct hcomp *c, const struct hms_ev_net *e)
{
	struct healer_netkey *k;

	for (size_t i = 0; i < HC_NETKEYS; i++) {
		k = &c->netkeys[i];
		if (k->ts_ns && e->hdr.ts_ns >= k->ts_ns &&
		    e->hdr.ts_ns - k->ts_ns < HC_NET_DEDUP_NS &&
		    k->sport == e->sport && k->dport == e->dport &&
		    !memcmp(k->saddr, e->saddr, 16) &&
		    !memcmp(k->daddr, e->daddr, 16))
			return true;
	}
	k = &c->netkeys[c->netkey_next++ % HC_NETKEYS];
	k->ts_ns = e->hdr.ts_ns;
	k->sport = e->sport;
	k->dport = e->dport;
	memcpy(k->saddr, e->saddr, 16);
	memcpy(k->daddr, e->daddr, 16);
	return false;
}

static void on_net_ev(struct hcomp *c, const struct hms_event_hdr *ev)
{
	uint64_t win = (uint64_t)c->cc->net_window_ms * 1000000ull;
	size_t n;

	if (ev->size < sizeof(struct hms_ev_net) ||
	    net_seen(c, (const struct hms_ev_net *)ev))
		return;
	healer_ring_push(c->net_ts, &c->n_net, ev->ts_ns);
	n = healer_window_count(c->net_ts, c->n_net, ev->ts_ns, win);
	if (n < c->cc->net_threshold)
		return;
	if (c->busy || c->stopping)
		return;		/* counted; judged after the recovery */
	/* the ring still holds them: an interrupted verification's evidence */
	degrade(c, FAIL_NET, ev, "%llu network errors in the window",
		(unsigned long long)n);
	c->n_net = 0;
}

/* Sustained starvation: starved_count waits over starved_us within
 * starved_window_ms, like net (one long wait is not starvation). */
static void on_runq_ev(struct hcomp *c, const struct hms_ev_runq *e)
{
	uint64_t us = e->latency_ns / 1000, n;

	if (us < c->cc->starved_us)
		return;
	healer_ring_push(c->starve_ts, &c->n_starve, e->hdr.ts_ns);
	n = healer_window_count(c->starve_ts, c->n_starve, e->hdr.ts_ns,
				(uint64_t)c->cc->starved_window_ms * 1000000ull);
	if (n < c->cc->starved_count || c->busy || c->stopping)
		return;
	degrade(c, FAIL_STARVED, &e->hdr, "%llu run-queue waits over the "
		"threshold in the window", (unsigned long long)n);
	c->n_starve = 0;
}

void healer_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct hms_healer *h = arg;
	struct hcomp *c;

	switch (ev->type) {
	case HMS_EV_EXIT:
		on_exit_ev(h, (const void *)ev);
		return;
	case HMS_EV_EXEC:
		on_exec_ev(h, (const void *)ev);
		return;
	case HMS_EV_FORK: {
		const struct hms_ev_fork *e = (const void *)ev;

		c = healer_comp_of_pid(h, (pid_t)ev->tgid);
		if (c && !e->is_thread && !c->stopping)
			healer_pid_add(c, (pid_t)e->child_tgid);
		return;
	}
	case HMS_EV_SIGNAL: {
		const struct hms_ev_signal *e = (const void *)ev;
		struct healer_note *n = note_new(h, e->target_tgid, ev->ts_ns);

		n->signal = e->signal;
		n->code = e->code;
		n->sender = ev->tgid;
		memcpy(n->sender_comm, ev->comm, HMS_COMM_LEN);
		return;
	}
	case HMS_EV_OOM: {
		const struct hms_ev_oom *e = (const void *)ev;

		struct healer_note *n = note_new(h, e->victim_tgid,
						 ev->ts_ns);

		n->oom = 1;
		healer_pressure_oom(h, e, &n->oom_info);
		return;
	}
	default:
		break;
	}
	c = healer_comp_of_pid(h, (pid_t)ev->tgid);
	if (!c)
		return;
	switch (ev->type) {
	case HMS_EV_HANG:
		degrade(c, FAIL_HANG, ev, "hung task, blocked %llu ms",
			(unsigned long long)((const struct hms_ev_hang *)ev)
				->blocked_ns / 1000000);
		break;
	case HMS_EV_CONNECT_FAIL:
	case HMS_EV_SOCK_ERROR:
	case HMS_EV_TCP_RESET_RECV:
	case HMS_EV_TCP_RESET_SEND:
	case HMS_EV_TCP_RETRANSMIT:
		on_net_ev(c, ev);
		break;
	case HMS_EV_RUNQ_LATENCY:
		on_runq_ev(c, (const void *)ev);
		break;
	default:
		break;
	}
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * proctable.c - what the daemon knows about every process: identity
 * (comm, exe, cgroup, parent, start) and counters of each failure kind.
 * Seeded once from /proc, then kept current by exec/fork/exit events.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "bus.h"
#include "loop.h"
#include "proctable.h"
#include "procfs.h"

#define PT_BUCKETS	8192

struct pt_node {
	struct hms_proc p;		/* first: a row is its node */
	struct pt_node *next;		/* in its bucket */
	struct pt_node *xprev, *xnext;	/* exited rows, oldest exit first */
	int exited;			/* on that list */
};

struct hms_proctable {
	struct hms_bus *bus;
	struct pt_node *buckets[PT_BUCKETS];
	size_t count;
	/* exited rows are kept 60 s for the dashboard, and at most
	 * PROCTABLE_MAX_EXITED of them: under a fork storm the oldest go
	 * first, so memory is bounded by count, not by time alone */
	struct pt_node *xhead, *xtail;
	size_t n_exited;
	/* proctable_expire_start: one timer at the oldest exit's deadline,
	 * armed only while exited rows are kept */
	struct hms_timer *xtimer;
	uint64_t keep_ns;
	uint64_t proc_scans;		/* full /proc passes (seed) */
};

static void proctable_x_arm(struct hms_proctable *pt);

static void proctable_on_event(const struct hms_event_hdr *ev, void *arg)
{
	proctable_apply(arg, ev);
}

int proctable_new(struct hms_bus *bus, struct hms_proctable **out)
{
	struct hms_proctable *pt = calloc(1, sizeof(*pt));
	int err;

	if (!pt)
		return -ENOMEM;
	pt->bus = bus;
	if (bus) {
		err = bus_subscribe(bus, BUS_ALL, proctable_on_event, pt);
		if (err) {
			free(pt);
			return err;
		}
	}
	*out = pt;
	return 0;
}

void proctable_free(struct hms_proctable *pt)
{
	if (!pt)
		return;
	if (pt->bus)
		bus_unsubscribe(pt->bus, BUS_ALL, proctable_on_event, pt);
	loop_timer_free(pt->xtimer);
	for (size_t i = 0; i < PT_BUCKETS; i++) {
		struct pt_node *n = pt->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(pt);
}

static void proctable_x_unlink(struct hms_proctable *pt, struct pt_node *n)
{
	if (!n->exited)
		return;
	*(n->xprev ? &n->xprev->xnext : &pt->xhead) = n->xnext;
	*(n->xnext ? &n->xnext->xprev : &pt->xtail) = n->xprev;
	n->xprev = n->xnext = NULL;
	n->exited = 0;
	pt->n_exited--;
}

static struct pt_node **proctable_slot(const struct hms_proctable *pt,
				       uint32_t tgid)
{
	struct pt_node **pp = (struct pt_node **)&pt->buckets[tgid % PT_BUCKETS];

	while (*pp && (*pp)->p.tgid != tgid)
		pp = &(*pp)->next;
	return pp;
}

const struct hms_proc *proctable_get(const struct hms_proctable *pt,
				     uint32_t tgid)
{
	struct pt_node *n = *proctable_slot(pt, tgid);

	return n ? &n->p : NULL;
}

/* Remove the row of tgid (the node at *pp) from the table. */
static void proctable_drop(struct hms_proctable *pt, struct pt_node **pp)
{
	struct pt_node *n = *pp;

	proctable_x_unlink(pt, n);
	*pp = n->next;
	free(n);
	pt->count--;
}

/* A row just exited: last on the list; the oldest beyond the cap go. */
static void proctable_x_add(struct hms_proctable *pt, struct pt_node *n)
{
	proctable_x_unlink(pt, n);
	n->xprev = pt->xtail;
	*(pt->xtail ? &pt->xtail->xnext : &pt->xhead) = n;
	pt->xtail = n;
	n->exited = 1;
	pt->n_exited++;
	while (pt->n_exited > PROCTABLE_MAX_EXITED)
		proctable_drop(pt, proctable_slot(pt, pt->xhead->p.tgid));
	proctable_x_arm(pt);
}

/* Exited rows leave in exit order: the head is the oldest. */
static void proctable_x_arm(struct hms_proctable *pt)
{
	uint64_t now, due;

	if (!pt->xtimer || loop_timer_armed(pt->xtimer))
		return;
	if (!pt->xhead)
		return;
	now = loop_now_ns();
	due = pt->xhead->p.last_event_ns + pt->keep_ns;
	loop_timer_arm(pt->xtimer, due > now ? due - now + 1000000ULL :
			1000000ULL, 0);
}

static void proctable_on_xtimer(struct hms_timer *t, void *arg)
{
	struct hms_proctable *pt = arg;
	uint64_t now = loop_now_ns();

	(void)t;
	while (pt->xhead && pt->xhead->p.last_event_ns + pt->keep_ns < now)
		proctable_drop(pt, proctable_slot(pt, pt->xhead->p.tgid));
	proctable_x_arm(pt);
}

int proctable_expire_start(struct hms_proctable *pt, struct hms_loop *loop,
			   uint64_t keep_ns)
{
	int err;

	if (pt->xtimer)
		return -EALREADY;
	err = loop_timer_new(loop, proctable_on_xtimer, pt, &pt->xtimer);
	if (err)
		return err;
	pt->keep_ns = keep_ns;
	proctable_x_arm(pt);
	return 0;
}

uint64_t proctable_proc_scans(const struct hms_proctable *pt)
{
	return pt ? pt->proc_scans : 0;
}

static struct hms_proc *proctable_upsert(struct hms_proctable *pt,
					 uint32_t tgid, int fresh)
{
	struct pt_node **pp = proctable_slot(pt, tgid);

	if (*pp) {
		if (fresh) {	/* pid reused by a new process */
			memset(&(*pp)->p, 0, sizeof((*pp)->p));
			proctable_x_unlink(pt, *pp);
		}
	} else {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp)
			return NULL;
		pt->count++;
		fresh = 1;
	}
	(*pp)->p.tgid = tgid;
	if (fresh)
		(*pp)->p.alive = 1;
	return &(*pp)->p;
}

size_t proctable_count(const struct hms_proctable *pt)
{
	return pt->count;
}

size_t proctable_exited(const struct hms_proctable *pt)
{
	return pt->n_exited;
}

void proctable_foreach(const struct hms_proctable *pt,
		       int (*cb)(const struct hms_proc *p, void *arg),
		       void *arg)
{
	for (size_t i = 0; i < PT_BUCKETS; i++)
		for (struct pt_node *n = pt->buckets[i]; n; n = n->next)
			if (cb(&n->p, arg))
				return;
}

void proctable_expire(struct hms_proctable *pt, uint64_t now_ns,
		      uint64_t keep_ns)
{
	for (size_t i = 0; i < PT_BUCKETS; i++) {
		struct pt_node **pp = &pt->buckets[i], *n;

		while ((n = *pp)) {
			if (!n->p.alive && n->p.last_event_ns + keep_ns < now_ns) {
				proctable_drop(pt, pp);
			} else {
				pp = &n->next;
			}
		}
	}
}

int proctable_read_uid(uint32_t tgid, uint32_t *uid, uint32_t *euid)
{
	uid_t r, e;
	int err = procfs_uids_read((pid_t)tgid, &r, &e);

	if (err)
		return err;
	*uid = (uint32_t)r;
	*euid = (uint32_t)e;
	return 0;
}

/* The executable (path, and the inode it really is) and the uids. */
static void proctable_read_exe(struct hms_proc *p)
{
	char path[64];
	struct stat st;

	procfs_exe_read(p->tgid, p->exe, sizeof(p->exe));
	snprintf(path, sizeof(path), "/proc/%u/exe", p->tgid);
	if (stat(path, &st) == 0) {
		p->exe_dev = st.st_dev;
		p->exe_ino = st.st_ino;
	} else {
		p->exe_dev = p->exe_ino = 0;
	}
	if (proctable_read_uid(p->tgid, &p->uid, &p->euid))
		p->uid = p->euid = (uint32_t)-1;	/* unknown: never matches */
}

/* Fill exe and cgroup paths from /proc (at seed; at exec only what may
 * have changed). */
static void proctable_read_identity(struct hms_proc *p, int with_exe)
{
	char uni[sizeof(p->cgroup)];

	if (with_exe)
		proctable_read_exe(p);
	if (!procfs_cgroup_read(p->tgid, NULL, NULL, 0, uni, sizeof(uni)))
		memcpy(p->cgroup, uni, sizeof(p->cgroup));
}

static int proctable_seed_one(struct hms_proctable *pt, uint32_t tgid)
{
	struct procfs_stat st;
	struct hms_proc *p;
	int err = procfs_stat_read(tgid, &st);

	if (err)
		return err;
	p = proctable_upsert(pt, tgid, 1);
	if (!p)
		return -ENOMEM;
	snprintf(p->comm, sizeof(p->comm), "%s", st.comm);
	p->ppid = st.ppid;
	p->start_ns = st.starttime * (1000000000ULL / sysconf(_SC_CLK_TCK));
	p->last_event_ns = loop_now_ns();
	proctable_read_identity(p, 1);
	return 0;
}

int proctable_refresh(struct hms_proctable *pt, uint32_t tgid)
{
	return proctable_seed_one(pt, tgid);
}

int proctable_seed(struct hms_proctable *pt)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	pt->proc_scans++;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		proctable_seed_one(pt, strtoul(de->d_name, NULL, 10));
	}
	closedir(d);
	return 0;
}

static void proctable_count_on(struct hms_proctable *pt, uint32_t tgid,
			       enum proc_counter c, uint32_t type,
			       uint64_t ts)
{
	struct pt_node *n = tgid ? *proctable_slot(pt, tgid) : NULL;
	struct hms_proc *p = n ? &n->p : NULL;

	/* never create a row from a late or stray record */
	if (!p)
		return;
	p->counters[c]++;
	p->last_failure = type;
	p->last_event_ns = ts;
}

static void proctable_on_exit(struct hms_proctable *pt,
			      const struct hms_ev_exit *e)
{
	struct hms_proc *p = proctable_upsert(pt, e->hdr.tgid, 0);

	if (!p)
		return;
	memcpy(p->comm, e->hdr.comm, sizeof(p->comm));
	if (!p->ppid)
		p->ppid = e->hdr.ppid;
	p->alive = 0;
	proctable_x_add(pt, (struct pt_node *)p);
	p->exit_ns = e->hdr.ts_ns;
	p->exit_code = e->exit_code;
	p->exit_signal = e->signal;
	p->last_event_ns = e->hdr.ts_ns;
	if (e->signal) {
		p->counters[PROC_CNT_CRASH]++;
		p->last_failure = HMS_EV_EXIT;
	} else if (e->exit_code) {
		p->counters[PROC_CNT_EXIT_ERR]++;
		p->last_failure = HMS_EV_EXIT;
	}
}

/* Bulk records (fork, exec) reach us after the critical exit of a short
 * process: a record older than the row's exit must not revive it. */
static int proctable_stale(const struct hms_proctable *pt, uint32_t tgid,
			   uint64_t ts_ns)
{
	const struct hms_proc *p = proctable_get(pt, tgid);

	return p && !p->alive && p->exit_ns && ts_ns <= p->exit_ns;
}

void proctable_apply(struct hms_proctable *pt, const struct hms_event_hdr *ev)
{
	const struct hms_ev_fork *fk = (const void *)ev;
	struct hms_proc *p;
	const struct hms_proc *parent;

	switch (ev->type) {
	case HMS_EV_FORK:
		if (fk->is_thread || proctable_stale(pt, fk->child_tgid,
						      ev->ts_ns))
			break;
		parent = proctable_get(pt, ev->tgid);
		p = proctable_upsert(pt, fk->child_tgid, 1);
		if (!p)
			break;
		if (parent && parent != p) {
			memcpy(p->comm, parent->comm, sizeof(p->comm));
			memcpy(p->exe, parent->exe, sizeof(p->exe));
			p->exe_dev = parent->exe_dev;
			p->exe_ino = parent->exe_ino;
			p->uid = parent->uid;
			p->euid = parent->euid;
			memcpy(p->cgroup, parent->cgroup, sizeof(p->cgroup));
		} else {
			memcpy(p->comm, ev->comm, sizeof(p->comm));
			p->uid = p->euid = (uint32_t)-1;
		}
		p->ppid = ev->tgid;
		p->cgroup_id = ev->cgroup_id;
		p->start_ns = p->last_event_ns = ev->ts_ns;
		break;
	case HMS_EV_EXEC:
		if (proctable_stale(pt, ev->tgid, ev->ts_ns))
			break;
		p = proctable_upsert(pt, ev->tgid, 0);
		if (!p)
			break;
		memcpy(p->comm, ev->comm, sizeof(p->comm));
		p->ppid = ev->ppid;
		p->last_event_ns = ev->ts_ns;
		p->alive = 1;
		proctable_x_unlink(pt, (struct pt_node *)p);
		/* exec changes the exe; the cgroup only when it moved (the
		 * path was inherited at fork) */
		proctable_read_exe(p);
		if (ev->cgroup_id != p->cgroup_id || !p->cgroup[0])
			proctable_read_identity(p, 0);
		p->cgroup_id = ev->cgroup_id;
		break;
	case HMS_EV_EXIT:
		proctable_on_exit(pt, (const void *)ev);
		break;
	case HMS_EV_SIGNAL:
		proctable_count_on(pt, ((const struct hms_ev_signal *)ev)->target_tgid,
				   PROC_CNT_SIGNAL, ev->type, ev->ts_ns);
		break;
	case HMS_EV_OOM:
		proctable_count_on(pt, ((const struct hms_ev_oom *)ev)->victim_tgid,
				   PROC_CNT_OOM, ev->type, ev->ts_ns);
		break;
	case HMS_EV_HANG:
		proctable_count_on(pt, ev->tgid, PROC_CNT_HANG, ev->type,
				   ev->ts_ns);
		break;
	case HMS_EV_CONNECT_FAIL:
		proctable_count_on(pt, ev->tgid, PROC_CNT_CONNECT_FAIL,
				   ev->type, ev->ts_ns);
		break;
	case HMS_EV_TCP_RESET_RECV:
	case HMS_EV_TCP_RESET_SEND:
		proctable_count_on(pt, ev->tgid, PROC_CNT_RESET, ev->type,
				   ev->ts_ns);
		break;
	case HMS_EV_TCP_RETRANSMIT:
		proctable_count_on(pt, ev->tgid, PROC_CNT_RETRANSMIT,
				   ev->type, ev->ts_ns);
		break;
	case HMS_EV_RUNQ_LATENCY:
		if (!proctable_get(pt, ev->tgid))
			break;
		p = proctable_upsert(pt, ev->tgid, 0);
		p->counters[PROC_CNT_RUNQ]++;
		if (((const struct hms_ev_runq *)ev)->latency_ns > p->runq_max_ns)
			p->runq_max_ns = ((const struct hms_ev_runq *)ev)->latency_ns;
		break;
	}
}

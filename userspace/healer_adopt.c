// SPDX-License-Identifier: BSD-2-Clause
/* healer_adopt.c - finding a component's processes that we did not
 * start: matching by comm, exe (inode), cgroup or pidfile against the
 * daemon's process table, only processes of the component's user, with
 * every descendant; the processes a previous (killed) hms-ebpf spawned;
 * the children a daemonizing service leaves to us (the subreaper), and
 * what is left behind at shutdown. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "healer_int.h"
#include "log.h"
#include "proctable.h"
#include "procfs.h"

int healer_read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Running (not a zombie): execs arrive late on the bulk ring, by then
 * the process may be long gone. */
bool healer_proc_alive(pid_t pid)
{
	return procfs_alive(pid);
}

/* The HMS_COMPONENT= a spawned component (and everything it forks)
 * carries in its environment: "" when none. */
static void env_component(pid_t pid, char *name, size_t len, bool *hook)
{
	char val[64];

	procfs_environ_get(pid, "HMS_COMPONENT", name, len);
	/* hooks carry HMS_FAILURE too: they are not the component */
	if (hook)
		*hook = name[0] && !procfs_environ_get(pid, "HMS_FAILURE", val,
						       sizeof(val));
}

struct match_ctx {
	bool exe_ok;
	uint64_t exe_dev, exe_ino;
	pid_t pidfile_pid;
};

/* The inode a path names (st_dev/st_ino), 0 when it cannot be stat'ed:
 * an exe match compares files, not path strings (a copy, a bind mount
 * or another mount namespace shows the same path for another file). */
static bool file_id(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return true;
}

static pid_t pidfile_pid(const char *path)
{
	char buf[32];

	if (healer_read_small(path, buf, sizeof(buf)))
		return 0;
	return (pid_t)atoi(buf);
}

/* comm and exe may be NULL: read from /proc.  exe is unused (the inode
 * of /proc/PID/exe is compared) and kept for callers that have it. */
bool healer_matches(const struct cfg_component *cc, pid_t pid,
		    const char *comm, const char *exe)
{
	char path[64], buf[256];
	uint64_t d1, i1, d2, i2;

	(void)exe;
	switch (cc->match) {
	case MATCH_COMM:
		if (!comm) {
			if (procfs_comm_read(pid, buf, sizeof(buf)))
				return false;
			comm = buf;
		}
		return !strncmp(comm, cc->match_value, HMS_COMM_LEN - 1);
	case MATCH_EXE:
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		return file_id(path, &d1, &i1) &&
		       file_id(cc->match_value, &d2, &i2) &&
		       d1 == d2 && i1 == i2;
	case MATCH_CGROUP:
		return procfs_cgroup_contains(pid, cc->match_value);
	case MATCH_PIDFILE:
		return pidfile_pid(cc->match_value) == pid;
	default:
		return false;
	}
}

/* The uid a component's matched processes must run as: match.user,
 * else its user, else root; (uid_t)-2 = any, (uid_t)-1 = unknown user
 * (nothing is adopted).  Resolved once per config, not in every scan. */
uid_t healer_want_uid(const struct cfg_component *cc)
{
	const char *u = cc->match_user[0] ? cc->match_user : cc->user;
	struct passwd *pw;

	if (!strcmp(u, CONFIG_MATCH_ANY_USER))
		return HEALER_UID_ANY;
	if (!u[0])
		return 0;
	pw = getpwnam(u);
	if (!pw) {
		log_warning("component %s: user '%s' does not exist: no "
			    "process will be adopted", cc->name, u);
		return (uid_t)-1;
	}
	return pw->pw_uid;
}

/* Adoption never crosses users: both the real and the effective uid of
 * pid (read now) are the component's. */
bool healer_uid_ok(const struct hcomp *c, pid_t pid)
{
	uint32_t uid, euid;

	if (c->want_uid == HEALER_UID_ANY)
		return true;
	if (c->want_uid == (uid_t)-1 ||
	    proctable_read_uid((uint32_t)pid, &uid, &euid))
		return false;
	return uid == c->want_uid && euid == c->want_uid;
}

/* Does a process table row match c (uid not checked here)? */
static bool row_matches(const struct hcomp *c, const struct hms_proc *p,
			const struct match_ctx *m)
{
	const struct cfg_component *cc = c->cc;

	switch (cc->match) {
	case MATCH_COMM:
		return !strncmp(p->comm, cc->match_value, HMS_COMM_LEN - 1);
	case MATCH_EXE:
		return m->exe_ok && p->exe_ino == m->exe_ino &&
		       p->exe_dev == m->exe_dev;
	case MATCH_CGROUP:
		return !strcmp(p->cgroup, cc->match_value);
	case MATCH_PIDFILE:
		return (pid_t)p->tgid == m->pidfile_pid;
	default:
		return false;
	}
}

static void match_prepare(const struct hcomp *c, struct match_ctx *m)
{
	memset(m, 0, sizeof(*m));
	if (c->cc->match == MATCH_EXE)
		m->exe_ok = file_id(c->cc->match_value, &m->exe_dev,
				    &m->exe_ino);
	else if (c->cc->match == MATCH_PIDFILE)
		m->pidfile_pid = pidfile_pid(c->cc->match_value);
}

/* Is p a descendant of root (by the parents the process table recorded:
 * a worker stays its master's after the master died)? */
static bool row_descends(const struct hms_proctable *pt,
			 const struct hms_proc *p, uint32_t root)
{
	for (int depth = 0; p && depth < 32; depth++) {
		if (p->ppid == root)
			return true;
		if (p->ppid <= 1 || p->ppid == p->tgid)
			return false;
		p = proctable_get(pt, p->ppid);
	}
	return false;
}

struct own_walk {
	struct hcomp *c;
	uint32_t root;
	int added;
};

static int own_one(const struct hms_proc *p, void *arg)
{
	struct own_walk *w = arg;

	if (!p->alive || healer_pid_has(w->c, (pid_t)p->tgid) ||
	    !row_descends(w->c->h->pt, p, w->root))
		return 0;
	if (!healer_proc_alive((pid_t)p->tgid))
		return 0;
	if (!healer_pid_add(w->c, (pid_t)p->tgid))
		w->added++;
	return 0;
}

/* Own pid and every live descendant of it (workers a master forked
 * before we saw it); later forks come as events. */
int healer_own_tree(struct hcomp *c, pid_t pid)
{
	struct own_walk w = { .c = c, .root = (uint32_t)pid };
	int err = healer_pid_add(c, pid);

	if (err)
		return err;
	if (c->h->pt)
		proctable_foreach(c->h->pt, own_one, &w);
	return 0;
}

struct scan_walk {
	struct hcomp *c;
	struct match_ctx m;
	pid_t found[HC_MAX_PIDS];
	size_t n;
};

static int scan_one(const struct hms_proc *p, void *arg)
{
	struct scan_walk *w = arg;
	struct hms_healer *h = w->c->h;
	pid_t pid = (pid_t)p->tgid;

	if (!p->alive || pid == h->self || !row_matches(w->c, p, &w->m) ||
	    healer_comp_of_pid(h, pid) || actions_watched(h->actions, pid))
		return 0;
	if (w->n < HC_MAX_PIDS)
		w->found[w->n++] = pid;
	return 0;
}

/* Take found processes of c: each still alive, still matching (read
 * now: the row may be stale, a missed exit, the pid reused) and of the
 * component's user, with its descendants.  How many were taken. */
int healer_adopt_take(struct hcomp *c, const pid_t *found, size_t nf)
{
	int n = 0;

	for (size_t i = 0; i < nf; i++) {
		pid_t pid = found[i];

		if (healer_pid_has(c, pid) || healer_comp_of_pid(c->h, pid) ||
		    !healer_proc_alive(pid))
			continue;
		if (c->cc->match != MATCH_PIDFILE &&
		    !healer_matches(c->cc, pid, NULL, NULL))
			continue;
		if (!healer_uid_ok(c, pid)) {
			healer_refused_note(c, pid);
			continue;
		}
		if (!healer_own_tree(c, pid))
			n++;
	}
	return n;
}

/* One pass over the process table for several components at once: the
 * pids found per component, then each component's take. */
struct adopt_walk {
	struct hms_healer *h;
	pid_t **found;		/* per component */
	size_t *n;
};

static void adopt_walk_add(struct adopt_walk *w, size_t ci, pid_t pid)
{
	if (!w->found[ci] &&
	    !(w->found[ci] = calloc(HC_MAX_PIDS, sizeof(pid_t))))
		return;
	w->found[ci][w->n[ci]++] = pid;
}

/* Walks with row(), then for every component with scan_want sets
 * scan_took from take(); returns how many took a process. */
static int adopt_walk_run(struct hms_healer *h,
			  int (*row)(const struct hms_proc *, void *),
			  int (*take)(struct hcomp *, const pid_t *, size_t))
{
	struct adopt_walk w = { .h = h };
	int took = 0;

	if (!h->pt || !h->n_comps)
		return 0;
	w.found = calloc(h->n_comps, sizeof(*w.found));
	w.n = calloc(h->n_comps, sizeof(*w.n));
	if (!w.found || !w.n) {
		free(w.found);
		free(w.n);
		return -ENOMEM;
	}
	h->adopt_scans++;
	proctable_foreach(h->pt, row, &w);
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		if (!c->scan_want)
			continue;
		c->scan_want = false;
		c->scan_took = w.n[i] ? take(c, w.found[i], w.n[i]) : 0;
		if (c->scan_took > 0)
			took++;
		free(w.found[i]);
	}
	free(w.found);
	free(w.n);
	return took;
}

static int scan_all_one(const struct hms_proc *p, void *arg)
{
	struct adopt_walk *w = arg;
	struct hms_healer *h = w->h;
	const size_t *cand;
	size_t nc;

	if (!p->alive || (pid_t)p->tgid == h->self)
		return 0;
	nc = healer_index_candidates(h, p, &cand);
	if (nc == SIZE_MAX)
		nc = h->n_comps;
	for (size_t i = 0; i < nc; i++) {
		size_t ci = cand ? cand[i] : i;
		struct hcomp *c = &h->comps[ci];
		struct match_ctx m;

		if (!c->scan_want || w->n[ci] == HC_MAX_PIDS)
			continue;
		match_prepare(c, &m);
		if (!row_matches(c, p, &m) ||
		    actions_watched(h->actions, (pid_t)p->tgid))
			continue;
		adopt_walk_add(w, ci, (pid_t)p->tgid);
	}
	return 0;
}

/* One pass over the process table for every component with scan_want:
 * candidates from the match index, so the pass costs O(processes), not
 * O(components x processes).  Sets each one's scan_took. */
int healer_scan_all(struct hms_healer *h)
{
	return adopt_walk_run(h, scan_all_one, healer_adopt_take);
}

/* A pidfile changed and names pid (healer_index.c): the exec event of
 * pid came before the file was written, so adopt now. */
void healer_pidfile_changed(struct hcomp *c, pid_t pid)
{
	struct hms_healer *h = c->h;
	const struct hms_proc *p;

	if (c->busy || c->held || c->stopping || c->n_pids ||
	    healer_comp_of_pid(h, pid) || actions_watched(h->actions, pid))
		return;
	p = h->pt ? proctable_get(h->pt, (uint32_t)pid) : NULL;
	if ((!p || !p->alive) && h->pt &&
	    !proctable_refresh(h->pt, (uint32_t)pid))
		p = proctable_get(h->pt, (uint32_t)pid);
	if (!p || !p->alive)
		return;
	healer_exec_take(c, pid);
}

/* Adopt every running process that matches c, with its descendants,
 * from the process table (no /proc scan); the number of matching
 * processes newly taken, or -errno. */
int healer_adopt_scan(struct hcomp *c)
{
	struct hms_healer *h = c->h;
	struct scan_walk *w;
	int n = 0;

	if (c->cc->match == MATCH_SPAWN || !h->pt)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->c = c;
	match_prepare(c, &w->m);
	if (c->cc->match == MATCH_PIDFILE) {
		const struct hms_proc *p = w->m.pidfile_pid > 0 ?
			proctable_get(h->pt, (uint32_t)w->m.pidfile_pid) : NULL;

		/* a pid the table has not heard of yet: it is new */
		if (w->m.pidfile_pid > 0 && (!p || !p->alive) &&
		    !proctable_refresh(h->pt, (uint32_t)w->m.pidfile_pid))
			p = proctable_get(h->pt, (uint32_t)w->m.pidfile_pid);
		if (p)
			scan_one(p, w);
	} else {
		proctable_foreach(h->pt, scan_one, w);
	}
	h->adopt_scans++;
	n = healer_adopt_take(c, w->found, w->n);
	free(w);
	return n;
}

/* An exec'd process (its row already updated by the process table):
 * does it match c, is it of the right user? */
bool healer_exec_matches(struct hcomp *c, pid_t pid)
{
	const struct hms_proc *p = c->h->pt ?
		proctable_get(c->h->pt, (uint32_t)pid) : NULL;
	struct match_ctx m;

	if (!p)
		return false;
	match_prepare(c, &m);
	if (!row_matches(c, p, &m))
		return false;
	if (!healer_uid_ok(c, pid)) {
		healer_refused_note(c, pid);
		return false;
	}
	return true;
}

/* Say once per pid that a process of another user was not adopted. */
void healer_refused_note(struct hcomp *c, pid_t pid)
{
	if (c->refused_pid == pid)
		return;
	c->refused_pid = pid;
	healer_alert(c, 1, "pid %d matches but runs as another user than "
		     "the component's: not adopted", (int)pid);
}

/* Processes a previous hms-ebpf spawned for c (killed before it could
 * stop them): they carry HMS_COMPONENT=<name> and no HMS_FAILURE (hooks
 * do).  Adopted so that a restarted daemon never starts a second
 * instance.  Number taken. */
struct marked_walk {
	struct hcomp *c;
	pid_t found[HC_MAX_PIDS];
	size_t n;
};

static int marked_one(const struct hms_proc *p, void *arg)
{
	struct marked_walk *w = arg;
	char name[CONFIG_NAME_LEN], owner[CONFIG_PATH_LEN];
	bool hook;

	if (!p->alive || (pid_t)p->tgid == w->c->h->self || w->n == HC_MAX_PIDS ||
	    (w->c->want_uid != HEALER_UID_ANY && p->uid != w->c->want_uid &&
	     p->uid != (uint32_t)-1))
		return 0;
	env_component((pid_t)p->tgid, name, sizeof(name), &hook);
	if (hook || strcmp(name, w->c->cc->name))
		return 0;
	/* spawned by the daemon of this socket, not by another one */
	if (procfs_environ_get((pid_t)p->tgid, "HMS_DAEMON", owner,
			       sizeof(owner)) ||
	    strcmp(owner, w->c->h->cfg->daemon.socket))
		return 0;
	w->found[w->n++] = (pid_t)p->tgid;
	return 0;
}

static int marked_take(struct hcomp *c, const pid_t *found, size_t nf)
{
	int n = 0;

	for (size_t i = 0; i < nf; i++) {
		pid_t pid = found[i];

		if (healer_comp_of_pid(c->h, pid) || !healer_proc_alive(pid) ||
		    !healer_uid_ok(c, pid))
			continue;
		if (!healer_pid_add(c, pid))
			n++;
	}
	/* the main process: the one whose parent is not one of them */
	for (size_t i = 0; n && i < c->n_pids; i++) {
		const struct hms_proc *p = proctable_get(c->h->pt,
							 (uint32_t)c->pids[i]);

		if (p && !healer_pid_has(c, (pid_t)p->ppid)) {
			healer_set_main(c, c->pids[i]);
			break;
		}
	}
	return n;
}

int healer_adopt_marked(struct hcomp *c)
{
	struct marked_walk *w;
	int n;

	if (!c->h->pt)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->c = c;
	c->h->adopt_scans++;
	proctable_foreach(c->h->pt, marked_one, w);
	n = marked_take(c, w->found, w->n);
	free(w);
	return n;
}

static int marked_all_one(const struct hms_proc *p, void *arg)
{
	struct adopt_walk *w = arg;
	char name[CONFIG_NAME_LEN], owner[CONFIG_PATH_LEN];
	struct hcomp *c;
	size_t ci;
	bool hook;

	if (!p->alive || (pid_t)p->tgid == w->h->self)
		return 0;
	env_component((pid_t)p->tgid, name, sizeof(name), &hook);
	if (!name[0] || hook)
		return 0;
	c = healer_find(w->h, name);
	if (!c || !c->scan_want)
		return 0;
	ci = (size_t)(c - w->h->comps);
	if (w->n[ci] == HC_MAX_PIDS ||
	    (c->want_uid != HEALER_UID_ANY && p->uid != c->want_uid &&
	     p->uid != (uint32_t)-1))
		return 0;
	if (procfs_environ_get((pid_t)p->tgid, "HMS_DAEMON", owner,
			       sizeof(owner)) ||
	    strcmp(owner, w->h->cfg->daemon.socket))
		return 0;
	adopt_walk_add(w, ci, (pid_t)p->tgid);
	return 0;
}

/* healer_adopt_marked for every spawned component with scan_want, in
 * one pass over the process table (each process's environment read
 * once, not once per component).  Sets scan_took. */
int healer_adopt_marked_all(struct hms_healer *h)
{
	return adopt_walk_run(h, marked_all_one, marked_take);
}

/* One pass over /proc: our children nobody tracks are added to c; *dying
 * counts our zombie children (a middle process of a double fork). */
static int adopt_pass(struct hcomp *c, int *dying)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	c->h->proc_passes++;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);
		char name[CONFIG_NAME_LEN];
		struct procfs_stat st;

		if (pid <= 0 || healer_comp_of_pid(c->h, pid) ||
		    actions_watched(c->h->actions, pid))
			continue;
		if (procfs_stat_read(pid, &st) || st.ppid != getpid())
			continue;
		if (st.state == 'Z') {
			(*dying)++;
			continue;
		}
		/* only what this component started: not, say, a tmux server
		 * that daemonized under us */
		env_component(pid, name, sizeof(name), NULL);
		if (!name[0] && !procfs_has_mm(pid))
			(*dying)++;	/* exiting: its memory is gone */
		else if (!strcmp(name, c->cc->name) && !healer_pid_add(c, pid))
			n++;
	}
	closedir(d);
	return n;
}

/* Our children nobody tracks: what a daemonizing service left behind
 * (reparented to us, the subreaper).  Returns how many were taken; *dying
 * counts our children still exiting (a double fork's middle process):
 * their children come to us only once they are zombies. */
int healer_adopt_children(struct hcomp *c, int *dying)
{
	int n = 0;

	for (int pass = 0; pass < 2 && !n; pass++) {
		*dying = 0;
		n = adopt_pass(c, dying);
		if (!*dying)
			break;
	}
	return n;
}

/* At shutdown: children of ours in another process group than ours,
 * carrying one of our components' HMS_COMPONENT, are what spawned
 * components left behind (a double fork in progress while they were
 * stopped, workers of a killed main process).  Kill them (not those of a
 * component kept at daemon stop), reap them, and look again: a dying
 * middle process hands its child to us. */
void healer_kill_leftovers(struct hms_healer *h)
{
	pid_t pg = getpgrp();

	for (int pass = 0; pass < 8; pass++) {
		struct dirent *de;
		int found = 0;
		DIR *d = opendir("/proc");

		if (!d)
			return;
		while ((de = readdir(d))) {
			pid_t pid = atoi(de->d_name);
			char name[CONFIG_NAME_LEN];
			struct procfs_stat st;
			struct hcomp *c;

			if (pid <= 0)
				continue;
			if (procfs_stat_read(pid, &st) || st.ppid != getpid() ||
			    st.pgrp == pg)
				continue;
			env_component(pid, name, sizeof(name), NULL);
			c = name[0] ? healer_find(h, name) : NULL;
			if (!c || c->cc->on_daemon_stop == ON_STOP_KEEP)
				continue;	/* not ours to stop */
			found++;
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		closedir(d);
		if (!found)
			return;
	}
}


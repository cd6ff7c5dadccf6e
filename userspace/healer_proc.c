// SPDX-License-Identifier: BSD-2-Clause
/* healer_proc.c - the processes of a component: its pid set, spawning it
 * (with its user, group, cwd, environment and cgroup), stopping it with
 * its stop signal and timeout, and the exit statuses we reap.  Finding
 * processes we did not start is healer_adopt.c. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "bus.h"
#include "event.h"
#include "healer_int.h"
#include "procfs.h"
#include "loop.h"
#include "sensors.h"

bool healer_pid_has(const struct hcomp *c, pid_t pid)
{
	for (size_t i = 0; i < c->n_pids; i++)
		if (c->pids[i] == pid)
			return true;
	return false;
}

/* Remember the memory cgroup of the main process: once it is dead (OOM)
 * /proc no longer tells. */
static void healer_note_cgroup(struct hcomp *c, pid_t pid)
{
	static const struct { const char *root; bool v2; } roots[] = {
		{ "/sys/fs/cgroup/memory", false },
		{ "/sys/fs/cgroup/unified", true },
		{ "/sys/fs/cgroup", true },
	};
	const char *dir = c->cc->cgroup;

	for (size_t i = 0; dir[0] && i < 3; i++) {
		size_t l = strlen(roots[i].root);

		if (!strncmp(dir, roots[i].root, l) &&
		    (dir[l] == '/' || !dir[l])) {
			snprintf(c->cg, sizeof(c->cg), "%s",
				 dir[l] ? dir + l : "/");
			c->cg_v2 = roots[i].v2;
			return;
		}
	}
	if (actions_cgroup_of(pid, c->cg, sizeof(c->cg), &c->cg_v2) < 0)
		c->cg[0] = '\0';
}

/* pid (one of c's) is its main process now. */
void healer_set_main(struct hcomp *c, pid_t pid)
{
	c->pid = pid;
	healer_note_cgroup(c, pid);
	healer_pressure_attach(c);
	if (procfs_comm_read(pid, c->comm, sizeof(c->comm)))
		c->comm[0] = '\0';
}

int healer_pid_add(struct hcomp *c, pid_t pid)
{
	if (pid <= 0 || healer_pid_has(c, pid))
		return 0;
	if (c->n_pids == HC_MAX_PIDS)
		return -ENOSPC;
	/* exit notification even without sensors; for our children this
	 * also reaps and gives the status.  No pidfd: it is gone already. */
	if (actions_watch(c->h->actions, pid, healer_child_exit, c) < 0)
		return -ESRCH;
	c->pids[c->n_pids++] = pid;
	healer_pidmap_set(c->h, pid, c);
	if (!c->pid)
		healer_set_main(c, pid);
	if (c->h->sensors)
		sensors_watch_tgid(c->h->sensors, (uint32_t)pid, true);
	return 0;
}

bool healer_pid_del(struct hcomp *c, pid_t pid)
{
	for (size_t i = 0; i < c->n_pids; i++) {
		if (c->pids[i] != pid)
			continue;
		c->pids[i] = c->pids[--c->n_pids];
		healer_pidmap_del(c->h, pid, c);
		if (!c->n_pids)
			healer_tick_want(c->h);
		actions_unwatch(c->h->actions, pid);
		if (c->h->sensors)
			sensors_watch_tgid(c->h->sensors, (uint32_t)pid, false);
		return true;
	}
	return false;
}


/* The configured output; the default is the journal under systemd, else
 * <state dir>/<component>.log where the state dir holds daemon.registry
 * (none without a registry: /dev/null). */
void healer_output(const struct hcomp *c, struct actions_output *o,
		   char *path, size_t len)
{
	const struct cfg_component *cc = c->cc;
	const char *reg = c->h->cfg->daemon.registry, *slash;

	memset(o, 0, sizeof(*o));
	o->ident = cc->name;
	switch (cc->output) {
	case OUTPUT_NULL:
		o->kind = ACTIONS_OUT_NULL;
		return;
	case OUTPUT_INHERIT:
		o->kind = ACTIONS_OUT_INHERIT;
		return;
	case OUTPUT_JOURNAL:
		o->kind = ACTIONS_OUT_JOURNAL;
		return;
	case OUTPUT_FILE:
		o->kind = ACTIONS_OUT_FILE;
		o->path = cc->output_path;
		return;
	case OUTPUT_DEFAULT:
		break;
	}
	if (getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID")) {
		o->kind = ACTIONS_OUT_JOURNAL;
		return;
	}
	slash = strrchr(reg, '/');
	if (reg[0] != '/' || !slash)
		return;			/* no state dir: /dev/null */
	snprintf(path, len, "%.*s/%s.log", (int)(slash - reg), reg, cc->name);
	o->kind = ACTIONS_OUT_FILE;
	o->path = path;
	o->make_dir = true;
}

/* cc->cgroup is an absolute directory: hand it over as is.  Returns once
 * the child is started; its exec outcome comes to healer_exec_done. */
int healer_comp_start(struct hcomp *c, bool recovery)
{
	const struct cfg_component *cc = c->cc;
	struct actions_spawn_opts o = {
		.argv = cc->command, .user = cc->user, .group = cc->group,
		.cwd = cc->cwd, .cgroup = cc->cgroup,
		.exec_cb = healer_exec_done, .exec_arg = c->h,
	};
	char why[96], mark[CONFIG_NAME_LEN + 16], *env[64];
	char owner[CONFIG_PATH_LEN + 16];
	char out[CONFIG_PATH_LEN + CONFIG_NAME_LEN + 8];
	size_t n = 0;
	pid_t pid;
	int err;

	if (!cc->command)
		return -ENOEXEC;
	/* the mark that lets us know its descendants (healer_adopt.c) */
	snprintf(mark, sizeof(mark), "HMS_COMPONENT=%s", cc->name);
	/* ... and which daemon spawned it (one per socket): a restarted
	 * daemon adopts only its own leftovers, never another's */
	snprintf(owner, sizeof(owner), "HMS_DAEMON=%s",
		 c->h->cfg->daemon.socket);
	for (size_t i = 0; cc->env && cc->env[i] && n < 61; i++)
		env[n++] = cc->env[i];
	env[n++] = mark;
	env[n++] = owner;
	env[n] = NULL;
	o.env = env;
	o.cgroup2 = healer_pressure_prepare(c);
	healer_output(c, &o.out, out, sizeof(out));
	err = actions_spawn(c->h->actions, &o, &pid);
	if (err)
		return err;
	c->pid = 0;
	c->pgid = pid;		/* its own session: the group is the first pid */
	healer_pid_add(c, pid);
	if (recovery) {
		c->restarts++;
		return 0;
	}
	snprintf(why, sizeof(why), "spawned pid %d", (int)pid);
	healer_set_state(c, HEALER_STARTING, why);
	healer_arm(c, HT_GRACE, cc->start_grace_ms);
	return 0;
}

/* The exec of a component we started worked or failed.  A restart waits
 * for it (healer_chain.c); a failed exec is a failed start, never an
 * exit of the component. */
void healer_exec_done(pid_t pid, int err, void *arg)
{
	struct hcomp *c = healer_comp_of_pid(arg, pid);
	struct healer_failure f = { .fc = FAIL_MISSING };
	char detail[96];
	bool waited;

	if (!c)
		return;
	waited = c->busy && c->exec_pid == pid;
	if (waited)
		c->exec_pid = 0;
	if (!err) {
		if (!waited)
			return;
		snprintf(detail, sizeof(detail), "new pid %d", (int)pid);
		healer_action_event(c, ACTION_RESTART, 1, 0, pid, detail);
		c->step++;
		healer_chain_next(c);
		return;
	}
	healer_pid_del(c, pid);
	if (c->pid == pid)
		c->pid = c->n_pids ? c->pids[0] : 0;
	if (c->pgid == pid)
		c->pgid = 0;
	snprintf(detail, sizeof(detail), "start failed: %s", strerror(-err));
	if (waited) {
		healer_action_event(c, ACTION_RESTART, 1, err, pid, detail);
		healer_recovery_abort(c, err);
		return;
	}
	snprintf(f.cause, sizeof(f.cause), "%s", detail);
	healer_failure(c, &f);
}

/* Asynchronous stop: the stop signal now, SIGKILL at the timeout; the
 * exits come back through healer_proc_gone with c->stopping set. */
/* sig to every process of c, and to the process group we made for it */
static void comp_signal(struct hcomp *c, int sig)
{
	for (size_t i = 0; i < c->n_pids; i++)
		kill(c->pids[i], sig);
	if (c->pgid > 0)
		kill(-c->pgid, sig);
}

void healer_comp_kill_begin(struct hcomp *c)
{
	comp_signal(c, c->cc->stop_signal);
}

void healer_comp_stop(struct hcomp *c)
{
	c->stopping = true;
	comp_signal(c, c->cc->stop_signal);
	healer_arm(c, HT_STOP, c->cc->stop_timeout_ms);
}

static void wait_gone(pid_t pid, uint64_t deadline_ns)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now = loop_now_ns();

	if (fd < 0)
		return;
	if (deadline_ns > now)
		poll(&pfd, 1, (int)((deadline_ns - now) / 1000000));
	close(fd);
}

/* SIGKILL everything left.  With wait_ms (shutdown, or a component
 * removed by a reload) the stop signal goes first and we wait for the
 * processes, bounded by wait_ms; the caller decides whether the
 * component is ours to stop (on_daemon_stop). */
void healer_comp_kill_now(struct hcomp *c, uint32_t wait_ms)
{
	if (!wait_ms) {
		comp_signal(c, SIGKILL);
		return;
	}
	comp_signal(c, c->cc->stop_signal);
	healer_comp_kill_finish(c, loop_now_ns() +
				(uint64_t)wait_ms * 1000000ull);
}

/* The second half of healer_comp_kill_now, after the stop signal went:
 * wait for c's processes until deadline_ns, then SIGKILL what is left.
 * Shutdown signals every component first and then waits for each, so
 * 1,000 components stop in the time of the slowest, not of the sum. */
void healer_comp_kill_finish(struct hcomp *c, uint64_t deadline)
{
	for (size_t i = 0; i < c->n_pids; i++)
		wait_gone(c->pids[i], deadline);
	if (c->pgid > 0)
		kill(-c->pgid, SIGKILL);
	for (size_t i = 0; i < c->n_pids; i++) {
		kill(c->pids[i], SIGKILL);
		wait_gone(c->pids[i], loop_now_ns() + 1000000000ull);
		waitpid(c->pids[i], NULL, WNOHANG);
		actions_unwatch(c->h->actions, c->pids[i]);
		healer_pidmap_del(c->h, c->pids[i], c);
	}
	c->n_pids = 0;
	healer_tick_want(c->h);
	c->pid = 0;
}

static void status_of(const siginfo_t *si, int32_t *code, uint32_t *sig,
		      uint32_t *core, bool *known)
{
	*code = 0;
	*sig = 0;
	*core = 0;
	*known = true;
	switch (si->si_code) {
	case CLD_EXITED:
		*code = si->si_status;
		break;
	case CLD_KILLED:
		*sig = (uint32_t)si->si_status;
		break;
	case CLD_DUMPED:
		*sig = (uint32_t)si->si_status;
		*core = 1;
		break;
	default:
		*known = false;	/* not our child: the sensors know */
	}
}

static void healer_exit_status(struct hcomp *c, pid_t pid,
			       const siginfo_t *si)
{
	struct hms_healer *h = c->h;
	int32_t code;
	uint32_t sig, core;
	bool known;

	/* the sensors may hold the why (OOM, sender): read them first */
	if (h->sensors)
		sensors_drain(h->sensors);
	c = healer_comp_of_pid(h, pid);
	if (!c)
		return;		/* the sensors' exit event handled it */
	status_of(si, &code, &sig, &core, &known);
	healer_proc_gone(c, pid, code, sig, core, 0, known);
}

void healer_child_exit(pid_t pid, const siginfo_t *si, void *arg)
{
	struct hcomp *c = arg;

	healer_exit_status(c, pid, si);
}

void healer_orphan_exit(pid_t pid, const siginfo_t *si, void *arg)
{
	struct hms_healer *h = arg;
	struct hcomp *c = healer_comp_of_pid(h, pid);

	if (c) {
		healer_exit_status(c, pid, si);
		return;
	}
	/* a double fork's middle process: its child is ours now */
	for (size_t i = 0; i < h->n_comps; i++)
		if (h->comps[i].timer_what == HT_ADOPT) {
			loop_timer_disarm(h->comps[i].timer);
			healer_adopt_retry(&h->comps[i]);
		}
}

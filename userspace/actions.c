/* actions.c - child processes: spawn with user/group/cwd/env/cgroup and an
 * exec-or-errno handshake, hooks with a group-killing timeout, and the one
 * reaper (SIGCHLD signalfd + per-child pidfds) that routes every exit
 * status to its watcher.  Cgroup actions are in actions_cgroup.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "actions.h"
#include "loop.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct watch {
	pid_t pid;
	int pidfd;
	actions_exit_cb cb;
	void *arg;
	struct hms_actions *a;
	struct watch *next;
};

struct hms_actions {
	struct hms_loop *loop;
	int sfd;
	sigset_t old_mask;
	struct watch *watches;
	actions_exit_cb orphan_cb;
	void *orphan_arg;
};

struct action_hook {
	struct hms_actions *a;
	pid_t pid;
	struct hms_timer *timer;
	actions_hook_cb cb;
	void *arg;
	bool timed_out;
};

static struct watch *watch_find(struct hms_actions *a, pid_t pid)
{
	for (struct watch *w = a->watches; w; w = w->next)
		if (w->pid == pid)
			return w;
	return NULL;
}

static void watch_drop(struct hms_actions *a, struct watch *w)
{
	struct watch **pp = &a->watches;

	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	if (w->pidfd >= 0) {
		loop_del_fd(a->loop, w->pidfd);
		close(w->pidfd);
	}
	free(w);
}

/* Route a reaped child's status. */
static void actions_route(struct hms_actions *a, const siginfo_t *si)
{
	struct watch *w = watch_find(a, si->si_pid);

	if (w) {
		actions_exit_cb cb = w->cb;
		void *arg = w->arg;

		watch_drop(a, w);
		cb(si->si_pid, si, arg);
	} else if (a->orphan_cb) {
		a->orphan_cb(si->si_pid, si, a->orphan_arg);
	}
}

/* Is pid a zombie child of ours that is ours to reap: one we watch, or
 * one in another process group than ours (what we spawned, or an orphan
 * of it that daemonized).  A child in our own group was forked by other
 * code of this process, which waits for it itself. */
/* Reap every exited child and route it (a watch, else the orphan
 * callback).  The daemon's other forks (tmux runs) wait for their child
 * synchronously before the loop runs again, so nothing here steals. */
void actions_reap(struct hms_actions *a)
{
	for (;;) {
		siginfo_t si = { 0 };

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 ||
		    si.si_pid == 0)
			break;
		actions_route(a, &si);
	}
}

static void actions_on_pidfd(int fd, uint32_t events, void *arg)
{
	struct watch *w = arg;
	struct hms_actions *a = w->a;
	siginfo_t si = { 0 };

	(void)events;
	if (waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) == 0) {
		if (si.si_pid)
			actions_route(a, &si);
		return;		/* readable before it is a zombie: again */
	}
	if (errno != ECHILD)
		return;
	/* not our child (adopted): it is gone, the status is unknown */
	memset(&si, 0, sizeof(si));
	si.si_pid = w->pid;
	si.si_code = 0;
	actions_route(a, &si);
}

static void actions_on_sigchld(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo ssi;

	(void)events;
	while (read(fd, &ssi, sizeof(ssi)) == sizeof(ssi))
		;
	actions_reap(arg);
}

int actions_new(struct hms_loop *loop, struct hms_actions **out)
{
	struct hms_actions *a;
	sigset_t mask;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->loop = loop;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &a->old_mask);
	a->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sfd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = loop_add_fd(loop, a->sfd, EPOLLIN, actions_on_sigchld, a);
	if (err)
		goto cleanup;
	*out = a;
	return 0;
cleanup:
	if (a->sfd >= 0)
		close(a->sfd);
	free(a);
	return err;
}

void actions_free(struct hms_actions *a)
{
	if (!a)
		return;
	while (a->watches)
		watch_drop(a, a->watches);
	loop_del_fd(a->loop, a->sfd);
	close(a->sfd);
	free(a);
}

int actions_watch(struct hms_actions *a, pid_t pid, actions_exit_cb cb,
		  void *arg)
{
	struct watch *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->pid = pid;
	w->cb = cb;
	w->arg = arg;
	w->a = a;
	w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (w->pidfd < 0) {
		err = -errno;
		free(w);
		return err;
	}
	err = loop_add_fd(a->loop, w->pidfd, EPOLLIN, actions_on_pidfd, w);
	if (err) {
		close(w->pidfd);
		free(w);
		return err;
	}
	w->next = a->watches;
	a->watches = w;
	return 0;
}

void actions_unwatch(struct hms_actions *a, pid_t pid)
{
	struct watch *w = watch_find(a, pid);

	if (w)
		watch_drop(a, w);
}

bool actions_watched(struct hms_actions *a, pid_t pid)
{
	return watch_find(a, pid) != NULL;
}

void actions_set_orphan_cb(struct hms_actions *a, actions_exit_cb cb,
			   void *arg)
{
	a->orphan_cb = cb;
	a->orphan_arg = arg;
}

/* In the child: never returns; writes errno to fd on failure. */
static void __attribute__((noreturn))
spawn_child(const struct actions_spawn_opts *o, int fd)
{
	extern char **environ;
	sigset_t none;
	int err = 0;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (o->new_pgrp)
		setpgid(0, 0);
	/* stdout belongs to the daemon's --json stream */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	err = open("/dev/null", O_RDONLY);
	if (err >= 0 && err != STDIN_FILENO) {
		dup2(err, STDIN_FILENO);
		close(err);
	}
	err = 0;
	if (o->cgroup && o->cgroup[0]) {
		char path[512];
		int cfd;

		snprintf(path, sizeof(path), "%s/cgroup.procs", o->cgroup);
		cfd = open(path, O_WRONLY | O_CLOEXEC);
		if (cfd < 0 || write(cfd, "0", 1) != 1) {
			err = errno;
			goto fail;
		}
		close(cfd);
	}
	if (o->group && o->group[0]) {
		struct group *gr = getgrnam(o->group);

		if (!gr || setgid(gr->gr_gid) < 0) {
			err = gr ? errno : ESRCH;
			goto fail;
		}
	}
	if (o->user && o->user[0]) {
		struct passwd *pw = getpwnam(o->user);

		if (!pw) {
			err = ESRCH;
			goto fail;
		}
		if ((!o->group || !o->group[0]) && setgid(pw->pw_gid) < 0)
			goto fail_errno;
		if (initgroups(pw->pw_name, getgid()) < 0 ||
		    setuid(pw->pw_uid) < 0)
			goto fail_errno;
	}
	if (o->cwd && o->cwd[0] && chdir(o->cwd) < 0)
		goto fail_errno;
	for (char *const *e = o->env; e && *e; e++)
		putenv(*e);
	execvpe(o->argv[0], o->argv, environ);
fail_errno:
	err = errno;
fail:
	if (write(fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int actions_spawn(const struct actions_spawn_opts *o, pid_t *pid)
{
	int p[2], child_err = 0;
	ssize_t n;
	pid_t c;

	if (!o->argv || !o->argv[0])
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c = fork();
	if (c < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (c == 0) {
		close(p[0]);
		spawn_child(o, p[1]);
	}
	close(p[1]);
	/* EOF at exec (CLOEXEC) or the child's errno */
	do
		n = read(p[0], &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == sizeof(child_err)) {
		waitpid(c, NULL, 0);
		return -child_err;
	}
	*pid = c;
	return 0;
}

static void hook_free(struct action_hook *hk)
{
	loop_timer_free(hk->timer);
	free(hk);
}

static void hook_exited(pid_t pid, const siginfo_t *si, void *arg)
{
	struct action_hook *hk = arg;
	int result = 0;

	(void)pid;
	/* the leader is gone: its group goes with it on a timeout */
	if (hk->timed_out)
		result = -ETIMEDOUT;
	else if (si->si_code != CLD_EXITED || si->si_status != 0)
		result = -ECHILD;
	if (hk->timed_out)
		kill(-hk->pid, SIGKILL);
	hk->cb(result, si, hk->arg);
	hook_free(hk);
}

static void hook_timeout(struct hms_timer *t, void *arg)
{
	struct action_hook *hk = arg;

	(void)t;
	hk->timed_out = true;
	kill(-hk->pid, SIGKILL);
}

int actions_hook_run(struct hms_actions *a, const struct actions_spawn_opts *o,
		     uint32_t timeout_ms, actions_hook_cb cb, void *arg,
		     struct action_hook **out)
{
	struct actions_spawn_opts so = *o;
	struct action_hook *hk;
	int err;

	hk = calloc(1, sizeof(*hk));
	if (!hk)
		return -ENOMEM;
	hk->a = a;
	hk->cb = cb;
	hk->arg = arg;
	err = loop_timer_new(a->loop, hook_timeout, hk, &hk->timer);
	if (err)
		goto cleanup;
	so.new_pgrp = true;
	err = actions_spawn(&so, &hk->pid);
	if (err)
		goto cleanup;
	err = actions_watch(a, hk->pid, hook_exited, hk);
	if (err) {
		kill(-hk->pid, SIGKILL);
		goto cleanup;
	}
	loop_timer_arm(hk->timer, (uint64_t)timeout_ms * 1000000ull, 0);
	if (out)
		*out = hk;
	return 0;
cleanup:
	hook_free(hk);
	return err;
}

pid_t actions_hook_pid(const struct action_hook *hk)
{
	return hk ? hk->pid : 0;
}

void actions_hook_cancel(struct action_hook *hk)
{
	if (!hk)
		return;
	kill(-hk->pid, SIGKILL);
	actions_unwatch(hk->a, hk->pid);
	/* reaped later by the SIGCHLD sweep as an orphan-less exit */
	hook_free(hk);
}

int actions_signal(pid_t pid, int sig)
{
	if (pid <= 0)
		return -EINVAL;
	return kill(pid, sig) < 0 ? -errno : 0;
}

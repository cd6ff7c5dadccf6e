// SPDX-License-Identifier: BSD-2-Clause
/* actions.c - the one reaper of the daemon's children (SIGCHLD signalfd +
 * per-child pidfds) that routes every exit status to its watcher, and
 * hooks: a child under a timeout that kills its whole process group.
 * Starting a child is actions_spawn.c, its output actions_output.c, cgroup
 * actions actions_cgroup.c. */
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
#include "actions_int.h"
#include "loop.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct action_hook {
	struct hms_actions *a;
	pid_t pid;
	struct hms_timer *timer;
	actions_hook_cb cb;
	void *arg;
	bool timed_out;
};

static struct watch **watch_bucket(struct hms_actions *a, pid_t pid)
{
	return &a->watches[(uint32_t)pid % ACTIONS_WBUCKETS];
}

static struct watch *watch_find(struct hms_actions *a, pid_t pid)
{
	for (struct watch *w = *watch_bucket(a, pid); w; w = w->next)
		if (w->pid == pid)
			return w;
	return NULL;
}

static void watch_drop(struct hms_actions *a, struct watch *w)
{
	struct watch **pp = watch_bucket(a, w->pid);

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

void actions_swallow(pid_t pid, const siginfo_t *si, void *arg)
{
	(void)pid;
	(void)si;
	(void)arg;
}

/* Route a reaped child's status: its exec outcome first (so a failed
 * exec is reported as that, not as an exit), then its watch. */
static void actions_route(struct hms_actions *a, const siginfo_t *si)
{
	int failed = actions_spawn_settle(a, si->si_pid);
	struct watch *w = watch_find(a, si->si_pid);

	if (w) {
		actions_exit_cb cb = w->cb;
		void *arg = w->arg;

		watch_drop(a, w);
		cb(si->si_pid, si, arg);
	} else if (a->orphan_cb && !failed) {
		a->orphan_cb(si->si_pid, si, a->orphan_arg);
	}
}

/* Reap every exited child of this process and route it (a watch, else
 * the orphan callback).  Nothing else in the daemon waits for a child:
 * tmux and hooks run through actions_spawn too. */
void actions_reap(struct hms_actions *a)
{
	if (!a->reap_all)
		return;		/* watched children come through pidfds */
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
	a->sfd = -1;
	a->reap_all = true;
	a->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (a->null_fd >= 0 && a->null_fd < 3) {
		int fd = fcntl(a->null_fd, F_DUPFD_CLOEXEC, 3);

		close(a->null_fd);
		a->null_fd = fd;
	}
	if (a->null_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
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
	if (a->null_fd >= 0)
		close(a->null_fd);
	free(a);
	return err;
}

void actions_free(struct hms_actions *a)
{
	if (!a)
		return;
	actions_spawn_free_all(a);
	for (size_t i = 0; i < ACTIONS_WBUCKETS; i++)
		while (a->watches[i])
			watch_drop(a, a->watches[i]);
	loop_del_fd(a->loop, a->sfd);
	close(a->sfd);
	close(a->null_fd);
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
	w->next = *watch_bucket(a, pid);
	*watch_bucket(a, pid) = w;
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

void actions_reap_only_watched(struct hms_actions *a)
{
	a->reap_all = false;
}

void actions_set_orphan_cb(struct hms_actions *a, actions_exit_cb cb,
			   void *arg)
{
	a->orphan_cb = cb;
	a->orphan_arg = arg;
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
	err = actions_spawn(a, &so, &hk->pid);
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

void actions_hook_set_arg(struct action_hook *hk, void *arg)
{
	if (hk)
		hk->arg = arg;
}

void actions_hook_cancel(struct action_hook *hk)
{
	if (!hk)
		return;
	kill(-hk->pid, SIGKILL);
	/* its exit is still reaped here, and reported to nobody */
	actions_unwatch(hk->a, hk->pid);
	actions_watch(hk->a, hk->pid, actions_swallow, NULL);
	hook_free(hk);
}

int actions_signal(pid_t pid, int sig)
{
	if (pid <= 0)
		return -EINVAL;
	return kill(pid, sig) < 0 ? -errno : 0;
}

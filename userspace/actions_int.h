/* SPDX-License-Identifier: BSD-2-Clause */
/* actions_int.h - the runner's state, shared by actions.c (reaper,
 * watches, hooks) and actions_spawn.c (starting a child). */
#ifndef HMS_ACTIONS_INT_H
#define HMS_ACTIONS_INT_H

#include <signal.h>
#include "actions.h"

struct watch {
	pid_t pid;
	int pidfd;
	actions_exit_cb cb;
	void *arg;
	struct hms_actions *a;
	struct watch *next;		/* in its bucket */
};

/* watches by pid: an exec event asks "is this ours?" in O(1) */
#define ACTIONS_WBUCKETS	1024

/* A started child whose exec outcome has not been read yet: the read
 * end of its close-on-exec pipe (EOF = exec'd, 4 bytes = errno). */
struct spawn_rec {
	struct hms_actions *a;
	pid_t pid;
	int fd;
	actions_exec_cb cb;
	void *arg;
	struct spawn_rec *next;
};

struct hms_actions {
	struct hms_loop *loop;
	int sfd;
	bool reap_all;			/* P_ALL on SIGCHLD (the daemon) */
	int null_fd;			/* /dev/null, fd >= 3, for children */
	struct watch *watches[ACTIONS_WBUCKETS];
	struct spawn_rec *spawns;
	unsigned int n_spawns;
	actions_exit_cb orphan_cb;
	void *orphan_arg;
};

/* Read pid's exec outcome now if it is pending and report it; returns
 * the error (< 0) when the exec failed, 0 otherwise. */
int actions_spawn_settle(struct hms_actions *a, pid_t pid);
void actions_spawn_free_all(struct hms_actions *a);
/* An exit callback that reports to nobody (the child is still reaped). */
void actions_swallow(pid_t pid, const siginfo_t *si, void *arg);

#endif

/* actions.h - the things the healer does to a host: spawn a component
 * (fork/exec of an argv, no shell), signal it, run a hook with a timeout
 * that kills its whole process group, raise a cgroup's memory limit or cpu
 * weight.  It also owns child reaping: hms-ebpf is a child subreaper, so
 * every exited child of ours (spawned, or an orphan of a daemonizing
 * service) is reaped here at once and its status routed to whoever
 * watches that pid. */
#ifndef HMS_ACTIONS_H
#define HMS_ACTIONS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hms_names.h"

/* enum action_kind is in bpf/hms_event.h, its names in common/. */
static inline const char *actions_kind_name(int kind)
{
	return hms_action_kind_name(kind);
}

static inline int actions_kind_from_name(const char *name)
{
	return hms_action_kind_from_name(name);
}

struct hms_loop;
struct hms_actions;
struct action_hook;

typedef void (*actions_exit_cb)(pid_t pid, const siginfo_t *si, void *arg);

/* Blocks SIGCHLD and reaps through a signalfd and per-child pidfds. */
int actions_new(struct hms_loop *loop, struct hms_actions **out);
void actions_free(struct hms_actions *a);

/* Report pid's exit (reaped by us) to cb; pid must be our child. */
int actions_watch(struct hms_actions *a, pid_t pid, actions_exit_cb cb,
		  void *arg);
void actions_unwatch(struct hms_actions *a, pid_t pid);
bool actions_watched(struct hms_actions *a, pid_t pid);
/* Called for reaped children nobody watched (adopted orphans). */
void actions_set_orphan_cb(struct hms_actions *a, actions_exit_cb cb,
			   void *arg);
/* Reap now (also done on SIGCHLD) every exited child that is ours: the
 * watched ones and any in another process group than this process's (what
 * we spawned and its orphans).  Children in our own process group belong
 * to other code of this process, which waits for them itself. */
void actions_reap(struct hms_actions *a);

struct actions_spawn_opts {
	char *const *argv;		/* argv[0] is the path (PATH searched) */
	char *const *env;		/* extra "K=V" on top of ours, or NULL */
	const char *user;		/* NULL/"" = unchanged */
	const char *group;
	const char *cwd;
	const char *cgroup;		/* join this cgroup first, or NULL */
	bool new_pgrp;			/* own process group */
};

/* fork + exec; returns once the child has exec'd (0, *pid set) or failed
 * to (-errno from the child, nothing left running). */
int actions_spawn(const struct actions_spawn_opts *o, pid_t *pid);

typedef void (*actions_hook_cb)(int result, const siginfo_t *si, void *arg);

/* Run a hook in its own process group; cb gets 0 on exit 0, -ECHILD on
 * another status, -ETIMEDOUT when the group was killed at the timeout. */
int actions_hook_run(struct hms_actions *a, const struct actions_spawn_opts *o,
		     uint32_t timeout_ms, actions_hook_cb cb, void *arg,
		     struct action_hook **out);
pid_t actions_hook_pid(const struct action_hook *hk);
/* Kill a running hook's group and forget it (cb is not called). */
void actions_hook_cancel(struct action_hook *hk);

int actions_signal(pid_t pid, int sig);

/* cgroup of pid for the memory controller (v1) or unified (v2): path
 * relative to the hierarchy root, *v2 set.  -ENOENT if none. */
int actions_cgroup_of(pid_t pid, char *buf, size_t len, bool *v2);
/* Absolute directory of a cgroup path for memory: v1 or v2. */
int actions_cgroup_dir(const char *cgroup, bool v2, char *buf, size_t len);
/* Raise the memory limit of cgroup by factor, at most max_mb (0 = no cap).
 * Reports old and new limits in bytes. */
int actions_memory_raise(const char *cgroup, bool v2, double factor,
			 uint64_t max_mb, uint64_t *old_b, uint64_t *new_b);
/* Raise the cpu weight of pid's cgroup (v1 cpu.shares scaled from a
 * weight of 100 = 1024 shares, or v2 cpu.weight; never the root cgroup)
 * when weight is set, and set the nice value of pid. */
int actions_cpu_raise(pid_t pid, uint32_t weight, int nice);

#endif

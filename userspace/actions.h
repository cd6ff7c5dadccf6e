/* SPDX-License-Identifier: BSD-2-Clause */
/* actions.h - the things the healer does to a host, and the one way this
 * daemon runs a child process.
 *
 * Every child (component, hook, tmux command, probe) is started by
 * actions_spawn: an argv (no shell), in its own session without a
 * controlling terminal (setsid), stdin from /dev/null, stdout and stderr
 * to its configured output (never the daemon's terminal), a clean
 * environment as sudo's env_reset makes it, only fds 0-2, as its user and
 * groups, in its cwd and cgroup.  actions_spawn never waits for the child:
 * it returns the pid at once and the outcome of the exec (0 or -errno)
 * comes later through the loop (exec_cb).
 *
 * Reaping: hms-ebpf is a child subreaper and actions owns reaping.  On
 * SIGCHLD (signalfd) and on the pidfd of a watched child every exited
 * child of this process is reaped here (waitid(P_ALL)) and its status
 * routed to whoever watches that pid, else to the orphan callback.  No
 * other code of the daemon may wait for a child. */
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

/* Report pid's exit to cb (with its status when pid is our child; an
 * adopted pid's exit has si_code 0). */
int actions_watch(struct hms_actions *a, pid_t pid, actions_exit_cb cb,
		  void *arg);
void actions_unwatch(struct hms_actions *a, pid_t pid);
bool actions_watched(struct hms_actions *a, pid_t pid);
/* Called for reaped children nobody watched (adopted orphans). */
void actions_set_orphan_cb(struct hms_actions *a, actions_exit_cb cb,
			   void *arg);
/* Reap now (also done on SIGCHLD) every exited child of this process and
 * route its status: to its watch, else to the orphan callback. */
void actions_reap(struct hms_actions *a);
/* For a process whose other code waits for its own children (a test, a
 * bench): reap only the watched ones (through their pidfds). */
void actions_reap_only_watched(struct hms_actions *a);

/* Where a child's stdout and stderr go. */
enum actions_out_kind {
	ACTIONS_OUT_NULL = 0,	/* /dev/null */
	ACTIONS_OUT_INHERIT,	/* the daemon's stderr, unless a terminal */
	ACTIONS_OUT_JOURNAL,	/* sd_journal_stream_fd(ident) */
	ACTIONS_OUT_FILE,	/* path, O_APPEND, rotated at open */
	ACTIONS_OUT_FD,		/* stdout and stderr to fd (a pipe) */
};

struct actions_output {
	int kind;			/* enum actions_out_kind */
	const char *path;		/* FILE: absolute path */
	const char *ident;		/* JOURNAL: SYSLOG_IDENTIFIER */
	int fd;				/* FD: stays the caller's */
	uint64_t max_bytes;		/* FILE: rotate to PATH.1 above this
					 * size at open; 0 = 16 MiB */
	bool make_dir;			/* FILE: create its dir (0750) */
};

/* The outcome of exec: 0 when the program runs, else -errno (the child
 * is gone; its exit is swallowed unless somebody watches it). */
typedef void (*actions_exec_cb)(pid_t pid, int err, void *arg);

struct actions_spawn_opts {
	char *const *argv;		/* argv[0]: a path, or searched in
					 * ACTIONS_PATH */
	char *const *env;		/* "K=V" on top of the clean set; a
					 * later key replaces an earlier one;
					 * control bytes become '?' */
	const char *user;		/* NULL/"" = the daemon's user */
	const char *group;		/* NULL/"" = the user's group */
	const char *cwd;		/* NULL/"" = / */
	const char *cgroup;		/* absolute cgroup dir to join, or NULL */
	const char *cgroup2;		/* and this one (another hierarchy:
					 * the cgroup v2 for pressure) */
	struct actions_output out;	/* zero = /dev/null */
	bool terminal;			/* `tmux attach` only: keeps the
					 * daemon's session, fds 0-2 and
					 * environment */
	actions_exec_cb exec_cb;	/* may be NULL */
	void *exec_arg;
	int in_fd;			/* > 2: stdin from this fd (the
					 * registry store's socket); else
					 * /dev/null */
};

/* The PATH every child gets and that argv[0] is searched in. */
#define ACTIONS_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
		     "/sbin:/bin"

/* Start a child (clone(CLONE_VM|CLONE_VFORK): no copy of the daemon's
 * memory, the daemon resumes once the child has exec'd or failed) and
 * return at once: 0 and *pid, or -errno when nothing was started (unknown
 * user or group, cgroup not joinable, fork failure).  An output that
 * cannot be opened becomes /dev/null (said on stderr).  An exec failure is
 * reported later, in the loop, through exec_cb. */
int actions_spawn(struct hms_actions *a, const struct actions_spawn_opts *o,
		  pid_t *pid);
/* Report pid's exec outcome now if it is still pending (exec_cb runs
 * before this returns): for a caller that learned of pid's exit another
 * way (the sensors) and must not take a failed exec for an exit.  The
 * exec error (< 0), else 0. */
int actions_settle(struct hms_actions *a, pid_t pid);
/* Children started whose exec outcome is not known yet. */
unsigned int actions_pending(const struct hms_actions *a);

typedef void (*actions_hook_cb)(int result, const siginfo_t *si, void *arg);

/* Run a hook (its own session and process group); cb gets 0 on exit 0,
 * -ECHILD on another status, -ETIMEDOUT when the group was killed at the
 * timeout. */
int actions_hook_run(struct hms_actions *a, const struct actions_spawn_opts *o,
		     uint32_t timeout_ms, actions_hook_cb cb, void *arg,
		     struct action_hook **out);
pid_t actions_hook_pid(const struct action_hook *hk);
/* Kill a running hook's group and forget it (cb is not called). */
void actions_hook_cancel(struct action_hook *hk);
/* Give a running hook's callback another arg (its owner moved: a
 * component carried across a reload). */
void actions_hook_set_arg(struct action_hook *hk, void *arg);

int actions_signal(pid_t pid, int sig);

/* Open where a child's output goes: *fd (close it) or -1 for /dev/null.
 * 0 or -errno. */
int actions_output_open(const struct actions_output *o, int *fd);

/* cgroup of pid for the memory controller (v1) or unified (v2): path
 * relative to the hierarchy root, *v2 set.  -ENOENT if none. */
int actions_cgroup_of(pid_t pid, char *buf, size_t len, bool *v2);
/* Absolute directory of a cgroup path for memory: v1 or v2. */
int actions_cgroup_dir(const char *cgroup, bool v2, char *buf, size_t len);
/* Raise the memory limit of cgroup by factor, at most max_mb (0 = no cap).
 * Reports old and new limits in bytes. */
int actions_memory_raise(const char *cgroup, bool v2, double factor,
			 uint64_t max_mb, uint64_t *old_b, uint64_t *new_b);
/* Senpai-style early reclaim: memory.high of the cgroup v2 directory
 * dir (absolute) set to ratio (0 < ratio <= 1) x its memory.max, page
 * aligned.  -EOPNOTSUPP when dir has no memory controller (memory is v1,
 * or not enabled in v2), -EALREADY when memory.max is "max". */
int actions_memory_high(const char *dir, double ratio, uint64_t *high_b,
			uint64_t *max_b);
/* io weight (1..10000, default 100): io.weight of the cgroup v2
 * directory dir when it has the io controller, else the v1 blkio weight
 * (BFQ or CFQ, 1..1000) of pid's blkio cgroup.  *where names the file
 * written.  -EOPNOTSUPP when neither exists (no io controller in v2 and
 * no weight-capable I/O scheduler in v1). */
int actions_io_weight(pid_t pid, const char *dir, uint32_t weight,
		      const char **where);
/* The controllers of the unified hierarchy (cgroup.controllers), one
 * line, "" when unknown: for an action's error detail. */
void actions_cgroup2_controllers(char *buf, size_t len);
/* Raise the cpu weight of pid's cgroup (v1 cpu.shares scaled from a
 * weight of 100 = 1024 shares, or v2 cpu.weight; never the root cgroup)
 * when weight is set, and set the nice value of pid. */
int actions_cpu_raise(pid_t pid, uint32_t weight, int nice);
/* Scheduling of every thread of pid: with rt_prio (1..99) SCHED_RR at
 * that priority (it preempts every fair task), else SCHED_OTHER with the
 * nice value and a slice (the request size EEVDF uses for the deadline,
 * kernel 6.12+; a short one lets a task that wakes often preempt). */
int actions_cpu_sched(pid_t pid, int nice, uint32_t slice_us,
		      uint32_t rt_prio);

#endif

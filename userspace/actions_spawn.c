// SPDX-License-Identifier: BSD-2-Clause
/* actions_spawn.c - the one way the daemon starts a child.
 *
 * Everything the child needs (its user's ids and groups, a clean
 * environment, its output fd, the cgroup.procs fd, the path of the
 * program) is prepared here in the daemon; the child itself, started with
 * clone(CLONE_VM|CLONE_VFORK) so that nothing of the daemon's memory is
 * copied, only makes raw system calls (no libc state: it shares the
 * daemon's memory, and glibc's set*id would act on the daemon's threads)
 * until execve.  Whether the exec worked is read from a close-on-exec pipe
 * in the loop, never waited for. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "actions.h"
#include "actions_int.h"
#include "log.h"
#include "loop.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif

#define SPAWN_STACK	(64 * 1024)
#define SPAWN_MAX_ENV	256

/* What the child does, all decided by the parent. */
struct spawn_plan {
	const char *path;		/* NULL: not found (ENOENT) */
	char *const *argv;
	char *const *envp;
	int null_fd, out_fd, err_fd, cg_fd, cg2_fd, pipe_fd;
	bool terminal, set_ids;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int n_groups;
	const char *cwd;
};

struct spawn_user {
	uid_t uid;
	gid_t gid;
	char name[64], home[256], shell[256];
	gid_t *groups;
	int n_groups;
};

/* ---- the child: raw system calls only ---- */

__attribute__((no_sanitize("address", "undefined"), noinline))
static long spawn_fd_to(int src, int dst)
{
	if (src == dst)
		return syscall(SYS_fcntl, dst, F_SETFD, 0);
	return syscall(SYS_dup3, src, dst, 0);
}

__attribute__((no_sanitize("address", "undefined"), noinline))
static int spawn_child(void *arg)
{
	const struct spawn_plan *p = arg;
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };
	unsigned long none = 0;
	int err;

	/* the daemon blocks and ignores signals: defaults for the child */
	for (int s = 1; s <= 64; s++)
		if (s != SIGKILL && s != SIGSTOP)
			syscall(SYS_rt_sigaction, s, &dfl, NULL, 8);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
	if (!p->terminal) {
		/* own session: no controlling terminal, own process group */
		if (syscall(SYS_setsid) < 0 ||
		    spawn_fd_to(p->null_fd, 0) < 0 ||
		    spawn_fd_to(p->out_fd, 1) < 0 ||
		    spawn_fd_to(p->err_fd, 2) < 0)
			goto fail;
	}
	if (p->cg_fd >= 0 && syscall(SYS_write, p->cg_fd, "0", 1) != 1)
		goto fail;
	if (p->cg2_fd >= 0 && syscall(SYS_write, p->cg2_fd, "0", 1) != 1)
		goto fail;
	if (p->set_ids &&
	    (syscall(SYS_setgroups, p->n_groups, p->groups) < 0 ||
	     syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0 ||
	     syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0))
		goto fail;
	if (p->cwd && syscall(SYS_chdir, p->cwd) < 0)
		goto fail;
	/* only 0-2 survive the exec (the pipe is close-on-exec too) */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		goto fail;
	if (!p->path) {
		err = ENOENT;
		goto report;
	}
	syscall(SYS_execve, p->path, p->argv, p->envp);
fail:
	err = errno;
report:
	syscall(SYS_write, p->pipe_fd, &err, sizeof(err));
	syscall(SYS_exit_group, 127);
	return 127;
}

/* ---- the parent: prepare, start, forget ---- */

static int spawn_user(const struct actions_spawn_opts *o, struct spawn_user *u)
{
	struct passwd pwd, *pw = NULL;
	struct group grp, *gr = NULL;
	char buf[4096];
	int n = 32;

	if (o->user && o->user[0])
		getpwnam_r(o->user, &pwd, buf, sizeof(buf), &pw);
	else
		getpwuid_r(geteuid(), &pwd, buf, sizeof(buf), &pw);
	if (!pw)
		return -ESRCH;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
	snprintf(u->shell, sizeof(u->shell), "%s", pw->pw_shell);
	if (o->group && o->group[0]) {
		getgrnam_r(o->group, &grp, buf, sizeof(buf), &gr);
		if (!gr)
			return -ESRCH;
		u->gid = gr->gr_gid;
	}
	if (geteuid() != 0)
		return 0;
	for (;;) {
		gid_t *g = realloc(u->groups, (size_t)n * sizeof(*g));

		if (!g)
			return -ENOMEM;
		u->groups = g;
		if (getgrouplist(u->name, u->gid, g, &n) >= 0)
			break;
		if (n > 65536)
			return -E2BIG;
	}
	u->n_groups = n;
	return 0;
}

/* "K=V" with control bytes (C0, DEL, UTF-8 C1) shown as '?'. */
static char *spawn_env_clean(const char *kv)
{
	char *s = strdup(kv);

	for (unsigned char *p = (unsigned char *)s; s && *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = '?';
			p[1] = '?';
		}
	}
	return s;
}

/* Add kv (taken) to envp, replacing an earlier entry of the same key. */
static void spawn_env_put(char **envp, size_t *n, char *kv)
{
	const char *eq = kv ? strchr(kv, '=') : NULL;
	size_t klen;

	if (!eq) {
		free(kv);
		return;
	}
	klen = (size_t)(eq - kv) + 1;
	for (size_t i = 0; i < *n; i++)
		if (!strncmp(envp[i], kv, klen)) {
			free(envp[i]);
			envp[i] = kv;
			return;
		}
	if (*n + 1 >= SPAWN_MAX_ENV) {
		free(kv);
		return;
	}
	envp[(*n)++] = kv;
	envp[*n] = NULL;
}

static void spawn_env_free(char **envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
}

/* As sudo's env_reset: the user's HOME, USER, LOGNAME, SHELL, a fixed
 * PATH, then what the caller adds (configured env, HMS_*). */
static int spawn_env(const struct actions_spawn_opts *o,
		     const struct spawn_user *u, char ***out)
{
	char **envp = calloc(SPAWN_MAX_ENV, sizeof(*envp)), *kv;
	size_t n = 0;

	if (!envp)
		return -ENOMEM;
#define PUT(fmt, v) \
	if (asprintf(&kv, fmt, v) >= 0) spawn_env_put(envp, &n, kv)
	PUT("HOME=%s", u->home);
	PUT("USER=%s", u->name);
	PUT("LOGNAME=%s", u->name);
	PUT("SHELL=%s", u->shell[0] ? u->shell : "/bin/sh");
	PUT("PATH=%s", ACTIONS_PATH);
#undef PUT
	for (char *const *e = o->env; e && *e; e++)
		spawn_env_put(envp, &n, spawn_env_clean(*e));
	*out = envp;
	return 0;
}

/* argv[0] with a slash as it is, else the first executable in
 * ACTIONS_PATH; NULL when there is none (reported as ENOENT). */
static char *spawn_path(const char *cmd)
{
	const char *dir = ACTIONS_PATH;
	char *path = NULL;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	while (*dir) {
		size_t len = strcspn(dir, ":");

		if (asprintf(&path, "%.*s/%s", (int)len, dir, cmd) < 0)
			return NULL;
		if (!access(path, X_OK))
			return path;
		free(path);
		path = NULL;
		dir += len + (dir[len] == ':');
	}
	return NULL;
}

static char *spawn_stack(void)
{
	static char *stack;

	if (!stack) {
		stack = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED)
			stack = NULL;
	}
	return stack;
}

static void spawn_rec_drop(struct spawn_rec *r)
{
	struct hms_actions *a = r->a;
	struct spawn_rec **pp = &a->spawns;

	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	a->n_spawns--;
	loop_del_fd(a->loop, r->fd);
	close(r->fd);
	free(r);
}

/* Read the outcome; -EAGAIN when it is not there yet. */
static int spawn_rec_read(struct spawn_rec *r)
{
	int child_err = 0;
	ssize_t n;

	do
		n = read(r->fd, &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (n == sizeof(child_err))
		return child_err > 0 ? -child_err : -EIO;
	return 0;			/* EOF: the exec closed the pipe */
}

static int spawn_rec_settle(struct spawn_rec *r, bool reaped)
{
	struct hms_actions *a = r->a;
	actions_exec_cb cb = r->cb;
	void *arg = r->arg;
	pid_t pid = r->pid;
	int err = spawn_rec_read(r);

	if (err == -EAGAIN)
		return 0;
	spawn_rec_drop(r);
	if (cb)
		cb(pid, err, arg);
	/* a child that never ran is nobody's exit to report */
	if (err && !reaped && !actions_watched(a, pid))
		actions_watch(a, pid, actions_swallow, NULL);
	return err;
}

static void spawn_on_pipe(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	spawn_rec_settle(arg, false);
}

int actions_spawn_settle(struct hms_actions *a, pid_t pid)
{
	for (struct spawn_rec *r = a->spawns; r; r = r->next)
		if (r->pid == pid)
			return spawn_rec_settle(r, true);
	return 0;
}

int actions_settle(struct hms_actions *a, pid_t pid)
{
	for (struct spawn_rec *r = a ? a->spawns : NULL; r; r = r->next)
		if (r->pid == pid)
			return spawn_rec_settle(r, false);
	return 0;
}

void actions_spawn_free_all(struct hms_actions *a)
{
	while (a->spawns)
		spawn_rec_drop(a->spawns);
}

unsigned int actions_pending(const struct hms_actions *a)
{
	return a ? a->n_spawns : 0;
}

/* An output that cannot be opened (no journald, a full disk) must not
 * stop a start: the child writes to /dev/null; said at most every 10 s. */
static void spawn_output_lost(const struct actions_spawn_opts *o, int err)
{
	static uint64_t last_ns;
	uint64_t now = loop_now_ns();

	if (last_ns && now - last_ns < 10000000000ull)
		return;
	last_ns = now;
	log_warning("output of %s (%s%s): %s: writing to /dev/null instead",
		    o->argv[0],
		    o->out.kind == ACTIONS_OUT_JOURNAL ? "journal" : "file ",
		    o->out.kind == ACTIONS_OUT_FILE && o->out.path ?
		    o->out.path : "", strerror(-err));
}

/* Fds, ids and environment of the child into p. */
static int spawn_prepare(struct hms_actions *a,
			 const struct actions_spawn_opts *o,
			 struct spawn_plan *p, struct spawn_user *u,
			 char ***envp)
{
	extern char **environ;
	int err;

	/* stdin: /dev/null, or the caller's socket (the registry's) */
	p->null_fd = o->in_fd > 2 ? o->in_fd : a->null_fd;
	if (o->terminal) {
		p->envp = environ;
		return 0;
	}
	err = spawn_user(o, u);
	err = err ?: spawn_env(o, u, envp);
	if (err)
		return err;
	p->envp = *envp;
	p->set_ids = geteuid() == 0;
	p->uid = u->uid;
	p->gid = u->gid;
	p->groups = u->groups;
	p->n_groups = u->n_groups;
	p->cwd = o->cwd && o->cwd[0] ? o->cwd : "/";
	if (o->out.kind == ACTIONS_OUT_FD) {
		p->out_fd = o->out.fd;
		p->err_fd = o->out.fd;
		return 0;
	}
	err = actions_output_open(&o->out, &p->out_fd);
	if (err)
		spawn_output_lost(o, err);	/* it runs anyway */
	if (p->out_fd < 0)
		p->out_fd = a->null_fd;
	p->err_fd = p->out_fd;
	return 0;
}

int actions_spawn(struct hms_actions *a, const struct actions_spawn_opts *o,
		  pid_t *pid)
{
	struct spawn_plan p = { .null_fd = -1, .out_fd = -1, .err_fd = -1,
				.cg_fd = -1, .cg2_fd = -1, .pipe_fd = -1 };
	struct spawn_user u = { 0 };
	struct spawn_rec *r = NULL;
	char **envp = NULL, *path = NULL, *stack = spawn_stack(), cg[4200];
	int pfd[2] = { -1, -1 }, err;
	pid_t c;

	if (!o->argv || !o->argv[0])
		return -EINVAL;
	if (!stack || !(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	err = spawn_prepare(a, o, &p, &u, &envp);
	if (err)
		goto cleanup;
	if (o->cgroup && o->cgroup[0]) {
		snprintf(cg, sizeof(cg), "%s/cgroup.procs", o->cgroup);
		p.cg_fd = open(cg, O_WRONLY | O_CLOEXEC);
		if (p.cg_fd < 0) {
			err = -errno;
			goto cleanup;
		}
	}
	if (o->cgroup2 && o->cgroup2[0]) {
		snprintf(cg, sizeof(cg), "%s/cgroup.procs", o->cgroup2);
		p.cg2_fd = open(cg, O_WRONLY | O_CLOEXEC);
		if (p.cg2_fd < 0) {
			err = -errno;
			goto cleanup;
		}
	}
	path = spawn_path(o->argv[0]);
	p.path = path;
	p.argv = o->argv;
	p.terminal = o->terminal;
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = -errno;
		goto cleanup;
	}
	p.pipe_fd = pfd[1];
	c = clone(spawn_child, stack + SPAWN_STACK,
		  CLONE_VM | CLONE_VFORK | SIGCHLD, &p);
	if (c < 0) {
		err = -errno;
		goto cleanup;
	}
	r->a = a;
	r->pid = c;
	r->fd = pfd[0];
	r->cb = o->exec_cb;
	r->arg = o->exec_arg;
	pfd[0] = -1;
	r->next = a->spawns;
	a->spawns = r;
	a->n_spawns++;
	/* without the loop the outcome is still read when it exits */
	loop_add_fd(a->loop, r->fd, EPOLLIN, spawn_on_pipe, r);
	r = NULL;
	*pid = c;
	err = 0;
cleanup:
	if (p.out_fd >= 0 && p.out_fd != a->null_fd &&
	    o->out.kind != ACTIONS_OUT_FD)
		close(p.out_fd);
	if (p.cg_fd >= 0)
		close(p.cg_fd);
	if (p.cg2_fd >= 0)
		close(p.cg2_fd);
	for (int i = 0; i < 2; i++)
		if (pfd[i] >= 0)
			close(pfd[i]);
	spawn_env_free(envp);
	free(u.groups);
	free(path);
	free(r);
	return err;
}

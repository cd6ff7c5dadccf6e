// SPDX-License-Identifier: BSD-2-Clause
/* dashboard_tmux.c - every tmux command of the dashboard runs through the
 * daemon's one child runner (actions_spawn: argv, no shell, own session,
 * clean environment) from a queue: one command in flight at a time, each
 * under a timeout that kills it, status-line and alert updates coalesced
 * while they wait.  Nothing here waits for tmux: a wedged tmux server
 * delays only the dashboard, never the loop (and so never healing). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "actions.h"
#include "dashboard_int.h"
#include "loop.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define DASH_TMUX_TIMEOUT_MS	3000
#define DASH_TMUX_FINAL_MS	1000
#define DASH_QUEUE_MAX		64

struct dash_cmd {
	char **argv;
	int key;
	dashboard_tmux_cb cb;
	void *arg;
	struct dash_cmd *next;
};

static void dash_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static void dash_cmd_free(struct dash_cmd *c)
{
	if (c)
		dash_argv_free(c->argv);
	free(c);
}

/* tmux [-L socket] [-f config] args... */
static char **dash_argv(const struct hms_dashboard *d, const char *const *args)
{
	size_t n = 0, i = 0;
	char **v;

	while (args[n])
		n++;
	v = calloc(n + 6, sizeof(*v));
	if (!v)
		return NULL;
	v[i++] = strdup(d->tmux);
	if (d->tmux_socket) {
		v[i++] = strdup("-L");
		v[i++] = strdup(d->tmux_socket);
	}
	if (d->tmux_config) {
		v[i++] = strdup("-f");
		v[i++] = strdup(d->tmux_config);
	}
	for (size_t k = 0; k < n; k++)
		v[i++] = strdup(args[k]);
	for (size_t k = 0; k < i; k++)
		if (!v[k]) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	return v;
}

static void dash_tmux_next(struct hms_dashboard *d);

static void dash_tmux_done(struct hms_dashboard *d, int rc)
{
	struct dash_cmd *c = d->inflight;
	char out[sizeof(d->out)];
	ssize_t r;

	d->inflight = NULL;
	d->tmux_pid = 0;
	loop_timer_disarm(d->tmux_timer);
	d->out_len = 0;
	/* tmux is gone: everything it wrote is in the pipe */
	while (d->out_fd >= 0 && d->out_len + 1 < sizeof(out) &&
	       (r = read(d->out_fd, out + d->out_len,
			 sizeof(out) - 1 - d->out_len)) > 0)
		d->out_len += (size_t)r;
	out[d->out_len] = '\0';
	while (d->out_len && out[d->out_len - 1] == '\n')
		out[--d->out_len] = '\0';
	if (d->out_fd >= 0)
		close(d->out_fd);
	d->out_fd = -1;
	if (c && c->cb)
		c->cb(d, rc, out, c->arg);
	dash_cmd_free(c);
	dash_tmux_next(d);
}

static void dash_tmux_exit(pid_t pid, const siginfo_t *si, void *arg)
{
	struct hms_dashboard *d = arg;
	int rc;

	(void)pid;
	if (d->tmux_timed_out)
		rc = -ETIMEDOUT;
	else
		rc = si->si_code == CLD_EXITED && si->si_status == 0 ? 0
								    : -ECHILD;
	dash_tmux_done(d, rc);
}

static void dash_tmux_timeout(struct hms_timer *t, void *arg)
{
	struct hms_dashboard *d = arg;

	(void)t;
	if (!d->tmux_pid)
		return;
	d->tmux_timed_out = true;
	d->tmux_timeouts++;
	kill(-d->tmux_pid, SIGKILL);	/* its session and group */
}

/* Start the queue's head when nothing runs. */
static void dash_tmux_next(struct hms_dashboard *d)
{
	struct actions_spawn_opts o = { 0 };
	struct dash_cmd *c;
	char *env[2] = { d->tmux_env, NULL };
	int p[2], err;
	pid_t pid;

	while (!d->inflight && !d->closing && (c = d->q_head)) {
		d->q_head = c->next;
		if (!d->q_head)
			d->q_tail = NULL;
		d->n_q--;
		o.argv = c->argv;
		o.env = env;
		o.out.kind = ACTIONS_OUT_NULL;
		p[0] = p[1] = -1;
		if (c->cb && pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
			o.out.kind = ACTIONS_OUT_FD;
			o.out.fd = p[1];
		}
		err = actions_spawn(d->actions, &o, &pid);
		if (p[1] >= 0)
			close(p[1]);
		if (!err)
			err = actions_watch(d->actions, pid, dash_tmux_exit, d);
		if (err) {
			if (p[0] >= 0)
				close(p[0]);
			if (c->cb)
				c->cb(d, err, "", c->arg);
			dash_cmd_free(c);
			continue;
		}
		d->inflight = c;
		d->tmux_pid = pid;
		d->out_fd = p[0];
		d->tmux_timed_out = false;
		d->tmux_runs++;
		loop_timer_arm(d->tmux_timer,
			       DASH_TMUX_TIMEOUT_MS * 1000000ull, 0);
	}
}

int dashboard_tmux(struct hms_dashboard *d, int key, dashboard_tmux_cb cb,
		   void *arg, const char *const *args)
{
	struct dash_cmd *c;
	char **argv;

	if (d->closing)
		return -ESHUTDOWN;
	argv = dash_argv(d, args);
	if (!argv)
		return -ENOMEM;
	/* a newer value replaces one that has not been sent yet */
	for (c = d->q_head; key && c; c = c->next)
		if (c->key == key) {
			dash_argv_free(c->argv);
			c->argv = argv;
			d->tmux_coalesced++;
			return 0;
		}
	if (d->n_q >= DASH_QUEUE_MAX) {
		dash_argv_free(argv);
		d->tmux_dropped++;
		return -ENOBUFS;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		dash_argv_free(argv);
		return -ENOMEM;
	}
	c->argv = argv;
	c->key = key;
	c->cb = cb;
	c->arg = arg;
	if (d->q_tail)
		d->q_tail->next = c;
	else
		d->q_head = c;
	d->q_tail = c;
	d->n_q++;
	dash_tmux_next(d);
	return 0;
}

int dash_tmux_init(struct hms_dashboard *d)
{
	const char *dir = getenv("TMUX_TMPDIR");

	d->out_fd = -1;
	/* the one variable of ours tmux needs: where its server lives */
	if (dir && dir[0] &&
	    asprintf(&d->tmux_env, "TMUX_TMPDIR=%s", dir) < 0)
		d->tmux_env = NULL;
	return loop_timer_new(d->loop, dash_tmux_timeout, d, &d->tmux_timer);
}

/* Wait for pid at most ms, then kill it; reaped here.  Only at exit,
 * when the loop no longer runs. */
static void dash_tmux_wait_final(struct hms_dashboard *d, pid_t pid, int ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	siginfo_t si;

	actions_unwatch(d->actions, pid);
	if (fd < 0)
		return;
	if (poll(&p, 1, ms) <= 0)
		kill(-pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	waitid(P_PIDFD, (id_t)fd, &si, WEXITED);
	close(fd);
}

/* Stop the queue; run args (may be NULL) as the last command, waiting for
 * it at most DASH_TMUX_FINAL_MS. */
void dash_tmux_close(struct hms_dashboard *d, const char *const *args)
{
	struct actions_spawn_opts o = { 0 };
	char *env[2] = { d->tmux_env, NULL };
	char **argv;
	pid_t pid;

	if (d->tmux_pid) {
		kill(-d->tmux_pid, SIGKILL);
		dash_tmux_wait_final(d, d->tmux_pid, DASH_TMUX_FINAL_MS);
		d->tmux_pid = 0;
	}
	dash_cmd_free(d->inflight);
	d->inflight = NULL;
	if (d->out_fd >= 0)
		close(d->out_fd);
	d->out_fd = -1;
	while (d->q_head) {
		struct dash_cmd *c = d->q_head;

		d->q_head = c->next;
		dash_cmd_free(c);
	}
	d->q_tail = NULL;
	d->n_q = 0;
	d->closing = true;
	loop_timer_free(d->tmux_timer);
	d->tmux_timer = NULL;
	if (!args || !d->actions || !(argv = dash_argv(d, args)))
		return;
	o.argv = argv;
	o.env = env;
	if (!actions_spawn(d->actions, &o, &pid))
		dash_tmux_wait_final(d, pid, DASH_TMUX_FINAL_MS);
	dash_argv_free(argv);
}

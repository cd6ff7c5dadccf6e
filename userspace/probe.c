// SPDX-License-Identifier: BSD-2-Clause
/* probe.c - health probes driven by the epoll loop: a tcp probe is a
 * non-blocking connect whose completion (EPOLLOUT, SO_ERROR) is the
 * verdict; an http probe continues on the same socket with an HTTP/1.0
 * GET and reads the status line; an exec probe is a hook (own session,
 * clean environment, killed at the timeout) run by the actions module.
 * A plugin probe is a plugin's probe kind (include/hms_plugin.h) given a
 * ticket (plugin_ticket.c): its done(0) passes, done(-errno) fails.
 * One timerfd per probe bounds every run. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "loop.h"
#include "plugin.h"
#include "probe.h"

struct hms_probe {
	struct hms_loop *loop;
	struct hms_actions *actions;
	const struct cfg_probe *p;
	struct actions_spawn_opts spawn;
	probe_cb cb;
	void *arg;
	struct hms_timer *timer;
	struct action_hook *hook;
	struct hms_plugins *plugins;	/* plugin probes */
	const char *component;
	struct plugin_ticket *ticket;	/* plugin probe in flight */
	int fd;
	bool running;
	bool sent;
	char req[256];
	size_t req_len, req_off;
	char resp[64];
	size_t resp_len;
};

void probe_describe(const struct cfg_probe *p, char *buf, size_t len)
{
	switch (p->kind) {
	case PROBE_EXEC:
		snprintf(buf, len, "exec %s", p->argv && p->argv[0] ?
			 p->argv[0] : "?");
		break;
	case PROBE_TCP:
		snprintf(buf, len, "tcp %s:%u", p->host, p->port);
		break;
	case PROBE_HTTP:
		snprintf(buf, len, "http %s:%u%s", p->host, p->port, p->path);
		break;
	case PROBE_PLUGIN:
		snprintf(buf, len, "plugin %s", p->plugin_kind);
		break;
	default:
		snprintf(buf, len, "none");
		break;
	}
}

static void probe_close(struct hms_probe *pr)
{
	if (pr->fd >= 0) {
		loop_del_fd(pr->loop, pr->fd);
		close(pr->fd);
		pr->fd = -1;
	}
	if (pr->hook)
		actions_hook_cancel(pr->hook);
	pr->hook = NULL;
	plugin_ticket_cancel(pr->ticket);
	pr->ticket = NULL;
	loop_timer_disarm(pr->timer);
}

static void probe_end(struct hms_probe *pr, int result, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static void probe_end(struct hms_probe *pr, int result, const char *fmt, ...)
{
	char detail[96], what[64];
	va_list ap;

	probe_close(pr);
	pr->running = false;
	probe_describe(pr->p, what, sizeof(what));
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	{
		char line[176];

		snprintf(line, sizeof(line), "%s: %s", what, detail);
		pr->cb(result, line, pr->arg);
	}
}

static void probe_timeout(struct hms_timer *t, void *arg)
{
	struct hms_probe *pr = arg;

	(void)t;
	if (pr->running)
		probe_end(pr, -ETIMEDOUT, "no answer within %u ms",
			  pr->p->timeout_ms);
}

/* "HTTP/1.x NNN ..." once the first line is in. */
static void probe_http_status(struct hms_probe *pr)
{
	unsigned int code;
	bool ok;

	if (!memchr(pr->resp, '\n', pr->resp_len) &&
	    pr->resp_len < sizeof(pr->resp) - 1)
		return;		/* wait for more */
	pr->resp[pr->resp_len] = '\0';
	if (sscanf(pr->resp, "HTTP/%*u.%*u %3u", &code) != 1) {
		probe_end(pr, -EPROTO, "not an HTTP status line");
		return;
	}
	ok = pr->p->status ? code == pr->p->status : code / 100 == 2;
	if (ok)
		probe_end(pr, 0, "status %u", code);
	else if (pr->p->status)
		probe_end(pr, -EPROTO, "status %u, expected %u", code,
			  pr->p->status);
	else
		probe_end(pr, -EPROTO, "status %u, expected 2xx", code);
}

static void probe_on_fd(int fd, uint32_t events, void *arg)
{
	struct hms_probe *pr = arg;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	ssize_t n;

	if (!pr->sent) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			probe_end(pr, -soerr, "connect: %s", strerror(soerr));
			return;
		}
		if (pr->p->kind == PROBE_TCP) {
			probe_end(pr, 0, "connected");
			return;
		}
		n = send(fd, pr->req + pr->req_off, pr->req_len - pr->req_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN) {
			probe_end(pr, -errno, "send: %s", strerror(errno));
			return;
		}
		pr->req_off += n > 0 ? (size_t)n : 0;
		if (pr->req_off < pr->req_len)
			return;	/* EPOLLOUT again */
		pr->sent = true;
		loop_del_fd(pr->loop, fd);
		if (loop_add_fd(pr->loop, fd, EPOLLIN, probe_on_fd, pr) < 0) {
			probe_end(pr, -ENOMEM, "cannot watch the socket");
			return;
		}
		return;
	}
	(void)events;
	n = recv(fd, pr->resp + pr->resp_len,
		 sizeof(pr->resp) - 1 - pr->resp_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN)
			probe_end(pr, -errno, "recv: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		if (pr->resp_len)
			probe_http_status(pr);
		if (pr->running)
			probe_end(pr, -EPROTO, "closed before a status line");
		return;
	}
	pr->resp_len += (size_t)n;
	probe_http_status(pr);
}

static int probe_connect(struct hms_probe *pr)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	socklen_t sl;
	int fd, err;

	if (inet_pton(AF_INET, pr->p->host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(pr->p->port);
		sl = sizeof(*a4);
	} else if (inet_pton(AF_INET6, pr->p->host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(pr->p->port);
		sl = sizeof(*a6);
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return err;
	}
	err = loop_add_fd(pr->loop, fd, EPOLLOUT, probe_on_fd, pr);
	if (err) {
		close(fd);
		return err;
	}
	pr->fd = fd;
	return 0;
}

static void probe_hook_done(int result, const siginfo_t *si, void *arg)
{
	struct hms_probe *pr = arg;

	pr->hook = NULL;
	if (result == -ETIMEDOUT)
		probe_end(pr, result, "timed out after %u ms, group killed",
			  pr->p->timeout_ms);
	else if (si->si_code == CLD_EXITED)
		probe_end(pr, result, "exited %d", si->si_status);
	else
		probe_end(pr, result ? result : -ECHILD, "killed by signal %d",
			  si->si_status);
}

static void probe_plugin_done(void *owner, int result, const char *detail)
{
	struct hms_probe *pr = owner;

	pr->ticket = NULL;
	if (pr->running)
		probe_end(pr, result, "%s", detail[0] ? detail :
			  result ? strerror(-result) : "healthy");
}

static int probe_plugin_call(void *arg, struct plugin_ticket *t)
{
	struct hms_probe *pr = arg;

	return plugins_probe_run(pr->plugins, pr->p->plugin_kind,
				 pr->component, pr->p->params_json,
				 plugin_ticket_done, t);
}

static int probe_plugin_start(struct hms_probe *pr)
{
	int err;

	err = plugin_ticket_new(probe_plugin_done, pr, &pr->ticket);
	if (err)
		return err;
	pr->running = true;
	loop_timer_arm(pr->timer, (uint64_t)pr->p->timeout_ms * 1000000ull, 0);
	err = plugin_ticket_call(pr->ticket, probe_plugin_call, pr);
	if (err) {
		pr->ticket = NULL;
		pr->running = false;
		loop_timer_disarm(pr->timer);
	}
	return err;
}

void probe_set_plugins(struct hms_probe *pr, struct hms_plugins *ps,
		       const char *component)
{
	pr->plugins = ps;
	pr->component = component;
}

int probe_start(struct hms_probe *pr)
{
	int err;

	if (pr->running)
		return -EBUSY;
	pr->sent = false;
	pr->req_off = pr->resp_len = 0;
	if (pr->p->kind == PROBE_PLUGIN)
		return probe_plugin_start(pr);
	if (pr->p->kind == PROBE_EXEC) {
		struct actions_spawn_opts o = pr->spawn;

		o.argv = pr->p->argv;
		err = actions_hook_run(pr->actions, &o, pr->p->timeout_ms,
				       probe_hook_done, pr, &pr->hook);
		if (err)
			return err;
		pr->running = true;
		return 0;
	}
	err = probe_connect(pr);
	if (err)
		return err;
	pr->running = true;
	loop_timer_arm(pr->timer, (uint64_t)pr->p->timeout_ms * 1000000ull, 0);
	return 0;
}

bool probe_running(const struct hms_probe *pr)
{
	return pr && pr->running;
}

int probe_new(struct hms_loop *loop, struct hms_actions *actions,
	      const struct cfg_probe *p,
	      const struct actions_spawn_opts *spawn, probe_cb cb, void *arg,
	      struct hms_probe **out)
{
	struct hms_probe *pr = calloc(1, sizeof(*pr));
	int err;

	if (!pr)
		return -ENOMEM;
	pr->loop = loop;
	pr->actions = actions;
	pr->p = p;
	if (spawn)
		pr->spawn = *spawn;
	pr->cb = cb;
	pr->arg = arg;
	pr->fd = -1;
	if (p->kind == PROBE_HTTP) {
		int n = snprintf(pr->req, sizeof(pr->req),
				 "GET %s HTTP/1.0\r\nHost: %s:%u\r\n"
				 "User-Agent: hms-ebpf-probe\r\n"
				 "Connection: close\r\n\r\n", p->path,
				 p->host, p->port);

		pr->req_len = n > 0 && (size_t)n < sizeof(pr->req) ?
			      (size_t)n : 0;
	}
	err = loop_timer_new(loop, probe_timeout, pr, &pr->timer);
	if (err) {
		free(pr);
		return err;
	}
	*out = pr;
	return 0;
}

void probe_free(struct hms_probe *pr)
{
	if (!pr)
		return;
	probe_close(pr);
	loop_timer_free(pr->timer);
	free(pr);
}

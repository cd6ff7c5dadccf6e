/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin_host.c - what the daemon offers a plugin (struct hms_plugin_api):
 * its log, event subscriptions, and the loop's fds and timers, so that a
 * plugin doing I/O (the Alertmanager sink's HTTP) stays asynchronous in
 * the one epoll loop instead of blocking it or starting threads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "event.h"
#include "log.h"
#include "loop.h"
#include "plugin_int.h"

static void plugin_log(struct hms_plugin_host *h, int level, const char *fmt,
		       ...)
{
	char buf[1024];
	va_list ap;

	if (level < HMS_LOG_ERROR)
		level = HMS_LOG_ERROR;
	if (level > HMS_LOG_DEBUG)
		level = HMS_LOG_DEBUG;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(level, "plugin %s: %s", h->name, buf);
}

static int plugin_subscribe(struct hms_plugin_host *h, const char *type_name)
{
	int type;

	if (!type_name)
		return -EINVAL;
	if (!strcmp(type_name, "*")) {
		memset(h->subscribed, 0xff, sizeof(h->subscribed));
		return 0;
	}
	type = event_type_from_name(type_name);
	if (type < 0 || type >= HMS_EV_TYPE_MAX)
		return -ENOENT;
	h->subscribed[type / 64] |= 1ULL << (type % 64);
	return 0;
}

static void plugin_on_fd(int fd, uint32_t events, void *arg)
{
	struct plugin_fd *pf = arg;
	unsigned int ev = 0;

	if (events & EPOLLIN)
		ev |= HMS_PLUGIN_FD_READ;
	if (events & EPOLLOUT)
		ev |= HMS_PLUGIN_FD_WRITE;
	if (events & (EPOLLERR | EPOLLHUP))
		ev |= HMS_PLUGIN_FD_ERROR;
	pf->cb(fd, ev, pf->arg);
}

static uint32_t plugin_epoll_events(unsigned int events)
{
	return ((events & HMS_PLUGIN_FD_READ) ? EPOLLIN : 0) |
	       ((events & HMS_PLUGIN_FD_WRITE) ? EPOLLOUT : 0);
}

static void plugin_fd_drop(struct hms_plugin_host *h, struct plugin_fd *pf)
{
	struct plugin_fd **pp;

	loop_del_fd(h->set->loop, pf->fd);
	for (pp = &h->fds; *pp; pp = &(*pp)->next)
		if (*pp == pf) {
			*pp = pf->next;
			break;
		}
	free(pf);
}

static int plugin_fd_watch(struct hms_plugin_host *h, int fd,
			   unsigned int events, hms_plugin_fd_cb cb, void *arg)
{
	struct plugin_fd *pf;
	int err;

	if (fd < 0 || (events && !cb))
		return -EINVAL;
	for (pf = h->fds; pf && pf->fd != fd; pf = pf->next)
		;
	if (!events) {
		if (pf)
			plugin_fd_drop(h, pf);
		return 0;
	}
	if (pf) {	/* a change: the loop has add and del only */
		loop_del_fd(h->set->loop, fd);
	} else {
		pf = calloc(1, sizeof(*pf));
		if (!pf)
			return -ENOMEM;
		pf->h = h;
		pf->fd = fd;
		pf->next = h->fds;
		h->fds = pf;
	}
	pf->events = events;
	pf->cb = cb;
	pf->arg = arg;
	err = loop_add_fd(h->set->loop, fd, plugin_epoll_events(events),
			  plugin_on_fd, pf);
	if (err)
		plugin_fd_drop(h, pf);
	return err;
}

static void plugin_on_timer(struct hms_timer *t, void *arg)
{
	struct hms_plugin_timer *pt = arg;

	(void)t;
	pt->cb(pt->arg);
}

static int plugin_timer_new(struct hms_plugin_host *h, hms_plugin_timer_cb cb,
			    void *arg, struct hms_plugin_timer **out)
{
	struct hms_plugin_timer *pt;
	int err;

	if (!cb || !out)
		return -EINVAL;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	err = loop_timer_new(h->set->loop, plugin_on_timer, pt, &pt->t);
	if (err) {
		free(pt);
		return err;
	}
	pt->h = h;
	pt->cb = cb;
	pt->arg = arg;
	pt->next = h->timers;
	h->timers = pt;
	*out = pt;
	return 0;
}

static int plugin_timer_arm(struct hms_plugin_timer *pt, uint64_t delay_ms)
{
	if (!pt)
		return -EINVAL;
	if (delay_ms > UINT64_MAX / 1000000ULL)
		delay_ms = UINT64_MAX / 1000000ULL;
	return loop_timer_arm(pt->t, delay_ms * 1000000ULL, 0);
}

static int plugin_timer_disarm(struct hms_plugin_timer *pt)
{
	return pt ? loop_timer_disarm(pt->t) : 0;
}

static void plugin_timer_free(struct hms_plugin_timer *pt)
{
	struct hms_plugin_timer **pp;

	if (!pt)
		return;
	for (pp = &pt->h->timers; *pp; pp = &(*pp)->next)
		if (*pp == pt) {
			*pp = pt->next;
			break;
		}
	loop_timer_free(pt->t);
	free(pt);
}

static const char *plugin_hostname(struct hms_plugin_host *h)
{
	return h->set->hostname;
}

static int plugin_raise_failure(struct hms_plugin_host *h,
				const char *component, uint32_t pid,
				const char *detail)
{
	if (!h->desc || !h->desc->detect || !h->desc->detector_class)
		return -EPERM;
	if (!h->set->failure_cb)
		return -ENOENT;
	return h->set->failure_cb(h->desc->detector_class, component, pid,
				  detail ?: "", h->set->failure_arg);
}

void plugin_host_release(struct hms_plugin_host *h)
{
	while (h->fds)
		plugin_fd_drop(h, h->fds);
	while (h->timers)
		plugin_timer_free(h->timers);
	memset(h->subscribed, 0, sizeof(h->subscribed));
}

const struct hms_plugin_api plugin_api = {
	.abi_version = HMS_PLUGIN_ABI_VERSION,
	.size = sizeof(struct hms_plugin_api),
	.log = plugin_log,
	.subscribe = plugin_subscribe,
	.fd_watch = plugin_fd_watch,
	.timer_new = plugin_timer_new,
	.timer_arm = plugin_timer_arm,
	.timer_disarm = plugin_timer_disarm,
	.timer_free = plugin_timer_free,
	.now_ns = loop_now_ns,
	.hostname = plugin_hostname,
	.raise_failure = plugin_raise_failure,
};

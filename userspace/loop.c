// SPDX-License-Identifier: BSD-2-Clause
/*
 * loop.c - the one epoll loop of the daemon.  Every source of work (ring
 * buffers, signalfd, timers, pidfds, sockets) is an fd registered here;
 * nothing in the daemon sleeps or polls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include "loop.h"

struct loop_watch {
	int fd;
	loop_fd_cb cb;
	void *arg;
	struct loop_watch *next;
	int dead;
};

struct hms_loop {
	int epfd;
	int stopped;
	int status;
	int dispatching;
	struct loop_watch *watches;
};

struct hms_timer {
	struct hms_loop *loop;
	int fd;
	int armed;
	uint64_t interval_ns;
	loop_timer_cb cb;
	void *arg;
};

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int loop_new(struct hms_loop **out)
{
	struct hms_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = -errno;

		free(loop);
		return err;
	}
	*out = loop;
	return 0;
}

static void loop_reap(struct hms_loop *loop)
{
	struct loop_watch **pp = &loop->watches, *w;

	while ((w = *pp)) {
		if (w->dead) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

void loop_free(struct hms_loop *loop)
{
	struct loop_watch *w, *next;

	if (!loop)
		return;
	for (w = loop->watches; w; w = next) {
		next = w->next;
		free(w);
	}
	close(loop->epfd);
	free(loop);
}

int loop_add_fd(struct hms_loop *loop, int fd, uint32_t events,
		loop_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct loop_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(w);
		return err;
	}
	w->next = loop->watches;
	loop->watches = w;
	return 0;
}

int loop_del_fd(struct hms_loop *loop, int fd)
{
	struct loop_watch *w;

	for (w = loop->watches; w; w = w->next) {
		if (w->fd != fd || w->dead)
			continue;
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		/* freed after the current dispatch round */
		w->dead = 1;
		if (!loop->dispatching)
			loop_reap(loop);
		return 0;
	}
	return -ENOENT;
}

static void loop_timer_fire(int fd, uint32_t events, void *arg)
{
	struct hms_timer *t = arg;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	if (!t->armed)
		return;
	if (!t->interval_ns)
		t->armed = 0;	/* a one-shot timer that fired is disarmed */
	t->cb(t, t->arg);
}

int loop_timer_new(struct hms_loop *loop, loop_timer_cb cb, void *arg,
		   struct hms_timer **out)
{
	struct hms_timer *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = loop_add_fd(loop, t->fd, EPOLLIN, loop_timer_fire, t);
	if (err)
		goto cleanup;
	*out = t;
	return 0;
cleanup:
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return err;
}

int loop_timer_arm(struct hms_timer *t, uint64_t delay_ns,
		   uint64_t interval_ns)
{
	struct itimerspec its = {0};

	if (!delay_ns)
		delay_ns = 1;
	its.it_value.tv_sec = delay_ns / 1000000000ULL;
	its.it_value.tv_nsec = delay_ns % 1000000000ULL;
	its.it_interval.tv_sec = interval_ns / 1000000000ULL;
	its.it_interval.tv_nsec = interval_ns % 1000000000ULL;
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
		return -errno;
	t->armed = 1;
	t->interval_ns = interval_ns;
	return 0;
}

int loop_timer_disarm(struct hms_timer *t)
{
	struct itimerspec its = {0};

	if (!t)
		return 0;
	t->armed = 0;
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

int loop_timer_armed(const struct hms_timer *t)
{
	return t && t->armed;
}

void loop_timer_free(struct hms_timer *t)
{
	if (!t)
		return;
	loop_del_fd(t->loop, t->fd);
	close(t->fd);
	free(t);
}

int loop_run_once(struct hms_loop *loop, int timeout_ms)
{
	struct epoll_event evs[32];
	int n, i;

	n = epoll_wait(loop->epfd, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching++;
	for (i = 0; i < n; i++) {
		struct loop_watch *w = evs[i].data.ptr;

		if (!w->dead)
			w->cb(w->fd, evs[i].events, w->arg);
	}
	loop->dispatching--;
	if (!loop->dispatching)
		loop_reap(loop);
	return n;
}

int loop_run(struct hms_loop *loop)
{
	int err;

	while (!loop->stopped) {
		err = loop_run_once(loop, -1);
		if (err < 0)
			return err;
	}
	return loop->status;
}

void loop_stop(struct hms_loop *loop, int status)
{
	loop->stopped = 1;
	loop->status = status;
}

int loop_stopped(const struct hms_loop *loop)
{
	return loop->stopped;
}

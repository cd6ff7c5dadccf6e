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
	struct loop_watch *next;	/* live list, or the dead list */
	struct loop_watch *prev;
	int dead;
};

struct hms_loop {
	int epfd;
	int stopped;
	int status;
	int dispatching;
	struct loop_watch *watches;	/* live, doubly linked */
	struct loop_watch *dead;	/* removed, freed after dispatch */
	struct loop_watch **byfd;	/* fd -> live watch: O(1) removal */
	size_t n_byfd;
	int tfd;			/* the one timerfd, -1 until a timer */
	uint64_t tfd_at;		/* its deadline, 0 = disarmed */
	struct hms_timer **heap;	/* armed timers, earliest first */
	size_t n_heap, cap_heap;
};

struct hms_timer {
	struct hms_loop *loop;
	int armed;
	size_t idx;			/* position in loop->heap when armed */
	uint64_t deadline_ns;
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
	loop->tfd = -1;
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
	struct loop_watch *w, *next;

	for (w = loop->dead; w; w = next) {
		next = w->next;
		free(w);
	}
	loop->dead = NULL;
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
	loop_reap(loop);
	free(loop->byfd);
	if (loop->tfd >= 0)
		close(loop->tfd);
	free(loop->heap);
	close(loop->epfd);
	free(loop);
}

int loop_add_fd(struct hms_loop *loop, int fd, uint32_t events,
		loop_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct loop_watch *w;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= loop->n_byfd) {
		size_t n = (size_t)fd * 2 + 16;
		struct loop_watch **b = realloc(loop->byfd, n * sizeof(*b));

		if (!b)
			return -ENOMEM;
		memset(b + loop->n_byfd, 0, (n - loop->n_byfd) * sizeof(*b));
		loop->byfd = b;
		loop->n_byfd = n;
	}
	w = calloc(1, sizeof(*w));
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
	if (w->next)
		w->next->prev = w;
	loop->watches = w;
	loop->byfd[fd] = w;
	return 0;
}

int loop_del_fd(struct hms_loop *loop, int fd)
{
	struct loop_watch *w = fd >= 0 && (size_t)fd < loop->n_byfd ?
			       loop->byfd[fd] : NULL;

	if (!w)
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->byfd[fd] = NULL;
	*(w->prev ? &w->prev->next : &loop->watches) = w->next;
	if (w->next)
		w->next->prev = w->prev;
	/* freed after the current dispatch round */
	w->dead = 1;
	w->next = loop->dead;
	loop->dead = w;
	if (!loop->dispatching)
		loop_reap(loop);
	return 0;
}

static void heap_swap(struct hms_loop *l, size_t a, size_t b)
{
	struct hms_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a;
	l->heap[b]->idx = b;
}

static void heap_up(struct hms_loop *l, size_t i)
{
	while (i && l->heap[(i - 1) / 2]->deadline_ns > l->heap[i]->deadline_ns) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct hms_loop *l, size_t i)
{
	for (;;) {
		size_t m = i, a = 2 * i + 1, b = a + 1;

		if (a < l->n_heap &&
		    l->heap[a]->deadline_ns < l->heap[m]->deadline_ns)
			m = a;
		if (b < l->n_heap &&
		    l->heap[b]->deadline_ns < l->heap[m]->deadline_ns)
			m = b;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

static void heap_remove(struct hms_timer *t)
{
	struct hms_loop *l = t->loop;
	size_t i = t->idx;

	if (!t->armed)
		return;
	t->armed = 0;
	l->n_heap--;
	if (i != l->n_heap) {
		l->heap[i] = l->heap[l->n_heap];
		l->heap[i]->idx = i;
		heap_down(l, i);
		heap_up(l, i);
	}
}

static int heap_insert(struct hms_timer *t)
{
	struct hms_loop *l = t->loop;

	if (l->n_heap == l->cap_heap) {
		size_t cap = l->cap_heap ? 2 * l->cap_heap : 16;
		struct hms_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->cap_heap = cap;
	}
	t->idx = l->n_heap;
	l->heap[l->n_heap++] = t;
	t->armed = 1;
	heap_up(l, t->idx);
	return 0;
}

/* The timerfd follows the earliest deadline (absolute, so a late
 * dispatch does not shift it); disarmed when no timer is. */
static void loop_timer_sync(struct hms_loop *l)
{
	struct itimerspec its = {0};
	uint64_t at = l->n_heap ? l->heap[0]->deadline_ns : 0;

	if (l->tfd < 0 || at == l->tfd_at)
		return;
	its.it_value.tv_sec = at / 1000000000ULL;
	its.it_value.tv_nsec = at % 1000000000ULL;
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		l->tfd_at = at;
}

/* Every timer due now runs once; an interval timer is re-armed before
 * its callback (which may disarm or free it). */
static void loop_timers_fire(int fd, uint32_t events, void *arg)
{
	struct hms_loop *l = arg;
	uint64_t n, now = loop_now_ns();
	size_t budget = l->n_heap;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	l->tfd_at = 0;
	while (l->n_heap && budget-- && l->heap[0]->deadline_ns <= now) {
		struct hms_timer *t = l->heap[0];

		heap_remove(t);
		if (t->interval_ns) {
			t->deadline_ns += t->interval_ns;
			if (t->deadline_ns <= now)
				t->deadline_ns = now + t->interval_ns;
			heap_insert(t);
		}
		t->cb(t, t->arg);
	}
	loop_timer_sync(l);
}

int loop_timer_new(struct hms_loop *loop, loop_timer_cb cb, void *arg,
		   struct hms_timer **out)
{
	struct hms_timer *t;
	int err;

	if (loop->tfd < 0) {
		loop->tfd = timerfd_create(CLOCK_MONOTONIC,
					   TFD_NONBLOCK | TFD_CLOEXEC);
		if (loop->tfd < 0)
			return -errno;
		err = loop_add_fd(loop, loop->tfd, EPOLLIN, loop_timers_fire,
				  loop);
		if (err) {
			close(loop->tfd);
			loop->tfd = -1;
			return err;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	*out = t;
	return 0;
}

int loop_timer_arm(struct hms_timer *t, uint64_t delay_ns,
		   uint64_t interval_ns)
{
	int err;

	if (!delay_ns)
		delay_ns = 1;
	heap_remove(t);
	t->deadline_ns = loop_now_ns() + delay_ns;
	t->interval_ns = interval_ns;
	err = heap_insert(t);
	loop_timer_sync(t->loop);
	return err;
}

int loop_timer_disarm(struct hms_timer *t)
{
	if (!t)
		return 0;
	heap_remove(t);
	loop_timer_sync(t->loop);
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
	loop_timer_disarm(t);
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

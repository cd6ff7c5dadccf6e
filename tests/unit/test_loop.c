// SPDX-License-Identifier: BSD-2-Clause
/* test_loop.c - the loop's timers share one timerfd through a min-heap:
 * they fire in deadline order and never early, a disarmed timer never
 * fires, a timer may re-arm, disarm or free itself (and others) in its
 * callback, and removing fds by fd works with many of them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <cmocka.h>
#include "loop.h"

#define N	300

struct rec {
	struct hms_timer *t;
	uint64_t due, fired_at;
	int fired;
	int order;
};

static int next_order;

static void on_fire(struct hms_timer *t, void *arg)
{
	struct rec *r = arg;

	(void)t;
	r->fired++;
	r->fired_at = loop_now_ns();
	r->order = next_order++;
}

static void test_order_and_disarm(void **state)
{
	struct hms_loop *loop;
	static struct rec r[N];
	int fired = 0;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	srand(42);
	next_order = 0;
	for (int i = 0; i < N; i++) {
		uint64_t d = (uint64_t)(rand() % 40 + 1) * 1000000ull;

		memset(&r[i], 0, sizeof(r[i]));
		assert_int_equal(loop_timer_new(loop, on_fire, &r[i], &r[i].t),
				 0);
		r[i].due = loop_now_ns() + d;
		assert_int_equal(loop_timer_arm(r[i].t, d, 0), 0);
	}
	/* every third one disarmed, every fifth re-armed further out */
	for (int i = 0; i < N; i += 3)
		assert_int_equal(loop_timer_disarm(r[i].t), 0);
	for (int i = 1; i < N; i += 5) {
		if (i % 3 == 0)
			continue;
		r[i].due = loop_now_ns() + 45000000ull;
		loop_timer_arm(r[i].t, 45000000ull, 0);
	}
	for (int k = 0; k < 1000 && fired < N - (N + 2) / 3; k++) {
		loop_run_once(loop, 100);
		fired = 0;
		for (int i = 0; i < N; i++)
			fired += r[i].fired;
	}
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0) {
			assert_int_equal(r[i].fired, 0);
			assert_false(loop_timer_armed(r[i].t));
			continue;
		}
		assert_int_equal(r[i].fired, 1);
		assert_true(r[i].fired_at >= r[i].due);
		assert_false(loop_timer_armed(r[i].t));
	}
	/* deadline order: an earlier deadline never fired after a later */
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			if (r[i].fired && r[j].fired &&
			    r[i].due + 100000 < r[j].due)
				assert_true(r[i].order < r[j].order);
	for (int i = 0; i < N; i++)
		loop_timer_free(r[i].t);
	loop_free(loop);
}

struct self {
	struct hms_timer *t, *other;
	int n;
	int mode;	/* 0 periodic, stop at 3; 1 free self; 2 re-arm */
};

static void on_self(struct hms_timer *t, void *arg)
{
	struct self *s = arg;

	s->n++;
	switch (s->mode) {
	case 0:
		if (s->n == 3)
			loop_timer_disarm(t);
		break;
	case 1:
		loop_timer_free(t);
		s->t = NULL;
		if (s->other)	/* and another one that is due too */
			loop_timer_disarm(s->other);
		break;
	case 2:
		if (s->n < 4)
			loop_timer_arm(t, 1000000ull, 0);
		break;
	}
}

static void test_callbacks_change_timers(void **state)
{
	struct hms_loop *loop;
	struct self a = { .mode = 0 }, b = { .mode = 1 }, c = { .mode = 2 };
	struct self d = { .mode = 0 };

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(loop_timer_new(loop, on_self, &a, &a.t), 0);
	assert_int_equal(loop_timer_new(loop, on_self, &b, &b.t), 0);
	assert_int_equal(loop_timer_new(loop, on_self, &c, &c.t), 0);
	assert_int_equal(loop_timer_new(loop, on_self, &d, &d.t), 0);
	b.other = d.t;
	loop_timer_arm(a.t, 1000000ull, 2000000ull);
	loop_timer_arm(b.t, 2000000ull, 0);
	loop_timer_arm(d.t, 30000000ull, 0);
	loop_timer_arm(c.t, 1000000ull, 0);
	for (int k = 0; k < 200; k++)
		loop_run_once(loop, 10);
	assert_int_equal(a.n, 3);
	assert_false(loop_timer_armed(a.t));
	assert_int_equal(b.n, 1);
	assert_null(b.t);
	assert_int_equal(c.n, 4);
	assert_int_equal(d.n, 0);	/* disarmed by b's callback */
	loop_timer_free(a.t);
	loop_timer_free(c.t);
	loop_timer_free(d.t);
	loop_free(loop);
}

static int fd_hits;

static void on_fd(int fd, uint32_t events, void *arg)
{
	char c;

	(void)events;
	(void)arg;
	if (read(fd, &c, 1) == 1)
		fd_hits++;
}

static void test_many_fds_del(void **state)
{
	struct hms_loop *loop;
	int p[64][2];

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(pipe(p[i]), 0);
		assert_int_equal(loop_add_fd(loop, p[i][0], EPOLLIN, on_fd,
					     NULL), 0);
	}
	/* remove the even ones; the odd ones still deliver */
	for (int i = 0; i < 64; i += 2)
		assert_int_equal(loop_del_fd(loop, p[i][0]), 0);
	assert_int_equal(loop_del_fd(loop, p[0][0]), -ENOENT);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(p[i][1], "x", 1), 1);
	fd_hits = 0;
	for (int k = 0; k < 10; k++)
		loop_run_once(loop, 10);
	assert_int_equal(fd_hits, 32);
	for (int i = 0; i < 64; i++) {
		if (i % 2)
			loop_del_fd(loop, p[i][0]);
		close(p[i][0]);
		close(p[i][1]);
	}
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_disarm),
		cmocka_unit_test(test_callbacks_change_timers),
		cmocka_unit_test(test_many_fds_del),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

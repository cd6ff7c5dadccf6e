// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_bus.c - bus dispatch (typed and catch-all subscriptions, order,
 * unsubscribe during dispatch, bounded nested publishing) and the loop's
 * fds and timers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <cmocka.h>
#include "bus.h"
#include "event.h"
#include "loop.h"

struct rec {
	int calls;
	int last_type;
	char order[16];
	struct hms_bus *bus;
	int unsub;
	int republish;
};

static void on_a(const struct hms_event_hdr *ev, void *arg)
{
	struct rec *r = arg;

	r->calls++;
	r->last_type = ev->type;
	strcat(r->order, "a");
}

static void on_b(const struct hms_event_hdr *ev, void *arg)
{
	struct rec *r = arg;

	(void)ev;
	strcat(r->order, "b");
	if (r->unsub)
		bus_unsubscribe(r->bus, BUS_ALL, on_b, r);
}

static void publish(struct hms_bus *bus, unsigned int type)
{
	struct hms_ev_exit e;

	event_init(&e.hdr, type, sizeof(e));
	bus_publish(bus, &e.hdr);
}

static void test_typed_and_all(void **state)
{
	struct hms_bus *bus;
	struct rec r = {0};

	(void)state;
	assert_int_equal(bus_new(&bus), 0);
	r.bus = bus;
	assert_int_equal(bus_subscribe(bus, HMS_EV_EXIT, on_a, &r), 0);
	assert_int_equal(bus_subscribe(bus, BUS_ALL, on_b, &r), 0);
	assert_int_equal(bus_subscribe(bus, 500, on_b, &r), -EINVAL);
	publish(bus, HMS_EV_EXIT);
	publish(bus, HMS_EV_EXEC);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.last_type, HMS_EV_EXIT);
	assert_string_equal(r.order, "abb");
	assert_int_equal(bus_published(bus), 2);
	bus_free(bus);
}

static void test_unsubscribe_during_dispatch(void **state)
{
	struct hms_bus *bus;
	struct rec r = {0};

	(void)state;
	assert_int_equal(bus_new(&bus), 0);
	r.bus = bus;
	r.unsub = 1;
	bus_subscribe(bus, BUS_ALL, on_b, &r);
	bus_subscribe(bus, BUS_ALL, on_a, &r);
	publish(bus, HMS_EV_EXIT);
	publish(bus, HMS_EV_EXIT);
	assert_string_equal(r.order, "baa");
	assert_int_equal(bus_unsubscribe(bus, BUS_ALL, on_b, &r), -ENOENT);
	bus_free(bus);
}

static void on_recurse(const struct hms_event_hdr *ev, void *arg)
{
	struct rec *r = arg;

	r->calls++;
	bus_publish(r->bus, ev);	/* would recurse forever */
}

static void test_nested_publish_bounded(void **state)
{
	struct hms_bus *bus;
	struct rec r = {0};

	(void)state;
	assert_int_equal(bus_new(&bus), 0);
	r.bus = bus;
	bus_subscribe(bus, BUS_ALL, on_recurse, &r);
	publish(bus, HMS_EV_ALERT);
	assert_int_equal(r.calls, 8);
	assert_int_equal(bus_dropped(bus), 1);
	bus_free(bus);
	bus_free(NULL);
}

static void on_timer(struct hms_timer *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
}

static void on_fd(int fd, uint32_t events, void *arg)
{
	char c;

	(void)events;
	if (read(fd, &c, 1) == 1)
		(*(int *)arg)++;
}

static void test_loop_fd_and_timer(void **state)
{
	struct hms_loop *loop;
	struct hms_timer *t;
	int fired = 0, reads = 0, p[2];

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_add_fd(loop, p[0], EPOLLIN, on_fd, &reads), 0);
	assert_int_equal(loop_timer_new(loop, on_timer, &fired, &t), 0);
	assert_false(loop_timer_armed(t));
	assert_int_equal(loop_timer_arm(t, 1000000, 0), 0);
	assert_true(write(p[1], "x", 1) == 1);
	for (int i = 0; i < 100 && (fired < 1 || reads < 1); i++)
		loop_run_once(loop, 100);
	assert_int_equal(fired, 1);
	assert_int_equal(reads, 1);
	assert_false(loop_timer_armed(t));	/* one shot: done */
	/* a disarmed timer never fires */
	assert_int_equal(loop_timer_arm(t, 1000000, 0), 0);
	assert_int_equal(loop_timer_disarm(t), 0);
	loop_run_once(loop, 20);
	assert_int_equal(fired, 1);
	assert_int_equal(loop_del_fd(loop, p[0]), 0);
	assert_int_equal(loop_del_fd(loop, p[0]), -ENOENT);
	loop_stop(loop, 7);
	assert_int_equal(loop_run(loop), 7);
	loop_timer_free(t);
	loop_free(loop);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed_and_all),
		cmocka_unit_test(test_unsubscribe_during_dispatch),
		cmocka_unit_test(test_nested_publish_bounded),
		cmocka_unit_test(test_loop_fd_and_timer),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}

/*
 * test_metrics.c - the Prometheus endpoint served from the event loop:
 * real HTTP over loopback, counts of bus events, component rows with
 * escaped labels, 404 elsewhere, and bad listen addresses refused.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <cmocka.h>
#include "bus.h"
#include "event.h"
#include "loop.h"
#include "metrics.h"
#include "publisher.h"

struct client {
	uint16_t port;
	const char *path;
	char reply[65536];
	volatile int done;
};

static void *client_run(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(c->port) };
	char req[256];
	size_t got = 0;
	ssize_t n;
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a stuck server fails the test instead of hanging it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (void *)&a, sizeof(a)) == 0) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n",
			 c->path);
		if (write(fd, req, strlen(req)) > 0)
			while ((n = read(fd, c->reply + got,
					 sizeof(c->reply) - 1 - got)) > 0)
				got += n;
	}
	c->reply[got] = '\0';
	close(fd);
	c->done = 1;
	return NULL;
}

static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (void *)&a, sizeof(a));
	getsockname(fd, (void *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

static int fake_components(void *ctx, publisher_component_cb cb, void *arg)
{
	struct publisher_component c = { .name = "we\"ird\nname",
					 .state = "gave_up", .restarts = 5 };

	(void)ctx;
	return cb(&c, arg);
}

static void fetch(struct hms_loop *loop, struct client *c)
{
	pthread_t t;

	c->done = 0;
	pthread_create(&t, NULL, client_run, c);
	for (int i = 0; i < 200 && !c->done; i++)
		loop_run_once(loop, 50);
	pthread_join(t, NULL);
}

static void test_serves_metrics(void **state)
{
	struct publisher_sources src = { .components = fake_components };
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_metrics *m;
	struct hms_ev_exit e;
	struct client c = { .path = "/metrics" };
	char listen[64];

	(void)state;
	c.port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", c.port);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(bus_new(&bus), 0);
	assert_int_equal(metrics_new(listen, loop, bus, NULL, NULL, &src, &m), 0);
	event_init(&e.hdr, HMS_EV_EXIT, sizeof(e));
	bus_publish(bus, &e.hdr);
	bus_publish(bus, &e.hdr);
	fetch(loop, &c);
	assert_non_null(strstr(c.reply, "200 OK"));
	assert_non_null(strstr(c.reply, "text/plain; version=0.0.4"));
	assert_non_null(strstr(c.reply, "hms_up 1\n"));
	assert_non_null(strstr(c.reply, "hms_events_total{type=\"exit\"} 2\n"));
	assert_non_null(strstr(c.reply,
		"hms_component_up{component=\"we\\\"ird\\nname\",state=\"gave_up\"} 0\n"));
	assert_non_null(strstr(c.reply,
		"hms_component_restarts_total{component=\"we\\\"ird\\nname\"} 5\n"));
	c.path = "/other";
	fetch(loop, &c);
	assert_non_null(strstr(c.reply, "404"));
	metrics_free(m);
	bus_free(bus);
	loop_free(loop);
}

/* Up only on evidence: healthy or degraded with a live pid. */
static int evidence_components(void *ctx, publisher_component_cb cb,
			       void *arg)
{
	static const struct publisher_component cs[] = {
		{ .name = "alive", .state = "healthy", .pid = 42 },
		{ .name = "ghost", .state = "healthy", .pid = 0 },
		{ .name = "slow", .state = "degraded", .pid = 43 },
		{ .name = "rec", .state = "recovering", .pid = 44 },
		{ .name = "down", .state = "failed", .pid = 0 },
	};
	int r = 0;

	(void)ctx;
	for (size_t i = 0; !r && i < sizeof(cs) / sizeof(cs[0]); i++)
		r = cb(&cs[i], arg);
	return r;
}

static void test_up_needs_a_process(void **state)
{
	struct publisher_sources src = { .components = evidence_components };
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_metrics *m;
	struct hms_ev_outcome o;
	struct client c = { .path = "/metrics" };
	char listen[64];

	(void)state;
	c.port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", c.port);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(bus_new(&bus), 0);
	assert_int_equal(metrics_new(listen, loop, bus, NULL, NULL, &src, &m), 0);
	memset(&o, 0, sizeof(o));
	event_init(&o.hdr, HMS_EV_OUTCOME, sizeof(o));
	o.result = HMS_OUTCOME_UNVERIFIED;
	bus_publish(bus, &o.hdr);
	fetch(loop, &c);
	assert_non_null(strstr(c.reply,
		"hms_component_up{component=\"alive\",state=\"healthy\"} 1\n"));
	assert_non_null(strstr(c.reply,
		"hms_component_up{component=\"ghost\",state=\"healthy\"} 0\n"));
	assert_non_null(strstr(c.reply,
		"hms_component_up{component=\"slow\",state=\"degraded\"} 1\n"));
	assert_non_null(strstr(c.reply,
		"hms_component_up{component=\"rec\",state=\"recovering\"} 0\n"));
	assert_non_null(strstr(c.reply,
		"hms_component_up{component=\"down\",state=\"failed\"} 0\n"));
	/* an unverified outcome is neither a success nor a failure */
	assert_non_null(strstr(c.reply,
		"hms_outcomes_total{result=\"unverified\"} 1\n"));
	assert_non_null(strstr(c.reply,
		"hms_outcomes_total{result=\"success\"} 0\n"));
	assert_non_null(strstr(c.reply,
		"hms_outcomes_total{result=\"failure\"} 0\n"));
	metrics_free(m);
	bus_free(bus);
	loop_free(loop);
}

static void test_bad_listen(void **state)
{
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_metrics *m = NULL;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(bus_new(&bus), 0);
	assert_int_equal(metrics_new("localhost:80", loop, bus, NULL, NULL,
				     NULL, &m), -EINVAL);
	assert_int_equal(metrics_new("127.0.0.1", loop, bus, NULL, NULL,
				     NULL, &m), -EINVAL);
	assert_int_equal(metrics_new("127.0.0.1:99999", loop, bus, NULL,
				     NULL, NULL, &m), -EINVAL);
	assert_null(m);
	metrics_free(NULL);
	bus_free(bus);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serves_metrics),
		cmocka_unit_test(test_up_needs_a_process),
		cmocka_unit_test(test_bad_listen),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_metrics.c - the Prometheus endpoint served from the event loop:
 * real HTTP over loopback; failures, recoveries, actions and states
 * counted from bus events with their labels; a page that a strict parser
 * and promtool accept; 404 elsewhere; bad listen addresses refused.
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
#include "prom.h"
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
					 .state = HEALER_GAVE_UP, .restarts = 5 };

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

static void publish_failure(struct hms_bus *bus, const char *comp,
			    const char *cls)
{
	struct hms_ev_failure e;

	memset(&e, 0, sizeof(e));
	event_init(&e.hdr, HMS_EV_FAILURE, sizeof(e));
	snprintf(e.component, sizeof(e.component), "%s", comp);
	snprintf(e.failure, sizeof(e.failure), "%s", cls);
	bus_publish(bus, &e.hdr);
}

static void publish_outcome(struct hms_bus *bus, int success,
			    uint64_t recover_ns)
{
	struct hms_ev_outcome e;

	memset(&e, 0, sizeof(e));
	event_init(&e.hdr, HMS_EV_OUTCOME, sizeof(e));
	snprintf(e.component, sizeof(e.component), "api");
	snprintf(e.failure, sizeof(e.failure), "crash");
	snprintf(e.strategy, sizeof(e.strategy), "gentle-restart");
	e.success = success;
	e.recover_ns = recover_ns;
	bus_publish(bus, &e.hdr);
}

static void publish_action(struct hms_bus *bus, unsigned int phase,
			   int result)
{
	struct hms_ev_action e;

	memset(&e, 0, sizeof(e));
	event_init(&e.hdr, HMS_EV_ACTION, sizeof(e));
	snprintf(e.component, sizeof(e.component), "api");
	e.kind = ACTION_RESTART;
	e.phase = phase;	/* enum action_phase */
	e.result = result;
	bus_publish(bus, &e.hdr);
}

/* The rules hold and promtool (when installed) agrees. */
static void assert_valid(const char *text)
{
	char err[4096];

	if (prom_check(text, err, sizeof(err)))
		fail_msg("strict parser: %s\n%s", err, text);
	if (prom_promtool(text, err, sizeof(err)) == 127)
		return;		/* the integration test insists on it */
	if (prom_promtool(text, err, sizeof(err)))
		fail_msg("promtool check metrics: %s", err);
}

static void test_serves_metrics(void **state)
{
	struct publisher_sources src = { .components = fake_components };
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_metrics *m;
	struct hms_ev_exit e;
	struct hms_ev_component sc;
	struct client c = { .path = "/metrics" };
	char listen[64], *page;

	(void)state;
	c.port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", c.port);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(bus_new(&bus), 0);
	assert_int_equal(metrics_new(listen, loop, bus, NULL, NULL, &src, &m), 0);
	event_init(&e.hdr, HMS_EV_EXIT, sizeof(e));
	bus_publish(bus, &e.hdr);
	publish_failure(bus, "api", "crash");
	publish_failure(bus, "api", "crash");
	publish_failure(bus, "api", "oom");
	publish_failure(bus, "", "killed");	/* a host process */
	publish_action(bus, 0, 0);		/* started: not counted */
	publish_action(bus, 1, 0);
	publish_action(bus, 1, -EPERM);
	publish_action(bus, 2, 0);
	publish_outcome(bus, 1, 300000000ULL);	/* 0.3 s */
	publish_outcome(bus, 1, 7000000000ULL);	/* 7 s */
	publish_outcome(bus, 0, 1000000000ULL);
	memset(&sc, 0, sizeof(sc));
	event_init(&sc.hdr, HMS_EV_COMPONENT_STATE, sizeof(sc));
	snprintf(sc.component, sizeof(sc.component), "api");
	sc.new_state = HEALER_FAILED;
	bus_publish(bus, &sc.hdr);
	fetch(loop, &c);
	assert_non_null(strstr(c.reply, "200 OK"));
	assert_non_null(strstr(c.reply, "text/plain; version=0.0.4"));
	page = strstr(c.reply, "\r\n\r\n");
	assert_non_null(page);
	page += 4;
	assert_valid(page);
	assert_true(prom_value(page, "hms_build_info{version=\"" HMS_VERSION
			       "\"}") == 1);
	assert_true(prom_value(page, "process_start_time_seconds") > 1e9);
	assert_true(prom_value(page, "process_resident_memory_bytes") > 0);
	assert_true(prom_value(page, "process_cpu_seconds_total") >= 0);
	/* kernel types are no longer in hms_events_total (no overlap with
	 * hms_kernel_events_total), derived ones are */
	assert_true(prom_value(page, "hms_events_total{type=\"exit\"}") < 0);
	assert_true(prom_value(page, "hms_events_total{type=\"failure\"}") == 4);
	assert_true(prom_value(page, "hms_failures_total{component=\"api\","
			       "class=\"crash\"}") == 2);
	assert_true(prom_value(page, "hms_failures_total{component=\"api\","
			       "class=\"oom\"}") == 1);
	assert_true(prom_value(page, "hms_host_failures_total{class="
			       "\"killed\"}") == 1);
	assert_true(prom_value(page, "hms_recoveries_total{component=\"api\","
			       "class=\"crash\",strategy=\"gentle-restart\","
			       "result=\"success\"}") == 2);
	assert_true(prom_value(page, "hms_recoveries_total{component=\"api\","
			       "class=\"crash\",strategy=\"gentle-restart\","
			       "result=\"failure\"}") == 1);
	/* only successful recoveries have a time to recover */
	assert_true(prom_value(page, "hms_recovery_duration_seconds_count{"
			       "component=\"api\",class=\"crash\"}") == 2);
	assert_true(prom_value(page, "hms_recovery_duration_seconds_bucket{"
			       "component=\"api\",class=\"crash\",le="
			       "\"0.5\"}") == 1);
	assert_true(prom_value(page, "hms_recovery_duration_seconds_bucket{"
			       "component=\"api\",class=\"crash\",le="
			       "\"10\"}") == 2);
	assert_in_range((uint64_t)(prom_value(page,
		"hms_recovery_duration_seconds_sum{component=\"api\","
		"class=\"crash\"}") * 1000), 7299, 7301);
	assert_true(prom_value(page, "hms_actions_total{component=\"api\","
			       "kind=\"restart\",result=\"ok\"}") == 1);
	assert_true(prom_value(page, "hms_actions_total{component=\"api\","
			       "kind=\"restart\",result=\"failed\"}") == 1);
	assert_true(prom_value(page, "hms_actions_total{component=\"api\","
			       "kind=\"restart\",result=\"skipped\"}") == 1);
	assert_true(prom_value(page, "hms_component_transitions_total{"
			       "component=\"api\",state=\"failed\"}") == 1);
	/* one series per state, escaped labels */
	assert_true(prom_value(page, "hms_component_state{component="
			       "\"we\\\"ird\\nname\",state=\"gave_up\"}") == 1);
	assert_true(prom_value(page, "hms_component_state{component="
			       "\"we\\\"ird\\nname\",state=\"healthy\"}") == 0);
	assert_true(prom_value(page, "hms_component_restarts_total{component="
			       "\"we\\\"ird\\nname\"}") == 5);
	c.path = "/other";
	fetch(loop, &c);
	assert_non_null(strstr(c.reply, "404"));
	metrics_free(m);
	bus_free(bus);
	loop_free(loop);
}

/* The parser the tests rely on rejects what it must. */
static void test_strict_parser(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(prom_check("# HELP a x\n# TYPE a gauge\na 1\n",
				    err, sizeof(err)), 0);
	/* no HELP */
	assert_int_equal(prom_check("# TYPE a gauge\na 1\n", err,
				    sizeof(err)), -1);
	/* interleaved families */
	assert_int_equal(prom_check("# HELP a x\n# TYPE a gauge\n# HELP b x\n"
				    "# TYPE b gauge\na{l=\"1\"} 1\nb 1\n"
				    "a{l=\"2\"} 1\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "interleaved"));
	/* bad label name, bad escape, series twice */
	assert_int_equal(prom_check("# HELP a x\n# TYPE a gauge\na{1l=\"\"} 1\n",
				    err, sizeof(err)), -1);
	assert_int_equal(prom_check("# HELP a x\n# TYPE a gauge\na{l=\"\\t\"} 1\n",
				    err, sizeof(err)), -1);
	assert_int_equal(prom_check("# HELP a x\n# TYPE a gauge\na 1\na 2\n",
				    err, sizeof(err)), -1);
	/* histogram not cumulative, _count != +Inf */
	assert_int_equal(prom_check("# HELP h x\n# TYPE h histogram\n"
				    "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
				    "h_sum 1\nh_count 1\n", err, sizeof(err)), -1);
	assert_int_equal(prom_check("# HELP h x\n# TYPE h histogram\n"
				    "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n",
				    err, sizeof(err)), -1);
	assert_true(prom_value("a 1\nab 2\n", "ab") == 2);
	assert_true(prom_value("a 1\n", "b") == -1);
}

/* Up only on evidence: healthy or degraded with a live pid; an
 * unverified outcome is a result of its own. */
static int evidence_components(void *ctx, publisher_component_cb cb,
			       void *arg)
{
	static const struct publisher_component cs[] = {
		{ .name = "alive", .state = HEALER_HEALTHY, .pid = 42 },
		{ .name = "ghost", .state = HEALER_HEALTHY, .pid = 0 },
		{ .name = "slow", .state = HEALER_DEGRADED, .pid = 43 },
		{ .name = "rec", .state = HEALER_RECOVERING, .pid = 44 },
		{ .name = "down", .state = HEALER_FAILED, .pid = 0 },
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
	char listen[64], *page;

	(void)state;
	c.port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", c.port);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(bus_new(&bus), 0);
	assert_int_equal(metrics_new(listen, loop, bus, NULL, NULL, &src, &m), 0);
	memset(&o, 0, sizeof(o));
	event_init(&o.hdr, HMS_EV_OUTCOME, sizeof(o));
	snprintf(o.component, sizeof(o.component), "down");
	snprintf(o.failure, sizeof(o.failure), "missing");
	snprintf(o.strategy, sizeof(o.strategy), "alert");
	o.result = HMS_OUTCOME_UNVERIFIED;
	o.recover_ns = 1000000000ull;
	bus_publish(bus, &o.hdr);
	fetch(loop, &c);
	page = strstr(c.reply, "\r\n\r\n");
	assert_non_null(page);
	page += 4;
	assert_valid(page);
	assert_true(prom_value(page, "hms_component_up{component=\"alive\"}")
		    == 1);
	assert_true(prom_value(page, "hms_component_up{component=\"ghost\"}")
		    == 0);
	assert_true(prom_value(page, "hms_component_up{component=\"slow\"}")
		    == 1);
	assert_true(prom_value(page, "hms_component_up{component=\"rec\"}")
		    == 0);
	assert_true(prom_value(page, "hms_component_up{component=\"down\"}")
		    == 0);
	assert_true(prom_value(page, "hms_recoveries_total{component=\"down\","
			       "class=\"missing\",strategy=\"alert\","
			       "result=\"unverified\"}") == 1);
	assert_true(prom_value(page, "hms_recoveries_total{component=\"down\","
			       "class=\"missing\",strategy=\"alert\","
			       "result=\"success\"}") < 0);
	/* no time to recover for what did not recover */
	assert_true(prom_value(page, "hms_recovery_duration_seconds_count{"
			       "component=\"down\",class=\"missing\"}") < 1);
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
		cmocka_unit_test(test_strict_parser),
		cmocka_unit_test(test_up_needs_a_process),
		cmocka_unit_test(test_bad_listen),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}

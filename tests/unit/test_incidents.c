// SPDX-License-Identifier: BSD-2-Clause
/* test_incidents.c - the incident log as a bus subscriber: every failure
 * event is stored (a component's under its name, a host-wide one under
 * CONFIG_HOST_COMPONENT, with its cause as detail); past `burst` per
 * (comm, class) per interval failures are counted, and the count is
 * stored as one summary incident once the interval is over; other
 * (comm, class) pairs have their own budget.  Real RocksDB in a temp
 * dir, events injected on a real bus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "config.h"
#include "event.h"
#include "incidents.h"
#include "loop.h"
#include "registry.h"

struct fx {
	char dir[64];
	struct hms_registry *reg;
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_config *cfg;
	struct hms_incidents *inc;
};

static int fx_setup(void **state)
{
	static const char y[] =
		"daemon: {incidents: {burst: 3, interval_s: 0.2}}\n";
	struct fx *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/hms-incidents-XXXXXX");
	if (!fx || !mkdtemp(fx->dir) || registry_open(fx->dir, &fx->reg) ||
	    loop_new(&fx->loop) || bus_new(&fx->bus) ||
	    config_load_string("t", y, strlen(y), &fx->cfg, stderr) ||
	    incidents_new(fx->cfg, fx->loop, fx->bus, fx->reg, &fx->inc))
		return -1;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	incidents_free(fx->inc);
	config_free(fx->cfg);
	bus_free(fx->bus);
	loop_free(fx->loop);
	registry_close(fx->reg);
	harness_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void publish_failure(struct fx *fx, const char *component, const char *comm,
		 const char *class, uint32_t pid)
{
	struct hms_ev_failure f;

	memset(&f, 0, sizeof(f));
	event_init(&f.hdr, HMS_EV_FAILURE, sizeof(f));
	f.hdr.tgid = pid;
	snprintf(f.hdr.comm, sizeof(f.hdr.comm), "%s", comm);
	snprintf(f.component, sizeof(f.component), "%s", component);
	snprintf(f.failure, sizeof(f.failure), "%s", class);
	snprintf(f.cause, sizeof(f.cause), "SIGSEGV");
	f.signal = 11;
	bus_publish(fx->bus, &f.hdr);
}

struct tally {
	int n, summaries, host, api;
	char summary[128];
};

static int tally_cb(uint64_t id, const struct registry_incident *in,
		    void *arg)
{
	struct tally *t = arg;

	(void)id;
	if (!strncmp(in->detail, "rate limit", 10)) {
		t->summaries++;
		snprintf(t->summary, sizeof(t->summary), "%s", in->detail);
		return 0;
	}
	t->n++;
	t->host += !strcmp(in->component, CONFIG_HOST_COMPONENT);
	t->api += !strcmp(in->component, "api");
	assert_string_equal(in->detail, "SIGSEGV");
	return 0;
}

static struct tally query(struct fx *fx)
{
	struct registry_query q = { 0 };
	struct tally t = { 0 };

	assert_true(registry_query_incidents(fx->reg, &q, tally_cb, &t) >= 0);
	return t;
}

static void test_storm_limit(void **state)
{
	struct fx *fx = *state;
	struct incidents_stats st;
	struct tally t;
	uint64_t end;

	for (uint32_t i = 0; i < 10; i++)
		publish_failure(fx, "", "stormy", "crash", 100 + i);
	publish_failure(fx, "api", "api", "crash", 7);	/* its own budget */
	publish_failure(fx, "", "stormy", "exit", 8);	/* another class */
	incidents_get_stats(fx->inc, &st);
	assert_int_equal(st.stored, 5);
	assert_int_equal(st.dropped, 7);
	t = query(fx);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.host, 4);
	assert_int_equal(t.api, 1);
	assert_int_equal(t.summaries, 0);
	/* the interval ends: the dropped count is stored, once */
	end = loop_now_ns() + 10000000000ull;
	while (loop_now_ns() < end && !query(fx).summaries)
		loop_run_once(fx->loop, 100);
	t = query(fx);
	assert_int_equal(t.summaries, 1);
	assert_non_null(strstr(t.summary, "dropped=7"));
	/* a new interval has a new budget */
	publish_failure(fx, "", "stormy", "crash", 200);
	assert_int_equal(query(fx).n, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_storm_limit, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

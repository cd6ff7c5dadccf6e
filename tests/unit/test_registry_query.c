// SPDX-License-Identifier: BSD-2-Clause
/* test_registry_query.c - the query engine: incidents by component, by
 * failure class and by time range, with limits and newest-first order;
 * outcomes per strategy; exact aggregates per component x class x
 * strategy; stats.  Each test has its own store in a temp dir. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

struct fx {
	char dir[64];
	struct hms_registry *reg;
};

static const char *comps[] = { "api", "api2", "db" };
static const char *classes[] = { "crash", "oom", "hang" };

/* 300 incidents: i-th at T0 + i s (inserted out of time order), component
 * i % 3, class (i / 3) % 3, pid = i. */
static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	int i;

	strcpy(fx->dir, "/tmp/hms-reg-query-XXXXXX");
	if (!mkdtemp(fx->dir) || registry_open(fx->dir, &fx->reg))
		return -1;
	for (int k = 0; k < 300; k++) {
		struct registry_incident in = { .signal = 11 };
		uint64_t id;

		i = (k * 7) % 300;	/* a permutation of 0..299 */
		in.time_ns = T0 + i * SEC;
		in.pid = i;
		strcpy(in.host, "h1");
		strcpy(in.component, comps[i % 3]);
		strcpy(in.comm, in.component);
		strcpy(in.failure, classes[(i / 3) % 3]);
		snprintf(in.detail, sizeof(in.detail), "incident %d", i);
		if (registry_record_incident(fx->reg, &in, &id))
			return -1;
	}
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	registry_close(fx->reg);
	harness_rmtree(fx->dir);
	free(fx);
	return 0;
}

struct rows {
	int n;
	uint32_t pid[400];
	uint64_t t[400];
	char comp[400][32], fail[400][32];
};

static int collect(uint64_t id, const struct registry_incident *in, void *arg)
{
	struct rows *r = arg;
	struct registry_incident again;

	(void)again;
	assert_true(id > 0);
	r->pid[r->n] = in->pid;
	r->t[r->n] = in->time_ns;
	strcpy(r->comp[r->n], in->component);
	strcpy(r->fail[r->n], in->failure);
	r->n++;
	return 0;
}

static void assert_newest_first(const struct rows *r)
{
	for (int i = 1; i < r->n; i++)
		assert_true(r->t[i - 1] > r->t[i]);
}

static void test_by_component(void **state)
{
	struct fx *fx = *state;
	struct registry_query q = { .component = "api" };
	struct rows r = { 0 };

	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), 100);
	assert_int_equal(r.n, 100);
	assert_newest_first(&r);
	for (int i = 0; i < r.n; i++)
		assert_string_equal(r.comp[i], "api");	/* never api2 */
	assert_int_equal(r.pid[0], 297);
	assert_int_equal(r.pid[99], 0);
}

static void test_by_class_and_limit(void **state)
{
	struct fx *fx = *state;
	struct registry_query q = { .failure = "oom", .limit = 10 };
	struct rows r = { 0 };

	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), 10);
	assert_newest_first(&r);
	for (int i = 0; i < r.n; i++)
		assert_string_equal(r.fail[i], "oom");
	/* oom: (i/3)%3 == 1; largest such i < 300 has i/3 == 97: 291..293 */
	assert_int_equal(r.pid[0], 293);
	assert_int_equal(r.pid[3], 284);	/* next band: i/3 == 94 */
}

static void test_by_time_range(void **state)
{
	struct fx *fx = *state;
	struct registry_query q = { .since_ns = T0 + 100 * SEC,
				    .until_ns = T0 + 149 * SEC };
	struct rows r = { 0 };

	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), 50);
	assert_newest_first(&r);
	assert_int_equal(r.pid[0], 149);
	assert_int_equal(r.pid[49], 100);
}

static void test_component_class_and_range(void **state)
{
	struct fx *fx = *state;
	struct registry_query q = { .component = "db", .failure = "hang",
				    .since_ns = T0 + 30 * SEC,
				    .until_ns = T0 + 89 * SEC };
	struct rows r = { 0 };
	int expect = 0;

	for (int i = 30; i <= 89; i++)
		expect += i % 3 == 2 && (i / 3) % 3 == 2;
	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), expect);
	assert_true(expect > 0);
	for (int i = 0; i < r.n; i++) {
		assert_string_equal(r.comp[i], "db");
		assert_string_equal(r.fail[i], "hang");
	}
	assert_newest_first(&r);
}

static void test_empty_and_bad_queries(void **state)
{
	struct fx *fx = *state;
	struct registry_query q = { .component = "nobody" };
	struct rows r = { 0 };

	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), 0);
	q = (struct registry_query){ .since_ns = T0 + 1000 * SEC };
	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), 0);
	q = (struct registry_query){ .failure = "bogus" };
	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), -EINVAL);
	q = (struct registry_query){ .since_ns = 5, .until_ns = 4 };
	assert_int_equal(registry_query_incidents(fx->reg, &q, collect, &r), -EINVAL);
}

static void test_get_incident(void **state)
{
	struct fx *fx = *state;
	struct registry_incident in;

	assert_int_equal(registry_get_incident(fx->reg, 2, &in), 0);
	assert_int_equal(in.pid, 7);	/* second insert was i = 7 */
	assert_string_equal(in.detail, "incident 7");
	assert_int_equal(registry_get_incident(fx->reg, 301, &in), -ENOENT);
}

static void add_outcome(struct fx *fx, const char *comp, const char *strat,
			int ok, double ms, uint64_t t)
{
	struct registry_outcome o = { .time_ns = t, .success = ok,
				      .recover_ns = ms * 1e6 };

	strcpy(o.component, comp);
	strcpy(o.failure, "crash");
	strcpy(o.strategy, strat);
	assert_int_equal(registry_record_outcome(fx->reg, &o), 0);
}

static int collect_o(const struct registry_outcome *o, void *arg)
{
	struct rows *r = arg;

	r->t[r->n] = o->time_ns;
	strcpy(r->comp[r->n++], o->strategy);
	return 0;
}

struct aggs {
	int n;
	struct registry_aggregate a[8];
};

static int collect_a(const struct registry_aggregate *a, void *arg)
{
	struct aggs *g = arg;

	g->a[g->n++] = *a;
	return 0;
}

static void test_outcomes_and_aggregates(void **state)
{
	struct fx *fx = *state;
	struct registry_query all = { 0 }, lim = { .limit = 3 };
	struct rows r = { 0 };
	struct aggs g = { 0 };
	struct registry_stats st;

	/* restart on api: 10 outcomes, successes recover in 10..80 ms */
	for (int i = 0; i < 10; i++)
		add_outcome(fx, "api", "restart", i < 8, (i + 1) * 10.0, T0 + i * SEC);
	add_outcome(fx, "api", "reload", 0, 0, T0 + 50 * SEC);
	add_outcome(fx, "db", "restart", 1, 5, T0 + 60 * SEC);
	assert_int_equal(registry_query_outcomes(fx->reg, "restart", &all,
						 collect_o, &r), 11);
	for (int i = 0; i < r.n; i++)
		assert_string_equal(r.comp[i], "restart");
	assert_newest_first(&r);
	memset(&r, 0, sizeof(r));
	assert_int_equal(registry_query_outcomes(fx->reg, NULL, &lim, collect_o, &r), 3);
	assert_true(r.t[0] == T0 + 60 * SEC && r.t[1] == T0 + 50 * SEC);

	assert_int_equal(registry_aggregate_foreach(fx->reg, &all, collect_a, &g), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.a[0].component, "api");
	assert_string_equal(g.a[0].strategy, "reload");
	assert_int_equal(g.a[0].count, 1);
	assert_int_equal(g.a[0].successes, 0);
	assert_true(g.a[0].median_recover_ms < 0);	/* none healed */
	assert_string_equal(g.a[1].strategy, "restart");
	assert_int_equal(g.a[1].count, 10);
	assert_int_equal(g.a[1].successes, 8);
	assert_true(fabs(g.a[1].success_rate - 0.8) < 1e-12);
	assert_true(fabs(g.a[1].median_recover_ms - 45) < 1e-9);	/* 10..80 */
	assert_true(fabs(g.a[1].p95_recover_ms - 76.5) < 1e-9);
	assert_string_equal(g.a[2].component, "db");

	memset(&g, 0, sizeof(g));
	all.component = "db";
	assert_int_equal(registry_aggregate_foreach(fx->reg, &all, collect_a, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(registry_get_stats(fx->reg, &st), 0);
	assert_int_equal(st.incidents, 300);
	assert_int_equal(st.outcomes, 12);
	assert_int_equal(st.evidence, 3);
	assert_int_equal(st.schema_version, 2);
	assert_true(st.disk_bytes > 0);
	assert_int_equal(registry_compact(fx->reg), 0);
}

static void test_readonly_open_sees_data(void **state)
{
	struct fx *fx = *state;
	struct hms_registry *ro = NULL;
	struct registry_query q = { .component = "db" };
	struct rows r = { 0 };
	struct registry_incident in = { .time_ns = T0, .component = "db",
					.failure = "crash" };

	/* the writer still holds the store: a second writer is refused */
	assert_int_equal(registry_open(fx->dir, &ro), -EBUSY);
	assert_int_equal(registry_open_ro(fx->dir, &ro), 0);
	assert_int_equal(registry_query_incidents(ro, &q, collect, &r), 100);
	assert_int_equal(registry_record_incident(ro, &in, NULL), -EROFS);
	registry_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_by_component, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_by_class_and_limit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_by_time_range, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_component_class_and_range, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_bad_queries, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_get_incident, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_outcomes_and_aggregates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_readonly_open_sees_data, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_replica.c - the library halves of the isolated registry, on a
 * real store in a temp dir and a real in-memory one: a copy seeded from
 * the store's snapshot learned the same evidence; every write the copy
 * accepts is forwarded (incidents and outcome rows are not kept in the
 * copy), and applying the forwards to the store keeps both equal; a row
 * learned in the copy since the start is not replaced by an older
 * snapshot row; a PSI threshold and parameters tuned in the copy are
 * tuned in the store (and in a copy seeded after a restart);
 * wrong-size and unknown forwards are refused; ENOSPC,
 * EIO... are I/O errors, a validation error is not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry.h"

#define SEC 1000000000ull
static uint64_t T0;	/* a minute ago: evidence not decayed away */
#define FW_MAX 64

struct fwd {
	int op[FW_MAX];
	size_t size[FW_MAX];
	char item[FW_MAX][2048];
	int n;
};

struct fx {
	char dir[64];
	struct hms_registry *disk, *mem;
	struct fwd fw;
};

static void on_forward(int op, const void *item, size_t size, void *arg)
{
	struct fwd *f = arg;

	assert_true(f->n < FW_MAX && size <= sizeof(f->item[0]));
	f->op[f->n] = op;
	f->size[f->n] = size;
	memcpy(f->item[f->n], item, size);
	f->n++;
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/hms-reg-rep-XXXXXX");
	if (!mkdtemp(fx->dir) || registry_open(fx->dir, &fx->disk) ||
	    registry_open_mem(&fx->mem))
		return -1;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	registry_close(fx->mem);
	registry_close(fx->disk);
	harness_rmtree(fx->dir);
	free(fx);
	return 0;
}

static struct registry_outcome outcome(int i, int success)
{
	struct registry_outcome o = { .time_ns = T0 + (uint64_t)i * SEC,
				      .success = success,
				      .recover_ns = 5000000 };

	strcpy(o.component, "svc");
	strcpy(o.failure, "crash");
	strcpy(o.strategy, "restart");
	strcpy(o.params, "{}");
	return o;
}

static int put_row(unsigned int cf, const void *key, size_t klen,
		   const void *val, size_t vlen, void *arg)
{
	assert_int_equal(registry_load_row(arg, cf, key, klen, val, vlen), 0);
	return 0;
}

/* decayed to now, so a few ns apart: equal to 1e-9 */
static bool near(double a, double b)
{
	return a - b < 1e-9 * (1 + b) && b - a < 1e-9 * (1 + a);
}

struct ev_sum {
	double s, f;
	uint64_t n;
	int rows;
};

static int sum_ev(const struct registry_evidence *ev, void *arg)
{
	struct ev_sum *x = arg;

	x->s += ev->successes;
	x->f += ev->failures;
	x->n += ev->n_outcomes;
	x->rows++;
	return 0;
}

static struct ev_sum evidence(struct hms_registry *reg)
{
	struct ev_sum x = { 0 };

	assert_int_equal(registry_evidence_foreach(reg, NULL, sum_ev, &x), 0);
	return x;
}

static int count_outcome(const struct registry_outcome *o, void *arg)
{
	(void)o;
	(*(int *)arg)++;
	return 0;
}

static int n_outcomes(struct hms_registry *reg)
{
	struct registry_query q = { 0 };
	int n = 0;

	assert_true(registry_query_outcomes(reg, NULL, &q, count_outcome,
					    &n) >= 0);
	return n;
}

static void seed(struct fx *fx)
{
	assert_int_equal(registry_snapshot(fx->disk, put_row, fx->mem), 0);
	assert_int_equal(registry_load_end(fx->mem), 0);
}

static void test_seeded_copy_learned_the_same(void **state)
{
	struct fx *fx = *state;
	struct ev_sum a, b;

	for (int i = 0; i < 10; i++) {
		struct registry_outcome o = outcome(i, i % 3 != 0);

		assert_int_equal(registry_record_outcome(fx->disk, &o), 0);
	}
	seed(fx);
	a = evidence(fx->disk);
	b = evidence(fx->mem);
	assert_int_equal(a.rows, 1);
	assert_int_equal(b.rows, 1);
	assert_true(near(a.s, b.s) && near(a.f, b.f) && a.n == b.n);
	assert_int_equal(a.n, 10);
	/* the copy keeps what choices need, not the outcome rows */
	assert_int_equal(n_outcomes(fx->mem), 0);
}

static void test_forwards_keep_both_equal(void **state)
{
	struct fx *fx = *state;
	struct registry_incident in = { .time_ns = T0, .pid = 42,
					.signal = 11 };
	struct registry_strategy st = { 0 };
	struct ev_sum a, b;
	uint64_t id = 99;

	registry_set_forward(fx->mem, on_forward, &fx->fw);
	strcpy(st.name, "restart");
	strcpy(st.actions, "[{\"restart\":{}}]");
	assert_int_equal(registry_put_strategy(fx->mem, &st), 0);
	strcpy(in.component, "svc");
	strcpy(in.failure, "crash");
	strcpy(in.comm, "svc");
	assert_int_equal(registry_record_incident(fx->mem, &in, &id), 0);
	assert_int_equal(id, 0);	/* the store allocates ids */
	for (int i = 0; i < 5; i++) {
		struct registry_outcome o = outcome(i, i != 2);

		assert_int_equal(registry_record_outcome(fx->mem, &o), 0);
	}
	registry_set_half_life(fx->mem, 3600);
	/* an invalid write is refused and not forwarded */
	{
		struct registry_outcome bad = outcome(9, 1);

		strcpy(bad.failure, "nope");
		assert_int_equal(registry_record_outcome(fx->mem, &bad),
				 -EINVAL);
	}
	assert_int_equal(fx->fw.n, 1 + 1 + 5 + 1);
	assert_int_equal(fx->fw.op[0], REGISTRY_OP_STRATEGY);
	assert_int_equal(fx->fw.op[1], REGISTRY_OP_INCIDENT);
	assert_int_equal(fx->fw.op[2], REGISTRY_OP_OUTCOME);
	assert_int_equal(fx->fw.op[7], REGISTRY_OP_HALF_LIFE);
	for (int i = 0; i < fx->fw.n; i++)
		assert_int_equal(registry_apply(fx->disk, fx->fw.op[i],
						fx->fw.item[i],
						fx->fw.size[i]), 0);
	a = evidence(fx->disk);
	b = evidence(fx->mem);
	assert_true(near(a.s, b.s) && near(a.f, b.f) && a.n == b.n);
	assert_int_equal(a.n, 5);
	assert_int_equal(n_outcomes(fx->disk), 5);
	assert_int_equal(registry_get_incident(fx->disk, 1, &in), 0);
	assert_int_equal(in.pid, 42);
	assert_int_equal(registry_get_strategy(fx->disk, "restart", &st), 0);
}

/* a store that died after its commit and before its ACK gets the same
 * writes again from its successor: they count once */
static void test_replayed_writes_count_once(void **state)
{
	struct fx *fx = *state;
	struct registry_incident in = { .time_ns = T0, .pid = 7,
					.signal = 11 };
	struct ev_sum a, b[2];
	uint64_t id;

	registry_set_forward(fx->mem, on_forward, &fx->fw);
	strcpy(in.component, "svc");
	strcpy(in.failure, "crash");
	strcpy(in.comm, "svc");
	assert_int_equal(registry_record_incident(fx->mem, &in, &id), 0);
	for (int i = 0; i < 4; i++) {
		struct registry_outcome o = outcome(i, i != 1);

		assert_int_equal(registry_record_outcome(fx->mem, &o), 0);
	}
	for (int round = 0; round < 2; round++) {	/* sent, then resent */
		for (int i = 0; i < fx->fw.n; i++)
			assert_int_equal(registry_apply(fx->disk,
							fx->fw.op[i],
							fx->fw.item[i],
							fx->fw.size[i]), 0);
		b[round] = evidence(fx->disk);
	}
	a = b[1];
	assert_int_equal(a.n, 4);
	assert_true(near(a.s, b[0].s) && near(a.f, b[0].f));
	assert_true(a.s > 2.5 && a.f > 0.5);
	assert_int_equal(n_outcomes(fx->disk), 4);
	assert_int_equal(registry_get_incident(fx->disk, 1, &in), 0);
	assert_int_not_equal(registry_get_incident(fx->disk, 2, &in), 0);
	/* a different outcome at the same instant is not a replay */
	{
		struct registry_outcome o = outcome(0, 1);

		strcpy(o.component, "svc2");
		assert_int_equal(registry_apply(fx->disk, REGISTRY_OP_OUTCOME,
						&o, sizeof(o)), 0);
		assert_int_equal(n_outcomes(fx->disk), 5);
	}
}

static void test_newer_rows_win_over_snapshot(void **state)
{
	struct fx *fx = *state;
	struct registry_outcome o = outcome(0, 0);
	struct ev_sum b;

	/* the store knows 4 successes; the copy learned one failure since
	 * the start: the copy keeps its own row */
	for (int i = 0; i < 4; i++) {
		struct registry_outcome s = outcome(i, 1);

		assert_int_equal(registry_record_outcome(fx->disk, &s), 0);
	}
	assert_int_equal(registry_record_outcome(fx->mem, &o), 0);
	seed(fx);
	b = evidence(fx->mem);
	print_message("copy: s %.3f f %.3f n %llu\n", b.s, b.f,
		      (unsigned long long)b.n);
	assert_int_equal(b.n, 1);
	assert_true(b.s < 0.5 && b.f > 0.5);
}

/* A PSI threshold tuned in the copy is tuned the same in the store. */
static void test_threshold_forwarded(void **state)
{
	struct fx *fx = *state;
	double vm = 0, vd = 0;

	registry_set_forward(fx->mem, on_forward, &fx->fw);
	for (int i = 0; i < 2; i++)
		assert_int_equal(registry_threshold_observe(fx->mem, "svc",
				 "mem_pressure", 100000, 400000,
				 REGISTRY_ALARM_FALSE, &vm), 0);
	assert_true(vm > 100000);
	assert_int_equal(fx->fw.n, 2);
	for (int i = 0; i < fx->fw.n; i++) {
		assert_int_equal(fx->fw.op[i], REGISTRY_OP_THRESHOLD);
		assert_int_equal(registry_apply(fx->disk, fx->fw.op[i],
						fx->fw.item[i],
						fx->fw.size[i]), 0);
	}
	assert_int_equal(registry_threshold_get(fx->disk, "svc",
			 "mem_pressure", 100000, 400000, &vd), 0);
	assert_true(near(vd, vm));
}

/* Parameters tuned in the copy are tuned in the store too: the copy
 * forwards each arm it sets up before the outcomes that use it, so the
 * store learns from them and a copy seeded after a restart starts from
 * what was tuned (here: healing needs a delay >= 300 ms, and a signal
 * choice where only USR1 heals). */
static void test_params_forwarded(void **state)
{
	static const char *const sigs[] = { "HUP", "USR1" };
	struct fx *fx = *state;
	char tm[128], td[128], tc[128];
	struct hms_registry *again = NULL;
	int defs = 0;

	registry_set_forward(fx->mem, on_forward, &fx->fw);
	for (int i = 0; i < 40; i++) {
		struct registry_param q[2] = {
			{ .name = "delay_ms", .lo = 10, .hi = 5000,
			  .dflt = 1000, .ratio = 1.4142 },
			{ .name = "signal", .choices = sigs, .nchoices = 2 },
		};
		struct registry_outcome o = outcome(i, 0);

		assert_int_equal(registry_params_choose(fx->mem, "svc", "crash",
							"restart", q, 2), 0);
		o.success = q[0].value >= 300 && !strcmp(q[1].str, "USR1");
		o.trial = q[0].trial || q[1].trial;
		snprintf(o.params, sizeof(o.params),
			 "{\"delay_ms\":%.3f,\"signal\":\"%s\"}", q[0].value,
			 q[1].str);
		assert_int_equal(registry_record_outcome(fx->mem, &o), 0);
	}
	assert_int_equal(registry_tuned_params(fx->mem, "svc", "crash",
					       "restart", tm, sizeof(tm)), 0);
	for (int i = 0; i < fx->fw.n; i++) {
		defs += fx->fw.op[i] == REGISTRY_OP_PARAM;
		assert_true(fx->fw.op[i] != REGISTRY_OP_OUTCOME || defs == 2);
		assert_int_equal(registry_apply(fx->disk, fx->fw.op[i],
						fx->fw.item[i],
						fx->fw.size[i]), 0);
	}
	assert_int_equal(defs, 2);	/* once per arm, not per choice */
	assert_int_equal(registry_tuned_params(fx->disk, "svc", "crash",
					       "restart", td, sizeof(td)), 0);
	assert_string_equal(td, tm);
	assert_non_null(strstr(td, "USR1"));
	/* a restart: a fresh copy from the store's snapshot */
	assert_int_equal(registry_open_mem(&again), 0);
	assert_int_equal(registry_snapshot(fx->disk, put_row, again), 0);
	assert_int_equal(registry_load_end(again), 0);
	assert_int_equal(registry_tuned_params(again, "svc", "crash",
					       "restart", tc, sizeof(tc)), 0);
	assert_string_equal(tc, tm);
	registry_close(again);
}

/* What a copy never does: keep incidents or outcome rows, or act as a
 * store (export, stats, snapshot...); and a store takes no snapshot. */
static void test_copy_has_no_store(void **state)
{
	struct fx *fx = *state;
	struct registry_incident in = { .time_ns = T0, .pid = 1 };
	struct registry_query q = { 0 };
	struct registry_stats st;
	FILE *f = tmpfile();
	uint64_t id = 99;
	int n = 0;

	assert_non_null(f);
	strcpy(in.component, "svc");
	strcpy(in.failure, "crash");
	assert_int_equal(registry_record_incident(fx->mem, &in, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(registry_query_incidents(fx->mem, &q, NULL, NULL), 0);
	assert_int_equal(registry_get_incident(fx->mem, 1, &in), -ENOENT);
	assert_int_equal(registry_export(fx->mem, f), -EOPNOTSUPP);
	assert_non_null(strstr(registry_last_error(fx->mem), "no store"));
	assert_int_equal(registry_get_stats(fx->mem, &st), -EOPNOTSUPP);
	assert_int_equal(registry_compact(fx->mem), -EOPNOTSUPP);
	assert_int_equal(registry_set_host(fx->mem, "h"), -EOPNOTSUPP);
	assert_int_equal(registry_snapshot(fx->mem, put_row, &n), -EOPNOTSUPP);
	assert_int_equal(registry_load_row(fx->disk, 1, "host", 4, "h", 1),
			 -EINVAL);
	assert_int_equal(registry_load_end(fx->disk), -EINVAL);
	fclose(f);
}

struct fleet_sum {
	double fs, ff;
	int rows;
};

static int sum_fleet(const struct registry_evidence *ev, void *arg)
{
	struct fleet_sum *x = arg;

	x->fs += ev->fleet_successes;
	x->ff += ev->fleet_failures;
	x->rows++;
	return 0;
}

/* The snapshot brings the store's host, strategies (their bounds
 * validate the copy's outcomes) and fleet evidence (imported from
 * another host's export) to the copy. */
static void test_snapshot_strategies_and_fleet(void **state)
{
	struct fx *fx = *state;
	struct registry_strategy st = { 0 };
	struct registry_outcome o = outcome(1, 1);
	struct fleet_sum a = { 0 }, b = { 0 };
	struct hms_registry *other;
	char odir[64], file[96];
	FILE *f;

	strcpy(odir, "/tmp/hms-reg-rep-o-XXXXXX");
	assert_non_null(mkdtemp(odir));
	snprintf(file, sizeof(file), "%s/export.json", odir);
	assert_int_equal(registry_open(odir, &other), 0);
	assert_int_equal(registry_set_host(other, "other-host"), 0);
	for (int i = 0; i < 6; i++) {
		struct registry_outcome x = outcome(i, i != 3);

		strcpy(x.strategy, "kill");
		assert_int_equal(registry_record_outcome(other, &x), 0);
	}
	f = fopen(file, "w");
	assert_non_null(f);
	assert_int_equal(registry_export(other, f), 0);
	fclose(f);
	registry_close(other);
	assert_true(registry_import(fx->disk, file, 0) > 0);
	harness_rmtree(odir);
	assert_int_equal(registry_set_host(fx->disk, "store-host"), 0);
	strcpy(st.name, "restart");
	strcpy(st.actions, "[{\"restart\":{}}]");
	strcpy(st.bounds, "{\"delay_ms\": [0, 1000]}");
	assert_int_equal(registry_put_strategy(fx->disk, &st), 0);
	seed(fx);
	/* the store's strategy: its bounds refuse this outcome in the copy */
	strcpy(o.params, "{\"delay_ms\": 5000}");
	assert_int_equal(registry_record_outcome(fx->mem, &o), -ERANGE);
	memset(&st, 0, sizeof(st));
	assert_int_equal(registry_get_strategy(fx->mem, "restart", &st), 0);
	assert_non_null(strstr(st.bounds, "delay_ms"));
	/* the store's fleet evidence, summed as the store sums it */
	assert_int_equal(registry_evidence_foreach(fx->disk, NULL, sum_fleet,
						   &a), 0);
	assert_int_equal(registry_evidence_foreach(fx->mem, NULL, sum_fleet,
						   &b), 0);
	assert_int_equal(a.rows, 1);
	assert_int_equal(b.rows, a.rows);
	assert_true(a.fs > 4 && a.ff > 0.5);
	assert_true(near(a.fs, b.fs) && near(a.ff, b.ff));
	/* the copy's incidents name the store's host */
	{
		struct registry_incident in = { .time_ns = T0, .pid = 3 };

		registry_set_forward(fx->mem, on_forward, &fx->fw);
		strcpy(in.component, "svc");
		strcpy(in.failure, "crash");
		assert_int_equal(registry_record_incident(fx->mem, &in, NULL),
				 0);
		assert_int_equal(fx->fw.n, 1);
		assert_string_equal(((struct registry_incident *)
				     fx->fw.item[0])->host, "store-host");
	}
}

static void test_apply_refuses_bad_items(void **state)
{
	struct fx *fx = *state;
	char junk[8] = { 0 };

	assert_int_equal(registry_apply(fx->disk, REGISTRY_OP_OUTCOME, junk,
					sizeof(junk)), -EINVAL);
	assert_int_equal(registry_apply(fx->disk, 12345, junk, sizeof(junk)),
			 -EINVAL);
	assert_int_equal(registry_load_row(fx->mem, 999, "k", 1, "v", 1),
			 -EINVAL);
	assert_true(registry_err_is_io(-ENOSPC));
	assert_true(registry_err_is_io(-EIO));
	assert_true(registry_err_is_io(-EDQUOT));
	assert_false(registry_err_is_io(-EINVAL));
	assert_false(registry_err_is_io(-ENOENT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seeded_copy_learned_the_same,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forwards_keep_both_equal,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replayed_writes_count_once,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_newer_rows_win_over_snapshot,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_params_forwarded,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_threshold_forwarded,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_has_no_store,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_strategies_and_fleet,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_bad_items,
						fx_setup, fx_teardown),
	};

	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	T0 = ((uint64_t)ts.tv_sec - 60) * SEC;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

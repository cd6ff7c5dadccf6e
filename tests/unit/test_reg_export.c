// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_export.c - export and import of what was learned: export ->
 * import into an empty store -> export gives the same strategies and
 * evidence; truncated, mistyped, out-of-range and unknown-version files
 * write nothing and name the item and field; dry runs write nothing;
 * importing the same export again changes nothing. */
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
#include <jansson.h>
#include "registry.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

struct fx {
	char dir[64];
	char a[128], b[128], file[128], file2[128];
	struct hms_registry *ra, *rb;
};

static uint64_t fixed_now(void *arg)
{
	(void)arg;
	return T0 + 3600 * SEC;
}

static void outcome(struct hms_registry *reg, const char *comp,
		    const char *fail, const char *strat, int ok, int i,
		    const char *params)
{
	struct registry_outcome o = { .time_ns = T0 + i * SEC, .success = ok,
				      .recover_ns = (i + 1) * 1000000ull };

	strcpy(o.component, comp);
	strcpy(o.failure, fail);
	strcpy(o.strategy, strat);
	strcpy(o.params, params);
	assert_int_equal(registry_record_outcome(reg, &o), 0);
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct registry_strategy s = { .name = "more-memory", .failure = "oom",
		.actions = "[{\"memory\":{\"factor\":1.5}},{\"restart\":{}}]",
		.params = "{\"factor\":1.5}", .bounds = "{\"factor\":[1.1,4]}" };
	struct registry_strategy r = { .name = "reload",
		.actions = "[{\"signal\":\"HUP\"}]" };

	strcpy(fx->dir, "/tmp/hms-reg-exp-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->a, sizeof(fx->a), "%s/a", fx->dir);
	snprintf(fx->b, sizeof(fx->b), "%s/b", fx->dir);
	snprintf(fx->file, sizeof(fx->file), "%s/export.json", fx->dir);
	snprintf(fx->file2, sizeof(fx->file2), "%s/export2.json", fx->dir);
	if (registry_open(fx->a, &fx->ra) || registry_open(fx->b, &fx->rb) ||
	    registry_set_host(fx->ra, "host-a") ||
	    registry_set_host(fx->rb, "host-b"))
		return -1;
	registry_set_clock(fx->ra, fixed_now, NULL);
	registry_set_clock(fx->rb, fixed_now, NULL);
	registry_put_strategy(fx->ra, &s);
	registry_put_strategy(fx->ra, &r);
	for (int i = 0; i < 20; i++) {
		outcome(fx->ra, "api", "oom", "more-memory", i % 4 != 0, i,
			i % 2 ? "{\"factor\":1.5}" : "{\"factor\":2}");
		outcome(fx->ra, "api", "net", "reload", i % 3 == 0, i,
			"{\"signal\":\"HUP\"}");
	}
	outcome(fx->ra, "db", "crash", "reload", 1, 7, "");
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	registry_close(fx->ra);
	registry_close(fx->rb);
	harness_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void export_to(struct hms_registry *reg, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(registry_export(reg, f), 0);
	assert_int_equal(fclose(f), 0);
}

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	if (!j)
		fail_msg("%s: %s", path, je.text);
	return j;
}

/* Export rows without what only the exporting host keeps. */
static json_t *portable(json_t *rows)
{
	json_t *c = json_deep_copy(rows), *r;
	size_t i;

	json_array_foreach(c, i, r)
		json_object_del(r, "tuned_params");
	return c;
}

static void test_roundtrip_into_empty_store(void **state)
{
	struct fx *fx = *state;
	json_t *one, *two, *src, *a, *b;

	export_to(fx->ra, fx->file);
	assert_int_equal(registry_import(fx->rb, fx->file, 0), 2 + 3);
	export_to(fx->rb, fx->file2);
	one = load(fx->file);
	two = load(fx->file2);
	assert_int_equal(json_integer_value(json_object_get(one, "schema_version")), 2);
	assert_string_equal(json_string_value(json_object_get(one, "host")), "host-a");
	assert_true(json_is_string(json_object_get(one, "export_id")));
	assert_true(json_integer_value(json_object_get(one, "exported_ns")) > 0);
	assert_int_equal(json_array_size(json_object_get(one, "evidence")), 3);
	assert_true(json_equal(json_object_get(one, "strategies"),
			       json_object_get(two, "strategies")));
	/* b has no evidence of its own; a's rows travel as a's source */
	assert_int_equal(json_array_size(json_object_get(two, "evidence")), 0);
	src = json_array_get(json_object_get(two, "sources"), 0);
	assert_string_equal(json_string_value(json_object_get(src, "host")), "host-a");
	assert_true(json_equal(json_object_get(src, "export_id"),
			       json_object_get(one, "export_id")));
	a = portable(json_object_get(one, "evidence"));
	b = portable(json_object_get(src, "evidence"));
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	json_decref(one);
	json_decref(two);
}

static int sum_ev(const struct registry_evidence *ev, void *arg)
{
	double *s = arg;

	s[0] += ev->successes;
	s[1] += ev->failures;
	s[2] += ev->n_outcomes;
	return 0;
}

/* Importing an export of this very store changes nothing (its own host
 * is never taken back); importing into another store twice is the same
 * as once, and the sums there equal the exporter's. */
static void test_import_twice_is_import_once(void **state)
{
	struct fx *fx = *state;
	double before[3] = { 0 }, after[3] = { 0 }, b1[3] = { 0 }, b2[3] = { 0 };
	struct registry_stats st;

	export_to(fx->ra, fx->file);
	registry_evidence_foreach(fx->ra, NULL, sum_ev, before);
	assert_int_equal(registry_import(fx->ra, fx->file, 0), 5);
	registry_evidence_foreach(fx->ra, NULL, sum_ev, after);
	for (int i = 0; i < 3; i++)
		assert_true(fabs(after[i] - before[i]) < 1e-9);
	assert_int_equal(registry_import(fx->rb, fx->file, 0), 5);
	registry_evidence_foreach(fx->rb, NULL, sum_ev, b1);
	assert_int_equal(registry_import(fx->rb, fx->file, 0), 5);
	registry_evidence_foreach(fx->rb, NULL, sum_ev, b2);
	for (int i = 0; i < 3; i++) {
		assert_true(fabs(b1[i] - before[i]) < 1e-6 * before[i] + 1e-9);
		assert_true(b1[i] == b2[i]);
	}
	registry_close(fx->rb);	/* and the same after a reopen */
	assert_int_equal(registry_open(fx->b, &fx->rb), 0);
	registry_set_clock(fx->rb, fixed_now, NULL);
	memset(b2, 0, sizeof(b2));
	registry_evidence_foreach(fx->rb, NULL, sum_ev, b2);
	for (int i = 0; i < 3; i++)
		assert_true(fabs(b1[i] - b2[i]) < 1e-9 * b1[i] + 1e-12);
	assert_int_equal(registry_get_stats(fx->rb, &st), 0);
	assert_int_equal(st.evidence, 3);
	assert_int_equal(st.strategies, 2);
	assert_int_equal(st.sources, 1);
}

/* Write the export of a with one edit applied by fn. */
static void write_edited(struct fx *fx, void (*fn)(json_t *doc))
{
	json_t *doc;

	export_to(fx->ra, fx->file);
	doc = load(fx->file);
	fn(doc);
	assert_int_equal(json_dump_file(doc, fx->file2, JSON_INDENT(1)), 0);
	json_decref(doc);
}

static json_t *ev0(json_t *doc)
{
	return json_array_get(json_object_get(doc, "evidence"), 0);
}

static void edit_mistyped(json_t *doc)
{
	json_object_set_new(ev0(doc), "successes", json_string("many"));
}

static void edit_negative(json_t *doc)
{
	json_object_set_new(json_array_get(json_object_get(doc, "evidence"), 2),
			    "failures", json_real(-3));
}

static void edit_version(json_t *doc)
{
	json_object_set_new(doc, "schema_version", json_integer(3));
}

static void edit_class(json_t *doc)
{
	json_object_set_new(ev0(doc), "failure", json_string("meltdown"));
}

static void edit_action(json_t *doc)
{
	json_t *s = json_array_get(json_object_get(doc, "strategies"), 1);

	json_object_set_new(s, "actions", json_pack("[{s:{}}]", "reboot"));
}

static void edit_bounds(json_t *doc)
{
	json_t *s = json_array_get(json_object_get(doc, "strategies"), 0);

	json_object_set_new(s, "params", json_pack("{s:f}", "factor", 9.0));
}

static void edit_recover(json_t *doc)
{
	json_array_set_new(json_object_get(ev0(doc), "recover_ms"), 0,
			   json_real(-1));
}

static void assert_b_untouched(struct fx *fx)
{
	struct registry_stats st;

	assert_int_equal(registry_get_stats(fx->rb, &st), 0);
	assert_int_equal(st.strategies, 0);
	assert_int_equal(st.evidence, 0);
	registry_close(fx->rb);	/* and not just in memory */
	assert_int_equal(registry_open(fx->b, &fx->rb), 0);
	assert_int_equal(registry_get_stats(fx->rb, &st), 0);
	assert_int_equal(st.strategies, 0);
	assert_int_equal(st.evidence, 0);
}

static void expect_refused(struct fx *fx, void (*fn)(json_t *), int err,
			   const char *needle)
{
	write_edited(fx, fn);
	assert_int_equal(registry_import(fx->rb, fx->file2, 0), err);
	if (!strstr(registry_last_error(fx->rb), needle))
		fail_msg("'%s' lacks '%s'", registry_last_error(fx->rb), needle);
	assert_b_untouched(fx);
}

static void test_bad_files_write_nothing(void **state)
{
	struct fx *fx = *state;
	char *buf;
	FILE *f;
	long n;

	expect_refused(fx, edit_mistyped, -EINVAL, "evidence[0].successes: expected a number");
	expect_refused(fx, edit_negative, -ERANGE, "evidence[2].failures: -3 is out of range");
	expect_refused(fx, edit_version, -EPROTO, "schema_version: 3 is not supported");
	expect_refused(fx, edit_class, -EINVAL, "evidence[0].failure: not a valid failure class");
	expect_refused(fx, edit_action, -EINVAL, "strategies[1] ('reload'): actions[0]: unknown action kind 'reboot'");
	expect_refused(fx, edit_bounds, -ERANGE, "strategies[0] ('more-memory'): params.factor: 9 is outside bounds");
	expect_refused(fx, edit_recover, -ERANGE, "evidence[0].recover_ms[0]");

	/* truncated: cut the valid export in half */
	export_to(fx->ra, fx->file);
	f = fopen(fx->file, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
	f = fopen(fx->file2, "w");
	fwrite(buf, 1, n / 2, f);
	fclose(f);
	free(buf);
	assert_int_equal(registry_import(fx->rb, fx->file2, 0), -EINVAL);
	assert_non_null(strstr(registry_last_error(fx->rb), "line"));
	assert_b_untouched(fx);
}

static void test_dry_run_writes_nothing(void **state)
{
	struct fx *fx = *state;

	export_to(fx->ra, fx->file);
	assert_int_equal(registry_import(fx->rb, fx->file, 1), 5);
	assert_b_untouched(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_into_empty_store, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_import_twice_is_import_once, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_files_write_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

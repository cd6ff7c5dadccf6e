// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_migrate.c - schema versions on open.  A store of the previous
 * schema (1) is written here with raw RocksDB calls, byte for byte as
 * docs/registry.md describes it, and registry_open() must migrate it and
 * read everything back correctly; a store of a newer schema is refused
 * with a clear message and left untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rocksdb/c.h>
#include "registry.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/hms-reg-mig-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	harness_rmtree(dir);
	return 0;
}

/* ---- raw RocksDB access, independent of the library ----------------- */

struct raw {
	rocksdb_t *db;
	rocksdb_options_t *o;
	rocksdb_column_family_handle_t *h[16];
	int n;
};

static void raw_open(struct raw *r, const char *const *names, int n)
{
	const rocksdb_options_t *co[16];
	char *err = NULL;

	r->o = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(r->o, 1);
	rocksdb_options_set_create_missing_column_families(r->o, 1);
	for (int i = 0; i < n; i++)
		co[i] = r->o;
	r->n = n;
	r->db = rocksdb_open_column_families(r->o, dir, n, names, co, r->h, &err);
	if (err)
		fail_msg("raw open: %s", err);
}

static void raw_put(struct raw *r, int cf, const void *k, size_t kl,
		    const void *v, size_t vl)
{
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	char *err = NULL;

	rocksdb_put_cf(r->db, wo, r->h[cf], k, kl, v, vl, &err);
	rocksdb_writeoptions_destroy(wo);
	if (err)
		fail_msg("raw put: %s", err);
}

static void raw_close(struct raw *r)
{
	for (int i = 0; i < r->n; i++)
		rocksdb_column_family_handle_destroy(r->h[i]);
	rocksdb_close(r->db);
	rocksdb_options_destroy(r->o);
}

static size_t be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
	return bytes;
}

static size_t str8(uint8_t *p, const char *s)
{
	p[0] = strlen(s);
	memcpy(p + 1, s, p[0]);
	return 1 + p[0];
}

enum { V1_DEFAULT, V1_META, V1_STRAT, V1_INC, V1_OUT, V1_IDXC, V1_N };

/* Schema 1: meta, strategies (no bounds), incidents (record version 1:
 * no core_dumped/sender_pid/detail), outcomes, idx_component_time with
 * empty values; no class or time index, no evidence family. */
static void write_v1_store(int n)
{
	static const char *const names[] = { "default", "meta", "strategies",
		"incidents", "outcomes", "idx_component_time" };
	static const char *comps[] = { "api", "db" };
	static const char *fails[] = { "crash", "oom", "exit" };
	static const char strat[] =
		"{\"v\":1,\"name\":\"gentle-restart\",\"failure\":\"crash\","
		"\"actions\":[{\"restart\":{}}],\"params\":{\"delay_ms\":100}}";
	struct raw r;
	uint8_t k[64], v[256], *p;
	char out[512];

	raw_open(&r, names, V1_N);
	raw_put(&r, V1_META, "schema_version", 14, "1", 1);
	raw_put(&r, V1_META, "host", 4, "oldhost", 7);
	raw_put(&r, V1_META, "created_ns", 10, "1600000000000000000", 19);
	raw_put(&r, V1_STRAT, "gentle-restart", 14, strat, strlen(strat));
	for (int i = 1; i <= n; i++) {
		const char *c = comps[i % 2], *f = fails[i % 3];
		uint64_t t = T0 + i * SEC;
		size_t kl;

		p = v;
		*p++ = 1;
		p += be(p, t, 8);
		p += be(p, 1000 + i, 4);	/* pid */
		p += be(p, 11, 4);		/* signal */
		p += be(p, (uint32_t)-1, 4);	/* exit code */
		p += str8(p, "oldhost");
		p += str8(p, c);
		p += str8(p, c);		/* comm */
		p += str8(p, f);
		be(k, i, 8);
		raw_put(&r, V1_INC, k, 8, v, p - v);
		kl = strlen(c) + 1;
		memcpy(k, c, kl);
		kl += be(k + kl, t, 8);
		kl += be(k + kl, i, 8);
		raw_put(&r, V1_IDXC, k, kl, "", 0);
	}
	for (int i = 1; i <= 4; i++) {	/* outcomes of restart on api */
		size_t kl = strlen("gentle-restart") + 1;
		uint64_t t = T0 + (100 + i) * SEC;

		memcpy(k, "gentle-restart", kl);
		kl += be(k + kl, t, 8);
		kl += be(k + kl, 2 * i, 8);
		kl += be(k + kl, i, 4);
		snprintf(out, sizeof(out),
			 "{\"v\":1,\"incident\":%d,\"time_ns\":%llu,\"component\":\"api\","
			 "\"failure\":\"crash\",\"strategy\":\"gentle-restart\","
			 "\"params\":{\"delay_ms\":100},\"success\":%s,\"recover_ns\":%d}",
			 2 * i, (unsigned long long)t, i != 3 ? "true" : "false",
			 i * 1000000);
		raw_put(&r, V1_OUT, k, kl, out, strlen(out));
	}
	raw_close(&r);
}

struct cnt {
	int n;
	uint32_t pid0;
	char detail0[128];
};

static int count(uint64_t id, const struct registry_incident *in, void *arg)
{
	struct cnt *c = arg;

	(void)id;
	if (!c->n++) {
		c->pid0 = in->pid;
		strcpy(c->detail0, in->detail);
	}
	return 0;
}

static uint64_t at_last_outcome(void *arg)
{
	(void)arg;
	return T0 + 104 * SEC;
}

static int rows;

static int grab(const struct registry_evidence *ev, void *arg)
{
	*(struct registry_evidence *)arg = *ev;
	rows++;
	return 0;
}

static void test_v1_store_is_migrated(void **state)
{
	struct hms_registry *reg = NULL;
	struct registry_incident in;
	struct registry_strategy s;
	struct registry_evidence ev;
	struct registry_stats st;
	struct registry_query q = { .failure = "oom" };
	struct cnt c = { 0 };
	int expect = 0;

	(void)state;
	write_v1_store(300);
	/* read-only open never migrates: it says so */
	assert_int_equal(registry_open_ro(dir, &reg), -EPROTO);
	assert_null(reg);
	assert_int_equal(registry_open(dir, &reg), 0);
	assert_int_equal(registry_get_stats(reg, &st), 0);
	assert_int_equal(st.schema_version, 2);
	assert_string_equal(st.host, "oldhost");
	assert_int_equal(st.incidents, 300);
	/* a v1 record reads back with every field it had */
	assert_int_equal(registry_get_incident(reg, 7, &in), 0);
	assert_true(in.time_ns == T0 + 7 * SEC);
	assert_int_equal(in.pid, 1007);
	assert_int_equal(in.signal, 11);
	assert_int_equal(in.exit_code, -1);
	assert_string_equal(in.host, "oldhost");
	assert_string_equal(in.component, "db");	/* comps[7 % 2] */
	assert_string_equal(in.comm, "db");
	assert_string_equal(in.failure, "oom");
	assert_int_equal(in.sender_pid, 0);
	assert_string_equal(in.detail, "");
	/* the class index did not exist in v1; it was built */
	for (int i = 1; i <= 300; i++)
		expect += i % 3 == 1;
	assert_int_equal(registry_query_incidents(reg, &q, count, &c), expect);
	assert_int_equal(c.pid0, 1000 + 298);
	/* so was the time index */
	memset(&c, 0, sizeof(c));
	q = (struct registry_query){ .since_ns = T0 + 291 * SEC };
	assert_int_equal(registry_query_incidents(reg, &q, count, &c), 10);
	/* strategies gain empty bounds */
	assert_int_equal(registry_get_strategy(reg, "gentle-restart", &s), 0);
	assert_string_equal(s.bounds, "{}");
	assert_string_equal(s.params, "{\"delay_ms\":100}");
	/* evidence rebuilt from the four stored outcomes (3 healed),
	 * seen at the time of the last one so nothing has decayed */
	registry_set_clock(reg, at_last_outcome, NULL);
	assert_int_equal(registry_evidence_foreach(reg, NULL, grab, &ev), 0);
	assert_int_equal(rows, 1);
	assert_int_equal(ev.n_outcomes, 4);
	/* 3 s of decay, and each later outcome of the group discounts the
	 * earlier ones by 0.999 */
	assert_true(ev.successes > 3 * 0.997 - 1e-4 && ev.successes < 3.0 + 1e-9);
	assert_true(ev.failures > 0.997 && ev.failures < 1.0 + 1e-9);
	/* parameters are learned only where a learner was asked for them */
	assert_string_equal(ev.tuned_params, "{}");
	/* new writes work and a second open does not migrate again */
	in.time_ns = T0 + 999 * SEC;
	assert_int_equal(registry_record_incident(reg, &in, NULL), 0);
	registry_close(reg);
	assert_int_equal(registry_open_ro(dir, &reg), 0);
	assert_int_equal(registry_get_stats(reg, &st), 0);
	assert_int_equal(st.incidents, 301);
	registry_close(reg);
}

static void test_newer_store_is_refused(void **state)
{
	static const char *const names[] = { "default", "meta", "strategies",
		"incidents", "outcomes", "idx_component_time", "idx_class_time",
		"idx_time", "evidence", "params", "fleet", "idx_future" };
	struct hms_registry *reg = NULL;
	struct registry_incident in = { .time_ns = T0, .component = "api",
					.failure = "crash" };
	char msg[1024] = "";
	struct raw r;
	FILE *cap;
	int saved, fd;

	(void)state;
	assert_int_equal(registry_open(dir, &reg), 0);
	assert_int_equal(registry_record_incident(reg, &in, NULL), 0);
	registry_close(reg);
	raw_open(&r, names, 12);	/* a future schema, with a family we lack */
	raw_put(&r, 1, "schema_version", 14, "3", 1);
	raw_close(&r);

	cap = tmpfile();
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(cap), 2);
	reg = (void *)1;
	assert_int_equal(registry_open(dir, &reg), -EPROTO);
	assert_null(reg);
	assert_int_equal(registry_open_ro(dir, &reg), -EPROTO);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	fd = fread(msg, 1, sizeof(msg) - 1, cap);
	fclose(cap);
	assert_true(fd > 0);
	assert_non_null(strstr(msg, "schema version 3, newer than this build supports (2)"));
	/* untouched: still version 3 */
	raw_open(&r, names, 12);
	{
		rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
		size_t vl;
		char *err = NULL;
		char *v = rocksdb_get_cf(r.db, ro, r.h[1], "schema_version", 14,
					 &vl, &err);

		assert_non_null(v);
		assert_memory_equal(v, "3", 1);
		rocksdb_free(v);
		rocksdb_readoptions_destroy(ro);
	}
	raw_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_store_is_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_store_is_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

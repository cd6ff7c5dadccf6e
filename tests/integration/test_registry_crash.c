// SPDX-License-Identifier: BSD-2-Clause
/* test_registry_crash.c - durability of the registry under SIGKILL.
 *
 * A child process runs a write storm (incidents with their index entries,
 * and outcomes) into a real RocksDB store and reports every acknowledged
 * incident id through a pipe; the parent kills it with SIGKILL in the
 * middle, several rounds in a row.  Then, reading the store with raw
 * RocksDB calls (not through the library under test), every index entry
 * must point at an existing incident that matches it, every incident must
 * have all its index entries, and every acknowledged incident must be
 * there; the copy of the record the component index carries must equal
 * the incident.  Finally the library must reopen the store and query it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <rocksdb/c.h>
#include "registry.h"

#define ROUNDS		4
#define ACK_PER_ROUND	3000
#define WAIT_LIMIT_MS	120000	/* generous: only a hang would hit it */

static char dir[64];
static uint64_t max_acked;
static uint64_t nacked;

static const char *comps[] = { "api", "db", "web", "cache", "worker" };
static const char *fails[] = { "crash", "exit", "oom", "killed", "hang",
			       "crash_loop", "net", "starved", "missing" };

static void storm(int fd)
{
	struct hms_registry *reg;
	struct timespec ts;
	uint64_t id, i;

	if (registry_open(dir, &reg))
		_exit(3);
	for (i = 0;; i++) {
		struct registry_incident in = { .pid = getpid(), .signal = 9 };
		struct registry_outcome o = { .success = i % 3 != 0,
					      .recover_ns = 1000000 * (i % 50) };

		clock_gettime(CLOCK_REALTIME, &ts);
		in.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		strcpy(in.host, "storm");
		strcpy(in.component, comps[i % 5]);
		strcpy(in.comm, in.component);
		strcpy(in.failure, fails[i % 9]);
		snprintf(in.detail, sizeof(in.detail), "storm write %llu",
			 (unsigned long long)i);
		if (registry_record_incident(reg, &in, &id))
			_exit(4);
		/* non-blocking: a full pipe drops acks, never stalls the storm */
		if (write(fd, &id, sizeof(id)) < 0 && errno != EAGAIN)
			_exit(5);
		if (i % 7 == 0) {
			o.incident_id = id;
			o.time_ns = in.time_ns;
			strcpy(o.component, in.component);
			strcpy(o.failure, in.failure);
			strcpy(o.strategy, i % 2 ? "restart" : "reload");
			if (registry_record_outcome(reg, &o))
				_exit(6);
		}
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void drain(int fd, uint64_t *count)
{
	uint64_t ids[512];
	ssize_t n;

	while ((n = read(fd, ids, sizeof(ids))) > 0) {
		for (ssize_t i = 0; i < n / 8; i++)
			if (ids[i] > max_acked)
				max_acked = ids[i];
		*count += n / 8;
		nacked += n / 8;
	}
}

static void one_round(void)
{
	uint64_t count = 0, start = now_ms();
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		storm(p[1]);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (count < ACK_PER_ROUND && now_ms() - start < WAIT_LIMIT_MS) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };

		poll(&pf, 1, 100);
		drain(p[0], &count);
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("storm child died early: status %d", status);
	}
	assert_int_equal(kill(pid, SIGKILL), 0);	/* mid-storm */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	drain(p[0], &count);	/* acks written before death count too */
	close(p[0]);
	assert_true(count >= ACK_PER_ROUND);
}

/* ---- independent check with raw RocksDB ---------------------------- */

enum { C_DEF, C_META, C_STRAT, C_INC, C_OUT, C_IDXC, C_IDXF, C_IDXT, C_EV, C_N };
static const char *const cf_names[C_N] = { "default", "meta", "strategies",
	"incidents", "outcomes", "idx_component_time", "idx_class_time",
	"idx_time", "evidence" };

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

struct raw {
	rocksdb_t *db;
	rocksdb_options_t *o;
	rocksdb_readoptions_t *ro;
	rocksdb_column_family_handle_t *h[C_N];
};

/* Incident record v2: version, time(8), pid, signal, exit, core, sender
 * (4 each), then length-prefixed host, component, comm, failure, detail. */
static int raw_incident(struct raw *r, uint64_t id, uint64_t *t,
			char *comp, char *fail)
{
	uint8_t k[8];
	size_t vl;
	char *err = NULL;
	uint8_t *v;
	const uint8_t *p;

	for (int i = 0; i < 8; i++)
		k[i] = id >> (56 - 8 * i);
	v = (uint8_t *)rocksdb_get_cf(r->db, r->ro, r->h[C_INC], (char *)k, 8,
				      &vl, &err);
	assert_null(err);
	if (!v)
		return -ENOENT;
	assert_int_equal(v[0], 2);
	*t = be64(v + 1);
	p = v + 29;
	p += 1 + p[0];	/* host */
	memcpy(comp, p + 1, p[0]);
	comp[p[0]] = 0;
	p += 1 + p[0];
	p += 1 + p[0];	/* comm */
	memcpy(fail, p + 1, p[0]);
	fail[p[0]] = 0;
	rocksdb_free(v);
	return 0;
}

static int raw_has(struct raw *r, int cf, const char *prefix, uint64_t t,
		   uint64_t id)
{
	uint8_t k[64];
	size_t n = prefix ? strlen(prefix) + 1 : 0, vl;
	char *err = NULL, *v;

	if (prefix)
		memcpy(k, prefix, n);
	for (int i = 0; i < 8; i++) {
		k[n + i] = t >> (56 - 8 * i);
		k[n + 8 + i] = id >> (56 - 8 * i);
	}
	v = rocksdb_get_cf(r->db, r->ro, r->h[cf], (char *)k, n + 16, &vl, &err);
	assert_null(err);
	rocksdb_free(v);
	return v != NULL;
}

/* Every entry of an index points at an incident that matches it. */
static uint64_t check_index(struct raw *r, int cf, int field)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(r->db, r->ro, r->h[cf]);
	uint64_t n = 0;

	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t kl;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
		size_t pl = kl - 16;
		uint64_t t, id = be64(k + pl + 8), it_t = be64(k + pl);
		char comp[64], fail[64];

		if (raw_incident(r, id, &t, comp, fail))
			fail_msg("%s entry -> missing incident %llu",
				 cf_names[cf], (unsigned long long)id);
		assert_true(t == it_t);
		if (field == 1) {	/* covering: value is the record itself */
			size_t vl, il;
			const char *v = rocksdb_iter_value(it, &vl);
			char *err = NULL, *rec = rocksdb_get_cf(r->db, r->ro,
				r->h[C_INC], (const char *)k + pl + 8, 8, &il, &err);

			assert_true(pl == strlen(comp) + 1 && !memcmp(k, comp, pl));
			assert_non_null(rec);
			assert_true(vl == il && !memcmp(v, rec, il));
			rocksdb_free(rec);
		}
		if (field == 2)
			assert_true(pl == strlen(fail) + 1 && !memcmp(k, fail, pl));
		n++;
	}
	rocksdb_iter_destroy(it);
	return n;
}

static uint64_t check_incidents(struct raw *r)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(r->db, r->ro, r->h[C_INC]);
	uint64_t n = 0, expect = 1;

	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	     rocksdb_iter_next(it), n++, expect++) {
		size_t kl;
		uint64_t id = be64((const uint8_t *)rocksdb_iter_key(it, &kl)), t;
		char comp[64], fail[64];

		assert_int_equal(id, expect);	/* no holes, no strays */
		assert_int_equal(raw_incident(r, id, &t, comp, fail), 0);
		assert_true(raw_has(r, C_IDXC, comp, t, id));
		assert_true(raw_has(r, C_IDXF, fail, t, id));
		assert_true(raw_has(r, C_IDXT, NULL, t, id));
	}
	rocksdb_iter_destroy(it);
	return n;
}

static void raw_verify(uint64_t *incidents)
{
	const rocksdb_options_t *co[C_N];
	struct raw r;
	char *err = NULL;
	uint64_t a, b, c;

	r.o = rocksdb_options_create();
	for (int i = 0; i < C_N; i++)
		co[i] = r.o;
	r.db = rocksdb_open_for_read_only_column_families(r.o, dir, C_N,
		cf_names, co, r.h, 0, &err);
	if (err)
		fail_msg("raw open: %s", err);
	r.ro = rocksdb_readoptions_create();
	*incidents = check_incidents(&r);
	a = check_index(&r, C_IDXC, 1);
	b = check_index(&r, C_IDXF, 2);
	c = check_index(&r, C_IDXT, 0);
	assert_true(a == *incidents && b == *incidents && c == *incidents);
	for (int i = 0; i < C_N; i++)
		rocksdb_column_family_handle_destroy(r.h[i]);
	rocksdb_readoptions_destroy(r.ro);
	rocksdb_close(r.db);
	rocksdb_options_destroy(r.o);
}

static int count_cb(uint64_t id, const struct registry_incident *in, void *arg)
{
	(void)id;
	(void)in;
	++*(uint64_t *)arg;
	return 0;
}

static void test_sigkill_during_write_storm(void **state)
{
	struct hms_registry *reg;
	struct registry_query q = { 0 };
	struct registry_stats st;
	uint64_t incidents, seen = 0;

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		one_round();
		raw_verify(&incidents);
		assert_true(incidents >= max_acked);	/* every ack survived */
	}
	print_message("%d kills, %llu acked, %llu incidents stored\n", ROUNDS,
		      (unsigned long long)nacked, (unsigned long long)incidents);
	assert_int_equal(registry_open(dir, &reg), 0);
	assert_int_equal(registry_get_stats(reg, &st), 0);
	assert_int_equal(st.incidents, incidents);
	assert_int_equal(registry_query_incidents(reg, &q, count_cb, &seen),
			 (int)incidents);
	assert_int_equal(seen, incidents);
	registry_close(reg);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/hms-reg-crash-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	harness_rmtree(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigkill_during_write_storm,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

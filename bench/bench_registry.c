// SPDX-License-Identifier: BSD-2-Clause
/* bench_registry - how fast the knowledge registry is at the sizes the
 * issue names: insert rate of incidents with their index entries, latency
 * of a strategy choice, a 1,000-row component+time-range query, store size
 * on disk and open time.  Prints median/p99 and a ratio to a baseline
 * (raw RocksDB doing the least work for the same answer); asserts nothing.
 *
 * usage: bench_registry [COUNT]   (default 1000000 incidents) */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rocksdb/c.h>
#include "bench_util.h"
#include "registry.h"

#define NCOMP	50
#define SEC	1000000000ull
#define T0	(1764300000ull * SEC)
#define STEP_NS	1000000ull	/* incidents 1 ms apart */

static const char *fails[] = { "crash", "exit", "oom", "killed", "hang",
			       "crash_loop", "net", "starved", "missing" };
static const char *strats[] = { "gentle-restart", "more-memory", "reload" };

static void fill(struct registry_incident *in, uint64_t i)
{
	memset(in, 0, sizeof(*in));
	in->time_ns = T0 + i * STEP_NS;
	strcpy(in->host, "bench-host");
	snprintf(in->component, sizeof(in->component), "comp%02u",
		 (unsigned)(i % NCOMP));
	snprintf(in->comm, sizeof(in->comm), "svc%02u", (unsigned)(i % NCOMP));
	strcpy(in->failure, fails[i % 9]);
	in->pid = 1000 + i % 30000;
	in->signal = 11;
	in->exit_code = -1;
	snprintf(in->detail, sizeof(in->detail), "SIGSEGV at 0x%llx",
		 (unsigned long long)(i * 2654435761u));
}

/* Baseline for inserts: one plain put of a same-sized value per incident,
 * no indexes, no validation, same default options (WAL on). */
static double raw_put_median(const char *dir, size_t n)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	uint64_t *lat = malloc(n * sizeof(*lat));
	char *err = NULL, key[8], val[96];
	rocksdb_t *db;
	double med;

	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_compression(o, rocksdb_lz4_compression);
	db = rocksdb_open(o, dir, &err);
	if (err) {
		fprintf(stderr, "baseline open: %s\n", err);
		exit(1);
	}
	memset(val, 'x', sizeof(val));
	for (size_t i = 0; i < n; i++) {
		uint64_t t = bench_now_ns();

		for (int b = 0; b < 8; b++)
			key[b] = i >> (56 - 8 * b);
		rocksdb_put(db, wo, key, 8, val, sizeof(val), &err);
		lat[i] = bench_now_ns() - t;
	}
	med = (double)bench_pct(lat, n, 0.5 * 100);
	rocksdb_close(db);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_options_destroy(o);
	free(lat);
	return med;
}

static void bench_insert(struct hms_registry *reg, size_t n, const char *tmp)
{
	struct registry_incident in;
	uint64_t *lat = malloc(n * sizeof(*lat)), start = bench_now_ns(), id;
	char base[256];
	double total, med, p99, bmed;

	for (size_t i = 0; i < n; i++) {
		uint64_t t = bench_now_ns();

		fill(&in, i);
		if (registry_record_incident(reg, &in, &id)) {
			fprintf(stderr, "insert: %s\n", registry_last_error(reg));
			exit(1);
		}
		lat[i] = bench_now_ns() - t;
	}
	total = (bench_now_ns() - start) / 1e9;
	med = (double)bench_pct(lat, n, 0.5 * 100);
	p99 = (double)bench_pct(lat, n, 0.99 * 100);
	snprintf(base, sizeof(base), "%s/baseline", tmp);
	bmed = raw_put_median(base, n < 200000 ? n : 200000);
	printf("insert      %zu incidents (+3 index entries each, one batch) in %.1f s: %.0f/s\n"
	       "            median %.1f us  p99 %.1f us  baseline raw put median %.1f us  ratio %.2f\n",
	       n, total, n / total, med / 1e3, p99 / 1e3, bmed / 1e3, med / bmed);
	free(lat);
}

static void seed_evidence(struct hms_registry *reg)
{
	for (int c = 0; c < NCOMP; c++)
		for (int f = 0; f < 3; f++)
			for (int s = 0; s < 3; s++)
				for (int k = 0; k < 10; k++) {
					struct registry_outcome o = {
						.time_ns = T0 + k * SEC,
						.success = (k + s) % 3 != 0,
						.recover_ns = (k + 1) * 1000000ull };

					snprintf(o.component, sizeof(o.component),
						 "comp%02d", c);
					strcpy(o.failure, fails[f]);
					strcpy(o.strategy, strats[s]);
					strcpy(o.params, "{\"initial_ms\":100}");
					registry_record_outcome(reg, &o);
				}
}

static void bench_choose(struct hms_registry *reg)
{
	enum { N = 200000 };
	static uint64_t lat[N], base[N];
	struct registry_choice ch;
	char comp[32];
	volatile double sink = 0;

	seed_evidence(reg);
	registry_seed(reg, 1);
	for (int i = 0; i < N; i++) {
		uint64_t t;

		snprintf(comp, sizeof(comp), "comp%02d", i % NCOMP);
		t = bench_now_ns();
		registry_choose(reg, comp, fails[i % 3], strats, 3, &ch);
		lat[i] = bench_now_ns() - t;
		sink += ch.sample;
		/* baseline: the clock reads alone, what a choice cannot beat */
		t = bench_now_ns();
		base[i] = bench_now_ns() - t;
	}
	printf("choose      3 candidates, %d choices: median %.2f us  p99 %.2f us  (target p99 <= 10 us)\n"
	       "            baseline clock-read pair median %.3f us  ratio %.1f\n",
	       N, (double)bench_pct(lat, N, 0.5 * 100) / 1e3, (double)bench_pct(lat, N, 0.99 * 100) / 1e3,
	       (double)bench_pct(base, N, 0.5 * 100) / 1e3, (double)bench_pct(lat, N, 0.5 * 100) / ((double)bench_pct(base, N, 0.5 * 100) ?: 1));
	(void)sink;
}

static int count_cb(uint64_t id, const struct registry_incident *in, void *arg)
{
	(void)id;
	(void)in;
	++*(size_t *)arg;
	return 0;
}

static int by_id_cb(uint64_t id, const struct registry_incident *in, void *arg)
{
	(void)in;
	((uint64_t *)arg)[0]++;
	((uint64_t *)arg)[1] = id;
	return 0;
}

static void bench_query(struct hms_registry *reg, size_t n)
{
	enum { Q = 300 };
	uint64_t lat[Q], base[Q], span = 1000ull * NCOMP * STEP_NS;
	size_t rows = 0, want = n / NCOMP < 1000 ? n / NCOMP : 1000;

	srand(7);
	for (int i = 0; i < Q; i++) {
		int c = rand() % NCOMP;
		uint64_t maxstart = n * STEP_NS > span ? n * STEP_NS - span : 0;
		uint64_t start = T0 + (maxstart ? (uint64_t)rand() * 7919 % maxstart : 0);
		char comp[32];
		struct registry_query q = { .component = comp, .since_ns = start,
					    .until_ns = start + span - 1 };
		struct registry_query b = { .since_ns = start,
					    .until_ns = start + 1000 * STEP_NS - 1 };
		uint64_t t, acc[2] = { 0 };

		snprintf(comp, sizeof(comp), "comp%02d", c);
		rows = 0;
		t = bench_now_ns();
		registry_query_incidents(reg, &q, count_cb, &rows);
		lat[i] = bench_now_ns() - t;
		if (rows != want) {
			fprintf(stderr, "query returned %zu rows, expected %zu\n",
				rows, want);
			exit(1);
		}
		/* baseline: the same number of rows from the plain time index */
		t = bench_now_ns();
		registry_query_incidents(reg, &b, by_id_cb, acc);
		base[i] = bench_now_ns() - t;
	}
	printf("query       component + time range, %zu rows, %d queries: median %.2f ms  p99 %.2f ms  (target <= 5 ms)\n"
	       "            baseline %zu consecutive rows of the time index median %.2f ms  ratio %.2f\n",
	       want, Q, (double)bench_pct(lat, Q, 0.5 * 100) / 1e6, (double)bench_pct(lat, Q, 0.99 * 100) / 1e6, want,
	       (double)bench_pct(base, Q, 0.5 * 100) / 1e6, (double)bench_pct(lat, Q, 0.5 * 100) / (double)bench_pct(base, Q, 0.5 * 100));
}

static double open_ms(const char *dir, struct hms_registry **reg)
{
	uint64_t t = bench_now_ns();

	if (registry_open(dir, reg))
		exit(1);
	return (bench_now_ns() - t) / 1e6;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	char tmp[] = "/tmp/bench-registry-XXXXXX", dir[300];
	struct hms_registry *reg;
	struct registry_stats st;
	double o1, o2, o3;

	if (!n || !mkdtemp(tmp)) {
		fprintf(stderr, "usage: bench_registry [COUNT > 0]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/store", tmp);
	printf("bench_registry: %zu incidents, %d components, 9 classes\n", n, NCOMP);
	o1 = open_ms(dir, &reg);
	bench_insert(reg, n, tmp);
	bench_choose(reg);
	bench_query(reg, n);
	registry_get_stats(reg, &st);
	printf("size        %.1f MB on disk before compaction (%.0f bytes/incident)\n",
	       st.disk_bytes / 1e6, (double)st.disk_bytes / n);
	registry_close(reg);
	o2 = open_ms(dir, &reg);	/* replays the WAL */
	registry_compact(reg);
	registry_get_stats(reg, &st);
	printf("size        %.1f MB on disk after compaction (%.0f bytes/incident)\n",
	       st.disk_bytes / 1e6, (double)st.disk_bytes / n);
	registry_close(reg);
	o3 = open_ms(dir, &reg);
	registry_close(reg);
	printf("open        empty %.1f ms, after writes (WAL replay) %.1f ms, after compaction %.1f ms\n",
	       o1, o2, o3);
	bench_rmtree(tmp);
	return 0;
}

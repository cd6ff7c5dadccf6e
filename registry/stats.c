// SPDX-License-Identifier: BSD-2-Clause
/* stats.c - what the store holds and how big it is, for `hms-registry
 * stats` and the dashboard, and manual compaction. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "internal.h"

static uint64_t reg_count(struct hms_registry *reg, int cf)
{
	rocksdb_iterator_t *it;
	uint64_t n = 0;

	if (!reg->cf[cf])
		return 0;
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[cf]);
	for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it);
	     reg_rdb.iter_next(it))
		n++;
	reg_rdb.iter_destroy(it);
	return n;
}

static uint64_t reg_disk_bytes(const char *dir)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	uint64_t sum = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			sum += st.st_size;
	}
	closedir(dp);
	return sum;
}

static int reg_count_source(struct hms_registry *reg, const char *host,
			    const char *id, uint64_t ns, void *arg)
{
	(void)reg;
	(void)host;
	(void)id;
	(void)ns;
	++*(uint64_t *)arg;
	return 0;
}

int registry_get_stats(struct hms_registry *reg, struct registry_stats *st)
{
	char buf[64];
	int err = reg_need_store(reg, "stats");

	memset(st, 0, sizeof(*st));
	if (err)
		return err;
	if (!reg_meta_get(reg, "schema_version", buf, sizeof(buf)))
		st->schema_version = atoi(buf);
	if (!reg_meta_get(reg, "created_ns", buf, sizeof(buf)))
		st->created_ns = strtoull(buf, NULL, 10);
	reg_meta_get(reg, "host", st->host, sizeof(st->host));
	st->incidents = reg_count(reg, CF_INCIDENTS);
	st->outcomes = reg_count(reg, CF_OUTCOMES);
	st->strategies = reg_count(reg, CF_STRATEGIES);
	st->evidence = reg->nev;
	st->disk_bytes = reg_disk_bytes(reg->dir);
	st->bad_rows = reg->bad_rows;
	reg_source_foreach(reg, reg_count_source, &st->sources);
	return 0;
}

int registry_compact(struct hms_registry *reg)
{
	int i, err = reg_need_store(reg, "compact");

	if (err)
		return err;
	if (reg->readonly)
		return reg_fail(reg, -EROFS, "store is open read-only");
	for (i = 0; i < REG_NCF; i++)
		if (reg->cf[i])
			reg_rdb.compact_range_cf(reg->db, reg->cf[i], NULL, 0,
						 NULL, 0);
	return 0;
}

/* Is the stored value of family cf valid?  (What open would skip.) */
static int reg_row_valid(struct hms_registry *reg, int cf, const char *v,
			 size_t len)
{
	struct registry_strategy st;
	struct registry_outcome o;
	struct reg_param p;
	struct reg_ev e;
	json_t *j;
	int err;

	switch (cf) {
	case CF_STRATEGIES:
		err = reg_strategy_decode(reg, v, len, &st);
		return !err && !reg_strategy_validate(reg, &st, "strategy");
	case CF_OUTCOMES:
		return !reg_outcome_decode(v, len, &o) &&
		       registry_name_valid(o.component) &&
		       registry_failure_valid(o.failure) &&
		       registry_name_valid(o.strategy);
	case CF_EVIDENCE:
	case CF_FLEET:
	case CF_PARAMS:
		j = json_loadb(v, len, 0, NULL);
		err = cf == CF_PARAMS ? reg_param_from_json(reg, j, &p, "param")
				      : reg_ev_from_json(reg, j, &e, "evidence");
		json_decref(j);
		return !err;
	}
	return 1;
}

int registry_repair(struct hms_registry *reg)
{
	static const int cfs[] = { CF_STRATEGIES, CF_OUTCOMES, CF_EVIDENCE,
				   CF_PARAMS, CF_FLEET };
	rocksdb_writebatch_t *wb;
	size_t i, klen, vlen;
	int err = reg_need_store(reg, "repair"), n = 0;

	if (err)
		return err;
	if (reg->readonly)
		return reg_fail(reg, -EROFS, "store is open read-only");
	wb = reg_rdb.writebatch_create();
	for (i = 0; i < sizeof(cfs) / sizeof(cfs[0]); i++) {
		rocksdb_iterator_t *it;

		if (!reg->cf[cfs[i]])
			continue;
		it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[cfs[i]]);
		for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it);
		     reg_rdb.iter_next(it)) {
			const char *k = reg_rdb.iter_key(it, &klen);
			const char *v = reg_rdb.iter_value(it, &vlen);

			if (reg_row_valid(reg, cfs[i], v, vlen))
				continue;
			reg_rdb.writebatch_delete_cf(wb, reg->cf[cfs[i]], k, klen);
			n++;
		}
		reg_rdb.iter_destroy(it);
	}
	reg->err[0] = 0;
	err = n ? reg_write(reg, wb) : 0;
	reg_rdb.writebatch_destroy(wb);
	if (!err)
		reg->bad_rows = 0;
	return err ? err : n;
}

// SPDX-License-Identifier: BSD-2-Clause
/* store.c - opening and closing the RocksDB store behind the registry:
 * column families, the meta record (schema version, created, host), the
 * version gate (newer refused, older migrated), the table options, and
 * the flush on close.
 * Everything else reaches RocksDB through the helpers here. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

const char *const reg_cf_names[REG_NCF] = {
	"default", "meta", "strategies", "incidents", "outcomes",
	"idx_component_time", "idx_class_time", "idx_time", "evidence",
	"params", "fleet",
};

int reg_fail(struct hms_registry *reg, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reg->err, sizeof(reg->err), fmt, ap);
	va_end(ap);
	return err;
}

int reg_db_err(struct hms_registry *reg, char *rerr, const char *what)
{
	int err = strstr(rerr, "lock") ? -EBUSY : -EIO;

	/* RocksDB says it in words: an errno for the caller's retry rule */
	if (strstr(rerr, "No space left"))
		err = -ENOSPC;
	else if (strstr(rerr, "quota exceeded"))
		err = -EDQUOT;
	else if (strstr(rerr, "Read-only file system"))
		err = -EROFS;

	reg_fail(reg, err, "%s: %s", what, rerr);
	free(rerr);
	return err;
}

const char *registry_last_error(const struct hms_registry *reg)
{
	return reg ? reg->err : "";
}

static uint64_t reg_realtime(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t reg_now(struct hms_registry *reg)
{
	return reg->now(reg->now_arg);
}

void registry_set_clock(struct hms_registry *reg,
			uint64_t (*now_ns)(void *arg), void *arg)
{
	reg->now = now_ns ? now_ns : reg_realtime;
	reg->now_arg = now_ns ? arg : NULL;
}

void registry_set_half_life(struct hms_registry *reg, double seconds)
{
	if (seconds > 0) {
		reg->half_life = seconds;
		if (reg->fwd)
			reg->fwd(REGISTRY_OP_HALF_LIFE, &seconds,
				 sizeof(seconds), reg->fwd_arg);
	}
}

int reg_get(struct hms_registry *reg, int cf, const void *key, size_t klen,
	    char **val, size_t *vlen)
{
	char *rerr = NULL;

	if (!reg->cf[cf])
		return -ENOENT;
	*val = reg_rdb.get_cf(reg->db, reg->ro, reg->cf[cf], key, klen, vlen,
			      &rerr);
	if (rerr)
		return reg_db_err(reg, rerr, "read");
	return *val ? 0 : -ENOENT;
}

rocksdb_writebatch_t *reg_batch(struct hms_registry *reg)
{
	return reg->db ? reg_rdb.writebatch_create() : NULL;
}

void reg_batch_free(rocksdb_writebatch_t *wb)
{
	if (wb)
		reg_rdb.writebatch_destroy(wb);
}

int reg_write(struct hms_registry *reg, rocksdb_writebatch_t *wb)
{
	char *rerr = NULL;

	if (reg->readonly)
		return reg_fail(reg, -EROFS, "store is open read-only");
	if (!wb)	/* no store: the tables in memory are all */
		return 0;
	reg_rdb.write(reg->db, reg->wo, wb, &rerr);
	return rerr ? reg_db_err(reg, rerr, "write") : 0;
}

int reg_need_store(struct hms_registry *reg, const char *what)
{
	if (reg->db)
		return 0;
	return reg_fail(reg, -EOPNOTSUPP,
			"%s: an in-memory copy has no store (only the store "
			"process has)", what);
}

int reg_meta_get(struct hms_registry *reg, const char *key,
			char *buf, size_t cap)
{
	size_t len;
	char *val;
	int err = reg_get(reg, CF_META, key, strlen(key), &val, &len);

	if (err)
		return err;
	snprintf(buf, cap, "%.*s", (int)len, val);
	reg_rdb.free(val);
	return 0;
}

static int reg_meta_init(struct hms_registry *reg)
{
	rocksdb_writebatch_t *wb = reg_rdb.writebatch_create();
	char host[64] = "", buf[32];
	int err;

	gethostname(host, sizeof(host) - 1);
	snprintf(buf, sizeof(buf), "%d", REGISTRY_SCHEMA_VERSION);
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_META], "schema_version", 14,
				  buf, strlen(buf));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)reg_realtime(NULL));
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_META], "created_ns", 10, buf,
				  strlen(buf));
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_META], "host", 4, host,
				  strlen(host));
	err = reg_write(reg, wb);
	reg_rdb.writebatch_destroy(wb);
	return err;
}

/* Check the stored schema version: create meta, migrate or refuse. */
static int reg_version_gate(struct hms_registry *reg)
{
	char buf[32];
	int v, err = reg_meta_get(reg, "schema_version", buf, sizeof(buf));

	if (err == -ENOENT)
		return reg->readonly ? reg_fail(reg, -ENOENT, "not a registry store (no meta record)")
				     : reg_meta_init(reg);
	if (err)
		return err;
	v = atoi(buf);
	if (v > REGISTRY_SCHEMA_VERSION)
		return reg_fail(reg, -EPROTO,
				"store has schema version %d, newer than this build supports (%d); refusing to open it, upgrade hms-ebpf",
				v, REGISTRY_SCHEMA_VERSION);
	if (v < 1)
		return reg_fail(reg, -EPROTO, "bad schema version '%s'", buf);
	if (v == REGISTRY_SCHEMA_VERSION)
		return 0;
	if (reg->readonly)
		return reg_fail(reg, -EPROTO,
				"store has schema version %d and needs migration to %d; open it read-write once",
				v, REGISTRY_SCHEMA_VERSION);
	return reg_migrate(reg, v);
}

static void reg_find_next_id(struct hms_registry *reg)
{
	rocksdb_iterator_t *it;
	size_t klen;
	const char *k;

	reg->next_id = 1;
	if (!reg->cf[CF_INCIDENTS])
		return;
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_INCIDENTS]);
	reg_rdb.iter_seek_to_last(it);
	if (reg_rdb.iter_valid(it)) {
		k = reg_rdb.iter_key(it, &klen);
		if (klen == 8)
			reg->next_id = reg_get_be64((const uint8_t *)k) + 1;
	}
	reg_rdb.iter_destroy(it);
}

static int reg_mkdirs(const char *dir)
{
	char *p, *tmp = strdup(dir);
	int err = 0;

	if (!tmp)
		return -ENOMEM;
	for (p = tmp + 1; !err; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(tmp, 0750) && errno != EEXIST)
			err = -errno;
		if (!c)
			break;
		*p = c;
	}
	free(tmp);
	return err;
}

/* Open the DB with every column family it has plus (read-write) ours. */
static int reg_open_db(struct hms_registry *reg)
{
	const char *names[REG_NCF + 32];
	rocksdb_column_family_handle_t *h[REG_NCF + 32];
	const rocksdb_options_t *cfo[REG_NCF + 32];
	char **have = NULL, *rerr = NULL;
	size_t nhave = 0, n = 0, i, j;
	int err = 0;

	have = reg_rdb.list_column_families(reg->opts, reg->dir, &nhave, &rerr);
	if (rerr) {	/* no store yet */
		free(rerr);
		rerr = NULL;
		nhave = 0;
		if (reg->readonly)
			return reg_fail(reg, -ENOENT, "no registry store");
	}
	for (i = 0; i < nhave && n < REG_NCF + 32; i++)
		names[n++] = have[i];
	for (j = 0; j < REG_NCF && !reg->readonly; j++) {
		for (i = 0; i < n && strcmp(names[i], reg_cf_names[j]); i++)
			;
		if (i == n)
			names[n++] = reg_cf_names[j];
	}
	for (i = 0; i < n; i++)
		cfo[i] = reg->opts;
	if (reg->readonly)
		reg->db = reg_rdb.open_for_read_only_column_families(reg->opts,
			reg->dir, n, names, cfo, h, 0, &rerr);
	else
		reg->db = reg_rdb.open_column_families(reg->opts, reg->dir, n,
						       names, cfo, h, &rerr);
	if (rerr) {
		err = reg_db_err(reg, rerr, "open");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < REG_NCF && strcmp(names[i], reg_cf_names[j]); j++)
			;
		if (j < REG_NCF)
			reg->cf[j] = h[i];
		else	/* a family of a newer schema: keep it closed */
			reg_rdb.column_family_handle_destroy(h[i]);
	}
	if (!reg->cf[CF_META])
		err = reg_fail(reg, -ENOENT, "not a registry store (no meta family)");
cleanup:
	if (have)
		reg_rdb.list_column_families_destroy(have, nhave);
	return err;
}

/* Block cache for index and data blocks, bloom filters for the point
 * reads of incidents behind every index entry. */
static void reg_tune_tables(struct hms_registry *reg)
{
	rocksdb_block_based_table_options_t *t = reg_rdb.block_based_options_create();

	reg->cache = reg_rdb.cache_create_lru(64 << 20);
	reg_rdb.block_based_options_set_block_cache(t, reg->cache);
	reg_rdb.block_based_options_set_filter_policy(t,
		reg_rdb.filterpolicy_create_bloom_full(10));
	reg_rdb.block_based_options_set_cache_index_and_filter_blocks(t, 1);
	reg_rdb.block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(t, 1);
	reg_rdb.options_set_block_based_table_factory(reg->opts, t);
	reg_rdb.block_based_options_destroy(t);
}

/* Flush memtables so that the next open need not replay the WAL. */
static void reg_flush(struct hms_registry *reg)
{
	rocksdb_flushoptions_t *fo = reg_rdb.flushoptions_create();
	char *rerr = NULL;
	int i;

	reg_rdb.flushoptions_set_wait(fo, 1);
	for (i = 0; i < REG_NCF; i++) {
		if (reg->cf[i])
			reg_rdb.flush_cf(reg->db, fo, reg->cf[i], &rerr);
		free(rerr);
		rerr = NULL;
	}
	reg_rdb.flushoptions_destroy(fo);
}

/* The handle's own state, shared by every kind of handle. */
static struct hms_registry *reg_new(const char *dir, int readonly)
{
	struct hms_registry *reg = calloc(1, sizeof(*reg));

	if (!reg || !(reg->dir = strdup(dir))) {
		free(reg);
		return NULL;
	}
	reg->readonly = readonly;
	gethostname(reg->host, sizeof(reg->host) - 1);
	reg->half_life = REGISTRY_DEFAULT_HALF_LIFE_S;
	registry_set_clock(reg, NULL, NULL);
	registry_seed(reg, reg_realtime(NULL) ^ ((uint64_t)getpid() << 32));
	return reg;
}

static int reg_open(const char *dir, int readonly, struct hms_registry **out)
{
	struct hms_registry *reg;
	int err;

	*out = NULL;
	reg = reg_new(dir, readonly);
	if (!reg)
		return -ENOMEM;
	err = reg_rdb_load(reg);
	if (err)
		goto cleanup;
	reg->opts = reg_rdb.options_create();
	reg_rdb.options_set_create_if_missing(reg->opts, 1);
	reg_rdb.options_set_create_missing_column_families(reg->opts, 1);
	reg_rdb.options_set_compression(reg->opts, rocksdb_lz4_compression);
	reg_rdb.options_set_info_log_level(reg->opts, 2 /* warn */);
	reg_rdb.options_set_keep_log_file_num(reg->opts, 2);
	/* open the table files inline: the default (16) starts 16 threads
	 * per column family at every open - 170 threads whose start-up
	 * dominated a tool's wall time on a loaded machine */
	reg_rdb.options_set_max_file_opening_threads(reg->opts, 1);
	reg_tune_tables(reg);
	reg->ro = reg_rdb.readoptions_create();
	reg->wo = reg_rdb.writeoptions_create();	/* WAL on */
	err = readonly ? 0 : reg_mkdirs(dir);
	if (err) {
		reg_fail(reg, err, "cannot create %s: %s", dir, strerror(-err));
		goto cleanup;
	}
	err = reg_open_db(reg);
	err = err ?: reg_version_gate(reg);
	if (!err) {	/* the store's identity in the fleet */
		reg_meta_get(reg, "host", reg->host, sizeof(reg->host));
		reg_meta_get(reg, "created_ns", reg->store_id,
			     sizeof(reg->store_id));
	}
	if (!err)
		reg_find_next_id(reg);
	err = err ?: reg_ev_load(reg);
cleanup:
	if (err) {
		fprintf(stderr, "registry: %s: %s\n", dir, reg->err);
		registry_close(reg);
		return err;
	}
	*out = reg;
	return 0;
}

int registry_open(const char *dir, struct hms_registry **out)
{
	return reg_open(dir, 0, out);
}

/* No store at all: the tables in memory (copy.c), never RocksDB. */
int registry_open_mem(struct hms_registry **out)
{
	*out = reg_new("(in-memory copy)", 0);
	return *out ? 0 : -ENOMEM;
}

int registry_open_ro(const char *dir, struct hms_registry **out)
{
	return reg_open(dir, 1, out);
}

void registry_close(struct hms_registry *reg)
{
	int i;

	if (!reg)
		return;
	if (reg->db && !reg->readonly)
		reg_flush(reg);
	for (i = 0; i < REG_NCF; i++)
		if (reg->cf[i])
			reg_rdb.column_family_handle_destroy(reg->cf[i]);
	if (reg->db)
		reg_rdb.close(reg->db);
	if (reg->ro)
		reg_rdb.readoptions_destroy(reg->ro);
	if (reg->wo)
		reg_rdb.writeoptions_destroy(reg->wo);
	if (reg->opts)
		reg_rdb.options_destroy(reg->opts);
	if (reg->cache)
		reg_rdb.cache_destroy(reg->cache);
	reg_copy_free(reg);
	reg_st_free(reg);
	reg_ev_free(reg);
	free(reg->dir);
	free(reg);
}

int registry_set_host(struct hms_registry *reg, const char *host)
{
	rocksdb_writebatch_t *wb;
	int err;

	if (!reg_host_valid(host))
		return reg_fail(reg, -EINVAL, "host: not a valid host name");
	err = reg_need_store(reg, "host");
	if (err)
		return err;
	wb = reg_rdb.writebatch_create();
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_META], "host", 4, host,
				  strlen(host));
	err = reg_write(reg, wb);
	reg_rdb.writebatch_destroy(wb);
	if (!err)
		snprintf(reg->host, sizeof(reg->host), "%s", host);
	return err;
}

// SPDX-License-Identifier: BSD-2-Clause
/* migrate.c - bring a store written by an older schema up to the current
 * one when it is opened read-write.
 *
 * Schema 1 (see docs/registry.md) had incident records without
 * core_dumped, sender_pid and detail, only the component+time index,
 * strategies without bounds and no evidence family.  Migrating to 2
 * rewrites every incident as a version-2 record, builds the class+time
 * and time indexes, rewrites strategies, and rebuilds the evidence by
 * replaying the stored outcomes in time order.  Every step is idempotent
 * and the version in meta is bumped last, so an interrupted migration
 * simply runs again on the next open. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define REG_MIGRATE_BATCH	10000

static int reg_migrate_incidents(struct hms_registry *reg)
{
	static const char ver[1] = { REGISTRY_SCHEMA_VERSION };
	rocksdb_writebatch_t *wb = reg_rdb.writebatch_create();
	struct registry_incident in;
	rocksdb_iterator_t *it;
	uint8_t rec[REG_INCIDENT_MAX], key[64];
	size_t klen, vlen, n, kl, pending = 0;
	int err = 0;

	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_INCIDENTS]);
	for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it) && !err;
	     reg_rdb.iter_next(it)) {
		const char *k = reg_rdb.iter_key(it, &klen);
		const char *v = reg_rdb.iter_value(it, &vlen);
		uint64_t id;

		if (klen != 8 || reg_incident_decode((const uint8_t *)v, vlen,
						     &in, NULL)) {
			err = reg_fail(reg, -EINVAL, "migrate: bad incident record");
			break;
		}
		id = reg_get_be64((const uint8_t *)k);
		n = reg_incident_encode(&in, rec, sizeof(rec), REGISTRY_SCHEMA_VERSION);
		reg_rdb.writebatch_put_cf(wb, reg->cf[CF_INCIDENTS], k, 8,
					  (char *)rec, n);
		kl = reg_key_index(key, sizeof(key), in.component, in.time_ns, id);
		reg_rdb.writebatch_put_cf(wb, reg->cf[CF_IDX_COMPONENT],
					  (char *)key, kl, (char *)rec, n);
		kl = reg_key_index(key, sizeof(key), in.failure, in.time_ns, id);
		reg_rdb.writebatch_put_cf(wb, reg->cf[CF_IDX_CLASS], (char *)key,
					  kl, ver, 1);
		kl = reg_key_index(key, sizeof(key), NULL, in.time_ns, id);
		reg_rdb.writebatch_put_cf(wb, reg->cf[CF_IDX_TIME], (char *)key,
					  kl, ver, 1);
		if (++pending == REG_MIGRATE_BATCH) {
			err = reg_write(reg, wb);
			reg_rdb.writebatch_clear(wb);
			pending = 0;
		}
	}
	if (!err && pending)
		err = reg_write(reg, wb);
	reg_rdb.iter_destroy(it);
	reg_rdb.writebatch_destroy(wb);
	return err;
}

static int reg_migrate_strategies(struct hms_registry *reg,
				  rocksdb_writebatch_t *wb)
{
	struct registry_strategy s;
	rocksdb_iterator_t *it;
	size_t vlen;
	int err = 0;

	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_STRATEGIES]);
	for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it) && !err;
	     reg_rdb.iter_next(it)) {
		const char *v = reg_rdb.iter_value(it, &vlen);

		err = reg_strategy_decode(reg, v, vlen, &s);
		err = err ?: reg_strategy_put(reg, wb, &s);
	}
	reg_rdb.iter_destroy(it);
	return err;
}

static int reg_o_oldest_first(const void *a, const void *b)
{
	const struct registry_outcome *x = a, *y = b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

/* Rewrite outcomes as version 2 and replay them into fresh evidence. */
static int reg_migrate_outcomes(struct hms_registry *reg,
				rocksdb_writebatch_t *wb)
{
	struct registry_outcome *v = NULL;
	rocksdb_iterator_t *it;
	size_t n = 0, cap = 0, klen, vlen, i;
	int err = 0;

	reg_ev_free(reg);
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_OUTCOMES]);
	for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it) && !err;
	     reg_rdb.iter_next(it)) {
		const char *k = reg_rdb.iter_key(it, &klen);
		const char *val = reg_rdb.iter_value(it, &vlen);
		char *enc;

		if (n == cap) {
			void *p = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			v = p;
		}
		err = reg_outcome_decode(val, vlen, &v[n]);
		enc = err ? NULL : reg_outcome_encode(&v[n]);
		if (!enc) {
			err = reg_fail(reg, err ?: -ENOMEM, "migrate: bad outcome");
			break;
		}
		reg_rdb.writebatch_put_cf(wb, reg->cf[CF_OUTCOMES], k, klen, enc,
					  strlen(enc));
		free(enc);
		n++;
	}
	reg_rdb.iter_destroy(it);
	if (!err && n)
		qsort(v, n, sizeof(*v), reg_o_oldest_first);
	for (i = 0; !err && i < n; i++)
		err = reg_ev_replay(reg, &v[i]);
	for (i = 0; !err && i < reg->nev; i++)
		err = reg_ev_put(reg, wb, &reg->ev[i]);
	reg_ev_free(reg);
	free(v);
	return err;
}

int reg_migrate(struct hms_registry *reg, int from)
{
	rocksdb_writebatch_t *wb;
	char ver[16];
	int err;

	if (from != 1)
		return reg_fail(reg, -EPROTO, "no migration from schema %d", from);
	fprintf(stderr, "registry: %s: migrating schema %d -> %d\n", reg->dir,
		from, REGISTRY_SCHEMA_VERSION);
	err = reg_migrate_incidents(reg);
	if (err)
		return err;
	wb = reg_rdb.writebatch_create();
	err = reg_migrate_strategies(reg, wb);
	err = err ?: reg_migrate_outcomes(reg, wb);
	snprintf(ver, sizeof(ver), "%d", REGISTRY_SCHEMA_VERSION);
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_META], "schema_version", 14,
				  ver, strlen(ver));
	err = err ?: reg_write(reg, wb);
	reg_rdb.writebatch_destroy(wb);
	return err;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * replay.c - a forwarded write delivered twice counts once.  The daemon
 * resends every write the store process has not acknowledged; a store
 * that committed a write and died before its ACK gets the same write
 * again from its successor.  An outcome or incident that is already
 * stored byte for byte (same key prefix: strategy or component and the
 * time in ns; same encoded record) is that replay, and applying it again
 * would count its evidence twice.  Strategies, the half-life and
 * thresholds are overwrites, idempotent by nature.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* a row whose key starts with key[0..plen) holds exactly val */
static bool replay_row_exists(struct hms_registry *reg, int cf,
			      const uint8_t *key, size_t plen,
			      const void *val, size_t vlen)
{
	rocksdb_iterator_t *it;
	bool found = false;

	if (!reg->db)	/* a copy keeps no incident or outcome rows */
		return false;
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[cf]);
	for (reg_rdb.iter_seek(it, (const char *)key, plen);
	     !found && reg_rdb.iter_valid(it); reg_rdb.iter_next(it)) {
		size_t kl, vl;
		const char *k = reg_rdb.iter_key(it, &kl);
		const char *v;

		if (kl < plen || memcmp(k, key, plen))
			break;
		v = reg_rdb.iter_value(it, &vl);
		found = vl == vlen && !memcmp(v, val, vlen);
	}
	reg_rdb.iter_destroy(it);
	return found;
}

bool reg_outcome_replayed(struct hms_registry *reg,
			  const struct registry_outcome *o)
{
	uint8_t key[64];
	size_t kl;
	char *val;
	bool found;

	/* strategy \0 time incident, without the store's own seq */
	kl = reg_key_outcome(key, sizeof(key), o->strategy, o->time_ns,
			     o->incident_id, 0);
	if (!kl)
		return false;
	val = reg_outcome_encode(o);
	if (!val)
		return false;
	found = replay_row_exists(reg, CF_OUTCOMES, key, kl - 4, val,
				  strlen(val));
	free(val);
	return found;
}

bool reg_incident_replayed(struct hms_registry *reg,
			   const struct registry_incident *in)
{
	uint8_t rec[REG_INCIDENT_MAX], key[64];
	size_t n, kl;

	/* component \0 time, without the id the store allocated */
	n = reg_incident_encode(in, rec, sizeof(rec), REGISTRY_SCHEMA_VERSION);
	kl = reg_key_index(key, sizeof(key), in->component, in->time_ns, 0);
	if (!n || !kl)
		return false;
	return replay_row_exists(reg, CF_IDX_COMPONENT, key, kl - 8, rec, n);
}

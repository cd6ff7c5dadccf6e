// SPDX-License-Identifier: BSD-2-Clause
/* incident.c - the incident log: validated writes of an incident with its
 * three index entries in one atomic batch, point reads, and the
 * newest-first queries by component, failure class and time range that
 * walk those indexes backwards. */
#include <errno.h>
#include <string.h>
#include "internal.h"

static const char reg_idx_val[1] = { REGISTRY_SCHEMA_VERSION };

static int reg_terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static int reg_incident_validate(struct hms_registry *reg,
				 const struct registry_incident *in)
{
	if (!reg_terminated(in->host, sizeof(in->host)) ||
	    !reg_terminated(in->component, sizeof(in->component)) ||
	    !reg_terminated(in->comm, sizeof(in->comm)) ||
	    !reg_terminated(in->failure, sizeof(in->failure)) ||
	    !reg_terminated(in->detail, sizeof(in->detail)))
		return reg_fail(reg, -EINVAL,
				"incident: a text field is not terminated");
	if (!registry_name_valid(in->component))
		return reg_fail(reg, -EINVAL,
				"incident: component '%s' is not a valid name",
				in->component);
	if (!registry_failure_valid(in->failure))
		return reg_fail(reg, -EINVAL,
				"incident: failure: unknown class '%s'",
				in->failure);
	if (!in->time_ns)
		return reg_fail(reg, -EINVAL, "incident: time_ns is 0");
	return 0;
}

int registry_record_incident(struct hms_registry *reg,
			     const struct registry_incident *in,
			     uint64_t *id_out)
{
	uint8_t rec[REG_INCIDENT_MAX], key[64], idk[8];
	struct registry_incident local;
	rocksdb_writebatch_t *wb;
	uint64_t id;
	size_t n, kl;
	int err;

	err = reg_incident_validate(reg, in);
	if (err)
		return err;
	if (!in->host[0]) {	/* the daemon's own incidents */
		local = *in;
		memcpy(local.host, reg->host, sizeof(local.host));
		in = &local;
	}
	if (!reg->db || reg->fwd) {	/* the store process keeps incidents */
		if (reg->fwd)
			reg->fwd(REGISTRY_OP_INCIDENT, in, sizeof(*in),
				 reg->fwd_arg);
		if (id_out)
			*id_out = 0;
		return 0;
	}
	id = reg->next_id;
	reg_be64(idk, id);
	n = reg_incident_encode(in, rec, sizeof(rec), REGISTRY_SCHEMA_VERSION);
	wb = reg_rdb.writebatch_create();
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_INCIDENTS], (char *)idk, 8,
				  (char *)rec, n);
	/* the component index covers: it carries a copy of the record */
	kl = reg_key_index(key, sizeof(key), in->component, in->time_ns, id);
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_IDX_COMPONENT], (char *)key,
				  kl, (char *)rec, n);
	kl = reg_key_index(key, sizeof(key), in->failure, in->time_ns, id);
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_IDX_CLASS], (char *)key, kl,
				  reg_idx_val, 1);
	kl = reg_key_index(key, sizeof(key), NULL, in->time_ns, id);
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_IDX_TIME], (char *)key, kl,
				  reg_idx_val, 1);
	err = reg_write(reg, wb);
	reg_rdb.writebatch_destroy(wb);
	if (err)
		return err;
	reg->next_id = id + 1;
	if (id_out)
		*id_out = id;
	return 0;
}

int registry_get_incident(struct hms_registry *reg, uint64_t id,
			  struct registry_incident *out)
{
	uint8_t idk[8];
	size_t len;
	char *val;
	int err;

	reg_be64(idk, id);
	err = reg_get(reg, CF_INCIDENTS, idk, 8, &val, &len);
	if (err)
		return err;
	err = reg_incident_decode((uint8_t *)val, len, out, NULL);
	reg_rdb.free(val);
	if (err)
		reg_fail(reg, err, "incident %llu: undecodable record",
			 (unsigned long long)id);
	return err;
}

struct reg_scan {
	int cf;
	const char *prefix;	/* NULL for the time index */
	size_t plen;		/* including its NUL */
};

static void reg_pick_index(const struct registry_query *q,
			   struct reg_scan *sc)
{
	if (q->component) {
		sc->cf = CF_IDX_COMPONENT;
		sc->prefix = q->component;
	} else if (q->failure) {
		sc->cf = CF_IDX_CLASS;
		sc->prefix = q->failure;
	} else {
		sc->cf = CF_IDX_TIME;
		sc->prefix = NULL;
	}
	sc->plen = sc->prefix ? strlen(sc->prefix) + 1 : 0;
}

static int reg_query_check(struct hms_registry *reg,
			   const struct registry_query *q)
{
	if (q->component && !registry_name_valid(q->component))
		return reg_fail(reg, -EINVAL, "query: bad component '%s'",
				q->component);
	if (q->failure && !registry_failure_valid(q->failure))
		return reg_fail(reg, -EINVAL, "query: unknown failure class '%s'",
				q->failure);
	if (q->until_ns && q->until_ns < q->since_ns)
		return reg_fail(reg, -EINVAL, "query: until is before since");
	return 0;
}

#define REG_QCHUNK	64

/* Fetch and deliver one chunk of ids in index order.  Returns 1 when the
 * caller should stop, 0 to go on, -errno on error. */
static int reg_query_chunk(struct hms_registry *reg,
			   const struct registry_query *q, const uint64_t *ids,
			   size_t n, registry_incident_cb cb, void *arg,
			   int *count)
{
	rocksdb_pinnableslice_t *vals[REG_QCHUNK];
	char keys[REG_QCHUNK][8], *errs[REG_QCHUNK];
	const char *kp[REG_QCHUNK];
	size_t ks[REG_QCHUNK], i, len;
	struct registry_incident in;
	int err = 0, stop = 0;

	for (i = 0; i < n; i++) {
		reg_be64((uint8_t *)keys[i], ids[i]);
		kp[i] = keys[i];
		ks[i] = 8;
	}
	reg_rdb.batched_multi_get_cf(reg->db, reg->ro, reg->cf[CF_INCIDENTS],
				     n, kp, ks, vals, errs, 0);
	for (i = 0; i < n; i++) {
		const char *v = vals[i] ? reg_rdb.pinnableslice_value(vals[i], &len)
					: NULL;

		if (errs[i]) {
			if (!err)
				err = reg_db_err(reg, errs[i], "read");
			else
				free(errs[i]);
		} else if (v && !err && !stop &&
			   !(err = reg_incident_decode((const uint8_t *)v, len,
						       &in, NULL)) &&
			   (!q->failure || !strcmp(in.failure, q->failure))) {
			/* a missing incident cannot happen: one batch */
			++*count;
			stop = cb(ids[i], &in, arg) ||
			       (q->limit && (size_t)*count >= q->limit);
		}
		if (vals[i])
			reg_rdb.pinnableslice_destroy(vals[i]);
	}
	return err ? err : stop;
}

/* Deliver the incident carried by a component index entry (a copy of the
 * record, written in the same batch).  1 = stop, 0 = go on, -errno. */
static int reg_query_covered(struct hms_registry *reg,
			     const struct registry_query *q,
			     rocksdb_iterator_t *it, const uint8_t *idp,
			     registry_incident_cb cb, void *arg, int *count)
{
	struct registry_incident in;
	uint64_t id = reg_get_be64(idp);
	size_t len;
	const char *v = reg_rdb.iter_value(it, &len);
	int err;

	err = len > 1 ? reg_incident_decode((const uint8_t *)v, len, &in, NULL)
		      : registry_get_incident(reg, id, &in);
	if (err)
		return reg_fail(reg, err, "incident %llu: undecodable record",
				(unsigned long long)id);
	if (q->failure && strcmp(in.failure, q->failure))
		return 0;
	++*count;
	return cb(id, &in, arg) || (q->limit && (size_t)*count >= q->limit);
}

int registry_query_incidents(struct hms_registry *reg,
			     const struct registry_query *q,
			     registry_incident_cb cb, void *arg)
{
	struct reg_scan sc;
	rocksdb_iterator_t *it;
	uint64_t until = q->until_ns ? q->until_ns : UINT64_MAX;
	uint64_t ids[REG_QCHUNK];
	uint8_t seek[64];
	size_t klen, n, nids = 0, want = REG_QCHUNK;
	int err, count = 0;

	err = reg_query_check(reg, q);
	if (err || !reg->db)	/* a copy keeps no incidents */
		return err;
	reg_pick_index(q, &sc);
	if (!reg->cf[sc.cf])
		return reg_fail(reg, -EPROTO, "query: index missing");
	n = reg_key_index(seek, sizeof(seek), sc.prefix, until, UINT64_MAX);
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[sc.cf]);
	reg_rdb.iter_seek_for_prev(it, (char *)seek, n);
	for (;;) {
		const uint8_t *k = NULL;
		int end = !reg_rdb.iter_valid(it);

		if (!end) {
			k = (const uint8_t *)reg_rdb.iter_key(it, &klen);
			end = klen != sc.plen + 16 || memcmp(k, seek, sc.plen) ||
			      reg_get_be64(k + sc.plen) < q->since_ns;
		}
		if (!end && sc.cf == CF_IDX_COMPONENT) {
			err = reg_query_covered(reg, q, it, k + sc.plen + 8, cb,
						arg, &count);
			if (err)
				break;
			reg_rdb.iter_prev(it);
			continue;
		}
		if (!end)
			ids[nids++] = reg_get_be64(k + sc.plen + 8);
		/* without a class filter, fetch no more than the limit needs */
		if (q->limit && !q->failure)
			want = q->limit - count < REG_QCHUNK ? q->limit - count
							     : REG_QCHUNK;
		if (nids && (end || nids >= want)) {
			err = reg_query_chunk(reg, q, ids, nids, cb, arg, &count);
			nids = 0;
			if (err)
				break;
		}
		if (end)
			break;
		reg_rdb.iter_prev(it);
	}
	reg_rdb.iter_destroy(it);
	return err < 0 ? err : count;
}

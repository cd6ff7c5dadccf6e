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
	rocksdb_writebatch_t *wb;
	uint64_t id;
	size_t n, kl;
	int err;

	err = reg_incident_validate(reg, in);
	if (err)
		return err;
	id = reg->next_id;
	reg_be64(idk, id);
	n = reg_incident_encode(in, rec, sizeof(rec), REGISTRY_SCHEMA_VERSION);
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_INCIDENTS], (char *)idk, 8,
				  (char *)rec, n);
	kl = reg_key_index(key, sizeof(key), in->component, in->time_ns, id);
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_IDX_COMPONENT], (char *)key,
				  kl, reg_idx_val, 1);
	kl = reg_key_index(key, sizeof(key), in->failure, in->time_ns, id);
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_IDX_CLASS], (char *)key, kl,
				  reg_idx_val, 1);
	kl = reg_key_index(key, sizeof(key), NULL, in->time_ns, id);
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_IDX_TIME], (char *)key, kl,
				  reg_idx_val, 1);
	err = reg_write(reg, wb);
	rocksdb_writebatch_destroy(wb);
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
	rocksdb_free(val);
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

int registry_query_incidents(struct hms_registry *reg,
			     const struct registry_query *q,
			     registry_incident_cb cb, void *arg)
{
	struct registry_incident in;
	struct reg_scan sc;
	rocksdb_iterator_t *it;
	uint64_t until = q->until_ns ? q->until_ns : UINT64_MAX;
	uint8_t seek[64];
	size_t klen, n;
	int err, count = 0;

	err = reg_query_check(reg, q);
	if (err)
		return err;
	reg_pick_index(q, &sc);
	if (!reg->cf[sc.cf])
		return reg_fail(reg, -EPROTO, "query: index missing");
	n = reg_key_index(seek, sizeof(seek), sc.prefix, until, UINT64_MAX);
	it = rocksdb_create_iterator_cf(reg->db, reg->ro, reg->cf[sc.cf]);
	for (rocksdb_iter_seek_for_prev(it, (char *)seek, n);
	     rocksdb_iter_valid(it); rocksdb_iter_prev(it)) {
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		uint64_t t, id;

		if (klen != sc.plen + 16 || memcmp(k, seek, sc.plen))
			break;
		t = reg_get_be64(k + sc.plen);
		id = reg_get_be64(k + sc.plen + 8);
		if (t < q->since_ns)
			break;
		err = registry_get_incident(reg, id, &in);
		if (err == -ENOENT) {	/* cannot happen: one batch */
			err = 0;
			continue;
		}
		if (err)
			break;
		if (q->failure && strcmp(in.failure, q->failure))
			continue;
		count++;
		if (cb(id, &in, arg) ||
		    (q->limit && (size_t)count >= q->limit))
			break;
	}
	rocksdb_iter_destroy(it);
	return err ? err : count;
}

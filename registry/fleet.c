// SPDX-License-Identifier: BSD-2-Clause
/* fleet.c - evidence from other hosts, kept per source host so that a
 * fleet's exports merge idempotently: each imported host's contribution
 * is stored apart (family `fleet`, key host \0 component \0 failure \0
 * strategy) with the export id and time it came from (meta
 * `source\0host`).  The same export again changes nothing, a newer one
 * from the same host replaces that host's rows, an older one is skipped,
 * and this store's own host is never imported into itself.  In memory
 * the sum of all hosts is kept in each evidence row (rs, rf), decayed by
 * time; a change detected locally voids fleet rows older than it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int reg_host_valid(const char *h)
{
	size_t i;

	if (!h || !h[0])
		return 0;
	for (i = 0; h[i]; i++) {
		char c = h[i];

		if (i >= 63 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == '.' || c == '-' ||
				 c == '_'))
			return 0;
	}
	return 1;
}

/* Add one fleet row to the in-memory sums. */
int reg_fleet_add(struct hms_registry *reg, const struct reg_ev *x)
{
	struct reg_ev *e = reg_ev_get(reg, x->component, x->failure,
				      x->strategy);
	struct reg_ev tmp;

	if (!e)
		return -ENOMEM;
	if (x->t_ref < e->change_ns)
		return 0;	/* from before a change seen here */
	tmp = *x;
	if (!e->rt_ref)
		e->rt_ref = tmp.t_ref;
	if (tmp.t_ref < e->rt_ref) {
		reg_time_decay(reg, &tmp.s, &tmp.f, e->rt_ref - tmp.t_ref,
			       e->rt_ref - tmp.t_ref);
	} else if (tmp.t_ref > e->rt_ref) {
		reg_time_decay(reg, &e->rs, &e->rf, tmp.t_ref - e->rt_ref,
			       tmp.t_ref - e->rt_ref);
		e->rt_ref = tmp.t_ref;
	}
	tmp.rs = tmp.s;
	tmp.rf = tmp.f;
	e->rs = reg_sat_add(e->rs, tmp.rs);
	e->rf = reg_sat_add(e->rf, tmp.rf);
	e->rn = reg_sat_add64(e->rn, x->n);
	return 0;
}

/* No fleet evidence in memory (before the rows are added again). */
void reg_fleet_reset(struct hms_registry *reg)
{
	size_t i;

	for (i = 0; i < reg->nev; i++) {
		reg->ev[i].rs = reg->ev[i].rf = 0;
		reg->ev[i].rn = 0;
		reg->ev[i].rt_ref = 0;
	}
}

int reg_fleet_load(struct hms_registry *reg)
{
	rocksdb_iterator_t *it;
	struct reg_ev x;
	size_t len, klen;
	int err = 0;

	reg_fleet_reset(reg);
	if (!reg->cf[CF_FLEET])
		return 0;
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_FLEET]);
	for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it) && !err;
	     reg_rdb.iter_next(it)) {
		const char *v = reg_rdb.iter_value(it, &len);
		const char *k = reg_rdb.iter_key(it, &klen);
		json_t *j = json_loadb(v, len, 0, NULL);

		if (reg_ev_from_json(reg, j, &x, "fleet"))
			reg_bad_row(reg, "fleet", k, klen, reg->err);
		else
			err = reg_fleet_add(reg, &x);
		json_decref(j);
	}
	reg_rdb.iter_destroy(it);
	reg->err[0] = 0;
	return err;
}

static size_t reg_source_key(char *buf, size_t cap, const char *host)
{
	size_t n = strlen(host);

	if (n + 8 > cap)
		return 0;
	memcpy(buf, "source", 7);	/* with its NUL */
	memcpy(buf + 7, host, n);
	return n + 7;
}

/* What was imported from host before: 0 and id/time, or -ENOENT. */
int reg_source_get(struct hms_registry *reg, const char *host, char *id,
		   size_t idlen, uint64_t *ns)
{
	char key[96], *val;
	size_t kl = reg_source_key(key, sizeof(key), host), len;
	json_t *j;
	int err;

	err = kl ? reg_get(reg, CF_META, key, kl, &val, &len) : -EINVAL;
	if (err)
		return err;
	j = json_loadb(val, len, 0, NULL);
	reg_rdb.free(val);
	snprintf(id, idlen, "%s",
		 json_string_value(json_object_get(j, "export_id")) ?: "");
	*ns = json_integer_value(json_object_get(j, "exported_ns"));
	json_decref(j);
	return 0;
}

/* Queue host's new contribution: its old rows go, the new ones come. */
int reg_source_stage(struct hms_registry *reg, rocksdb_writebatch_t *wb,
		     const char *host, const char *export_id,
		     uint64_t exported_ns, const struct reg_ev *rows, size_t n)
{
	char key[200], end[96], *val;
	size_t hl = strlen(host), kl, i;
	json_t *j;

	memcpy(end, host, hl);
	end[hl] = 1;	/* host \1 sorts after every host \0 ... key */
	memcpy(key, host, hl);
	key[hl] = 0;
	reg_rdb.writebatch_delete_range_cf(wb, reg->cf[CF_FLEET], key, hl + 1,
					   end, hl + 1);
	for (i = 0; i < n; i++) {
		kl = reg_key_evidence(key + hl + 1, sizeof(key) - hl - 1,
				      rows[i].component, rows[i].failure,
				      rows[i].strategy);
		j = reg_ev_json(&rows[i], 1);
		val = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17))
			: NULL;
		json_decref(j);
		if (!val || !kl) {
			free(val);
			return -ENOMEM;
		}
		reg_rdb.writebatch_put_cf(wb, reg->cf[CF_FLEET], key,
					  hl + 1 + kl, val, strlen(val));
		free(val);
	}
	j = json_pack("{s:s, s:I}", "export_id", export_id, "exported_ns",
		      (json_int_t)exported_ns);
	val = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!val)
		return -ENOMEM;
	kl = reg_source_key(key, sizeof(key), host);
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_META], key, kl, val,
				  strlen(val));
	free(val);
	return 0;
}

/* Call cb for each imported source host (for export and stats). */
int reg_source_foreach(struct hms_registry *reg,
		       int (*cb)(struct hms_registry *reg, const char *host,
				 const char *id, uint64_t ns, void *arg),
		       void *arg)
{
	rocksdb_iterator_t *it;
	char host[80], id[80];
	size_t klen, vlen;
	int err = 0;

	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_META]);
	for (reg_rdb.iter_seek(it, "source", 7); reg_rdb.iter_valid(it) && !err;
	     reg_rdb.iter_next(it)) {
		const char *k = reg_rdb.iter_key(it, &klen);
		const char *v = reg_rdb.iter_value(it, &vlen);
		json_t *j;

		if (klen < 8 || memcmp(k, "source", 7))
			break;
		if (klen - 7 >= sizeof(host))
			continue;
		memcpy(host, k + 7, klen - 7);
		host[klen - 7] = 0;
		j = json_loadb(v, vlen, 0, NULL);
		snprintf(id, sizeof(id), "%s",
			 json_string_value(json_object_get(j, "export_id")) ?: "");
		if (reg_host_valid(host))
			err = cb(reg, host, id,
				 json_integer_value(json_object_get(j, "exported_ns")),
				 arg);
		json_decref(j);
	}
	reg_rdb.iter_destroy(it);
	return err;
}

/* Rows of one source host, in key order. */
int reg_source_rows(struct hms_registry *reg, const char *host,
		    int (*cb)(const struct reg_ev *x, void *arg), void *arg)
{
	rocksdb_iterator_t *it;
	size_t hl = strlen(host), klen, vlen;
	struct reg_ev x;
	char key[80];
	int err = 0;

	memcpy(key, host, hl + 1);
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_FLEET]);
	for (reg_rdb.iter_seek(it, key, hl + 1); reg_rdb.iter_valid(it) && !err;
	     reg_rdb.iter_next(it)) {
		const char *k = reg_rdb.iter_key(it, &klen);
		const char *v = reg_rdb.iter_value(it, &vlen);
		json_t *j;

		if (klen <= hl + 1 || memcmp(k, key, hl + 1))
			break;
		j = json_loadb(v, vlen, 0, NULL);
		if (!reg_ev_from_json(reg, j, &x, "fleet"))
			err = cb(&x, arg);
		json_decref(j);
	}
	reg_rdb.iter_destroy(it);
	reg->err[0] = 0;
	return err;
}

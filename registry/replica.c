// SPDX-License-Identifier: BSD-2-Clause
/*
 * replica.c - the two halves of an isolated registry that live in the
 * library: the daemon's in-memory copy (forwarding every accepted write,
 * loading the store's snapshot) and the store side (the snapshot rows,
 * applying a forwarded write).  The socket protocol around them is
 * serve.c on the store side and userspace/registry_proc.c in the daemon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int registry_err_is_io(int err)
{
	return err == -ENOSPC || err == -EDQUOT || err == -EROFS ||
	       err == -EIO || err == -EBUSY;
}

void registry_set_forward(struct hms_registry *reg, registry_forward_cb cb,
			  void *arg)
{
	reg->fwd = cb;
	reg->fwd_arg = arg;
}

/* The item must be a whole struct, its strings terminated: it comes
 * from another process. */
int registry_apply(struct hms_registry *reg, int op, const void *item,
		   size_t size)
{
	switch (op) {
	case REGISTRY_OP_STRATEGY: {
		struct registry_strategy s;

		if (size != sizeof(s))
			break;
		memcpy(&s, item, sizeof(s));
		s.name[sizeof(s.name) - 1] = 0;
		s.failure[sizeof(s.failure) - 1] = 0;
		s.actions[sizeof(s.actions) - 1] = 0;
		s.params[sizeof(s.params) - 1] = 0;
		s.bounds[sizeof(s.bounds) - 1] = 0;
		return registry_put_strategy(reg, &s);
	}
	case REGISTRY_OP_INCIDENT: {
		struct registry_incident in;

		if (size != sizeof(in))
			break;
		memcpy(&in, item, sizeof(in));
		in.host[sizeof(in.host) - 1] = 0;
		in.component[sizeof(in.component) - 1] = 0;
		in.comm[sizeof(in.comm) - 1] = 0;
		in.failure[sizeof(in.failure) - 1] = 0;
		in.detail[sizeof(in.detail) - 1] = 0;
		if (reg_incident_replayed(reg, &in))
			return 0;	/* resent after a lost ACK */
		return registry_record_incident(reg, &in, NULL);
	}
	case REGISTRY_OP_OUTCOME: {
		struct registry_outcome o;

		if (size != sizeof(o))
			break;
		memcpy(&o, item, sizeof(o));
		o.component[sizeof(o.component) - 1] = 0;
		o.failure[sizeof(o.failure) - 1] = 0;
		o.strategy[sizeof(o.strategy) - 1] = 0;
		o.params[sizeof(o.params) - 1] = 0;
		if (reg_outcome_replayed(reg, &o))
			return 0;	/* resent after a lost ACK */
		return registry_record_outcome(reg, &o);
	}
	case REGISTRY_OP_THRESHOLD: {
		struct reg_th_obs ob;
		double v;

		if (size != sizeof(ob))
			break;
		memcpy(&ob, item, sizeof(ob));
		ob.component[sizeof(ob.component) - 1] = 0;
		ob.failure[sizeof(ob.failure) - 1] = 0;
		return registry_threshold_observe(reg, ob.component,
						  ob.failure, ob.lo, ob.hi,
						  ob.alarm, &v);
	}
	case REGISTRY_OP_HALF_LIFE: {
		double hl;

		if (size != sizeof(hl))
			break;
		memcpy(&hl, item, sizeof(hl));
		registry_set_half_life(reg, hl);
		return 0;
	}
	default:
		return reg_fail(reg, -EINVAL, "unknown write %d", op);
	}
	return reg_fail(reg, -EINVAL, "write %d: %zu bytes, wrong size", op,
			size);
}

static const int reg_snapshot_cfs[] = {
	CF_META, CF_STRATEGIES, CF_EVIDENCE, CF_PARAMS, CF_FLEET,
};

int registry_snapshot(struct hms_registry *reg,
		      int (*cb)(unsigned int cf, const void *key, size_t klen,
				const void *val, size_t vlen, void *arg),
		      void *arg)
{
	int stop = 0;

	for (size_t i = 0; i < sizeof(reg_snapshot_cfs) /
				sizeof(reg_snapshot_cfs[0]) && !stop; i++) {
		int cf = reg_snapshot_cfs[i];
		rocksdb_iterator_t *it;

		if (!reg->cf[cf])
			continue;
		it = rocksdb_create_iterator_cf(reg->db, reg->ro, reg->cf[cf]);
		for (rocksdb_iter_seek_to_first(it);
		     rocksdb_iter_valid(it) && !stop; rocksdb_iter_next(it)) {
			size_t kl, vl;
			const char *k = rocksdb_iter_key(it, &kl);
			const char *v = rocksdb_iter_value(it, &vl);

			stop = cb((unsigned int)cf, k, kl, v, vl, arg);
		}
		rocksdb_iter_destroy(it);
	}
	return 0;
}

int registry_load_row(struct hms_registry *reg, unsigned int cf,
		      const void *key, size_t klen, const void *val,
		      size_t vlen)
{
	rocksdb_writebatch_t *wb;
	size_t have;
	char *v;
	int err;

	if (cf >= REG_NCF || !reg->cf[cf] || cf == CF_INCIDENTS ||
	    cf == CF_OUTCOMES)
		return reg_fail(reg, -EINVAL, "snapshot row of family %u", cf);
	/* meta is the store's identity (host, created): always the store's */
	err = cf == CF_META ? -ENOENT : reg_get(reg, (int)cf, key, klen, &v,
						 &have);
	if (!err) {	/* learned here since the start: newer */
		rocksdb_free(v);
		return 0;
	}
	if (err != -ENOENT)
		return err;
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(wb, reg->cf[cf], key, klen, val, vlen);
	err = reg_write(reg, wb);
	rocksdb_writebatch_destroy(wb);
	return err;
}

int registry_load_end(struct hms_registry *reg)
{
	reg_ev_free(reg);
	reg->bad_rows = 0;
	reg_meta_get(reg, "host", reg->host, sizeof(reg->host));
	reg_meta_get(reg, "created_ns", reg->store_id, sizeof(reg->store_id));
	return reg_ev_load(reg);
}

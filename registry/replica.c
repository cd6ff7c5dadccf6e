// SPDX-License-Identifier: BSD-2-Clause
/*
 * replica.c - the store's half of an isolated registry: the snapshot
 * rows it sends, applying a forwarded write, and the forward a copy
 * hands its writes to.  The copy itself (a handle without a store,
 * seeded from the snapshot) is copy.c; the socket protocol around them
 * is serve.c on the store side and userspace/registry_proc.c in the
 * daemon.
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
	case REGISTRY_OP_PARAM: {
		struct reg_param_def d;

		if (size != sizeof(d))
			break;
		memcpy(&d, item, sizeof(d));
		d.component[sizeof(d.component) - 1] = 0;
		d.failure[sizeof(d.failure) - 1] = 0;
		d.strategy[sizeof(d.strategy) - 1] = 0;
		d.name[sizeof(d.name) - 1] = 0;
		for (int i = 0; i < REG_CHOICES_MAX; i++)
			d.choice[i][sizeof(d.choice[i]) - 1] = 0;
		return reg_param_define(reg, &d);
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
	int stop = 0, err = reg_need_store(reg, "snapshot");

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(reg_snapshot_cfs) /
				sizeof(reg_snapshot_cfs[0]) && !stop; i++) {
		int cf = reg_snapshot_cfs[i];
		rocksdb_iterator_t *it;

		if (!reg->cf[cf])
			continue;
		it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[cf]);
		for (reg_rdb.iter_seek_to_first(it);
		     reg_rdb.iter_valid(it) && !stop; reg_rdb.iter_next(it)) {
			size_t kl, vl;
			const char *k = reg_rdb.iter_key(it, &kl);
			const char *v = reg_rdb.iter_value(it, &vl);

			stop = cb((unsigned int)cf, k, kl, v, vl, arg);
		}
		reg_rdb.iter_destroy(it);
	}
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* strategy.c - the strategies family: named action chains with default
 * parameters and their bounds, validated before they are stored. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int registry_strategy_check(struct hms_registry *reg,
			    const struct registry_strategy *s)
{
	char where[64];

	if (!memchr(s->name, 0, sizeof(s->name)) ||
	    !memchr(s->failure, 0, sizeof(s->failure)) ||
	    !memchr(s->actions, 0, sizeof(s->actions)) ||
	    !memchr(s->params, 0, sizeof(s->params)) ||
	    !memchr(s->bounds, 0, sizeof(s->bounds)))
		return reg_fail(reg, -EINVAL, "strategy: a field is not terminated");
	snprintf(where, sizeof(where), "strategy '%s'", s->name);
	return reg_strategy_validate(reg, s, where);
}

/* Queue s (already checked) into wb. */
int reg_strategy_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
		     const struct registry_strategy *s)
{
	json_t *j = reg_strategy_json(s);
	char *val;

	if (!j)
		return -ENOMEM;
	json_object_set_new(j, "v", json_integer(REGISTRY_SCHEMA_VERSION));
	val = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!val)
		return -ENOMEM;
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_STRATEGIES], s->name,
				  strlen(s->name), val, strlen(val));
	free(val);
	return 0;
}

int registry_put_strategy(struct hms_registry *reg,
			  const struct registry_strategy *s)
{
	rocksdb_writebatch_t *wb;
	int err = registry_strategy_check(reg, s);

	if (err)
		return err;
	if (!reg->db) {	/* a copy: its table in memory */
		err = reg_st_put(reg, s);
	} else {
		wb = reg_rdb.writebatch_create();
		err = reg_strategy_put(reg, wb, s);
		err = err ?: reg_write(reg, wb);
		reg_rdb.writebatch_destroy(wb);
	}
	if (!err && reg->fwd)
		reg->fwd(REGISTRY_OP_STRATEGY, s, sizeof(*s), reg->fwd_arg);
	return err;
}

/* Decode a stored strategy value (schema 1 or 2). */
int reg_strategy_decode(struct hms_registry *reg, const char *val,
			size_t len, struct registry_strategy *s)
{
	json_t *j = json_loadb(val, len, 0, NULL), *v;
	int err;

	if (!j)
		return reg_fail(reg, -EINVAL, "strategy: undecodable value");
	v = json_object_get(j, "v");
	if (json_integer_value(v) > REGISTRY_SCHEMA_VERSION) {
		json_decref(j);
		return reg_fail(reg, -EPROTO, "strategy: newer schema version");
	}
	err = reg_strategy_from_json(reg, j, s, "strategy");
	json_decref(j);
	return err;
}

int registry_get_strategy(struct hms_registry *reg, const char *name,
			  struct registry_strategy *out)
{
	size_t len;
	char *val;
	int err;

	if (!registry_name_valid(name))
		return -ENOENT;
	if (!reg->db) {	/* a copy: its table in memory */
		const struct registry_strategy *s = reg_st_find(reg, name);

		if (!s)
			return -ENOENT;
		*out = *s;
		return 0;
	}
	err = reg_get(reg, CF_STRATEGIES, name, strlen(name), &val, &len);
	if (err)
		return err;
	err = reg_strategy_decode(reg, val, len, out);
	reg_rdb.free(val);
	return err;
}

int registry_strategy_foreach(struct hms_registry *reg,
			      int (*cb)(const struct registry_strategy *s,
					void *arg),
			      void *arg)
{
	struct registry_strategy s;
	rocksdb_iterator_t *it;
	size_t len, i;
	int err = 0;

	if (!reg->db) {	/* a copy: in the order they were put */
		for (i = 0; i < reg->nst; i++)
			if (cb(&reg->st[i], arg))
				break;
		return 0;
	}
	it = reg_rdb.create_iterator_cf(reg->db, reg->ro, reg->cf[CF_STRATEGIES]);
	for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it);
	     reg_rdb.iter_next(it)) {
		const char *v = reg_rdb.iter_value(it, &len);

		err = reg_strategy_decode(reg, v, len, &s);
		if (err)
			break;
		if (cb(&s, arg))
			break;
	}
	reg_rdb.iter_destroy(it);
	return err;
}

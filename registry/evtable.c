/* evtable.c - the in-memory table of evidence records, one per
 * (component, failure class, strategy): an array with an open-addressing
 * hash index, loaded from the evidence family on open and written through
 * on every change, so a choice never touches RocksDB. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- evidence table ------------------------------------------------ */

static uint32_t reg_hash(const char *c, const char *f, const char *s)
{
	const char *parts[3] = { c, f, s };
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

struct reg_ev *reg_ev_find(struct hms_registry *reg, const char *component,
			   const char *failure, const char *strategy)
{
	size_t mask = reg->nslots - 1, h;

	if (!reg->nslots)
		return NULL;
	for (h = reg_hash(component, failure, strategy) & mask; reg->slots[h];
	     h = (h + 1) & mask) {
		struct reg_ev *e = &reg->ev[reg->slots[h] - 1];

		if (!strcmp(e->strategy, strategy) &&
		    !strcmp(e->component, component) &&
		    !strcmp(e->failure, failure))
			return e;
	}
	return NULL;
}

static int reg_ev_rehash(struct hms_registry *reg, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	size_t i, h;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < reg->nev; i++) {
		struct reg_ev *e = &reg->ev[i];

		h = reg_hash(e->component, e->failure, e->strategy) & (nslots - 1);
		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = i + 1;
	}
	free(reg->slots);
	reg->slots = slots;
	reg->nslots = nslots;
	return 0;
}

/* Insert a copy of e (not present yet); NULL on ENOMEM.  Pointers from
 * earlier finds are invalid afterwards. */
struct reg_ev *reg_ev_add(struct hms_registry *reg, const struct reg_ev *e)
{
	if (reg->nev == reg->evcap) {
		size_t cap = reg->evcap ? reg->evcap * 2 : 16;
		struct reg_ev *ev = realloc(reg->ev, cap * sizeof(*ev));

		if (!ev)
			return NULL;
		reg->ev = ev;
		reg->evcap = cap;
	}
	reg->ev[reg->nev++] = *e;
	if (reg->nev * 2 > reg->nslots) {
		if (reg_ev_rehash(reg, reg->nslots ? reg->nslots * 2 : 64)) {
			reg->nev--;
			return NULL;
		}
	} else {
		size_t mask = reg->nslots - 1;
		size_t h = reg_hash(e->component, e->failure, e->strategy) & mask;

		while (reg->slots[h])
			h = (h + 1) & mask;
		reg->slots[h] = reg->nev;
	}
	return &reg->ev[reg->nev - 1];
}

void reg_ev_free(struct hms_registry *reg)
{
	free(reg->ev);
	free(reg->slots);
	reg->ev = NULL;
	reg->slots = NULL;
	reg->nev = reg->evcap = reg->nslots = 0;
}

int reg_ev_load(struct hms_registry *reg)
{
	rocksdb_iterator_t *it;
	struct reg_ev e;
	json_t *j;
	size_t len;
	int err = 0;

	if (!reg->cf[CF_EVIDENCE])
		return 0;
	it = rocksdb_create_iterator_cf(reg->db, reg->ro, reg->cf[CF_EVIDENCE]);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it) && !err;
	     rocksdb_iter_next(it)) {
		const char *v = rocksdb_iter_value(it, &len);

		j = json_loadb(v, len, 0, NULL);
		err = reg_ev_from_json(reg, j, &e, "evidence");
		json_decref(j);
		if (!err && !reg_ev_add(reg, &e))
			err = -ENOMEM;
	}
	rocksdb_iter_destroy(it);
	return err;
}

int reg_ev_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
	       const struct reg_ev *e)
{
	char key[128], *val;
	json_t *j = reg_ev_json(e);
	size_t kl = reg_key_evidence(key, sizeof(key), e->component,
				     e->failure, e->strategy);

	val = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(j);
	if (!val)
		return -ENOMEM;
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_EVIDENCE], key, kl, val,
				  strlen(val));
	free(val);
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* evtable.c - the in-memory tables behind learning: evidence per
 * (component, failure class, strategy), groups per (component, class)
 * that count incidents for the discount, and parameter arms.  Arrays
 * with open-addressing hash indexes, plus the evidence positions kept
 * sorted by key so the dashboard can browse in pages without a sort.
 * Loaded from the store on open (a row that does not decode or validate
 * is reported and skipped, never fatal) and written through on change,
 * so a choice never touches RocksDB. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static uint32_t reg_hash(const char *const *parts, int n)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < n; i++) {
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

/* ---- a tiny open-addressing index over an array --------------------- */

struct reg_index {
	uint32_t **slots;
	size_t *nslots;
};

typedef uint32_t (*reg_keyhash)(const void *item);

static int reg_rehash(uint32_t **slots, size_t *nslots, const void *arr,
		      size_t size, size_t n, size_t want, reg_keyhash kh)
{
	uint32_t *ns = calloc(want, sizeof(*ns));
	size_t i, h;

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		h = kh((const char *)arr + i * size) & (want - 1);
		while (ns[h])
			h = (h + 1) & (want - 1);
		ns[h] = i + 1;
	}
	free(*slots);
	*slots = ns;
	*nslots = want;
	return 0;
}

/* Append item to arr (grown as needed) and index it; NULL on ENOMEM. */
static void *reg_append(void **arr, size_t *n, size_t *cap, size_t size,
			const void *item, uint32_t **slots, size_t *nslots,
			reg_keyhash kh)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, c * size);

		if (!p)
			return NULL;
		*arr = p;
		*cap = c;
	}
	memcpy((char *)*arr + *n * size, item, size);
	(*n)++;
	if (*n * 2 > *nslots) {
		if (reg_rehash(slots, nslots, *arr, size, *n,
			       *nslots ? *nslots * 2 : 64, kh)) {
			(*n)--;
			return NULL;
		}
	} else {
		size_t mask = *nslots - 1, h = kh(item) & mask;

		while ((*slots)[h])
			h = (h + 1) & mask;
		(*slots)[h] = *n;
	}
	return (char *)*arr + (*n - 1) * size;
}

/* ---- evidence ------------------------------------------------------- */

static uint32_t reg_ev_hash(const void *item)
{
	const struct reg_ev *e = item;
	const char *p[3] = { e->component, e->failure, e->strategy };

	return reg_hash(p, 3);
}

struct reg_ev *reg_ev_find(struct hms_registry *reg, const char *component,
			   const char *failure, const char *strategy)
{
	const char *p[3] = { component, failure, strategy };
	size_t mask = reg->nslots - 1, h;

	if (!reg->nslots)
		return NULL;
	for (h = reg_hash(p, 3) & mask; reg->slots[h]; h = (h + 1) & mask) {
		struct reg_ev *e = &reg->ev[reg->slots[h] - 1];

		if (!strcmp(e->strategy, strategy) &&
		    !strcmp(e->component, component) &&
		    !strcmp(e->failure, failure))
			return e;
	}
	return NULL;
}

static int reg_ev_keycmp(const struct reg_ev *x, const struct reg_ev *y)
{
	int c = strcmp(x->component, y->component);

	c = c ?: strcmp(x->failure, y->failure);
	return c ?: strcmp(x->strategy, y->strategy);
}

/* Insert a copy of e (not present yet); NULL on ENOMEM.  Pointers from
 * earlier finds are invalid afterwards. */
struct reg_ev *reg_ev_add(struct hms_registry *reg, const struct reg_ev *e)
{
	size_t cap = reg->evcap, lo = 0, hi;
	struct reg_group *g = reg_group_get(reg, e->component, e->failure);
	struct reg_ev *n;
	uint32_t *ord;

	if (!g)
		return NULL;
	n = reg_append((void **)&reg->ev, &reg->nev, &reg->evcap, sizeof(*e),
		       e, &reg->slots, &reg->nslots, reg_ev_hash);
	if (!n)
		return NULL;
	if (reg->evcap > cap || !reg->order) {	/* order as large as the array */
		ord = realloc(reg->order, reg->evcap * sizeof(*ord));
		if (!ord) {
			reg->nev--;
			reg_rehash(&reg->slots, &reg->nslots, reg->ev,
				   sizeof(*reg->ev), reg->nev, reg->nslots,
				   reg_ev_hash);
			return NULL;
		}
		reg->order = ord;
	}
	n->group = g - reg->grp;
	if (g->k < n->k_ref)
		g->k = n->k_ref;
	if (g->t_last < n->t_ref)
		g->t_last = n->t_ref;
	/* binary search for the sorted position */
	hi = reg->nev - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (reg_ev_keycmp(&reg->ev[reg->order[mid]], n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(reg->order + lo + 1, reg->order + lo,
		(reg->nev - 1 - lo) * sizeof(*reg->order));
	reg->order[lo] = reg->nev - 1;
	return n;
}

/* Find or create an empty row. */
struct reg_ev *reg_ev_get(struct hms_registry *reg, const char *component,
			  const char *failure, const char *strategy)
{
	struct reg_ev *e = reg_ev_find(reg, component, failure, strategy), z;

	if (e)
		return e;
	memset(&z, 0, sizeof(z));
	if (reg_copy(z.component, sizeof(z.component), component) ||
	    reg_copy(z.failure, sizeof(z.failure), failure) ||
	    reg_copy(z.strategy, sizeof(z.strategy), strategy))
		return NULL;
	return reg_ev_add(reg, &z);
}

/* ---- groups --------------------------------------------------------- */

static uint32_t reg_grp_hash(const void *item)
{
	const struct reg_group *g = item;
	const char *p[2] = { g->component, g->failure };

	return reg_hash(p, 2);
}

struct reg_group *reg_group_get(struct hms_registry *reg,
				const char *component, const char *failure)
{
	const char *p[2] = { component, failure };
	struct reg_group z;
	size_t mask = reg->ngslots - 1, h;

	for (h = reg_hash(p, 2) & mask; reg->ngslots && reg->gslots[h];
	     h = (h + 1) & mask) {
		struct reg_group *g = &reg->grp[reg->gslots[h] - 1];

		if (!strcmp(g->component, component) &&
		    !strcmp(g->failure, failure))
			return g;
	}
	memset(&z, 0, sizeof(z));
	if (reg_copy(z.component, sizeof(z.component), component) ||
	    reg_copy(z.failure, sizeof(z.failure), failure))
		return NULL;
	return reg_append((void **)&reg->grp, &reg->ngrp, &reg->grpcap,
			  sizeof(z), &z, &reg->gslots, &reg->ngslots,
			  reg_grp_hash);
}

/* ---- parameter arms ------------------------------------------------- */

static uint32_t reg_par_hash(const void *item)
{
	const struct reg_param *x = item;
	const char *p[4] = { x->component, x->failure, x->strategy, x->name };

	return reg_hash(p, 4);
}

struct reg_param *reg_param_find(struct hms_registry *reg, const char *c,
				 const char *f, const char *s, const char *name)
{
	const char *p[4] = { c, f, s, name };
	size_t mask = reg->npslots - 1, h;

	if (!reg->npslots)
		return NULL;
	for (h = reg_hash(p, 4) & mask; reg->pslots[h]; h = (h + 1) & mask) {
		struct reg_param *x = &reg->par[reg->pslots[h] - 1];

		if (!strcmp(x->name, name) && !strcmp(x->strategy, s) &&
		    !strcmp(x->component, c) && !strcmp(x->failure, f))
			return x;
	}
	return NULL;
}

/* Tie parameter arm idx to its evidence row (created if missing). */
void reg_param_link(struct hms_registry *reg, size_t idx)
{
	const struct reg_param *p = &reg->par[idx];
	struct reg_ev *e;

	/* a tuned threshold belongs to no strategy (threshold.c) */
	if (!strcmp(p->strategy, REGISTRY_THRESHOLD_STRATEGY))
		return;
	e = reg_ev_get(reg, p->component, p->failure, p->strategy);

	if (e && e->npidx < 4)
		e->pidx[e->npidx++] = idx;
}

struct reg_param *reg_param_add(struct hms_registry *reg,
				const struct reg_param *p)
{
	struct reg_param *n = reg_append((void **)&reg->par, &reg->npar,
					 &reg->parcap, sizeof(*p), p,
					 &reg->pslots, &reg->npslots,
					 reg_par_hash);

	if (n)
		reg_param_link(reg, reg->npar - 1);
	return n;
}

void reg_ev_free(struct hms_registry *reg)
{
	free(reg->ev);
	free(reg->slots);
	free(reg->order);
	free(reg->grp);
	free(reg->gslots);
	free(reg->par);
	free(reg->pslots);
	reg->ev = NULL;
	reg->slots = reg->order = reg->gslots = reg->pslots = NULL;
	reg->grp = NULL;
	reg->par = NULL;
	reg->nev = reg->evcap = reg->nslots = 0;
	reg->ngrp = reg->grpcap = reg->ngslots = 0;
	reg->npar = reg->parcap = reg->npslots = 0;
}

/* ---- strategies of a handle without a store -------------------------- */

static uint32_t reg_st_hash(const void *item)
{
	const char *p[1] = { ((const struct registry_strategy *)item)->name };

	return reg_hash(p, 1);
}

const struct registry_strategy *reg_st_find(struct hms_registry *reg,
					    const char *name)
{
	const char *p[1] = { name };
	size_t mask = reg->nstslots - 1, h;

	if (!reg->nstslots)
		return NULL;
	for (h = reg_hash(p, 1) & mask; reg->stslots[h]; h = (h + 1) & mask)
		if (!strcmp(reg->st[reg->stslots[h] - 1].name, name))
			return &reg->st[reg->stslots[h] - 1];
	return NULL;
}

/* Put s (checked): replaces the strategy of the same name. */
int reg_st_put(struct hms_registry *reg, const struct registry_strategy *s)
{
	struct registry_strategy *x =
		(struct registry_strategy *)reg_st_find(reg, s->name);

	if (x) {
		*x = *s;
		return 0;
	}
	return reg_append((void **)&reg->st, &reg->nst, &reg->stcap,
			  sizeof(*s), s, &reg->stslots, &reg->nstslots,
			  reg_st_hash) ? 0 : -ENOMEM;
}

void reg_st_free(struct hms_registry *reg)
{
	free(reg->st);
	free(reg->stslots);
	reg->st = NULL;
	reg->stslots = NULL;
	reg->nst = reg->stcap = reg->nstslots = 0;
}

/* ---- load and store ------------------------------------------------- */

void reg_bad_row(struct hms_registry *reg, const char *what, const char *key,
		 size_t klen, const char *why)
{
	char k[96];
	size_t i;

	for (i = 0; i < klen && i + 1 < sizeof(k); i++)
		k[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '/';
	k[i] = 0;
	if (!reg->bad_rows++)
		snprintf(reg->bad_first, sizeof(reg->bad_first), "%s '%s': %.80s",
			 what, k, why);
	fprintf(stderr, "registry: %s: skipped invalid %s row '%s': %s "
		"(hms-registry repair drops it)\n", reg->dir, what, k, why);
}

/* Room for want more items in arr and its index, so that a load grows
 * neither row by row (45,000 rows: no realloc or rehash per doubling). */
static int reg_reserve(void **arr, size_t n, size_t *cap, size_t size,
		       uint32_t **slots, size_t *nslots, size_t want,
		       reg_keyhash kh)
{
	size_t c = *cap ? *cap : 16, ns = *nslots ? *nslots : 64;
	void *p;

	while (c < n + want)
		c *= 2;
	while (ns < 2 * (n + want))
		ns *= 2;
	if (c > *cap) {
		p = realloc(*arr, c * size);
		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = c;
	}
	return ns > *nslots ? reg_rehash(slots, nslots, *arr, size, n, ns, kh)
			    : 0;
}

/* How many rows a column family holds, estimated by RocksDB. */
static size_t reg_cf_estimate(struct hms_registry *reg, int cf)
{
	char *v = reg_rdb.property_value_cf(reg->db, reg->cf[cf],
					    "rocksdb.estimate-num-keys");
	unsigned long long n = v ? strtoull(v, NULL, 10) : 0;

	free(v);
	return n > 1u << 24 ? 1u << 24 : (size_t)n;
}

static int reg_load_reserve(struct hms_registry *reg, int cf)
{
	size_t want = reg_cf_estimate(reg, cf), cap = reg->evcap;
	uint32_t *ord;
	int err;

	if (!want)
		return 0;
	if (cf == CF_PARAMS)
		return reg_reserve((void **)&reg->par, reg->npar, &reg->parcap,
				   sizeof(*reg->par), &reg->pslots,
				   &reg->npslots, want, reg_par_hash);
	err = reg_reserve((void **)&reg->ev, reg->nev, &reg->evcap,
			  sizeof(*reg->ev), &reg->slots, &reg->nslots, want,
			  reg_ev_hash);
	if (!err && (reg->evcap > cap || !reg->order)) {
		ord = realloc(reg->order, reg->evcap * sizeof(*ord));
		if (!ord)
			return -ENOMEM;
		reg->order = ord;
	}
	/* a group has one or more strategies: half the rows is a guess
	 * that grows by doubling when wrong */
	return err ?: reg_reserve((void **)&reg->grp, reg->ngrp, &reg->grpcap,
				  sizeof(*reg->grp), &reg->gslots,
				  &reg->ngslots, want / 2, reg_grp_hash);
}

static int reg_load_cf(struct hms_registry *reg, int cf)
{
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	struct reg_ev e;
	struct reg_param p;
	size_t len, klen;
	int err = 0;

	if (!reg->cf[cf])
		return 0;
	err = reg_load_reserve(reg, cf);
	if (err)
		return err;
	/* one pass over the whole family: read ahead, keep the cache for
	 * the point reads that follow */
	ro = reg_rdb.readoptions_create();
	reg_rdb.readoptions_set_fill_cache(ro, 0);
	reg_rdb.readoptions_set_readahead_size(ro, 2 << 20);
	it = reg_rdb.create_iterator_cf(reg->db, ro, reg->cf[cf]);
	for (reg_rdb.iter_seek_to_first(it); reg_rdb.iter_valid(it) && !err;
	     reg_rdb.iter_next(it)) {
		const char *v = reg_rdb.iter_value(it, &len);
		const char *k = reg_rdb.iter_key(it, &klen);
		json_t *j = json_loadb(v, len, 0, NULL);
		int bad;

		if (cf == CF_EVIDENCE)
			bad = reg_ev_from_json(reg, j, &e, "evidence");
		else
			bad = reg_param_from_json(reg, j, &p, "param");
		json_decref(j);
		if (bad == -ENOMEM) {
			err = bad;
		} else if (bad) {
			reg_bad_row(reg, cf == CF_EVIDENCE ? "evidence" : "param",
				    k, klen, reg->err);
		} else if (cf == CF_EVIDENCE) {
			if (reg_ev_find(reg, e.component, e.failure, e.strategy))
				reg_bad_row(reg, "evidence", k, klen, "duplicate");
			else if (!reg_ev_add(reg, &e))
				err = -ENOMEM;
		} else if (reg_param_find(reg, p.component, p.failure,
					  p.strategy, p.name)) {
			reg_bad_row(reg, "param", k, klen, "duplicate");
		} else if (!reg_param_add(reg, &p)) {
			err = -ENOMEM;
		}
	}
	reg_rdb.iter_destroy(it);
	reg_rdb.readoptions_destroy(ro);
	reg->err[0] = 0;
	return err;
}

int reg_ev_load(struct hms_registry *reg)
{
	int err = reg_load_cf(reg, CF_EVIDENCE);

	err = err ?: reg_load_cf(reg, CF_PARAMS);
	return err ?: reg_fleet_load(reg);
}

int reg_ev_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
	       struct reg_ev *e)
{
	char key[128], *val;
	json_t *j;
	size_t kl;

	e->written = 1;
	if (!wb)
		return 0;
	j = reg_ev_json(e, 0);
	kl = reg_key_evidence(key, sizeof(key), e->component, e->failure,
			      e->strategy);
	val = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(j);
	if (!val)
		return -ENOMEM;
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_EVIDENCE], key, kl, val,
				  strlen(val));
	free(val);
	return 0;
}

int reg_param_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
		  struct reg_param *p)
{
	char key[160], *val;
	json_t *j;
	size_t kl;

	p->written = 1;
	if (!wb)
		return 0;
	j = reg_param_json(p);
	kl = reg_key_evidence(key, sizeof(key) - 40, p->component, p->failure,
			      p->strategy);
	if (!kl || !j) {
		json_decref(j);
		return -ENOMEM;
	}
	key[kl++] = 0;
	memcpy(key + kl, p->name, strlen(p->name));
	kl += strlen(p->name);
	val = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(j);
	if (!val)
		return -ENOMEM;
	reg_rdb.writebatch_put_cf(wb, reg->cf[CF_PARAMS], key, kl, val,
				  strlen(val));
	free(val);
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* copy.c - the daemon's copy of the registry: a handle without a store
 * (registry_open_mem), only the in-memory tables choices read (evidence,
 * groups, parameter arms, evtable.c; strategies), seeded from the store
 * process's snapshot.  Its writes learn in those tables and go on to the
 * store through the forward (replica.c); no incident or outcome row is
 * kept, and no RocksDB is loaded (rdb.c), so the daemon maps none.
 *
 * Seeding gives what the store gives when it reopens: the rows the copy
 * wrote since it opened win over the snapshot's (they are newer), and at
 * registry_load_end the tables are rebuilt from both in key order - the
 * order a store reads them in - with the fleet sums added last.  Rows the
 * copy only created in memory (a parameter arm chosen but never learned
 * from, the empty evidence row it hangs on) are not rows of a store and
 * go, as they do when a store reopens. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* The snapshot rows received, until registry_load_end. */
struct reg_snap {
	struct reg_ev *ev;
	size_t nev, evcap;
	struct reg_param *par;
	size_t npar, parcap;
	struct reg_ev *fleet;
	size_t nfleet, fleetcap;
};

static int reg_push(void **arr, size_t *n, size_t *cap, size_t size,
		    const void *item)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *p = realloc(*arr, c * size);

		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = c;
	}
	memcpy((char *)*arr + (*n)++ * size, item, size);
	return 0;
}

void reg_copy_free(struct hms_registry *reg)
{
	if (!reg->snap)
		return;
	free(reg->snap->ev);
	free(reg->snap->par);
	free(reg->snap->fleet);
	free(reg->snap);
	reg->snap = NULL;
}

static int reg_meta_row(struct hms_registry *reg, const char *key,
			size_t klen, const char *val, size_t vlen)
{
	char *dst = NULL;
	size_t cap = 0;

	/* the store's identity; the rest of meta (schema, fleet sources)
	 * is the store's business */
	if (klen == 4 && !memcmp(key, "host", 4)) {
		dst = reg->host;
		cap = sizeof(reg->host);
	} else if (klen == 10 && !memcmp(key, "created_ns", 10)) {
		dst = reg->store_id;
		cap = sizeof(reg->store_id);
	}
	if (dst)
		snprintf(dst, cap, "%.*s", (int)vlen, val);
	return 0;
}

static int reg_strategy_row(struct hms_registry *reg, const char *key,
			    size_t klen, const char *val, size_t vlen)
{
	struct registry_strategy s;
	int err = reg_strategy_decode(reg, val, vlen, &s);

	if (err == -ENOMEM)
		return err;
	if (err) {
		reg_bad_row(reg, "strategy", key, klen, reg->err);
		return 0;
	}
	if (reg_st_find(reg, s.name))	/* put here since the start */
		return 0;
	return reg_st_put(reg, &s);
}

/* An evidence, parameter or fleet row, decoded and kept for load_end. */
static int reg_table_row(struct hms_registry *reg, unsigned int cf,
			 const char *key, size_t klen, const char *val,
			 size_t vlen)
{
	struct reg_snap *sn = reg->snap;
	json_t *j = json_loadb(val, vlen, 0, NULL);
	const char *what = cf == CF_PARAMS ? "param"
			   : cf == CF_FLEET ? "fleet" : "evidence";
	struct reg_param p;
	struct reg_ev e;
	int err;

	err = cf == CF_PARAMS ? reg_param_from_json(reg, j, &p, what)
			      : reg_ev_from_json(reg, j, &e, what);
	json_decref(j);
	if (err == -ENOMEM)
		return err;
	if (err) {
		reg_bad_row(reg, what, key, klen, reg->err);
		return 0;
	}
	if (cf == CF_PARAMS)
		return reg_push((void **)&sn->par, &sn->npar, &sn->parcap,
				sizeof(p), &p);
	if (cf == CF_FLEET)
		return reg_push((void **)&sn->fleet, &sn->nfleet,
				&sn->fleetcap, sizeof(e), &e);
	return reg_push((void **)&sn->ev, &sn->nev, &sn->evcap, sizeof(e), &e);
}

int registry_load_row(struct hms_registry *reg, unsigned int cf,
		      const void *key, size_t klen, const void *val,
		      size_t vlen)
{
	int err;

	if (reg->db)
		return reg_fail(reg, -EINVAL, "a store loads no snapshot");
	if (!reg->snap && !(reg->snap = calloc(1, sizeof(*reg->snap))))
		return -ENOMEM;
	switch (cf) {
	case CF_META:
		return reg_meta_row(reg, key, klen, val, vlen);
	case CF_STRATEGIES:
		err = reg_strategy_row(reg, key, klen, val, vlen);
		break;
	case CF_EVIDENCE:
	case CF_PARAMS:
	case CF_FLEET:
		err = reg_table_row(reg, cf, key, klen, val, vlen);
		break;
	default:
		return reg_fail(reg, -EINVAL, "snapshot row of family %u", cf);
	}
	reg->err[0] = 0;	/* a skipped row is no error of the caller's */
	return err;
}

static int reg_ev_cmp(const void *a, const void *b)
{
	const struct reg_ev *x = a, *y = b;
	int c = strcmp(x->component, y->component);

	c = c ?: strcmp(x->failure, y->failure);
	return c ?: strcmp(x->strategy, y->strategy);
}

static int reg_par_cmp(const void *a, const void *b)
{
	const struct reg_param *x = a, *y = b;
	int c = strcmp(x->component, y->component);

	c = c ?: strcmp(x->failure, y->failure);
	c = c ?: strcmp(x->strategy, y->strategy);
	return c ?: strcmp(x->name, y->name);
}

/* The rows a store would hold now: the copy's written ones, and the
 * snapshot's where the copy wrote none; sorted by key. */
static int reg_rows_now(struct hms_registry *reg, struct reg_ev **ev,
			size_t *nev, struct reg_param **par, size_t *npar)
{
	struct reg_snap *sn = reg->snap;
	size_t i;

	*nev = *npar = 0;
	*ev = malloc((reg->nev + sn->nev + 1) * sizeof(**ev));
	*par = malloc((reg->npar + sn->npar + 1) * sizeof(**par));
	if (!*ev || !*par)
		return -ENOMEM;
	for (i = 0; i < reg->nev; i++)
		if (reg->ev[i].written)
			(*ev)[(*nev)++] = reg->ev[i];
	for (i = 0; i < sn->nev; i++) {
		const struct reg_ev *x = &sn->ev[i];
		const struct reg_ev *have = reg_ev_find(reg, x->component,
							x->failure,
							x->strategy);

		if (!have || !have->written)
			(*ev)[(*nev)++] = *x;
	}
	for (i = 0; i < reg->npar; i++)
		if (reg->par[i].written)
			(*par)[(*npar)++] = reg->par[i];
	for (i = 0; i < sn->npar; i++) {
		const struct reg_param *x = &sn->par[i];
		const struct reg_param *have = reg_param_find(reg,
			x->component, x->failure, x->strategy, x->name);

		if (!have || !have->written)
			(*par)[(*npar)++] = *x;
	}
	qsort(*ev, *nev, sizeof(**ev), reg_ev_cmp);
	qsort(*par, *npar, sizeof(**par), reg_par_cmp);
	return 0;
}

int registry_load_end(struct hms_registry *reg)
{
	struct reg_param *par = NULL;
	struct reg_ev *ev = NULL;
	size_t nev, npar, i;
	int err;

	if (reg->db)
		return reg_fail(reg, -EINVAL, "a store loads no snapshot");
	if (!reg->snap && !(reg->snap = calloc(1, sizeof(*reg->snap))))
		return -ENOMEM;
	err = reg_rows_now(reg, &ev, &nev, &par, &npar);
	if (err)
		goto cleanup;
	reg_ev_free(reg);
	for (i = 0; i < nev && !err; i++) {
		struct reg_ev *e = &ev[i];

		if (reg_ev_find(reg, e->component, e->failure, e->strategy)) {
			reg_bad_row(reg, "evidence", e->component,
				    strlen(e->component), "duplicate");
			continue;
		}
		e->npidx = 0;	/* linked again as the arms are added */
		e->written = 1;
		if (!reg_ev_add(reg, e))
			err = -ENOMEM;
	}
	for (i = 0; i < npar && !err; i++) {
		par[i].written = 1;
		if (!reg_param_find(reg, par[i].component, par[i].failure,
				    par[i].strategy, par[i].name) &&
		    !reg_param_add(reg, &par[i]))
			err = -ENOMEM;
	}
	reg_fleet_reset(reg);
	for (i = 0; i < reg->snap->nfleet && !err; i++)
		err = reg_fleet_add(reg, &reg->snap->fleet[i]);
	reg->err[0] = 0;
cleanup:
	free(ev);
	free(par);
	reg_copy_free(reg);
	return err;
}

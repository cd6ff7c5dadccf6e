/* export.c - moving what was learned between hosts: a JSON document with
 * the strategies, the evidence (with tuned parameters), the schema
 * version, the host and the time.  Import checks the whole document
 * before it writes anything, then merges in one batch: evidence is added
 * to local evidence (both decayed to the later reference time) and
 * strategies unknown locally are added; a local strategy of the same
 * name is kept, because the local config defines it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hms_json.h"
#include "internal.h"

static int reg_export_strategy(const struct registry_strategy *s, void *arg)
{
	json_array_append_new(arg, reg_strategy_json(s));
	return 0;
}

static int reg_ev_ptr_cmp(const void *a, const void *b)
{
	const struct reg_ev *x = a, *y = b;
	int c = strcmp(x->component, y->component);

	c = c ?: strcmp(x->failure, y->failure);
	return c ?: strcmp(x->strategy, y->strategy);
}

int registry_export(struct hms_registry *reg, FILE *f)
{
	json_t *doc, *strategies = json_array(), *evidence = json_array();
	struct reg_ev *sorted;
	char host[64] = "", tuned[256];
	struct timespec ts;
	size_t i;
	int err;

	err = registry_strategy_foreach(reg, reg_export_strategy, strategies);
	sorted = malloc((reg->nev + 1) * sizeof(*sorted));
	if (err < 0 || !sorted) {
		free(sorted);
		json_decref(strategies);
		json_decref(evidence);
		return err < 0 ? err : -ENOMEM;
	}
	if (reg->nev) {
		memcpy(sorted, reg->ev, reg->nev * sizeof(*sorted));
		qsort(sorted, reg->nev, sizeof(*sorted), reg_ev_ptr_cmp);
	}
	for (i = 0; i < reg->nev; i++) {
		json_t *e = reg_ev_json(&sorted[i]);

		json_object_del(e, "v");
		reg_ev_tuned(reg, &sorted[i], tuned, sizeof(tuned));
		json_object_set_new(e, "tuned_params", json_loads(tuned, 0, NULL));
		json_array_append_new(evidence, e);
	}
	free(sorted);
	gethostname(host, sizeof(host) - 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	doc = json_pack("{s:s, s:i, s:s, s:I, s:f, s:o, s:o}",
			"format", "hms-registry-export",
			"schema_version", REGISTRY_SCHEMA_VERSION, "host", host,
			"exported_ns",
			(json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
			"half_life_s", reg->half_life, "strategies", strategies,
			"evidence", evidence);
	if (!doc)
		return -ENOMEM;
	err = hms_json_dumpf(doc, f, JSON_INDENT(2) | JSON_SORT_KEYS |
			     JSON_REAL_PRECISION(17));
	if (!err && fputc('\n', f) == EOF)
		err = -EIO;
	json_decref(doc);
	return err;
}

struct reg_import {
	struct registry_strategy *st;
	size_t nst;
	struct reg_ev *ev;
	size_t nev;
};

static int reg_import_check_top(struct hms_registry *reg, json_t *doc,
				const char *path)
{
	json_t *v = json_object_get(doc, "schema_version");

	if (!json_is_object(doc))
		return reg_fail(reg, -EINVAL, "%s: expected a JSON object", path);
	if (!json_is_integer(v))
		return reg_fail(reg, -EINVAL,
				"%s: schema_version: expected an integer", path);
	if (json_integer_value(v) != REGISTRY_SCHEMA_VERSION)
		return reg_fail(reg, -EPROTO,
				"%s: schema_version: %lld is not supported (this build reads %d)",
				path, (long long)json_integer_value(v),
				REGISTRY_SCHEMA_VERSION);
	if (!json_is_array(json_object_get(doc, "strategies")))
		return reg_fail(reg, -EINVAL,
				"%s: strategies: expected an array", path);
	if (!json_is_array(json_object_get(doc, "evidence")))
		return reg_fail(reg, -EINVAL,
				"%s: evidence: expected an array", path);
	return 0;
}

/* Decode and validate everything into im; nothing is written. */
static int reg_import_parse(struct hms_registry *reg, json_t *doc,
			    const char *path, struct reg_import *im)
{
	json_t *sts = json_object_get(doc, "strategies");
	json_t *evs = json_object_get(doc, "evidence"), *item;
	char where[512];
	size_t i, j;
	int err;

	im->st = calloc(json_array_size(sts) + 1, sizeof(*im->st));
	im->ev = calloc(json_array_size(evs) + 1, sizeof(*im->ev));
	if (!im->st || !im->ev)
		return -ENOMEM;
	json_array_foreach(sts, i, item) {
		snprintf(where, sizeof(where), "%s: strategies[%zu]", path, i);
		err = reg_strategy_from_json(reg, item, &im->st[i], where);
		if (!err) {
			snprintf(where, sizeof(where), "%s: strategies[%zu] ('%s')",
				 path, i, im->st[i].name);
			err = reg_strategy_validate(reg, &im->st[i], where);
		}
		if (err)
			return err;
		im->nst++;
	}
	json_array_foreach(evs, i, item) {
		struct reg_ev *e = &im->ev[i];

		snprintf(where, sizeof(where), "%s: evidence[%zu]", path, i);
		err = reg_ev_from_json(reg, item, e, where);
		if (err)
			return err;
		for (j = 0; j < i; j++)
			if (!reg_ev_ptr_cmp(e, &im->ev[j]))
				return reg_fail(reg, -EINVAL,
						"%s: duplicate of evidence[%zu]",
						where, j);
		im->nev++;
	}
	return 0;
}

/* Merge im into copies of local evidence and queue all writes. */
static int reg_import_stage(struct hms_registry *reg, struct reg_import *im,
			    rocksdb_writebatch_t *wb)
{
	struct registry_strategy cur;
	size_t i;
	int err = 0;

	for (i = 0; i < im->nst && !err; i++)
		if (registry_get_strategy(reg, im->st[i].name, &cur) == -ENOENT)
			err = reg_strategy_put(reg, wb, &im->st[i]);
	for (i = 0; i < im->nev && !err; i++) {
		struct reg_ev *e = &im->ev[i], merged;
		const struct reg_ev *local = reg_ev_find(reg, e->component,
							 e->failure, e->strategy);

		if (local) {
			merged = *local;
			reg_ev_merge(reg, &merged, e);
			*e = merged;
		}
		err = reg_ev_put(reg, wb, e);
	}
	return err;
}

int registry_import(struct hms_registry *reg, const char *path, int dry_run)
{
	struct reg_import im = { 0 };
	rocksdb_writebatch_t *wb = NULL;
	json_error_t je;
	json_t *doc;
	size_t i;
	int err;

	reg->err[0] = 0;
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return reg_fail(reg, -EINVAL, "%s: line %d, column %d: %s", path,
				je.line, je.column, je.text);
	err = reg_import_check_top(reg, doc, path);
	err = err ?: reg_import_parse(reg, doc, path, &im);
	if (err || dry_run)
		goto cleanup;
	if (reg->readonly) {
		err = reg_fail(reg, -EROFS, "store is open read-only");
		goto cleanup;
	}
	wb = rocksdb_writebatch_create();
	err = reg_import_stage(reg, &im, wb);
	err = err ?: reg_write(reg, wb);
	for (i = 0; !err && i < im.nev; i++) {
		struct reg_ev *e = reg_ev_find(reg, im.ev[i].component,
					       im.ev[i].failure, im.ev[i].strategy);

		if (e)
			*e = im.ev[i];
		else if (!reg_ev_add(reg, &im.ev[i]))
			err = -ENOMEM;
	}
cleanup:
	if (wb)
		rocksdb_writebatch_destroy(wb);
	json_decref(doc);
	free(im.st);
	free(im.ev);
	return err ? err : (int)(im.nst + im.nev);
}

// SPDX-License-Identifier: BSD-2-Clause
/* export.c - moving what was learned between hosts.
 *
 * An export names its source host and a unique export id; it carries the
 * strategies, this host's own evidence (decayed to the export time, with
 * tuned parameters for information) and the contributions of the other
 * hosts it imported, each with its own host and export id.  Import
 * checks the whole document (every number bounded) before anything is
 * written, then hands each host's contribution to fleet.c, which makes
 * the merge idempotent per host.  Merge combines exports offline into
 * one document holding the newest contribution of every host.  Exports
 * are streamed row by row, so 45,000 rows need little memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "hms_json.h"
#include "internal.h"

#define REG_ID_MAX	80

struct reg_src {
	char host[64];
	char store_id[32];	/* top-level source only */
	char id[REG_ID_MAX];
	uint64_t ns;
	struct reg_ev *rows;
	size_t n;
};

struct reg_doc {
	struct registry_strategy *st;
	size_t nst;
	struct reg_src *src;
	size_t nsrc;
};

static void reg_doc_free(struct reg_doc *d)
{
	size_t i;

	for (i = 0; i < d->nsrc; i++)
		free(d->src[i].rows);
	free(d->src);
	free(d->st);
	memset(d, 0, sizeof(*d));
}

static int reg_ev_keycmp(const void *a, const void *b)
{
	const struct reg_ev *x = a, *y = b;
	int c = strcmp(x->component, y->component);

	c = c ?: strcmp(x->failure, y->failure);
	return c ?: strcmp(x->strategy, y->strategy);
}

static int reg_id_valid(const char *s)
{
	size_t i;

	if (!s || !s[0])
		return 0;
	for (i = 0; s[i]; i++)
		if (i >= REG_ID_MAX - 1 ||
		    !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(":._-", s[i])))
			return 0;
	return 1;
}

/* Parse one source object (host, export_id, exported_ns, evidence). */
static int reg_src_parse(struct hms_registry *reg, json_t *j, int legacy,
			 struct reg_src *s, const char *where)
{
	json_t *host = json_object_get(j, "host"), *id = json_object_get(j, "export_id");
	json_t *ns = json_object_get(j, "exported_ns"), *evs = json_object_get(j, "evidence");
	json_t *item;
	char at[600];
	size_t i;
	int err;

	if (!reg_host_valid(json_string_value(host)))
		return reg_fail(reg, -EINVAL, "%shost: expected a host name", where);
	if (!json_is_integer(ns) || json_integer_value(ns) < 0 ||
	    (uint64_t)json_integer_value(ns) > REG_T_MAX)
		return reg_fail(reg, -ERANGE, "%sexported_ns: expected a time in ns",
				where);
	snprintf(s->host, sizeof(s->host), "%s", json_string_value(host));
	s->ns = json_integer_value(ns);
	if (legacy && !id)
		snprintf(s->id, sizeof(s->id), "legacy-%llu",
			 (unsigned long long)s->ns);
	else if (!reg_id_valid(json_string_value(id)))
		return reg_fail(reg, -EINVAL, "%sexport_id: expected an id", where);
	else
		snprintf(s->id, sizeof(s->id), "%s", json_string_value(id));
	if (!json_is_array(evs))
		return reg_fail(reg, -EINVAL, "%sevidence: expected an array", where);
	s->rows = calloc(json_array_size(evs) + 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	json_array_foreach(evs, i, item) {
		snprintf(at, sizeof(at), "%sevidence[%zu]", where, i);
		err = reg_ev_from_json(reg, item, &s->rows[i], at);
		if (err)
			return err;
		s->n++;
	}
	qsort(s->rows, s->n, sizeof(*s->rows), reg_ev_keycmp);
	for (i = 1; i < s->n; i++)
		if (!reg_ev_keycmp(&s->rows[i - 1], &s->rows[i]))
			return reg_fail(reg, -EINVAL,
					"%sevidence: duplicate row %s/%s/%s",
					where, s->rows[i].component,
					s->rows[i].failure, s->rows[i].strategy);
	return 0;
}

static int reg_doc_top(struct hms_registry *reg, json_t *doc, const char *path,
		       int *legacy)
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
	v = json_object_get(doc, "sources");
	if (v && !json_is_array(v))
		return reg_fail(reg, -EINVAL, "%s: sources: expected an array", path);
	*legacy = !json_object_get(doc, "export_id");
	return 0;
}

/* Decode and validate a whole document into d; nothing is written. */
static int reg_doc_parse(struct hms_registry *reg, const char *path,
			 struct reg_doc *d)
{
	json_t *doc, *sts, *srcs, *item;
	json_error_t je;
	char where[600];
	size_t i, j;
	int err, legacy = 0;

	memset(d, 0, sizeof(*d));
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return reg_fail(reg, -EINVAL, "%s: line %d, column %d: %s", path,
				je.line, je.column, je.text);
	err = reg_doc_top(reg, doc, path, &legacy);
	if (err)
		goto cleanup;
	sts = json_object_get(doc, "strategies");
	srcs = json_object_get(doc, "sources");
	d->st = calloc(json_array_size(sts) + 1, sizeof(*d->st));
	d->src = calloc(json_array_size(srcs) + 2, sizeof(*d->src));
	err = d->st && d->src ? 0 : -ENOMEM;
	json_array_foreach(sts, i, item) {
		if (err)
			break;
		snprintf(where, sizeof(where), "%s: strategies[%zu]", path, i);
		err = reg_strategy_from_json(reg, item, &d->st[i], where);
		if (!err) {
			snprintf(where, sizeof(where), "%s: strategies[%zu] ('%s')",
				 path, i, d->st[i].name);
			err = reg_strategy_validate(reg, &d->st[i], where);
		}
		d->nst += !err;
	}
	if (!err && json_object_get(doc, "host")) {	/* the exporting host */
		snprintf(where, sizeof(where), "%s: ", path);
		err = reg_src_parse(reg, doc, legacy, &d->src[0], where);
		snprintf(d->src[0].store_id, sizeof(d->src[0].store_id), "%s",
			 json_string_value(json_object_get(doc, "store_id")) ?: "");
		d->nsrc++;	/* even on error: reg_doc_free frees its rows */
	} else if (!err && json_array_size(json_object_get(doc, "evidence"))) {
		struct reg_ev e;

		json_array_foreach(json_object_get(doc, "evidence"), i, item) {
			snprintf(where, sizeof(where), "%s: evidence[%zu]", path, i);
			err = reg_ev_from_json(reg, item, &e, where);
			if (err)
				break;
		}
		err = err ?: reg_fail(reg, -EINVAL,
				      "%s: host: evidence without a host", path);
	}
	json_array_foreach(srcs, i, item) {
		if (err)
			break;
		snprintf(where, sizeof(where), "%s: sources[%zu].", path, i);
		err = reg_src_parse(reg, item, 0, &d->src[d->nsrc], where);
		for (j = d->src[0].store_id[0] ? 1 : 0; !err && j < d->nsrc; j++)
			if (!strcmp(d->src[j].host, d->src[d->nsrc].host))
				err = reg_fail(reg, -EINVAL,
					       "%shost: '%s' appears twice",
					       where, d->src[j].host);
		d->nsrc++;
	}
cleanup:
	json_decref(doc);
	return err;
}

/* ---- import ----------------------------------------------------------- */

/* 1 if src should replace what was imported from its host before. */
static int reg_src_newer(struct hms_registry *reg, const struct reg_src *s)
{
	char id[REG_ID_MAX];
	uint64_t ns;

	if (!strcmp(s->host, reg->host) &&
	    (!s->store_id[0] || !strcmp(s->store_id, reg->store_id)))
		return 0;	/* this store's own evidence */
	if (reg_source_get(reg, s->host, id, sizeof(id), &ns))
		return 1;
	if (s->ns != ns)
		return s->ns > ns;
	return strcmp(s->id, id) > 0;
}

int registry_import(struct hms_registry *reg, const char *path, int dry_run)
{
	struct reg_doc d;
	struct registry_strategy cur;
	rocksdb_writebatch_t *wb = NULL;
	size_t i, items = 0;
	int err, changed = 0;

	reg->err[0] = 0;
	err = reg_doc_parse(reg, path, &d);
	if (err || dry_run)
		goto cleanup;
	err = reg_need_store(reg, "import");
	if (err)
		goto cleanup;
	if (reg->readonly) {
		err = reg_fail(reg, -EROFS, "store is open read-only");
		goto cleanup;
	}
	wb = reg_rdb.writebatch_create();
	for (i = 0; i < d.nst && !err; i++)
		if (registry_get_strategy(reg, d.st[i].name, &cur) == -ENOENT) {
			err = reg_strategy_put(reg, wb, &d.st[i]);
			changed = 1;
		}
	for (i = 0; i < d.nsrc && !err; i++) {
		if (!reg_src_newer(reg, &d.src[i]))
			continue;
		err = reg_source_stage(reg, wb, d.src[i].host, d.src[i].id,
				       d.src[i].ns, d.src[i].rows, d.src[i].n);
		changed = 1;
	}
	if (!err && changed)
		err = reg_write(reg, wb);
	if (!err && changed)
		err = reg_fleet_load(reg);
cleanup:
	for (i = 0; i < d.nsrc; i++)
		items += d.src[i].n;
	items += d.nst;
	if (wb)
		reg_rdb.writebatch_destroy(wb);
	reg_doc_free(&d);
	return err ? err : (int)items;
}

/* ---- export ----------------------------------------------------------- */

static void reg_new_id(char *id, size_t len, const char *host, uint64_t ns)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = ns ^ ((uint64_t)getpid() << 32);
	snprintf(id, len, "%s:%llu:%016llx", host[0] ? host : "fleet",
		 (unsigned long long)ns, (unsigned long long)r);
	for (char *p = id; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-", *p))
			*p = '_';
}

static uint64_t reg_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Print a JSON value compactly; -EIO on failure. */
static int reg_put(FILE *f, json_t *j, const char *before)
{
	int err = j ? 0 : -ENOMEM;

	if (!err && fputs(before, f) == EOF)
		err = -EIO;
	if (!err)
		err = hms_json_dumpf(j, f, JSON_COMPACT | JSON_SORT_KEYS |
				     JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY);
	json_decref(j);
	return err;
}

struct reg_out {
	FILE *f;
	int n;
	int err;
};

static int reg_out_row(const struct reg_ev *x, void *arg)
{
	struct reg_out *o = arg;
	json_t *j = reg_ev_json(x, 1);

	json_object_del(j, "v");
	o->err = o->err ?: reg_put(o->f, j, o->n++ ? ",\n      " : "\n      ");
	return o->err;
}

static int reg_export_strategy(const struct registry_strategy *s, void *arg)
{
	struct reg_out *o = arg;

	o->err = o->err ?: reg_put(o->f, reg_strategy_json(s),
				   o->n++ ? ",\n    " : "\n    ");
	return o->err;
}

/* This host's rows, decayed to now. */
static int reg_export_local(struct hms_registry *reg, FILE *f)
{
	char tuned[256];
	uint64_t now = reg_now(reg);
	size_t i;
	int n = 0, err = 0;

	for (i = 0; i < reg->nev && !err; i++) {
		struct reg_ev tmp = reg->ev[reg->order[i]];
		json_t *j;

		if (!tmp.n && !tmp.trials)
			continue;	/* only fleet evidence here */
		reg_ev_decay_to(reg, &tmp, now, reg->grp[tmp.group].k);
		j = reg_ev_json(&tmp, 1);
		json_object_del(j, "v");
		reg_param_tuned(reg, tmp.component, tmp.failure, tmp.strategy,
				tuned, sizeof(tuned));
		json_object_set_new(j, "tuned_params", json_loads(tuned, 0, NULL));
		err = reg_put(f, j, n++ ? ",\n    " : "\n    ");
	}
	return err;
}

/* Sources as {host, export_id, exported_ns, evidence: [...]}. */
static int reg_src_print(struct hms_registry *reg, const char *host,
			 const char *id, uint64_t ns, void *arg)
{
	struct reg_out *o = arg, rows = { o->f, 0, 0 };

	{
	json_t *h = json_string(host), *i = json_string(id);
	char *hs = hms_json_dumps(h, JSON_ENCODE_ANY);
	char *is = hms_json_dumps(i, JSON_ENCODE_ANY);

	json_decref(h);
	json_decref(i);
	if (!hs || !is ||
	    fprintf(o->f, "%s\n    {\"host\": %s, \"export_id\": %s, "
		    "\"exported_ns\": %llu, \"evidence\": [", o->n++ ? "," : "",
		    hs, is, (unsigned long long)ns) < 0)
		o->err = -EIO;
	free(hs);
	free(is);
	if (!o->err)
		o->err = reg_source_rows(reg, host, reg_out_row, &rows);
	o->err = o->err ?: rows.err;
	if (!o->err && fputs("]}", o->f) == EOF)
		o->err = -EIO;
	}
	return o->err;
}

static int reg_head(FILE *f, const char *host, const char *store,
		    const char *id, uint64_t ns, double half_life)
{
	json_t *h = json_pack("{s:s, s:i, s:s, s:I, s:f}", "format",
			      "hms-registry-export", "schema_version",
			      REGISTRY_SCHEMA_VERSION, "export_id", id,
			      "exported_ns", (json_int_t)ns, "half_life_s",
			      half_life);
	char *s;
	int err = 0;

	if (host)
		json_object_set_new(h, "host", json_string(host));
	if (store)
		json_object_set_new(h, "store_id", json_string(store));
	s = h ? hms_json_dumps(h, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(h);
	if (!s)
		return -ENOMEM;
	s[strlen(s) - 2] = 0;	/* drop "\n}": the document goes on */
	if (fprintf(f, "%s,\n", s) < 0)
		err = -EIO;
	free(s);
	return err;
}

int registry_export(struct hms_registry *reg, FILE *f)
{
	struct reg_out st = { f, 0, 0 }, src = { f, 0, 0 };
	char id[REG_ID_MAX];
	uint64_t ns = reg_wall_ns();
	int err = reg_need_store(reg, "export");

	if (err)
		return err;
	reg_new_id(id, sizeof(id), reg->host, ns);
	err = reg_head(f, reg->host, reg->store_id, id, ns, reg->half_life);
	if (!err && fputs("  \"strategies\": [", f) == EOF)
		err = -EIO;
	if (!err)
		err = registry_strategy_foreach(reg, reg_export_strategy, &st);
	err = err ?: st.err;
	if (!err && fputs("],\n  \"evidence\": [", f) == EOF)
		err = -EIO;
	err = err ?: reg_export_local(reg, f);
	if (!err && fputs("],\n  \"sources\": [", f) == EOF)
		err = -EIO;
	if (!err)
		err = reg_source_foreach(reg, reg_src_print, &src);
	err = err ?: src.err;
	if (!err && fputs("]\n}\n", f) == EOF)
		err = -EIO;
	return err;
}

/* ---- offline merge ---------------------------------------------------- */

static int reg_merge_write(FILE *f, struct reg_doc *docs, size_t n,
			   struct reg_src **best, size_t nbest)
{
	struct reg_out st = { f, 0, 0 };
	char id[REG_ID_MAX];
	uint64_t ns = reg_wall_ns();
	size_t i, j, k;
	int err;

	reg_new_id(id, sizeof(id), "fleet", ns);
	err = reg_head(f, NULL, NULL, id, ns, REGISTRY_DEFAULT_HALF_LIFE_S);
	if (!err && fputs("  \"strategies\": [", f) == EOF)
		err = -EIO;
	for (i = 0; i < n && !err; i++)
		for (j = 0; j < docs[i].nst && !err; j++) {
			int seen = 0;

			for (k = 0; k <= i && !seen; k++)
				for (size_t m = 0; m < (k < i ? docs[k].nst : j); m++)
					if (!strcmp(docs[k].st[m].name,
						    docs[i].st[j].name))
						seen = 1;
			if (!seen)
				reg_export_strategy(&docs[i].st[j], &st);
			err = st.err;
		}
	if (!err && fputs("],\n  \"evidence\": [],\n  \"sources\": [", f) == EOF)
		err = -EIO;
	for (i = 0; i < nbest && !err; i++) {
		struct reg_out rows = { f, 0, 0 };
		json_t *h = json_pack("{s:s, s:s, s:I}", "host", best[i]->host,
				      "export_id", best[i]->id, "exported_ns",
				      (json_int_t)best[i]->ns);
		char *s = h ? hms_json_dumps(h, JSON_COMPACT) : NULL;

		json_decref(h);
		if (!s)
			return -ENOMEM;
		s[strlen(s) - 1] = 0;	/* reopen the object */
		if (fprintf(f, "%s\n    %s, \"evidence\": [", i ? "," : "", s) < 0)
			err = -EIO;
		free(s);
		for (k = 0; k < best[i]->n && !err; k++)
			err = reg_out_row(&best[i]->rows[k], &rows);
		if (!err && fputs("]}", f) == EOF)
			err = -EIO;
	}
	if (!err && fputs("]\n}\n", f) == EOF)
		err = -EIO;
	return err;
}

static int reg_src_cmp(const void *a, const void *b)
{
	return strcmp((*(struct reg_src *const *)a)->host,
		      (*(struct reg_src *const *)b)->host);
}

int registry_merge_exports(const char *const *paths, size_t n, FILE *out,
			   char *errbuf, size_t errlen)
{
	struct hms_registry scratch;
	struct reg_doc *docs = calloc(n + 1, sizeof(*docs));
	struct reg_src **best = NULL;
	size_t i, j, k, nbest = 0, total = 0;
	int err = docs ? 0 : -ENOMEM;

	memset(&scratch, 0, sizeof(scratch));
	scratch.half_life = REGISTRY_DEFAULT_HALF_LIFE_S;
	for (i = 0; i < n && !err; i++) {
		err = reg_doc_parse(&scratch, paths[i], &docs[i]);
		total += docs[i].nsrc;
	}
	if (!err && !(best = calloc(total + 1, sizeof(*best))))
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++)
		for (j = 0; j < docs[i].nsrc; j++) {
			struct reg_src *s = &docs[i].src[j];

			for (k = 0; k < nbest && strcmp(best[k]->host, s->host); k++)
				;
			if (k == nbest)
				best[nbest++] = s;
			else if (s->ns > best[k]->ns ||
				 (s->ns == best[k]->ns && strcmp(s->id, best[k]->id) > 0))
				best[k] = s;
		}
	if (!err) {
		qsort(best, nbest, sizeof(*best), reg_src_cmp);
		err = reg_merge_write(out, docs, n, best, nbest);
	}
	if (err && errbuf)
		snprintf(errbuf, errlen, "%s", scratch.err[0] ? scratch.err
							      : strerror(-err));
	for (i = 0; docs && i < n; i++)
		reg_doc_free(&docs[i]);
	free(docs);
	free(best);
	return err;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin_catalog.c - what the listed plugins provide, known when a
 * configuration is checked (--check-config, start, reload) so that a
 * strategy's `plugin:` action or a component's plugin probe naming a kind
 * no listed plugin has, or with parameters its plugin refuses, is a
 * configuration error at FILE:LINE:COL like any other.  The files get the
 * loader's checks (owner, mode, ABI, descriptor) and are opened with
 * dlopen, but no plugin code runs except the stateless check hooks: no
 * init, no fini.  The loader (plugin.c) still decides what is loaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plugin_int.h"

struct catalog_entry {
	char path[256];
	void *dl;
	const struct hms_plugin *desc;	/* NULL when refused */
	char why[256];			/* ... and why */
};

struct plugin_catalog {
	struct catalog_entry *e;
	size_t n;
};

static void catalog_open_one(struct catalog_entry *e)
{
	const struct hms_plugin *d;

	if (plugin_check_file(e->path, e->why, sizeof(e->why)))
		return;
	e->dl = dlopen(e->path, RTLD_NOW | RTLD_LOCAL);
	if (!e->dl) {
		snprintf(e->why, sizeof(e->why), "dlopen: %s", dlerror());
		return;
	}
	d = dlsym(e->dl, HMS_PLUGIN_SYMBOL);
	if (!d) {
		snprintf(e->why, sizeof(e->why), "no %s descriptor",
			 HMS_PLUGIN_SYMBOL);
		return;
	}
	if (plugin_desc_check(d, e->why, sizeof(e->why)))
		return;
	e->desc = d;
}

int plugin_catalog_open(const struct cfg_plugin *list, size_t n,
			struct plugin_catalog **out)
{
	struct plugin_catalog *cat = calloc(1, sizeof(*cat));

	if (!cat)
		return -ENOMEM;
	cat->e = calloc(n + 1, sizeof(*cat->e));
	if (!cat->e) {
		free(cat);
		return -ENOMEM;
	}
	cat->n = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(cat->e[i].path, sizeof(cat->e[i].path), "%s",
			 list[i].path);
		catalog_open_one(&cat->e[i]);
	}
	*out = cat;
	return 0;
}

void plugin_catalog_free(struct plugin_catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->n; i++)
		if (cat->e[i].dl)
			dlclose(cat->e[i].dl);
	free(cat->e);
	free(cat);
}

/* The check hook of kind in d (NULL check: accepts all), or -ENOENT. */
static int catalog_find(const struct hms_plugin *d, bool probe,
			const char *kind,
			int (**check)(const char *, char *, size_t))
{
	if (probe) {
		if (!d->probe || strcmp(d->probe_kind, kind))
			return -ENOENT;
		*check = PLUGIN_HAS(d, probe_check) ? d->probe_check : NULL;
		return 0;
	}
	for (size_t i = 0; i < d->n_actions; i++)
		if (!strcmp(d->actions[i].kind, kind)) {
			*check = d->actions[i].check;
			return 0;
		}
	return -ENOENT;
}

/* "; plugin P refused: why" for each refused plugin, into buf. */
static void catalog_refusals(const struct plugin_catalog *cat, char *buf,
			     size_t len)
{
	size_t off = strlen(buf);

	for (size_t i = 0; i < cat->n && off + 1 < len; i++) {
		if (cat->e[i].desc)
			continue;
		snprintf(buf + off, len - off, "; %s refused: %s",
			 cat->e[i].path, cat->e[i].why);
		off = strlen(buf);
	}
}

int plugin_catalog_check(const struct plugin_catalog *cat, bool probe,
			 const char *kind, const char *params_json, char *why,
			 size_t len)
{
	int (*check)(const char *, char *, size_t) = NULL;
	char perr[256] = "";

	for (size_t i = 0; cat && i < cat->n; i++) {
		const struct hms_plugin *d = cat->e[i].desc;

		if (!d || catalog_find(d, probe, kind, &check))
			continue;
		if (!check || !check(params_json ?: "{}", perr, sizeof(perr)))
			return 0;
		snprintf(why, len, "plugin %s refuses these params: %s",
			 d->name, perr[0] ? perr : "(no reason given)");
		return -EINVAL;
	}
	snprintf(why, len, "unknown plugin %s kind '%s' (no plugin listed "
		 "under plugins: provides it)", probe ? "probe" : "action",
		 kind);
	if (cat)
		catalog_refusals(cat, why, len);
	return -ENOENT;
}

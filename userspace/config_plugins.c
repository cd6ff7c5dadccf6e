/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config_plugins.c - the `plugins:` list: `{path: /abs/x.so, config: {..}}`
 * per plugin, the config mapping kept as one JSON object for the plugin's
 * init.  Whether the file may be loaded (owner, mode, ABI) is decided when
 * it is loaded (plugin.c), where a refusal skips that plugin only.
 * Also the uses of plugins in strategies and probes (`plugin: {kind: K,
 * params: {..}}`): each kind must be provided by a listed plugin whose
 * check hook accepts the params, else the configuration is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config_int.h"

struct plugin_ctx {
	struct cfg_plugin *p;
	bool has_path;
};

static void plugin_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj)
{
	struct plugin_ctx *x = obj;

	if (!strcmp(k, "path")) {
		if (cfg_get_str(c, v, x->p->path, sizeof(x->p->path)))
			return;
		x->has_path = true;
		if (x->p->path[0] != '/')
			cfg_error(c, v, "must be an absolute path");
	} else if (!strcmp(k, "config")) {
		if (!cfg_want(c, v, FYNT_MAPPING))
			return;
		free(x->p->config_json);
		x->p->config_json = fy_emit_node_to_string(
			v, FYECF_MODE_JSON_ONELINE | FYECF_NO_ENDING_NEWLINE);
		if (!x->p->config_json)
			cfg_error(c, v, "cannot render as JSON");
	} else {
		cfg_unknown(c, kn);
	}
}

void cfg_parse_plugins(struct cfg_ctx *c, struct fy_node *n)
{
	struct hms_config *cfg = c->cfg;
	struct fy_node *pn;
	void *it = NULL;
	size_t count, i = 0;

	if (!cfg_want(c, n, FYNT_SEQUENCE))
		return;
	count = fy_node_sequence_item_count(n);
	cfg->plugins = calloc(count + 1, sizeof(*cfg->plugins));
	if (!cfg->plugins) {
		c->nerr++;
		return;
	}
	while ((pn = fy_node_sequence_iterate(n, &it))) {
		size_t old = cfg_push(c, "[%zu]", i);
		struct plugin_ctx x = { .p = &cfg->plugins[i] };

		cfg->n_plugins = ++i;
		cfg_each_pair(c, pn, plugin_key, &x);
		if (!x.has_path && fy_node_get_type(pn) == FYNT_MAPPING)
			cfg_error(c, pn, "missing key 'path'");
		cfg_pop(c, old);
	}
}

struct use_ctx {
	bool probe;
	char *kind;
	size_t klen;
	bool has_kind;
	char **params_json;
	uint32_t *timeout_ms;
};

static void plugin_use_key(struct cfg_ctx *c, const char *k,
			   struct fy_node *kn, struct fy_node *v, void *obj)
{
	struct use_ctx *u = obj;

	if (!strcmp(k, "kind")) {
		if (!cfg_get_str(c, v, u->kind, u->klen))
			u->has_kind = true;
	} else if (!strcmp(k, "params")) {
		if (!cfg_want(c, v, FYNT_MAPPING))
			return;
		free(*u->params_json);
		*u->params_json = fy_emit_node_to_string(
			v, FYECF_MODE_JSON_ONELINE | FYECF_NO_ENDING_NEWLINE);
		if (!*u->params_json)
			cfg_error(c, v, "cannot render as JSON");
	} else if (!strcmp(k, "timeout_ms") && !u->probe) {
		cfg_get_u32(c, v, 1, 3600000, u->timeout_ms);
	} else {
		cfg_unknown(c, kn);
	}
}

int cfg_parse_plugin_use(struct cfg_ctx *c, struct fy_node *n, bool probe,
			 char *kind, size_t klen, char **params_json,
			 uint32_t *timeout_ms)
{
	struct use_ctx u = { .probe = probe, .kind = kind, .klen = klen,
			     .params_json = params_json,
			     .timeout_ms = timeout_ms };
	struct cfg_plugin_ref *r;
	int nerr = c->nerr;

	if (!cfg_want(c, n, FYNT_MAPPING))
		return -EINVAL;
	cfg_each_pair(c, n, plugin_use_key, &u);
	if (!u.has_kind && c->nerr == nerr)
		cfg_error(c, n, "missing key 'kind' (the plugin's %s kind)",
			  probe ? "probe" : "action");
	if (!*params_json && c->nerr == nerr &&
	    !(*params_json = strdup("{}")))
		c->nerr++;
	if (c->nerr != nerr)
		return -EINVAL;
	r = realloc(c->prefs, (c->n_prefs + 1) * sizeof(*r));
	if (!r) {
		c->nerr++;
		return -ENOMEM;
	}
	c->prefs = r;
	r = &c->prefs[c->n_prefs];
	memset(r, 0, sizeof(*r));
	r->probe = probe;
	r->kind = strdup(kind);
	r->params_json = strdup(*params_json);
	c->n_prefs++;
	{
		size_t old = cfg_push(c, ".kind");
		struct fy_node *kv = fy_node_mapping_lookup_by_string(
			n, "kind", 4);

		cfg_mark_of(c, kv ? kv : n, &r->mark);
		cfg_pop(c, old);
	}
	if (!r->kind || !r->params_json) {
		c->nerr++;
		return -ENOMEM;
	}
	return 0;
}

void cfg_check_plugin_refs(struct cfg_ctx *c)
{
	struct plugin_catalog *cat = NULL;
	char why[768];

	if (!c->n_prefs)
		return;		/* no dlopen for a config that needs none */
	if (plugin_catalog_open(c->cfg->plugins, c->cfg->n_plugins, &cat)) {
		c->nerr++;
		return;
	}
	for (size_t i = 0; i < c->n_prefs; i++) {
		const struct cfg_plugin_ref *r = &c->prefs[i];

		if (plugin_catalog_check(cat, r->probe, r->kind,
					 r->params_json, why, sizeof(why)))
			cfg_error_at(c, &r->mark, "%s", why);
	}
	plugin_catalog_free(cat);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config_plugins.c - the `plugins:` list: `{path: /abs/x.so, config: {..}}`
 * per plugin, the config mapping kept as one JSON object for the plugin's
 * init.  Whether the file may be loaded (owner, mode, ABI) is decided when
 * it is loaded (plugin.c), where a refusal skips that plugin only.
 */
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

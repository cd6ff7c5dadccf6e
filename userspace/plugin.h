/* SPDX-License-Identifier: BSD-2-Clause */
/* plugin.h - the daemon's side of plugins (include/hms_plugin.h): load
 * the configured shared objects, refuse the unsafe or incompatible ones
 * with a log line, feed sinks from the bus, offer the loop's fds and
 * timers, and find action kinds. */
#ifndef HMS_PLUGIN_INT_H
#define HMS_PLUGIN_INT_H

#include <stddef.h>
#include "hms_plugin.h"

struct hms_loop;
struct hms_bus;
struct hms_plugins;

/* One entry of the configuration's `plugins:` list. */
struct cfg_plugin {
	char path[256];			/* absolute */
	char *config_json;		/* its `config:` as a JSON object */
};

int plugins_new(struct hms_loop *loop, struct hms_bus *bus,
		struct hms_plugins **out);
/* Unloads every plugin (fini, dlclose) and frees the set. */
void plugins_free(struct hms_plugins *ps);

/* Unload what is loaded, then load list[0..n): a plugin that cannot be
 * loaded is logged and skipped.  Returns how many are loaded. */
size_t plugins_load(struct hms_plugins *ps, const struct cfg_plugin *list,
		    size_t n);
void plugins_unload(struct hms_plugins *ps);
size_t plugins_count(const struct hms_plugins *ps);

/* Refuse a plugin file the way the config is refused: 0, or -errno with
 * the reason in why (not absolute, missing, not a regular file, the file
 * or its directory writable by others than root). */
int plugin_check_file(const char *path, char *why, size_t len);

/* Action kinds of the loaded plugins: -ENOENT when no plugin has kind,
 * else what the plugin's check or run returned. */
int plugins_action_check(const struct hms_plugins *ps, const char *kind,
			 const char *params_json, char *err, size_t errlen);
int plugins_action_run(struct hms_plugins *ps, const char *kind,
		       const struct hms_plugin_action_ctx *ctx,
		       const char *params_json, hms_plugin_action_done done,
		       void *token);

#endif

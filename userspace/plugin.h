/* SPDX-License-Identifier: BSD-2-Clause */
/* plugin.h - the daemon's side of plugins (include/hms_plugin.h): load
 * the configured shared objects, refuse the unsafe or incompatible ones
 * with a log line, feed sinks from the bus, offer the loop's fds and
 * timers, and find action kinds. */
#ifndef HMS_PLUGIN_INT_H
#define HMS_PLUGIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hms_plugin.h"

struct hms_loop;
struct hms_bus;
struct hms_plugins;

/* One entry of the configuration's `plugins:` list. */
struct cfg_plugin {
	char path[256];			/* absolute */
	char *config_json;		/* its `config:` as a JSON object */
};

/* A detector raised a failure: its class, the component (NULL: the one
 * that owns pid), the plugin's detail.  0 or -ENOENT (no component). */
typedef int (*plugins_failure_cb)(const char *cls, const char *component,
				  uint32_t pid, const char *detail, void *arg);

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

/* Where detectors' failures go (the healer); NULL cb drops them. */
void plugins_set_failure_cb(struct hms_plugins *ps, plugins_failure_cb cb,
			    void *arg);

/* Probe kinds of the loaded plugins: -ENOENT when no plugin has kind,
 * else what the plugin's probe returned (it calls done exactly once when
 * it returned 0). */
int plugins_probe_run(struct hms_plugins *ps, const char *kind,
		      const char *component, const char *params_json,
		      hms_plugin_action_done done, void *token);

/* A pending plugin action or probe (plugin_ticket.c).  cb gets the result
 * exactly once unless the ticket was cancelled first. */
struct plugin_ticket;
typedef void (*plugin_ticket_cb)(void *owner, int result, const char *detail);
int plugin_ticket_new(plugin_ticket_cb cb, void *owner,
		      struct plugin_ticket **out);
/* Pass as done with the ticket as token. */
void plugin_ticket_done(void *token, int result, const char *detail);
/* Run call(arg, t) (which hands t to the plugin): a done inside it is
 * delivered when it returns; an error return frees t (0 or -errno).
 * After 0 the ticket is pending (or already delivered and freed): the
 * owner forgets it in cb and cancels it when it stops waiting. */
int plugin_ticket_call(struct plugin_ticket *t,
		       int (*call)(void *arg, struct plugin_ticket *t),
		       void *arg);
/* The owner stops waiting: cb will not be called (freed at done). */
void plugin_ticket_cancel(struct plugin_ticket *t);

/* --check-config and every load of a configuration: the action and probe
 * kinds of the listed plugins, read from their descriptors (the file
 * checks and dlopen of the loader, no init).  Refused files are
 * remembered with their reason for the error message. */
struct plugin_catalog;
int plugin_catalog_open(const struct cfg_plugin *list, size_t n,
			struct plugin_catalog **out);
void plugin_catalog_free(struct plugin_catalog *cat);
/* 0 when a listed plugin has this action (probe) kind and its check
 * accepts params; -ENOENT (unknown kind) or -EINVAL with why. */
int plugin_catalog_check(const struct plugin_catalog *cat, bool probe,
			 const char *kind, const char *params_json, char *why,
			 size_t len);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin.c - loading plugins (include/hms_plugin.h) and feeding their
 * sinks.  A plugin runs as root inside the daemon, so its file is refused
 * unless root alone could have written it (the file and its directory, as
 * the config), and a wrong ABI, a missing descriptor or a failing init is
 * refused with one log line: the daemon goes on without that plugin.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bus.h"
#include "event.h"
#include "log.h"
#include "loop.h"
#include "plugin_int.h"

/* Owned by root (or us) and not writable by group or others. */
static int plugin_check_stat(const char *what, const char *path, bool dir,
			     char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int err = -errno;

		snprintf(why, len, "%s %s: %s", what, path, strerror(errno));
		return err;
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s %s: not a %s", what, path,
			 dir ? "directory" : "regular file");
		return -EINVAL;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, len, "%s %s: writable by others than root (owner "
			 "uid %u, mode %04o)", what, path, (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int plugin_check_file(const char *path, char *why, size_t len)
{
	char dir[256], *slash;
	int err;

	if (path[0] != '/') {
		snprintf(why, len, "%s: not an absolute path", path);
		return -EINVAL;
	}
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(why, len, "%.64s...: path too long", path);
		return -ENAMETOOLONG;
	}
	slash = strrchr(dir, '/');
	slash[slash == dir] = '\0';	/* "/x.so" -> "/" */
	/* the directory too: whoever may write it may replace the file
	 * between this check and dlopen */
	err = plugin_check_stat("directory", dir, true, why, len);
	return err ?: plugin_check_stat("file", path, false, why, len);
}

static bool plugin_name_ok(const char *s)
{
	size_t n = 0;

	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '-' ||
		      s[n] == '_'))
			return false;
	return n < 32;
}

int plugin_desc_check(const struct hms_plugin *d, char *why, size_t len)
{
	if (d->abi_version != HMS_PLUGIN_ABI_VERSION) {
		snprintf(why, len, "plugin ABI version %u, this daemon speaks "
			 "version %u: rebuild it against this hms_plugin.h",
			 d->abi_version, HMS_PLUGIN_ABI_VERSION);
		return -EPROTO;
	}
	if (d->size < offsetof(struct hms_plugin, probe_kind)) {
		snprintf(why, len, "descriptor of %u bytes is too short",
			 d->size);
		return -EPROTO;
	}
	if (!plugin_name_ok(d->name)) {
		snprintf(why, len, "bad plugin name (want [a-z][a-z0-9_-]*, "
			 "at most 31 bytes)");
		return -EINVAL;
	}
	for (size_t i = 0; i < d->n_actions; i++)
		if (!plugin_name_ok(d->actions[i].kind) ||
		    !d->actions[i].check || !d->actions[i].run) {
			snprintf(why, len, "action %zu: bad kind or no "
				 "check/run", i);
			return -EINVAL;
		}
	if (d->detect && !plugin_name_ok(d->detector_class)) {
		snprintf(why, len, "detector without a detector_class "
			 "([a-z][a-z0-9_-]*)");
		return -EINVAL;
	}
	if (d->probe && !plugin_name_ok(d->probe_kind)) {
		snprintf(why, len, "probe without a probe_kind "
			 "([a-z][a-z0-9_-]*)");
		return -EINVAL;
	}
	return 0;
}

static struct hms_plugin_host *plugin_find_action(
	const struct hms_plugins *ps, const char *kind, size_t *idx)
{
	for (struct hms_plugin_host *h = ps->list; h; h = h->next)
		for (size_t i = 0; i < h->desc->n_actions; i++)
			if (!strcmp(h->desc->actions[i].kind, kind)) {
				*idx = i;
				return h;
			}
	return NULL;
}

static struct hms_plugin_host *plugin_find_probe(
	const struct hms_plugins *ps, const char *kind)
{
	for (struct hms_plugin_host *h = ps->list; h; h = h->next)
		if (h->desc->probe && !strcmp(h->desc->probe_kind, kind))
			return h;
	return NULL;
}

static void plugin_unload_one(struct hms_plugin_host *h)
{
	if (h->desc && h->desc->fini)
		h->desc->fini(h->state);
	plugin_host_release(h);
	if (h->dl)
		dlclose(h->dl);
	free(h);
}

/* dlopen, check, init; 0 or -errno with the reason in why. */
static int plugin_open(struct hms_plugins *ps, struct hms_plugin_host *h,
		       const struct cfg_plugin *cp, char *why, size_t len)
{
	size_t idx;
	int err;

	err = plugin_check_file(cp->path, why, len);
	if (err)
		return err;
	h->dl = dlopen(cp->path, RTLD_NOW | RTLD_LOCAL);
	if (!h->dl) {
		snprintf(why, len, "dlopen: %s", dlerror());
		return -ENOEXEC;
	}
	h->desc = dlsym(h->dl, HMS_PLUGIN_SYMBOL);
	if (!h->desc) {
		snprintf(why, len, "no %s descriptor: not an hms-ebpf plugin",
			 HMS_PLUGIN_SYMBOL);
		return -ENOENT;
	}
	err = plugin_desc_check(h->desc, why, len);
	if (err)
		goto fail;
	if (h->desc->probe && plugin_find_probe(ps, h->desc->probe_kind)) {
		snprintf(why, len, "probe kind %s is already provided by "
			 "another plugin", h->desc->probe_kind);
		err = -EEXIST;
		goto fail;
	}
	for (size_t i = 0; i < h->desc->n_actions; i++)
		if (plugin_find_action(ps, h->desc->actions[i].kind, &idx)) {
			snprintf(why, len, "action kind %s is already "
				 "provided by another plugin",
				 h->desc->actions[i].kind);
			err = -EEXIST;
			goto fail;
		}
	snprintf(h->name, sizeof(h->name), "%s", h->desc->name);
	if (h->desc->init) {
		err = h->desc->init(&plugin_api, h, cp->config_json ?: "{}",
				    &h->state);
		if (err) {
			snprintf(why, len, "init failed: %s",
				 strerror(err < 0 ? -err : err));
			plugin_host_release(h);
			err = err < 0 ? err : -err;
			goto fail;
		}
	}
	return 0;
fail:
	h->desc = NULL;	/* no fini for what did not init */
	return err;
}

size_t plugins_load(struct hms_plugins *ps, const struct cfg_plugin *list,
		    size_t n)
{
	struct hms_plugin_host **tail;
	char why[512];

	plugins_unload(ps);
	tail = &ps->list;
	for (size_t i = 0; i < n; i++) {
		struct hms_plugin_host *h = calloc(1, sizeof(*h));

		if (!h)
			break;
		h->set = ps;
		snprintf(h->path, sizeof(h->path), "%s", list[i].path);
		snprintf(h->name, sizeof(h->name), "%s", list[i].path);
		if (plugin_open(ps, h, &list[i], why, sizeof(why))) {
			log_error("plugin %s refused: %s; going on without it",
				  list[i].path, why);
			plugin_unload_one(h);
			continue;
		}
		log_notice("plugin %s loaded from %s (%s)", h->name, h->path,
			   h->desc->description ?: "no description");
		*tail = h;
		tail = &h->next;
		ps->n++;
	}
	return ps->n;
}

void plugins_unload(struct hms_plugins *ps)
{
	struct hms_plugin_host *h, *next;

	if (!ps)
		return;
	/* unlinked first: a fini that logs or frees timers sees no list */
	h = ps->list;
	ps->list = NULL;
	ps->n = 0;
	for (; h; h = next) {
		next = h->next;
		log_info("plugin %s unloaded", h->name);
		plugin_unload_one(h);
	}
}

size_t plugins_count(const struct hms_plugins *ps)
{
	return ps ? ps->n : 0;
}

/* Every event: rendered to JSON once, and only when a sink wants it. */
static void plugins_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct hms_plugins *ps = arg;
	struct hms_plugin_event pe = { .type = ev->type, .record = ev,
				       .size = ev->size };
	char *json = NULL;

	if (ev->type >= HMS_EV_TYPE_MAX)
		return;
	for (struct hms_plugin_host *h = ps->list; h; h = h->next) {
		if ((!h->desc->sink && !h->desc->detect) ||
		    !(h->subscribed[ev->type / 64] & (1ULL << (ev->type % 64))))
			continue;
		if (!json && !(json = event_to_json_str(ev)))
			return;
		pe.type_name = event_type_name(ev->type) ?: "unknown";
		pe.json = json;
		if (h->desc->sink)
			h->desc->sink(h->state, &pe);
		/* a detector may raise a failure: the healer runs from here,
		 * as it does from its own bus subscription */
		if (h->desc->detect)
			h->desc->detect(h->state, &pe);
	}
	free(json);
}

int plugins_new(struct hms_loop *loop, struct hms_bus *bus,
		struct hms_plugins **out)
{
	struct hms_plugins *ps = calloc(1, sizeof(*ps));
	int err;

	if (!ps)
		return -ENOMEM;
	ps->loop = loop;
	ps->bus = bus;
	if (gethostname(ps->hostname, sizeof(ps->hostname) - 1) < 0)
		snprintf(ps->hostname, sizeof(ps->hostname), "localhost");
	err = bus ? bus_subscribe(bus, BUS_ALL, plugins_on_event, ps) : 0;
	if (err) {
		free(ps);
		return err;
	}
	*out = ps;
	return 0;
}

void plugins_free(struct hms_plugins *ps)
{
	if (!ps)
		return;
	plugins_unload(ps);
	if (ps->bus)
		bus_unsubscribe(ps->bus, BUS_ALL, plugins_on_event, ps);
	free(ps);
}

int plugins_action_check(const struct hms_plugins *ps, const char *kind,
			 const char *params_json, char *err, size_t errlen)
{
	struct hms_plugin_host *h;
	size_t i;

	h = ps ? plugin_find_action(ps, kind, &i) : NULL;
	if (!h) {
		snprintf(err, errlen, "no loaded plugin has action kind %s",
			 kind);
		return -ENOENT;
	}
	err[0] = '\0';
	return h->desc->actions[i].check(params_json ?: "{}", err, errlen);
}

int plugins_action_run(struct hms_plugins *ps, const char *kind,
		       const struct hms_plugin_action_ctx *ctx,
		       const char *params_json, hms_plugin_action_done done,
		       void *token)
{
	struct hms_plugin_host *h;
	size_t i;

	h = ps ? plugin_find_action(ps, kind, &i) : NULL;
	if (!h)
		return -ENOENT;
	return h->desc->actions[i].run(h->state, ctx, params_json ?: "{}",
				       done, token);
}

void plugins_set_failure_cb(struct hms_plugins *ps, plugins_failure_cb cb,
			    void *arg)
{
	if (!ps)
		return;
	ps->failure_cb = cb;
	ps->failure_arg = arg;
}

int plugins_probe_run(struct hms_plugins *ps, const char *kind,
		      const char *component, const char *params_json,
		      hms_plugin_action_done done, void *token)
{
	struct hms_plugin_host *h = ps ? plugin_find_probe(ps, kind) : NULL;

	if (!h)
		return -ENOENT;
	return h->desc->probe(h->state, component, params_json ?: "{}", done,
			      token);
}

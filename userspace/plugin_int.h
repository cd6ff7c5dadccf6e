/* SPDX-License-Identifier: BSD-2-Clause */
/* plugin_int.h - one loaded plugin as plugin.c (loading, dispatch) and
 * plugin_host.c (the services of struct hms_plugin_api) both see it. */
#ifndef HMS_PLUGIN_PRIV_H
#define HMS_PLUGIN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hms_event.h"
#include "plugin.h"

struct plugin_fd {
	struct hms_plugin_host *h;
	int fd;
	unsigned int events;
	hms_plugin_fd_cb cb;
	void *arg;
	struct plugin_fd *next;
};

struct hms_plugin_timer {
	struct hms_plugin_host *h;
	struct hms_timer *t;
	hms_plugin_timer_cb cb;
	void *arg;
	struct hms_plugin_timer *next;
};

/* The daemon's side of one plugin: what the API's host pointer is. */
struct hms_plugin_host {
	struct hms_plugins *set;
	void *dl;			/* dlopen handle */
	const struct hms_plugin *desc;
	void *state;			/* from init */
	char name[32];
	char path[256];
	uint64_t subscribed[(HMS_EV_TYPE_MAX + 63) / 64];
	struct plugin_fd *fds;
	struct hms_plugin_timer *timers;
	struct hms_plugin_host *next;
};

struct hms_plugins {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_plugin_host *list;	/* in load order */
	size_t n;
	char hostname[256];
	plugins_failure_cb failure_cb;	/* detectors' failures (healer) */
	void *failure_arg;
};

extern const struct hms_plugin_api plugin_api;
/* The descriptor's own consistency, before any of its code runs. */
int plugin_desc_check(const struct hms_plugin *d, char *why, size_t len);
/* Has the descriptor member m (a plugin built against an older header
 * may end before it)? */
#define PLUGIN_HAS(d, m) \
	((d)->size >= offsetof(struct hms_plugin, m) + sizeof((d)->m))
/* Remove what a plugin left registered (at fini or a failed init). */
void plugin_host_release(struct hms_plugin_host *h);

#endif

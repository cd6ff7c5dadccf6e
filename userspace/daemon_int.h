/* SPDX-License-Identifier: BSD-2-Clause */
/* daemon_int.h - the daemon's parts, shared by daemon.c (lifecycle),
 * daemon_ui.c (socket and tmux) and daemon_sources.c (publisher glue). */
#ifndef HMS_DAEMON_INT_H
#define HMS_DAEMON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "daemon.h"
#include "publisher.h"

#define DAEMON_MAX_EVIDENCE	1024
#define DAEMON_RELOAD_CHECK_MS	10000	/* a reload's parse in a child */

struct hms_config;
struct hms_loop;
struct hms_bus;
struct hms_proctable;
struct hms_sensors;
struct hms_registry;
struct hms_regproc;
struct hms_healer;
struct hms_publisher;
struct hms_dashboard;
struct hms_metrics;
struct hms_notify;
struct hms_plugins;
struct daemon_json;
struct log_events;
struct hms_timer;
struct registry_evidence;
struct action_hook;

struct hms_daemon {
	const struct daemon_opts *o;
	struct hms_config *cfg;
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_proctable *pt;
	struct hms_sensors *sensors;
	struct hms_registry *registry;	/* the copy in memory */
	struct hms_regproc *regproc;	/* the store's process */
	struct hms_healer *healer;
	struct hms_incidents *incidents;	/* the registry's incident log */
	struct hms_publisher *publisher;
	struct hms_dashboard *dashboard;
	struct hms_metrics *metrics;
	struct hms_notify *notify;	/* systemd: READY, WATCHDOG, ... */
	struct hms_plugins *plugins;	/* plugin.c: sinks, actions */
	struct daemon_json *json;
	struct log_events *log_events;	/* log_events.c: the healing story */
	struct publisher_sources sources;
	struct hms_timer *stop_timer;
	struct hms_timer *expire_timer;
	struct registry_evidence *ev;	/* scratch for the strategies view */
	size_t n_ev;
	int sigfd;
	int lockfd;			/* flock: one daemon per socket */
	struct action_hook *reload_hook;	/* the reload's check child */
	int reload_fd;			/* its output */
	bool reload_again;		/* SIGHUP while it ran */
};

void daemon_sources_init(struct hms_daemon *d, struct publisher_sources *s);
/* Socket and tmux session; failures are reported and leave the daemon
 * headless, never stop it. */
void daemon_ui_start(struct hms_daemon *d);
void daemon_ui_stop(struct hms_daemon *d);
/* --json on stdout (or --json-file) without ever blocking the loop. */
int daemon_json_start(struct hms_daemon *d);
void daemon_json_stop(struct hms_daemon *d);
/* SIGHUP: reopen the --json-file (logrotate moved it). */
void daemon_json_reopen(struct hms_daemon *d);
/* After a reload: the configuration's json_types / json_exclude. */
void daemon_json_reload(struct hms_daemon *d);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hms_plugin.h - the plugin ABI of hms-ebpf, the one header a plugin
 * includes.  It lives in include/ (installed as
 * $(PREFIX)/include/hms-ebpf/hms_plugin.h) and not in userspace/ so that a
 * plugin is compiled with -Iinclude alone and cannot include a daemon
 * header even by accident: everything a plugin may use is declared here.
 *
 * A plugin is a shared object that exports one object:
 *
 *	const struct hms_plugin hms_plugin_v1 = {
 *		.abi_version = HMS_PLUGIN_ABI_VERSION,
 *		.size = sizeof(struct hms_plugin),
 *		.name = "my-sink",
 *		.init = my_init, .fini = my_fini, .sink = my_sink,
 *	};
 *
 * The daemon loads the plugins its configuration lists (`plugins:`) with
 * dlopen at start and at every reload (all are unloaded, the new list is
 * loaded).  It refuses, with a log line, a file or directory writable by
 * others than root, a missing `hms_plugin_v1`, an ABI version other than
 * its own, and a plugin whose init fails; it goes on without it.
 *
 * Everything a plugin does runs in the daemon's one thread, inside its
 * epoll loop: callbacks must return quickly and never block (no sleeping,
 * no blocking network I/O, no waiting for a child).  Slow work is made
 * asynchronous with the fd and timer services of struct hms_plugin_api
 * (the Alertmanager sink drives libcurl's multi interface with them).
 * A plugin runs with the daemon's privileges (root) and a crash in it is
 * a crash of the daemon: load only plugins you trust.
 *
 * Events reach a sink as the record of bpf/hms_event.h (same numbers,
 * fixed-width fields) and as one line of JSON, the project's external
 * format (docs/events.md); a plugin that only reads the JSON needs no
 * other header.
 */
#ifndef HMS_PLUGIN_H
#define HMS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raised when a member changes meaning or place; members are only ever
 * added at the end, and `size` tells the daemon which ones a plugin has. */
#define HMS_PLUGIN_ABI_VERSION	1
/* The name of the one exported descriptor. */
#define HMS_PLUGIN_SYMBOL	"hms_plugin_v1"

/* Log levels: the syslog priorities (as the daemon's own log). */
#define HMS_PLUGIN_LOG_ERROR	3
#define HMS_PLUGIN_LOG_WARNING	4
#define HMS_PLUGIN_LOG_NOTICE	5
#define HMS_PLUGIN_LOG_INFO	6
#define HMS_PLUGIN_LOG_DEBUG	7

/* fd readiness, for fd_watch and its callback. */
#define HMS_PLUGIN_FD_READ	0x1u
#define HMS_PLUGIN_FD_WRITE	0x2u
#define HMS_PLUGIN_FD_ERROR	0x4u	/* callback only: error or hangup */

/* The daemon's side of one loaded plugin; opaque. */
struct hms_plugin_host;
/* A one-shot timer of the daemon's loop; opaque. */
struct hms_plugin_timer;

/* One bus event, valid only during the sink call. */
struct hms_plugin_event {
	uint32_t type;			/* enum hms_event_type (hms_event.h) */
	const char *type_name;		/* "alert", "outcome", "exit", ... */
	const void *record;		/* the ABI record, hdr first */
	size_t size;			/* its size in bytes */
	const char *json;		/* the same as one JSON line, no \n */
};

typedef void (*hms_plugin_fd_cb)(int fd, unsigned int events, void *arg);
typedef void (*hms_plugin_timer_cb)(void *arg);

/* What the daemon offers a plugin, valid from init to fini.  Every
 * function returns 0 or -errno unless said otherwise. */
struct hms_plugin_api {
	uint32_t abi_version;		/* HMS_PLUGIN_ABI_VERSION */
	uint32_t size;			/* sizeof(struct hms_plugin_api) */
	/* One line in the daemon's log, prefixed "plugin NAME: ". */
	void (*log)(struct hms_plugin_host *h, int level, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
	/* Receive events of this type ("alert", ..., "*" for all) in sink;
	 * -ENOENT for a name the daemon does not know. */
	int (*subscribe)(struct hms_plugin_host *h, const char *type_name);
	/* Watch fd in the loop for HMS_PLUGIN_FD_READ/WRITE; events 0
	 * stops watching it.  Calling it again changes the events.  fds
	 * still watched at fini are removed by the daemon (not closed). */
	int (*fd_watch)(struct hms_plugin_host *h, int fd, unsigned int events,
			hms_plugin_fd_cb cb, void *arg);
	/* A one-shot timer; freed by the daemon at fini if the plugin
	 * did not free it. */
	int (*timer_new)(struct hms_plugin_host *h, hms_plugin_timer_cb cb,
			 void *arg, struct hms_plugin_timer **out);
	/* Fire once after delay_ms (0 = on the next loop turn); re-arming
	 * replaces the previous expiry. */
	int (*timer_arm)(struct hms_plugin_timer *t, uint64_t delay_ms);
	int (*timer_disarm)(struct hms_plugin_timer *t);
	void (*timer_free)(struct hms_plugin_timer *t);
	/* CLOCK_MONOTONIC in ns, as the events' ts_ns. */
	uint64_t (*now_ns)(void);
	/* This host's name (for labels), never NULL. */
	const char *(*hostname)(struct hms_plugin_host *h);
	/* (appended; present when size covers it) A detector raises a
	 * failure of its class (the descriptor's detector_class) for a
	 * component, named, or found by pid (component NULL: the component
	 * that owns pid).  The healer handles it as failure class "plugin"
	 * with "CLASS: detail" as its cause, recovered by the component's
	 * `on: {plugin: [...]}` strategies.  -ENOENT when no component
	 * matches, -EPERM for a plugin without detector_class. */
	int (*raise_failure)(struct hms_plugin_host *h, const char *component,
			     uint32_t pid, const char *detail);
};

/* Context of an action plugin's run: which component, which failure. */
struct hms_plugin_action_ctx {
	const char *component;
	const char *failure;		/* "crash", "oom", ... */
	uint32_t main_pid;		/* 0 when none */
};

/* Ends an action: result 0 or -errno, detail a short text (may be NULL). */
typedef void (*hms_plugin_action_done)(void *token, int result,
				       const char *detail);

/* A recovery action of a new kind. */
struct hms_plugin_action {
	const char *kind;		/* "[a-z][a-z0-9_-]*", unique */
	/* Validate parameters (a JSON object) without any state: called
	 * when a configuration is checked.  0 or -EINVAL with a message in
	 * err. */
	int (*check)(const char *params_json, char *err, size_t errlen);
	/* Start the action; when it returns 0, call done exactly once, now
	 * or later from a callback of the loop (a done after the action's
	 * timeout_ms is ignored); when it returns -errno, never.  Must not
	 * block.  Used as `- plugin: {kind: K, params: {..}}` in a
	 * strategy's chain; done's result is the action's result. */
	int (*run)(void *state, const struct hms_plugin_action_ctx *ctx,
		   const char *params_json, hms_plugin_action_done done,
		   void *token);
};

/* The exported descriptor.  Every hook is optional except init when the
 * plugin has state; members the plugin leaves NULL are simply not used. */
struct hms_plugin {
	uint32_t abi_version;		/* HMS_PLUGIN_ABI_VERSION */
	uint32_t size;			/* sizeof(struct hms_plugin) */
	const char *name;		/* "[a-z][a-z0-9_-]*", in log lines */
	const char *description;

	/* config_json is the plugin's `config:` mapping as one JSON object
	 * ("{}" when absent), valid during this call only.  Return 0 and
	 * set *state, or -errno after a log line saying why: the plugin is
	 * then not loaded (and fini is not called). */
	int (*init)(const struct hms_plugin_api *api,
		    struct hms_plugin_host *host, const char *config_json,
		    void **state);
	/* At unload (stop, reload): release everything; must not block. */
	void (*fini)(void *state);

	/* Sink: every event of the subscribed types, synchronously, in bus
	 * order.  Must not block: queue and return. */
	void (*sink)(void *state, const struct hms_plugin_event *ev);

	/* Detector: sees the events it subscribed to (as a sink does, after
	 * the sink) and calls api->raise_failure for a component; the class
	 * ("[a-z][a-z0-9_-]*") is carried in the failure's cause. */
	const char *detector_class;
	void (*detect)(void *state, const struct hms_plugin_event *ev);

	/* Actions: n_actions entries. */
	const struct hms_plugin_action *actions;
	size_t n_actions;

	/* Probe: a new health-probe kind (`probe: {plugin: {kind: K,
	 * params: {..}}}`), started like an action on the probe's interval,
	 * done(0) = healthy, done(-errno) = failed.  The daemon bounds it by
	 * the probe's timeout_ms (a done after that is ignored). */
	const char *probe_kind;
	int (*probe)(void *state, const char *component,
		     const char *params_json, hms_plugin_action_done done,
		     void *token);

	/* (appended; present when size covers it) Validate a probe's
	 * params when the configuration is checked, as an action's check.
	 * NULL: every params mapping is accepted. */
	int (*probe_check)(const char *params_json, char *err, size_t errlen);
};

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* dashboard.h - the tmux side of the dashboard: creates (or reuses) a
 * session whose panes run `hms-ebpf view NAME`, keeps a one-line health
 * summary in its status line and flashes critical alerts.  tmux is always
 * run through the daemon's child runner (argv, no shell, own session) from
 * a queue, never waited for in the loop; every untrusted string put into
 * a tmux format passes sanitize_tmux. */
#ifndef HMS_DASHBOARD_H
#define HMS_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hms_loop;
struct hms_bus;
struct hms_actions;
struct hms_dashboard;
struct publisher_sources;

/* One layout type for the config (which owns the parsed ones) and the
 * dashboard (which also has built-in ones). */
struct dashboard_pane {
	char view[32];			/* processes|events|metrics|strategies */
	char split;			/* 'h' beside, 'v' below, 'w' in a new
					 * window (first: any) */
	unsigned int size_pct;		/* of the pane it splits, 0 = 50 */
	int of;				/* index of the pane to split,
					 * -1 = the previous one */
};

struct dashboard_layout {
	char name[32];
	const struct dashboard_pane *panes;
	size_t n_panes;
};

struct dashboard_opts {
	const char *session;		/* NULL = "hms" */
	const char *layout;		/* NULL = "default": "grid" when the
					 * session is >= 120 columns wide,
					 * else "compact" */
	const char *self_exe;		/* binary the panes run ("... view") */
	const char *socket_path;	/* passed to panes as --socket */
	const char *tmux_socket;	/* tmux -L NAME, NULL = default server */
	const char *tmux_config;	/* tmux -f FILE, NULL = user's */
	const char *tmux;		/* tmux binary, NULL = "tmux" */
	/* named layouts from the config, searched before the built-in
	 * "grid" (2x2: processes, strategies, events, metrics), "compact"
	 * (processes over events; strategies, metrics: a window each) and
	 * "default" (one of the two by width) */
	const struct dashboard_layout *layouts;
	size_t n_layouts;
	/* components for the status line summary; NULL = count the
	 * component_state events seen on the bus */
	const struct publisher_sources *sources;
	unsigned int width, height;	/* new detached session, 0 = 200x50
					 * (the daemon passes its terminal's) */
	bool kill_on_free;		/* kill the session in dashboard_free */
	/* the daemon's child runner (it reaps every child); NULL = the
	 * dashboard makes its own (a process without another runner) */
	struct hms_actions *actions;
	/* called once from the loop when the session is there (err 0) or
	 * could not be made (-ECHILD, -ETIMEDOUT) */
	void (*on_ready)(struct hms_dashboard *d, int err, void *arg);
	void *ready_arg;
};

/* Coalescing keys: a queued command with the same key is replaced. */
enum dashboard_key {
	DASHBOARD_KEY_NONE,
	DASHBOARD_KEY_STATUS,
	DASHBOARD_KEY_ALERT,
	DASHBOARD_KEY_FLASH,
};

typedef void (*dashboard_tmux_cb)(struct hms_dashboard *d, int rc,
				  const char *out, void *arg);

/* Subscribe to the bus and start creating or reusing the session (a
 * reused session keeps its panes: they reconnect by themselves); returns
 * at once, the session is made by tmux runs in the loop (on_ready).
 * -ENOENT when the layout is unknown. */
int dashboard_new(const struct dashboard_opts *o, struct hms_loop *loop,
		  struct hms_bus *bus, struct hms_dashboard **out);
/* 1 when the session is ready, 0 while it is being made, or -errno. */
int dashboard_ready(const struct hms_dashboard *d);
/* Leaves the session running (its panes wait for the next daemon) and
 * says "daemon stopped" in its status line, unless kill_on_free. */
void dashboard_free(struct hms_dashboard *d);

/* "tmux [-L NAME] attach -t SESSION" for the operator. */
void dashboard_attach_hint(const struct hms_dashboard *d, char *buf,
			   size_t len);
/* tmux attach on the daemon's terminal (the one child that keeps it),
 * started through the runner and reaped by it; *pid set. */
int dashboard_attach(struct hms_dashboard *d, pid_t *pid);

/* The status line text as last set (sanitized, tmux-escaped). */
const char *dashboard_status(const struct hms_dashboard *d);
/* Queue tmux with the dashboard's -L/-f and args (NULL-terminated); at
 * most one runs at a time, killed after 3 s.  cb (may be NULL) gets rc
 * (0, -ECHILD when tmux failed, -ETIMEDOUT) and its stdout with the final
 * newlines removed.  A command with a key replaces a queued one with the
 * same key.  0 or -errno (-ENOBUFS: queue full, dropped). */
int dashboard_tmux(struct hms_dashboard *d, int key, dashboard_tmux_cb cb,
		   void *arg, const char *const *args);
/* tmux runs so far, killed at the timeout, dropped, coalesced. */
void dashboard_tmux_stats(const struct hms_dashboard *d, uint64_t out[4]);

#endif

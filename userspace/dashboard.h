/* dashboard.h - the tmux side of the dashboard: creates (or reuses) a
 * session whose panes run `hms-ebpf view NAME`, keeps a one-line health
 * summary in its status line and flashes critical alerts.  tmux is always
 * run with an argv (fork/exec, no shell); every untrusted string put into
 * a tmux format passes sanitize_tmux. */
#ifndef HMS_DASHBOARD_H
#define HMS_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hms_loop;
struct hms_bus;
struct hms_dashboard;
struct publisher_sources;

/* One layout type for the config (which owns the parsed ones) and the
 * dashboard (which also has built-in ones). */
struct dashboard_pane {
	char view[32];			/* processes|events|metrics|strategies */
	char split;			/* 'h' beside, 'v' below (first: any) */
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
	const char *layout;		/* NULL = "default" */
	const char *self_exe;		/* binary the panes run ("... view") */
	const char *socket_path;	/* passed to panes as --socket */
	const char *tmux_socket;	/* tmux -L NAME, NULL = default server */
	const char *tmux_config;	/* tmux -f FILE, NULL = user's */
	const char *tmux;		/* tmux binary, NULL = "tmux" */
	/* named layouts from the config, searched before the built-in
	 * "default" (2x2: processes, strategies, events, metrics) and
	 * "compact" (processes over events) */
	const struct dashboard_layout *layouts;
	size_t n_layouts;
	/* components for the status line summary; NULL = count the
	 * component_state events seen on the bus */
	const struct publisher_sources *sources;
	unsigned int width, height;	/* new detached session, 0 = 200x50 */
	bool kill_on_free;		/* kill the session in dashboard_free */
};

/* Create or reuse the session (a reused session keeps its panes: they
 * reconnect by themselves) and subscribe to the bus.  -ENOENT when the
 * layout is unknown, -ECHILD when tmux fails. */
int dashboard_new(const struct dashboard_opts *o, struct hms_loop *loop,
		  struct hms_bus *bus, struct hms_dashboard **out);
/* Leaves the session running (its panes wait for the next daemon) and
 * says "daemon stopped" in its status line, unless kill_on_free. */
void dashboard_free(struct hms_dashboard *d);

/* "tmux [-L NAME] attach -t SESSION" for the operator. */
void dashboard_attach_hint(const struct hms_dashboard *d, char *buf,
			   size_t len);
/* fork/exec tmux attach on the caller's terminal; *pid to wait for. */
int dashboard_attach(const struct hms_dashboard *d, pid_t *pid);

/* The status line text as last set (sanitized, tmux-escaped). */
const char *dashboard_status(const struct hms_dashboard *d);
/* Run tmux with the dashboard's -L/-f and args (NULL-terminated); its
 * stdout, final newlines removed, goes to out (may be NULL).  0, -ECHILD
 * when tmux failed, or -errno. */
int dashboard_tmux(const struct hms_dashboard *d, char *out, size_t outlen,
		   const char *const *args);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* dashboard_int.h - shared by dashboard.c (tmux session and panes) and
 * dashboard_status.c (status line summary and alert flashes). */
#ifndef HMS_DASHBOARD_INT_H
#define HMS_DASHBOARD_INT_H

#include <stdint.h>
#include "dashboard.h"
#include "hms_event.h"
#include "publisher.h"

#define DASH_MAX_COMPS	256
#define DASH_MAX_PANES	16
#define DASH_DEFAULT_W	200	/* a detached session without a terminal */
#define DASH_DEFAULT_H	50

struct hms_timer;
struct hms_actions;
struct dash_cmd;

struct dash_pane {
	char view[32];
	char split;
	unsigned int size_pct;
	int of;
};

struct dash_comp {
	char name[HMS_NAME_LEN];
	uint32_t state;			/* enum healer_state number */
};

struct hms_dashboard {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_timer *timer;
	char *session, *self_exe, *socket_path, *tmux, *tmux_socket,
	     *tmux_config;
	char target[80];		/* "=session:": exact match */
	unsigned int width, height;
	bool kill_on_free;
	struct publisher_sources src;
	struct dash_comp comps[DASH_MAX_COMPS];	/* from the bus */
	size_t n_comps;
	char last[256];			/* last failure, tmux-escaped */
	char status[512];		/* as last set */
	char queued[512];		/* as last queued */
	int dirty;
	uint64_t last_flash_ns;
	/* tmux runs (dashboard_tmux.c) */
	struct hms_actions *actions;
	bool own_actions;		/* made here (no daemon runner given) */
	struct dash_cmd *q_head, *q_tail, *inflight;
	unsigned int n_q;
	pid_t tmux_pid;			/* in flight, 0 = none */
	int out_fd;			/* its stdout, when wanted */
	char out[512];
	size_t out_len;
	struct hms_timer *tmux_timer;
	char *tmux_env;			/* "TMUX_TMPDIR=..." or NULL */
	bool tmux_timed_out, closing;
	uint64_t tmux_runs, tmux_timeouts, tmux_dropped, tmux_coalesced;
	/* session set-up, one tmux command after the other */
	int ready;			/* 1 ready, 0 pending, -errno failed */
	struct dash_pane panes[DASH_MAX_PANES];
	size_t n_panes, step;
	char ids[DASH_MAX_PANES][32];
	void (*on_ready)(struct hms_dashboard *d, int err, void *arg);
	void *ready_arg;
	pid_t attach_pid;
	char alert[300];		/* latest alert, for @hms_alert */
	int alert_dirty;		/* written at the next status tick */
};

int dash_status_start(struct hms_dashboard *d, struct hms_bus *bus);
void dash_status_first(struct hms_dashboard *d);
int dash_tmux_init(struct hms_dashboard *d);
void dash_tmux_close(struct hms_dashboard *d, const char *const *args);
void dash_status_stop(struct hms_dashboard *d);

#endif

/* dashboard_int.h - shared by dashboard.c (tmux session and panes) and
 * dashboard_status.c (status line summary and alert flashes). */
#ifndef HMS_DASHBOARD_INT_H
#define HMS_DASHBOARD_INT_H

#include <stdint.h>
#include "dashboard.h"
#include "hms_event.h"
#include "publisher.h"

#define DASH_MAX_COMPS	256

struct hms_timer;

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
	int dirty;
	uint64_t last_flash_ns;
	char alert[300];		/* latest alert, for @hms_alert */
	int alert_dirty;		/* written at the next status tick */
};

int dash_status_start(struct hms_dashboard *d, struct hms_bus *bus);
void dash_status_stop(struct hms_dashboard *d);

#endif

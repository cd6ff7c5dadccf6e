/* SPDX-License-Identifier: BSD-2-Clause */
/* view_int.h - the pane program's state, shared by view.c (socket,
 * messages, main loop) and view_term.c (terminal, drawing, keys). */
#ifndef HMS_VIEW_INT_H
#define HMS_VIEW_INT_H

#include <stddef.h>
#include <stdint.h>
#include <termios.h>
#include "view_render.h"
#include "view_state.h"

/* 25 frames a second at most: a little shorter than the daemon's batch
 * interval under a busy stream (50 ms, publisher.c), so that each batch
 * is drawn as it comes rather than waiting for the next frame */
#define VIEW_MIN_FRAME_MS	40
#define VIEW_RETRY_MS		1000
#define VIEW_DUMB_FRAME_MS	1000	/* whole frames on TERM=dumb */
#define VIEW_ONCE_MS		10000	/* --once: the snapshot's deadline */

struct view {
	const char *path, *trace;
	struct view_state *st;
	struct view_ui ui;
	struct view_screen *prev;	/* last frame painted */
	int fd, sfd, tty, trace_fd, w, h, fixed_size, dirty;
	char *in;
	size_t in_len, in_cap;
	uint64_t events_seen, last_frame_ms, next_retry_ms, req_id;
	uint64_t min_frame_ms;
	int filter_edit, was_connected;
	int once, json;			/* --once, --json: one frame, exit */
	int no_color;			/* NO_COLOR, TERM=dumb: no SGR */
	int dumb;			/* TERM=dumb: whole frames, no cursor
					 * addressing */
	const char *confirm_verb;	/* asked "y/N" for it */
	char confirm_comp[VIEW_STR];
	int exit_code;
	struct termios saved;		/* the tty before raw mode */
};

uint64_t view_now_ms(void);
void view_write(int fd, const char *s, size_t len);
void view_puts(const char *s);
/* Render and paint a frame (only changed lines on a tty). */
void view_draw(struct view *v);
/* Handle pending keys; 1 when the pane should quit. */
int view_keys(struct view *v);
void view_tty_setup(struct view *v);
void view_restore(void);
/* Send verb for the selected component (view.c). */
void view_request(struct view *v, const char *verb);
/* The view's data as one JSON document (view_json.c), malloc'd. */
char *view_json(const struct view_state *st, struct view_ui *ui);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* view_render.h - the four dashboard views as pure functions from a
 * view_state (and the pane's UI state: sort, scroll, filter) to exactly
 * h lines of w terminal columns.  No I/O here: the client adds colour
 * when it writes to a tty, tests compare the text with fixtures. */
#ifndef HMS_VIEW_RENDER_H
#define HMS_VIEW_RENDER_H

#include <stddef.h>
#include "view_state.h"

enum view_kind {
	VIEW_PROCESSES,
	VIEW_EVENTS,
	VIEW_METRICS,
	VIEW_STRATEGIES,
	VIEW_KIND_MAX,
};

enum view_sort {
	VIEW_SORT_HEALTH,	/* failing first, then most failures */
	VIEW_SORT_PID,
	VIEW_SORT_COMM,
	VIEW_SORT_RUNQ,
	VIEW_SORT_RESTARTS,
	VIEW_SORT_MAX,
};

/* Line attributes; the client maps them to SGR sequences on a tty. */
enum view_attr {
	VA_NORMAL, VA_HEADER, VA_FOOTER, VA_SELECT, VA_FAIL, VA_WARN, VA_OK,
	VA_DIM, VA_RED, VA_MAGENTA, VA_YELLOW, VA_CYAN, VA_BLUE, VA_GREEN,
	VA_BOLDRED, VA_MAX,
};

struct view_ui {
	int kind;			/* enum view_kind */
	int sort;			/* enum view_sort (processes) */
	size_t scroll;			/* first row shown (events: rows
					 * back from the newest) */
	size_t cursor;			/* selected row (processes) */
	char filter[64];		/* events: kind or component */
	int connected;
	char status[192];		/* e.g. "lost the daemon - reconnecting" */
	char selected[VIEW_STR];	/* out: component of the cursor row */
	int ascii;			/* ASCII only (TERM=dumb, --ascii):
					 * bars, graphs and marks */
	int show_exited;		/* processes: list exited ones too */
	int help;			/* the ? overlay is shown */
	char confirm[VIEW_STR + 64];	/* the question asked, or "" */
	size_t hidden;			/* out: exited processes not listed */
};

struct view_line {
	int attr;			/* enum view_attr */
	char *text;			/* exactly w columns, UTF-8 */
};

struct view_screen {
	int w, h;
	struct view_line *lines;
};

int view_screen_new(int w, int h, struct view_screen **out);
void view_screen_free(struct view_screen *scr);

/* Render ui->kind into scr (clamps ui->scroll and ui->cursor). */
void view_render(const struct view_state *st, struct view_ui *ui,
		 struct view_screen *scr);

/* The screen as plain text, one '\n'-terminated line each (malloc'd). */
char *view_screen_text(const struct view_screen *scr);

const char *view_kind_name(int kind);
int view_kind_from_name(const char *name);	/* or -ENOENT */
const char *view_sort_name(int sort);
/* Colour of an event kind ("exit" -> VA_RED ...). */
int view_event_attr(const char *kind);

/* Human units (view_units.c): "420 ms", "26.2 s", "4m01s", "3h05m";
 * "1.2 GiB"; counts and rates "120", "1.25", "26.2k", "3.1M". */
void view_fmt_ms(double ms, char *buf, size_t len);
void view_fmt_bytes(double bytes, char *buf, size_t len);
void view_fmt_num(double v, char *buf, size_t len);
/* The keys of a view with what each does, one per line, NULL-ended. */
const char *const *view_key_help(int kind);

/* ---- shared by the view_*.c renderers ---- */
struct view_lb {			/* builds one line column by column */
	char *buf;
	size_t cap, len;
	int cols, w;
};
void view_lb_start(struct view_lb *lb, struct view_line *line, int w);
/* Append untrusted text sanitized, cut/padded to cols (cols < 0: the rest
 * of the line); right-aligned when right is set. */
void view_lb_text(struct view_lb *lb, const char *s, int cols, int right);
/* Append trusted text (format) the same way. */
void view_lb_fmt(struct view_lb *lb, int cols, int right, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));
/* Pad the rest of the line with spaces. */
void view_lb_end(struct view_lb *lb);
void view_set(struct view_screen *scr, int row, int attr, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));
/* A horizontal bar of cols columns filled to frac (0..1) with eighths
 * ('#' and '+' in ASCII). */
void view_bar(struct view_lb *lb, double frac, int cols, int ascii);

void view_render_processes(const struct view_state *st, struct view_ui *ui,
			   struct view_screen *scr, int top, int rows);
void view_render_events(const struct view_state *st, struct view_ui *ui,
			struct view_screen *scr, int top, int rows);
void view_render_metrics(const struct view_state *st, struct view_ui *ui,
			 struct view_screen *scr, int top, int rows);
void view_render_strategies(const struct view_state *st, struct view_ui *ui,
			    struct view_screen *scr, int top, int rows);

#endif

// SPDX-License-Identifier: BSD-2-Clause
/* view_events.c - the `events` view (live log, one colour per kind,
 * filter by kind, component or text) and the `metrics` view (block graphs
 * of the last five minutes of per-second samples: a one-row sparkline
 * when the pane is short, taller when it has room). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "view_render.h"

/* A kind or component by name, or any part of the comm or the details. */
static int ve_match(const struct view_event *e, const char *filter)
{
	return !filter[0] || !strcmp(e->kind, filter) ||
	       !strcmp(e->component, filter) || strstr(e->comm, filter) ||
	       strstr(e->text, filter);
}

static void ve_line(struct view_lb *lb, const struct view_event *e,
		    int comm_w)
{
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;
	char ts[16];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	view_lb_fmt(lb, 13, 0, "%s.%03d", ts, (int)(e->time_ms % 1000));
	view_lb_text(lb, e->kind, 15, 0);
	if (e->tgid)
		view_lb_fmt(lb, 7, 1, "%u", e->tgid);
	else
		view_lb_fmt(lb, 7, 1, "-");
	view_lb_fmt(lb, 1, 0, " ");
	view_lb_text(lb, e->comm, comm_w, 0);
	view_lb_fmt(lb, 1, 0, " ");
	if (e->component[0])
		view_lb_fmt(lb, -1, 0, "[%s] %s", e->component, e->text);
	else
		view_lb_text(lb, e->text, -1, 0);
}

void view_render_events(const struct view_state *st, struct view_ui *ui,
			struct view_screen *scr, int top, int rows)
{
	size_t i, match = 0, skip, shown = 0;
	int comm_w = scr->w >= 120 ? 24 : 15;
	struct view_lb lb;
	int row;

	for (i = 0; i < st->n_events; i++)
		match += ve_match(view_state_event(st, i), ui->filter);
	rows--;
	if (rows < 1)
		return;
	if (match <= (size_t)rows)
		ui->scroll = 0;
	else if (ui->scroll > match - rows)
		ui->scroll = match - rows;
	view_set(scr, top, VA_HEADER, "%-13s%-15s%7s %-*s %s   [%zu of %zu%s%s]",
		 "TIME", "KIND", "PID", comm_w, "COMM", "DETAIL", match,
		 st->n_events, ui->filter[0] ? ", filter: " : "", ui->filter);
	/* the newest matching events, ending ui->scroll rows from the end */
	skip = match > (size_t)rows + ui->scroll ?
	       match - rows - ui->scroll : 0;
	row = top + 1;
	for (i = 0; i < st->n_events && shown < (size_t)rows; i++) {
		const struct view_event *e = view_state_event(st, i);

		if (!ve_match(e, ui->filter))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		view_lb_start(&lb, &scr->lines[row], scr->w);
		ve_line(&lb, e, comm_w);
		view_lb_end(&lb);
		scr->lines[row].attr = view_event_attr(e->kind);
		row++;
		shown++;
	}
}

static const char *const vm_label[VIEW_M_MAX] = {
	"events/s", "restarts/s", "drops/s", "runq max ms", "recover ms",
};

#define VM_WINDOW_S	300	/* graphs cover the last five minutes */

/* A column's value: the mean rate over its seconds, or the worst latency. */
static double vm_value(const struct view_state *st, int m, size_t from,
		       size_t to)
{
	double v = 0, x;
	size_t i;

	for (i = from; i < to; i++) {
		x = view_state_metric(st, m, i);
		if (m == VIEW_M_RUNQ || m == VIEW_M_RECOVER)
			v = x > v ? x : v;
		else
			v += x;
	}
	if (m != VIEW_M_RUNQ && m != VIEW_M_RECOVER && to > from)
		v /= (double)(to - from);
	return v;
}

/* One series: a label line and `height` graph rows of the last minutes,
 * each column one or more seconds so that the window fits the pane. */
static void vm_series(const struct view_state *st, int m,
		      struct view_screen *scr, int row, int height)
{
	static const char *const blk[9] = {
		" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585",
		"\u2586", "\u2587", "\u2588",
	};
	size_t n = st->n_samples, span = n < VM_WINDOW_S ? n : VM_WINDOW_S;
	size_t w = scr->w > 1 ? scr->w - 1 : 1, bucket, cols, first, c;
	double vals[1024], max = 0, now = n ? view_state_metric(st, m, n - 1) : 0;
	struct view_lb lb;
	int r;

	bucket = span ? (span + w - 1) / w : 1;
	cols = (span + bucket - 1) / bucket;
	if (cols > sizeof(vals) / sizeof(vals[0]))
		cols = sizeof(vals) / sizeof(vals[0]);
	first = n - span;
	for (c = 0; c < cols; c++) {
		size_t from = first + c * bucket, to = from + bucket;

		vals[c] = vm_value(st, m, from, to < n ? to : n);
		max = vals[c] > max ? vals[c] : max;
	}
	view_set(scr, row, VA_HEADER,
		 " %-12s now %-10.4g max %-10.4g last %zum%02zus, %zu s/column",
		 vm_label[m], now, max, span / 60, span % 60, bucket);
	for (r = 0; r < height; r++) {
		int level_row = height - 1 - r;	/* 0 = bottom */

		view_lb_start(&lb, &scr->lines[row + 1 + r], scr->w);
		scr->lines[row + 1 + r].attr = m == VIEW_M_DROPS ? VA_RED :
			m == VIEW_M_RESTARTS ? VA_YELLOW : VA_CYAN;
		view_lb_fmt(&lb, (int)(1 + w - cols), 0, " ");
		for (c = 0; c < cols; c++) {
			int lv = max > 0 ? (int)(vals[c] / max * height * 8 + 0.5)
					 : 0;
			int fill = lv - level_row * 8;

			if (vals[c] > 0 && lv == 0 && level_row == 0)
				fill = 1;	/* non-zero never looks empty */
			fill = fill < 0 ? 0 : fill > 8 ? 8 : fill;
			view_lb_fmt(&lb, 1, 0, "%s", blk[fill]);
		}
		view_lb_end(&lb);
	}
}

void view_render_metrics(const struct view_state *st, struct view_ui *ui,
			 struct view_screen *scr, int top, int rows)
{
	int height = rows / VIEW_M_MAX - 1, m;

	(void)ui;
	if (height < 1) {
		view_set(scr, top, VA_WARN, "pane too small for graphs");
		return;
	}
	for (m = 0; m < VIEW_M_MAX; m++)
		vm_series(st, m, scr, top + m * (height + 1), height);
}

// SPDX-License-Identifier: BSD-2-Clause
/* view_events.c - the `events` view (live log, one colour per kind,
 * filter by kind, component or text; a component's name shows its own
 * history, kept apart from the host's busy stream) and the `metrics` view
 * (block graphs of the last five minutes of per-second samples: a
 * one-row sparkline when the pane is short, taller when it has room;
 * values in human units). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hms_sanitize.h"
#include "view_render.h"

/* A kind or component by name, or any part of the comm or the details. */
static int ve_match(const struct view_event *e, const char *filter)
{
	return !filter[0] || !strcmp(e->kind, filter) ||
	       !strcmp(e->component, filter) || strstr(e->comm, filter) ||
	       strstr(e->text, filter);
}

static void ve_line(struct view_lb *lb, const struct view_event *e,
		    int comm_w, int kind_w, int ms)
{
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;
	char ts[16];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	if (ms)
		view_lb_fmt(lb, 13, 0, "%s.%03d", ts, (int)(e->time_ms % 1000));
	else
		view_lb_fmt(lb, 9, 0, "%s", ts);
	view_lb_text(lb, e->kind, kind_w - 1, 0);
	view_lb_fmt(lb, 1, 0, " ");
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

/* The events to list: a component's history when the filter names a
 * component that has one, else the host's stream filtered. */
static size_t ve_select(const struct view_state *st, const char *filter,
			const struct view_event **out, int *history)
{
	size_t i, k;

	*history = 0;
	if (filter[0]) {
		k = view_state_history(st, filter, out,
				       VIEW_HIST_FAIL + VIEW_HIST_ACT +
				       VIEW_HIST_OTHER);
		if (k) {
			*history = 1;
			return k;
		}
	}
	for (i = 0, k = 0; i < st->n_events; i++) {
		const struct view_event *e = view_state_event(st, i);

		if (ve_match(e, filter))
			out[k++] = e;
	}
	return k;
}

void view_render_events(const struct view_state *st, struct view_ui *ui,
			struct view_screen *scr, int top, int rows)
{
	const struct view_event **sel;
	size_t i, match, skip;
	int comm_w = 4, comm_cap = scr->w >= 120 ? 24 : 12, history;
	int kind_w = 5;
	struct view_lb lb;
	int row;

	rows--;
	if (rows < 1)
		return;
	sel = calloc(VIEW_EVENTS_MAX + VIEW_HIST_FAIL + VIEW_HIST_ACT +
		     VIEW_HIST_OTHER, sizeof(*sel));
	if (!sel)
		return;
	match = ve_select(st, ui->filter, sel, &history);
	if (match <= (size_t)rows)
		ui->scroll = 0;
	else if (ui->scroll > match - rows)
		ui->scroll = match - rows;
	/* the newest selected events, ending ui->scroll rows from the end */
	skip = match > (size_t)rows + ui->scroll ?
	       match - rows - ui->scroll : 0;
	for (i = skip; i < match && i < skip + rows; i++) {
		int kw = (int)strlen(sel[i]->kind) + 1;

		char safe[VIEW_STR * 4];

		kind_w = kw > kind_w ? (kw > 17 ? 17 : kw) : kind_w;
		sanitize_str(sel[i]->comm, safe, sizeof(safe));
		kw = (int)sanitize_width(safe);
		comm_w = kw > comm_w ? (kw > comm_cap ? comm_cap : kw) : comm_w;
	}
	view_lb_start(&lb, &scr->lines[top], scr->w);
	scr->lines[top].attr = VA_HEADER;
	view_lb_fmt(&lb, scr->w >= 120 ? 13 : 9, 0, "TIME");
	view_lb_fmt(&lb, kind_w, 0, "KIND");
	view_lb_fmt(&lb, 7, 1, "PID");
	view_lb_fmt(&lb, 1, 0, " ");
	view_lb_fmt(&lb, comm_w + 1, 0, "COMM");
	if (history)
		view_lb_fmt(&lb, -1, 0, "DETAIL   [history of %s: %zu]",
			    ui->filter, match);
	else
		view_lb_fmt(&lb, -1, 0, "DETAIL   [%zu of %zu%s%s]", match,
			    st->n_events, ui->filter[0] ? ", filter: " : "",
			    ui->filter);
	view_lb_end(&lb);
	row = top + 1;
	for (i = skip; i < match && row < top + 1 + rows; i++) {
		view_lb_start(&lb, &scr->lines[row], scr->w);
		ve_line(&lb, sel[i], comm_w, kind_w, scr->w >= 120);
		view_lb_end(&lb);
		scr->lines[row].attr = view_event_attr(sel[i]->kind);
		row++;
	}
	free(sel);
}

static const char *const vm_label[VIEW_M_MAX] = {
	"events/s", "restarts/s", "drops/s", "runq max", "recover",
};

/* A value of series m as text: durations for the latencies. */
static void vm_fmt(int m, double v, char *buf, size_t len)
{
	if (m == VIEW_M_RUNQ || m == VIEW_M_RECOVER)
		view_fmt_ms(v, buf, len);
	else
		view_fmt_num(v, buf, len);
}

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
		      struct view_screen *scr, int row, int height, int ascii)
{
	static const char *const blk[9] = {
		" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585",
		"\u2586", "\u2587", "\u2588",
	};
	static const char *const asc[9] = {
		" ", ".", ".", ":", ":", "+", "+", "#", "#",
	};
	char snow[24], smax[24];
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
	vm_fmt(m, now, snow, sizeof(snow));
	vm_fmt(m, max, smax, sizeof(smax));
	view_set(scr, row, VA_HEADER,
		 " %-11s now %-9s max %-9s last %zum%02zus, %zu s/column",
		 vm_label[m], snow, smax, span / 60, span % 60, bucket);
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
			view_lb_fmt(&lb, 1, 0, "%s", ascii ? asc[fill] :
				    blk[fill]);
		}
		view_lb_end(&lb);
	}
}

void view_render_metrics(const struct view_state *st, struct view_ui *ui,
			 struct view_screen *scr, int top, int rows)
{
	int height = rows / VIEW_M_MAX - 1, m;

	if (height < 1)
		height = 0;	/* the values without graphs */
	for (m = 0; m < VIEW_M_MAX; m++)
		vm_series(st, m, scr, top + m * (height + 1), height,
			  ui->ascii);
}

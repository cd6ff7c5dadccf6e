// SPDX-License-Identifier: BSD-2-Clause
/* view_render.c - screen buffer, line builder, header and footer shared
 * by the four views.  Every untrusted string goes through view_lb_text,
 * which sanitizes before measuring, so no renderer can forget it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hms_sanitize.h"
#include "view_render.h"

static const char *const view_kind_names[VIEW_KIND_MAX] = {
	"processes", "events", "metrics", "strategies",
};

static const char *const view_sort_names[VIEW_SORT_MAX] = {
	"health", "pid", "comm", "runq", "restarts",
};

const char *view_kind_name(int kind)
{
	return kind >= 0 && kind < VIEW_KIND_MAX ? view_kind_names[kind] : "?";
}

int view_kind_from_name(const char *name)
{
	int i;

	for (i = 0; i < VIEW_KIND_MAX; i++)
		if (!strcmp(name, view_kind_names[i]))
			return i;
	return -ENOENT;
}

const char *view_sort_name(int sort)
{
	return sort >= 0 && sort < VIEW_SORT_MAX ? view_sort_names[sort] : "?";
}

int view_event_attr(const char *kind)
{
	static const struct { const char *kind; int attr; } map[] = {
		{ "exit", VA_RED }, { "signal", VA_MAGENTA },
		{ "oom", VA_BOLDRED }, { "hang", VA_YELLOW },
		{ "failure", VA_RED }, { "alert", VA_BOLDRED },
		{ "component_state", VA_GREEN }, { "action", VA_YELLOW },
		{ "strategy", VA_BLUE }, { "outcome", VA_GREEN },
		{ "runq_latency", VA_BLUE }, { "exec", VA_DIM },
		{ "fork", VA_DIM }, { "stats", VA_DIM },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(kind, map[i].kind))
			return map[i].attr;
	if (!strncmp(kind, "tcp_", 4) || !strncmp(kind, "connect", 7) ||
	    !strncmp(kind, "sock", 4))
		return VA_CYAN;
	return VA_NORMAL;
}

int view_screen_new(int w, int h, struct view_screen **out)
{
	struct view_screen *scr;
	int i;

	if (w < 1 || h < 1)
		return -EINVAL;
	scr = calloc(1, sizeof(*scr));
	if (!scr)
		return -ENOMEM;
	scr->w = w;
	scr->h = h;
	scr->lines = calloc(h, sizeof(*scr->lines));
	if (!scr->lines)
		goto fail;
	for (i = 0; i < h; i++) {
		scr->lines[i].text = calloc(1, (size_t)w * 4 + 8);
		if (!scr->lines[i].text)
			goto fail;
	}
	*out = scr;
	return 0;
fail:
	view_screen_free(scr);
	return -ENOMEM;
}

void view_screen_free(struct view_screen *scr)
{
	int i;

	if (!scr)
		return;
	for (i = 0; scr->lines && i < scr->h; i++)
		free(scr->lines[i].text);
	free(scr->lines);
	free(scr);
}

char *view_screen_text(const struct view_screen *scr)
{
	size_t len = 0, off = 0;
	char *out;
	int i;

	for (i = 0; i < scr->h; i++)
		len += strlen(scr->lines[i].text) + 1;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (i = 0; i < scr->h; i++)
		off += sprintf(out + off, "%s\n", scr->lines[i].text);
	return out;
}

void view_lb_start(struct view_lb *lb, struct view_line *line, int w)
{
	lb->buf = line->text;
	lb->cap = (size_t)w * 4 + 8;
	lb->len = 0;
	lb->cols = 0;
	lb->w = w;
	lb->buf[0] = '\0';
}

/* Append already safe text cut/padded to cols columns. */
static void view_lb_put(struct view_lb *lb, const char *safe, int cols,
			int right)
{
	char fit[1024];
	int room = lb->w - lb->cols;
	size_t sw;

	if (cols < 0 || cols > room)
		cols = room;
	if (cols <= 0)
		return;
	sw = sanitize_width(safe);
	if (right && sw < (size_t)cols) {
		memset(lb->buf + lb->len, ' ', cols - sw);
		lb->len += cols - sw;
		lb->cols += cols - sw;
		cols = sw;
	}
	sanitize_fit(safe, cols, 1, fit, sizeof(fit));
	if (lb->len + strlen(fit) >= lb->cap)
		return;
	memcpy(lb->buf + lb->len, fit, strlen(fit) + 1);
	lb->len += strlen(fit);
	lb->cols += cols;
}

void view_lb_text(struct view_lb *lb, const char *s, int cols, int right)
{
	char safe[1024];

	sanitize_str(s, safe, sizeof(safe));
	view_lb_put(lb, safe, cols, right);
}

void view_lb_fmt(struct view_lb *lb, int cols, int right, const char *fmt,
		 ...)
{
	char raw[1024], safe[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	sanitize_str(raw, safe, sizeof(safe));
	view_lb_put(lb, safe, cols, right);
}

void view_lb_end(struct view_lb *lb)
{
	view_lb_put(lb, "", -1, 0);
}

void view_set(struct view_screen *scr, int row, int attr, const char *fmt,
	      ...)
{
	struct view_lb lb;
	char raw[1024];
	va_list ap;

	if (row < 0 || row >= scr->h)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	scr->lines[row].attr = attr;
	view_lb_start(&lb, &scr->lines[row], scr->w);
	view_lb_text(&lb, raw, -1, 0);
}

void view_bar(struct view_lb *lb, double frac, int cols, int ascii)
{
	static const char *const part[8] = {
		"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b",
		"\u258a", "\u2589",
	};
	char bar[512];
	int eighths, i, off = 0;

	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	if (cols > 100)
		cols = 100;
	eighths = (int)(frac * cols * 8 + 0.5);
	for (i = 0; i < eighths / 8; i++)
		off += sprintf(bar + off, "%s", ascii ? "#" : "\u2588");
	if (ascii)
		off += sprintf(bar + off, "%s", eighths % 8 >= 4 ? "+" : "");
	else
		off += sprintf(bar + off, "%s", part[eighths % 8]);
	bar[off] = '\0';
	view_lb_put(lb, bar, cols, 0);
}

/* The footer: the keys that matter most; `?` lists them all. */
static const char *const view_keys_short[VIEW_KIND_MAX] = {
	"? help  j/k move  / filter  x exited  R restart  P pause  q quit",
	"? help  j/k scroll  / filter (kind, component, text)  q quit",
	"? help  q quit",
	"? help  j/k scroll  q quit",
};

static const char *const view_help_common[] = {
	"?          this help (any key closes it)",
	"q          quit the pane (the daemon goes on)",
	"^L         repaint the screen",
	NULL,
};

static const char *const view_help_procs[] = {
	"j k        move down / up (also the arrow keys)",
	"J K        page down / up (also PgDn / PgUp)",
	"g G        first / last row",
	"s          sort: health, pid, comm, runq, restarts",
	"/          filter by part of a comm, exe or component",
	"c          clear the filter",
	"x          show / hide exited processes",
	"On the selected component (root and socket_group only):",
	"R          restart it now (heal; asks y/N)",
	"S          stop it (asks y/N)",
	"T          start it again",
	"P          pause healing it (asks y/N)",
	"u          resume healing it",
	"a          acknowledge its alert",
	NULL,
};

static const char *const view_help_events[] = {
	"j k        scroll back / forward (also the arrow keys)",
	"J K        page back / forward (also PgUp / PgDn)",
	"g          back to the newest",
	"/          filter: a kind (exit), any text (SIGSEGV), or a",
	"           component's name: its history (last 50 failures,",
	"           last 50 actions, outcomes and state changes)",
	"c          clear the filter",
	NULL,
};

static const char *const view_help_metrics[] = {
	"           (graphs of the last five minutes; nothing to move)",
	NULL,
};

static const char *const view_help_strats[] = {
	"j k        scroll down / up (also the arrow keys)",
	"J K        page down / up",
	"g          top",
	"           NEXT: the probability that the healer picks the",
	"           strategy next for that failure (> marks the likeliest)",
	NULL,
};

const char *const *view_key_help(int kind)
{
	switch (kind) {
	case VIEW_PROCESSES:
		return view_help_procs;
	case VIEW_EVENTS:
		return view_help_events;
	case VIEW_METRICS:
		return view_help_metrics;
	default:
		return view_help_strats;
	}
}

static void view_render_help(const struct view_ui *ui,
			     struct view_screen *scr, int top, int rows)
{
	const char *const *lists[2] = { view_key_help(ui->kind),
					view_help_common };
	int row = top;

	view_set(scr, row++, VA_HEADER, " keys of the %s view",
		 view_kind_name(ui->kind));
	for (int l = 0; l < 2; l++)
		for (int i = 0; lists[l][i] && row < top + rows; i++)
			view_set(scr, row++, VA_NORMAL, " %s", lists[l][i]);
}

void view_render(const struct view_state *st, struct view_ui *ui,
		 struct view_screen *scr)
{
	int rows = scr->h - 2, i;
	char what[96];

	for (i = 0; i < scr->h; i++)
		view_set(scr, i, VA_NORMAL, "%s", "");
	ui->hidden = 0;
	if (scr->h >= 3 && ui->help) {
		view_render_help(ui, scr, 1, rows);
	} else if (scr->h >= 3 && !st->loaded) {
		view_set(scr, 1, VA_DIM, "  %s", ui->connected ?
			 "loading: waiting for the daemon's first snapshot..." :
			 "loading: no daemon yet");
	} else if (scr->h >= 3) {
		switch (ui->kind) {
		case VIEW_PROCESSES:
			view_render_processes(st, ui, scr, 1, rows);
			break;
		case VIEW_EVENTS:
			view_render_events(st, ui, scr, 1, rows);
			break;
		case VIEW_METRICS:
			view_render_metrics(st, ui, scr, 1, rows);
			break;
		default:
			view_render_strategies(st, ui, scr, 1, rows);
			break;
		}
	}
	switch (ui->kind) {
	case VIEW_PROCESSES:
		if (ui->hidden)
			snprintf(what, sizeof(what),
				 "%zu procs (%zu hidden), %zu components",
				 st->n_procs, ui->hidden, st->n_comps);
		else
			snprintf(what, sizeof(what), "%zu procs, %zu components",
				 st->n_procs, st->n_comps);
		break;
	case VIEW_EVENTS:
		snprintf(what, sizeof(what), "%zu events", st->n_events);
		break;
	case VIEW_METRICS:
		snprintf(what, sizeof(what), "%zu s of samples", st->n_samples);
		break;
	default:
		snprintf(what, sizeof(what), "%zu strategies", st->n_strats);
		break;
	}
	if (!st->loaded)
		snprintf(what, sizeof(what), "loading");
	view_set(scr, 0, VA_HEADER, " hms-ebpf %s | %s | %s%s%s",
		 view_kind_name(ui->kind), what,
		 ui->connected ? "connected" : "disconnected",
		 st->role[0] ? " as " : "", st->role);
	if (ui->status[0])
		view_set(scr, 0, VA_FAIL, " hms-ebpf %s | %s",
			 view_kind_name(ui->kind), ui->status);
	if (ui->confirm[0])
		view_set(scr, scr->h - 1, VA_WARN, " %s", ui->confirm);
	else if (st->result[0])
		view_set(scr, scr->h - 1, st->result_ok ? VA_OK : VA_FAIL,
			 " %s", st->result);
	else if (ui->kind == VIEW_PROCESSES && scr->w < 120 &&
		 (ui->filter[0] || ui->sort))	/* no EXE header to say it */
		view_set(scr, scr->h - 1, VA_FOOTER, " sort: %s%s%s | %s",
			 view_sort_name(ui->sort), ui->filter[0] ?
			 ", filter: " : "", ui->filter,
			 view_keys_short[ui->kind]);
	else
		view_set(scr, scr->h - 1, VA_FOOTER, " %s",
			 view_keys_short[ui->kind]);
}

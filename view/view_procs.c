// SPDX-License-Identifier: BSD-2-Clause
/* view_procs.c - the `processes` view: one row per tracked process (and
 * per configured component without a live process), joined with the
 * component it belongs to, sorted with the components pinned above the
 * host's processes, exited processes hidden unless asked, failing rows
 * marked and highlighted, scrolled around a cursor so that thousands of
 * rows stay usable (and cheap: a frame picks the rows up to the screen's
 * last in order, it does not sort the whole table).  Columns are as wide
 * as what they show in the rows on screen; below 120 columns a compact
 * set (the cause of a failure, with the sender of a kill, over the less
 * telling ones). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hms_names.h"
#include "hms_sanitize.h"
#include "view_render.h"

struct vp_row {
	const struct view_proc *p;	/* NULL: component without process */
	const struct view_component *c;	/* NULL: not a component */
	int rank;			/* health rank, 0 = worst */
};

/* gave_up 0, failed 1, recovering 2, degraded 3, then failed processes,
 * paused components and the rest (hms_state_severity orders the states) */
static int vp_rank(const struct vp_row *r)
{
	int worst = hms_state_severity(HEALER_GAVE_UP);
	int sev = r->c && r->c->state_id >= 0 ?
		  hms_state_severity(r->c->state_id) : 0;

	if (r->c && sev >= hms_state_severity(HEALER_DEGRADED))
		return worst - sev;
	if (r->p && !r->p->alive && r->p->last_failure[0])
		return 4;
	if (r->c && r->c->paused)
		return 5;
	return 6;
}

static int vp_sort_key;

static int vp_cmp(const void *a, const void *b)
{
	const struct vp_row *x = a, *y = b;
	uint32_t px = x->p ? x->p->tgid : 0, py = y->p ? y->p->tgid : 0;
	int d = 0;

	if (!x->c != !y->c)		/* components first, always */
		return x->c ? -1 : 1;
	switch (vp_sort_key) {
	case VIEW_SORT_HEALTH:
		d = x->rank - y->rank;
		if (!d)
			d = (int)(y->p ? y->p->failures : 0) -
			    (int)(x->p ? x->p->failures : 0);
		break;
	case VIEW_SORT_COMM:
		d = strcmp(x->p ? x->p->comm : x->c->name,
			   y->p ? y->p->comm : y->c->name);
		break;
	case VIEW_SORT_RUNQ:
		if (x->p && y->p && x->p->runq_p99_us != y->p->runq_p99_us)
			d = x->p->runq_p99_us < y->p->runq_p99_us ? 1 : -1;
		break;
	case VIEW_SORT_RESTARTS:
		d = (int)(y->c ? y->c->restarts : 0) -
		    (int)(x->c ? x->c->restarts : 0);
		break;
	}
	if (!d && px != py)
		d = px < py ? -1 : 1;
	if (!d && x->c && y->c)
		d = strcmp(x->c->name, y->c->name);
	return d;
}

/* The filter matches part of a comm, exe or component name. */
static int vp_match(const struct vp_row *r, const char *f)
{
	return !f[0] || (r->p && (strstr(r->p->comm, f) ||
				  strstr(r->p->exe, f))) ||
	       (r->c && strstr(r->c->name, f));
}

/* The i-th candidate row (processes first, then components that have no
 * process row) in *r; 0 when it is not listed: an exited process of no
 * component while they are hidden (*hidden is counted), or one the
 * filter leaves out. */
static int vp_take(const struct view_state *st, const struct view_ui *ui,
		   size_t i, struct vp_row *r, size_t *hidden)
{
	if (i < st->n_procs) {
		r->p = &st->procs[i];
		r->c = view_state_comp_of(st, r->p->tgid);
		if (!r->c && !r->p->alive && !ui->show_exited) {
			(*hidden)++;
			return 0;
		}
	} else {
		r->p = NULL;
		r->c = &st->comps[i - st->n_procs];
		if (r->c->pid && view_state_proc(st, r->c->pid))
			return 0;
	}
	if (!vp_match(r, ui->filter))
		return 0;
	r->rank = vp_rank(r);
	return 1;
}

/* Sift heap[i] down a max-heap (the last row in sort order on top). */
static void vp_sift(struct vp_row *heap, size_t n, size_t i)
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;
		struct vp_row t;

		if (l < n && vp_cmp(&heap[l], &heap[big]) > 0)
			big = l;
		if (r < n && vp_cmp(&heap[r], &heap[big]) > 0)
			big = r;
		if (big == i)
			return;
		t = heap[i];
		heap[i] = heap[big];
		heap[big] = t;
		i = big;
	}
}

/* The first k rows in sort order, sorted, in a malloc'd array of k, and
 * how many rows are listed in all (*n; exited ones hidden are counted in
 * ui->hidden): a pane shows a few dozen rows of thousands, so they are
 * picked with a heap of k in one pass (n log k, no table-sized
 * allocation) rather than by sorting everything at every frame; the
 * order is total (pid, then name), so the rows are the same as a full
 * sort's. */
static struct vp_row *vp_first(const struct view_state *st,
			       struct view_ui *ui, size_t k, size_t *n)
{
	struct vp_row *heap = calloc(k ? k : 1, sizeof(*heap)), r;
	size_t i, m = 0;

	if (!heap)
		return NULL;
	*n = 0;
	for (i = 0; i < st->n_procs + st->n_comps; i++) {
		if (!vp_take(st, ui, i, &r, &ui->hidden))
			continue;
		(*n)++;
		if (m < k) {			/* sift up */
			size_t c = m++;

			heap[c] = r;
			while (c && vp_cmp(&heap[(c - 1) / 2], &heap[c]) < 0) {
				struct vp_row t = heap[c];

				heap[c] = heap[(c - 1) / 2];
				heap[(c - 1) / 2] = t;
				c = (c - 1) / 2;
			}
		} else if (k && vp_cmp(&r, &heap[0]) < 0) {
			heap[0] = r;
			vp_sift(heap, m, 0);
		}
	}
	qsort(heap, m, sizeof(*heap), vp_cmp);
	return heap;
}

enum vp_col { VC_COMM, VC_COMP, VC_STATE, VC_FAIL, VC_CAUSE, VC_RUNQ,
	      VC_NET, VC_MAX };

struct vp_cols {
	int w[VC_MAX];			/* 0: not shown */
	int exe_w, compact;
};

/* What a row shows in each text column. */
static void vp_cells(const struct vp_row *r, int compact,
		     char cell[VC_MAX][VIEW_STR * 3])
{
	const struct view_proc *p = r->p;
	const struct view_component *c = r->c;
	const char *fail = p && p->last_failure[0] ? p->last_failure :
			   c ? c->last_failure : "";
	const char *cause = p && p->cause[0] ? p->cause :
			    c ? c->last_cause : "";

	snprintf(cell[VC_COMM], sizeof(cell[0]), "%s", p ? p->comm : "");
	snprintf(cell[VC_COMP], sizeof(cell[0]), "%s", c ? c->name : "");
	/* the component's state on its row (main process or none), the
	 * process's own on the rows of its other processes */
	snprintf(cell[VC_STATE], sizeof(cell[0]), "%s%s",
		 c && (!p || c->pid == p->tgid) ? c->state :
		 !p->alive ? "exited" : "running",
		 c && c->paused && (!p || c->pid == p->tgid) ? "*" : "");
	snprintf(cell[VC_FAIL], sizeof(cell[0]), "%s", fail);
	if (compact && !cause[0])
		cause = fail;
	if (p && p->cause[0] && p->sender[0])
		snprintf(cell[VC_CAUSE], sizeof(cell[0]), "%s from %s", cause,
			 p->sender);
	else
		snprintf(cell[VC_CAUSE], sizeof(cell[0]), "%s", cause);
	if (p && p->runq_p99_us)
		view_fmt_ms(p->runq_p99_us / 1000.0, cell[VC_RUNQ],
			    sizeof(cell[0]));
	else
		snprintf(cell[VC_RUNQ], sizeof(cell[0]), "-");
	snprintf(cell[VC_NET], sizeof(cell[0]), "%u/%u", p ? p->resets : 0,
		 p ? p->refusals : 0);
}

/* Columns a cell takes on screen, escaped as it will be shown. */
static int vp_width(const char *cell)
{
	char safe[VIEW_STR * 8];

	sanitize_str(cell, safe, sizeof(safe));
	return (int)sanitize_width(safe);
}

static const char *const vp_head[VC_MAX] = {
	"COMM", "COMPONENT", "STATE", "FAILURE", "CAUSE", "RUNQp99", "RST/REF",
};

/* Column widths: as wide as the widest cell on screen (header included),
 * within each column's cap; what is left goes to CAUSE, then EXE. */
static void vp_layout(const struct vp_row *r, size_t n, int w,
		      struct vp_cols *cols)
{
	static const int cap_wide[VC_MAX] = { 24, 16, 11, 12, 32, 9, 8 };
	static const int cap_compact[VC_MAX] = { 15, 12, 11, 0, 40, 0, 0 };
	const int *cap;
	char cell[VC_MAX][VIEW_STR * 3];
	int used, k;

	memset(cols, 0, sizeof(*cols));
	cols->compact = w < 120;
	cap = cols->compact ? cap_compact : cap_wide;
	for (k = 0; k < VC_MAX; k++)
		if (cap[k])
			cols->w[k] = (int)strlen(k == VC_COMP && cols->compact ?
						 "COMP" : vp_head[k]);
	for (size_t i = 0; i < n; i++) {
		vp_cells(&r[i], cols->compact, cell);
		for (k = 0; k < VC_MAX; k++) {
			int cw = vp_width(cell[k]);

			if (cap[k] && cw > cols->w[k])
				cols->w[k] = cw > cap[k] ? cap[k] : cw;
		}
	}
	/* mark 2, pid 7, a space before each shown column, restarts 4 */
	used = 2 + 7 + 4;
	for (k = 0; k < VC_MAX; k++)
		used += cols->w[k] ? cols->w[k] + 1 : 0;
	if (cols->compact && used + 10 <= w) {	/* room for the run queue */
		cols->w[VC_RUNQ] = 9;
		used += 10;
	}
	if (used < w && !cols->compact) {
		cols->exe_w = w - used - 1;
		if (cols->exe_w < 4)
			cols->exe_w = 0;
	} else if (used > w) {			/* very narrow: shrink */
		for (k = VC_MAX - 1; k >= 0 && used > w; k--) {
			int cut = cols->w[k] - 4;

			if (cut <= 0)
				continue;
			if (cut > used - w)
				cut = used - w;
			cols->w[k] -= cut;
			used -= cut;
		}
	}
}

static void vp_row(struct view_lb *lb, const struct vp_row *r, int sel,
		   const struct vp_cols *cols)
{
	char cell[VC_MAX][VIEW_STR * 3];
	int k;

	vp_cells(r, cols->compact, cell);
	view_lb_fmt(lb, 2, 0, "%c%c", sel ? '>' : ' ', r->rank < 5 ? '!' : ' ');
	if (r->p)
		view_lb_fmt(lb, 7, 1, "%u", r->p->tgid);
	else
		view_lb_fmt(lb, 7, 1, "-");
	for (k = 0; k < VC_MAX; k++) {
		if (!cols->w[k])
			continue;
		view_lb_fmt(lb, 1, 0, " ");
		view_lb_text(lb, cell[k], cols->w[k], k == VC_RUNQ ||
			     k == VC_NET);
		if (k == VC_STATE)
			view_lb_fmt(lb, 4, 1, "%u", r->c ? r->c->restarts : 0);
	}
	if (cols->exe_w > 0) {
		view_lb_fmt(lb, 1, 0, " ");
		view_lb_text(lb, r->p ? r->p->exe : "", cols->exe_w, 0);
	}
	view_lb_end(lb);
}

void view_render_processes(const struct view_state *st, struct view_ui *ui,
			   struct view_screen *scr, int top, int rows)
{
	struct view_lb lb;
	struct vp_cols cols;
	struct vp_row *r;
	size_t n, first, shown, want;
	int i, k;

	ui->selected[0] = '\0';
	vp_sort_key = ui->sort;
	rows--;
	/* rows up to the last one this frame can show: the cursor's, or
	 * the scroll position's screenful (at most every row) */
	want = ui->scroll > ui->cursor ? ui->scroll : ui->cursor;
	if (want >= st->n_procs + st->n_comps)	/* also (size_t)-1: G */
		want = st->n_procs + st->n_comps;
	else
		want += (rows > 0 ? (size_t)rows : 0) + 1;
	r = vp_first(st, ui, want, &n);
	if (!r)
		return;
	if (ui->cursor >= n)
		ui->cursor = n ? n - 1 : 0;
	/* the selected component's last OOM kill: its forensics on the
	 * panel's last line */
	if (rows > 2 && ui->cursor < n && r[ui->cursor].c &&
	    r[ui->cursor].c->last_oom[0]) {
		rows--;
		view_lb_start(&lb, &scr->lines[top + 1 + rows], scr->w);
		view_lb_fmt(&lb, -1, 0, "  %s: %s", r[ui->cursor].c->name,
			    r[ui->cursor].c->last_oom);
		view_lb_end(&lb);
		scr->lines[top + 1 + rows].attr = VA_WARN;
	}
	if (ui->cursor < ui->scroll)
		ui->scroll = ui->cursor;
	if (rows > 0 && ui->cursor >= ui->scroll + rows)
		ui->scroll = ui->cursor - rows + 1;
	first = ui->scroll;
	shown = rows > 0 ? (n - first < (size_t)rows ? n - first : (size_t)rows)
			 : 0;
	vp_layout(r + first, shown, scr->w, &cols);
	view_lb_start(&lb, &scr->lines[top], scr->w);
	scr->lines[top].attr = VA_HEADER;
	view_lb_fmt(&lb, 9, 1, "PID");
	for (k = 0; k < VC_MAX; k++) {
		if (!cols.w[k])
			continue;
		view_lb_fmt(&lb, 1, 0, " ");
		view_lb_fmt(&lb, cols.w[k], k == VC_RUNQ || k == VC_NET, "%s",
			    k == VC_COMP && cols.compact ? "COMP" : vp_head[k]);
		if (k == VC_STATE)
			view_lb_fmt(&lb, 4, 1, "RST");
	}
	if (cols.exe_w > 0)
		view_lb_fmt(&lb, -1, 0, " EXE   (sort: %s%s%s)",
			    view_sort_name(ui->sort),
			    ui->filter[0] ? ", filter: " : "", ui->filter);
	view_lb_end(&lb);
	for (i = 0; (size_t)i < shown; i++) {
		const struct vp_row *row = &r[first + i];
		int sel = first + i == ui->cursor;

		view_lb_start(&lb, &scr->lines[top + 1 + i], scr->w);
		vp_row(&lb, row, sel, &cols);
		scr->lines[top + 1 + i].attr = sel ? VA_SELECT :
			row->rank < 4 ? VA_FAIL : row->rank < 5 ? VA_WARN :
			VA_NORMAL;
		if (sel && row->c)
			snprintf(ui->selected, sizeof(ui->selected), "%s",
				 row->c->name);
	}
	free(r);
}

// SPDX-License-Identifier: BSD-2-Clause
/* view_procs.c - the `processes` view: one row per tracked process (and
 * per configured component without a live process), joined with the
 * component it belongs to, sorted, failing rows marked and highlighted,
 * scrolled around a cursor so that thousands of rows stay usable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hms_names.h"
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

/* Rows for every process plus components that have no process row. */
static struct vp_row *vp_rows(const struct view_state *st, const char *f,
			      size_t *n)
{
	struct vp_row *rows = calloc(st->n_procs + st->n_comps + 1,
				     sizeof(*rows));
	size_t i, k = 0;

	if (!rows)
		return NULL;
	for (i = 0; i < st->n_procs; i++) {
		rows[k].p = &st->procs[i];
		rows[k].c = view_state_comp_by_pid(st, st->procs[i].tgid);
		k += vp_match(&rows[k], f);
	}
	for (i = 0; i < st->n_comps; i++) {
		if (st->comps[i].pid && view_state_proc(st, st->comps[i].pid))
			continue;
		rows[k].p = NULL;
		rows[k].c = &st->comps[i];
		k += vp_match(&rows[k], f);
	}
	for (i = 0; i < k; i++)
		rows[i].rank = vp_rank(&rows[i]);
	*n = k;
	return rows;
}

static void vp_row(struct view_lb *lb, const struct vp_row *r, int sel,
		   int comm_w, int exe_w)
{
	const struct view_proc *p = r->p;
	const struct view_component *c = r->c;
	const char *state = c ? c->state : !p->alive ? "exited" : "running";
	const char *fail = p && p->last_failure[0] ? p->last_failure :
			   c ? c->last_failure : "";
	const char *cause = p && p->cause[0] ? p->cause :
			    c ? c->last_cause : "";

	view_lb_fmt(lb, 2, 0, "%c%c", sel ? '>' : ' ', r->rank < 5 ? '!' : ' ');
	if (p)
		view_lb_fmt(lb, 7, 1, "%u", p->tgid);
	else
		view_lb_fmt(lb, 7, 1, "-");
	view_lb_fmt(lb, 1, 0, " ");
	view_lb_text(lb, p ? p->comm : "", comm_w, 0);
	view_lb_fmt(lb, 1, 0, " ");
	view_lb_text(lb, c ? c->name : "", 10, 0);
	view_lb_fmt(lb, 1, 0, " ");
	view_lb_fmt(lb, 10, 0, "%s%s", state, c && c->paused ? "*" : "");
	view_lb_fmt(lb, 3, 1, "%u", c ? c->restarts : 0);
	view_lb_fmt(lb, 1, 0, " ");
	view_lb_text(lb, fail, 8, 0);
	view_lb_fmt(lb, 1, 0, " ");
	view_lb_text(lb, cause, 9, 0);
	if (p && p->runq_p99_us)
		view_lb_fmt(lb, 8, 1, "%.1fms", p->runq_p99_us / 1000.0);
	else
		view_lb_fmt(lb, 8, 1, "-");
	view_lb_fmt(lb, 8, 1, "%u/%u", p ? p->resets : 0, p ? p->refusals : 0);
	if (exe_w > 0) {
		view_lb_fmt(lb, 2, 0, "  ");
		view_lb_text(lb, p ? p->exe : "", exe_w, 0);
	}
	view_lb_end(lb);
}

void view_render_processes(const struct view_state *st, struct view_ui *ui,
			   struct view_screen *scr, int top, int rows)
{
	/* fixed columns: mark 2, pid 7, 7 separators, component 10,
	 * state 10, restarts 3, failure 8, cause 9, runq 8, rs/rf 8 */
	int fixed = 2 + 7 + 5 + 10 + 10 + 3 + 8 + 9 + 8 + 8;
	int comm_w = scr->w - fixed, exe_w = 0, i;
	struct view_lb lb;
	struct vp_row *r;
	size_t n, first;

	if (comm_w > 24) {
		exe_w = comm_w - 24 - 2;
		comm_w = 24;
	}
	if (comm_w < 4)
		comm_w = 4;
	view_lb_start(&lb, &scr->lines[top], scr->w);
	scr->lines[top].attr = VA_HEADER;
	view_lb_fmt(&lb, 9, 1, "PID");
	view_lb_fmt(&lb, 1, 0, " ");
	view_lb_fmt(&lb, comm_w + 1, 0, "COMM");
	view_lb_fmt(&lb, 11, 0, "COMPONENT");
	view_lb_fmt(&lb, 10, 0, "STATE");
	view_lb_fmt(&lb, 3, 1, "RST");
	view_lb_fmt(&lb, 19, 0, " FAILURE  CAUSE");
	view_lb_fmt(&lb, 8, 1, "RUNQp99");
	view_lb_fmt(&lb, 8, 1, "RST/REF");
	if (exe_w > 0)
		view_lb_fmt(&lb, -1, 0, "  EXE   (sort: %s%s%s)",
			    view_sort_name(ui->sort),
			    ui->filter[0] ? ", filter: " : "", ui->filter);
	view_lb_end(&lb);
	ui->selected[0] = '\0';
	r = vp_rows(st, ui->filter, &n);
	if (!r)
		return;
	vp_sort_key = ui->sort;
	qsort(r, n, sizeof(*r), vp_cmp);
	rows--;
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
	for (i = 0; i < rows && first + i < n; i++) {
		const struct vp_row *row = &r[first + i];
		int sel = first + i == ui->cursor;

		view_lb_start(&lb, &scr->lines[top + 1 + i], scr->w);
		vp_row(&lb, row, sel, comm_w, exe_w);
		scr->lines[top + 1 + i].attr = sel ? VA_SELECT :
			row->rank < 4 ? VA_FAIL : row->rank < 5 ? VA_WARN :
			VA_NORMAL;
		if (sel && row->c)
			snprintf(ui->selected, sizeof(ui->selected), "%s",
				 row->c->name);
	}
	free(r);
}

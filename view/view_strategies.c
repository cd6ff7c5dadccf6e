// SPDX-License-Identifier: BSD-2-Clause
/* view_strategies.c - the `strategies` view, the knowledge browser: per
 * component and failure class, each strategy with its evidence, the
 * probability that the healer picks it next (computed by the daemon the
 * way the healer chooses; the likeliest is marked), its success rate and
 * time to recover drawn as bars.  Text columns are as wide as their
 * widest cell, so a number is never cut; the bars share what is left. */
#include <stdio.h>
#include <string.h>

#include "hms_sanitize.h"
#include "view_render.h"

struct vs_cols {
	int name, evid, ttr, bar_ok, bar_ttr;
};

static void vs_evidence(const struct view_strategy *s, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f/%.1f n%u", s->successes, s->failures,
		 s->n_outcomes);
}

static void vs_ttr(const struct view_strategy *s, char *buf, size_t len)
{
	char med[24], p95[24];

	view_fmt_ms(s->median_recover_ms, med, sizeof(med));
	view_fmt_ms(s->p95_recover_ms, p95, sizeof(p95));
	snprintf(buf, len, "%s/%s", med, p95);
}

static int vs_width(const char *s)
{
	char safe[512];

	sanitize_str(s, safe, sizeof(safe));
	return (int)sanitize_width(safe);
}

static void vs_layout(const struct view_state *st, int w, struct vs_cols *c)
{
	char buf[128];
	int rest;

	c->name = 8;			/* "STRATEGY" */
	c->evid = 12;			/* "EVIDENCE s/f" */
	c->ttr = 10;			/* "median/p95" */
	for (size_t i = 0; i < st->n_strats; i++) {
		const struct view_strategy *s = &st->strats[i];
		int x = vs_width(s->strategy);

		c->name = x > c->name ? (x > 24 ? 24 : x) : c->name;
		vs_evidence(s, buf, sizeof(buf));
		x = (int)strlen(buf);
		c->evid = x > c->evid ? x : c->evid;
		vs_ttr(s, buf, sizeof(buf));
		x = (int)strlen(buf);
		c->ttr = x > c->ttr ? x : c->ttr;
	}
	/* mark 2, name, evidence, next 5, rate 5, ttr text: 5 gaps */
	rest = w - (2 + c->name + c->evid + 5 + 5 + c->ttr + 5);
	c->bar_ok = c->bar_ttr = 0;
	if (rest >= 10) {
		c->bar_ok = c->bar_ttr = (rest - 2) / 2 > 40 ? 40 : (rest - 2) / 2;
	} else if (rest >= 5) {
		c->bar_ok = rest - 1;
	}
	if (rest < 0)			/* narrower than the text: cut names */
		c->name = c->name + rest > 6 ? c->name + rest : 6;
}

static void vs_row(struct view_lb *lb, const struct view_strategy *s,
		   double max_ms, const struct vs_cols *c, int ascii)
{
	char buf[128];

	view_lb_fmt(lb, 2, 0, "%s ", s->next ? (ascii ? ">" : "\u25b6") : " ");
	view_lb_text(lb, s->strategy, c->name, 0);
	vs_evidence(s, buf, sizeof(buf));
	view_lb_fmt(lb, c->evid + 1, 1, "%s", buf);
	view_lb_fmt(lb, 5, 1, "%.0f%%", s->p_next * 100);
	if (c->bar_ok) {
		view_lb_fmt(lb, 1, 0, " ");
		view_bar(lb, s->success_rate, c->bar_ok, ascii);
	}
	view_lb_fmt(lb, 5, 1, "%.0f%%", s->success_rate * 100);
	if (c->bar_ttr) {
		view_lb_fmt(lb, 1, 0, " ");
		view_bar(lb, max_ms > 0 ? s->median_recover_ms / max_ms : 0,
			 c->bar_ttr, ascii);
	}
	vs_ttr(s, buf, sizeof(buf));
	view_lb_fmt(lb, -1, 0, " %s", buf);
}

void view_render_strategies(const struct view_state *st, struct view_ui *ui,
			    struct view_screen *scr, int top, int rows)
{
	size_t i, line = 0;
	double max_ms = 0;
	struct view_lb lb;
	struct vs_cols c;
	int row = 0;

	vs_layout(st, scr->w, &c);
	for (i = 0; i < st->n_strats; i++)
		if (st->strats[i].median_recover_ms > max_ms)
			max_ms = st->strats[i].median_recover_ms;
	view_lb_start(&lb, &scr->lines[top], scr->w);
	scr->lines[top].attr = VA_HEADER;
	view_lb_fmt(&lb, 2, 0, " ");
	view_lb_fmt(&lb, c.name, 0, "STRATEGY");
	view_lb_fmt(&lb, c.evid + 1, 1, "EVIDENCE s/f");
	view_lb_fmt(&lb, 5, 1, "NEXT");
	if (c.bar_ok) {
		view_lb_fmt(&lb, 1, 0, " ");
		view_lb_fmt(&lb, c.bar_ok, 0, "SUCCESS");
	}
	view_lb_fmt(&lb, 5, 1, "RATE");
	if (c.bar_ttr) {
		view_lb_fmt(&lb, 1, 0, " ");
		view_lb_fmt(&lb, c.bar_ttr, 0, "%s", c.bar_ttr >= 15 ?
			    "TIME TO RECOVER" : c.bar_ttr >= 7 ? "RECOVER" :
			    "TTR");
	}
	view_lb_fmt(&lb, -1, 0, " median/p95");
	view_lb_end(&lb);
	rows--;
	if (!st->n_strats)
		view_set(scr, top + 1, VA_DIM,
			 "  no learned strategies yet");
	/* count lines (group headers + rows) to clamp the scroll */
	for (i = 0; i < st->n_strats; i++) {
		const struct view_strategy *s = &st->strats[i], *p =
			i ? &st->strats[i - 1] : NULL;

		line += 1 + (!p || strcmp(p->component, s->component) ||
			     strcmp(p->failure, s->failure));
	}
	if (line <= (size_t)rows)
		ui->scroll = 0;
	else if (ui->scroll > line - rows)
		ui->scroll = line - rows;
	line = 0;
	for (i = 0; i < st->n_strats && row < rows; i++) {
		const struct view_strategy *s = &st->strats[i], *p =
			i ? &st->strats[i - 1] : NULL;

		if (!p || strcmp(p->component, s->component) ||
		    strcmp(p->failure, s->failure)) {
			if (line++ >= ui->scroll && row < rows) {
				view_lb_start(&lb, &scr->lines[top + 1 + row],
					      scr->w);
				scr->lines[top + 1 + row++].attr = VA_HEADER;
				view_lb_fmt(&lb, -1, 0, "%s / %s",
					    s->component, s->failure);
			}
		}
		if (line++ < ui->scroll || row >= rows)
			continue;
		view_lb_start(&lb, &scr->lines[top + 1 + row], scr->w);
		scr->lines[top + 1 + row++].attr = s->next ? VA_OK : VA_NORMAL;
		vs_row(&lb, s, max_ms, &c, ui->ascii);
		view_lb_end(&lb);
	}
}

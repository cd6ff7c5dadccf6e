// SPDX-License-Identifier: BSD-2-Clause
/* view_strategies.c - the `strategies` view, the knowledge browser: per
 * component and failure class, each strategy with its evidence, success
 * rate and time to recover drawn as bars, the one the healer would
 * choose next marked with an arrow. */
#include <stdio.h>
#include <string.h>

#include "view_render.h"

static void vs_row(struct view_lb *lb, const struct view_strategy *s,
		   double max_ms, int bar_w)
{
	view_lb_fmt(lb, 4, 0, "  %s", s->next ? "\u25b6" : " ");
	view_lb_text(lb, s->strategy, 16, 0);
	view_lb_fmt(lb, 14, 1, "%.1f/%.1f n%u", s->successes, s->failures,
		    s->n_outcomes);
	view_lb_fmt(lb, 1, 0, " ");
	view_bar(lb, s->success_rate, bar_w);
	view_lb_fmt(lb, 5, 1, "%.0f%%", s->success_rate * 100);
	view_lb_fmt(lb, 2, 0, " ");
	view_bar(lb, max_ms > 0 ? s->median_recover_ms / max_ms : 0, bar_w);
	view_lb_fmt(lb, -1, 0, " %.0f/%.0fms", s->median_recover_ms,
		    s->p95_recover_ms);
}

void view_render_strategies(const struct view_state *st, struct view_ui *ui,
			    struct view_screen *scr, int top, int rows)
{
	/* mark 4, name 16, evidence 14, gaps 3, pct 5, ttr text ~14 */
	int bar_w = (scr->w - 4 - 16 - 14 - 3 - 5 - 14) / 2, row = 0;
	size_t i, line = 0;
	double max_ms = 0;
	struct view_lb lb;

	if (bar_w > 40)
		bar_w = 40;
	if (bar_w < 4)
		bar_w = 4;
	for (i = 0; i < st->n_strats; i++)
		if (st->strats[i].median_recover_ms > max_ms)
			max_ms = st->strats[i].median_recover_ms;
	view_set(scr, top, VA_HEADER, "    %-16s%14s %-*s%5s  %s",
		 "STRATEGY", "EVIDENCE s/f", bar_w, "SUCCESS", "RATE",
		 "TIME TO RECOVER median/p95");
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
		vs_row(&lb, s, max_ms, bar_w);
		view_lb_end(&lb);
	}
}

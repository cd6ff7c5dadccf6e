// SPDX-License-Identifier: BSD-2-Clause
/* test_view_state.c - the pane's tables under volume: the tgid index with
 * thousands of rows and removals, the event and metric rings wrapping,
 * every sort key, scrolling to the end of a long table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "view_render.h"
#include "view_state.h"

static void apply(struct view_state *st, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(view_state_apply_line(st, line, strlen(line)) >= 0);
}

static void add_procs(struct view_state *st, int n)
{
	for (int i = 0; i < n; i++)
		apply(st, "{\"type\":\"procs\",\"upsert\":[{\"tgid\":%d,"
		      "\"comm\":\"p%05d\",\"alive\":true,\"runq_p99_us\":%d}]}",
		      100000 + i, (i * 7919) % n, (i * 31) % 1000);
}

static void test_index_many(void **state)
{
	struct view_state *st;

	(void)state;
	assert_int_equal(view_state_new(&st), 0);
	apply(st, "{\"type\":\"snapshot\"}");
	add_procs(st, 10000);
	assert_int_equal(st->n_procs, 10000);
	/* remove every other row in one message */
	{
		char *msg = malloc(200000);
		size_t off = sprintf(msg, "{\"type\":\"procs\",\"remove\":[");

		for (int i = 0; i < 10000; i += 2)
			off += sprintf(msg + off, "%s%d", i ? "," : "",
				       100000 + i);
		sprintf(msg + off, "]}");
		assert_true(view_state_apply_line(st, msg, strlen(msg)) > 0);
		free(msg);
	}
	assert_int_equal(st->n_procs, 5000);
	for (int i = 0; i < 10000; i++) {
		const struct view_proc *p = view_state_proc(st, 100000 + i);

		if (i % 2) {
			assert_non_null(p);
			assert_int_equal(p->tgid, 100000 + i);
		} else {
			assert_null(p);
		}
	}
	/* an upsert of a known pid replaces the row, no duplicate */
	apply(st, "{\"type\":\"procs\",\"upsert\":[{\"tgid\":100001,"
	      "\"comm\":\"renamed\"}]}");
	assert_int_equal(st->n_procs, 5000);
	assert_string_equal(view_state_proc(st, 100001)->comm, "renamed");
	view_state_free(st);
}

static void test_rings_wrap(void **state)
{
	struct view_state *st;

	(void)state;
	assert_int_equal(view_state_new(&st), 0);
	apply(st, "{\"type\":\"snapshot\"}");
	for (int i = 0; i < VIEW_EVENTS_MAX + 100; i++)
		apply(st, "{\"type\":\"event\",\"seq\":%d,\"time_ms\":%d,"
		      "\"kind\":\"exec\",\"pid\":%d,\"comm\":\"x\"}", i + 1,
		      i, i);
	assert_int_equal(st->n_events, VIEW_EVENTS_MAX);
	assert_int_equal(view_state_event(st, 0)->tgid, 100);
	assert_int_equal(view_state_event(st, VIEW_EVENTS_MAX - 1)->tgid,
			 VIEW_EVENTS_MAX + 99);
	assert_null(view_state_event(st, VIEW_EVENTS_MAX));
	/* a healer event: in the stream and in its component's history */
	apply(st, "{\"type\":\"event\",\"seq\":9999,\"time_ms\":1,\"kind\":"
	      "\"component_state\",\"component\":\"db\",\"text\":"
	      "\"old_state=healthy new_state=gave_up restarts=3\"}");
	assert_string_equal(view_state_event(st, VIEW_EVENTS_MAX - 1)->text,
			    "old_state=healthy new_state=gave_up restarts=3");
	{
		const struct view_event *h[4];

		assert_int_equal(view_state_history(st, "db", h, 4), 1);
		assert_int_equal(h[0]->seq, 9999);
	}
	for (int i = 0; i < VIEW_METRIC_SAMPLES + 100; i++)
		apply(st, "{\"type\":\"metrics\",\"sample\":{\"events\":%d}}", i);
	assert_int_equal(st->n_samples, VIEW_METRIC_SAMPLES);
	assert_true(view_state_metric(st, VIEW_M_EVENTS, 0) == 100);
	assert_true(view_state_metric(st, VIEW_M_EVENTS,
				      VIEW_METRIC_SAMPLES - 1) ==
		    VIEW_METRIC_SAMPLES + 99);
	view_state_free(st);
}

/* (Row 2 is the component's: components are pinned above the host's
 * processes; row 3 the first host process.) */
static void first_row(struct view_state *st, int sort, int row,
		      const char *want)
{
	struct view_ui ui = { .kind = VIEW_PROCESSES, .sort = sort,
			      .show_exited = 1 };
	struct view_screen *scr;

	assert_int_equal(view_screen_new(120, 10, &scr), 0);
	view_render(st, &ui, scr);
	if (!strstr(scr->lines[row].text, want))
		fail_msg("sort %s: row %d \"%s\", want \"%s\"",
			 view_sort_name(sort), row, scr->lines[row].text, want);
	view_screen_free(scr);
}

static void test_sort_keys(void **state)
{
	struct view_state *st;

	(void)state;
	assert_int_equal(view_state_new(&st), 0);
	apply(st, "{\"type\":\"snapshot\"}");
	apply(st, "{\"type\":\"procs\",\"upsert\":["
	      "{\"tgid\":30,\"comm\":\"bravo\",\"alive\":true,\"runq_p99_us\":5},"
	      "{\"tgid\":10,\"comm\":\"charlie\",\"alive\":true,\"runq_p99_us\":900},"
	      "{\"tgid\":20,\"comm\":\"alpha\",\"alive\":false,"
	      "\"last_failure\":\"exit\",\"failures\":2}]}");
	apply(st, "{\"type\":\"components\",\"components\":["
	      "{\"name\":\"svc\",\"state\":\"healthy\",\"pid\":30,\"restarts\":9}]}");
	first_row(st, VIEW_SORT_HEALTH, 2, "bravo");	/* the component */
	first_row(st, VIEW_SORT_HEALTH, 3, "alpha");	/* failed exit */
	first_row(st, VIEW_SORT_PID, 3, "     10 charlie");
	first_row(st, VIEW_SORT_COMM, 3, "alpha");
	first_row(st, VIEW_SORT_RUNQ, 3, "charlie");
	first_row(st, VIEW_SORT_RESTARTS, 2, "bravo");
	view_state_free(st);
}

static void test_scroll_to_end(void **state)
{
	struct view_ui ui = { .kind = VIEW_PROCESSES, .sort = VIEW_SORT_PID,
			      .cursor = (size_t)-1 };
	struct view_screen *scr;
	struct view_state *st;

	(void)state;
	assert_int_equal(view_state_new(&st), 0);
	apply(st, "{\"type\":\"snapshot\"}");
	add_procs(st, 5000);
	assert_int_equal(view_screen_new(80, 24, &scr), 0);
	view_render(st, &ui, scr);
	assert_int_equal(ui.cursor, 4999);
	assert_int_equal(ui.scroll, 5000 - 21);
	assert_non_null(strstr(scr->lines[22].text, ">  104999 "));
	view_screen_free(scr);
	view_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_many),
		cmocka_unit_test(test_rings_wrap),
		cmocka_unit_test(test_sort_keys),
		cmocka_unit_test(test_scroll_to_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

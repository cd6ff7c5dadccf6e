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
	for (int i = 0; i < VIEW_EVENTS_MAX + 100; i++)
		apply(st, "{\"type\":\"event\",\"time_ms\":%d,\"event\":"
		      "{\"type\":\"exec\",\"pid\":%d,\"comm\":\"x\"}}", i, i);
	assert_int_equal(st->n_events, VIEW_EVENTS_MAX);
	assert_int_equal(view_state_event(st, 0)->tgid, 100);
	assert_int_equal(view_state_event(st, VIEW_EVENTS_MAX - 1)->tgid,
			 VIEW_EVENTS_MAX + 99);
	assert_null(view_state_event(st, VIEW_EVENTS_MAX));
	/* component states arrive as numbers and show as names */
	apply(st, "{\"type\":\"event\",\"time_ms\":1,\"event\":{\"type\":"
	      "\"component_state\",\"component\":\"db\",\"old_state\":1,"
	      "\"new_state\":5,\"restarts\":3}}");
	assert_string_equal(view_state_event(st, VIEW_EVENTS_MAX - 1)->text,
			    "old_state=healthy new_state=gave_up restarts=3");
	for (int i = 0; i < VIEW_METRIC_SAMPLES + 100; i++)
		apply(st, "{\"type\":\"metrics\",\"sample\":{\"events\":%d}}", i);
	assert_int_equal(st->n_samples, VIEW_METRIC_SAMPLES);
	assert_true(view_state_metric(st, VIEW_M_EVENTS, 0) == 100);
	assert_true(view_state_metric(st, VIEW_M_EVENTS,
				      VIEW_METRIC_SAMPLES - 1) ==
		    VIEW_METRIC_SAMPLES + 99);
	view_state_free(st);
}

/* schema_version 2 events: the row's process is the role the event is
 * about; other roles show as pid(comm); the envelope is not repeated. */
static void test_event_roles(void **state)
{
	struct view_state *st;
	const struct view_event *e;

	(void)state;
	assert_int_equal(view_state_new(&st), 0);
	apply(st, "{\"type\":\"event\",\"time_ms\":1,\"event\":"
	      "{\"schema_version\":2,\"id\":7,\"type\":\"signal\","
	      "\"time\":\"2026-12-02T12:00:00.000000000Z\",\"ts_ns\":5,"
	      "\"host\":\"h\",\"sender\":{\"pid\":10,\"comm\":\"kill\"},"
	      "\"target\":{\"pid\":20,\"comm\":\"web\"},"
	      "\"signal\":\"SIGKILL\",\"signo\":9,\"si_code\":\"SI_USER\"}}");
	e = view_state_event(st, 0);
	assert_int_equal(e->tgid, 20);
	assert_string_equal(e->comm, "web");
	assert_string_equal(e->text, "sender=10(kill) signal=SIGKILL signo=9 "
			    "si_code=SI_USER");
	apply(st, "{\"type\":\"event\",\"time_ms\":2,\"event\":"
	      "{\"schema_version\":2,\"id\":8,\"type\":\"component_state\","
	      "\"time\":\"2026-12-02T12:00:00.000000000Z\",\"ts_ns\":6,"
	      "\"host\":\"h\",\"component\":\"db\",\"process\":{\"pid\":30},"
	      "\"old_state\":\"healthy\",\"new_state\":\"failed\"}}");
	e = view_state_event(st, 1);
	assert_int_equal(e->tgid, 30);
	assert_string_equal(e->component, "db");
	assert_string_equal(e->text, "old_state=healthy new_state=failed");
	view_state_free(st);
}

/* First data row of the processes view for a sort key. */
static void first_row(struct view_state *st, int sort, const char *want)
{
	struct view_ui ui = { .kind = VIEW_PROCESSES, .sort = sort };
	struct view_screen *scr;

	assert_int_equal(view_screen_new(120, 10, &scr), 0);
	view_render(st, &ui, scr);
	if (!strstr(scr->lines[2].text, want))
		fail_msg("sort %s: first row \"%s\", want \"%s\"",
			 view_sort_name(sort), scr->lines[2].text, want);
	view_screen_free(scr);
}

static void test_sort_keys(void **state)
{
	struct view_state *st;

	(void)state;
	assert_int_equal(view_state_new(&st), 0);
	apply(st, "{\"type\":\"procs\",\"upsert\":["
	      "{\"tgid\":30,\"comm\":\"bravo\",\"alive\":true,\"runq_p99_us\":5},"
	      "{\"tgid\":10,\"comm\":\"charlie\",\"alive\":true,\"runq_p99_us\":900},"
	      "{\"tgid\":20,\"comm\":\"alpha\",\"alive\":false,"
	      "\"last_failure\":\"exit\",\"failures\":2}]}");
	apply(st, "{\"type\":\"components\",\"components\":["
	      "{\"name\":\"svc\",\"state\":\"healthy\",\"pid\":30,\"restarts\":9}]}");
	first_row(st, VIEW_SORT_HEALTH, "alpha");	/* failed exit */
	first_row(st, VIEW_SORT_PID, "     10 charlie");
	first_row(st, VIEW_SORT_COMM, "alpha");
	first_row(st, VIEW_SORT_RUNQ, "charlie");
	first_row(st, VIEW_SORT_RESTARTS, "bravo");
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
		cmocka_unit_test(test_event_roles),
		cmocka_unit_test(test_sort_keys),
		cmocka_unit_test(test_scroll_to_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

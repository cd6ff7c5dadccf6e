// SPDX-License-Identifier: BSD-2-Clause
/* test_view_render.c - the four views rendered from a fixed event script
 * (tests/fixtures/views/script.jsonl) at 80x24 and 200x60 must match the
 * expected text in tests/fixtures/views; hostile text must come out
 * escaped; sorting, scrolling and filtering must do what they say.
 * UPDATE_FIXTURES=1 rewrites the expected files (review the diff!). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

#include "hms_sanitize.h"
#include "view_render.h"
#include "view_state.h"

static char fixdir[PATH_MAX + 64];

/* Find tests/fixtures/views from the cwd or above the binary. */
static int find_fixtures(void)
{
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	if (getenv("HMS_FIXTURES")) {
		snprintf(fixdir, sizeof(fixdir), "%s", getenv("HMS_FIXTURES"));
		return 0;
	}
	if (!access("tests/fixtures/views/script.jsonl", R_OK)) {
		snprintf(fixdir, sizeof(fixdir), "tests/fixtures/views");
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	while ((slash = strrchr(exe, '/')) && slash != exe) {
		*slash = '\0';
		snprintf(fixdir, sizeof(fixdir), "%s/tests/fixtures/views", exe);
		strcat(fixdir, "/script.jsonl");
		if (!access(fixdir, R_OK)) {
			*strrchr(fixdir, '/') = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

static struct view_state *load_script(void)
{
	char path[PATH_MAX + 256], *text, *line, *save = NULL;
	struct view_state *st;

	snprintf(path, sizeof(path), "%s/script.jsonl", fixdir);
	text = harness_slurp(path);
	assert_non_null(text);
	assert_int_equal(view_state_new(&st), 0);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		assert_true(view_state_apply_line(st, line, strlen(line)) >= 0);
	free(text);
	return st;
}

static char *render(struct view_state *st, struct view_ui *ui, int w, int h)
{
	struct view_screen *scr;
	char *text;
	int i;

	assert_int_equal(view_screen_new(w, h, &scr), 0);
	view_render(st, ui, scr);
	for (i = 0; i < h; i++) {
		/* every line is exactly w columns, no raw control bytes */
		assert_int_equal(sanitize_width(scr->lines[i].text), w);
		for (const char *c = scr->lines[i].text; *c; c++)
			assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
	text = view_screen_text(scr);
	view_screen_free(scr);
	return text;
}

static void compare_view(int kind, int w, int h)
{
	struct view_state *st = load_script();
	struct view_ui ui = { .kind = kind, .connected = 1 };
	char path[PATH_MAX + 256], *got, *want;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%dx%d.txt", fixdir,
		 view_kind_name(kind), w, h);
	got = render(st, &ui, w, h);
	if (getenv("UPDATE_FIXTURES")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = harness_slurp(path);
	assert_non_null(want);
	assert_string_equal(got, want);
	free(got);
	free(want);
	view_state_free(st);
}

#define VIEW_TEST(name, kind)						\
static void test_##name##_80x24(void **s) { (void)s; compare_view(kind, 80, 24); } \
static void test_##name##_200x60(void **s) { (void)s; compare_view(kind, 200, 60); }
VIEW_TEST(processes, VIEW_PROCESSES)
VIEW_TEST(events, VIEW_EVENTS)
VIEW_TEST(metrics, VIEW_METRICS)
VIEW_TEST(strategies, VIEW_STRATEGIES)

/* The hostile comm shows escaped in the views that show comms. */
static void test_hostile_escaped(void **s)
{
	struct view_state *st = load_script();
	struct view_ui ui = { .kind = VIEW_PROCESSES, .connected = 1 };
	char *text;

	(void)s;
	/* an exited process of no component: hidden until x */
	text = render(st, &ui, 200, 60);
	assert_null(strstr(text, "\\e]0;pwn"));
	assert_non_null(strstr(text, "(1 hidden)"));
	free(text);
	ui.show_exited = 1;
	text = render(st, &ui, 200, 60);
	assert_non_null(strstr(text, "\\e]0;pwn\\x07\\n\\xff"));
	free(text);
	ui.kind = VIEW_EVENTS;
	text = render(st, &ui, 200, 60);
	assert_non_null(strstr(text, "\\e]0;pwn\\x07\\n\\xff"));
	free(text);
	view_state_free(st);
}

static void test_sort_scroll(void **s)
{
	struct view_state *st = load_script();
	struct view_ui ui = { .kind = VIEW_PROCESSES, .connected = 1 };
	char *text, *first;

	(void)s;
	/* health sort: the failing component first, selected */
	text = render(st, &ui, 80, 24);
	first = strchr(text, '\n') + 1;
	first = strchr(first, '\n') + 1;
	assert_memory_equal(first, ">!", 2);
	assert_string_equal(ui.selected, "cache");
	free(text);
	/* pid sort, cursor far down scrolls the window */
	ui.sort = VIEW_SORT_PID;
	ui.cursor = 30;
	text = render(st, &ui, 80, 24);
	assert_int_equal(ui.scroll, 30 - 21 + 1);
	/* rows 0-3 are the components (pinned above the host's
	 * processes): cache ("-"), api, db and db's second process */
	assert_non_null(strstr(text, ">    1026 worker-26"));
	assert_null(strstr(text, "worker-00"));
	free(text);
	/* narrow: no EXE header, the footer says the sort (once the last
	 * request's answer has been read) */
	st->result[0] = '\0';
	text = render(st, &ui, 80, 24);
	assert_non_null(strstr(text, " sort: pid | ? help"));
	free(text);
	/* removed rows are gone, the upserted one is there */
	assert_null(view_state_proc(st, 1039));
	assert_non_null(view_state_proc(st, 4500));
	assert_non_null(view_state_proc(st, 1037));
	view_state_free(st);
}

/* A pane shows a screenful of thousands of rows: whatever the sort and
 * wherever the cursor, the rows on screen are those a sort of the whole
 * table puts there (compared by pid with the rows of a screen tall enough
 * for all of them). */
static void test_window_order(void **s)
{
	struct view_state *st = load_script();
	struct view_ui ui = { .kind = VIEW_PROCESSES, .connected = 1 };
	static const size_t cursors[] = { 0, 1, 5, 22, 23, 150, 401, 599,
					  100000 };
	char line[512], *all, *win, *a, *w;
	size_t n, c;
	int h;

	(void)s;
	for (int i = 0; i < 600; i++) {	/* ties on purpose: few values */
		snprintf(line, sizeof(line), "{\"type\":\"procs\",\"upsert\":"
			 "[{\"tgid\":%d,\"ppid\":1,\"comm\":\"w%02d\","
			 "\"exe\":\"/bin/w\",\"alive\":%s,\"last_failure\":"
			 "\"%s\",\"cause\":\"\",\"sender\":\"\","
			 "\"runq_p99_us\":%d,\"failures\":%d,\"resets\":0,"
			 "\"refusals\":0}],\"remove\":[]}", 20000 + i * 7 % 600,
			 i % 37, i % 11 ? "true" : "false",
			 i % 11 ? "" : "exit", (i % 5) * 1000, i % 4);
		assert_true(view_state_apply_line(st, line, strlen(line)) >= 0);
	}
	ui.show_exited = 1;
	n = st->n_procs + st->n_comps;
	h = (int)n + 8;
	for (ui.sort = 0; ui.sort < VIEW_SORT_MAX; ui.sort++) {
		ui.cursor = ui.scroll = 0;
		all = render(st, &ui, 200, h);
		for (c = 0; c < sizeof(cursors) / sizeof(cursors[0]); c++) {
			size_t first;

			ui.cursor = cursors[c];
			win = render(st, &ui, 200, 24);
			first = ui.scroll;
			assert_true(ui.cursor < n);
			if (cursors[c] < n)
				assert_int_equal(ui.cursor, cursors[c]);
			/* skip the title and the column header */
			a = strchr(strchr(all, '\n') + 1, '\n') + 1;
			for (size_t i = 0; i < first; i++)
				a = strchr(a, '\n') + 1;
			w = strchr(strchr(win, '\n') + 1, '\n') + 1;
			for (int r = 0; r < 21 && first + r < n; r++) {
				assert_memory_equal(a + 2, w + 2, 7);
				if (first + r == ui.cursor)
					assert_int_equal(w[0], '>');
				a = strchr(a, '\n') + 1;
				w = strchr(w, '\n') + 1;
			}
			free(win);
		}
		free(all);
	}
	view_state_free(st);
}

/* The selected component's last OOM kill on the panel's last line,
 * escaped; none for a component without one. */
static void test_oom_line(void **s)
{
	struct view_state *st = load_script();
	struct view_ui ui = { .kind = VIEW_PROCESSES, .connected = 1 };
	const char comps[] = "{\"type\":\"components\",\"components\":["
		"{\"name\":\"cache\",\"state\":\"gave_up\",\"pid\":0,"
		"\"restarts\":5,\"last_failure\":\"oom\",\"last_cause\":"
		"\"OOM kill\",\"paused\":false,\"last_oom\":{\"pid\":77,"
		"\"summary\":\"OOM kill: rss 130M, cgroup usage/limit "
		"128/128M\\u001b[2J\"}},{\"name\":\"db\",\"state\":"
		"\"healthy\",\"pid\":4400}]}";
	char *text, *last;

	(void)s;
	assert_true(view_state_apply_line(st, comps, sizeof(comps) - 1) > 0);
	text = render(st, &ui, 80, 24);
	assert_string_equal(ui.selected, "cache");
	/* the last line of the screen above the status bar */
	last = strstr(text, "  cache: OOM kill: rss 130M, cgroup usage/limit "
		      "128/128M\\e[2J");
	assert_non_null(last);
	free(text);
	/* a process of no component selected: no OOM line */
	ui.sort = VIEW_SORT_PID;
	ui.cursor = 5;
	text = render(st, &ui, 80, 24);
	assert_string_not_equal(ui.selected, "cache");
	assert_null(strstr(text, "OOM kill: rss 130M"));
	free(text);
	view_state_free(st);
}

static void test_event_filter(void **s)
{
	struct view_state *st = load_script();
	struct view_ui ui = { .kind = VIEW_EVENTS, .connected = 1 };
	char *text;

	(void)s;
	/* a component's name: its history (3 older failures and actions
	 * from the snapshot's history, then the recent ones, once each) */
	snprintf(ui.filter, sizeof(ui.filter), "api");
	text = render(st, &ui, 200, 60);
	assert_non_null(strstr(text, "[history of api: 11]"));
	assert_null(strstr(text, "/bin/true"));
	assert_null(strstr(text, "tcp_reset"));
	free(text);
	snprintf(ui.filter, sizeof(ui.filter), "SIGSEGV");
	text = render(st, &ui, 200, 60);
	assert_non_null(strstr(text, "[2 of 39, filter: SIGSEGV]"));
	free(text);
	snprintf(ui.filter, sizeof(ui.filter), "exec");
	text = render(st, &ui, 200, 60);
	assert_non_null(strstr(text, "[30 of 39, filter: exec]"));
	assert_null(strstr(text, "SIGSEGV"));
	free(text);
	view_state_free(st);
}

/* A busy host's stream (far more than the 2,000 events kept) does not
 * push a component's failures and actions out of its history, and each
 * class keeps its last ones. */
static void test_history_flood(void **s)
{
	struct view_state *st = load_script();
	const struct view_event *h[256];
	char line[512];
	size_t n, fails = 0;

	(void)s;
	for (int i = 0; i < 10000; i++) {
		int len = snprintf(line, sizeof(line),
			"{\"type\":\"event\",\"seq\":%d,\"time_ms\":1,"
			"\"kind\":\"%s\",\"pid\":9,\"comm\":\"x\","
			"\"component\":\"%s\",\"text\":\"n=%d\"}",
			1000 + i, i % 100 == 0 ? "failure" : "exec",
			i % 100 == 0 ? "db" : "", i);

		assert_true(view_state_apply_line(st, line, len) > 0);
	}
	assert_int_equal(st->n_events, VIEW_EVENTS_MAX);
	n = view_state_history(st, "api", h, 256);
	assert_int_equal(n, 11);
	n = view_state_history(st, "db", h, 256);
	for (size_t i = 0; i < n; i++)
		fails += !strcmp(h[i]->kind, "failure");
	assert_int_equal(fails, VIEW_HIST_FAIL);	/* 100 sent, last 50 */
	assert_string_equal(h[n - 1]->text, "n=9900");
	view_state_free(st);
}

/* Before the first snapshot: "loading", never "no learned strategies". */
static void test_loading(void **s)
{
	struct view_state *st;
	struct view_ui ui = { .kind = VIEW_STRATEGIES, .connected = 1 };
	char *text;

	(void)s;
	assert_int_equal(view_state_new(&st), 0);
	text = render(st, &ui, 80, 24);
	assert_non_null(strstr(text, "loading"));
	assert_null(strstr(text, "no learned"));
	free(text);
	view_state_free(st);
}

/* ? lists every key of the view; ASCII mode has no byte >= 0x80. */
static void test_help_ascii(void **s)
{
	struct view_state *st = load_script();
	struct view_ui ui = { .kind = VIEW_PROCESSES, .connected = 1,
			      .help = 1 };
	char *text;

	(void)s;
	text = render(st, &ui, 80, 24);
	for (const char *k = "RSPTuaxsgGjkJKc/?q"; *k; k++) {
		char key[4] = { *k, ' ', '\0' };

		assert_non_null(strstr(text, key));
	}
	assert_non_null(strstr(text, "asks y/N"));
	free(text);
	ui.help = 0;
	ui.ascii = 1;
	for (int kind = 0; kind < VIEW_KIND_MAX; kind++) {
		ui.kind = kind;
		text = render(st, &ui, 80, 24);
		for (const char *c = text; *c; c++)
			assert_true((unsigned char)*c < 0x80);
		free(text);
	}
	view_state_free(st);
}

/* Every view at every size a pane may have (the 2x2 grid's quarters of
 * 80x24 included) gives exactly w columns per line (render checks it),
 * with the help shown, in ASCII, with exited rows and a filter. */
static void test_all_sizes(void **s)
{
	static const int ws[] = { 20, 33, 39, 59, 79, 80, 119, 120, 121, 200 };
	static const int hs[] = { 5, 9, 11, 14, 24 };
	struct view_state *st = load_script();

	(void)s;
	for (int kind = 0; kind < VIEW_KIND_MAX; kind++)
		for (size_t a = 0; a < sizeof(ws) / sizeof(ws[0]); a++)
			for (size_t b = 0; b < sizeof(hs) / sizeof(hs[0]); b++)
				for (int mode = 0; mode < 4; mode++) {
					struct view_ui ui = {
						.kind = kind, .connected = 1,
						.help = mode == 1,
						.ascii = mode == 2,
						.show_exited = mode == 3,
					};

					if (mode == 3)
						snprintf(ui.filter,
							 sizeof(ui.filter),
							 "api");
					free(render(st, &ui, ws[a], hs[b]));
				}
	view_state_free(st);
}

/* Human units, never an exponent. */
static void test_units(void **s)
{
	char b[32];

	(void)s;
	view_fmt_ms(26230.5, b, sizeof(b));
	assert_string_equal(b, "26.2 s");
	view_fmt_ms(420.4, b, sizeof(b));
	assert_string_equal(b, "420 ms");
	view_fmt_ms(241000, b, sizeof(b));
	assert_string_equal(b, "4m01s");
	view_fmt_bytes(1.2 * 1024 * 1024 * 1024, b, sizeof(b));
	assert_string_equal(b, "1.2 GiB");
	view_fmt_num(26230, b, sizeof(b));
	assert_string_equal(b, "26.2k");
	view_fmt_num(1.25, b, sizeof(b));
	assert_string_equal(b, "1.25");
	view_fmt_num(3e12, b, sizeof(b));
	assert_string_equal(b, "3000.0G");
}

static void test_reset_on_snapshot(void **s)
{
	struct view_state *st = load_script();
	const char snap[] = "{\"type\":\"snapshot\",\"procs\":[{\"tgid\":7,"
			    "\"comm\":\"only\",\"alive\":true}]}";

	(void)s;
	assert_true(view_state_apply_line(st, snap, sizeof(snap) - 1) > 0);
	assert_int_equal(st->n_procs, 1);
	assert_int_equal(st->n_events, 0);
	assert_non_null(view_state_proc(st, 7));
	assert_int_equal(view_state_apply_line(st, "nope", 4), -EINVAL);
	view_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_processes_80x24),
		cmocka_unit_test(test_processes_200x60),
		cmocka_unit_test(test_oom_line),
		cmocka_unit_test(test_events_80x24),
		cmocka_unit_test(test_events_200x60),
		cmocka_unit_test(test_metrics_80x24),
		cmocka_unit_test(test_metrics_200x60),
		cmocka_unit_test(test_strategies_80x24),
		cmocka_unit_test(test_strategies_200x60),
		cmocka_unit_test(test_hostile_escaped),
		cmocka_unit_test(test_sort_scroll),
		cmocka_unit_test(test_window_order),
		cmocka_unit_test(test_event_filter),
		cmocka_unit_test(test_reset_on_snapshot),
		cmocka_unit_test(test_history_flood),
		cmocka_unit_test(test_loading),
		cmocka_unit_test(test_help_ascii),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_all_sizes),
	};

	if (find_fixtures()) {
		fprintf(stderr, "test_view_render: fixtures not found\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

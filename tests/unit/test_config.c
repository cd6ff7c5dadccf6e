// SPDX-License-Identifier: BSD-2-Clause
/* test_config.c - the configuration loader: every fixture in tests/configs
 * named invalid_*.yaml must be rejected with the position and key path
 * written in its "# expect:" line, the full valid fixtures and the shipped
 * example must be accepted with their values, loose permissions are
 * refused and the embedded default watches everything without acting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config.h"
#include "log.h"

static char srcdir[PATH_MAX];

/* The repository root: the cwd, or three levels above the binary
 * (.output/tests/unit/test_config or .output/asan/tests/unit/...). */
static int find_srcdir(void)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (!access("tests/configs/valid_full.yaml", R_OK)) {
		snprintf(srcdir, sizeof(srcdir), ".");
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (int up = 0; up < 6; up++) {
		char probe[PATH_MAX + 64];

		snprintf(exe, sizeof(exe), "%s", dirname(exe));
		snprintf(probe, sizeof(probe), "%s/tests/configs/valid_full.yaml",
			 exe);
		if (!access(probe, R_OK)) {
			snprintf(srcdir, sizeof(srcdir), "%s", exe);
			return 0;
		}
	}
	return -1;
}

static char *load_errors(const char *path, int *ret)
{
	struct hms_config *cfg = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&buf, &len);

	assert_non_null(errs);
	*ret = config_load_file(path, &cfg, errs);
	fclose(errs);
	config_free(cfg);
	return buf;
}

static void expectation(const char *path, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "# expect: ", 10)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line + 10);
		}
	fclose(f);
}

static void test_invalid_fixtures(void **state)
{
	char dir[PATH_MAX + 16];
	struct dirent *de;
	int count = 0;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/configs", srcdir);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[PATH_MAX * 2], want[512], *errs;
		int ret;

		if (strncmp(de->d_name, "invalid_", 8))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		chmod(path, 0644);
		expectation(path, want, sizeof(want));
		assert_true(want[0] != '\0');
		errs = load_errors(path, &ret);
		if (ret != -EINVAL || !strstr(errs, want))
			fail_msg("%s: ret %d, want '%s' in:\n%s", de->d_name,
				 ret, want, errs);
		/* every line is FILE:LINE:COL: key.path: message */
		for (char *l = errs; *l; l = strchr(l, '\n') + 1) {
			int line = 0, col = 0;
			char *p = strstr(l, ".yaml:");

			assert_non_null(p);
			assert_int_equal(sscanf(p + 6, "%d:%d:", &line, &col), 2);
			assert_true(line >= 1 && col >= 1);
			if (!strchr(l, '\n'))
				break;
		}
		free(errs);
		count++;
	}
	closedir(d);
	assert_true(count >= 12);
}

static void test_valid_full(void **state)
{
	char path[PATH_MAX + 64], *errs;
	struct hms_config *cfg = NULL;
	const struct cfg_component *b, *d;
	int ret;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/configs/valid_full.yaml", srcdir);
	chmod(path, 0644);
	errs = load_errors(path, &ret);
	if (ret)
		fail_msg("valid_full rejected:\n%s", errs);
	free(errs);
	assert_int_equal(config_load_file(path, &cfg, stderr), 0);
	assert_true(cfg->daemon.dry_run);
	assert_int_equal(cfg->daemon.max_concurrent_actions, 2);
	assert_int_equal(cfg->daemon.registry_half_life_s, 3600);
	/* json_types: exit (3), outcome (104), failure (106) */
	assert_true(cfg->daemon.json_types[0] == 1ull << HMS_EV_EXIT);
	assert_true(cfg->daemon.json_types[1] == ((1ull << (HMS_EV_OUTCOME - 64)) |
				(1ull << (HMS_EV_FAILURE - 64))));
	assert_true(cfg->daemon.json_exclude[1] == 1ull << (HMS_EV_OUTCOME - 64));
	assert_int_equal(cfg->sensors.runq_latency_us, 5000);
	assert_string_equal(cfg->metrics.listen, "[::1]:9464");
	assert_int_equal(cfg->dashboard.n_layouts, 1);
	assert_int_equal(cfg->dashboard.layouts[0].n_panes, 2);
	assert_int_equal(cfg->dashboard.layouts[0].panes[1].split, 'v');
	assert_int_equal(cfg->n_components, 4);
	assert_int_equal(cfg->components[0].match, MATCH_SPAWN);
	assert_false(cfg->components[0].autostart);
	assert_string_equal(cfg->components[0].env[0], "A=1");
	b = config_component(cfg, "b");
	assert_non_null(b);
	assert_int_equal(b->match, MATCH_EXE);
	assert_int_equal(b->n_deps, 1);
	assert_int_equal(b->dep_idx[0], 0);
	assert_int_equal(b->n_on[FAIL_CRASH], 2);
	assert_string_equal(cfg->strategies[b->on[FAIL_CRASH][1]].name,
			    "s-signal");
	assert_int_equal(cfg->strategies[b->on[FAIL_CRASH][1]].actions[1].signal,
			 SIGKILL);
	/* inline chain as a candidate */
	assert_int_equal(b->n_on[FAIL_OOM], 2);
	assert_int_equal(cfg->strategies[b->on[FAIL_OOM][1]].n_actions, 2);
	assert_true(cfg->strategies[b->on[FAIL_OOM][1]].actions[0].factor > 1.19);
	/* at daemon stop: spawned stop, adopted keep, unless configured */
	assert_int_equal(cfg->components[0].on_daemon_stop, ON_STOP_STOP);
	assert_int_equal(b->on_daemon_stop, ON_STOP_KEEP);
	assert_int_equal(config_component(cfg, "c")->on_daemon_stop,
			 ON_STOP_STOP);
	assert_string_equal(config_component(cfg, "c")->match_user, "any");
	assert_string_equal(b->match_user, "");
	d = config_component(cfg, "d");
	assert_int_equal(d->match, MATCH_PIDFILE);
	assert_int_equal(d->stop_signal, SIGINT);
	assert_int_equal(d->stop_timeout_ms, 500);
	assert_int_equal(d->verify_ms, 200);
	assert_int_equal(d->budget_max, 1);
	assert_int_equal(d->n_ok_exit_codes, 3);
	assert_int_equal(d->backoff.initial_ms, 0);
	config_free(cfg);
}

static void test_example_config(void **state)
{
	char path[PATH_MAX + 64];
	struct hms_config *cfg = NULL;
	const struct cfg_component *api;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/hms.yaml", srcdir);
	chmod(path, 0644);
	assert_int_equal(config_load_file(path, &cfg, stderr), 0);
	api = config_component(cfg, "api");
	assert_non_null(api);
	assert_int_equal(api->backoff.initial_ms, 100);
	assert_int_equal(api->budget_max, 5);
	assert_int_equal(api->verify_ms, 10000);
	assert_int_equal(api->n_on[FAIL_OOM], 2);
	assert_string_equal(cfg->strategies[api->on[FAIL_OOM][0]].name,
			    "more-memory");
	assert_int_equal(api->probe.kind, PROBE_HTTP);
	assert_string_equal(api->probe.host, "127.0.0.1");
	assert_int_equal(api->probe.port, 8080);
	assert_string_equal(api->probe.path, "/health");
	assert_int_equal(api->probe.interval_ms, 5000);
	assert_int_equal(api->probe.failures, 3);
	assert_int_equal(api->starved_count, 5);
	/* components without "on" get the default handling: none here */
	assert_int_equal(config_component(cfg, "web")->match, MATCH_COMM);
	config_free(cfg);
}

static void test_permissions(void **state)
{
	char tmpl[] = "/tmp/hms-cfg-XXXXXX", path[64], *errs;
	int fd, ret;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/hms.yaml", tmpl);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "version: 1\n", 11), 11);
	close(fd);
	errs = load_errors(path, &ret);
	assert_int_equal(ret, 0);
	free(errs);
	assert_int_equal(chmod(path, 0666), 0);
	errs = load_errors(path, &ret);
	assert_int_equal(ret, -EPERM);
	assert_non_null(strstr(errs, "writable by others"));
	free(errs);
	assert_int_equal(chmod(path, 0620), 0);
	errs = load_errors(path, &ret);
	assert_int_equal(ret, -EPERM);
	free(errs);
	unlink(path);
	errs = load_errors(path, &ret);
	assert_int_equal(ret, -ENOENT);
	free(errs);
	rmdir(tmpl);
}

static void test_default_config(void **state)
{
	struct hms_config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_default(&cfg), 0);
	assert_true(cfg->watch_all.enabled);
	assert_true(cfg->watch_all.classes & (1u << FAIL_CRASH));
	assert_true(cfg->watch_all.classes & (1u << FAIL_KILLED));
	assert_true(cfg->watch_all.classes & (1u << FAIL_OOM));
	assert_false(cfg->watch_all.classes & (1u << FAIL_EXIT));
	assert_int_equal(cfg->n_components, 0);
	assert_false(cfg->daemon.dry_run);
	assert_string_equal(cfg->path, "(default)");
	config_free(cfg);
}

/* Built-in layouts by name; split w (a window of its own). */
static void test_dashboard_layouts(void **state)
{
	const char *y = "dashboard:\n  layout: compact\n";
	const char *w = "dashboard:\n  layout: mine\n  layouts:\n    mine: "
			"[{view: processes}, {view: metrics, split: w}]\n";
	const char *bad = "dashboard:\n  layouts:\n    x: [{view: processes},"
			  " {view: events, split: q}]\n";
	struct hms_config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_string("l", y, strlen(y), &cfg, stderr), 0);
	assert_string_equal(cfg->dashboard.layout, "compact");
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_load_string("l", w, strlen(w), &cfg, stderr), 0);
	assert_int_equal(cfg->dashboard.layouts[0].panes[1].split, 'w');
	config_free(cfg);
	cfg = NULL;
	assert_int_not_equal(config_load_string("l", bad, strlen(bad), &cfg,
						NULL), 0);
	config_free(cfg);
}

static void test_strings(void **state)
{
	struct hms_config *cfg = NULL;
	const char *y = "components:\n  - name: x\n    command: [/bin/x]\n";
	const struct cfg_component *x;

	(void)state;
	assert_int_equal(config_load_string("s", y, strlen(y), &cfg, stderr), 0);
	x = config_component(cfg, "x");
	/* defaults documented in docs/configuration.md */
	assert_int_equal(x->match, MATCH_SPAWN);
	assert_true(x->autostart);
	assert_int_equal(x->stop_signal, SIGTERM);
	assert_int_equal(x->stop_timeout_ms, 5000);
	assert_int_equal(x->backoff.initial_ms, 100);
	assert_int_equal(x->backoff.max_ms, 30000);
	assert_int_equal(x->budget_max, 5);
	assert_int_equal(x->verify_ms, 10000);
	assert_int_equal(x->starved_us, 100000);
	assert_int_equal(x->starved_count, 5);
	assert_int_equal(x->starved_window_ms, 10000);
	assert_int_equal(x->probe.kind, PROBE_NONE);
	assert_int_equal(cfg->daemon.incidents.burst, 10);
	assert_int_equal(cfg->daemon.incidents.interval_ms, 60000);
	/* no "on": restart on every process failure, a failing probe and
	 * a plugin detector's failure */
	for (int f = 0; f < FAIL_MAX; f++) {
		bool want = f == FAIL_CRASH || f == FAIL_EXIT || f == FAIL_OOM ||
			    f == FAIL_KILLED || f == FAIL_MISSING ||
			    f == FAIL_PROBE || f == FAIL_PLUGIN;

		assert_int_equal(x->n_on[f], want ? 1 : 0);
		if (want)
			assert_string_equal(cfg->strategies[x->on[f][0]].name,
					    "restart");
	}
	config_free(cfg);
	for (int f = 0; f < FAIL_MAX; f++)
		assert_int_equal(config_failure_from_name(config_failure_name(f)),
				 f);
	assert_int_equal(config_failure_from_name("nope"), -ENOENT);
}

/* output: inherit | null | journal | file:PATH, default when absent */
static void test_output(void **state)
{
	const char *y = "components:\n"
		"  - {name: a, command: [/bin/a]}\n"
		"  - {name: b, command: [/bin/b], output: journal}\n"
		"  - {name: c, command: [/bin/c], output: \"file:/var/log/c.log\"}\n"
		"  - {name: d, command: [/bin/d], output: 'null'}\n"
		"  - {name: e, command: [/bin/e], output: inherit}\n";
	const char *bad = "components:\n"
		"  - {name: a, command: [/bin/a], output: syslog}\n";
	struct hms_config *cfg = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *errs;

	(void)state;
	assert_int_equal(config_load_string("o", y, strlen(y), &cfg, stderr), 0);
	assert_int_equal(config_component(cfg, "a")->output, OUTPUT_DEFAULT);
	assert_int_equal(config_component(cfg, "b")->output, OUTPUT_JOURNAL);
	assert_int_equal(config_component(cfg, "c")->output, OUTPUT_FILE);
	assert_string_equal(config_component(cfg, "c")->output_path,
			    "/var/log/c.log");
	assert_int_equal(config_component(cfg, "d")->output, OUTPUT_NULL);
	assert_int_equal(config_component(cfg, "e")->output, OUTPUT_INHERIT);
	config_free(cfg);
	errs = open_memstream(&buf, &len);
	assert_int_equal(config_load_string("o", bad, strlen(bad), &cfg, errs),
			 -EINVAL);
	fclose(errs);
	assert_non_null(strstr(buf, "o:2:42: components[0].output: must be "
				    "inherit, null, journal or file:PATH"));
	free(buf);
}

/* Text libfyaml could loop on never reaches it; the limit on size. */
static void test_text(void **state)
{
	static const char nul[] = "version: 1\n\0x: 1\n";
	const char *cases[][2] = {
		{ "a: 1\n%\xff\n", "t:2:2: (file): invalid text: byte that "
		  "cannot start" },
		{ "a: \xc3\xa9\xc0\xaf\n", "t:1:5: (file): invalid text: "
		  "byte that cannot start" },
		{ "a: \xe0\x80\xaf\n", "t:1:4: (file): invalid text: "
		  "overlong" },
		{ "a: \xed\xa0\x80\n", "t:1:4: (file): invalid text: not a "
		  "Unicode scalar" },
		{ "a: \xe2\x82", "t:1:4: (file): invalid text: UTF-8 sequence "
		  "cut short by the end" },
	};
	struct hms_config *cfg = NULL;
	char *buf = NULL, *big;
	size_t len = 0;
	FILE *errs;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errs = open_memstream(&buf, &len);
		assert_int_equal(config_load_string("t", cases[i][0],
						    strlen(cases[i][0]), &cfg,
						    errs), -EINVAL);
		fclose(errs);
		if (!strstr(buf, cases[i][1]))
			fail_msg("case %zu: want '%s' in '%s'", i, cases[i][1],
				 buf);
		free(buf);
		buf = NULL;
	}
	errs = open_memstream(&buf, &len);
	assert_int_equal(config_load_string("t", nul, sizeof(nul) - 1, &cfg,
					    errs), -EINVAL);
	fclose(errs);
	assert_non_null(strstr(buf, "t:2:1: (file): invalid text: NUL byte"));
	free(buf);
	big = malloc(CONFIG_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, '#', CONFIG_MAX_BYTES + 1);
	errs = open_memstream(&buf, &len);
	assert_int_equal(config_load_string("t", big, CONFIG_MAX_BYTES + 1,
					    &cfg, errs), -EINVAL);
	fclose(errs);
	assert_non_null(strstr(buf, "larger than the limit"));
	free(buf);
	free(big);
	/* valid multi-byte text passes */
	{
		const char *ok = "# h\xc3\xa9 \xf0\x9f\x98\x80\nversion: 1\n";

		assert_int_equal(config_load_string("t", ok, strlen(ok), &cfg,
						    stderr), 0);
	}
	config_free(cfg);
}

/* A signal action may list alternatives; a component may pin a
 * strategy per class, which must be one of that class's candidates. */
static void test_signal_choices_and_pin(void **state)
{
	static const char ok[] =
		"version: 1\n"
		"strategies:\n"
		"  nudge: [{signal: [HUP, USR1, TERM]}]\n"
		"  long: [{signal: {signal: [USR2, \"9\"]}}]\n"
		"components:\n"
		"  - {name: a, command: [/bin/true], on: {crash: [nudge, restart]},\n"
		"     pin: {crash: restart}}\n";
	static const struct { const char *yaml, *want; } bad[] = {
		{ "version: 1\nstrategies: {s: [{signal: [HUP, HUP]}]}\n",
		  "strategies.s[0].signal[1]: signal listed twice" },
		{ "version: 1\nstrategies: {s: [{signal: []}]}\n",
		  "must not be empty" },
		{ "version: 1\nstrategies: {s: [{signal: [HUP, SIGFOO]}]}\n",
		  "strategies.s[0].signal[1]: unknown signal 'SIGFOO'" },
		{ "version: 1\ncomponents:\n  - {name: a, command: [/bin/true],"
		  " on: {crash: [restart]}, pin: {crash: alert}}\n",
		  "components[0].pin.crash: strategy 'alert' is not one of the "
		  "candidates for crash" },
		{ "version: 1\ncomponents:\n  - {name: a, command: [/bin/true],"
		  " pin: {crash: nosuch}}\n", "unknown strategy 'nosuch'" },
	};
	struct hms_config *cfg = NULL;
	const struct cfg_action *a;
	int s;

	(void)state;
	assert_int_equal(config_load_string("t", ok, strlen(ok), &cfg, stderr), 0);
	s = config_strategy_index(cfg, "nudge");
	assert_true(s >= 0);
	a = &cfg->strategies[s].actions[0];
	assert_int_equal(a->n_signals, 3);
	assert_int_equal(a->signal, SIGHUP);
	assert_int_equal(a->signals[1], SIGUSR1);
	assert_int_equal(a->signals[2], SIGTERM);
	a = &cfg->strategies[config_strategy_index(cfg, "long")].actions[0];
	assert_int_equal(a->n_signals, 2);
	assert_int_equal(a->signals[1], SIGKILL);
	assert_int_equal(cfg->components[0].pin[FAIL_CRASH] - 1,
			 config_strategy_index(cfg, "restart"));
	assert_int_equal(cfg->components[0].pin[FAIL_EXIT], 0);
	config_free(cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *errs = open_memstream(&buf, &len);

		cfg = NULL;
		assert_int_equal(config_load_string("t", bad[i].yaml,
						    strlen(bad[i].yaml), &cfg,
						    errs), -EINVAL);
		fclose(errs);
		if (!strstr(buf, bad[i].want))
			fail_msg("case %zu: want '%s' in '%s'", i, bad[i].want,
				 buf);
		free(buf);
		config_free(cfg);
	}
}

/* daemon.log_level: a level name (invalid_log_level.yaml: a wrong one) */
static void test_log_level(void **state)
{
	static const char *const names[] = { "error", "warning", "notice",
					     "info", "debug" };
	struct hms_config *cfg = NULL;
	char y[64];

	(void)state;
	assert_int_equal(config_load_string("t", "version: 1\n", 11, &cfg,
					    stderr), 0);
	assert_int_equal(cfg->daemon.log_level, HMS_LOG_INFO);
	config_free(cfg);
	for (int i = 0; i < 5; i++) {
		snprintf(y, sizeof(y), "daemon: {log_level: %s}\n", names[i]);
		cfg = NULL;
		assert_int_equal(config_load_string("t", y, strlen(y), &cfg,
						    stderr), 0);
		assert_int_equal(cfg->daemon.log_level, HMS_LOG_ERROR + i);
		config_free(cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_fixtures),
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_default_config),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_dashboard_layouts),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_signal_choices_and_pin),
		cmocka_unit_test(test_log_level),
	};

	if (find_srcdir()) {
		fprintf(stderr, "test_config: tests/configs not found\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_plugin.c - plugins loaded by the daemon's loader (userspace/plugin.c)
 * from the real .so files the Makefile builds: the refusals (wrong ABI
 * version, no descriptor, failing init, a file or directory writable by
 * others than root, a missing file) each with its log line while the good
 * plugin next to them loads; the event-file sink writing the bus's events
 * as JSON lines and rotating by size; the example action's parameter
 * check and run; the `plugins:` config list.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "bus.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "loop.h"
#include "plugin.h"
#include "harness.h"

struct fx {
	char dir[64];
	char errlog[128];
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_plugins *ps;
	int saved_stderr;
};

static const char *out_dir(void)
{
	const char *o = getenv("OUTPUT");

	return o ? o : ".output";
}

/* Absolute path of a built .so (dlopen and the checks want one). */
static void built(char *buf, size_t len, const char *rel)
{
	char cwd[128];
	int n;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	if (out_dir()[0] == '/')
		n = snprintf(buf, len, "%s/%s", out_dir(), rel);
	else
		n = snprintf(buf, len, "%s/%s/%s", cwd, out_dir(), rel);
	assert_true(n > 0 && (size_t)n < len);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hms-plugin-XXXXXX");
	if (!mkdtemp(f->dir) || loop_new(&f->loop) || bus_new(&f->bus) ||
	    plugins_new(f->loop, f->bus, &f->ps))
		return -1;
	/* the loader's log lines go to a file the test reads */
	snprintf(f->errlog, sizeof(f->errlog), "%s/log.txt", f->dir);
	fflush(stderr);
	f->saved_stderr = dup(STDERR_FILENO);
	if (!freopen(f->errlog, "w", stderr))
		return -1;
	setvbuf(stderr, NULL, _IONBF, 0);
	unsetenv("JOURNAL_STREAM");
	log_init();
	log_set_level(HMS_LOG_DEBUG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plugins_free(f->ps);
	bus_free(f->bus);
	loop_free(f->loop);
	fflush(stderr);
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	harness_rmtree(f->dir);
	free(f);
	return 0;
}

static bool log_has(struct fx *f, const char *text)
{
	char *all = harness_slurp(f->errlog);
	bool found = strstr(all, text) != NULL;

	if (!found)
		fprintf(stdout, "log lacks \"%s\"; it has:\n%s\n", text, all);
	free(all);
	return found;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char *cmd;

	assert_true(asprintf(&cmd, "cp '%s' '%s'", from, to) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(chmod(to, mode), 0);
}

static void publish_alert(struct hms_bus *bus, const char *comp, int i)
{
	struct hms_ev_alert a = { 0 };

	event_init(&a.hdr, HMS_EV_ALERT, sizeof(a));
	snprintf(a.component, sizeof(a.component), "%s", comp);
	a.severity = ALERT_CRITICAL;
	snprintf(a.message, sizeof(a.message), "alert number %d", i);
	bus_publish(bus, &a.hdr);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	char good[256], abi[256], nosym[256], init[256], ww[256], gwdir[200],
		gw[256], missing[256];
	struct cfg_plugin list[7] = { 0 };
	char cfgjson[400];

	built(good, sizeof(good), "plugins/event_file.so");
	built(abi, sizeof(abi), "tests/plugins/bad_abi.so");
	built(nosym, sizeof(nosym), "tests/plugins/bad_nosym.so");
	built(init, sizeof(init), "tests/plugins/bad_init.so");
	snprintf(ww, sizeof(ww), "%s/world.so", f->dir);
	copy_file(good, ww, 0646);
	snprintf(gwdir, sizeof(gwdir), "%s/gw", f->dir);
	assert_int_equal(mkdir(gwdir, 0775), 0);
	assert_int_equal(chmod(gwdir, 0775), 0);
	snprintf(gw, sizeof(gw), "%.200s/ok.so", gwdir);
	copy_file(good, gw, 0644);
	snprintf(missing, sizeof(missing), "%s/none.so", f->dir);
	snprintf(cfgjson, sizeof(cfgjson), "{\"path\": \"%s/ev.jsonl\"}",
		 f->dir);

	snprintf(list[0].path, sizeof(list[0].path), "%s", abi);
	snprintf(list[1].path, sizeof(list[1].path), "%s", nosym);
	snprintf(list[2].path, sizeof(list[2].path), "%s", init);
	snprintf(list[3].path, sizeof(list[3].path), "%s", ww);
	snprintf(list[4].path, sizeof(list[4].path), "%s", gw);
	snprintf(list[5].path, sizeof(list[5].path), "%s", missing);
	snprintf(list[6].path, sizeof(list[6].path), "%s", good);
	for (int i = 0; i < 7; i++)
		list[i].config_json = cfgjson;
	/* six refused, the good one loads: the loader goes on */
	assert_int_equal(plugins_load(f->ps, list, 7), 1);
	assert_int_equal(plugins_count(f->ps), 1);
	assert_true(log_has(f, "refused: plugin ABI version 42, this daemon "
			       "speaks version 1"));
	assert_true(log_has(f, "bad_nosym.so refused: no hms_plugin_v1 "
			       "descriptor"));
	assert_true(log_has(f, "plugin bad: refusing to start, as asked"));
	assert_true(log_has(f, "bad_init.so refused: init failed"));
	assert_true(log_has(f, "world.so: writable by others than root "
			       "(owner uid 0, mode 0646)"));
	assert_true(log_has(f, "gw: writable by others than root"));
	assert_true(log_has(f, "none.so: No such file or directory"));
	assert_true(log_has(f, "going on without it"));
	assert_true(log_has(f, "plugin event-file loaded from"));
	/* the one loaded works: an event reaches its file */
	publish_alert(f->bus, "api", 1);
	snprintf(ww, sizeof(ww), "%s/ev.jsonl", f->dir);
	{
		char *all = harness_slurp(ww);

		assert_non_null(strstr(all, "\"type\":\"alert\""));
		free(all);
	}
	/* a relative path is refused too */
	snprintf(list[0].path, sizeof(list[0].path), "plugins/x.so");
	assert_int_equal(plugins_load(f->ps, list, 1), 0);
	assert_true(log_has(f, "plugins/x.so: not an absolute path"));
}

static int count_lines_valid(const char *path, size_t *bytes)
{
	char *all = harness_slurp(path), *line, *save = NULL;
	int n = 0;

	*bytes = strlen(all);
	for (line = strtok_r(all, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "type")),
				    "alert");
		json_decref(o);
		n++;
	}
	free(all);
	return n;
}

static void test_file_sink_rotates(void **state)
{
	struct fx *f = *state;
	struct cfg_plugin p = { 0 };
	char cfgjson[400], path[256], rot[300];
	size_t bytes, total = 0;
	int lines = 0;

	built(p.path, sizeof(p.path), "plugins/event_file.so");
	snprintf(path, sizeof(path), "%s/events.jsonl", f->dir);
	/* a number quoted in YAML arrives as a string: both accepted */
	snprintf(cfgjson, sizeof(cfgjson), "{\"path\":\"%s\",\"max_bytes\":"
		 "\"4096\",\"keep\":2,\"events\":[\"alert\"]}", path);
	p.config_json = cfgjson;
	assert_int_equal(plugins_load(f->ps, &p, 1), 1);
	for (int i = 0; i < 200; i++) {
		struct hms_ev_component c = { 0 };

		publish_alert(f->bus, "db", i);
		/* not subscribed: never written */
		event_init(&c.hdr, HMS_EV_COMPONENT_STATE, sizeof(c));
		bus_publish(f->bus, &c.hdr);
	}
	/* path, path.1, path.2 each at most max_bytes; path.3 never */
	lines += count_lines_valid(path, &bytes);
	assert_true(bytes > 0 && bytes <= 4096);
	total += bytes;
	for (int i = 1; i <= 2; i++) {
		snprintf(rot, sizeof(rot), "%s.%d", path, i);
		lines += count_lines_valid(rot, &bytes);
		assert_true(bytes > 3000 && bytes <= 4096);
		total += bytes;
	}
	snprintf(rot, sizeof(rot), "%s.3", path);
	assert_int_equal(access(rot, F_OK), -1);
	/* the newest lines are kept, the oldest rotated away */
	assert_true(lines > 20 && lines < 200);
	{
		char *all = harness_slurp(path);

		assert_non_null(strstr(all, "alert number 199"));
		free(all);
	}
	(void)total;
	/* a bad config is refused at init */
	snprintf(cfgjson, sizeof(cfgjson), "{\"path\":\"%s\",\"events\":"
		 "[\"no_such_event\"]}", path);
	assert_int_equal(plugins_load(f->ps, &p, 1), 0);
	assert_true(log_has(f, "config.events[0]: unknown event type "
			       "no_such_event"));
}

struct done_rec {
	int called, result;
	char detail[300];
};

static void on_done(void *token, int result, const char *detail)
{
	struct done_rec *d = token;

	d->called++;
	d->result = result;
	snprintf(d->detail, sizeof(d->detail), "%s", detail ?: "");
}

static void test_example_action(void **state)
{
	struct fx *f = *state;
	struct cfg_plugin p = { 0 };
	struct hms_plugin_action_ctx ctx = { .component = "web",
					     .failure = "crash",
					     .main_pid = 4242 };
	struct done_rec d = { 0 };
	char err[256], params[300], mark[256], *all;

	built(p.path, sizeof(p.path), "plugins/example_action.so");
	assert_int_equal(plugins_action_check(f->ps, "mark", "{}", err,
					      sizeof(err)), -ENOENT);
	assert_int_equal(plugins_load(f->ps, &p, 1), 1);
	assert_int_equal(plugins_action_check(f->ps, "mark", "{}", err,
					      sizeof(err)), -EINVAL);
	assert_string_equal(err, "path: required (an absolute file path)");
	assert_int_equal(plugins_action_check(f->ps, "mark",
					      "{\"path\":\"rel/x\"}", err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not an absolute path"));
	snprintf(mark, sizeof(mark), "%s/marks", f->dir);
	snprintf(params, sizeof(params), "{\"path\":\"%s\"}", mark);
	assert_int_equal(plugins_action_check(f->ps, "mark", params, err,
					      sizeof(err)), 0);
	assert_int_equal(plugins_action_run(f->ps, "mark", &ctx, params,
					    on_done, &d), 0);
	assert_int_equal(d.called, 1);
	assert_int_equal(d.result, 0);
	all = harness_slurp(mark);
	assert_string_equal(all, "web crash 4242\n");
	free(all);
	assert_true(log_has(f, "plugin example-action: marked"));
}

/* Nobody listens on the port: the post fails in the loop (never in the
 * sink call), is logged, and the daemon's loop was never blocked. */
static void test_alertmanager_unreachable(void **state)
{
	struct fx *f = *state;
	struct cfg_plugin p = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char cfgjson[200];
	int fd, i;

	/* a bound socket without listen(): connections are refused */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	built(p.path, sizeof(p.path), "plugins/alertmanager.so");
	snprintf(cfgjson, sizeof(cfgjson), "{\"url\":\"http://127.0.0.1:%d\","
		 "\"timeout_ms\":\"2000\"}", ntohs(a.sin_port));
	p.config_json = cfgjson;
	assert_int_equal(plugins_load(f->ps, &p, 1), 1);
	publish_alert(f->bus, "api", 7);
	for (i = 0; i < 200; i++) {
		char *all = harness_slurp(f->errlog);
		bool done = strstr(all, "not delivered") != NULL;

		free(all);
		if (done)
			break;
		loop_run_once(f->loop, 50);
	}
	assert_true(log_has(f, "plugin alertmanager: alert not delivered to "
			       "http://127.0.0.1:"));
	/* a bad url is refused at init */
	snprintf(cfgjson, sizeof(cfgjson), "{\"url\":\"ftp://x\"}");
	assert_int_equal(plugins_load(f->ps, &p, 1), 0);
	assert_true(log_has(f, "config.url: an http:// or https:// URL"));
	close(fd);
}

static void test_config_list(void **state)
{
	const char *y = "version: 1\nplugins:\n"
			"  - path: /usr/lib/hms-ebpf/plugins/alertmanager.so\n"
			"    config: {url: \"http://127.0.0.1:9093\", "
			"timeout_ms: 2000, labels: {team: ops}}\n"
			"  - {path: /x/event_file.so}\n";
	const char *bad = "version: 1\nplugins:\n  - {path: rel.so, "
			  "bogus: 1}\n  - {config: {}}\n";
	struct hms_config *cfg = NULL;
	char buf[2048] = "";
	FILE *errs;
	json_t *o;

	(void)state;
	assert_int_equal(config_load_string("p", y, strlen(y), &cfg, stdout),
			 0);
	assert_int_equal(cfg->n_plugins, 2);
	assert_string_equal(cfg->plugins[0].path,
			    "/usr/lib/hms-ebpf/plugins/alertmanager.so");
	o = json_loads(cfg->plugins[0].config_json, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "url")),
			    "http://127.0.0.1:9093");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(o, "labels"), "team")), "ops");
	assert_int_equal(json_integer_value(json_object_get(o, "timeout_ms")),
			 2000);
	json_decref(o);
	assert_null(cfg->plugins[1].config_json);
	config_free(cfg);

	errs = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_int_equal(config_load_string("p", bad, strlen(bad), &cfg, errs),
			 -EINVAL);
	fclose(errs);
	assert_non_null(strstr(buf, "p:3:12: plugins[0].path: must be an "
				    "absolute path"));
	assert_non_null(strstr(buf, "plugins[0].bogus: unknown key"));
	assert_non_null(strstr(buf, "plugins[1]: missing key 'path'"));
}

/* Tickets: a done() inside the call, later, never, after a cancel, and
 * an error return (which frees the ticket: no done may follow). */
struct tk_owner {
	int calls;
	int result;
	char detail[96];
};

static void tk_cb(void *owner, int result, const char *detail)
{
	struct tk_owner *o = owner;

	o->calls++;
	o->result = result;
	snprintf(o->detail, sizeof(o->detail), "%s", detail);
}

static int call_done_now(void *arg, struct plugin_ticket *t)
{
	(void)arg;
	plugin_ticket_done(t, 5, "at once");	/* a positive errno too */
	return 0;
}

static int call_keep(void *arg, struct plugin_ticket *t)
{
	*(struct plugin_ticket **)arg = t;
	return 0;
}

static int call_refuse(void *arg, struct plugin_ticket *t)
{
	(void)arg;
	(void)t;
	return -EBUSY;
}

static void test_tickets(void **state)
{
	struct tk_owner o = { 0 };
	struct plugin_ticket *t, *kept = NULL;

	(void)state;
	/* done inside the call: delivered once, after it returns */
	assert_int_equal(plugin_ticket_new(tk_cb, &o, &t), 0);
	assert_int_equal(plugin_ticket_call(t, call_done_now, NULL), 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.result, -5);
	assert_string_equal(o.detail, "at once");
	/* done later */
	assert_int_equal(plugin_ticket_new(tk_cb, &o, &t), 0);
	assert_int_equal(plugin_ticket_call(t, call_keep, &kept), 0);
	assert_int_equal(o.calls, 1);
	plugin_ticket_done(kept, 0, "later");
	assert_int_equal(o.calls, 2);
	assert_int_equal(o.result, 0);
	assert_string_equal(o.detail, "later");
	/* cancelled, then done: no callback (and no leak under ASan) */
	assert_int_equal(plugin_ticket_new(tk_cb, &o, &t), 0);
	assert_int_equal(plugin_ticket_call(t, call_keep, &kept), 0);
	plugin_ticket_cancel(kept);
	plugin_ticket_done(kept, -EIO, "too late");
	assert_int_equal(o.calls, 2);
	/* refused at once: the error, no callback */
	assert_int_equal(plugin_ticket_new(tk_cb, &o, &t), 0);
	assert_int_equal(plugin_ticket_call(t, call_refuse, NULL), -EBUSY);
	assert_int_equal(o.calls, 2);
}

/* Plugin kinds used by strategies and probes are checked against the
 * listed plugins' descriptors (testkit.so) when the config is loaded. */
static void test_config_plugin_uses(void **state)
{
	char tk[256], y[2048], buf[4096] = "";
	struct hms_config *cfg = NULL;
	FILE *errs;

	(void)state;
	built(tk, sizeof(tk), "tests/plugins/testkit.so");
	snprintf(y, sizeof(y),
		 "version: 1\nplugins:\n  - {path: %s}\n"
		 "strategies:\n"
		 "  fix: [{plugin: {kind: touch, params: {path: /tmp/m},"
		 " timeout_ms: 500}}, {restart: {}}]\n"
		 "components:\n"
		 "  - name: a\n    command: [/bin/true]\n"
		 "    probe: {plugin: {kind: file-exists, params: {path: /tmp/m}},"
		 " interval_s: 1}\n"
		 "    on: {probe: [fix], plugin: [[{plugin: {kind: touch, "
		 "params: {path: /tmp/n}}}]]}\n", tk);
	assert_int_equal(config_load_string("p", y, strlen(y), &cfg, stdout),
			 0);
	{
		int s = config_strategy_index(cfg, "fix");
		const struct cfg_action *a;

		assert_true(s >= 0);
		a = &cfg->strategies[s].actions[0];
		assert_int_equal(a->kind, ACTION_PLUGIN);
		assert_string_equal(a->plugin_kind, "touch");
		assert_string_equal(a->params_json, "{\"path\": \"/tmp/m\"}");
		assert_int_equal(a->timeout_ms, 500);
		assert_int_equal(cfg->components[0].probe.kind, PROBE_PLUGIN);
		assert_string_equal(cfg->components[0].probe.plugin_kind,
				    "file-exists");
		assert_int_equal(cfg->components[0].n_on[FAIL_PLUGIN], 1);
	}
	config_free(cfg);

	/* unknown kinds, params the plugin refuses, a missing kind */
	snprintf(y, sizeof(y),
		 "version: 1\nplugins:\n  - {path: %s}\n"
		 "strategies:\n"
		 "  s1: [{plugin: {kind: nope}}]\n"
		 "  s2: [{plugin: {kind: touch, params: {path: relative}}}]\n"
		 "  s3: [{plugin: {params: {}}}]\n"
		 "components:\n"
		 "  - name: a\n    command: [/bin/true]\n"
		 "    probe: {plugin: {kind: no-probe}}\n"
		 "    on: {crash: [s1, s2]}\n", tk);
	errs = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_int_equal(config_load_string("p", y, strlen(y), &cfg, errs),
			 -EINVAL);
	fclose(errs);
	assert_non_null(strstr(buf, "p:5:24: strategies.s1[0].plugin.kind: "
				    "unknown plugin action kind 'nope'"));
	assert_non_null(strstr(buf, "p:6:24: strategies.s2[0].plugin.kind: "
				    "plugin testkit refuses these params: "
				    "path: required"));
	assert_non_null(strstr(buf, "strategies.s3[0].plugin: missing key "
				    "'kind'"));
	assert_non_null(strstr(buf, "components[0].probe.plugin.kind: "
				    "unknown plugin probe kind 'no-probe'"));

	/* the kind of a plugin that is not listed, or refused */
	snprintf(y, sizeof(y),
		 "version: 1\nplugins:\n  - {path: /nonexistent/x.so}\n"
		 "strategies:\n  s1: [{plugin: {kind: touch, params: "
		 "{path: /tmp/m}}}]\n");
	buf[0] = '\0';
	errs = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_int_equal(config_load_string("p", y, strlen(y), &cfg, errs),
			 -EINVAL);
	fclose(errs);
	assert_non_null(strstr(buf, "unknown plugin action kind 'touch'"));
	assert_non_null(strstr(buf, "/nonexistent/x.so refused: directory "
				    "/nonexistent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_sink_rotates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_example_action, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_alertmanager_unreachable,
						setup, teardown),
		cmocka_unit_test(test_config_list),
		cmocka_unit_test(test_config_plugin_uses),
		cmocka_unit_test(test_tickets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

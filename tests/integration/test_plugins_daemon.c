/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_plugins_daemon.c - plugins in the real daemon ($DAEMON, root): the
 * refused ones (wrong ABI version, no descriptor, failing init, a
 * world-writable file) are logged and the daemon goes on, heals a real
 * crash, and the event-file sink it did load records the failure and the
 * outcome (and is reloaded on SIGHUP); the Alertmanager sink posts the
 * `alert` of a real crash to a real Alertmanager (Debian's
 * prometheus-alertmanager on a free loopback port, temp storage), which
 * then lists it at /api/v2/alerts.  The healer runs plugins
 * (tests/plugins/testkit.so): a plugin probe that fails (its marker file
 * is missing) is healed by a plugin action that creates the marker, the
 * outcome verified by the probe passing again; a plugin detector's
 * failure (a process of the component ran /bin/false) triggers the
 * component's `plugin` strategy, a real restart; a plugin action that
 * fails ends its chain with a failure outcome.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "healer_test.h"

#define AM_BIN	"/usr/bin/prometheus-alertmanager"

struct pd {
	char dir[64];
	char crasher[PATH_MAX];
	char plugins[256], tplugins[256];
	char cfg[128], out[128], err[128];
	pid_t daemon, am;
	int am_port;
};

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

/* $OUTPUT/plugins and $OUTPUT/tests/plugins, absolute. */
static int find_plugins(struct pd *d)
{
	char exe[200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0 || n >= (ssize_t)sizeof(exe) - 1)
		return -1;
	exe[n] = '\0';
	/* .../tests/integration/test_plugins_daemon */
	*strrchr(exe, '/') = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(d->tplugins, sizeof(d->tplugins), "%.200s/plugins", exe);
	*strrchr(exe, '/') = '\0';
	snprintf(d->plugins, sizeof(d->plugins), "%.200s/plugins", exe);
	return access(d->plugins, X_OK) || access(d->tplugins, X_OK);
}

static int setup(void **state)
{
	struct pd *d = calloc(1, sizeof(*d));
	struct ht tmp;

	if (!d || ht_find_crasher(&tmp) || find_plugins(d))
		return -1;
	snprintf(d->crasher, sizeof(d->crasher), "%s", tmp.crasher);
	snprintf(d->dir, sizeof(d->dir), "/tmp/hms-pd-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->cfg, sizeof(d->cfg), "%s/hms.yaml", d->dir);
	snprintf(d->out, sizeof(d->out), "%s/out.jsonl", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/err.txt", d->dir);
	*state = d;
	return 0;
}

static void stop_pid(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (int i = 0; i < 200 && !waitpid(*pid, NULL, WNOHANG); i++)
		usleep(50000);
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static int teardown(void **state)
{
	struct pd *d = *state;

	stop_pid(&d->daemon);	/* TERM first: it stops what it spawned */
	stop_pid(&d->am);
	harness_rmtree(d->dir);
	free(d);
	return 0;
}

static void write_cfg(struct pd *d, const char *plugins, const char *comps)
{
	FILE *f = fopen(d->cfg, "w");

	assert_non_null(f);
	fprintf(f, "daemon: {registry: %s/reg, socket: %s/hms.sock}\n",
		d->dir, d->dir);
	fprintf(f, "plugins:\n%s", plugins);
	fprintf(f, comps, d->crasher);
	fclose(f);
	chmod(d->cfg, 0644);
}

static pid_t run_daemon(struct pd *d)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[] = { daemon_path(), "--config", d->cfg,
				       "--json", "--no-tmux", "--duration",
				       "300", NULL };
		int fd = open(d->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		fd = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		setenv("HMS_NO_TMUX", "1", 1);
		unsetenv("JOURNAL_STREAM");
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

static bool file_has(const char *path, const char *text, int limit_ms)
{
	for (int waited = 0; waited <= limit_ms; waited += 50) {
		char *all = harness_slurp(path);
		bool found = strstr(all, text) != NULL;

		free(all);
		if (found)
			return true;
		usleep(50000);
	}
	fprintf(stderr, "%s lacks \"%s\"\n", path, text);
	return false;
}

/* Count occurrences of text in path. */
static int file_count(const char *path, const char *text)
{
	char *all = harness_slurp(path), *p = all;
	int n = 0;

	while ((p = strstr(p, text))) {
		n++;
		p += strlen(text);
	}
	free(all);
	return n;
}

/* The main pid of component comp once it is healthy (from --json). */
static long wait_healthy(struct pd *d, const char *comp, int skip_pid,
			 int limit_ms)
{
	for (int waited = 0; waited <= limit_ms; waited += 50) {
		char *all = harness_slurp(d->out), *line, *save = NULL;
		long pid = -1;

		for (line = strtok_r(all, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			json_t *o;

			if (!strstr(line, "component_state") ||
			    !strstr(line, comp))
				continue;
			o = json_loads(line, 0, NULL);
			if (o && !strcmp(json_string_value(json_object_get(
					 o, "new_state")) ?: "", "healthy") &&
			    !strcmp(json_string_value(json_object_get(
					 o, "component")) ?: "", comp) &&
			    json_integer_value(harness_json_path(o,
					"process.pid")) != skip_pid)
				pid = (long)json_integer_value(
					harness_json_path(o, "process.pid"));
			json_decref(o);
		}
		free(all);
		if (pid > 0)
			return pid;
		usleep(50000);
	}
	return -1;
}

static void test_refused_plugins_daemon_heals(void **state)
{
	struct pd *d = *state;
	char plugins[4096], ww[200], src[300], events[128], *cmd;
	long pid, pid2;
	int st;

	snprintf(src, sizeof(src), "%.250s/event_file.so", d->plugins);
	snprintf(ww, sizeof(ww), "%s/world.so", d->dir);
	assert_true(asprintf(&cmd, "cp '%s' '%s' && chmod 0666 '%s'", src,
			     ww, ww) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	snprintf(events, sizeof(events), "%s/events.jsonl", d->dir);
	snprintf(plugins, sizeof(plugins),
		 "  - {path: %1$s/bad_abi.so}\n"
		 "  - {path: %1$s/bad_nosym.so}\n"
		 "  - {path: %1$s/bad_init.so}\n"
		 "  - {path: %2$s}\n"
		 "  - path: %3$s\n"
		 "    config: {path: %4$s, max_bytes: 1048576,\n"
		 "             events: [failure, outcome, component_state]}\n",
		 d->tplugins, ww, src, events);
	write_cfg(d, plugins,
		  "components:\n"
		  "  - name: svc\n"
		  "    command: [%s, sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    verify_s: 0.3\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    on: {killed: [restart], crash: [restart]}\n");
	d->daemon = run_daemon(d);
	pid = wait_healthy(d, "svc", 0, 60000);
	assert_true(pid > 0);
	/* every refusal said why; the good one loaded */
	assert_true(file_has(d->err, "bad_abi.so refused: plugin ABI version "
			     "42, this daemon speaks version 1", 1000));
	assert_true(file_has(d->err, "bad_nosym.so refused: no hms_plugin_v1 "
			     "descriptor", 1000));
	assert_true(file_has(d->err, "bad_init.so refused: init failed", 1000));
	assert_true(file_has(d->err, "world.so: writable by others than root",
			     1000));
	assert_true(file_has(d->err, "plugin event-file loaded", 1000));
	/* and the daemon heals a real crash */
	assert_int_equal(kill((pid_t)pid, SIGSEGV), 0);
	pid2 = wait_healthy(d, "svc", (int)pid, 60000);
	assert_true(pid2 > 0 && pid2 != pid);
	assert_true(file_has(events, "\"type\":\"failure\"", 30000));
	assert_true(file_has(events, "\"success\":true", 30000));
	assert_int_equal(file_count(events, "\"type\":\"alert\""), 0);
	/* a reload unloads and loads the list again */
	kill(d->daemon, SIGHUP);
	assert_true(file_has(d->err, "plugin event-file unloaded", 30000));
	for (int i = 0; i < 600 &&
	     file_count(d->err, "plugin event-file loaded") < 2; i++)
		usleep(50000);
	assert_int_equal(file_count(d->err, "plugin event-file loaded"), 2);
	assert_int_equal(kill(d->daemon, 0), 0);
	kill(d->daemon, SIGTERM);
	assert_int_equal(waitpid(d->daemon, &st, 0), d->daemon);
	d->daemon = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* A port nobody listens on now (the kernel's choice). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* GET path on 127.0.0.1:port (HTTP/1.0): status, body into buf. */
static int http_get(int port, const char *path, char *buf, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status = -1;
	size_t got = 0;
	char req[256], *body;
	ssize_t n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	buf[0] = '\0';
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto cleanup;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
		     "Accept: application/json\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n)
		goto cleanup;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/%*s %d", &status) != 1)
		status = -1;
	body = strstr(buf, "\r\n\r\n");
	if (body)
		memmove(buf, body + 4, strlen(body + 4) + 1);
cleanup:
	close(fd);
	return status;
}

static int start_alertmanager(struct pd *d)
{
	char amcfg[128], storage[128], listen[64], cfgarg[160], storarg[160];
	char buf[4096];
	FILE *f;

	snprintf(amcfg, sizeof(amcfg), "%s/alertmanager.yml", d->dir);
	snprintf(storage, sizeof(storage), "%s/am", d->dir);
	f = fopen(amcfg, "w");
	assert_non_null(f);
	fprintf(f, "route: {receiver: blackhole}\n"
		   "receivers: [{name: blackhole}]\n");
	fclose(f);
	d->am_port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d",
		 d->am_port);
	snprintf(cfgarg, sizeof(cfgarg), "--config.file=%s", amcfg);
	snprintf(storarg, sizeof(storarg), "--storage.path=%s", storage);
	d->am = fork();
	if (d->am == 0) {
		char log[128];
		int fd;

		snprintf(log, sizeof(log), "%s/alertmanager.log", d->dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(AM_BIN, AM_BIN, cfgarg, storarg, listen,
		      "--cluster.listen-address=", (char *)NULL);
		_exit(127);
	}
	/* ready when /-/ready answers 200 */
	for (int i = 0; i < 1200; i++) {
		if (http_get(d->am_port, "/-/ready", buf, sizeof(buf)) == 200)
			return 0;
		if (waitpid(d->am, NULL, WNOHANG) == d->am) {
			d->am = 0;
			return -1;
		}
		usleep(50000);
	}
	return -1;
}

/* The alert of component comp in Alertmanager's list, with our labels. */
static bool am_lists(struct pd *d, const char *comp, const char *summary)
{
	static char buf[1 << 20];
	json_t *list, *a;
	bool found = false;
	size_t i;

	if (http_get(d->am_port, "/api/v2/alerts", buf, sizeof(buf)) != 200)
		return false;
	list = json_loads(buf, 0, NULL);
	json_array_foreach(list, i, a) {
		json_t *l = json_object_get(a, "labels");
		const char *s = json_string_value(json_object_get(
			json_object_get(a, "annotations"), "summary"));

		if (!strcmp(json_string_value(json_object_get(l, "component"))
			    ?: "", comp) &&
		    !strcmp(json_string_value(json_object_get(l, "alertname"))
			    ?: "", "HmsEbpfAlert") &&
		    !strcmp(json_string_value(json_object_get(l, "severity"))
			    ?: "", "critical") &&
		    !strcmp(json_string_value(json_object_get(l, "team"))
			    ?: "", "ops") &&
		    s && strstr(s, summary))
			found = true;
	}
	json_decref(list);
	return found;
}

static void test_alertmanager_receives_alert(void **state)
{
	struct pd *d = *state;
	char plugins[1024];
	long pid;
	bool listed = false;
	int st;

	if (access(AM_BIN, X_OK)) {
		fprintf(stderr, "%s missing: install prometheus-alertmanager "
			"(tools/install-deps.sh)\n", AM_BIN);
		fail();
	}
	assert_int_equal(start_alertmanager(d), 0);
	/* nothing of ours there before the crash */
	assert_false(am_lists(d, "svc-am", "paged by test"));
	snprintf(plugins, sizeof(plugins),
		 "  - path: %s/alertmanager.so\n"
		 "    config: {url: \"http://127.0.0.1:%d/\", timeout_ms: 5000,"
		 " labels: {team: ops}}\n", d->plugins, d->am_port);
	write_cfg(d, plugins,
		  "strategies:\n"
		  "  page: [{alert: {severity: critical, message: "
		  "\"paged by test\"}}, {restart: {}}]\n"
		  "components:\n"
		  "  - name: svc-am\n"
		  "    command: [%s, sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    verify_s: 0.3\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    on: {killed: [page], crash: [page]}\n");
	d->daemon = run_daemon(d);
	pid = wait_healthy(d, "svc-am", 0, 60000);
	assert_true(pid > 0);
	assert_true(file_has(d->err, "plugin alertmanager: alerts go to "
			     "http://127.0.0.1:", 1000));
	assert_int_equal(kill((pid_t)pid, SIGSEGV), 0);
	/* the daemon published the alert ... */
	assert_true(file_has(d->out, "paged by test", 30000));
	/* ... and the real Alertmanager lists it */
	for (int i = 0; i < 600 && !listed; i++) {
		listed = am_lists(d, "svc-am", "paged by test");
		if (!listed)
			usleep(50000);
	}
	assert_true(listed);
	assert_int_equal(file_count(d->err, "not delivered"), 0);
	/* the plugin unloads cleanly (under ASan: nothing leaked) */
	kill(d->daemon, SIGTERM);
	assert_int_equal(waitpid(d->daemon, &st, 0), d->daemon);
	d->daemon = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(file_has(d->err, "plugin alertmanager unloaded", 0));
}

static void write_raw_cfg(struct pd *d, const char *body)
{
	FILE *f = fopen(d->cfg, "w");

	assert_non_null(f);
	fprintf(f, "daemon: {registry: %s/reg, socket: %s/hms.sock}\n%s",
		d->dir, d->dir, body);
	fclose(f);
	chmod(d->cfg, 0644);
}

static void stop_daemon_ok(struct pd *d)
{
	int st;

	kill(d->daemon, SIGTERM);
	assert_int_equal(waitpid(d->daemon, &st, 0), d->daemon);
	d->daemon = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* probe plugin fails -> plugin action heals -> probe passes: success */
static void test_plugin_probe_and_action_heal(void **state)
{
	struct pd *d = *state;
	char body[8192], marker[128];
	json_t *ev;
	int skip = 0;

	snprintf(marker, sizeof(marker), "%s/marker", d->dir);
	snprintf(body, sizeof(body),
		 "plugins:\n  - {path: %s/testkit.so}\n"
		 "strategies:\n"
		 "  fix-marker: [{plugin: {kind: touch, params: {path: %s},"
		 " timeout_ms: 5000}}]\n"
		 "components:\n"
		 "  - name: svc-probe\n"
		 "    command: [%s, sleep]\n"
		 "    start_grace_s: 0.1\n"
		 "    verify_s: 0.5\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    probe: {plugin: {kind: file-exists, params: {path: %s}},"
		 " interval_s: 0.2, failures: 2}\n"
		 "    on: {probe: [fix-marker]}\n",
		 d->tplugins, marker, d->crasher, marker);
	write_raw_cfg(d, body);
	d->daemon = run_daemon(d);
	ev = harness_json_wait(d->out, &skip, "failure", "svc-probe",
			       "failure", "probe", 0, 60000);
	assert_non_null(ev);
	assert_non_null(strstr(json_string_value(json_object_get(ev, "cause"))
			       ?: "", "marker missing"));
	json_decref(ev);
	ev = harness_json_wait(d->out, &skip, "action", "svc-probe", "detail",
			       "created", 0, 30000);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "result")),
			    "ok");
	assert_string_equal(json_string_value(json_object_get(ev, "kind")),
			    "plugin");
	assert_string_equal(json_string_value(json_object_get(ev, "phase")),
			    "finished");
	json_decref(ev);
	assert_int_equal(access(marker, F_OK), 0);
	ev = harness_json_wait(d->out, &skip, "outcome", "svc-probe",
			       "strategy", "fix-marker", 0, 30000);
	assert_non_null(ev);
	assert_true(json_is_true(json_object_get(ev, "success")));
	assert_string_equal(json_string_value(json_object_get(ev, "failure")),
			    "probe");
	json_decref(ev);
	/* a reload naming an action kind no plugin has is rejected at its
	 * line, and the daemon goes on with the old configuration */
	snprintf(body, sizeof(body),
		 "plugins:\n  - {path: %s/testkit.so}\n"
		 "strategies:\n"
		 "  fix-marker: [{plugin: {kind: no-such-kind}}]\n"
		 "components:\n"
		 "  - name: svc-probe\n"
		 "    command: [%s, sleep]\n",
		 d->tplugins, d->crasher);
	write_raw_cfg(d, body);
	kill(d->daemon, SIGHUP);
	assert_true(file_has(d->err, "hms.yaml:5:32: strategies.fix-marker[0]"
			     ".plugin.kind: unknown plugin action kind "
			     "'no-such-kind'", 30000));
	assert_true(file_has(d->err, "the old configuration stays", 30000));
	assert_int_equal(kill(d->daemon, 0), 0);
	stop_daemon_ok(d);
}

/* a detector's failure (class in the cause) runs the `plugin` strategy */
static void test_plugin_detector_triggers_restart(void **state)
{
	struct pd *d = *state;
	char body[8192];
	json_t *ev;
	long pid, pid2;
	int skip = 0;

	snprintf(body, sizeof(body),
		 "plugins:\n  - {path: %s/testkit.so, config: {suffix: /false}}\n"
		 "components:\n"
		 "  - name: svc-det\n"
		 "    command: [/bin/sh, -c, \"if [ ! -e %s/ran ]; then : > "
		 "%s/ran; sleep 1; /bin/false; fi; exec sleep 600\"]\n"
		 "    start_grace_s: 0.1\n"
		 "    verify_s: 0.5\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    on: {plugin: [restart]}\n",
		 d->tplugins, d->dir, d->dir);
	write_raw_cfg(d, body);
	d->daemon = run_daemon(d);
	pid = wait_healthy(d, "svc-det", 0, 60000);
	assert_true(pid > 0);
	ev = harness_json_wait(d->out, &skip, "failure", "svc-det", "failure",
			       "plugin", 0, 60000);
	assert_non_null(ev);
	assert_non_null(strstr(json_string_value(json_object_get(ev, "cause"))
			       ?: "", "forbidden-exec: pid"));
	json_decref(ev);
	ev = harness_json_wait(d->out, &skip, "outcome", "svc-det", "failure",
			       "plugin", 0, 30000);
	assert_non_null(ev);
	assert_true(json_is_true(json_object_get(ev, "success")));
	assert_string_equal(json_string_value(json_object_get(ev, "strategy")),
			    "restart");
	json_decref(ev);
	pid2 = wait_healthy(d, "svc-det", (int)pid, 30000);
	assert_true(pid2 > 0 && pid2 != pid);
	stop_daemon_ok(d);
}

/* a plugin action that answers an error ends the chain: failure outcome */
static void test_plugin_action_failure(void **state)
{
	struct pd *d = *state;
	char body[8192];
	json_t *ev;
	long pid;
	int skip = 0;

	snprintf(body, sizeof(body),
		 "plugins:\n  - {path: %s/testkit.so}\n"
		 "strategies:\n"
		 "  broken: [{plugin: {kind: touch, params: {path: %s/m, "
		 "fail: true}}}, {restart: {}}]\n"
		 "components:\n"
		 "  - name: svc-fail\n"
		 "    command: [%s, sleep]\n"
		 "    start_grace_s: 0.1\n"
		 "    verify_s: 0.3\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    budget: {max: 1, interval_s: 600}\n"
		 "    on: {killed: [broken], crash: [broken]}\n",
		 d->tplugins, d->dir, d->crasher);
	write_raw_cfg(d, body);
	d->daemon = run_daemon(d);
	pid = wait_healthy(d, "svc-fail", 0, 60000);
	assert_true(pid > 0);
	assert_int_equal(kill((pid_t)pid, SIGSEGV), 0);
	ev = harness_json_wait(d->out, &skip, "action", "svc-fail", "detail",
			       "asked to fail", 0, 30000);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "result")),
			    "EIO");
	assert_int_equal(json_integer_value(json_object_get(ev, "errno")),
			 EIO);
	json_decref(ev);
	ev = harness_json_wait(d->out, &skip, "outcome", "svc-fail", "strategy",
			       "broken", 0, 30000);
	assert_non_null(ev);
	assert_false(json_is_true(json_object_get(ev, "success")));
	json_decref(ev);
	stop_daemon_ok(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_refused_plugins_daemon_heals, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_alertmanager_receives_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plugin_probe_and_action_heal, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plugin_detector_triggers_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plugin_action_failure, setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_plugins_daemon: needs root, skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

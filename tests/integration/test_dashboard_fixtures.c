// SPDX-License-Identifier: BSD-2-Clause
/* test_dashboard_fixtures.c - the views drawn by real panes in a real
 * tmux (private server, 80x24 and 200x60 windows) must read exactly like
 * the expected text in tests/fixtures/views: this binary serves the fixed
 * event script (script.jsonl) on a unix socket to `view NAME` panes (this
 * binary again, argv[1] == "view") and compares capture-pane with the
 * fixture.  Checks the whole path the unit test skips: socket, parsing,
 * painting only changed lines, colour codes, UTF-8 in tmux.  Then what a
 * pane does besides drawing: --once and --json (one frame to a pipe, then
 * exit), the y/N question before a destructive key, the ? overlay, and
 * NO_COLOR / TERM=dumb (no SGR sequence, ASCII only). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <jansson.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

#include "loop.h"
#include "view.h"

static struct {
	char dir[32], sock[64], tmux_name[32], self[512];
	char fixdir[PATH_MAX];
	char *script;
	int lfd;
} F;

static int tmux(char *out, size_t len, const char *const *args)
{
	return harness_tmux(F.tmux_name, out, len, args);
}

/* Right-trim every line and drop trailing empty lines (capture-pane
 * trims, the fixtures are padded). */
static void normalize(char *s)
{
	char *in = s, *out = s, *line_end;

	while (*in) {
		size_t len;

		line_end = strchr(in, '\n');
		len = line_end ? (size_t)(line_end - in) : strlen(in);
		while (len && in[len - 1] == ' ')
			len--;
		memmove(out, in, len);
		out += len;
		*out++ = '\n';
		if (!line_end)
			break;
		in = line_end + 1;
	}
	while (out > s + 1 && out[-1] == '\n' && out[-2] == '\n')
		out--;
	*out = '\0';
}

/* Serve text to one pane after its subscribe. */
static int serve_text(const char *text)
{
	struct pollfd p = { .fd = F.lfd, .events = POLLIN };
	char buf[1024];
	size_t off = 0, len = strlen(text);
	int fd;

	if (poll(&p, 1, 20000) != 1)
		return -ETIMEDOUT;
	fd = accept(F.lfd, NULL, NULL);
	if (fd < 0)
		return -errno;
	if (read(fd, buf, sizeof(buf)) <= 0)	/* the subscribe line */
		return -EPROTO;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n <= 0)
			return -EIO;
		off += n;
	}
	return fd;	/* kept open: the pane stays "connected" */
}

/* The script: hello ... result. */
static int serve_one(void)
{
	return serve_text(F.script);
}

static void check_view(const char *view, int w, int h)
{
	char path[PATH_MAX + 64], ws[16], hs[16], session[64], got[65536];
	char *want;
	int fd, match = 0;

	snprintf(path, sizeof(path), "%s/%s-%dx%d.txt", F.fixdir, view, w, h);
	want = harness_slurp(path);
	assert_non_null(want);
	normalize(want);
	snprintf(ws, sizeof(ws), "%d", w);
	snprintf(hs, sizeof(hs), "%d", h);
	snprintf(session, sizeof(session), "fix-%s-%d", view, w);
	assert_int_equal(tmux(NULL, 0, (const char *[]){ "new-session", "-d",
		"-s", session, "-x", ws, "-y", hs, F.self, "view", view,
		"--socket", F.sock, NULL }), 0);
	fd = serve_one();
	assert_true(fd >= 0);
	for (int i = 0; i < 100 && !match; i++) {
		char target[80];

		usleep(50000);
		snprintf(target, sizeof(target), "=%s:", session);
		tmux(got, sizeof(got), (const char *[]){ "capture-pane", "-p",
			"-t", target, NULL });
		normalize(got);
		match = !strcmp(got, want);
	}
	if (!match)
		fprintf(stderr, "%s at %dx%d, pane shows:\n%s\nwanted:\n%s\n",
			view, w, h, got, want);
	close(fd);
	tmux(NULL, 0, (const char *[]){ "kill-session", "-t", session, NULL });
	free(want);
	assert_true(match);
}

/* Start a pane in a new session (env: "NAME=VALUE" or NULL), serve it
 * the script; the served socket (kept open) is returned. */
static int pane_start(const char *session, const char *view, const char *env)
{
	const char *args[24];
	int n = 0;

	args[n++] = "new-session";
	args[n++] = "-d";
	args[n++] = "-s";
	args[n++] = session;
	args[n++] = "-x";
	args[n++] = "80";
	args[n++] = "-y";
	args[n++] = "24";
	if (env) {		/* (tmux sets TERM in a pane after -e) */
		args[n++] = "/usr/bin/env";
		args[n++] = env;
	}
	args[n++] = F.self;
	args[n++] = "view";
	args[n++] = view;
	args[n++] = "--socket";
	args[n++] = F.sock;
	args[n] = NULL;
	assert_int_equal(tmux(NULL, 0, args), 0);
	return serve_one();
}

/* Wait until the session's pane shows needle (with -e: attributes as
 * escape sequences); the capture stays in got. */
static int pane_wait(const char *session, const char *needle, int escapes,
		     char *got, size_t len)
{
	char target[80];

	snprintf(target, sizeof(target), "=%s:", session);
	for (int i = 0; i < 200; i++) {
		tmux(got, len, (const char *[]){ "capture-pane", "-p",
			escapes ? "-e" : "-J", "-t", target, NULL });
		if (strstr(got, needle))
			return 1;
		usleep(50000);
	}
	fprintf(stderr, "%s never showed \"%s\":\n%s\n", session, needle,
		got);
	return 0;
}

static void keys(const char *session, const char *k)
{
	char target[80];

	snprintf(target, sizeof(target), "=%s:", session);
	tmux(NULL, 0, (const char *[]){ "send-keys", "-t", target, k, NULL });
}

static void pane_stop(const char *session, int fd)
{
	close(fd);
	tmux(NULL, 0, (const char *[]){ "kill-session", "-t", session, NULL });
}

/* Run `view ARGS...` with its output to a pipe against the script: the
 * output (malloc'd) once it exits by itself, its status in *status. */
static char *run_piped(const char *const *extra, int *status)
{
	const char *argv[16] = { F.self, "view" };
	int p[2], n = 2, fd;
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	pid_t pid;

	for (int i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n++] = "--socket";
	argv[n++] = F.sock;
	argv[n] = NULL;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(F.self, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	fd = serve_one();
	assert_true(fd >= 0);
	for (;;) {		/* EOF: it exited (the socket stays open) */
		ssize_t r = read(p[0], out + len, cap - len - 1);

		if (r <= 0)
			break;
		len += r;
		if (len + 1 == cap)
			out = realloc(out, cap *= 2);
	}
	out[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
	close(fd);
	return out;
}

/* --once: one plain frame (what the fixture shows), then exit 0. */
static void test_once(void **s)
{
	char path[PATH_MAX + 64], *want, *got;
	int status;

	(void)s;
	got = run_piped((const char *[]){ "processes", "--once", "--size",
		"80x24", NULL }, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/processes-80x24.txt", F.fixdir);
	want = harness_slurp(path);
	assert_non_null(want);
	assert_null(strchr(got, '\033'));
	normalize(got);
	normalize(want);
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* a locale that is not UTF-8 (outside tmux): ASCII only */
	unsetenv("TMUX");
	setenv("LC_ALL", "C", 1);
	got = run_piped((const char *[]){ "strategies", "--once", NULL },
			&status);
	assert_non_null(strstr(got, "> gentle-restart"));
	for (const char *c = got; *c; c++)
		assert_true((unsigned char)*c < 0x80);
	free(got);
	setenv("LC_ALL", "C.UTF-8", 1);
	got = run_piped((const char *[]){ "strategies", "--once", NULL },
			&status);
	assert_non_null(strstr(got, "\u25b6 gentle-restart"));
	free(got);
	unsetenv("LC_ALL");
	/* no --once, but a pipe: one frame too, never frames forever */
	got = run_piped((const char *[]){ "events", NULL }, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(got, " hms-ebpf events | 39 events"));
	assert_null(strstr(strstr(got, " hms-ebpf events") + 1,
			   " hms-ebpf events"));
	free(got);
}

/* --json: the view's data for scripts, with each strategy's chance of
 * being picked next. */
static void test_json(void **s)
{
	json_t *doc, *arr, *st;
	int status, found = 0;
	char *got;
	size_t i;

	(void)s;
	got = run_piped((const char *[]){ "strategies", "--json", NULL },
			&status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	doc = json_loads(got, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "view")),
			    "strategies");
	arr = json_object_get(doc, "strategies");
	assert_int_equal(json_array_size(arr), 4);
	json_array_foreach(arr, i, st)
		if (!strcmp(json_string_value(json_object_get(st, "strategy")),
			    "reload")) {
			assert_true(json_real_value(json_object_get(st,
				"p_next")) == 0.38);
			found = 1;
		}
	assert_true(found);
	json_decref(doc);
	free(got);
	/* no daemon: an error, not an endless wait */
	{
		pid_t pid = fork();

		if (!pid) {
			execl(F.self, F.self, "view", "events", "--once",
			      "--socket", "/nonexistent/s", (char *)NULL);
			_exit(127);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	}
}

/* R asks before it restarts; n cancels; y sends the request for the row
 * asked about.  h (a navigation letter) acts on nothing. */
static void test_confirm(void **s)
{
	char got[65536], req[512] = "";
	struct pollfd p;
	int fd;
	ssize_t n;

	(void)s;
	fd = pane_start("confirm", "processes", NULL);
	assert_true(fd >= 0);
	assert_true(pane_wait("confirm", ">!", 0, got, sizeof(got)));
	keys("confirm", "h");
	keys("confirm", "R");
	assert_true(pane_wait("confirm", "restart (heal) cache now? y/N", 0,
			      got, sizeof(got)));
	keys("confirm", "n");
	assert_true(pane_wait("confirm", "heal cache: cancelled", 0, got,
			      sizeof(got)));
	keys("confirm", "R");
	assert_true(pane_wait("confirm", "cache now? y/N", 0, got,
			      sizeof(got)));
	keys("confirm", "y");
	for (size_t len = 0; !strchr(req, '\n') && len < sizeof(req) - 1;) {
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 20000), 1);
		n = read(fd, req + len, sizeof(req) - 1 - len);
		assert_true(n > 0);
		len += n;
		req[len] = '\0';
	}
	/* the first request: h sent nothing, n sent nothing */
	assert_string_equal(req, "{\"cmd\":\"heal\",\"component\":\"cache\","
			    "\"id\":1}\n");
	/* ? lists every key, any key closes it */
	keys("confirm", "?");
	assert_true(pane_wait("confirm", "keys of the processes view", 0, got,
			      sizeof(got)));
	assert_non_null(strstr(got, "S          stop it (asks y/N)"));
	keys("confirm", "Space");
	assert_true(pane_wait("confirm", "COMM", 0, got, sizeof(got)));
	pane_stop("confirm", fd);
}

/* A daemon of another protocol version: the pane says so. */
static void test_version(void **s)
{
	char got[65536];
	int fd;

	(void)s;
	assert_int_equal(tmux(NULL, 0, (const char *[]){ "new-session", "-d",
		"-s", "ver", "-x", "80", "-y", "24", F.self, "view", "events",
		"--socket", F.sock, NULL }), 0);
	fd = serve_text("{\"type\":\"hello\",\"version\":1,\"role\":\"act\"}\n"
			"{\"type\":\"snapshot\"}\n");
	assert_true(fd >= 0);
	assert_true(pane_wait("ver", "protocol 1, this pane 2: restart", 0,
			      got, sizeof(got)));
	pane_stop("ver", fd);
}

/* NO_COLOR: not one SGR sequence in the pane (and there are some
 * without it, so this can fail); TERM=dumb: ASCII only as well. */
static void test_no_color(void **s)
{
	char got[65536];
	int fd;

	(void)s;
	fd = pane_start("color", "strategies", NULL);
	assert_true(pane_wait("color", "gentle-restart", 1, got, sizeof(got)));
	assert_non_null(strstr(got, "\033["));
	pane_stop("color", fd);
	fd = pane_start("nocolor", "strategies", "NO_COLOR=1");
	assert_true(pane_wait("nocolor", "gentle-restart", 1, got,
			      sizeof(got)));
	assert_null(strstr(got, "\033["));
	assert_non_null(strstr(got, "\u25b6 gentle-restart"));
	pane_stop("nocolor", fd);
	fd = pane_start("dumb", "strategies", "TERM=dumb");
	assert_true(pane_wait("dumb", "> gentle-restart", 1, got,
			      sizeof(got)));
	assert_null(strstr(got, "\033["));
	for (const char *c = got; *c; c++)
		assert_true((unsigned char)*c < 0x80);
	pane_stop("dumb", fd);
}

#define VIEW_TEST(name)							\
static void test_##name##_80x24(void **s) { (void)s; check_view(#name, 80, 24); } \
static void test_##name##_200x60(void **s) { (void)s; check_view(#name, 200, 60); }
VIEW_TEST(processes)
VIEW_TEST(events)
VIEW_TEST(metrics)
VIEW_TEST(strategies)

static int find_fixtures(void)
{
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	if (!access("tests/fixtures/views/script.jsonl", R_OK)) {
		snprintf(F.fixdir, sizeof(F.fixdir), "tests/fixtures/views");
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	while ((slash = strrchr(exe, '/')) && slash != exe) {
		*slash = '\0';
		snprintf(F.fixdir, sizeof(F.fixdir), "%s/tests/fixtures/views",
			 exe);
		if (!access(F.fixdir, R_OK))
			return 0;
	}
	return -ENOENT;
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[PATH_MAX + 32];
	ssize_t n;

	(void)state;
	if (find_fixtures())
		return -1;
	snprintf(path, sizeof(path), "%s/script.jsonl", F.fixdir);
	F.script = harness_slurp(path);
	n = readlink("/proc/self/exe", F.self, sizeof(F.self) - 1);
	snprintf(F.dir, sizeof(F.dir), "/tmp/hms-fix-XXXXXX");
	if (!F.script || n <= 0 || !mkdtemp(F.dir))
		return -1;
	snprintf(F.sock, sizeof(F.sock), "%s/s", F.dir);
	snprintf(F.tmux_name, sizeof(F.tmux_name), "hms-fix-%d", getpid());
	strcpy(sa.sun_path, F.sock);
	F.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (F.lfd < 0 || bind(F.lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(F.lfd, 4))
		return -1;
	/* one server for all: it must not exit between two sessions */
	return tmux(NULL, 0, (const char *[]){ "start-server", ";",
		"set-option", "-s", "exit-empty", "off", NULL }) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	tmux(NULL, 0, (const char *[]){ "kill-server", NULL });
	harness_tmux_unlink(F.tmux_name);
	close(F.lfd);
	unlink(F.sock);
	rmdir(F.dir);
	free(F.script);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_processes_80x24),
		cmocka_unit_test(test_processes_200x60),
		cmocka_unit_test(test_events_80x24),
		cmocka_unit_test(test_events_200x60),
		cmocka_unit_test(test_metrics_80x24),
		cmocka_unit_test(test_metrics_200x60),
		cmocka_unit_test(test_strategies_80x24),
		cmocka_unit_test(test_strategies_200x60),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_no_color),
		cmocka_unit_test(test_version),
	};

	if (argc > 1 && !strcmp(argv[1], "view"))
		return view_main(argc - 1, argv + 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}

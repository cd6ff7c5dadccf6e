// SPDX-License-Identifier: BSD-2-Clause
/* test_dashboard_fixtures.c - the views drawn by real panes in a real
 * tmux (private server, 80x24 and 200x60 windows) must read exactly like
 * the expected text in tests/fixtures/views: this binary serves the fixed
 * event script (script.jsonl) on a unix socket to `view NAME` panes (this
 * binary again, argv[1] == "view") and compares capture-pane with the
 * fixture.  Checks the whole path the unit test skips: socket, parsing,
 * painting only changed lines, colour codes, UTF-8 in tmux. */
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

/* Serve the script to one pane: hello ... result, after its subscribe. */
static int serve_one(void)
{
	struct pollfd p = { .fd = F.lfd, .events = POLLIN };
	char buf[1024];
	size_t off = 0, len = strlen(F.script);
	int fd;

	if (poll(&p, 1, 20000) != 1)
		return -ETIMEDOUT;
	fd = accept(F.lfd, NULL, NULL);
	if (fd < 0)
		return -errno;
	if (read(fd, buf, sizeof(buf)) <= 0)	/* the subscribe line */
		return -EPROTO;
	while (off < len) {
		ssize_t n = write(fd, F.script + off, len - off);

		if (n <= 0)
			return -EIO;
		off += n;
	}
	return fd;	/* kept open: the pane stays "connected" */
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
	};

	if (argc > 1 && !strcmp(argv[1], "view"))
		return view_main(argc - 1, argv + 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}

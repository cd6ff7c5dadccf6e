// SPDX-License-Identifier: BSD-2-Clause
/* test_dashboard.c - the dashboard end to end: real BPF sensors, a real
 * publisher socket in a temp dir, a real tmux server on a private socket
 * (tmux -L hms-test-PID -f /dev/null) whose panes run this very binary as
 * `view NAME` (argv[1] == "view" dispatches to view_main), real crashing
 * children, and peers of other uids (fork + setuid) on the socket.  A
 * small fake healer stands in for userspace/healer.c: one component,
 * "victim", whose recovery really starts a new process.  Every wait polls
 * with a generous limit; nothing asserts a duration. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "dashboard.h"
#include "harness.h"
#include "proctable.h"
#include "publisher.h"
#include "view.h"

#define HOSTILE		"\x1b]0;pwn\x07\n\xff"
#define HOSTILE_SHOWN	"\\e]0;pwn\\x07\\n\\xff"
#define LIMIT_MS	20000

static const char *const views[4] = {
	"processes", "strategies", "events", "metrics",
};

static struct {
	struct harness h;
	struct hms_proctable *pt;
	struct hms_publisher *pub;
	struct hms_dashboard *dash;
	char dir[32], sock[64], tmux_name[32], self[512];
	char pane[4][16];		/* pane ids by views[] */
	/* the fake healer's one component */
	pid_t victim;
	unsigned int restarts;
	unsigned int state;		/* enum healer_state */
} T;

/* ---- the fake healer ---- */

static pid_t victim_spawn(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* like an exec'd service: keep none of the daemon's fds */
		close_range(3, ~0u, 0);
		prctl(PR_SET_NAME, "victim");
		for (;;)
			pause();
	}
	return pid;
}

static int fake_components(void *ctx, publisher_component_cb cb, void *arg)
{
	struct publisher_component c = { "victim", T.state, (uint32_t)T.victim,
					 T.restarts, "", "", false,
					 NULL, 0, "", false, NULL, NULL, 0, NULL };

	(void)ctx;
	return cb(&c, arg);
}

static int fake_strategies(void *ctx, publisher_strategy_cb cb, void *arg)
{
	struct publisher_strategy s = { "victim", "crash", "gentle-restart",
					4, 1, 0.8, 5, 150, 400, true, 1.0 };

	(void)ctx;
	return cb(&s, arg);
}

static int fake_act(void *ctx, const struct publisher_act *a, char *msg,
                    size_t len)
{
	const char *verb = a->verb, *comp = a->component;

	(void)ctx;
	if (strcmp(comp, "victim")) {
		snprintf(msg, len, "unknown component");
		return -ENOENT;
	}
	if (strcmp(verb, "heal")) {
		snprintf(msg, len, "%s noted", verb);
		return 0;
	}
	kill(T.victim, SIGKILL);
	harness_reap(T.victim);
	T.victim = victim_spawn();
	T.restarts++;
	T.state = HEALER_HEALTHY;
	snprintf(msg, len, "restarted as pid %d", (int)T.victim);
	return 0;
}

static const struct publisher_sources sources = {
	.components = fake_components, .strategies = fake_strategies,
	.act = fake_act,
};

/* ---- tmux and polling ---- */

/* Run tmux on our private server; its stdout (all of it) into out. */
static int tmux(char *out, size_t len, const char *const *args)
{
	return harness_tmux(T.tmux_name, out, len, args);
}

static char screen[65536];

static const char *capture(int view)
{
	tmux(screen, sizeof(screen), (const char *[]){ "capture-pane", "-p",
		"-t", T.pane[view], NULL });
	return screen;
}

/* Pump the daemon's loop until every needle shows in the view's pane. */
static int wait_pane(int view, const char *a, const char *b)
{
	uint64_t end = loop_now_ns() + LIMIT_MS * 1000000ull;

	while (loop_now_ns() < end) {
		for (int i = 0; i < 10; i++)
			loop_run_once(T.h.loop, 20);
		capture(view);
		if (strstr(screen, a) && (!b || strstr(screen, b)))
			return 1;
	}
	fprintf(stderr, "pane %s never showed \"%s\" \"%s\":\n%s\n",
		views[view], a, b ? b : "", screen);
	return 0;
}

/* Type a filter into a pane ('/' TEXT Enter). */
static void filter(int view, const char *text)
{
	tmux(NULL, 0, (const char *[]){ "send-keys", "-t", T.pane[view], "/",
		NULL });
	tmux(NULL, 0, (const char *[]){ "send-keys", "-t", T.pane[view], "-l",
		text, NULL });
	tmux(NULL, 0, (const char *[]){ "send-keys", "-t", T.pane[view],
		"Enter", NULL });
}

static void pump(int ms)
{
	harness_pump(&T.h, ms);
}

static int wait_clients(size_t n)
{
	uint64_t end = loop_now_ns() + LIMIT_MS * 1000000ull;

	while (loop_now_ns() < end && publisher_clients(T.pub) != n)
		loop_run_once(T.h.loop, 50);
	return publisher_clients(T.pub) == n;
}

/* dashboard_new returns at once; the session is made in the loop. */
static int dash_wait_ready(struct hms_dashboard *d)
{
	for (int i = 0; i < 400 && !dashboard_ready(d); i++)
		loop_run_once(T.h.loop, 50);
	return dashboard_ready(d) > 0 ? 0 : -1;
}

static int start_publisher(void)
{
	struct publisher_opts o = { .path = T.sock, .socket_group = 0,
				    .viewer_group = 65534, .mode = 0666 };

	return publisher_new(&o, T.h.loop, T.h.bus, T.pt, &sources, &T.pub);
}

static int group_setup(void **state)
{
	struct dashboard_opts d = { .session = "hms", .layout = "default",
				    .tmux_config = "/dev/null",
				    .sources = &sources, .width = 240,
				    .height = 60, .kill_on_free = true };
	char ids[512], *line, *save = NULL;
	ssize_t n;

	(void)state;
	if (harness_need_root() || harness_start(&T.h, NULL))
		return -1;
	n = readlink("/proc/self/exe", T.self, sizeof(T.self) - 1);
	assert_true(n > 0);
	snprintf(T.dir, sizeof(T.dir), "/tmp/hms-dash-XXXXXX");
	assert_non_null(mkdtemp(T.dir));
	chmod(T.dir, 0755);		/* other uids must reach the socket */
	snprintf(T.sock, sizeof(T.sock), "%s/hms.sock", T.dir);
	snprintf(T.tmux_name, sizeof(T.tmux_name), "hms-test-%d", getpid());
	T.state = HEALER_HEALTHY;
	T.victim = victim_spawn();
	assert_int_equal(proctable_new(T.h.bus, &T.pt), 0);
	assert_int_equal(start_publisher(), 0);
	d.self_exe = T.self;
	d.socket_path = T.sock;
	d.tmux_socket = T.tmux_name;
	assert_int_equal(dashboard_new(&d, T.h.loop, T.h.bus, &T.dash), 0);
	assert_int_equal(dash_wait_ready(T.dash), 0);
	tmux(ids, sizeof(ids), (const char *[]){ "list-panes", "-t", "=hms:",
		"-F", "#{pane_id} #{pane_title}", NULL });
	for (line = strtok_r(ids, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		for (int i = 0; i < 4; i++)
			if (!strcmp(strchr(line, ' ') + 1, views[i]))
				snprintf(T.pane[i], sizeof(T.pane[i]), "%.*s",
					 (int)(strchr(line, ' ') - line), line);
	return 0;
}

static int group_teardown(void **state)
{
	char rm[160];

	(void)state;
	dashboard_free(T.dash);
	/* normally gone with the session already */
	tmux(NULL, 0, (const char *[]){ "kill-server", NULL });
	harness_tmux_unlink(T.tmux_name);
	publisher_free(T.pub);
	proctable_free(T.pt);
	harness_stop(&T.h);
	if (T.victim > 0) {
		kill(T.victim, SIGKILL);
		harness_reap(T.victim);
	}
	snprintf(rm, sizeof(rm), "%s", T.dir);
	rmdir(rm);
	return 0;
}

/* ---- tests ---- */

static void test_session_panes(void **state)
{
	char titles[512], cmd[4096];

	(void)state;
	tmux(titles, sizeof(titles), (const char *[]){ "list-panes", "-t",
		"=hms:", "-F", "#{pane_title}", NULL });
	/* tmux lists by position: left column first */
	assert_string_equal(titles, "processes\nevents\nstrategies\nmetrics\n");
	/* each pane runs "<self> view NAME --socket PATH", no shell */
	tmux(cmd, sizeof(cmd), (const char *[]){ "list-panes", "-t", "=hms:",
		"-F", "#{pane_start_command}", NULL });
	assert_non_null(strstr(cmd, "view events --socket"));
	assert_null(strstr(cmd, "sh -c"));
	assert_true(wait_clients(4));
	for (int i = 0; i < 4; i++) {
		char head[64];

		snprintf(head, sizeof(head), " hms-ebpf %s |", views[i]);
		assert_true(wait_pane(i, head, "connected"));
	}
	assert_true(wait_pane(1, "gentle-restart", "\u25b6"));
	assert_true(wait_pane(3, "events/s", "recover"));
}

/* Reap our child while the daemon's loop keeps running, as it would. */
static int reap_pumping(pid_t pid)
{
	int status;

	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		loop_run_once(T.h.loop, 20);
	}
	return harness_reap(pid);
}

static int crash_child(void *arg)
{
	prctl(PR_SET_NAME, (const char *)arg);
	/* live past the sensors' bulk batch so that the fork is known
	 * before the crash (the proctable ignores exits of unknown pids) */
	usleep(300000);
	raise(SIGSEGV);
	return 0;
}

static void test_crash_shows(void **state)
{
	char pid[16];
	pid_t child;

	(void)state;
	child = harness_fork(crash_child, "crashme");
	assert_true(WIFSIGNALED(reap_pumping(child)));
	snprintf(pid, sizeof(pid), " %d ", (int)child);
	/* a busy host scrolls the log fast: look through filters */
	filter(2, "crashme");
	assert_true(wait_pane(2, "crashme", "signal=SIGSEGV"));
	assert_true(wait_pane(2, "filter: crashme", NULL));
	/* exited processes are listed on x only */
	tmux(NULL, 0, (const char *[]){ "send-keys", "-t", T.pane[0], "x",
		NULL });
	filter(0, "crashme");
	assert_true(wait_pane(0, "crashme", pid));
	capture(0);
	/* the failed row is marked */
	assert_non_null(strstr(strstr(screen, pid) - 8, "!"));
}

/* Crash a child named comm until the status line shows needle: other
 * crashes on a busy host may take "last:" first (limit: 5 tries). */
static int crash_until_status(const char *comm, const char *needle,
			      char *status, size_t len)
{
	for (int try = 0; try < 5; try++) {
		uint64_t end;

		reap_pumping(harness_fork(crash_child, (void *)comm));
		end = loop_now_ns() + 3000000000ull;
		while (loop_now_ns() < end) {
			pump(200);
			tmux(status, len, (const char *[]){ "show-options",
				"-t", "=hms:", "-v", "status-right", NULL });
			if (strstr(status, needle))
				return 1;
		}
	}
	fprintf(stderr, "status line never showed \"%s\": %s\n", needle,
		status);
	return 0;
}

static void test_hostile_comm(void **state)
{
	char titles[512], status[1024], name[64];

	(void)state;
	assert_true(crash_until_status(HOSTILE, "last: crash " HOSTILE_SHOWN,
				       status, sizeof(status)));
	assert_null(strchr(status, '\x1b'));
	filter(2, "pwn");
	filter(0, "pwn");
	assert_true(wait_pane(2, HOSTILE_SHOWN, "SIGSEGV"));
	assert_true(wait_pane(0, HOSTILE_SHOWN, "exited"));
	/* nothing retitled a pane or renamed the window */
	tmux(titles, sizeof(titles), (const char *[]){ "list-panes", "-t",
		"=hms:", "-F", "#{pane_title}", NULL });
	assert_string_equal(titles, "processes\nevents\nstrategies\nmetrics\n");
	tmux(name, sizeof(name), (const char *[]){ "display-message", "-p",
		"-t", "=hms:", "#{window_name}", NULL });
	assert_string_equal(name, "hms\n");
	/* '#' in a comm stays literal in the status line's format */
	assert_true(crash_until_status("#[bg=red]#{pid}",
				       "last: crash ##[bg=red]##{pid}",
				       status, sizeof(status)));
	/* expanded (the loop is not running: same line), the format stays
	 * literal text and the style stays escaped */
	tmux(status, sizeof(status), (const char *[]){ "display-message", "-p",
		"-t", "=hms:", "#{E:status-right}", NULL });
	assert_non_null(strstr(status, "last: crash ##[bg=red]#{pid}"));
	filter(2, "#[bg=red]");
	assert_true(wait_pane(2, "#[bg=red]#{pid}", "SIGSEGV"));
}

/* A peer of another uid: connect, maybe ask to heal, report by exit code:
 * 0 disconnected with "not permitted", 1 watch role and heal refused. */
static int peer(void *arg)
{
	uid_t uid = (uid_t)(uintptr_t)arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	size_t got = 0;
	ssize_t n;
	int fd;

	if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
		return 10;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", T.sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 11;
	/* a refused peer may already be disconnected: no SIGPIPE, and the
	 * refusal is still there to read */
	if (send(fd, "{\"cmd\":\"heal\",\"component\":\"victim\"}\n", 37,
		 MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
		return 12;
	while (got + 1 < sizeof(buf) &&
	       (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
		got += n;
		buf[got] = '\0';
		if (strstr(buf, "\"type\":\"result\""))
			break;
	}
	buf[got] = '\0';
	if (strstr(buf, "not permitted") && !strstr(buf, "\"hello\""))
		return 0;
	if (strstr(buf, "\"role\":\"watch\"") && strstr(buf, "refused") &&
	    strstr(buf, "\"ok\":false"))
		return 1;
	return 13;
}

static int run_peer(uid_t uid)
{
	pid_t pid = harness_fork(peer, (void *)(uintptr_t)uid);
	uint64_t end = loop_now_ns() + LIMIT_MS * 1000000ull;
	int status;

	while (loop_now_ns() < end) {
		loop_run_once(T.h.loop, 20);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	kill(pid, SIGKILL);
	harness_reap(pid);
	return -1;
}

static void test_permissions(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t before = T.victim;
	char comm[32] = "", path[64];
	int fd, rc;
	FILE *f;

	(void)state;
	/* not in any permitted group: disconnected */
	assert_int_equal(run_peer(23456), 0);
	/* nobody is in nogroup, the viewer group: watch only */
	assert_int_equal(run_peer(65534), 1);
	assert_int_equal(T.victim, before);
	/* root may act: the recovery runs and starts a new process */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", T.sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	rc = send(fd, "{\"cmd\":\"heal\",\"component\":\"victim\"}\n", 37, 0);
	assert_int_equal(rc, 37);
	for (int i = 0; i < 500 && T.victim == before; i++)
		loop_run_once(T.h.loop, 20);
	close(fd);
	assert_int_not_equal(T.victim, before);
	assert_int_equal(kill(T.victim, 0), 0);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)T.victim);
	for (int i = 0; i < 100 && strcmp(comm, "victim\n"); i++) {
		f = fopen(path, "r");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (strcmp(comm, "victim\n"))
			usleep(20000);
	}
	assert_string_equal(comm, "victim\n");
}

static void test_pane_heal_key(void **state)
{
	pid_t before = T.victim;

	(void)state;
	T.state = HEALER_FAILED;		/* sorts first and is selected */
	publisher_changed(T.pub, PUB_T_COMPONENTS);
	filter(0, "victim");
	assert_true(wait_pane(0, ">!", "failed"));
	/* R asks first (h is a navigation letter: nothing) */
	tmux(NULL, 0, (const char *[]){ "send-keys", "-t", T.pane[0], "g",
		"h", "R", NULL });
	assert_true(wait_pane(0, "restart (heal) victim now? y/N", NULL));
	assert_int_equal(T.victim, before);
	tmux(NULL, 0, (const char *[]){ "send-keys", "-t", T.pane[0], "y",
		NULL });
	assert_true(wait_pane(0, "heal victim: restarted as pid", NULL));
	assert_int_not_equal(T.victim, before);
}

static void test_flash_alert(void **state)
{

	struct hms_ev_alert a;
	char opt[512];

	(void)state;
	memset(&a, 0, sizeof(a));
	event_init(&a.hdr, HMS_EV_ALERT, sizeof(a));
	snprintf(a.component, sizeof(a.component), "victim");
	snprintf(a.message, sizeof(a.message), "crash loop #1\x1b[2J");
	a.severity = 2;
	bus_publish(T.h.bus, &a.hdr);
	filter(2, "alert");
	/* @hms_alert is written at the next status tick, by a queued tmux
	 * run: wait by time, a busy box makes each round slow */
	for (uint64_t end = loop_now_ns() + 20000000000ull;
	     loop_now_ns() < end;) {
		tmux(opt, sizeof(opt), (const char *[]){ "show-options", "-t",
			"=hms:", "-v", "@hms_alert", NULL });
		if (!strcmp(opt, "hms: victim: crash loop ##1\\e[2J\n"))
			break;
		loop_run_once(T.h.loop, 20);
	}
	assert_string_equal(opt, "hms: victim: crash loop ##1\\e[2J\n");
	assert_true(wait_pane(2, "alert", "crash loop #1\\e[2J"));
}

static void test_reconnect(void **state)
{
	(void)state;
	publisher_free(T.pub);
	T.pub = NULL;
	assert_true(wait_pane(2, "lost the daemon", "reconnecting"));
	assert_int_equal(start_publisher(), 0);
	assert_true(wait_clients(4));
	assert_true(wait_pane(2, " hms-ebpf events |", "connected"));
}

static void panes_of(const char *target, char *out, size_t len)
{
	tmux(out, len, (const char *[]){ "list-panes", "-t", target, "-F",
		"#{pane_title}", NULL });
}

static int dash_sized(const char *session, const char *layout,
		      const struct dashboard_layout *cfg, bool kill,
		      unsigned int w, unsigned int h, struct hms_dashboard **d)
{
	struct dashboard_opts o = { .session = session, .layout = layout,
				    .width = w, .height = h,
				    .self_exe = T.self, .socket_path = T.sock,
				    .tmux_socket = T.tmux_name,
				    .tmux_config = "/dev/null",
				    .layouts = cfg, .n_layouts = cfg ? 1 : 0,
				    .kill_on_free = kill };

	int err = dashboard_new(&o, T.h.loop, T.h.bus, d);

	return err ? err : dash_wait_ready(*d);
}

static int dash_with(const char *session, const char *layout,
		     const struct dashboard_layout *cfg, bool kill,
		     struct hms_dashboard **d)
{
	return dash_sized(session, layout, cfg, kill, 0, 0, d);
}

/* Pump the loop until pane id shows needle (no size warning). */
static int wait_id(const char *id, const char *needle)
{
	uint64_t end = loop_now_ns() + LIMIT_MS * 1000000ull;

	while (loop_now_ns() < end) {
		for (int i = 0; i < 10; i++)
			loop_run_once(T.h.loop, 20);
		tmux(screen, sizeof(screen), (const char *[]){ "capture-pane",
			"-p", "-t", id, NULL });
		if (strstr(screen, needle) && !strstr(screen, "too small"))
			return 1;
	}
	fprintf(stderr, "pane %s never showed \"%s\":\n%s\n", id, needle,
		screen);
	return 0;
}

/* The default layout in an 80x24 terminal: compact, every view readable
 * (processes over events, strategies and metrics a window each). */
static void test_default_80x24(void **state)
{
	struct hms_dashboard *d = NULL;
	char list[1024], *line, *save = NULL;
	int seen = 0;

	(void)state;
	assert_int_equal(dash_sized("hms-s", NULL, NULL, true, 80, 24, &d), 0);
	tmux(list, sizeof(list), (const char *[]){ "list-windows", "-t",
		"=hms-s", "-F", "#{window_name}", NULL });
	assert_string_equal(list, "hms\nstrategies\nmetrics\n");
	tmux(list, sizeof(list), (const char *[]){ "list-panes", "-s", "-t",
		"=hms-s", "-F", "#{pane_id} #{pane_title} #{pane_width}",
		NULL });
	for (line = strtok_r(list, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char id[32], view[32], head[64];
		int w;

		assert_int_equal(sscanf(line, "%31s %31s %d", id, view, &w), 3);
		assert_int_equal(w, 80);	/* full width, every view */
		snprintf(head, sizeof(head), " hms-ebpf %s |", view);
		assert_true(wait_id(id, head));
		if (!strcmp(view, "strategies"))
			assert_true(wait_id(id, "gentle-restart"));
		if (!strcmp(view, "metrics"))
			assert_true(wait_id(id, "recover"));
		seen++;
	}
	assert_int_equal(seen, 4);
	/* the window list keeps half of the status line */
	tmux(list, sizeof(list), (const char *[]){ "show-options", "-t",
		"=hms-s:", "-v", "status-right-length", NULL });
	assert_string_equal(list, "40\n");
	dashboard_free(d);
}

static void test_layouts(void **state)
{
	static const struct dashboard_pane mine[] = {
		{ "metrics", 'h', 0, -1 }, { "strategies", 'v', 30, -1 },
	};
	const struct dashboard_layout cfg = { "mine", mine, 2 };
	struct hms_dashboard *d = NULL;
	char titles[256];

	(void)state;
	assert_int_equal(dash_with("hms-c", "compact", NULL, true, &d), 0);
	panes_of("=hms-c:", titles, sizeof(titles));
	assert_string_equal(titles, "processes\nevents\n");
	dashboard_free(d);
	assert_int_not_equal(tmux(NULL, 0, (const char *[]){ "has-session",
		"-t", "=hms-c:", NULL }), 0);
	assert_int_equal(dash_with("hms-m", "mine", &cfg, true, &d), 0);
	panes_of("=hms-m:", titles, sizeof(titles));
	assert_string_equal(titles, "metrics\nstrategies\n");
	dashboard_free(d);
	assert_int_equal(dash_with("hms-x", "nope", &cfg, true, &d), -ENOENT);
	/* an existing session is reused as it is, whatever the layout */
	assert_int_equal(dash_with("hms", "compact", NULL, false, &d), 0);
	panes_of("=hms:", titles, sizeof(titles));
	assert_string_equal(titles, "processes\nevents\nstrategies\nmetrics\n");
	dashboard_free(d);
	/* leaving it says so in its status line */
	tmux(titles, sizeof(titles), (const char *[]){ "show-options", "-t",
		"=hms:", "-v", "status-right", NULL });
	assert_string_equal(titles, "hms: daemon stopped \n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_panes),
		cmocka_unit_test(test_crash_shows),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_pane_heal_key),
		cmocka_unit_test(test_flash_alert),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_default_80x24),
		cmocka_unit_test(test_layouts),	/* last: marks hms stopped */
	};

	if (argc > 1 && !strcmp(argv[1], "view"))
		return view_main(argc - 1, argv + 1);
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

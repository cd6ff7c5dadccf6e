// SPDX-License-Identifier: BSD-2-Clause
/* test_own.c - what a component owns and what hms-ebpf leaves running,
 * through the real daemon ($DAEMON, root, real BPF sensors) and real
 * services: tests/helpers/hms_webd (a master binding a loopback port and
 * workers sharing it) and hms_crasher.  A component owns every process
 * it matched or spawned and their descendants (a crashed master's
 * orphaned worker is stopped before the restart, whose bind then works;
 * workers' refused connects count towards net); stopping hms-ebpf leaves
 * adopted services running, also the instance it restarted; a failed
 * adopted service started by hand is adopted again; resume and heal of a
 * failed component start its recovery; `hms-ebpf ctl` says what it did,
 * with exit codes and permissions; a user's process named like a root
 * service is never adopted; a daemon killed with SIGKILL and restarted
 * adopts what it had spawned instead of starting a second instance.
 * Events are read from the daemon's --json output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "healer_test.h"

#define LIMIT_MS	30000

struct od {
	char dir[64];
	char crasher[PATH_MAX], webd[PATH_MAX];
	char cfg[128], out[128], err[128], sock[128], pidfile[128];
	pid_t daemon;
	pid_t kill_at_end[32];		/* our services, by pid */
	size_t n_kill;
	char user[32];			/* a test user to remove */
	int port;
};

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int setup(void **state)
{
	struct od *d = calloc(1, sizeof(*d));
	struct ht tmp;

	if (!d || ht_find_crasher(&tmp))
		return -1;
	snprintf(d->crasher, sizeof(d->crasher), "%s", tmp.crasher);
	snprintf(d->webd, sizeof(d->webd), "%.*s/hms_webd",
		 (int)(strrchr(tmp.crasher, '/') - tmp.crasher), tmp.crasher);
	if (access(d->webd, X_OK))
		return -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/hms-own-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	chmod(d->dir, 0755);	/* other users reach the socket */
	snprintf(d->cfg, sizeof(d->cfg), "%s/hms.yaml", d->dir);
	snprintf(d->out, sizeof(d->out), "%s/out.jsonl", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/err.txt", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/hms.sock", d->dir);
	snprintf(d->pidfile, sizeof(d->pidfile), "%s/web.pid", d->dir);
	d->port = free_port();
	*state = d;
	return d->port > 0 ? 0 : -1;
}

static void stop_daemon(struct od *d, int sig)
{
	if (d->daemon <= 0)
		return;
	kill(d->daemon, sig);
	for (int i = 0; i < 400 && !waitpid(d->daemon, NULL, WNOHANG); i++)
		usleep(50000);
	kill(d->daemon, SIGKILL);
	waitpid(d->daemon, NULL, WNOHANG);
	d->daemon = 0;
}

/* Every process whose environment carries HMS_COMPONENT=name. */
static size_t marked(const char *name, pid_t *out, size_t max)
{
	char want[64], path[64], buf[8192];
	struct dirent *de;
	size_t n = 0;
	DIR *dir = opendir("/proc");

	snprintf(want, sizeof(want), "HMS_COMPONENT=%s", name);
	while (dir && (de = readdir(dir))) {
		pid_t pid = atoi(de->d_name);
		size_t len;
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
			if (!strcmp(buf + i, want)) {
				if (n < max)
					out[n] = pid;
				n++;
				break;
			}
	}
	if (dir)
		closedir(dir);
	return n;
}

/* Running: exists and is not a zombie (PID 1 here reaps late). */
static bool alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] != 'Z' && p[2] != 'X';
}

static bool wait_dead(pid_t pid, int limit_ms)
{
	for (int w = 0; w < limit_ms && alive(pid); w += 20)
		usleep(20000);
	return !alive(pid);
}

static int teardown(void **state)
{
	struct od *d = *state;
	pid_t left[16];
	size_t n;

	stop_daemon(d, SIGTERM);
	for (size_t i = 0; i < d->n_kill; i++)
		if (d->kill_at_end[i] > 0)
			kill(d->kill_at_end[i], SIGKILL);
	/* what was spawned for a component of this test, by its marker */
	n = marked("web", left, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		kill(left[i], SIGKILL);
	n = marked("solo", left, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		kill(left[i], SIGKILL);
	if (d->user[0]) {
		pid_t p = fork();

		if (p == 0) {
			execl("/usr/sbin/userdel", "userdel", d->user,
			      (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	harness_rmtree(d->dir);
	free(d);
	return 0;
}

static void keep(struct od *d, pid_t pid)
{
	if (pid > 0 && d->n_kill < 32)
		d->kill_at_end[d->n_kill++] = pid;
}

static void write_cfg(struct od *d, const char *fmt)
{
	FILE *f = fopen(d->cfg, "w");

	assert_non_null(f);
	fprintf(f, "daemon: {registry: %s/reg, socket: %s, viewer_group: "
		"nogroup}\n", d->dir, d->sock);
	/* %1$s crasher, %2$s dir, %3$s webd, %4$d port, %5$s pidfile */
	fprintf(f, fmt, d->crasher, d->dir, d->webd, d->port, d->pidfile);
	fclose(f);
	chmod(d->cfg, 0644);
}

static void start_daemon(struct od *d)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[] = { daemon_path(), "--config", d->cfg,
				       "--json", "--no-tmux", "--duration",
				       "300", NULL };
		int fd = open(d->out, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		fd = open(d->err, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	d->daemon = pid;
}

static json_t *wait_ev(struct od *d, int *skip, const char *type,
		       const char *comp, const char *key, const char *sval,
		       long ival, int limit_ms)
{
	return harness_json_wait(d->out, skip, type, comp, key, sval, ival,
				 limit_ms);
}

static long ev_pid(json_t *o)
{
	long pid = o ? (long)json_integer_value(harness_json_path(o,
						"process.pid")) : -1;

	json_decref(o);
	return pid;
}

/* The component reached state (an enum healer_state); its main pid (0
 * none) or -1. */
static long wait_state(struct od *d, int *skip, const char *comp, int state)
{
	return ev_pid(wait_ev(d, skip, "component_state", comp, "new_state",
			      hms_state_name(state), 0, LIMIT_MS));
}

static pid_t read_pidfile(const char *path)
{
	char *s = harness_slurp(path);
	pid_t pid = s ? atoi(s) : 0;

	free(s);
	return pid;
}

/* A pidfile naming a running process other than not. */
static pid_t wait_pidfile(const char *path, pid_t not)
{
	for (int i = 0; i < 1500; i++) {
		pid_t pid = read_pidfile(path);

		if (pid > 0 && pid != not && alive(pid))
			return pid;
		usleep(20000);
	}
	return 0;
}

/* Start argv as uid (0 = us), in its own session; its pid. */
static pid_t spawn_as(uid_t uid, const char *const *argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		setsid();
		dup2(fd, 0);
		dup2(fd, 1);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

/* The operator starts the web server by hand (not a child of the daemon). */
static pid_t start_webd(struct od *d, const char *exe, int workers,
			const char *extra)
{
	char port[16], nw[16];
	const char *argv[10] = { exe, port, d->pidfile, "--workers", nw };
	pid_t old = read_pidfile(d->pidfile), pid;
	int n = 5;

	snprintf(port, sizeof(port), "%d", d->port);
	snprintf(nw, sizeof(nw), "%d", workers);
	if (extra)
		argv[n++] = extra;
	argv[n] = NULL;
	keep(d, spawn_as(0, argv));
	pid = wait_pidfile(d->pidfile, old);
	keep(d, pid);
	return pid;
}

/* The children of pid (from /proc/PID/task/PID/children). */
static size_t children_of(pid_t pid, pid_t *out, size_t max)
{
	char path[96], *s, *p, *end;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	for (int i = 0; i < 500; i++) {
		s = harness_slurp(path);
		n = 0;
		for (p = s; s && *p && n < max; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			out[n++] = (pid_t)v;
		}
		free(s);
		if (n >= max)
			break;
		usleep(20000);
	}
	return n;
}

/* Run `hms-ebpf SUB --socket S ARGS...` as uid (0: root); its exit code,
 * its stdout into out. */
static int run_sub(struct od *d, uid_t uid, char *out, size_t len,
		   const char *sub, va_list ap)
{
	const char *argv[16] = { daemon_path(), sub, "--socket", d->sock };
	char path[128];
	int n = 4, st = 0, fd;
	pid_t pid;
	char *s;

	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	argv[n] = NULL;
	snprintf(path, sizeof(path), "%s/ctl.out", d->dir);
	pid = fork();
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		dup2(fd, 1);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	s = harness_slurp(path);
	snprintf(out, len, "%s", s ? s : "");
	free(s);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `hms-ebpf ctl ARGS...` as uid */
static int ctl(struct od *d, uid_t uid, char *out, size_t len, ...)
{
	va_list ap;
	int rc;

	va_start(ap, len);
	rc = run_sub(d, uid, out, len, "ctl", ap);
	va_end(ap);
	return rc;
}

/* `hms-ebpf view ARGS...` as root */
static int view(struct od *d, char *out, size_t len, ...)
{
	va_list ap;
	int rc;

	va_start(ap, len);
	rc = run_sub(d, 0, out, len, "view", ap);
	va_end(ap);
	return rc;
}

/* pids of component name per `ctl --json status name`. */
static size_t status_pids(struct od *d, const char *name, pid_t *out,
			  size_t max)
{
	char buf[8192];
	json_t *o, *pids, *v;
	size_t n = 0, i;

	if (ctl(d, 0, buf, sizeof(buf), "--json", "status", name, NULL))
		return 0;
	o = json_loads(buf, 0, NULL);
	pids = json_object_get(json_array_get(json_object_get(o, "components"),
					      0), "pids");
	json_array_foreach(pids, i, v)
		if (n < max)
			out[n++] = (pid_t)json_integer_value(v);
	json_decref(o);
	return n;
}

static bool has_pid(const pid_t *set, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

/* Wait until the component's pid set holds want (bounded). */
static bool wait_owned(struct od *d, const char *name, pid_t want)
{
	pid_t pids[64];

	for (int i = 0; i < 300; i++) {
		size_t n = status_pids(d, name, pids, 64);

		if (has_pid(pids, n, want))
			return true;
		usleep(50000);
	}
	return false;
}

static bool port_answers(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[8] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	     read(fd, buf, sizeof(buf) - 1) > 0 && !strcmp(buf, "ok\n");
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The master crashes, its orphaned worker still holds the port: the
 * restart stops it first, and the new master binds. */
static void master_crash(struct od *d, const char *match, const char *exe,
			 const char *worker_name)
{
	pid_t master, workers[2], newmaster;
	int skip = 0;
	char cfg[1024];
	json_t *ev;

	snprintf(cfg, sizeof(cfg),
		 "components:\n"
		 "  - name: web\n"
		 "    match: %s\n"
		 "    command: [%s, \"%%4$d\", %%5$s, --workers, \"2\"]\n"
		 "    stop_timeout_s: 2\n"
		 "    start_grace_s: 0.2\n"
		 "    verify_s: 1\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    on: {crash: [restart], exit: [restart]}\n", match, exe);
	write_cfg(d, cfg);
	master = start_webd(d, exe, 2, worker_name);
	assert_true(master > 0);
	assert_int_equal(children_of(master, workers, 2), 2);
	keep(d, workers[0]);
	keep(d, workers[1]);
	start_daemon(d);
	assert_true(wait_state(d, &skip, "web", HEALER_HEALTHY) > 0);
	/* the workers it forked before we looked are the component's */
	assert_true(wait_owned(d, "web", workers[0]));
	assert_true(wait_owned(d, "web", workers[1]));
	kill(master, SIGUSR2);		/* SIGSEGV, workers left */
	ev = wait_ev(d, &skip, "failure", "web", "failure", "crash", 0,
		     LIMIT_MS);
	assert_non_null(ev);
	json_decref(ev);
	ev = wait_ev(d, &skip, "action", "web", "detail", "new pid", 0,
		     LIMIT_MS);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "result")),
			    "ok");
	json_decref(ev);
	/* the old workers were stopped, the new master bound the port */
	assert_true(wait_dead(workers[0], LIMIT_MS));
	assert_true(wait_dead(workers[1], LIMIT_MS));
	ev = wait_ev(d, &skip, "outcome", "web", "success", NULL, 1, LIMIT_MS);
	assert_non_null(ev);
	json_decref(ev);
	newmaster = wait_pidfile(d->pidfile, master);
	keep(d, newmaster);
	assert_true(newmaster > 0 && alive(newmaster));
	assert_true(port_answers(d->port));
	/* cleanup: our services by pid (the daemon keeps adopted ones) */
	stop_daemon(d, SIGTERM);
	kill(newmaster, SIGTERM);
	assert_true(wait_dead(newmaster, LIMIT_MS));
}

static void test_pidfile_orphan_worker_stopped(void **state)
{
	struct od *d = *state;
	char match[256];

	snprintf(match, sizeof(match), "{pidfile: %s}", d->pidfile);
	master_crash(d, match, d->webd, NULL);
}

static void test_comm_orphan_worker_stopped(void **state)
{
	struct od *d = *state;
	char link[128], match[64], comm[16];

	/* a name of its own, and workers that rename themselves (as many
	 * servers do): only ownership of descendants finds them */
	snprintf(comm, sizeof(comm), "hwd%d", (int)getpid() % 100000);
	snprintf(link, sizeof(link), "%s/%s", d->dir, comm);
	assert_int_equal(symlink(d->webd, link), 0);
	snprintf(match, sizeof(match), "{comm: %s}", comm);
	master_crash(d, match, link, "--worker-name");
}

/* Refused connects of a worker (adopted by pidfile: only the master is
 * named) count towards net of the component. */
static void test_worker_refusals_count_for_net(void **state)
{
	struct od *d = *state;
	pid_t master, workers[1];
	json_t *f;
	int skip = 0;

	write_cfg(d, "components:\n"
		  "  - name: web\n"
		  "    match: {pidfile: %5$s}\n"
		  "    net: {threshold: 5, window_s: 30}\n"
		  "    on: {net: [{alert: {message: web refuses}}]}\n");
	{
		char port[16], closed[32];
		const char *argv[] = { d->webd, port, d->pidfile, "--workers",
				       "1", "--refuse", closed, NULL };

		snprintf(port, sizeof(port), "%d", d->port);
		snprintf(closed, sizeof(closed), "%d:10", free_port());
		keep(d, spawn_as(0, argv));
		master = wait_pidfile(d->pidfile, 0);
		keep(d, master);
	}
	assert_true(master > 0);
	assert_int_equal(children_of(master, workers, 1), 1);
	keep(d, workers[0]);
	start_daemon(d);
	assert_true(wait_state(d, &skip, "web", HEALER_HEALTHY) > 0);
	assert_true(wait_owned(d, "web", workers[0]));
	kill(workers[0], SIGUSR1);	/* 10 refused connects */
	f = wait_ev(d, &skip, "failure", "web", "failure", "net", 0, LIMIT_MS);
	assert_non_null(f);
	json_decref(f);
	stop_daemon(d, SIGTERM);
	kill(master, SIGTERM);
}

/* hms-ebpf stops: the adopted service keeps running, also the instance
 * hms-ebpf restarted for it after a crash. */
static void test_shutdown_keeps_adopted(void **state)
{
	struct od *d = *state;
	pid_t master, newmaster;
	json_t *ev;
	int skip = 0;

	write_cfg(d, "components:\n"
		  "  - name: web\n"
		  "    match: {pidfile: %5$s}\n"
		  "    command: [%3$s, \"%4$d\", %5$s, --workers, \"1\"]\n"
		  "    verify_s: 0.5\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    on: {crash: [restart]}\n"
		  "  - name: solo\n"
		  "    command: [%1$s, sleep]\n"
		  "    start_grace_s: 0.1\n");
	master = start_webd(d, d->webd, 1, NULL);
	assert_true(master > 0);
	start_daemon(d);
	assert_true(wait_state(d, &skip, "web", HEALER_HEALTHY) > 0);
	kill(master, SIGUSR2);
	ev = wait_ev(d, &skip, "outcome", "web", "success", NULL, 1, LIMIT_MS);
	assert_non_null(ev);
	json_decref(ev);
	newmaster = wait_pidfile(d->pidfile, master);
	keep(d, newmaster);
	assert_true(newmaster > 0);
	{
		pid_t spawned[4];

		assert_int_equal(status_pids(d, "solo", spawned, 4), 1);
		stop_daemon(d, SIGTERM);
		/* what it spawned for itself is stopped ... */
		assert_true(wait_dead(spawned[0], LIMIT_MS));
	}
	/* ... what it did not own by spawning keeps running */
	assert_true(alive(newmaster));
	assert_true(port_answers(d->port));
	kill(newmaster, SIGTERM);
	assert_true(wait_dead(newmaster, LIMIT_MS));
}

/* Failed (no strategy for a crash), then the operator starts it by hand:
 * adopted again, healthy, and the event says why. */
static void test_readopt_after_manual_start(void **state)
{
	struct od *d = *state;
	pid_t master, again;
	json_t *ev;
	int skip = 0;

	write_cfg(d, "components:\n"
		  "  - name: web\n"
		  "    match: {pidfile: %5$s}\n"
		  "    on: {hang: [{alert: {}}]}\n");
	master = start_webd(d, d->webd, 0, NULL);
	assert_true(master > 0);
	start_daemon(d);
	assert_true(wait_state(d, &skip, "web", HEALER_HEALTHY) > 0);
	kill(master, SIGUSR2);
	assert_true(wait_state(d, &skip, "web", HEALER_FAILED) >= 0);
	again = start_webd(d, d->webd, 0, NULL);
	assert_true(again > 0);
	ev = wait_ev(d, &skip, "component_state", "web", "new_state", "healthy",
		     0, LIMIT_MS);
	assert_non_null(ev);
	assert_non_null(strstr(json_string_value(json_object_get(ev, "reason")),
			       "re-adopted"));
	json_decref(ev);
	assert_true(wait_owned(d, "web", again));
	stop_daemon(d, SIGTERM);
	assert_true(alive(again));
	kill(again, SIGTERM);
}

/* Paused, it crashes: failed, nothing runs; resume starts the recovery. */
static void test_resume_starts_recovery(void **state)
{
	struct od *d = *state;
	char out[512];
	json_t *ev;
	long pid;
	int skip = 0, rc;

	write_cfg(d, "components:\n"
		  "  - name: solo\n"
		  "    command: [%1$s, sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    verify_s: 0.5\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    on: {crash: [restart]}\n");
	start_daemon(d);
	pid = wait_state(d, &skip, "solo", HEALER_HEALTHY);
	assert_true(pid > 0);
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pause", "solo", NULL), 0);
	kill((pid_t)pid, SIGSEGV);
	assert_true(wait_state(d, &skip, "solo", HEALER_FAILED) >= 0);
	rc = ctl(d, 0, out, sizeof(out), "resume", "solo", NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "restart started"));
	ev = wait_ev(d, &skip, "action", "solo", "detail", "new pid", 0,
		     LIMIT_MS);
	assert_non_null(ev);
	json_decref(ev);
	assert_true(wait_state(d, &skip, "solo", HEALER_HEALTHY) > 0);
}

/* gave_up: heal now starts the recovery (and says so). */
static void test_heal_failed_starts_recovery(void **state)
{
	struct od *d = *state;
	char out[512];
	json_t *ev;
	int skip = 0;

	write_cfg(d, "components:\n"
		  "  - name: solo\n"
		  "    command: [%1$s, segv, \"200\"]\n"
		  "    start_grace_s: 0.05\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    budget: {max: 1, interval_s: 3600}\n"
		  "    on: {crash: [restart]}\n");
	start_daemon(d);
	assert_true(wait_state(d, &skip, "solo", HEALER_GAVE_UP) >= 0);
	assert_int_equal(ctl(d, 0, out, sizeof(out), "heal", "solo", NULL), 0);
	assert_non_null(strstr(out, "heal solo: restart started"));
	ev = wait_ev(d, &skip, "action", "solo", "detail", "new pid", 0,
		     LIMIT_MS);
	assert_non_null(ev);
	json_decref(ev);
}

static bool wait_ctl(struct od *d, const char *want)
{
	/* status of solo until its text holds want */
	char out[4096];

	for (int i = 0; i < 300; i++) {
		ctl(d, 0, out, sizeof(out), "status", "solo", NULL);
		if (strstr(out, want))
			return true;
		usleep(50000);
	}
	return false;
}

static void test_ctl_replies(void **state)
{
	struct od *d = *state;
	char out[4096];
	json_t *o;
	long pid;
	int skip = 0;

	write_cfg(d, "components:\n"
		  "  - name: solo\n"
		  "    command: [%1$s, sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    stop_timeout_s: 2\n"
		  "    on: {crash: [restart]}\n");
	start_daemon(d);
	pid = wait_state(d, &skip, "solo", HEALER_HEALTHY);
	assert_true(pid > 0);
	/* usage */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "--help", NULL), 0);
	assert_non_null(strstr(out, "status [NAME]"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "bogus", "solo", NULL),
			 2);
	assert_int_equal(ctl(d, 0, out, sizeof(out), "heal", NULL), 2);
	/* status: a table, one component, JSON */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "status", NULL), 0);
	assert_non_null(strstr(out, "solo"));
	assert_non_null(strstr(out, "healthy"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "status", "solo", NULL),
			 0);
	assert_non_null(strstr(out, "state:        healthy"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "--json", "status",
			     "solo", NULL), 0);
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(
		json_array_get(json_object_get(o, "components"), 0), "pids"),
		0)), pid);
	json_decref(o);
	assert_int_equal(ctl(d, 0, out, sizeof(out), "status", "nope", NULL),
			 1);
	/* heal */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "heal", "solo", NULL), 0);
	assert_non_null(strstr(out, "already healthy"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "heal", "nope", NULL), 1);
	assert_non_null(strstr(out, "no such component"));
	/* pause, refused heal, resume */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pause", "solo", NULL), 0);
	assert_non_null(strstr(out, "paused"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "heal", "solo", NULL), 1);
	assert_non_null(strstr(out, "refused: paused"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "resume", "solo", NULL),
			 0);
	assert_non_null(strstr(out, "resumed"));
	/* stop, refused heal, start */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "stop", "solo", NULL), 0);
	assert_non_null(strstr(out, "stopping"));
	assert_true(wait_dead((pid_t)pid, LIMIT_MS));
	assert_true(wait_ctl(d, "state:        stopped"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "heal", "solo", NULL), 1);
	assert_non_null(strstr(out, "refused: stopped"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "start", "solo", NULL), 0);
	assert_non_null(strstr(out, "started pid"));
	assert_true(wait_ctl(d, "state:        healthy"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "start", "solo", NULL), 0);
	assert_non_null(strstr(out, "already running"));
	/* reset */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "reset", "solo", NULL), 0);
	assert_non_null(strstr(out, "reset"));
	/* a user in no permitted group: refused at the door */
	assert_int_equal(ctl(d, 23456, out, sizeof(out), "heal", "solo", NULL),
			 1);
	assert_non_null(strstr(out, "refused: not permitted"));
	/* nobody (nogroup, the viewer group) may watch, not act */
	assert_int_equal(ctl(d, 65534, out, sizeof(out), "status", "solo",
			     NULL), 0);
	assert_int_equal(ctl(d, 65534, out, sizeof(out), "stop", "solo", NULL),
			 1);
	assert_non_null(strstr(out, "refused: not permitted"));
	assert_true(wait_ctl(d, "state:        healthy"));
}

/* SIGHUP; back when the daemon's log says the n-th reload was applied. */
static void reload_n(struct od *d, int n)
{
	int seen = 0;

	assert_int_equal(kill(d->daemon, SIGHUP), 0);
	for (int i = 0; i < 400 && seen < n; i++) {
		char *all = harness_slurp(d->err), *p = all;

		for (seen = 0; p && (p = strstr(p, "configuration reloaded"));
		     p++)
			seen++;
		free(all);
		if (seen < n)
			usleep(50000);
	}
	assert_true(seen >= n);
}

/* p_next of solo's strategy in the strategies view (its --json), -1
 * when it is not there. */
static double p_next_of(struct od *d, const char *strategy)
{
	char out[16384];
	double p = -1;
	json_t *o, *r;
	size_t k;

	if (view(d, out, sizeof(out), "strategies", "--json", NULL) ||
	    !(o = json_loads(out, 0, NULL)))
		return -1;
	json_array_foreach(json_object_get(o, "strategies"), k, r)
		if (!strcmp(json_string_value(json_object_get(r, "strategy")) ?:
			    "", strategy))
			p = json_real_value(json_object_get(r, "p_next"));
	json_decref(o);
	return p;
}

/* Until strategy's p_next is 1 (certain) or, !certain, below 1; the
 * table is refreshed, not pushed per choice. */
static bool wait_p_next(struct od *d, const char *strategy, bool certain)
{
	for (int i = 0; i < 100; i++) {
		double p = p_next_of(d, strategy);

		if (p >= 0 && (p == 1.0) == certain)
			return true;
		usleep(100000);
	}
	return false;
}

/* The strategy_chosen event of comp's next recovery; its reason in why
 * (the object is freed). */
static void crash_chosen(struct od *d, int *skip, pid_t pid, char *strategy,
			 size_t slen, char *why, size_t wlen)
{
	json_t *o;

	assert_int_equal(kill(pid, SIGSEGV), 0);
	o = wait_ev(d, skip, "strategy_chosen", "solo", NULL, NULL, 0,
		    LIMIT_MS);
	assert_non_null(o);
	snprintf(strategy, slen, "%s",
		 json_string_value(json_object_get(o, "strategy")));
	snprintf(why, wlen, "%s",
		 json_string_value(json_object_get(o, "reason")));
	json_decref(o);
}

/* solo with strategies first and other for killed */
static void write_pin_cfg(struct od *d, const char *other)
{
	char fmt[512];

	snprintf(fmt, sizeof(fmt),
		 "strategies:\n"
		 "  first: [{restart: {}}]\n"
		 "  %1$s: [{restart: {}}]\n"
		 "components:\n"
		 "  - name: solo\n"
		 "    command: [%%1$s, sleep]\n"
		 "    start_grace_s: 0.1\n"
		 "    stop_timeout_s: 2\n"
		 "    verify_s: 0.2\n"
		 "    on: {killed: [first, %1$s]}\n", other);
	write_cfg(d, fmt);
}

/* `ctl pin` forces a strategy for a class until unpin (here killed: the
 * test's own kill(2) is its cause): the choice says override and is the
 * pinned one; bad classes and strategies are
 * refused with a reason; only a permitted client may pin; a reload that
 * keeps the strategy keeps the pin, one that drops it drops the pin. */
static void test_ctl_pin(void **state)
{
	struct od *d = *state;
	char out[4096], strategy[64], why[64];
	long pid;
	int skip = 0;

	write_pin_cfg(d, "second");
	start_daemon(d);
	pid = wait_state(d, &skip, "solo", HEALER_HEALTHY);
	assert_true(pid > 0);
	/* refused, with the reason; usage */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pin", "solo", "killed",
			     "nope", NULL), 1);
	assert_non_null(strstr(out, "nope is not a strategy of solo"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pin", "solo", "bogus",
			     "second", NULL), 1);
	assert_non_null(strstr(out, "unknown failure class"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pin", "nope", "killed",
			     "second", NULL), 1);
	assert_non_null(strstr(out, "no such component"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pin", "solo", "killed",
			     NULL), 2);
	assert_int_equal(ctl(d, 65534, out, sizeof(out), "pin", "solo",
			     "killed", "second", NULL), 1);
	assert_non_null(strstr(out, "refused: not permitted"));
	/* pinned: every recovery is second, said to be the operator's */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pin", "solo", "killed",
			     "second", NULL), 0);
	assert_non_null(strstr(out, "killed pinned to second"));
	assert_int_equal(ctl(d, 0, out, sizeof(out), "status", "solo", NULL),
			 0);
	assert_non_null(strstr(out, "pinned:       killed=second"));
	for (int i = 0; i < 3; i++) {
		crash_chosen(d, &skip, (pid_t)pid, strategy, sizeof(strategy),
			     why, sizeof(why));
		assert_string_equal(strategy, "second");
		assert_string_equal(why, "override");
		pid = wait_state(d, &skip, "solo", HEALER_HEALTHY);
		assert_true(pid > 0);
	}
	/* the dashboard's NEXT agrees: second is picked with probability 1 */
	assert_true(wait_p_next(d, "second", true));
	/* a reload that keeps second keeps the pin */
	write_pin_cfg(d, "second");
	reload_n(d, 1);
	crash_chosen(d, &skip, (pid_t)pid, strategy, sizeof(strategy), why,
		     sizeof(why));
	assert_string_equal(strategy, "second");
	assert_string_equal(why, "override");
	pid = wait_state(d, &skip, "solo", HEALER_HEALTHY);
	/* unpinned: the registry chooses again */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "unpin", "solo", "killed",
			     NULL), 0);
	assert_non_null(strstr(out, "killed: unpinned"));
	crash_chosen(d, &skip, (pid_t)pid, strategy, sizeof(strategy), why,
		     sizeof(why));
	assert_string_not_equal(why, "override");
	pid = wait_state(d, &skip, "solo", HEALER_HEALTHY);
	assert_true(wait_p_next(d, "second", false));
	/* pinned again, then a reload without second: the pin goes */
	assert_int_equal(ctl(d, 0, out, sizeof(out), "pin", "solo", "killed",
			     "second", NULL), 0);
	write_pin_cfg(d, "third");
	reload_n(d, 2);
	crash_chosen(d, &skip, (pid_t)pid, strategy, sizeof(strategy), why,
		     sizeof(why));
	assert_string_not_equal(why, "override");
	assert_string_not_equal(strategy, "second");
	{
		char *log = harness_slurp(d->err);

		assert_non_null(strstr(log, "pin of killed to second dropped"));
		free(log);
	}
	assert_true(wait_state(d, &skip, "solo", HEALER_HEALTHY) > 0);
}

/* A test user runs a process named like the root service: not adopted;
 * its crash neither stops nor restarts the real one. */
static void test_comm_hijack_not_adopted(void **state)
{
	struct od *d = *state;
	char link[128], comm[16], cmd[512];
	struct passwd *pw;
	pid_t real, evil, pids[64];
	json_t *a;
	size_t n;
	int skip = 0, st;

	snprintf(d->user, sizeof(d->user), "hmsown%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "%s", d->user);
	{
		pid_t p = fork();

		if (p == 0) {
			execl("/usr/sbin/useradd", "useradd", "-M", "-N", "-s",
			      "/usr/sbin/nologin", cmd, (char *)NULL);
			_exit(127);
		}
		waitpid(p, &st, 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	pw = getpwnam(d->user);
	assert_non_null(pw);
	snprintf(comm, sizeof(comm), "hjk%d", (int)getpid() % 100000);
	snprintf(link, sizeof(link), "%s/%s", d->dir, comm);
	assert_int_equal(symlink(d->crasher, link), 0);
	snprintf(cmd, sizeof(cmd), "components:\n"
		 "  - name: web\n"
		 "    match: {comm: %s}\n"
		 "    command: [%s, sleep]\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    on: {crash: [restart], killed: [restart]}\n", comm, link);
	write_cfg(d, cmd);
	{
		const char *argv[] = { link, "sleep", NULL };

		real = spawn_as(0, argv);
		keep(d, real);
	}
	for (int i = 0; i < 200; i++) {
		char path[64], *c;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)real);
		c = harness_slurp(path);
		if (c && !strncmp(c, comm, strlen(comm))) {
			free(c);
			break;
		}
		free(c);
		usleep(10000);
	}
	start_daemon(d);
	assert_true(wait_state(d, &skip, "web", HEALER_HEALTHY) > 0);
	assert_true(wait_owned(d, "web", real));
	{
		const char *argv[] = { link, "segv", "1500", NULL };

		evil = spawn_as(pw->pw_uid, argv);
		keep(d, evil);
	}
	/* seen and refused */
	a = wait_ev(d, &skip, "alert", "web", "message", "another user", 0,
		    LIMIT_MS);
	assert_non_null(a);
	json_decref(a);
	n = status_pids(d, "web", pids, 64);
	assert_false(has_pid(pids, n, evil));
	/* the user's process crashes itself: nothing happens to the root one */
	waitpid(evil, &st, 0);
	assert_true(WIFSIGNALED(st));
	for (int i = 0; i < 20; i++) {
		assert_true(alive(real));
		usleep(50000);
	}
	skip = 0;
	a = wait_ev(d, &skip, "failure", "web", NULL, NULL, 0, 100);
	assert_null(a);
	stop_daemon(d, SIGTERM);
	assert_true(alive(real));
	kill(real, SIGKILL);
}

/* SIGKILL of the daemon twice, restarted each time: exactly one instance
 * of the spawned component, the one from the start. */
static void test_sigkill_restart_one_instance(void **state)
{
	struct od *d = *state;
	pid_t found[8];
	long first;
	int skip = 0;
	json_t *ev;

	write_cfg(d, "components:\n"
		  "  - name: solo\n"
		  "    command: [%1$s, sleep]\n"
		  "    start_grace_s: 0.1\n");
	start_daemon(d);
	first = wait_state(d, &skip, "solo", HEALER_HEALTHY);
	assert_true(first > 0);
	for (int cycle = 0; cycle < 2; cycle++) {
		stop_daemon(d, SIGKILL);
		assert_true(alive((pid_t)first));
		start_daemon(d);
		ev = wait_ev(d, &skip, "component_state", "solo", "new_state",
			     "healthy", 0, LIMIT_MS);
		assert_non_null(ev);
		assert_non_null(strstr(json_string_value(json_object_get(ev,
			"reason")), "previous hms-ebpf"));
		json_decref(ev);
		assert_int_equal(marked("solo", found, 8), 1);
		assert_int_equal(found[0], first);
	}
	/* and a clean stop still stops what it spawned */
	stop_daemon(d, SIGTERM);
	assert_true(wait_dead((pid_t)first, LIMIT_MS));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_pidfile_orphan_worker_stopped),
		T(test_comm_orphan_worker_stopped),
		T(test_worker_refusals_count_for_net),
		T(test_shutdown_keeps_adopted),
		T(test_readopt_after_manual_start),
		T(test_resume_starts_recovery),
		T(test_heal_failed_starts_recovery),
		T(test_ctl_replies),
		T(test_ctl_pin),
		T(test_comm_hijack_not_adopted),
		T(test_sigkill_restart_one_instance),
	};

	struct CMUnitTest one[1];
	const char *only = getenv("TEST_OWN_ONLY");	/* run one by name */

	if (geteuid() != 0) {
		fprintf(stderr, "test_own: needs root, skipped\n");
		return 0;
	}
	for (size_t i = 0; only && i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!strcmp(tests[i].name, only)) {
			one[0] = tests[i];
			return _cmocka_run_group_tests("test_own", one, 1,
						       NULL, NULL);
		}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

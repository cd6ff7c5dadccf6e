// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_json_events.c - the JSON event stream of the real daemon ($DAEMON,
 * root): it causes every event type (a process that forks, execs and
 * exits, a fatal signal from kill(), an OOM kill in a small memory cgroup,
 * a hung task, a refused connect, an abortive close, SYN retransmissions,
 * run-queue waits behind CPU hogs, and a component that crashes once and
 * is healed by an alert + restart strategy) and validates every line of
 * --json-file against docs/events.schema.json with python3-jsonschema
 * (tests/schema_validate.py); --json-types / daemon.json_exclude choose
 * the stream; the file is reopened on SIGHUP after a logrotate rename.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <jansson.h>
#include "harness.h"

#define LIMIT_MS	30000
#define HUNG_TIMEOUT	"/proc/sys/kernel/hung_task_timeout_secs"

extern char **environ;

struct jt {
	char dir[64];
	char crasher[PATH_MAX];
	char cfg[128], out[128], err[128];
	char cg[256];			/* the OOM test's memory cgroup */
	char old_timeout[32];		/* hung_task_timeout_secs to restore */
	pid_t daemon;
};

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int setup(void **state)
{
	struct jt *t = calloc(1, sizeof(*t));
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (!t || n <= 0 || harness_need_root())
		return -1;
	exe[n] = '\0';
	snprintf(t->crasher, sizeof(t->crasher), "%s/../helpers/hms_crasher",
		 dirname(exe));
	if (access(t->crasher, X_OK))
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/hms-jt-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->cfg, sizeof(t->cfg), "%s/hms.yaml", t->dir);
	snprintf(t->out, sizeof(t->out), "%s/events.jsonl", t->dir);
	snprintf(t->err, sizeof(t->err), "%s/err.txt", t->dir);
	*state = t;
	return 0;
}

static int sysctl_rw(const char *path, char *old, size_t len, const char *val)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, len - 1);
		old[n > 0 ? n : 0] = '\0';
	}
	if (val && pwrite(fd, val, strlen(val), 0) < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

static int teardown(void **state)
{
	struct jt *t = *state;

	if (t->daemon > 0) {
		kill(t->daemon, SIGTERM);
		for (int i = 0; i < 200 && !waitpid(t->daemon, NULL, WNOHANG);
		     i++)
			usleep(50000);
		kill(t->daemon, SIGKILL);
		waitpid(t->daemon, NULL, 0);
	}
	if (t->old_timeout[0])
		sysctl_rw(HUNG_TIMEOUT, NULL, 0, t->old_timeout);
	if (t->cg[0])
		rmdir(t->cg);
	harness_rmtree(t->dir);
	free(t);
	return 0;
}

/* The config: private paths, then fmt (%1$s the crasher, %2$s the dir). */
static void write_cfg(struct jt *t, const char *fmt)
{
	FILE *f = fopen(t->cfg, "w");

	assert_non_null(f);
	fprintf(f, "version: 1\n");
	fprintf(f, fmt, t->crasher, t->dir);
	fclose(f);
	chmod(t->cfg, 0644);
}

/* The daemon with its private config and registry, --json-file, args. */
static pid_t run(struct jt *t, const char *const *args)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[24] = { daemon_path(), "--config", t->cfg,
					 "--json-file", t->out, "--no-tmux",
					 "--duration", "300" };
		int n = 8, fd;

		for (int i = 0; args && args[i] && n < 23; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		fd = open(t->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

/* SIGTERM and wait: the last lines (stats) are written at exit. */
static void stop(struct jt *t)
{
	int st = 0;

	kill(t->daemon, SIGTERM);
	waitpid(t->daemon, &st, 0);
	t->daemon = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int run_argv(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The daemon is up: its first event is in the file. */
static void wait_up(struct jt *t, const char *type)
{
	int skip = 0;
	json_t *o = harness_json_wait(t->out, &skip, type, NULL, NULL, NULL,
				      0, LIMIT_MS);

	if (!o) {
		char *err = harness_slurp(t->err);

		fail_msg("no %s event; stderr:\n%s", type, err);
	}
	json_decref(o);
}

/* ---- what causes each kernel event ---- */

static void cause_exec_exit(void)
{
	char *argv[] = { "/bin/true", NULL };

	assert_int_equal(run_argv(argv), 0);
}

/* The sensors are attached: an exit we cause shows in the file. */
static void wait_sensors(struct jt *t)
{
	for (int waited = 0; waited < LIMIT_MS; waited += 100) {
		int skip = 0;
		json_t *o;

		cause_exec_exit();
		o = harness_json_wait(t->out, &skip, "exit", NULL, NULL, NULL,
				      0, 100);
		if (o) {
			json_decref(o);
			return;
		}
	}
	fail_msg("no exit event within %d ms", LIMIT_MS);
}

static int child_sleep(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-jt-victim");
	pause();
	return 0;
}

/* A fatal signal from kill(): signal (sender = us) and exit (killed). */
static pid_t cause_signal(void)
{
	pid_t pid = harness_fork(child_sleep, NULL);

	assert_true(pid > 0);
	usleep(50000);
	kill(pid, SIGKILL);
	harness_reap(pid);
	return pid;
}

static struct sockaddr_in lo(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int sock_on(int backlog, uint16_t *port)
{
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) ||
	    (backlog >= 0 && listen(fd, backlog)) ||
	    getsockname(fd, (void *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* A refused connect: connect_fail, sock_error, a reset sent for no
 * socket and received; an abortive close: reset sent and received; SYNs
 * to a full accept queue: retransmissions. */
static void cause_net(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in a;
	uint16_t port;
	int l, c, s, q[4];
	char buf[8];

	l = sock_on(-1, &port);		/* bound, never listening */
	assert_true(l >= 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a = lo(port);
	assert_int_equal(connect(c, (void *)&a, sizeof(a)), -1);
	close(c);
	close(l);
	l = sock_on(4, &port);
	assert_true(l >= 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a = lo(port);
	assert_int_equal(connect(c, (void *)&a, sizeof(a)), 0);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	assert_true(read(c, buf, sizeof(buf)) < 0);
	close(c);
	close(l);
	l = sock_on(0, &port);		/* never accepts: the queue fills */
	assert_true(l >= 0);
	a = lo(port);
	for (int i = 0; i < 4; i++) {
		q[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
			      SOCK_CLOEXEC, 0);
		connect(q[i], (void *)&a, sizeof(a));
	}
	sleep(3);			/* the first SYN retransmission: 1 s */
	for (int i = 0; i < 4; i++)
		close(q[i]);
	close(l);
}

static int child_spin(void *arg)
{
	cpu_set_t set;
	struct timespec a, b;

	(void)arg;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 +
	       (b.tv_nsec - a.tv_nsec) / 1000000 < 500);
	return 0;
}

/* Three spinners on one CPU wait for each other far longer than the
 * configured sensors.runq_latency_us (100). */
static void cause_runq(void)
{
	pid_t p[3];

	for (int i = 0; i < 3; i++)
		p[i] = harness_fork(child_spin, NULL);
	for (int i = 0; i < 3; i++)
		harness_reap(p[i]);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int child_hog(void *arg)
{
	const char *cg = arg;
	char f[320], pid[32];

	prctl(PR_SET_NAME, "hms-jt-hog");
	snprintf(f, sizeof(f), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(f, pid))
		return 99;
	for (size_t total = 0; total < (1ULL << 30); total += 1 << 20) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 98;
		memset(p, 0xa5, 1 << 20);
	}
	return 97;
}

/* An OOM kill in a 32 MiB memory cgroup (v1 memory, else v2). */
static void cause_oom(struct jt *t)
{
	char f[320];
	pid_t pid;

	snprintf(t->cg, sizeof(t->cg), "/sys/fs/cgroup/memory/hms-jt-%d",
		 getpid());
	if (mkdir(t->cg, 0755) == 0) {
		snprintf(f, sizeof(f), "%s/memory.swappiness", t->cg);
		write_file(f, "0");
		snprintf(f, sizeof(f), "%s/memory.limit_in_bytes", t->cg);
	} else {
		assert_non_null(harness_cgroup2_root());
		snprintf(t->cg, sizeof(t->cg), "%s/hms-jt-%d",
			 harness_cgroup2_root(), getpid());
		assert_int_equal(mkdir(t->cg, 0755), 0);
		snprintf(f, sizeof(f), "%s/memory.swap.max", t->cg);
		write_file(f, "0");
		snprintf(f, sizeof(f), "%s/memory.max", t->cg);
	}
	assert_int_equal(write_file(f, "33554432"), 0);
	pid = harness_fork(child_hog, t->cg);
	harness_reap(pid);
	rmdir(t->cg);
	t->cg[0] = '\0';
}

/* ---- a hung task (as test_sensors_hang): a pipe writer faults on a
 * userfaultfd page nobody serves, holding the pipe's mutex; a second
 * writer waits for it in D state ---- */

static int hang_pipe[2];

static char *uffd_page(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	char *page;

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		return NULL;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	reg.range.start = (unsigned long)page;
	reg.range.len = 4096;
	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? NULL : page;
}

static int child_holder(void *arg)
{
	char *page = uffd_page();

	(void)arg;
	if (!page)
		return 2;
	return write(hang_pipe[1], page, 4096) < 0;
}

static int child_waiter(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-jt-hung");
	return write(hang_pipe[1], "x", 1) < 0;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : 0;
}

static bool wait_proc_state(pid_t pid, char want)
{
	for (int i = 0; i < 200; i++) {
		if (proc_state(pid) == want)
			return true;
		usleep(25000);
	}
	return false;
}

static void cause_hang(struct jt *t)
{
	pid_t holder, waiter;
	int skip = 0;
	json_t *o = NULL;
	bool d_state;

	assert_int_equal(pipe2(hang_pipe, O_CLOEXEC), 0);
	holder = harness_fork(child_holder, NULL);
	assert_true(wait_proc_state(holder, 'S'));
	waiter = harness_fork(child_waiter, NULL);
	d_state = wait_proc_state(waiter, 'D');
	if (d_state) {
		assert_int_equal(sysctl_rw(HUNG_TIMEOUT, t->old_timeout,
					   sizeof(t->old_timeout), "1"), 0);
		o = harness_json_wait(t->out, &skip, "hang", NULL,
				      "process.comm", "hms-jt-hung", 0,
				      LIMIT_MS);
		sysctl_rw(HUNG_TIMEOUT, NULL, 0, t->old_timeout);
		t->old_timeout[0] = '\0';
	}
	kill(holder, SIGKILL);
	kill(waiter, SIGKILL);
	harness_reap(holder);
	harness_reap(waiter);
	close(hang_pipe[0]);
	close(hang_pipe[1]);
	assert_true(d_state);
	assert_non_null(o);
	json_decref(o);
}

/* ---- checks on the file ---- */

static void validate(const char *path, const char *require)
{
	char *argv[] = { "python3", "tests/schema_validate.py",
			 "docs/events.schema.json", "--require",
			 (char *)require, (char *)path, NULL };

	assert_int_equal(run_argv(argv), 0);
}

/* Each line's "type" counted into n[] by type name; ids checked to grow. */
static int count_types(const char *path, const char *type, int *lines,
		       json_int_t *last_id)
{
	char *all = harness_slurp(path), *line, *save = NULL;
	int n = 0;

	*lines = 0;
	for (line = strtok_r(all, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);
		json_int_t id;

		assert_non_null(o);
		id = json_integer_value(json_object_get(o, "id"));
		assert_true(id > *last_id);
		*last_id = id;
		n += !strcmp(json_string_value(json_object_get(o, "type")) ?:
			     "", type);
		(*lines)++;
		json_decref(o);
	}
	free(all);
	return n;
}

static const char every_type[] =
	"exec,fork,exit,signal,oom,hang,connect_fail,sock_error,"
	"tcp_reset_recv,tcp_reset_send,tcp_retransmit,runq_latency,stats,"
	"component_state,action,strategy_chosen,outcome,alert,failure";

static void test_every_type_validates(void **state)
{
	struct jt *t = *state;
	int skip = 0;
	json_t *o;
	pid_t victim;

	write_cfg(t, "daemon: {registry: %2$s/reg, socket: %2$s/hms.sock}\n"
		  "sensors: {runq_latency_us: 100}\n"
		  "strategies:\n"
		  "  page-restart: [{alert: {severity: warning, message: "
		  "\"jt crashed\"}}, {restart: {}}]\n"
		  "components:\n"
		  "  - name: jt\n"
		  "    command: [%1$s, segv-once, %2$s/once, \"300\"]\n"
		  "    start_grace_s: 0.1\n"
		  "    verify_s: 0.3\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    on: {crash: [page-restart]}\n");
	t->daemon = run(t, NULL);
	wait_up(t, "component_state");
	/* the component crashes once, is paged about and restarted */
	o = harness_json_wait(t->out, &skip, "outcome", "jt", "result",
			      "success", 0, LIMIT_MS);
	assert_non_null(o);
	json_decref(o);
	cause_exec_exit();
	victim = cause_signal();
	cause_net();
	cause_runq();
	cause_oom(t);
	cause_hang(t);
	/* the roles of a kill() */
	skip = 0;
	o = harness_json_wait(t->out, &skip, "signal", NULL, "target.pid",
			      NULL, victim, LIMIT_MS);
	assert_non_null(o);
	assert_int_equal(json_integer_value(harness_json_path(o,
			 "sender.pid")), getpid());
	assert_string_equal(json_string_value(json_object_get(o, "signal")),
			    "SIGKILL");
	json_decref(o);
	/* a SIGKILL from another process is no crash */
	skip = 0;
	o = harness_json_wait(t->out, &skip, "exit", NULL, "process.pid",
			      NULL, victim, LIMIT_MS);
	assert_non_null(o);
	assert_false(json_is_true(json_object_get(o, "crash")));
	assert_true(json_is_true(json_object_get(o, "killed")));
	json_decref(o);
	skip = 0;
	o = harness_json_wait(t->out, &skip, "tcp_retransmit", NULL, NULL,
			      NULL, 0, LIMIT_MS);
	assert_non_null(o);
	json_decref(o);
	stop(t);			/* stats are written at exit */
	validate(t->out, every_type);
}

/* --json-types on the command line, daemon.json_exclude in the file: only
 * exit and stats lines, although signals and forks happened. */
static void test_types_filter(void **state)
{
	struct jt *t = *state;
	const char *args[] = { "--json-types", "exit,signal,stats", NULL };
	json_int_t last = 0;
	int lines, exits, stats;
	pid_t victim;
	int skip = 0;
	json_t *o;

	write_cfg(t, "daemon: {registry: %2$s/reg, socket: %2$s/hms.sock, "
		  "json_exclude: [signal]}\n");
	t->daemon = run(t, args);
	wait_sensors(t);
	victim = cause_signal();
	o = harness_json_wait(t->out, &skip, "exit", NULL, "process.pid", NULL,
			      victim, LIMIT_MS);
	assert_non_null(o);
	json_decref(o);
	stop(t);
	exits = count_types(t->out, "exit", &lines, &last);
	stats = count_types(t->out, "stats", &lines, &(json_int_t){ 0 });
	assert_true(exits >= 2);	/* /bin/true and the victim */
	assert_true(stats >= 1);
	assert_int_equal(exits + stats, lines);	/* nothing else */
	validate(t->out, "exit,stats");
}

/* logrotate: the file is renamed, SIGHUP, new lines go to a new file at
 * the old path, the renamed one keeps the old lines, ids go on. */
static void test_sighup_reopens(void **state)
{
	struct jt *t = *state;
	const char *args[] = { "--json-types", "exit", NULL };
	char rotated[160];
	json_int_t last = 0;
	int lines, skip = 0;
	pid_t victim;
	json_t *o;

	write_cfg(t, "daemon: {registry: %2$s/reg, socket: %2$s/hms.sock}\n");
	t->daemon = run(t, args);
	wait_sensors(t);
	snprintf(rotated, sizeof(rotated), "%s.1", t->out);
	assert_int_equal(rename(t->out, rotated), 0);
	kill(t->daemon, SIGHUP);
	/* the reopen is logged before the reload */
	for (int i = 0; i < 200 && access(t->out, F_OK); i++)
		usleep(50000);
	assert_int_equal(access(t->out, F_OK), 0);
	victim = cause_signal();
	o = harness_json_wait(t->out, &skip, "exit", NULL, "process.pid", NULL,
			      victim, LIMIT_MS);
	assert_non_null(o);
	json_decref(o);
	stop(t);
	/* the old file: lines before the rotation, none of the victim */
	assert_true(count_types(rotated, "exit", &lines, &last) >= 1);
	skip = 0;
	o = harness_json_wait(rotated, &skip, "exit", NULL, "process.pid",
			      NULL, victim, 100);
	assert_null(o);
	/* the new file's ids continue the old file's */
	assert_true(count_types(t->out, "exit", &lines, &last) >= 1);
	validate(rotated, "exit");
	validate(t->out, "exit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_type_validates,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_types_filter, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sighup_reopens, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("json_events", tests, NULL, NULL);
}

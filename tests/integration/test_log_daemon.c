// SPDX-License-Identifier: BSD-2-Clause
/* test_log_daemon.c - the log of the real daemon ($DAEMON, root) while a
 * spawned component (hms_crasher) crashes once and is restarted: the
 * failure, the strategy chosen, the action, the state changes and the
 * outcome are lines on stderr naming component, class, strategy and
 * result; daemon.log_level (also after a reload) and -v decide which of
 * them show; a watched process with an escape sequence in its comm is
 * logged escaped; and under
 * journald (a real systemd-journald in a private mount namespace, or a
 * socket speaking its native protocol when journald is not installed) the
 * lines carry HMS_COMPONENT=, HMS_FAILURE=, HMS_STRATEGY=, HMS_OUTCOME=,
 * so that `journalctl HMS_COMPONENT=api` finds the recovery. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <syslog.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include "healer_test.h"

#define JOURNALD	"/lib/systemd/systemd-journald"
#define JSOCK		"/run/systemd/journal/socket"

struct ld {
	char dir[64];
	char crasher[PATH_MAX];
	char cfg[128], out[128], err[128];
	pid_t daemon;
	pid_t journald;
	int mounted;		/* 1 /run, 2 and /var/log/journal */
};

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int setup(void **state)
{
	struct ld *d = calloc(1, sizeof(*d));
	struct ht tmp;

	if (harness_need_root() || !d || ht_find_crasher(&tmp))
		return -1;
	snprintf(d->crasher, sizeof(d->crasher), "%s", tmp.crasher);
	snprintf(d->dir, sizeof(d->dir), "/tmp/hms-log-XXXXXX");
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
	struct ld *d = *state;

	stop_pid(&d->daemon);	/* TERM: it stops what it spawned */
	stop_pid(&d->journald);
	if (d->mounted > 1)
		umount2("/var/log/journal", MNT_DETACH);
	if (d->mounted)
		umount2("/run", MNT_DETACH);
	harness_rmtree(d->dir);
	free(d);
	return 0;
}

/* A component that crashes once 300 ms after its start, then runs. */
static void write_cfg(struct ld *d, const char *level, int watch_all)
{
	FILE *f = fopen(d->cfg, "w");
	char count[160];

	assert_non_null(f);
	fprintf(f, "daemon: {registry: %s/reg, socket: %s/hms.sock, "
		"log_level: %s}\n", d->dir, d->dir, level);
	if (watch_all)
		fprintf(f, "watch: {all: true, classes: [crash]}\n");
	fprintf(f, "components:\n"
		"  - name: api\n"
		"    command: [%s, segv-count, %s/count, 1, 300]\n"
		"    start_grace_s: 0.1\n"
		"    verify_s: 0.3\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [restart]}\n", d->crasher, d->dir);
	fclose(f);
	chmod(d->cfg, 0644);
	unlink(d->out);
	snprintf(count, sizeof(count), "%s/count", d->dir);
	unlink(count);		/* the crasher's count: it crashes again */
}

/* The daemon with --json on out and stderr on errfd (-1: the err file);
 * extra: more options (NULL-terminated). */
static pid_t run(struct ld *d, int errfd, const char *const *extra)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[16] = { daemon_path(), "--config", d->cfg,
					 "--json", "--no-tmux", "--duration",
					 "120" };
		int n = 7, fd;
		struct stat st;
		char js[64];

		for (; extra && *extra && n < 15; extra++)
			argv[n++] = *extra;
		argv[n] = NULL;
		fd = open(d->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		if (errfd < 0) {
			fd = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 2);
			unsetenv("JOURNAL_STREAM");
		} else {
			dup2(errfd, 2);
			fstat(2, &st);
			snprintf(js, sizeof(js), "%llu:%llu",
				 (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino);
			setenv("JOURNAL_STREAM", js, 1);
		}
		setenv("HMS_NO_TMUX", "1", 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

/* Run until the component's recovery has an outcome, then stop the
 * daemon (cleanly: its last lines are written). */
static void run_recovery(struct ld *d, int errfd, const char *const *extra)
{
	int skip = 0, st = 0;
	json_t *o;

	d->daemon = run(d, errfd, extra);
	o = harness_json_wait(d->out, &skip, "outcome", "api", NULL, NULL, 0,
			      60000);
	assert_non_null(o);
	json_decref(o);
	kill(d->daemon, SIGTERM);
	waitpid(d->daemon, &st, 0);
	d->daemon = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static bool has(const char *all, const char *text)
{
	if (strstr(all, text))
		return true;
	print_message("not in the log: '%s'\n", text);
	return false;
}

static bool lacks(const char *all, const char *text)
{
	if (!strstr(all, text))
		return true;
	print_message("in the log, but should not be: '%s'\n", text);
	return false;
}

/* debug: the whole story, one line each, with component, class,
 * strategy and result; a watched process's hostile comm escaped. */
static int crash_evil(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "\x1b[2Jevil", 0, 0, 0);
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 0;
}

static void test_debug_story(void **state)
{
	struct ld *d = *state;
	int skip = 0, st;
	char *all, want[64];
	json_t *o;
	pid_t evil;

	write_cfg(d, "debug", 1);
	d->daemon = run(d, -1, NULL);
	o = harness_json_wait(d->out, &skip, "outcome", "api", NULL, NULL, 0,
			      60000);
	assert_non_null(o);
	json_decref(o);
	evil = harness_fork(crash_evil, NULL);
	st = harness_reap(evil);
	assert_true(WIFSIGNALED(st));
	snprintf(want, sizeof(want), "(pid %d): failure crash", (int)evil);
	for (int i = 0; i < 600; i++) {	/* 30 s at most */
		all = harness_slurp(d->err);
		bool found = strstr(all, want) != NULL;

		free(all);
		if (found)
			break;
		usleep(50000);
	}
	kill(d->daemon, SIGTERM);
	waitpid(d->daemon, &st, 0);
	d->daemon = 0;
	all = harness_slurp(d->err);
	assert_non_null(all);
	assert_true(has(all, "hms-ebpf: api: failure crash: SIGSEGV, pid "));
	assert_true(has(all, "hms-ebpf: api: failure crash: strategy restart "
			"chosen (only_candidate, 1 candidate"));
	assert_true(has(all, "hms-ebpf: api: failure crash: candidates: "
			"restart mean"));
	assert_true(has(all, "hms-ebpf: api: state healthy -> failed: "));
	assert_true(has(all, "hms-ebpf: api: state failed -> recovering: "));
	assert_true(has(all, "hms-ebpf: api: failure crash: strategy restart: "
			"action restart finished: ok, pid "));
	assert_true(has(all, "hms-ebpf: api: failure crash: strategy restart: "
			"result success, recovered in "));
	assert_true(has(all, "hms-ebpf: api: state recovering -> healthy: "));
	/* the hostile comm: escaped, on its one line */
	assert_true(has(all, "hms-ebpf: process \\e[2Jevil (pid "));
	assert_true(has(all, want));
	assert_null(strchr(all, '\x1b'));
	free(all);
}

/* warning: the failure only; notice/info/debug lines are not there. */
static void test_warning_level(void **state)
{
	struct ld *d = *state;
	char *all;

	write_cfg(d, "warning", 0);
	run_recovery(d, -1, NULL);
	all = harness_slurp(d->err);
	assert_true(has(all, "hms-ebpf: api: failure crash: SIGSEGV, pid "));
	assert_true(lacks(all, "strategy restart chosen"));
	assert_true(lacks(all, "action restart"));
	assert_true(lacks(all, "result success"));
	assert_true(lacks(all, "state recovering -> healthy"));
	assert_true(lacks(all, "sensors attached"));	/* notice */
	free(all);
}

/* -v raises the config's level one step each: warning -v is notice,
 * warning -v -v is info. */
static void test_verbose(void **state)
{
	struct ld *d = *state;
	const char *one[] = { "-v", NULL }, *two[] = { "-v", "-v", NULL };
	char *all;

	write_cfg(d, "warning", 0);
	run_recovery(d, -1, one);
	all = harness_slurp(d->err);
	assert_true(has(all, "hms-ebpf: api: failure crash: strategy restart "
			"chosen"));
	assert_true(has(all, "strategy restart: result success"));
	assert_true(lacks(all, "action restart"));		/* info */
	assert_true(lacks(all, "state recovering -> healthy"));	/* info */
	assert_true(lacks(all, "candidates:"));			/* debug */
	free(all);
	write_cfg(d, "warning", 0);
	run_recovery(d, -1, two);
	all = harness_slurp(d->err);
	assert_true(has(all, "strategy restart: action restart finished: ok"));
	assert_true(has(all, "hms-ebpf: api: state recovering -> healthy: "));
	assert_true(lacks(all, "candidates:"));
	free(all);
}

static bool wait_text(const char *path, const char *text, int limit_ms)
{
	for (int waited = 0; waited < limit_ms; waited += 50) {
		char *all = harness_slurp(path);
		bool found = all && strstr(all, text);

		free(all);
		if (found)
			return true;
		usleep(50000);
	}
	return false;
}

/* A reload applies a new daemon.log_level: warning, then notice. */
static void test_reload_level(void **state)
{
	struct ld *d = *state;
	int skip = 0;
	json_t *o;
	char *all;

	write_cfg(d, "warning", 0);
	d->daemon = run(d, -1, NULL);
	o = harness_json_wait(d->out, &skip, "outcome", "api", NULL, NULL, 0,
			      60000);
	assert_non_null(o);
	json_decref(o);
	write_cfg(d, "notice", 0);
	kill(d->daemon, SIGHUP);
	/* a notice: written only once the new level is in force */
	assert_true(wait_text(d->err, "hms-ebpf: configuration reloaded from",
			      30000));
	all = harness_slurp(d->err);
	assert_true(lacks(all, "sensors attached"));	/* notice, before */
	free(all);
}

/* ---- journald ---- */

/* A private /run (and /var/log/journal) for this process and its
 * children: the journal of the test is nobody else's. */
static void private_run(struct ld *d)
{
	char var[128];

	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
	d->mounted = 1;
	assert_int_equal(mkdir("/run/systemd", 0755), 0);
	assert_int_equal(mkdir("/run/systemd/journal", 0755), 0);
	assert_int_equal(mkdir("/run/log", 0755), 0);
	assert_int_equal(mkdir("/run/log/journal", 0755), 0);
	snprintf(var, sizeof(var), "%s/var", d->dir);
	assert_int_equal(mkdir(var, 0755), 0);
	if (!access("/var/log/journal", F_OK)) {
		assert_int_equal(mount(var, "/var/log/journal", NULL, MS_BIND,
				       NULL), 0);
		d->mounted = 2;
	}
}

static bool wait_path(const char *path, int limit_ms)
{
	for (int waited = 0; waited < limit_ms; waited += 50) {
		if (!access(path, F_OK))
			return true;
		usleep(50000);
	}
	return false;
}

/* journalctl -o json over the test's journal with match; the entries
 * (an array, the caller's). */
static json_t *journal_read(struct ld *d, const char *match)
{
	char dir[PATH_MAX], mid[64] = "", path[PATH_MAX];
	json_t *all = json_array();
	FILE *f = fopen("/etc/machine-id", "r");
	char *text, *line, *save = NULL;
	pid_t pid;

	if (f) {
		if (!fgets(mid, sizeof(mid), f))
			mid[0] = '\0';
		fclose(f);
		mid[strcspn(mid, "\n")] = '\0';
	}
	snprintf(dir, sizeof(dir), "/run/log/journal/%s", mid);
	if (access(dir, F_OK))
		snprintf(dir, sizeof(dir), "%s/var/%s", d->dir, mid);
	snprintf(path, sizeof(path), "%s/journal.json", d->dir);
	pid = fork();
	if (pid == 0) {
		char arg[PATH_MAX + 16];
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		snprintf(arg, sizeof(arg), "--directory=%s", dir);
		execlp("journalctl", "journalctl", arg, "--no-pager", "-o",
		       "json", match, (char *)NULL);
		_exit(127);
	}
	harness_reap(pid);
	text = harness_slurp(path);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);

		if (e)
			json_array_append_new(all, e);
	}
	free(text);
	return all;
}

static const char *jstr(json_t *e, const char *key)
{
	const char *s = json_string_value(json_object_get(e, key));

	return s ? s : "";
}

/* The first entry whose key is value (and whose key2 is value2). */
static json_t *journal_find(json_t *all, const char *key, const char *value,
			    const char *key2, const char *value2)
{
	size_t i;
	json_t *e;

	json_array_foreach(all, i, e)
		if (!strcmp(jstr(e, key), value) &&
		    (!key2 || !strcmp(jstr(e, key2), value2)))
			return e;
	return NULL;
}

static void check_outcome_fields(json_t *e)
{
	assert_non_null(e);
	assert_string_equal(jstr(e, "HMS_COMPONENT"), "api");
	assert_string_equal(jstr(e, "HMS_FAILURE"), "crash");
	assert_string_equal(jstr(e, "HMS_STRATEGY"), "restart");
	assert_string_equal(jstr(e, "HMS_OUTCOME"), "success");
	assert_string_equal(jstr(e, "PRIORITY"), "5");
	assert_string_equal(jstr(e, "SYSLOG_IDENTIFIER"), "hms-ebpf");
	assert_non_null(strstr(jstr(e, "MESSAGE"), "api: failure crash: "
			       "strategy restart: result success"));
}

/* Without journald: the native protocol as systemd documents it
 * (https://systemd.io/JOURNAL_NATIVE_PROTOCOL), one datagram per entry,
 * FIELD=value lines or FIELD\n<le64 size><value>\n. */
static json_t *native_parse(const char *buf, size_t len)
{
	json_t *e = json_object();
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq = memchr(p, '=', (size_t)((nl ? nl : end) - p));
		char key[128], *val;
		uint64_t n;

		if (!nl)
			break;
		if (eq) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
			val = strndup(eq + 1, (size_t)(nl - eq - 1));
			p = nl + 1;
		} else {
			snprintf(key, sizeof(key), "%.*s", (int)(nl - p), p);
			if (end - nl - 1 < 8)
				break;
			memcpy(&n, nl + 1, 8);	/* little endian */
			if (n > (uint64_t)(end - nl - 9))
				break;
			val = strndup(nl + 9, n);
			p = nl + 9 + n + 1;
		}
		json_object_set_new(e, key, json_string(val ? val : ""));
		free(val);
	}
	return e;
}

static void test_journal_native(struct ld *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sock, sp[2], skip = 0, st;
	json_t *all = json_array(), *o;
	char buf[65536];
	ssize_t n;

	print_message("no %s: checking the native protocol datagrams\n",
		      JOURNALD);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", JSOCK);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(sock >= 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* stderr: a stream socket, as journald's stdout stream is */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sp), 0);
	write_cfg(d, "info", 0);
	d->daemon = run(d, sp[1], NULL);
	close(sp[1]);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	o = harness_json_wait(d->out, &skip, "outcome", "api", NULL, NULL, 0,
			      60000);
	assert_non_null(o);
	json_decref(o);
	kill(d->daemon, SIGTERM);
	while (waitpid(d->daemon, &st, WNOHANG) == 0) {
		while (read(sp[0], buf, sizeof(buf)) > 0)	/* drain */
			;
		usleep(20000);
	}
	d->daemon = 0;
	while ((n = recv(sock, buf, sizeof(buf), 0)) > 0)
		json_array_append_new(all, native_parse(buf, (size_t)n));
	close(sock);
	close(sp[0]);
	unlink(JSOCK);
	check_outcome_fields(journal_find(all, "HMS_EVENT", "outcome",
					  "HMS_COMPONENT", "api"));
	o = journal_find(all, "HMS_EVENT", "failure", "HMS_COMPONENT", "api");
	assert_non_null(o);
	assert_string_equal(jstr(o, "PRIORITY"), "4");
	json_decref(all);
}

static void test_journald(void **state)
{
	struct ld *d = *state;
	json_t *all = NULL, *e;
	int fd, skip = 0, st;

	private_run(d);
	if (access(JOURNALD, X_OK) || getenv("HMS_TEST_NO_JOURNALD")) {
		test_journal_native(d);
		return;
	}
	d->journald = fork();
	if (d->journald == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl(JOURNALD, "systemd-journald", (char *)NULL);
		_exit(127);
	}
	assert_true(wait_path(JSOCK, 20000));
	assert_true(wait_path("/run/systemd/journal/stdout", 20000));
	/* stderr of the daemon: a journal stream, as systemd gives a unit
	 * with StandardError=journal ("<N>" prefixes parsed) */
	fd = sd_journal_stream_fd("hms-ebpf", LOG_INFO, 1);
	assert_true(fd >= 0);
	write_cfg(d, "info", 0);
	d->daemon = run(d, fd, NULL);
	close(fd);
	e = harness_json_wait(d->out, &skip, "outcome", "api", NULL, NULL, 0,
			      60000);
	assert_non_null(e);
	json_decref(e);
	kill(d->daemon, SIGTERM);
	waitpid(d->daemon, &st, 0);
	d->daemon = 0;
	/* journald writes what it received before it reads more: wait */
	for (int i = 0; i < 300; i++) {	/* 30 s at most */
		json_decref(all);
		all = journal_read(d, "HMS_COMPONENT=api");
		if (journal_find(all, "HMS_EVENT", "outcome", NULL, NULL))
			break;
		usleep(100000);
	}
	check_outcome_fields(journal_find(all, "HMS_EVENT", "outcome", NULL,
					  NULL));
	e = journal_find(all, "HMS_EVENT", "failure", NULL, NULL);
	assert_non_null(e);
	assert_string_equal(jstr(e, "HMS_FAILURE"), "crash");
	assert_string_equal(jstr(e, "PRIORITY"), "4");
	assert_string_equal(jstr(e, "_TRANSPORT"), "journal");
	e = journal_find(all, "HMS_EVENT", "action", NULL, NULL);
	assert_non_null(e);
	assert_string_equal(jstr(e, "HMS_STRATEGY"), "restart");
	assert_string_equal(jstr(e, "HMS_ACTION"), "restart");
	json_decref(all);
	/* plain lines through the stream, with their priority; the
	 * structured ones are not there twice */
	all = journal_read(d, "_TRANSPORT=stdout");
	e = NULL;
	for (size_t i = 0; i < json_array_size(all); i++) {
		json_t *x = json_array_get(all, i);

		if (strstr(jstr(x, "MESSAGE"), "sensors attached"))
			e = x;
		assert_null(strstr(jstr(x, "MESSAGE"), "result success"));
	}
	assert_non_null(e);
	assert_string_equal(jstr(e, "PRIORITY"), "5");
	assert_string_equal(jstr(e, "SYSLOG_IDENTIFIER"), "hms-ebpf");
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_debug_story, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_warning_level, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verbose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_level, setup,
						teardown),
		/* last: it leaves this process in its own mount namespace */
		cmocka_unit_test_setup_teardown(test_journald, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

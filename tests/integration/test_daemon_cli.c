// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_daemon_cli.c - the hms-ebpf binary as a user runs it: --help,
 * --version, usage errors, --json streaming a real crash, and that after
 * --duration or SIGTERM none of its BPF programs stays loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <jansson.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

#define MAX_IDS	256

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static char tmpdir[64], out_path[128], err_path[128];
static char cfg_path[128], reg_path[128], sock_path[128];
static pid_t running = -1;	/* a daemon a failed test left behind */
static int private_paths = 1;

/* Run the daemon with args (plus its private config, registry and
 * socket); stdout to out_path (or /dev/null). */
static pid_t run_daemon(const char *const *args, const char *out_path,
			const char *err_path)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[24] = { daemon_path() };
		int n = 1, fd;

		for (; args && args[n - 1] && n < 15; n++)
			argv[n] = args[n - 1];
		if (private_paths) {
			argv[n++] = "--config";
			argv[n++] = cfg_path;
			argv[n++] = "--registry";
			argv[n++] = reg_path;
			argv[n++] = "--socket";
			argv[n++] = sock_path;
		}
		argv[n] = NULL;
		fd = open(out_path ? out_path : "/dev/null",
			  O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(err_path ? err_path : "/dev/null",
			  O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

static int run_status(const char *const *args, const char *out,
		      const char *err)
{
	int st = harness_reap(run_daemon(args, out, err));

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	if (harness_need_root())
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hms-cli-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(out_path, sizeof(out_path), "%s/out", tmpdir);
	snprintf(err_path, sizeof(err_path), "%s/err", tmpdir);
	snprintf(cfg_path, sizeof(cfg_path), "%s/hms.yaml", tmpdir);
	snprintf(reg_path, sizeof(reg_path), "%s/registry", tmpdir);
	snprintf(sock_path, sizeof(sock_path), "%s/hms.sock", tmpdir);
	/* never the host's /etc config, registry or socket */
	f = fopen(cfg_path, "we");
	if (!f)
		return -1;
	fputs("version: 1\n", f);
	fclose(f);
	return chmod(cfg_path, 0644);	/* nobody reads it too */
}

static int teardown(void **state)
{
	(void)state;
	if (running > 0) {
		kill(running, SIGKILL);
		harness_reap(running);
	}
	harness_rmtree(tmpdir);
	return 0;
}

static void test_help_version_usage(void **state)
{
	const char *help[] = { "--help", NULL };
	const char *ver[] = { "--version", NULL };
	const char *bad[] = { "--bogus", NULL };
	const char *dur[] = { "--duration", "soon", NULL };
	char *s;

	(void)state;
	private_paths = 0;
	assert_int_equal(run_status(help, out_path, err_path), 0);
	s = harness_slurp(out_path);
	assert_non_null(strstr(s, "Usage: hms-ebpf"));
	assert_non_null(strstr(s, "--duration"));
	free(s);
	assert_int_equal(run_status(ver, out_path, err_path), 0);
	s = harness_slurp(out_path);
	assert_non_null(strstr(s, "hms-ebpf "));
	free(s);
	assert_int_equal(run_status(bad, out_path, err_path), 2);
	assert_int_equal(run_status(dur, out_path, err_path), 2);
	s = harness_slurp(err_path);
	assert_non_null(strstr(s, "--duration"));
	free(s);
	{
		const char *typo[] = { "--json", "--json-types", "exit,forks",
				       NULL };
		const char *alone[] = { "--json-exclude", "fork", NULL };

		assert_int_equal(run_status(typo, out_path, err_path), 2);
		s = harness_slurp(err_path);
		assert_non_null(strstr(s, "--json-types: unknown event type "
				       "'forks'"));
		free(s);
		/* a filter without a stream to filter is a usage error */
		assert_int_equal(run_status(alone, out_path, err_path), 2);
		s = harness_slurp(err_path);
		assert_non_null(strstr(s, "--json-file"));
		free(s);
	}
	private_paths = 1;
}

/* IDs of loaded BPF programs whose name starts with "hms_". */
static int our_prog_ids(uint32_t *ids, int max)
{
	uint32_t id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {0};
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strncmp(info.name, "hms_", 4) && n < max)
			ids[n++] = id;
		close(fd);
	}
	return n;
}

static int id_in(uint32_t id, const uint32_t *ids, int n)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* Programs the daemon holds: prog_id lines of its fds' fdinfo. */
static int daemon_progs(pid_t pid, uint32_t *mine)
{
	char path[64], line[128];
	int n = 0;

	for (int fd = 0; fd < 1024 && n < MAX_IDS; fd++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned int id;

			if (sscanf(line, "prog_id: %u", &id) == 1 &&
			    !id_in(id, mine, n))
				mine[n++] = id;
		}
		fclose(f);
	}
	return n;
}

/* How many of mine are still loaded once the kernel has had time to
 * free them (programs are freed after an RCU grace period). */
static int still_loaded(const uint32_t *mine, int n)
{
	uint32_t now[MAX_IDS];
	int left = n;

	for (int tries = 0; tries < 200 && left; tries++) {
		int nn = our_prog_ids(now, MAX_IDS);

		left = 0;
		for (int i = 0; i < n; i++)
			left += id_in(mine[i], now, nn);
		if (left)
			usleep(50000);
	}
	return left;
}

/* The daemon says on stderr when its sensors are attached. */
static int wait_ready(void)
{
	for (int tries = 0; tries < 300; tries++) {
		char *s = harness_slurp(err_path);
		int ok = s && strstr(s, "sensors attached") != NULL;

		free(s);
		if (ok)
			return 0;
		usleep(50000);
	}
	return -1;
}

static int child_segv(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-cli-crash");
	raise(SIGSEGV);
	return 0;
}

static void test_json_duration_unloads(void **state)
{
	const char *args[] = { "--json", "--no-tmux", "--duration", "3", NULL };
	uint32_t mine[MAX_IDS];
	int n, st, found = 0;
	pid_t d, crash;
	char *s, *line, *save;

	(void)state;
	unlink(err_path);
	running = d = run_daemon(args, out_path, err_path);
	assert_int_equal(wait_ready(), 0);
	n = daemon_progs(d, mine);
	assert_true(n >= 10);
	crash = harness_fork(child_segv, NULL);
	harness_reap(crash);
	st = harness_reap(d);
	running = -1;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(still_loaded(mine, n), 0);
	s = harness_slurp(out_path);
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);

		assert_non_null(o);	/* every line is one JSON object */
		if (!strcmp(json_string_value(json_object_get(o, "type")), "exit") &&
		    json_integer_value(harness_json_path(o, "process.pid")) ==
		    crash) {
			assert_string_equal(json_string_value(
				json_object_get(o, "signal")), "SIGSEGV");
			assert_int_equal(json_integer_value(
				json_object_get(o, "signo")), SIGSEGV);
			assert_true(json_is_true(json_object_get(o, "crash")));
			assert_string_equal(json_string_value(harness_json_path(
				o, "process.comm")), "hms-cli-crash");
			found = 1;
		}
		json_decref(o);
	}
	free(s);
	assert_true(found);
}

/* A second daemon on the same socket refuses to start. */
/* The lock next to the socket, planted as a symlink to a file root
 * would create: in a world-writable directory the daemon refuses the
 * directory; in a private one it refuses the link (O_NOFOLLOW); the
 * target is never created and nothing else is left there. */
static void test_lock_symlink_refused(void **state)
{
	char dir[160], sock[192], lock[200], victim[160], *s;
	const char *args[] = { "--no-tmux", "--duration", "2", "--config",
			       cfg_path, "--registry", reg_path, "--socket",
			       sock, NULL };
	struct stat st;

	(void)state;
	private_paths = 0;
	snprintf(dir, sizeof(dir), "%s/pub", tmpdir);
	snprintf(sock, sizeof(sock), "%s/hms.sock", dir);
	snprintf(lock, sizeof(lock), "%s.lock", sock);
	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(symlink(victim, lock), 0);

	assert_int_not_equal(run_status(args, NULL, err_path), 0);
	s = harness_slurp(err_path);
	assert_non_null(strstr(s, "refusing the lock"));
	assert_non_null(strstr(s, "writable by others"));
	free(s);
	assert_int_equal(lstat(victim, &st), -1);

	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_not_equal(run_status(args, NULL, err_path), 0);
	s = harness_slurp(err_path);
	assert_non_null(strstr(s, "a symlink: refused"));
	free(s);
	assert_int_equal(lstat(victim, &st), -1);
	assert_int_equal(lstat(sock, &st), -1);
	private_paths = 1;
}

static void test_second_instance_refused(void **state)
{
	const char *args[] = { "--no-tmux", NULL };
	char err2[160], *s;
	pid_t d;
	int st;

	(void)state;
	unlink(err_path);
	running = d = run_daemon(args, out_path, err_path);
	assert_int_equal(wait_ready(), 0);
	snprintf(err2, sizeof(err2), "%s/err2", tmpdir);
	st = run_status(args, NULL, err2);
	kill(d, SIGTERM);
	harness_reap(d);
	running = -1;
	assert_int_equal(st, 1);
	s = harness_slurp(err2);
	assert_non_null(strstr(s, "another hms-ebpf is running"));
	free(s);
}

static void test_sigterm_unloads(void **state)
{
	const char *args[] = { "--no-tmux", NULL };
	uint32_t mine[MAX_IDS];
	int n, st;
	pid_t d;

	(void)state;
	unlink(err_path);
	running = d = run_daemon(args, out_path, err_path);
	assert_int_equal(wait_ready(), 0);
	n = daemon_progs(d, mine);
	assert_true(n >= 10);
	kill(d, SIGTERM);
	st = harness_reap(d);
	running = -1;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(still_loaded(mine, n), 0);
}

/* --json into a pipe nobody reads: the daemon keeps running its loop
 * and still stops at once on SIGTERM. */
static void test_json_slow_reader(void **state)
{
	const char *args[] = { "--json", "--no-tmux", NULL };
	int p[2], st;
	pid_t d, kid;
	char *s;

	(void)state;
	assert_int_equal(pipe(p), 0);
	unlink(err_path);
	running = d = fork();
	if (d == 0) {
		const char *argv[] = { daemon_path(), args[0], args[1],
			"--config", cfg_path, "--registry", reg_path,
			"--socket", sock_path, NULL };
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(p[1], 1);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(p[1]);
	assert_int_equal(wait_ready(), 0);
	/* far more than a pipe holds (64 KiB): ~1200 events of ~180 B */
	for (int i = 0; i < 600; i++) {
		kid = fork();
		if (kid == 0)
			_exit(0);
		harness_reap(kid);
	}
	kill(d, SIGTERM);
	st = harness_reap(d);
	running = -1;
	close(p[0]);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	s = harness_slurp(err_path);
	assert_non_null(strstr(s, "lines dropped"));
	free(s);
}

static void test_not_root_refused(void **state)
{
	const char *args[] = { "--no-tmux", "--duration", "1", NULL };
	pid_t pid;
	int st;
	char *s;

	(void)state;
	/* let nobody write the error file in our private dir */
	chmod(tmpdir, 0711);
	close(open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666));
	chmod(err_path, 0666);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(99);
		_exit(run_status(args, NULL, err_path));
	}
	st = harness_reap(pid);
	chmod(tmpdir, 0700);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	s = harness_slurp(err_path);
	assert_non_null(strstr(s, "root"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_version_usage),
		cmocka_unit_test(test_json_duration_unloads),
		cmocka_unit_test(test_sigterm_unloads),
		cmocka_unit_test(test_second_instance_refused),
		cmocka_unit_test(test_lock_symlink_refused),
		cmocka_unit_test(test_json_slow_reader),
		cmocka_unit_test(test_not_root_refused),
	};

	return cmocka_run_group_tests_name("daemon_cli", tests, setup,
					   teardown);
}

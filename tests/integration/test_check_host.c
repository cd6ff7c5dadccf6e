// SPDX-License-Identifier: BSD-2-Clause
/* test_check_host.c - `hms-ebpf --check-config` checks the host too: a
 * start command that does not exist, is not executable or is not in PATH,
 * an unknown user or group, a missing cwd or cgroup directory are each an
 * error with FILE:LINE:COL and the key (exit 2); --no-host-checks checks
 * the file only; a config this host can run passes. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

static char dir[64], cfg[128], err_path[128];

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int check(const char *extra)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		if (extra)
			execl(daemon_path(), daemon_path(), "--check-config",
			      extra, "--config", cfg, (char *)NULL);
		else
			execl(daemon_path(), daemon_path(), "--check-config",
			      "--config", cfg, (char *)NULL);
		_exit(127);
	}
	st = harness_reap(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void write_cfg(const char *text)
{
	FILE *f = fopen(cfg, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(cfg, 0600);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hms-check-host-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cfg, sizeof(cfg), "%s/hms.yaml", dir);
	snprintf(err_path, sizeof(err_path), "%s/err.txt", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	harness_rmtree(dir);
	return 0;
}

/* stderr holds "CFG:LINE:COL: KEY: ...WHAT..." */
static void assert_error(const char *err, int line, const char *key,
			 const char *what)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "%s:%d:", cfg, line);
	p = strstr(err, want);
	if (!p)
		fail_msg("no error at line %d in:\n%s", line, err);
	p = strchr(p + strlen(want), ':');	/* after the column */
	assert_non_null(p);
	assert_true(!strncmp(p + 2, key, strlen(key)));
	p = strchr(p, '\n');
	if (!strstr(strstr(err, want), what) ||
	    (p && strstr(strstr(err, want), what) > p))
		fail_msg("line %d: '%s' expected in:\n%s", line, what, err);
}

static void test_host_errors(void **state)
{
	char text[2048], *err;

	(void)state;
	snprintf(text, sizeof(text), "%s/notexec", dir);
	close(open(text, O_WRONLY | O_CREAT, 0644));
	snprintf(text, sizeof(text),
		 "components:\n"				/* 1 */
		 "  - name: a\n"				/* 2 */
		 "    command: [/nonexistent/hms/bin, x]\n"	/* 3 */
		 "    user: hmsnosuchuser\n"			/* 4 */
		 "    group: hmsnosuchgroup\n"			/* 5 */
		 "    cwd: /nonexistent/hms/cwd\n"		/* 6 */
		 "    cgroup: /sys/fs/cgroup/hms-no-such-cgroup\n"	/* 7 */
		 "  - name: b\n"				/* 8 */
		 "    command: [%s/notexec]\n"			/* 9 */
		 "  - name: c\n"				/* 10 */
		 "    command: [hms-no-such-command-xyz]\n",	/* 11 */
		 dir);
	write_cfg(text);
	assert_int_equal(check(NULL), 2);
	err = harness_slurp(err_path);
	assert_non_null(err);
	assert_error(err, 3, "components[0].command", "not found");
	assert_error(err, 4, "components[0].user", "no such user");
	assert_error(err, 5, "components[0].group", "no such group");
	assert_error(err, 6, "components[0].cwd", "No such file");
	assert_error(err, 7, "components[0].cgroup", "No such file");
	assert_error(err, 9, "components[1].command", "not an executable");
	assert_error(err, 11, "components[2].command", "not found in PATH");
	assert_non_null(strstr(err, "7 problems on this host"));
	free(err);
	/* a config for another machine: the file alone is valid */
	assert_int_equal(check("--no-host-checks"), 0);
	err = harness_slurp(err_path);
	assert_non_null(strstr(err, "configuration is valid"));
	free(err);
}

static void test_host_ok(void **state)
{
	(void)state;
	write_cfg("components:\n"
		  "  - name: ok\n"
		  "    command: [true]\n"		/* found in PATH */
		  "    user: root\n"
		  "    group: root\n"
		  "    cwd: /tmp\n");
	assert_int_equal(check(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_ok, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

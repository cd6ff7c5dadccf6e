/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_examples.c - every annotated configuration in examples/ passes
 * `hms-ebpf --check-config` (the real binary, $DAEMON): the file checks
 * everywhere (--no-host-checks: they are written for hosts with nginx or
 * PostgreSQL), and the batch job's host checks too, whose programs every
 * Debian host has.  A broken example must fail here, so one broken copy
 * is checked to be refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

/* hms-ebpf --check-config [--no-host-checks] --config path: exit code. */
static int check_config(const char *path, bool host)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);	/* stderr kept: the errors, if any */
		if (host)
			execl(daemon_path(), daemon_path(), "--check-config",
			      "--config", path, (char *)NULL);
		else
			execl(daemon_path(), daemon_path(), "--check-config",
			      "--no-host-checks", "--config", path,
			      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_every_example_checks(void **state)
{
	DIR *d = opendir("examples");
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300];
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "examples/%s", e->d_name);
		fprintf(stderr, "checking %s\n", path);
		assert_int_equal(check_config(path, false), 0);
		n++;
	}
	closedir(d);
	/* web server, database, batch job at least */
	assert_true(n >= 3);
	assert_int_equal(check_config("examples/batch-job.yaml", true), 0);
}

/* the same check refuses a broken copy: the test above can fail */
static void test_broken_example_refused(void **state)
{
	char dir[] = "/tmp/hms-examples-XXXXXX", path[64], cmd[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/broken.yaml", dir);
	snprintf(cmd, sizeof(cmd), "sed 's/on_daemon_stop: keep/"
		 "on_daemon_stop: never/' examples/web-server.yaml > %s",
		 path);
	assert_int_equal(system(cmd), 0);
	chmod(path, 0644);
	assert_int_equal(check_config(path, false), 2);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_example_checks),
		cmocka_unit_test(test_broken_example_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

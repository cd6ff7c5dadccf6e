// SPDX-License-Identifier: BSD-2-Clause
/* test_procfs.c - the one /proc reader: crafted lines (a comm with spaces
 * and ')' in it, v1 and v2 cgroup lines, truncated text) and the real
 * files of this process and of a child. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "procfs.h"

static void test_stat_parse(void **state)
{
	struct procfs_stat st;

	(void)state;
	assert_int_equal(procfs_stat_parse("1234 (nginx) S 1 1234 1234 0 -1 "
		"4194560 100 0 0 0 7 3 0 0 20 0 1 0 98765 1000 200 "
		"18446744073709551615", &st), 0);
	assert_string_equal(st.comm, "nginx");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.pgrp, 1234);
	assert_int_equal(st.session, 1234);
	assert_int_equal(st.utime, 7);
	assert_int_equal(st.stime, 3);
	assert_int_equal(st.starttime, 98765);
	assert_true(procfs_stat_alive(&st));

	/* a hostile comm: spaces, parentheses and a fake state inside */
	assert_int_equal(procfs_stat_parse("77 (a) Z 9 (x) R 5 6 7 0 -1 0 0 0 "
		"0 0 11 12 0 0 20 0 1 0 555 0 0", &st), 0);
	assert_string_equal(st.comm, "a) Z 9 (x");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 5);
	assert_int_equal(st.pgrp, 6);
	assert_int_equal(st.starttime, 555);

	assert_int_equal(procfs_stat_parse("9 (z) Z 1 9 9 0 -1 0 0 0 0 0 0 0 0 "
		"0 20 0 1 0 1 0 0", &st), 0);
	assert_false(procfs_stat_alive(&st));

	assert_int_equal(procfs_stat_parse("", &st), -EINVAL);
	assert_int_equal(procfs_stat_parse("12 (x", &st), -EINVAL);
	assert_int_equal(procfs_stat_parse("12 (x) S 1 2", &st), -EINVAL);
	assert_int_equal(procfs_stat_parse("12 x) S 1 2 3", &st), -EINVAL);
	/* an over-long comm is cut, never overflows */
	assert_int_equal(procfs_stat_parse("1 (0123456789abcdefXYZ) S 1 1 1 0 "
		"-1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0", &st), 0);
	assert_string_equal(st.comm, "0123456789abcde");
}

static void test_stat_self(void **state)
{
	struct procfs_stat st;
	char comm[32];

	(void)state;
	prctl(PR_GET_NAME, comm);
	assert_int_equal(procfs_stat_read(getpid(), &st), 0);
	assert_string_equal(st.comm, comm);
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.pgrp, getpgrp());
	assert_int_equal(st.session, getsid(0));
	assert_int_equal(st.state, 'R');
	assert_true(st.starttime > 0);
	assert_true(procfs_alive(getpid()));
	assert_int_equal(procfs_comm_read(getpid(), comm, sizeof(comm)), 0);
	assert_string_equal(comm, st.comm);
	assert_true(procfs_has_mm(getpid()));
	/* no such process */
	assert_int_equal(procfs_stat_read(0x3fffffff, &st), -ENOENT);
	assert_false(procfs_alive(0x3fffffff));
}

/* a child named with spaces and ')', then a zombie */
static void test_stat_child(void **state)
{
	struct procfs_stat st;
	char comm[32];
	int p[2], i;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, "a) b (c");
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], comm, 1), 1);
	assert_int_equal(procfs_stat_read(pid, &st), 0);
	assert_string_equal(st.comm, "a) b (c");
	assert_int_equal(st.ppid, getpid());
	assert_true(procfs_alive(pid));
	assert_int_equal(procfs_comm_read(pid, comm, sizeof(comm)), 0);
	assert_string_equal(comm, "a) b (c");
	kill(pid, SIGKILL);
	for (i = 0; i < 500 && procfs_alive(pid); i++)
		usleep(10000);
	assert_false(procfs_alive(pid));	/* a zombie until reaped */
	assert_int_equal(procfs_stat_read(pid, &st), 0);
	assert_int_equal(st.state, 'Z');
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
}

static void test_status(void **state)
{
	uid_t uid;
	gid_t gid;

	(void)state;
	assert_int_equal(procfs_status_parse("Name:\tx\nUmask:\t0022\nUid:\t"
		"1000\t1000\t1000\t1000\nGid:\t50\t50\t50\t50\n", &uid, &gid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 50);
	assert_int_equal(procfs_status_parse("Name:\tx\n", &uid, &gid),
			 -EINVAL);
	assert_int_equal(procfs_status_read(getpid(), &uid, &gid), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(gid, getgid());
}

static void test_cgroup_line(void **state)
{
	char l1[] = "0::/system.slice/api.service\n";
	char l2[] = "7:cpu,cpuacct:/user.slice\n";
	char l3[] = "4:memory:/a:b\n";	/* ':' inside the path */
	char bad[] = "nonsense\n";
	const char *ctrls, *path;

	(void)state;
	assert_int_equal(procfs_cgroup_line(l1, &ctrls, &path), 0);
	assert_string_equal(ctrls, "");
	assert_string_equal(path, "/system.slice/api.service");
	assert_int_equal(procfs_cgroup_line(l2, &ctrls, &path), 0);
	assert_string_equal(ctrls, "cpu,cpuacct");
	assert_string_equal(path, "/user.slice");
	assert_true(procfs_cgroup_has_controller(ctrls, "cpu"));
	assert_true(procfs_cgroup_has_controller(ctrls, "cpuacct"));
	assert_false(procfs_cgroup_has_controller(ctrls, "cpuset"));
	assert_false(procfs_cgroup_has_controller(ctrls, "cp"));
	assert_false(procfs_cgroup_has_controller(ctrls, ""));
	assert_int_equal(procfs_cgroup_line(l3, &ctrls, &path), 0);
	assert_string_equal(ctrls, "memory");
	assert_string_equal(path, "/a:b");
	assert_int_equal(procfs_cgroup_line(bad, &ctrls, &path), -EINVAL);
}

/* this process's cgroups, compared with the file read here directly */
static void test_cgroup_self(void **state)
{
	char uni[512], v1[512], line[512], want_uni[512] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(want_uni, sizeof(want_uni), "%s", line + 3);
		}
	fclose(f);
	assert_int_equal(procfs_cgroup_read(getpid(), "memory", v1, sizeof(v1),
					    uni, sizeof(uni)), 0);
	assert_string_equal(uni, want_uni);
	if (want_uni[0])
		assert_true(procfs_cgroup_contains(getpid(), want_uni));
	assert_false(procfs_cgroup_contains(getpid(), "/hms-no-such-cgroup"));
	assert_int_equal(procfs_cgroup_read(0x3fffffff, NULL, NULL, 0, uni,
					    sizeof(uni)), -ENOENT);
	assert_string_equal(uni, "");
}

static void test_statm_boot(void **state)
{
	unsigned long long size = 0, res = 0, btime = 0;
	struct procfs_stat st;
	struct timespec now;

	(void)state;
	assert_int_equal(procfs_statm_read(getpid(), &size, &res), 0);
	assert_true(size > 0 && res > 0 && res <= size);
	assert_int_equal(procfs_boot_time(&btime), 0);
	clock_gettime(CLOCK_REALTIME, &now);
	assert_true(btime > 0 && btime <= (unsigned long long)now.tv_sec);
	/* this process started after the boot and not in the future */
	assert_int_equal(procfs_stat_read(getpid(), &st), 0);
	assert_true(btime + st.starttime / sysconf(_SC_CLK_TCK) <=
		    (unsigned long long)now.tv_sec + 1);
}

static void test_exe_environ(void **state)
{
	char exe[512], self[512], val[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)state;
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(procfs_exe_read(getpid(), exe, sizeof(exe)), 0);
	assert_string_equal(exe, self);
	assert_int_equal(procfs_exe_read(0x3fffffff, exe, sizeof(exe)),
			 -ENOENT);
	/* environ is what we were started with, not setenv() */
	if (getenv("PATH")) {
		assert_int_equal(procfs_environ_get(getpid(), "PATH", val,
						    sizeof(val)), 0);
		assert_true(!strncmp(val, getenv("PATH"), sizeof(val) - 1));
		assert_int_equal(procfs_environ_get(getpid(), "PAT", val,
						    sizeof(val)), -ENOENT);
	}
	assert_int_equal(procfs_environ_get(getpid(), "HMS_NO_SUCH_VAR", val,
					    sizeof(val)), -ENOENT);
	assert_string_equal(val, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_parse),
		cmocka_unit_test(test_stat_self),
		cmocka_unit_test(test_stat_child),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_cgroup_line),
		cmocka_unit_test(test_cgroup_self),
		cmocka_unit_test(test_statm_boot),
		cmocka_unit_test(test_exe_environ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

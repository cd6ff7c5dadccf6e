// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sensors_proc.c - the process sensors against the real kernel: a
 * crash by SIGSEGV, exit(3), a kill -9 from another process (sender pid),
 * exec/fork, and an OOM kill inside a small memory cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

/* the pipeline of harness_group_setup */
#define H (*harness_current)

static int child_segv(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-segv");
	raise(SIGSEGV);
	return 0;
}

static void *thread_spin(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-worker");	/* not the process's name */
	for (;;)
		pause();
	return NULL;
}

static int child_threads_segv(void *arg)
{
	pthread_t t;

	(void)arg;
	prctl(PR_SET_NAME, "hms-mt-crash");
	for (int i = 0; i < 3; i++)
		pthread_create(&t, NULL, thread_spin, NULL);
	raise(SIGSEGV);
	return 0;
}

static int child_exit3(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-exit3");
	return 3;
}

static void test_crash_sigsegv(void **state)
{
	struct harness_match m = { .type = HMS_EV_EXIT };
	const struct hms_ev_exit *e;
	pid_t pid;

	(void)state;
	pid = harness_fork(child_segv, NULL);
	assert_true(pid > 0);
	m.tgid = pid;
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	harness_reap(pid);
	assert_non_null(e);
	assert_int_equal(e->signal, SIGSEGV);
	assert_int_equal(e->exit_code, 0);
	assert_int_equal(e->hdr.tgid, pid);
	assert_int_equal(e->hdr.ppid, getpid());
	assert_string_equal(e->hdr.comm, "hms-segv");
	assert_true(event_is_critical(e->hdr.type));
}

/* A multi-threaded process that crashes is one exit, named after the
 * process (not its last thread). */
static void test_threads_one_exit(void **state)
{
	struct harness_match m = { .type = HMS_EV_EXIT };
	pid_t pids[20];

	(void)state;
	for (int i = 0; i < 20; i++)
		pids[i] = harness_fork(child_threads_segv, NULL);
	for (int i = 0; i < 20; i++)
		harness_reap(pids[i]);
	for (int i = 0; i < 20; i++) {
		m.tgid = pids[i];
		assert_non_null(harness_wait(&H, harness_match_pred, &m, 10000));
	}
	harness_pump(&H, 200);
	for (int i = 0; i < 20; i++) {
		int n = 0;

		for (size_t j = 0; j < H.n; j++) {
			const struct hms_ev_exit *e = (const void *)H.events[j];

			if (e->hdr.type != HMS_EV_EXIT ||
			    e->hdr.tgid != (uint32_t)pids[i])
				continue;
			n++;
			assert_int_equal(e->signal, SIGSEGV);
			assert_string_equal(e->hdr.comm, "hms-mt-crash");
		}
		assert_int_equal(n, 1);
	}
}

static void test_exit_code(void **state)
{
	struct harness_match m = { .type = HMS_EV_EXIT };
	const struct hms_ev_exit *e;
	pid_t pid;

	(void)state;
	pid = harness_fork(child_exit3, NULL);
	assert_true(pid > 0);
	m.tgid = pid;
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	harness_reap(pid);
	assert_non_null(e);
	assert_int_equal(e->exit_code, 3);
	assert_int_equal(e->signal, 0);
	assert_string_equal(e->hdr.comm, "hms-exit3");
}

static int child_pause(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-victim");
	for (;;)
		pause();
	return 0;
}

static int child_killer(void *arg)
{
	pid_t victim = *(pid_t *)arg;

	prctl(PR_SET_NAME, "hms-killer");
	return kill(victim, SIGKILL) ? 1 : 0;
}

static void test_kill_sender(void **state)
{
	struct harness_match m = { .type = HMS_EV_SIGNAL };
	const struct hms_ev_signal *s;
	const struct hms_ev_exit *e;
	pid_t victim, killer;
	int st;

	(void)state;
	victim = harness_fork(child_pause, NULL);
	assert_true(victim > 0);
	/* wait for the victim's fork to be seen, then kill it from another
	 * process */
	killer = harness_fork(child_killer, &victim);
	assert_true(killer > 0);
	m.target = victim;
	s = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	st = harness_reap(killer);
	kill(victim, SIGKILL);	/* in case the killer failed */
	harness_reap(victim);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(s);
	assert_int_equal(s->signal, SIGKILL);
	assert_int_equal(s->hdr.tgid, killer);
	assert_string_equal(s->hdr.comm, "hms-killer");
	assert_int_equal(s->target_tgid, victim);
	m = (struct harness_match){ .type = HMS_EV_EXIT, .tgid = victim };
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	assert_non_null(e);
	assert_int_equal(e->signal, SIGKILL);
}

static void test_fork_exec(void **state)
{
	struct harness_match m = { .type = HMS_EV_EXEC };
	const struct hms_ev_exec *x;
	const struct hms_ev_fork *f;
	pid_t pid;

	(void)state;
	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	m.tgid = pid;
	x = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	harness_reap(pid);
	assert_non_null(x);
	assert_string_equal(x->filename, "/bin/true");
	assert_string_equal(x->hdr.comm, "true");
	m = (struct harness_match){ .type = HMS_EV_FORK, .tgid = getpid() };
	for (size_t i = 0; i < H.n; i++) {
		f = (const void *)H.events[i];
		if (f->hdr.type == HMS_EV_FORK && f->child_tgid == (uint32_t)pid)
			break;
		f = NULL;
	}
	assert_non_null(f);
	assert_int_equal(f->hdr.tgid, getpid());
	assert_false(f->is_thread);
}

/* ---- OOM in a memory cgroup (v1 at /sys/fs/cgroup/memory, else v2) ---- */

static char cg_path[256];

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

static int cg_make(void)
{
	char f[320];

	snprintf(cg_path, sizeof(cg_path), "/sys/fs/cgroup/memory/hms-test-oom-%d",
		 getpid());
	if (mkdir(cg_path, 0755) == 0) {
		/* no swapping instead of the OOM kill */
		snprintf(f, sizeof(f), "%s/memory.swappiness", cg_path);
		write_file(f, "0");
		snprintf(f, sizeof(f), "%s/memory.limit_in_bytes", cg_path);
		return write_file(f, "33554432");
	}
	if (!harness_cgroup2_root())
		return -ENOENT;
	snprintf(cg_path, sizeof(cg_path), "%s/hms-test-oom-%d",
		 harness_cgroup2_root(), getpid());
	if (mkdir(cg_path, 0755) < 0)
		return -errno;
	snprintf(f, sizeof(f), "%s/memory.swap.max", cg_path);
	write_file(f, "0");
	snprintf(f, sizeof(f), "%s/memory.max", cg_path);
	return write_file(f, "33554432");
}

static int child_hog(void *arg)
{
	char f[320], pid[32];

	(void)arg;
	prctl(PR_SET_NAME, "hms-hog");
	snprintf(f, sizeof(f), "%s/cgroup.procs", cg_path);
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

static void test_oom_kill(void **state)
{
	struct harness_match m = { .type = HMS_EV_OOM };
	const struct hms_ev_oom *o;
	int status;
	pid_t pid;

	(void)state;
	if (cg_make()) {
		rmdir(cg_path);
		fail_msg("cannot make a memory cgroup at %s", cg_path);
	}
	pid = harness_fork(child_hog, NULL);
	assert_true(pid > 0);
	m.target = pid;
	o = (const void *)harness_wait(&H, harness_match_pred, &m, 20000);
	status = harness_reap(pid);
	rmdir(cg_path);
	assert_non_null(o);
	assert_int_equal(o->victim_tgid, pid);
	assert_string_equal(o->victim_comm, "hms-hog");
	assert_true(o->anon_rss_kb > 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_crash_sigsegv, harness_test_setup),
		cmocka_unit_test_setup(test_threads_one_exit, harness_test_setup),
		cmocka_unit_test_setup(test_exit_code, harness_test_setup),
		cmocka_unit_test_setup(test_kill_sender, harness_test_setup),
		cmocka_unit_test_setup(test_fork_exec, harness_test_setup),
		cmocka_unit_test_setup(test_oom_kill, harness_test_setup),
	};

	return cmocka_run_group_tests_name("sensors_proc", tests,
					   harness_group_setup, harness_group_teardown);
}

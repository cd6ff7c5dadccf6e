// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sensors_hang.c - a real hung task: one child blocks inside a pipe
 * write (holding the pipe's mutex) on a userfaultfd page nobody serves; a
 * second child then waits for that mutex in uninterruptible sleep (D).  With
 * kernel.hung_task_timeout_secs lowered to 1 for the test, khungtaskd
 * reports the second child and the hang sensor must see it.  The sysctl is
 * restored and both children killed and reaped afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include "procfs.h"
#include "harness.h"

#define HUNG_TIMEOUT	"/proc/sys/kernel/hung_task_timeout_secs"

static struct harness H;
static char old_timeout[32];
static int pipefd[2] = { -1, -1 };

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

static int setup(void **state)
{
	(void)state;
	if (harness_need_root())
		return -1;
	return harness_start(&H, NULL);
}

static pid_t holder = -1, waiter = -1;

static int teardown(void **state)
{
	(void)state;
	/* after a failed assertion: release and restore what we touched */
	if (old_timeout[0])
		sysctl_rw(HUNG_TIMEOUT, NULL, 0, old_timeout);
	if (holder > 0 && kill(holder, SIGKILL) == 0)
		harness_reap(holder);
	if (waiter > 0 && kill(waiter, SIGKILL) == 0)
		harness_reap(waiter);
	harness_stop(&H);
	return 0;
}

/* A page whose first touch waits for a userfaultfd nobody reads. */
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
	char *page = uffd_page();	/* registered here: not inherited */

	(void)arg;
	prctl(PR_SET_NAME, "hms-holder");
	if (!page)
		return 2;
	/* faults on the unserved page while holding pipe->mutex; ends
	 * when the test kills us */
	return write(pipefd[1], page, 4096) < 0;
}

/* State letter of pid from /proc (R, S, D, Z...), or 0. */
static char proc_state(pid_t pid)
{
	struct procfs_stat st;

	return procfs_stat_read(pid, &st) ? 0 : st.state;
}

static int wait_state(pid_t pid, char want)
{
	for (int i = 0; i < 200; i++) {
		if (proc_state(pid) == want)
			return 0;
		usleep(25000);
	}
	return -1;
}

static int child_waiter(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hms-hung");
	return write(pipefd[1], "x", 1) < 0;
}

static void test_hung_task(void **state)
{
	struct harness_match m = { .type = HMS_EV_HANG };
	const struct hms_ev_hang *e = NULL;
	int blocked;

	(void)state;
	{
		char panic[8] = "";

		/* our own hung child would panic such a machine */
		if (sysctl_rw("/proc/sys/kernel/hung_task_panic", panic,
			      sizeof(panic), NULL) == 0 && panic[0] == '1')
			skip();
	}
	assert_int_equal(pipe(pipefd), 0);
	holder = harness_fork(child_holder, NULL);
	assert_int_equal(wait_state(holder, 'S'), 0);
	waiter = harness_fork(child_waiter, NULL);
	blocked = wait_state(waiter, 'D');
	if (!blocked) {
		assert_int_equal(sysctl_rw(HUNG_TIMEOUT, old_timeout,
					   sizeof(old_timeout), "1"), 0);
		m.tgid = waiter;
		e = (const void *)harness_wait(&H, harness_match_pred, &m,
					       20000);
		/* restore before any assertion can fail */
		sysctl_rw(HUNG_TIMEOUT, NULL, 0, old_timeout);
	}
	/* killing the holder ends its fault and frees the mutex */
	kill(holder, SIGKILL);
	kill(waiter, SIGKILL);
	harness_reap(holder);
	harness_reap(waiter);
	m.tgid = waiter;
	holder = waiter = -1;
	close(pipefd[0]);
	close(pipefd[1]);
	assert_int_equal(blocked, 0);
	assert_non_null(e);
	assert_int_equal(e->hdr.tgid, m.tgid);
	assert_string_equal(e->hdr.comm, "hms-hung");
	assert_true(e->blocked_ns >= 1000000000ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hung_task, harness_test_setup),
	};

	return cmocka_run_group_tests_name("sensors_hang", tests, setup,
					   teardown);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sensors_flood.c - a flood of bulk events far larger than a small
 * bulk ring: drops are counted per type, a crash during the flood still
 * arrives on the critical ring, and the pipeline keeps working after.
 * Also the per-process bulk rate limit and the watch filter (tgids and
 * cgroup v2 ids).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <cmocka.h>
#include "harness.h"

static struct harness H;

static int setup(void **state)
{
	struct sensors_opts o;

	(void)state;
	if (harness_need_root())
		return -1;
	sensors_opts_default(&o);
	o.bulk_ring_kb = 16;		/* ~150 records */
	o.bulk_drain_ms = 5000;		/* nobody drains during the flood */
	o.bulk_rate_per_sec = 0;
	o.families = SENSORS_PROC | SENSORS_NET;
	return harness_start(&H, &o);
}

static char cg_dir[128];

static int teardown(void **state)
{
	(void)state;
	harness_stop(&H);
	if (cg_dir[0])
		rmdir(cg_dir);	/* when a failed test left it behind */
	return 0;
}

static int refused_storm(int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), ok = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(l, (void *)&a, sizeof(a));
	getsockname(l, (void *)&a, &len);
	close(l);
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);

		if (connect(c, (void *)&a, sizeof(a)) < 0 &&
		    errno == ECONNREFUSED)
			ok++;
		close(c);
	}
	return ok;
}

static int child_segv(void *arg)
{
	(void)arg;
	raise(SIGSEGV);
	return 0;
}

static void test_flood_drops_counted(void **state)
{
	struct harness_match m = { .type = HMS_EV_EXIT };
	struct hms_ev_stats st;
	uint64_t drops = 0;
	pid_t crash1, crash2;

	(void)state;
	assert_int_equal(refused_storm(500), 500);
	crash1 = harness_fork(child_segv, NULL);
	assert_int_equal(refused_storm(500), 500);
	harness_reap(crash1);
	/* the crash arrives although the bulk ring overflowed */
	m.tgid = crash1;
	assert_non_null(harness_wait(&H, harness_match_pred, &m, 10000));
	harness_pump(&H, 200);
	assert_int_equal(sensors_get_stats(H.sensors, &st), 0);
	drops = st.drops[HMS_EV_CONNECT_FAIL] + st.drops[HMS_EV_SOCK_ERROR] +
		st.drops[HMS_EV_TCP_RESET_RECV] + st.drops[HMS_EV_TCP_RESET_SEND];
	assert_true(drops > 0);
	assert_int_equal(st.drops[HMS_EV_EXIT], 0);
	/* produced = delivered + dropped for the net types */
	assert_true(st.events[HMS_EV_CONNECT_FAIL] + st.drops[HMS_EV_CONNECT_FAIL] >= 1000);
	assert_true(H.per_type[HMS_EV_CONNECT_FAIL] < 1000);
	/* still alive: a later crash and a later refusal both arrive */
	harness_clear(&H);
	crash2 = harness_fork(child_segv, NULL);
	harness_reap(crash2);
	m.tgid = crash2;
	assert_non_null(harness_wait(&H, harness_match_pred, &m, 10000));
	assert_int_equal(refused_storm(1), 1);
	m = (struct harness_match){ .type = HMS_EV_CONNECT_FAIL,
				    .tgid = getpid() };
	assert_non_null(harness_wait(&H, harness_match_pred, &m, 10000));
}

static size_t count_own(int type)
{
	size_t n = 0;

	for (size_t i = 0; i < H.n; i++)
		n += H.events[i]->type == type &&
		     H.events[i]->tgid == (uint32_t)getpid();
	return n;
}

static void test_rate_limit(void **state)
{
	struct hms_ev_stats before, after;

	(void)state;
	harness_pump(&H, 100);
	harness_clear(&H);
	assert_int_equal(sensors_get_stats(H.sensors, &before), 0);
	assert_int_equal(sensors_set_bulk_rate(H.sensors, 20), 0);
	assert_int_equal(refused_storm(100), 100);
	harness_pump(&H, 300);
	assert_int_equal(sensors_get_stats(H.sensors, &after), 0);
	assert_int_equal(sensors_set_bulk_rate(H.sensors, 0), 0);
	/* at most 20 bulk records of ours per second window (the storm may
	 * straddle two windows), the rest counted as rate-limited */
	assert_true(count_own(HMS_EV_CONNECT_FAIL) + count_own(HMS_EV_SOCK_ERROR) +
		    count_own(HMS_EV_TCP_RESET_RECV) <= 40);
	assert_true(count_own(HMS_EV_CONNECT_FAIL) > 0);
	assert_true(after.ratelimited - before.ratelimited >= 200);
}

static void test_watch_filter(void **state)
{
	struct harness_match m = { .type = HMS_EV_EXIT };
	pid_t crash;

	(void)state;
	harness_pump(&H, 100);
	harness_clear(&H);
	/* bulk only for watched processes: we are not watched */
	assert_int_equal(sensors_set_watch_filter(H.sensors, true, false), 0);
	assert_int_equal(refused_storm(5), 5);
	crash = harness_fork(child_segv, NULL);
	harness_reap(crash);
	m.tgid = crash;
	/* a crash of an unwatched process is still reported */
	assert_non_null(harness_wait(&H, harness_match_pred, &m, 10000));
	harness_pump(&H, 200);
	assert_int_equal(count_own(HMS_EV_CONNECT_FAIL), 0);
	/* once watched, our refusals arrive */
	assert_int_equal(sensors_watch_tgid(H.sensors, getpid(), true), 0);
	assert_int_equal(refused_storm(5), 5);
	m = (struct harness_match){ .type = HMS_EV_CONNECT_FAIL,
				    .tgid = getpid() };
	assert_non_null(harness_wait(&H, harness_match_pred, &m, 10000));
	assert_int_equal(sensors_watch_tgid(H.sensors, getpid(), false), 0);
	assert_int_equal(sensors_set_watch_filter(H.sensors, false, false), 0);
}

static int child_in_cgroup_storm(void *arg)
{
	char procs[192], pid[32];
	int fd;

	(void)arg;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	fd = open(procs, O_WRONLY);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		return 99;
	close(fd);
	return refused_storm(5) == 5 ? 0 : 1;
}

static void test_watch_cgroup(void **state)
{
	struct harness_match m = { .type = HMS_EV_CONNECT_FAIL };
	const struct hms_event_hdr *e;
	struct stat st;
	pid_t child;

	(void)state;
	assert_non_null(harness_cgroup2_root());
	snprintf(cg_dir, sizeof(cg_dir), "%s/hms-test-watch-%d",
		 harness_cgroup2_root(), getpid());
	assert_int_equal(mkdir(cg_dir, 0755), 0);
	assert_int_equal(stat(cg_dir, &st), 0);	/* v2 cgroup id = inode */
	harness_pump(&H, 100);
	harness_clear(&H);
	assert_int_equal(sensors_set_watch_filter(H.sensors, true, false), 0);
	assert_int_equal(sensors_watch_cgroup(H.sensors, st.st_ino, true), 0);
	assert_int_equal(refused_storm(5), 5);	/* we are outside: filtered */
	child = harness_fork(child_in_cgroup_storm, NULL);
	m.tgid = child;
	e = harness_wait(&H, harness_match_pred, &m, 10000);
	assert_int_equal(WEXITSTATUS(harness_reap(child)), 0);
	assert_non_null(e);
	assert_int_equal(e->cgroup_id, st.st_ino);
	harness_pump(&H, 100);
	assert_int_equal(count_own(HMS_EV_CONNECT_FAIL), 0);
	sensors_watch_cgroup(H.sensors, st.st_ino, false);
	sensors_set_watch_filter(H.sensors, false, false);
	assert_int_equal(rmdir(cg_dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flood_drops_counted, harness_test_setup),
		cmocka_unit_test_setup(test_rate_limit, harness_test_setup),
		cmocka_unit_test_setup(test_watch_filter, harness_test_setup),
		cmocka_unit_test_setup(test_watch_cgroup, harness_test_setup),
	};

	return cmocka_run_group_tests_name("sensors_flood", tests, setup,
					   teardown);
}

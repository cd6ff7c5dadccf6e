// SPDX-License-Identifier: BSD-2-Clause
/* test_pub_limits.c - what any local user can make the publisher spend:
 * log lines of refused peers are rate-limited (the first few per
 * interval, then one "N more suppressed" line that accounts for every
 * refusal), and panes that never read share one total queue cap (the
 * pane holding most is disconnected), on a real publisher and real unix
 * sockets.  The rate limiter itself runs on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "bus.h"
#include "harness.h"
#include "log.h"
#include "log_limit.h"
#include "loop.h"
#include "proctable.h"
#include "publisher_int.h"

#define SEC 1000000000ull

struct fix {
	char dir[32], sock[96], log[96];
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_proctable *pt;
	struct hms_publisher *pub;
	int saved_err;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct publisher_opts o = { .socket_group = getegid(),
				    .viewer_group = (gid_t)-1,
				    .mode = 0666 };	/* SO_PEERCRED decides */

	if (!f)
		return -1;
	f->saved_err = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hms-publim-XXXXXX");
	if (!mkdtemp(f->dir) || chmod(f->dir, 0755))
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/hms.sock", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	o.path = f->sock;
	if (loop_new(&f->loop) || bus_new(&f->bus) ||
	    proctable_new(f->bus, &f->pt) ||
	    publisher_new(&o, f->loop, f->bus, f->pt, NULL, &f->pub))
		return -1;
	*state = f;
	return 0;
}

static void log_to_file(struct fix *f)
{
	int fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	f->saved_err = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void log_restore(struct fix *f)
{
	if (f->saved_err < 0)
		return;
	dup2(f->saved_err, STDERR_FILENO);
	close(f->saved_err);
	f->saved_err = -1;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	log_restore(f);
	publisher_free(f->pub);
	proctable_free(f->pt);
	bus_free(f->bus);
	loop_free(f->loop);
	harness_rmtree(f->dir);
	free(f);
	return 0;
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *s = text; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* Sum of N in every "N more suppressed" line. */
static unsigned long suppressed_sum(const char *text, int *lines)
{
	unsigned long sum = 0;
	const char *s = text, *m;

	*lines = 0;
	while ((m = strstr(s, " more suppressed"))) {
		const char *d = m;

		while (d > text && d[-1] >= '0' && d[-1] <= '9')
			d--;
		sum += strtoul(d, NULL, 10);
		(*lines)++;
		s = m + 1;
	}
	return sum;
}

static void test_limit_fake_clock(void **state)
{
	struct fix *f = *state;
	struct log_limit l;
	int logged = 0, lines;
	char *text;

	log_limit_init(&l, "test: refusals", 3, 10 * SEC);
	log_to_file(f);
	for (int i = 0; i < 100; i++)
		if (log_limit_ok(&l, 1 * SEC + i * 1000000ull))
			logged++;
	log_limit_flush(&l, 5 * SEC);		/* interval not over: silent */
	log_limit_flush(&l, 11 * SEC + 1);	/* over: the summary */
	log_limit_flush(&l, 30 * SEC);		/* nothing new: silent */
	/* a new interval logs again */
	assert_int_equal(log_limit_ok(&l, 40 * SEC), 1);
	log_restore(f);
	assert_int_equal(logged, 3);
	text = harness_slurp(f->log);
	assert_non_null(text);
	assert_non_null(strstr(text, "test: refusals: 97 more suppressed in "
				     "the last 10 s"));
	assert_int_equal(suppressed_sum(text, &lines), 97);
	assert_int_equal(lines, 1);
	free(text);
	assert_int_equal(l.suppressed_total, 97);
}

/* The child: as nobody, connect n times (each refused by the daemon). */
static int connect_storm(int n, const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ok = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
		return 2;
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return 3;
		ok += !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
	}
	return ok == n ? 0 : 4;
}

static void test_refused_connects_rate_limited(void **state)
{
	struct fix *f = *state;
	const int n = 400;
	struct passwd *pw = getpwnam("nobody");
	int st = -1, lines, logged;
	unsigned long supp;
	struct stat sb;
	char *text;
	pid_t pid;

	if (geteuid() != 0 || !pw) {
		print_message("needs root and user nobody: skipped\n");
		skip();
	}
	log_to_file(f);
	pid = fork();
	if (pid == 0)
		_exit(connect_storm(n, f->sock, pw->pw_uid, pw->pw_gid));
	assert_true(pid > 0);
	/* the daemon's loop accepts and refuses while the child connects;
	 * bounded: the child ends after its n connects */
	for (int i = 0; i < 6000; i++) {
		loop_run_once(f->loop, 10);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	for (int i = 0; i < 20; i++)		/* the last ones queued */
		loop_run_once(f->loop, 10);
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	/* end the interval: the summary of what was suppressed */
	log_limit_flush(&f->pub->log_refused,
			loop_now_ns() + LOG_LIMIT_INTERVAL_NS);
	log_restore(f);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	text = harness_slurp(f->log);
	assert_non_null(text);
	logged = count_lines(text, "refused pane uid");
	supp = suppressed_sum(text, &lines);
	/* every refusal accounted for, but only a few lines per interval
	 * (several intervals on a very slow box) */
	assert_int_equal(logged + supp, n);
	assert_true(lines >= 1);
	assert_true(logged <= LOG_LIMIT_BURST * (lines + 1));
	assert_true(logged < n / 10);
	assert_int_equal(stat(f->log, &sb), 0);
	assert_true(sb.st_size < 4096);		/* was ~88 bytes per connect */
	free(text);
}

/* Panes that subscribe and never read: the publisher holds at most
 * PUB_OUT_TOTAL for all of them; each at most PUB_OUT_MAX. */
static void test_total_queue_cap(void **state)
{
	struct fix *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char sub[] = "{\"cmd\":\"subscribe\",\"topics\":[\"events\"]}\n";
	static char chunk[64 << 10];
	const int panes = 12;
	int fds[12], live = 0;
	size_t total;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	for (int i = 0; i < panes; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fds[i] >= 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sa,
					 sizeof(sa)), 0);
		assert_int_equal(write(fds[i], sub, sizeof(sub) - 1),
				 (ssize_t)sizeof(sub) - 1);
	}
	/* until every pane is accepted and subscribed (bounded) */
	for (int i = 0; i < 500; i++) {
		int subscribed = 0;

		loop_run_once(f->loop, 10);
		for (struct pub_client *c = f->pub->clients; c; c = c->next)
			subscribed += !c->dead && c->topics == (1u << HMS_TOPIC_EVENTS);
		if (subscribed == panes)
			break;
	}
	memset(chunk, 'x', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\n';
	log_to_file(f);
	/* 1.9 MiB to each pane: under the pane cap, 22 MiB in all */
	for (int k = 0; k < 30; k++) {
		pub_broadcast(f->pub, PUB_T_EVENTS, chunk, sizeof(chunk));
		total = 0;
		for (struct pub_client *c = f->pub->clients; c; c = c->next) {
			if (c->dead)
				continue;
			assert_true(hms_wbuf_pending(&c->out) <= PUB_OUT_MAX);
			total += hms_wbuf_pending(&c->out);
		}
		assert_true(total <= PUB_OUT_TOTAL);
	}
	log_restore(f);
	for (struct pub_client *c = f->pub->clients; c; c = c->next)
		live += !c->dead;
	/* some were dropped for the others; not all */
	assert_true(live < panes);
	assert_true(live > 0);
	pub_reap(f->pub);
	for (int i = 0; i < panes; i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limit_fake_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_connects_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_total_queue_cap, setup, teardown),
	};

	return cmocka_run_group_tests_name("pub_limits", tests, NULL, NULL);
}

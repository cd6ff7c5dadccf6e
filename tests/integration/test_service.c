// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_service.c - hms-ebpf as a Debian operator installs and runs it:
 * `make install DESTDIR=` lays out every file (and keeps an edited
 * configuration), `make uninstall` removes them, the installed unit passes
 * `systemd-analyze verify` (man pages included) where systemd-analyze
 * exists, and the real daemon speaks sd_notify on a real NOTIFY_SOCKET:
 * READY, watchdog pings from its loop, RELOADING/READY on SIGHUP,
 * STOPPING on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>
#include "harness.h"

static char tmpdir[64];

static const char *output_dir(void)
{
	const char *o = getenv("OUTPUT");

	return o ? o : ".output";
}

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int setup(void **state)
{
	(void)state;
	if (harness_need_root())
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hms-svc-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	harness_rmtree(tmpdir);
	return 0;
}

/* Run argv with extra environment (NULL-terminated "K=V" list); stdout
 * and stderr to log.  Exit status or 128+signal. */
static int run_env(const char *const *argv, const char *const *env,
		   const char *log)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open(log ? log : "/dev/null",
			      O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		/* a make above us must not lend its jobserver to ours */
		unsetenv("MAKEFLAGS");
		unsetenv("MAKELEVEL");
		unsetenv("MFLAGS");
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* make TARGET VAR=VALUE... (v1, v2 may be NULL) with this test's build
 * output and its flags, so that nothing is rebuilt differently. */
static int make(const char *target, const char *v1, const char *v2,
		const char *log)
{
	char out[300];
	const char *argv[8] = { "make", "--no-print-directory", target, out };
	int n = 4;

	snprintf(out, sizeof(out), "OUTPUT=%s", output_dir());
	if (strstr(output_dir(), "asan"))
		argv[n++] = "SANITIZE=1";
	if (v1)
		argv[n++] = v1;
	if (v2)
		argv[n++] = v2;
	argv[n] = NULL;
	return run_env(argv, NULL, log);
}

static void assert_file(const char *root, const char *path, mode_t mode)
{
	char full[512];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", root, path);
	if (stat(full, &st))
		fail_msg("not installed: %s (%s)", full, strerror(errno));
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s has mode %o, want %o", full, st.st_mode & 07777,
			 mode);
}

static int exists(const char *root, const char *path)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s", root, path);
	return access(full, F_OK) == 0;
}

static void test_install_layout(void **state)
{
	char dest[128], destvar[160], log[160], cfg[256], bin[256];
	const char *ver[] = { bin, "--version", NULL };
	/* the example names services this host does not have: the file
	 * only (the host checks are test_check_host's) */
	const char *check[] = { bin, "--check-config", "--no-host-checks",
				"--config", cfg, NULL };
	char *s, *unit;
	FILE *f;

	(void)state;
	snprintf(dest, sizeof(dest), "%s/dest", tmpdir);
	snprintf(destvar, sizeof(destvar), "DESTDIR=%s", dest);
	snprintf(log, sizeof(log), "%s/install.log", tmpdir);
	if (make("install", destvar, NULL, log)) {
		s = harness_slurp(log);
		fail_msg("make install failed:\n%s", s);
	}
	assert_file(dest, "/usr/local/sbin/hms-ebpf", 0755);
	assert_file(dest, "/usr/local/bin/hms-registry", 0755);
	assert_file(dest, "/etc/hms-ebpf/hms.yaml", 0644);
	assert_file(dest, "/usr/local/lib/systemd/system/hms-ebpf.service", 0644);
	assert_file(dest, "/usr/local/share/man/man8/hms-ebpf.8", 0644);
	assert_file(dest, "/usr/local/share/man/man8/hms-registry.8", 0644);
	assert_file(dest, "/usr/local/share/man/man5/hms.yaml.5", 0644);
	assert_file(dest, "/usr/local/share/doc/hms-ebpf/LICENSE", 0644);
	assert_file(dest, "/usr/local/share/doc/hms-ebpf/hms.yaml.example", 0644);
	assert_file(dest, "/usr/local/share/doc/hms-ebpf/prometheus/"
		    "hms-ebpf.rules.yml", 0644);
	assert_file(dest, "/usr/local/share/doc/hms-ebpf/examples/"
		    "database.yaml", 0644);
	/* the plugins and the one header they are built against */
	assert_file(dest, "/usr/local/lib/hms-ebpf/plugins/event_file.so",
		    0755);
	assert_file(dest, "/usr/local/lib/hms-ebpf/plugins/alertmanager.so",
		    0755);
	assert_file(dest, "/usr/local/lib/hms-ebpf/plugins/example_action.so",
		    0755);
	assert_file(dest, "/usr/local/include/hms-ebpf/hms_plugin.h", 0644);
	/* the unit runs what was installed, with the installed config */
	snprintf(cfg, sizeof(cfg), "%s/usr/local/lib/systemd/system/"
		 "hms-ebpf.service", dest);
	unit = harness_slurp(cfg);
	assert_non_null(strstr(unit, "\nExecStart=/usr/local/sbin/hms-ebpf "
			       "--config /etc/hms-ebpf/hms.yaml\n"));
	assert_null(strstr(unit, "@SBINDIR@"));
	free(unit);
	/* the installed binary runs and accepts the installed config */
	snprintf(bin, sizeof(bin), "%s/usr/local/sbin/hms-ebpf", dest);
	snprintf(cfg, sizeof(cfg), "%s/etc/hms-ebpf/hms.yaml", dest);
	assert_int_equal(run_env(ver, NULL, NULL), 0);
	assert_int_equal(run_env(check, NULL, NULL), 0);
	/* an operator's edit survives a second install */
	f = fopen(cfg, "a");
	assert_non_null(f);
	fputs("# edited by the operator\n", f);
	fclose(f);
	assert_int_equal(make("install", destvar, NULL, log), 0);
	s = harness_slurp(cfg);
	assert_non_null(strstr(s, "# edited by the operator\n"));
	free(s);
	/* uninstall removes what install wrote, keeps the configuration */
	assert_int_equal(make("uninstall", destvar, NULL, log), 0);
	assert_false(exists(dest, "/usr/local/sbin/hms-ebpf"));
	assert_false(exists(dest, "/usr/local/bin/hms-registry"));
	assert_false(exists(dest, "/usr/local/lib/systemd/system/hms-ebpf.service"));
	assert_false(exists(dest, "/usr/local/share/man/man8/hms-ebpf.8"));
	assert_false(exists(dest, "/usr/local/share/man/man5/hms.yaml.5"));
	assert_false(exists(dest, "/usr/local/share/doc/hms-ebpf"));
	assert_false(exists(dest, "/usr/local/lib/hms-ebpf/plugins"));
	assert_false(exists(dest, "/usr/local/include/hms-ebpf"));
	assert_true(exists(dest, "/etc/hms-ebpf/hms.yaml"));
}

/* systemd-analyze verify resolves ExecStart= and the man: pages of
 * Documentation=, so the unit is installed under a private PREFIX (no
 * DESTDIR) where those paths are real.  PID 1 here need not be systemd:
 * verify only reads files. */
static void test_unit_verifies(void **state)
{
	char prefix[128], pvar[160], svar[160], log[160], unit[256];
	char manpath[200];
	const char *argv[] = { "systemd-analyze", "verify", unit, NULL };
	const char *env[] = { manpath, NULL };
	const char *which[] = { "systemd-analyze", "--version", NULL };
	char *s;
	int st;

	(void)state;
	if (run_env(which, NULL, NULL) == 127) {
		fprintf(stderr, "test_unit_verifies: systemd-analyze not "
			"installed (Debian package systemd): skipped\n");
		skip();
	}
	snprintf(prefix, sizeof(prefix), "%s/prefix", tmpdir);
	snprintf(pvar, sizeof(pvar), "PREFIX=%s", prefix);
	snprintf(svar, sizeof(svar), "SYSCONFDIR=%s/etc", prefix);
	snprintf(log, sizeof(log), "%s/verify.log", tmpdir);
	assert_int_equal(make("install", pvar, svar, log), 0);
	snprintf(unit, sizeof(unit), "%s/lib/systemd/system/hms-ebpf.service",
		 prefix);
	snprintf(manpath, sizeof(manpath), "MANPATH=%s/share/man", prefix);
	st = run_env(argv, env, log);
	s = harness_slurp(log);
	if (st != 0 || strstr(s, "hms-ebpf.service:"))
		fail_msg("systemd-analyze verify exit %d:\n%s", st, s);
	free(s);
	/* and it does check: without our man pages it complains */
	st = run_env(argv, NULL, log);
	s = harness_slurp(log);
	assert_non_null(strstr(s, "man hms-ebpf(8)"));
	free(s);
	assert_int_equal(make("uninstall", pvar, svar, NULL), 0);
}

struct notify_rx {
	int fd;
	char seen[8192];	/* every message, separated by '|' */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read datagrams until one contains want or limit_ms passes. */
static int notify_wait(struct notify_rx *rx, const char *want, int limit_ms)
{
	long end = now_ms() + limit_ms;

	while (now_ms() < end) {
		char buf[512];
		ssize_t n = recv(rx->fd, buf, sizeof(buf) - 1, 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			continue;	/* SO_RCVTIMEO: 100 ms */
		}
		buf[n] = '\0';
		strncat(rx->seen, buf, sizeof(rx->seen) - strlen(rx->seen) - 2);
		strcat(rx->seen, "|");
		if (strstr(buf, want))
			return 0;
	}
	return -1;
}

static void test_sd_notify(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_usec = 100000 };
	struct notify_rx rx = { .fd = -1 };
	char sockvar[200], cfg[128], reg[128], sock[128], err[128];
	const char *env[] = { sockvar, "WATCHDOG_USEC=400000", NULL };
	int pings = 0, st;
	pid_t d;
	char *s;
	FILE *f;

	(void)state;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/notify", tmpdir);
	snprintf(sockvar, sizeof(sockvar), "NOTIFY_SOCKET=%s", a.sun_path);
	snprintf(cfg, sizeof(cfg), "%s/hms.yaml", tmpdir);
	snprintf(reg, sizeof(reg), "%s/registry", tmpdir);
	snprintf(sock, sizeof(sock), "%s/hms.sock", tmpdir);
	snprintf(err, sizeof(err), "%s/notify.err", tmpdir);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fputs("version: 1\n", f);
	fclose(f);
	chmod(cfg, 0644);
	rx.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rx.fd >= 0);
	assert_int_equal(bind(rx.fd, (void *)&a, sizeof(a)), 0);
	setsockopt(rx.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	d = fork();
	if (d == 0) {
		const char *argv[] = { daemon_path(), "--no-tmux", "--config",
				       cfg, "--registry", reg, "--socket", sock,
				       NULL };
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		for (int i = 0; env[i]; i++)
			putenv((char *)env[i]);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	if (notify_wait(&rx, "READY=1", 60000)) {
		kill(d, SIGKILL);
		harness_reap(d);
		s = harness_slurp(err);
		fail_msg("no READY=1; got '%s'; stderr:\n%s", rx.seen, s);
	}
	assert_non_null(strstr(rx.seen, "STATUS=running"));
	/* pings keep coming from the loop's timer (200 ms apart) */
	while (pings < 3 && !notify_wait(&rx, "WATCHDOG=1", 10000))
		pings++;
	assert_int_equal(pings, 3);
	kill(d, SIGHUP);
	assert_int_equal(notify_wait(&rx, "RELOADING=1", 10000), 0);
	assert_non_null(strstr(rx.seen, "MONOTONIC_USEC="));
	assert_int_equal(notify_wait(&rx, "READY=1", 10000), 0);
	kill(d, SIGTERM);
	assert_int_equal(notify_wait(&rx, "STOPPING=1", 10000), 0);
	st = harness_reap(d);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(rx.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_layout),
		cmocka_unit_test(test_unit_verifies),
		cmocka_unit_test(test_sd_notify),
	};

	return cmocka_run_group_tests_name("service", tests, setup, teardown);
}

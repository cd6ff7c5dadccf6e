// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_metrics_scrape.c - /metrics of a real daemon, scraped over loopback
 * HTTP, after the test made a spawned component crash twice (a real
 * SIGSEGV seen by the real BPF sensors, healed by a real restart): the
 * counters say exactly that (2 crash failures, 2 verified successful
 * recoveries in the duration histogram, state healthy), the page passes
 * `promtool check metrics` (Debian package prometheus) and the strict
 * parser of tests/prom.c, the BPF and process figures are there, and
 * docs/metrics.md documents exactly the families served.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"
#include "prom.h"

static char tmpdir[64], crasher[PATH_MAX];
static pid_t daemon_pid = -1;

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int setup(void **state)
{
	char exe[PATH_MAX];
	ssize_t n;

	(void)state;
	if (harness_need_root())
		return -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(crasher, sizeof(crasher), "%s/../helpers/hms_crasher",
		 dirname(exe));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hms-scrape-XXXXXX");
	return mkdtemp(tmpdir) && !access(crasher, X_OK) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (daemon_pid > 0) {
		/* TERM first: the daemon stops what it spawned */
		kill(daemon_pid, SIGTERM);
		for (int i = 0; i < 200 && !waitpid(daemon_pid, NULL, WNOHANG);
		     i++)
			usleep(50000);
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	harness_rmtree(tmpdir);
	return 0;
}

static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (void *)&a, sizeof(a));
	getsockname(fd, (void *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

/* GET /metrics; the body (malloc'd) or NULL when nobody answers yet. */
static char *scrape(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	const char req[] = "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap), *body;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (void *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1) {
		close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + got, cap - 1 - got)) > 0) {
		got += n;
		if (got == cap - 1)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	buf[got] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (!strstr(buf, " 200 ") || !body) {
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}

/* Scrape until every series has its value (bounded); the last page. */
static char *scrape_until(uint16_t port, const char *const *series,
			  const double *want, int limit_s)
{
	char *page = NULL;

	for (int i = 0; i < limit_s * 10; i++) {
		int ok = 1;

		free(page);
		page = scrape(port);
		for (int k = 0; page && series[k]; k++)
			ok &= prom_value(page, series[k]) == want[k];
		if (page && ok)
			return page;
		usleep(100000);
	}
	return page;
}

/* docs/metrics.md and the page name the same families: each "# HELP X"
 * has a "| `X` |" row and each row's family is served. */
static void assert_documented(const char *page)
{
	char *doc = harness_slurp("docs/metrics.md");
	int rows = 0;

	assert_true(doc && *doc);
	for (const char *p = page; (p = strstr(p, "# HELP ")); ) {
		char name[128], row[140];

		p += 7;
		if (sscanf(p, "%127s", name) != 1)
			break;
		snprintf(row, sizeof(row), "| `%s` |", name);
		if (!strstr(doc, row))
			fail_msg("%s is served but not in docs/metrics.md", name);
	}
	for (const char *p = doc; (p = strstr(p, "\n| `")); ) {
		char name[128], help[140];

		p += 4;
		if (sscanf(p, "%127[a-z_:]`", name) != 1)
			continue;
		snprintf(help, sizeof(help), "# HELP %s ", name);
		if (!strstr(page, help))
			fail_msg("docs/metrics.md lists %s, the page does not "
				 "serve it", name);
		rows++;
	}
	assert_true(rows > 20);
	free(doc);
}

static void test_live_scrape(void **state)
{
	char cfg[128], err[128], count[128], *page, out[8192];
	uint16_t port = free_port();
	static const char *const series[] = {
		"hms_failures_total{component=\"flaky\",class=\"crash\"}",
		"hms_recoveries_total{component=\"flaky\",class=\"crash\","
			"strategy=\"gentle-restart\",result=\"success\"}",
		"hms_recovery_duration_seconds_count{component=\"flaky\","
			"class=\"crash\"}",
		"hms_component_state{component=\"flaky\",state=\"healthy\"}",
		NULL,
	};
	static const double want[] = { 2, 2, 2, 1 };
	int rc;
	FILE *f;

	(void)state;
	snprintf(cfg, sizeof(cfg), "%s/hms.yaml", tmpdir);
	snprintf(err, sizeof(err), "%s/err", tmpdir);
	snprintf(count, sizeof(count), "%s/crashes", tmpdir);
	f = fopen(cfg, "w");
	assert_non_null(f);
	/* crashes 3 s after each start while fewer than 2 are counted: each
	 * restart is verified (0.5 s alive) before the next crash */
	fprintf(f, "version: 1\n"
		"metrics: {listen: \"127.0.0.1:%u\"}\n"
		"strategies:\n  gentle-restart: [{restart: {}}]\n"
		"components:\n"
		"  - name: flaky\n"
		"    command: [%s, segv-count, %s, \"2\", \"3000\"]\n"
		"    backoff: {initial_ms: 100, factor: 1.0, max_ms: 100, "
		"jitter: 0}\n"
		"    budget: {max: 10, interval_s: 60}\n"
		"    verify_s: 0.5\n"
		"    start_grace_s: 0.2\n"
		"    on: {crash: [gentle-restart]}\n", port, crasher, count);
	fclose(f);
	chmod(cfg, 0644);
	daemon_pid = fork();
	if (daemon_pid == 0) {
		char reg[128], sock[128];
		const char *argv[] = { daemon_path(), "--no-tmux", "--config",
				       cfg, "--registry", reg, "--socket", sock,
				       NULL };
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		snprintf(reg, sizeof(reg), "%s/registry", tmpdir);
		snprintf(sock, sizeof(sock), "%s/hms.sock", tmpdir);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	page = scrape_until(port, series, want, 60);
	if (!page || prom_value(page, series[0]) != 2 ||
	    prom_value(page, series[1]) != 2 || prom_value(page, series[2]) != 2 ||
	    prom_value(page, series[3]) != 1) {
		char *e = harness_slurp(err);

		fail_msg("counters never matched; page:\n%s\nstderr:\n%s",
			 page ? page : "(no answer)", e);
	}
	/* no more and no other failures than the two crashes we caused */
	assert_true(prom_value(page, "hms_recoveries_total{component=\"flaky\","
			       "class=\"crash\",strategy=\"gentle-restart\","
			       "result=\"failure\"}") < 0);
	assert_true(prom_value(page, "hms_actions_total{component=\"flaky\","
			       "kind=\"restart\",result=\"ok\"}") == 2);
	assert_true(prom_value(page, "hms_component_restarts_total{component="
			       "\"flaky\"}") == 2);
	assert_true(prom_value(page, "hms_component_state{component=\"flaky\","
			       "state=\"failed\"}") == 0);
	assert_true(prom_value(page, "hms_component_transitions_total{component="
			       "\"flaky\",state=\"failed\"}") == 2);
	/* a kernel that ran our programs counted runs and run time */
	assert_true(prom_value(page, "hms_bpf_stats_enabled") == 1);
	assert_true(prom_value(page, "hms_bpf_program_runs_total{family=\"proc\","
			       "program=\"hms_exit\"}") >= 2);
	assert_true(prom_value(page, "hms_bpf_program_run_seconds_total{family="
			       "\"proc\",program=\"hms_exit\"}") > 0);
	assert_true(prom_value(page, "hms_kernel_events_total{type=\"exit\"}") >= 2);
	assert_true(prom_value(page, "hms_runq_latency_seconds_count") > 0);
	assert_true(prom_value(page, "process_resident_memory_bytes") > 0);
	assert_true(prom_value(page, "process_start_time_seconds") > 1e9);
	assert_documented(page);
	if (prom_check(page, out, sizeof(out)))
		fail_msg("strict parser: %s", out);
	rc = prom_promtool(page, out, sizeof(out));
	if (rc == 127)
		fail_msg("promtool not installed: run tools/install-deps.sh "
			 "(Debian package prometheus)");
	if (rc != 0)
		fail_msg("promtool check metrics exit %d:\n%s", rc, out);
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_scrape),
	};

	return cmocka_run_group_tests_name("metrics_scrape", tests, setup,
					   teardown);
}

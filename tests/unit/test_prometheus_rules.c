// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_prometheus_rules.c - the fleet files in etc/prometheus are what
 * Prometheus accepts (`promtool check config`, `promtool check rules`),
 * their alerts fire and stay quiet as tests/prometheus/ says (`promtool
 * test rules`), and every hms_ metric they use is one docs/metrics.md
 * documents; the Alertmanager routing example passes `amtool
 * check-config`.  promtool comes from Debian's prometheus package, amtool
 * from prometheus-alertmanager.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

/* promtool (or amtool) ARGS...: exit status (127 when it is not
 * installed); its output into log. */
static int promtool(const char *prog, const char *a1, const char *a2,
		    const char *a3, const char *log)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		FILE *f = fopen(log, "w");

		if (f) {
			dup2(fileno(f), 1);
			dup2(fileno(f), 2);
		}
		execlp(prog, prog, a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char logpath[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(logpath, sizeof(logpath), "/tmp/hms-promtool-XXXXXX");
	fd = mkstemp(logpath);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(logpath);
	return 0;
}

static void run_tool(const char *prog, const char *pkg, const char *a1,
		     const char *a2, const char *a3)
{
	int st = promtool(prog, a1, a2, a3, logpath);
	char *out;

	if (st == 127) {
		fprintf(stderr, "%s not installed (Debian package %s; "
			"tools/install-deps.sh): skipped\n", prog, pkg);
		skip();
	}
	if (st) {
		out = harness_slurp(logpath);
		fail_msg("%s %s %s %s: exit %d\n%s", prog, a1, a2, a3 ?: "",
			 st, out);
	}
}

static void run_ok(const char *a1, const char *a2, const char *a3)
{
	run_tool("promtool", "prometheus", a1, a2, a3);
}

/* The Alertmanager routing example of docs/fleet.md. */
static void test_alertmanager_config(void **state)
{
	(void)state;
	run_tool("amtool", "prometheus-alertmanager", "check-config",
		 "etc/prometheus/alertmanager.yml", NULL);
}

static void test_config(void **state)
{
	(void)state;
	run_ok("check", "config", "etc/prometheus/prometheus.yml");
}

static void test_rules(void **state)
{
	(void)state;
	run_ok("check", "rules", "etc/prometheus/hms-ebpf.rules.yml");
}

static void test_rules_fire(void **state)
{
	(void)state;
	run_ok("test", "rules", "tests/prometheus/hms-ebpf.rules.test.yml");
}

/* Every hms_* name in the rules is documented (histogram suffixes are
 * parts of their family). */
static void test_rules_use_documented_metrics(void **state)
{
	char *rules = harness_slurp("etc/prometheus/hms-ebpf.rules.yml");
	char *doc = harness_slurp("docs/metrics.md");
	int n = 0;

	(void)state;
	assert_true(rules && *rules && doc && *doc);
	for (const char *p = rules; (p = strstr(p, "hms_")); ) {
		char name[96], want[110];
		size_t len = 0;

		if (p > rules && (isalnum((unsigned char)p[-1]) || p[-1] == ':')) {
			p += 4;
			continue;
		}
		while ((isalnum((unsigned char)p[len]) || p[len] == '_') &&
		       len < sizeof(name) - 1)
			len++;
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (len > 7 && !strcmp(name + len - 7, "_bucket"))
			name[len - 7] = '\0';
		snprintf(want, sizeof(want), "| `%s` |", name);
		if (!strstr(doc, want))
			fail_msg("the rules use %s, docs/metrics.md does not "
				 "document it", name);
		n++;
	}
	assert_true(n >= 5);
	free(rules);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rules_fire),
		cmocka_unit_test(test_rules_use_documented_metrics),
		cmocka_unit_test(test_alertmanager_config),
	};

	return cmocka_run_group_tests_name("prometheus_rules", tests, setup,
					   teardown);
}

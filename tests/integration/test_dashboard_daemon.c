// SPDX-License-Identifier: BSD-2-Clause
/* test_dashboard_daemon.c - what the real daemon ($DAEMON, root) sends
 * the panes, read the way a script would: `hms-ebpf view strategies
 * --json`.  After a crash healed by the first of two configured
 * strategies, both candidates are listed for (svc, crash) - the untried
 * one too - each with its probability of being chosen next (computed by
 * the daemon the way the healer chooses; they add up to 1), and exactly
 * one is marked next; `view events --json --filter svc` gives the
 * component's history (its failure and the action, nothing else). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "healer_test.h"

static struct {
	char dir[64], crasher[PATH_MAX], cfg[128], out[128], sock[128];
	pid_t daemon;
} D;

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

/* Run the daemon binary with args, output to a file; wait for it when
 * wait is set (the exit status), else its pid. */
static pid_t run(const char *const *args, const char *out, int wait)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		const char *argv[16] = { daemon_path() };
		int n = 1, fd;

		for (; args[n - 1] && n < 15; n++)
			argv[n] = args[n - 1];
		argv[n] = NULL;
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	if (!wait)
		return pid;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static json_t *view_json(const char *view)
{
	char out[160];
	char *text;
	json_t *doc;

	snprintf(out, sizeof(out), "%s/view.json", D.dir);
	if (run((const char *[]){ "view", view, "--json", "--socket", D.sock,
		NULL }, out, 1))
		return NULL;
	text = harness_slurp(out);
	doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return doc;
}

static int setup(void **state)
{
	struct ht tmp;
	FILE *f;

	(void)state;
	if (harness_need_root() || ht_find_crasher(&tmp))
		return -1;
	snprintf(D.crasher, sizeof(D.crasher), "%s", tmp.crasher);
	snprintf(D.dir, sizeof(D.dir), "/tmp/hms-dd-XXXXXX");
	if (!mkdtemp(D.dir))
		return -1;
	snprintf(D.cfg, sizeof(D.cfg), "%s/hms.yaml", D.dir);
	snprintf(D.out, sizeof(D.out), "%s/out.jsonl", D.dir);
	snprintf(D.sock, sizeof(D.sock), "%s/hms.sock", D.dir);
	f = fopen(D.cfg, "w");
	if (!f)
		return -1;
	fprintf(f, "daemon: {registry: %s/reg, socket: %s}\n"
		"strategies:\n"
		"  gentle: [{restart: {}}]\n"
		"components:\n"
		"  - name: svc\n"
		"    command: [%s, segv-once, %s/marker, 200]\n"
		"    start_grace_s: 0.05\n"
		"    verify_s: 0.5\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [restart, gentle]}\n",
		D.dir, D.sock, D.crasher, D.dir);
	fclose(f);
	chmod(D.cfg, 0644);
	D.daemon = run((const char *[]){ "--config", D.cfg, "--json",
		"--no-tmux", "--duration", "120", NULL }, D.out, 0);
	return D.daemon > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (D.daemon > 0) {
		kill(D.daemon, SIGTERM);	/* it stops what it spawned */
		for (int i = 0; i < 200 && !waitpid(D.daemon, NULL, WNOHANG);
		     i++)
			usleep(50000);
		kill(D.daemon, SIGKILL);
		waitpid(D.daemon, NULL, 0);
	}
	harness_rmtree(D.dir);
	return 0;
}

static void test_next_probability(void **state)
{
	json_t *o, *doc = NULL, *arr, *s;
	double sum = 0;
	int skip = 0, marked = 0, seen = 0;
	size_t i;

	(void)state;
	o = harness_json_wait(D.out, &skip, "outcome", "svc", NULL, NULL, 0,
			      60000);
	assert_non_null(o);
	json_decref(o);
	/* the table is re-read at the publisher's tick after the outcome */
	for (int try = 0; try < 100 && !seen; try++) {
		json_decref(doc);
		doc = view_json("strategies");
		arr = json_object_get(doc, "strategies");
		seen = json_array_size(arr) == 2;
		if (!seen)
			usleep(100000);
	}
	assert_true(seen);
	json_array_foreach(arr, i, s) {
		assert_string_equal(json_string_value(json_object_get(s,
			"component")), "svc");
		assert_string_equal(json_string_value(json_object_get(s,
			"failure")), "crash");
		/* config order: the tried one, then the untried one */
		assert_string_equal(json_string_value(json_object_get(s,
			"strategy")), i ? "gentle" : "restart");
		sum += json_real_value(json_object_get(s, "p_next"));
		marked += json_is_true(json_object_get(s, "next"));
	}
	assert_true(sum > 0.999 && sum < 1.001);
	assert_int_equal(marked, 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		arr, 1), "n_outcomes")), 0);
	json_decref(doc);
}

static void test_history(void **state)
{
	json_t *doc, *arr, *e;
	int failure = 0, action = 0;
	size_t i;
	char out[160], *text;

	(void)state;
	snprintf(out, sizeof(out), "%s/view.json", D.dir);
	/* a filter names the component: --json gives its history */
	assert_int_equal(run((const char *[]){ "view", "events", "--json",
		"--filter", "svc", "--socket", D.sock, NULL }, out, 1), 0);
	text = harness_slurp(out);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	arr = json_object_get(doc, "events");
	json_array_foreach(arr, i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		const char *comp = json_string_value(json_object_get(e,
			"component"));

		failure += !strcmp(kind, "failure") && !strcmp(comp, "svc");
		action += !strcmp(kind, "action") && !strcmp(comp, "svc");
	}
	assert_true(failure >= 1);
	assert_true(action >= 1);
	/* and nothing else: no exec/fork/exit of the host */
	assert_true(json_array_size(arr) <= 50 + 50 + 100);
	json_array_foreach(arr, i, e)
		assert_string_equal(json_string_value(json_object_get(e,
			"component")), "svc");
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_probability),
		cmocka_unit_test(test_history),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: BSD-2-Clause
/* test_reload_outcomes.c - reloads never lose a state transition or an
 * outcome (issue 9), through the real daemon ($DAEMON, root): a SIGHUP
 * while a component is `starting` (it still becomes healthy), a SIGHUP in
 * each phase of a recovery (backoff, verification: the recovery still
 * ends in its outcome), and a SIGHUP storm while the component crashes
 * again and again (every recovery chosen ends in exactly one outcome, in
 * the --json stream and in the registry). */
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
#include "registry.h"

#define RO_CRASHES	15

struct ro {
	char dir[64];
	char crasher[PATH_MAX];
	char cfg[128], out[128], err[128], reg[128];
	pid_t daemon;
	pid_t storm;
};

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int setup(void **state)
{
	struct ro *d = calloc(1, sizeof(*d));
	struct ht tmp;

	if (!d || ht_find_crasher(&tmp))
		return -1;
	snprintf(d->crasher, sizeof(d->crasher), "%s", tmp.crasher);
	snprintf(d->dir, sizeof(d->dir), "/tmp/hms-ro-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->cfg, sizeof(d->cfg), "%s/hms.yaml", d->dir);
	snprintf(d->out, sizeof(d->out), "%s/out.jsonl", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/err.txt", d->dir);
	snprintf(d->reg, sizeof(d->reg), "%s/reg", d->dir);
	*state = d;
	return 0;
}

static void storm_stop(struct ro *d)
{
	if (d->storm > 0) {
		kill(d->storm, SIGKILL);
		waitpid(d->storm, NULL, 0);
		d->storm = 0;
	}
}

static int teardown(void **state)
{
	struct ro *d = *state;

	storm_stop(d);
	if (d->daemon > 0) {
		kill(d->daemon, SIGTERM);
		for (int i = 0; i < 200 && !waitpid(d->daemon, NULL, WNOHANG);
		     i++)
			usleep(50000);
		kill(d->daemon, SIGKILL);
		waitpid(d->daemon, NULL, 0);
	}
	if (!getenv("HMS_TEST_KEEP"))	/* keep output to read a failure */
		harness_rmtree(d->dir);
	free(d);
	return 0;
}

/* grace, verify: seconds; backoff: ms */
static void write_cfg(struct ro *d, double grace, double verify,
		      unsigned int backoff)
{
	FILE *f = fopen(d->cfg, "w");

	assert_non_null(f);
	fprintf(f, "daemon: {registry: %s, socket: %s/hms.sock}\n"
		"components:\n"
		"  - name: svc\n"
		"    command: [%s, sleep]\n"
		"    start_grace_s: %g\n"
		"    verify_s: %g\n"
		"    backoff: {initial_ms: %u, jitter: 0}\n"
		"    budget: {max: 1000, interval_s: 60}\n"
		"    crash_loop: {count: 1000, window_s: 60}\n"
		"    on: {crash: [restart], killed: [restart]}\n",
		d->reg, d->dir, d->crasher, grace, verify, backoff);
	fclose(f);
	chmod(d->cfg, 0644);
}

static pid_t run(struct ro *d)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[] = { daemon_path(), "--config", d->cfg,
				       "--json", "--no-tmux", "--duration",
				       "300", NULL };
		int fd;

		fd = open(d->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		setenv("HMS_NO_TMUX", "1", 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

static long wait_int(struct ro *d, int *skip, const char *type,
		     const char *key, const char *sval, long ival,
		     const char *field)
{
	json_t *o = harness_json_wait(d->out, skip, type, "svc", key, sval,
				      ival, 30000);
	long v = o ? (long)json_integer_value(harness_json_path(o, field)) : -1;

	json_decref(o);
	return v;
}

/* Lines of the --json stream of svc with this type. */
static int count_type(struct ro *d, const char *type)
{
	char *all = harness_slurp(d->out), *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(all, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *t = json_string_value(json_object_get(o, "type"));
		const char *c = json_string_value(json_object_get(o,
							"component"));

		if (t && c && !strcmp(t, type) && !strcmp(c, "svc"))
			n++;
		json_decref(o);
	}
	free(all);
	return n;
}

static int count_outcome(const struct registry_outcome *o, void *arg)
{
	if (!strcmp(o->component, "svc"))
		(*(int *)arg)++;
	return 0;
}

static int stored_outcomes(struct ro *d)
{
	struct registry_query q = { 0 };
	struct hms_registry *reg;
	int n = 0;

	assert_int_equal(registry_open_ro(d->reg, &reg), 0);
	assert_true(registry_query_outcomes(reg, NULL, &q, count_outcome,
					    &n) >= 0);
	registry_close(reg);
	return n;
}

static void stop_daemon(struct ro *d)
{
	int st = 0;

	kill(d->daemon, SIGTERM);
	waitpid(d->daemon, &st, 0);
	d->daemon = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Count the reloads the daemon applied (its log says so). */
static int reloads(struct ro *d)
{
	char *all = harness_slurp(d->err), *p = all;
	int n = 0;

	while ((p = strstr(p, "configuration reloaded"))) {
		n++;
		p++;
	}
	free(all);
	return n;
}

static void wait_reloads(struct ro *d, int n)
{
	for (int i = 0; i < 400 && reloads(d) < n; i++)
		usleep(50000);
	assert_true(reloads(d) >= n);
}

/* SIGHUP while svc is starting: it still becomes healthy. */
static void test_reload_while_starting(void **state)
{
	struct ro *d = *state;
	int skip = 0;

	write_cfg(d, 3.0, 0.2, 0);
	d->daemon = run(d);
	assert_true(wait_int(d, &skip, "component_state", "new_state",
			     "starting", 0, "process.pid") >= 0);
	kill(d->daemon, SIGHUP);
	wait_reloads(d, 1);
	assert_true(wait_int(d, &skip, "component_state", "new_state", "healthy",
			     0, "process.pid") > 0);
	stop_daemon(d);
}

/* SIGHUP during the backoff, then during the verification: the one
 * recovery still ends in one outcome (event and registry). */
static void test_reload_in_each_phase(void **state)
{
	struct ro *d = *state;
	int skip = 0;
	long pid;

	write_cfg(d, 0.1, 2.0, 1500);
	d->daemon = run(d);
	pid = wait_int(d, &skip, "component_state", "new_state", "healthy", 0,
		       "process.pid");
	assert_true(pid > 0);
	kill((pid_t)pid, SIGSEGV);
	assert_true(wait_int(d, &skip, "strategy_chosen", NULL, NULL, 0,
			     "process.pid") >= 0);
	kill(d->daemon, SIGHUP);	/* in the 1.5 s backoff */
	wait_reloads(d, 1);
	assert_true(wait_int(d, &skip, "action", "phase", "finished", 0,
			     "process.pid") >= 0);		/* the restart finished: verifying */
	kill(d->daemon, SIGHUP);	/* in the 2 s verification */
	wait_reloads(d, 2);
	assert_true(wait_int(d, &skip, "outcome", "success", NULL, 1,
			     "process.pid") > 0);
	assert_true(wait_int(d, &skip, "component_state", "new_state", "healthy",
			     0, "process.pid") > 0);
	assert_int_equal(count_type(d, "strategy_chosen"), 1);
	assert_int_equal(count_type(d, "outcome"), 1);
	stop_daemon(d);
	assert_int_equal(stored_outcomes(d), 1);
}

/* SIGHUP every 20 ms while svc crashes RO_CRASHES times. */
static void test_sighup_storm(void **state)
{
	struct ro *d = *state;
	int skip = 0, chosen, outcomes, stored;
	long pid;

	write_cfg(d, 0.1, 0.2, 0);
	d->daemon = run(d);
	pid = wait_int(d, &skip, "component_state", "new_state", "healthy", 0,
		       "process.pid");
	assert_true(pid > 0);
	d->storm = fork();
	if (d->storm == 0) {
		pid_t daemon = d->daemon;

		while (getppid() != 1) {	/* never outlives the test */
			kill(daemon, SIGHUP);
			usleep(20000);
		}
		_exit(0);
	}
	for (int i = 0; i < RO_CRASHES; i++) {
		long next;

		assert_int_equal(kill((pid_t)pid, SIGSEGV), 0);
		next = wait_int(d, &skip, "component_state", "new_state",
				"healthy", 0, "process.pid");
		assert_true(next > 0 && next != pid);
		pid = next;
	}
	storm_stop(d);
	/* the last recovery ends; then nothing is in flight */
	for (int i = 0; i < 200 && count_type(d, "outcome") <
	     count_type(d, "strategy_chosen"); i++)
		usleep(50000);
	chosen = count_type(d, "strategy_chosen");
	outcomes = count_type(d, "outcome");
	print_message("%d crashes, %d reloads: %d recoveries chosen, %d "
		      "outcomes\n", RO_CRASHES, reloads(d), chosen, outcomes);
	assert_true(reloads(d) >= 2);
	assert_true(chosen >= RO_CRASHES);
	assert_int_equal(outcomes, chosen);
	stop_daemon(d);
	stored = stored_outcomes(d);
	print_message("%d outcomes stored\n", stored);
	assert_int_equal(stored, outcomes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_while_starting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_in_each_phase,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sighup_storm, setup,
						teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_reload_outcomes: needs root, skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/* test_psi_daemon.c - through the real daemon ($DAEMON, root, real BPF
 * sensors, real cgroups), quickly: a memory hog that grows fast in a
 * 32 MiB v1 memory cgroup (and a cgroup v2 of its own for PSI) is
 * OOM-killed; the oom failure carries its forensics (victim RSS, the
 * cgroup's limit >= usage at the kill, the memory pressure of its cgroup
 * >= 0) and `hms-ebpf ctl status memhog` shows them; the strategy's
 * memory.high and io steps say clearly what this host cannot do (its
 * cgroup v2 has neither the memory nor the io controller) and the chain
 * goes on; a host-level CPU trigger (`host: pressure:`) fires under two
 * spinners sharing one CPU and raises a host-level failure and alert.
 * Threshold tuning: a light service whose own cgroup stalls on CPU (two
 * spinners put into it, on its CPU: one always waits) raises
 * cpu_pressure; the spinners are gone when the alert-only recovery is
 * verified, so the alarm was false; after two such alarms the registry
 * raises the threshold one step within its bound and says so (the
 * threshold, 75 % of the window, is far above what other load on the host
 * makes the light service alone stall). */
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

#define V1_MEM		"/sys/fs/cgroup/memory"
#define LIMIT_MS	60000

struct pd {
	char dir[64];
	char helpers[PATH_MAX];
	char cfg[128], out[128], err[128], sock[128];
	char v1[128], parent[64];
	pid_t daemon;
	pid_t spin[2];
};

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static void rmdir_retry(const char *dir)
{
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(20000);
}

static int setup(void **state)
{
	struct pd *d = calloc(1, sizeof(*d));
	struct ht tmp;
	char file[200];

	if (!d || ht_find_crasher(&tmp))
		return -1;
	*state = d;
	snprintf(d->helpers, sizeof(d->helpers), "%.*s",
		 (int)(strrchr(tmp.crasher, '/') - tmp.crasher), tmp.crasher);
	snprintf(d->dir, sizeof(d->dir), "/tmp/hms-psid-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->cfg, sizeof(d->cfg), "%s/hms.yaml", d->dir);
	snprintf(d->out, sizeof(d->out), "%s/out.jsonl", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/err.txt", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/hms.sock", d->dir);
	snprintf(d->parent, sizeof(d->parent), "hms-test-psid-%d.slice",
		 (int)getpid());
	snprintf(d->v1, sizeof(d->v1), V1_MEM "/hms-test-psid-%d",
		 (int)getpid());
	if (mkdir(d->v1, 0755) < 0) {
		d->v1[0] = '\0';
		return 0;	/* no v1 memory controller: the test skips */
	}
	/* no swapping instead of the OOM kill */
	snprintf(file, sizeof(file), "%s/memory.swappiness", d->v1);
	write_file(file, "0");
	snprintf(file, sizeof(file), "%s/memory.limit_in_bytes", d->v1);
	return write_file(file, "33554432") ? -1 : 0;
}

static void stop_daemon(struct pd *d)
{
	if (d->daemon <= 0)
		return;
	kill(d->daemon, SIGTERM);
	for (int i = 0; i < 400 && !waitpid(d->daemon, NULL, WNOHANG); i++)
		usleep(50000);
	kill(d->daemon, SIGKILL);
	waitpid(d->daemon, NULL, WNOHANG);
	d->daemon = 0;
}

static void stop_spinners(struct pd *d)
{
	for (int i = 0; i < 2; i++)
		if (d->spin[i] > 0) {
			kill(d->spin[i], SIGKILL);
			waitpid(d->spin[i], NULL, 0);
			d->spin[i] = 0;
		}
}

static int teardown(void **state)
{
	struct pd *d = *state;
	char dir[256];

	stop_spinners(d);
	stop_daemon(d);
	if (d->v1[0])
		rmdir_retry(d->v1);
	/* normally removed by the daemon: only leftovers */
	snprintf(dir, sizeof(dir), "%s/%s/memhog", harness_cgroup2_root(),
		 d->parent);
	rmdir_retry(dir);
	snprintf(dir, sizeof(dir), "%s/%s/ticker", harness_cgroup2_root(),
		 d->parent);
	rmdir_retry(dir);
	snprintf(dir, sizeof(dir), "%s/%s", harness_cgroup2_root(), d->parent);
	rmdir_retry(dir);
	harness_rmtree(d->dir);
	free(d);
	return 0;
}

static void start_daemon(struct pd *d)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[] = { daemon_path(), "--config", d->cfg,
				       "--json", "--no-tmux", "--duration",
				       "300", NULL };
		int fd = open(d->out, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		fd = open(d->err, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	d->daemon = pid;
}

/* `hms-ebpf ctl --socket S status NAME` into out; its exit code. */
static int ctl_status(struct pd *d, const char *name, char *out, size_t len)
{
	const char *argv[] = { daemon_path(), "ctl", "--socket", d->sock,
			       "status", name, NULL };
	char path[160], *s;
	int st = 0, fd;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/ctl.out", d->dir);
	pid = fork();
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	s = harness_slurp(path);
	snprintf(out, len, "%s", s ? s : "");
	free(s);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pid_t spinner_on(struct pd *d, const char *cpu)
{
	char prog[PATH_MAX + 16];
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/hms_cpuload", d->helpers);
	pid = fork();
	if (pid == 0) {
		execl(prog, prog, "spin", cpu, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static pid_t spinner(struct pd *d)
{
	return spinner_on(d, "0");
}

/* Does the unified hierarchy offer controller name? */
static bool v2_has(const char *name)
{
	char path[128], *s;
	bool has;

	snprintf(path, sizeof(path), "%s/cgroup.controllers",
		 harness_cgroup2_root());
	s = harness_slurp(path);
	has = s && strstr(s, name);
	free(s);
	return has;
}

/* The step's action event: done, or said clearly what this host lacks. */
static void check_step(struct pd *d, int kind, const char *ctrl,
		       const char *ok_text, const char *missing_text)
{
	int skip = 0;
	json_t *a = harness_json_wait(d->out, &skip, "action", "memhog",
				      "kind", hms_action_kind_name(kind), 0,
				      LIMIT_MS);
	const char *detail;
	long result;

	assert_non_null(a);
	/* "result": "ok" or the errno's name, its number in "errno" */
	result = -(long)json_integer_value(json_object_get(a, "errno"));
	detail = json_string_value(json_object_get(a, "detail"));
	assert_non_null(detail);
	print_message("%s step: result %ld: %s\n", ctrl, result, detail);
	if (v2_has(ctrl)) {
		/* where v2 has it, the v1 memory cgroup of this test is not
		 * its memory cgroup: not run here */
		assert_non_null(strstr(detail, ok_text));
	} else {
		assert_int_equal(result, -EOPNOTSUPP);
		assert_non_null(strstr(detail, missing_text));
	}
	json_decref(a);
}

static void test_oom_forensics_steps_host(void **state)
{
	struct pd *d = *state;
	json_t *f, *oom, *lim, *use, *avg, *al;
	char out[4096];
	FILE *cfg;
	int skip = 0;

	if (!d->v1[0] || access("/proc/pressure/cpu", R_OK))
		skip();	/* no v1 memory controller or no PSI here */
	cfg = fopen(d->cfg, "w");
	assert_non_null(cfg);
	fprintf(cfg,
		"daemon: {registry: %s/reg, socket: %s, cgroup_parent: %s}\n"
		"host:\n"
		"  pressure:\n"
		"    cpu: {some: 100ms, window: 2s}\n"
		"strategies:\n"
		"  early: [{memory: {high_ratio: 0.8}}, {io: {weight: 500}}, "
		"{alert: {message: after the oom}}]\n"
		"components:\n"
		"  - name: memhog\n"
		"    command: [%s/hms_memhog, %s/data, \"4\", \"256\", \"16\", "
		"\"20\"]\n"
		"    cgroup: %s\n"
		"    autostart: true\n"
		"    start_grace_s: 0.1\n"
		"    budget: {max: 1, interval_s: 600}\n"
		"    pressure: {memory: {some: 500ms, window: 2s}}\n"
		"    on: {oom: [early]}\n",
		d->dir, d->sock, d->parent, d->helpers, d->dir, d->v1);
	fclose(cfg);
	chmod(d->cfg, 0644);
	start_daemon(d);
	/* the OOM kill and its forensics */
	f = harness_json_wait(d->out, &skip, "failure", "memhog", "failure",
			      "oom", 0, LIMIT_MS);
	if (!f) {
		char *e = harness_slurp(d->err);

		fail_msg("no oom failure; daemon stderr:\n%s", e ? e : "");
	}
	oom = json_object_get(f, "oom");
	assert_non_null(oom);
	assert_true(json_integer_value(json_object_get(oom, "victim_rss_kb"))
		    > 0);
	lim = json_object_get(oom, "cgroup_limit_bytes");
	use = json_object_get(oom, "cgroup_usage_bytes");
	assert_true(json_is_integer(lim) && json_is_integer(use));
	assert_int_equal(json_integer_value(lim), 33554432);
	assert_true(json_integer_value(lim) >= json_integer_value(use));
	assert_true(json_integer_value(use) > 0);
	avg = json_object_get(oom, "memory_some_avg10");
	assert_true(json_is_number(avg));	/* its own cgroup v2 */
	assert_true(json_number_value(avg) >= 0 &&
		    json_number_value(avg) <= 100);
	assert_true(json_number_value(json_object_get(oom,
		    "memory_full_avg10")) <= json_number_value(avg));
	json_decref(f);
	/* the steps this host cannot do say so, and the chain goes on */
	check_step(d, ACTION_MEMORY, "memory", "memory.high",
		   "no memory controller in cgroup v2");
	check_step(d, ACTION_IO, "io", "io.weight", "no io controller");
	skip = 0;
	al = harness_json_wait(d->out, &skip, "action", "memhog", "kind",
			       hms_action_kind_name(ACTION_ALERT), 0, LIMIT_MS);
	assert_non_null(al);
	json_decref(al);
	/* ctl status NAME: the forensics an operator reads */
	assert_int_equal(ctl_status(d, "memhog", out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "last OOM:     pid "));
	assert_non_null(strstr(out, "of limit 32.0 MiB"));
	assert_non_null(strstr(out, "pressure:   memory avg10 some "));
	assert_non_null(strstr(out, "before it:  no mem_pressure failure"));
	assert_non_null(strstr(out, "\npressure:     memory some 500.0 ms in "
			       "2000 ms"));
	/* host-level: two spinners on CPU 0 stall the host */
	d->spin[0] = spinner(d);
	d->spin[1] = spinner(d);
	skip = 0;
	f = harness_json_wait(d->out, &skip, "failure", "", "failure",
			      "cpu_pressure", 0, LIMIT_MS);
	assert_non_null(f);
	assert_non_null(strstr(json_string_value(json_object_get(f, "cause")),
			       "host cpu pressure: some stall >= 100 ms"));
	json_decref(f);
	skip = 0;
	al = harness_json_wait(d->out, &skip, "alert", "host-wide", "message",
			       "host cpu pressure", 0, LIMIT_MS);
	assert_non_null(al);
	json_decref(al);
	stop_spinners(d);
}


static void test_false_alarms_raise_threshold(void **state)
{
	struct pd *d = *state;
	char procs[256], pid[32], cpu[8], out[4096];
	json_t *e;
	FILE *cfg;
	int skip = 0;

	if (access("/proc/pressure/cpu", R_OK))
		skip();
	snprintf(cpu, sizeof(cpu), "%d", sysconf(_SC_NPROCESSORS_ONLN) > 1);
	cfg = fopen(d->cfg, "w");
	assert_non_null(cfg);
	fprintf(cfg,
		"daemon: {registry: %s/reg, socket: %s, cgroup_parent: %s}\n"
		"components:\n"
		"  - name: ticker\n"
		"    command: [%s/hms_cpuload, tick, \"%s\", \"200\", "
		"\"2000\"]\n"
		"    autostart: true\n"
		"    start_grace_s: 0.1\n"
		"    backoff: {initial_ms: 0}\n"
		"    budget: {max: 10, interval_s: 600}\n"
		"    verify_s: 1\n"
		"    pressure: {cpu: {some: 1500ms, window: 2s, max: 1900ms}}\n"
		"    on: {cpu_pressure: [alert]}\n",
		d->dir, d->sock, d->parent, d->helpers, cpu);
	fclose(cfg);
	chmod(d->cfg, 0644);
	start_daemon(d);
	snprintf(procs, sizeof(procs), "%s/%s/ticker/cgroup.procs",
		 harness_cgroup2_root(), d->parent);
	for (int i = 0; i < 100 && access(procs, F_OK); i++)
		usleep(50000);
	for (int alarm = 0; alarm < 2; alarm++) {
		/* two spinners in its cgroup, on its CPU: one of them
		 * always waits, it stalls all the time */
		for (int i = 0; i < 2; i++) {
			d->spin[i] = spinner_on(d, cpu);
			assert_true(d->spin[i] > 0);
			snprintf(pid, sizeof(pid), "%d", (int)d->spin[i]);
			assert_int_equal(write_file(procs, pid), 0);
		}
		e = harness_json_wait(d->out, &skip, "failure", "ticker",
				      "failure", "cpu_pressure", 0, LIMIT_MS);
		assert_non_null(e);
		json_decref(e);
		/* gone before anything was done: a false alarm */
		stop_spinners(d);
		e = harness_json_wait(d->out, &skip, "outcome", "ticker",
				      "failure", "cpu_pressure", 0, LIMIT_MS);
		assert_non_null(e);
		print_message("alarm %d: %s\n", alarm, json_string_value(
			      json_object_get(e, "reason")));
		assert_true(json_is_true(json_object_get(e, "success")) ||
			    !strcmp(json_string_value(json_object_get(e,
				    "result")) ?: "", "unverified"));
		json_decref(e);
	}
	skip = 0;
	e = harness_json_wait(d->out, &skip, "alert", "ticker", "message",
			      "cpu pressure threshold 1500.0 -> 1875.0 ms "
			      "(false alarm", 0, LIMIT_MS);
	assert_non_null(e);
	json_decref(e);
	/* the threshold in use, as status shows it */
	assert_int_equal(ctl_status(d, "ticker", out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "pressure:     cpu some 1875.0 ms in 2000 "
			       "ms (configured 1500.0, tuned up to 1900.0)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oom_forensics_steps_host,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_false_alarms_raise_threshold, setup, teardown),
	};

	if (harness_need_root())
		return 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

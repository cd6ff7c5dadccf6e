// SPDX-License-Identifier: BSD-2-Clause
/* test_registry_isolation.c - nothing the registry does stops healing
 * (issue 9), through the real daemon ($DAEMON, root) and a real store:
 * the registry on a small tmpfs that fills up while a spawned component
 * crashes again and again (every crash healed, a `registry` event says
 * degraded, the daemon never aborts; space back: the queued writes are
 * stored and the registry is up again), a daemon started on an
 * already-full filesystem (heals from the config's order), and the store
 * process killed (started again, healing unaffected) or stopped (healing
 * never waits; killed when it does not answer, started again); the daemon
 * itself never maps librocksdb, only the store process.  Events are read
 * from --json; the store is read afterwards with registry_open_ro. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "healer_test.h"
#include "registry.h"

#define RI_CRASHES	6
#define RI_CRASHES_MAX	40	/* until the full disk is met */

struct ri {
	char dir[64];
	char fs[96];		/* the small tmpfs */
	char reg[128];		/* the registry, on it */
	char fill[128];		/* the file that fills it */
	char crasher[PATH_MAX];
	char cfg[128], out[128], err[128];
	pid_t daemon;
	bool mounted;
};

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int setup(void **state)
{
	struct ri *d = calloc(1, sizeof(*d));
	struct ht tmp;

	if (!d || ht_find_crasher(&tmp))
		return -1;
	snprintf(d->crasher, sizeof(d->crasher), "%s", tmp.crasher);
	snprintf(d->dir, sizeof(d->dir), "/tmp/hms-ri-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->fs, sizeof(d->fs), "%s/fs", d->dir);
	snprintf(d->reg, sizeof(d->reg), "%s/reg", d->fs);
	snprintf(d->fill, sizeof(d->fill), "%s/fill", d->fs);
	snprintf(d->cfg, sizeof(d->cfg), "%s/hms.yaml", d->dir);
	snprintf(d->out, sizeof(d->out), "%s/out.jsonl", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/err.txt", d->dir);
	if (mkdir(d->fs, 0700) ||
	    mount("hms-ri", d->fs, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=16m,mode=0700"))
		return -1;
	d->mounted = true;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct ri *d = *state;

	if (d->daemon > 0) {
		kill(d->daemon, SIGTERM);
		for (int i = 0; i < 200 && !waitpid(d->daemon, NULL, WNOHANG);
		     i++)
			usleep(50000);
		kill(d->daemon, SIGKILL);
		waitpid(d->daemon, NULL, 0);
	}
	/* the store process may still be closing: lazy, then gone */
	if (d->mounted && umount2(d->fs, MNT_DETACH))
		print_message("umount %s: %s\n", d->fs, strerror(errno));
	harness_rmtree(d->dir);
	free(d);
	return 0;
}

static void write_cfg(struct ri *d)
{
	FILE *f = fopen(d->cfg, "w");

	assert_non_null(f);
	fprintf(f, "daemon: {registry: %s, socket: %s/hms.sock}\n"
		"components:\n"
		"  - name: svc\n"
		"    command: [%s, sleep]\n"
		"    start_grace_s: 0.1\n"
		"    verify_s: 0.2\n"
		"    backoff: {initial_ms: 0}\n"
		"    budget: {max: 1000, interval_s: 60}\n"
		"    crash_loop: {count: 1000, window_s: 60}\n"
		"    on: {crash: [restart], killed: [restart]}\n",
		d->reg, d->dir, d->crasher);
	fclose(f);
	chmod(d->cfg, 0644);
}

static pid_t run(struct ri *d)
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

/* Fill the tmpfs to its last byte. */
static void fill(struct ri *d)
{
	static char buf[65536];
	int fd = open(d->fill, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t chunk = sizeof(buf);

	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	while (chunk) {
		if (write(fd, buf, chunk) < 0) {
			assert_int_equal(errno, ENOSPC);
			chunk /= 2;
		}
	}
	close(fd);
}

static long json_wait_int(struct ri *d, int *skip, const char *type,
			  const char *key, const char *sval, long ival,
			  const char *field)
{
	json_t *o = harness_json_wait(d->out, skip, type, NULL, key, sval,
				      ival, 30000);
	long v = o ? (long)json_integer_value(harness_json_path(o, field)) : -1;

	json_decref(o);
	return v;
}

/* The healthy main pid of svc. */
static long healthy_pid(struct ri *d, int *skip)
{
	return json_wait_int(d, skip, "component_state", "new_state", "healthy",
			     0, "process.pid");
}

/* Crash svc n times; every crash must be healed by a new process. */
static void crash_and_heal(struct ri *d, int *skip, long *pid, int n)
{
	for (int i = 0; i < n; i++) {
		long next;

		assert_int_equal(kill((pid_t)*pid, SIGSEGV), 0);
		assert_true(json_wait_int(d, skip, "outcome", "success", NULL,
					  1, "process.pid") > 0);
		next = healthy_pid(d, skip);
		assert_true(next > 0 && next != *pid);
		*pid = next;
		/* the daemon is still there: no abort in the registry */
		assert_int_equal(waitpid(d->daemon, NULL, WNOHANG), 0);
	}
}

/* A `registry` event with this state; its JSON (caller's) or NULL. */
static json_t *registry_event(struct ri *d, int *skip, const char *state)
{
	return harness_json_wait(d->out, skip, "registry", NULL, "state",
				 state, 0, 60000);
}

static int count_outcome(const struct registry_outcome *o, void *arg)
{
	(void)o;
	(*(int *)arg)++;
	return 0;
}

static int stored_outcomes(struct ri *d)
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

static void stop_daemon(struct ri *d)
{
	int st = 0;

	kill(d->daemon, SIGTERM);
	waitpid(d->daemon, &st, 0);
	d->daemon = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The filesystem fills while svc crashes: healing goes on, the registry
 * says degraded; space back: the queued writes are stored, up again. */
static void test_full_while_crashing(void **state)
{
	struct ri *d = *state;
	int skip = 0, skip_reg = 0, n, crashes;
	json_t *ev;
	long pid;

	write_cfg(d);
	d->daemon = run(d);
	pid = healthy_pid(d, &skip);
	assert_true(pid > 0);
	crash_and_heal(d, &skip, &pid, 1);	/* stored while there is room */
	fill(d);
	/* crash until a write meets the full disk: RocksDB may first fill
	 * room its log already had; every crash is healed meanwhile */
	for (ev = NULL, crashes = 0; !ev && crashes < RI_CRASHES_MAX;
	     crashes++) {
		crash_and_heal(d, &skip, &pid, 1);
		ev = harness_json_wait(d->out, &skip_reg, "registry", NULL,
				       "state", "degraded", 0,
				       crashes + 1 < RI_CRASHES ? 500 : 3000);
	}
	assert_non_null(ev);
	print_message("degraded after %d crashes: error %s, %s\n",
		      crashes,
		      json_string_value(json_object_get(ev, "error")) ?: "-",
		      json_string_value(json_object_get(ev, "message")) ?: "-");
	json_decref(ev);
	/* space back: what waited is stored, the registry is up */
	assert_int_equal(unlink(d->fill), 0);
	crash_and_heal(d, &skip, &pid, 1);
	ev = registry_event(d, &skip_reg, "up");
	assert_non_null(ev);
	print_message("up: %lld stored, %lld lost, %lld pending, %lld "
		      "restarts\n",
		      json_integer_value(json_object_get(ev, "stored")),
		      json_integer_value(json_object_get(ev, "lost")),
		      json_integer_value(json_object_get(ev, "pending")),
		      json_integer_value(json_object_get(ev, "restarts")));
	assert_int_equal(json_integer_value(json_object_get(ev, "pending")),
			 0);
	assert_int_equal(json_integer_value(json_object_get(ev, "lost")), 0);
	json_decref(ev);
	stop_daemon(d);
	/* every recovery's outcome reached the store (none was lost) */
	n = stored_outcomes(d);
	print_message("%d outcomes stored for %d crashes\n", n, crashes + 2);
	assert_true(n >= crashes + 2);
}

/* Started on a full filesystem: heals from the config's order, says
 * degraded; space back: the store is created, the writes stored. */
static void test_start_on_full_fs(void **state)
{
	struct ri *d = *state;
	int skip = 0, skip_reg = 0;
	json_t *ev;
	long pid;

	write_cfg(d);
	fill(d);
	d->daemon = run(d);
	pid = healthy_pid(d, &skip);
	assert_true(pid > 0);
	ev = registry_event(d, &skip_reg, "degraded");
	assert_non_null(ev);
	json_decref(ev);
	crash_and_heal(d, &skip, &pid, 3);
	assert_int_equal(unlink(d->fill), 0);
	ev = registry_event(d, &skip_reg, "up");
	assert_non_null(ev);
	assert_int_equal(json_integer_value(json_object_get(ev, "pending")),
			 0);
	json_decref(ev);
	stop_daemon(d);
	assert_true(stored_outcomes(d) >= 3);
}

/* The store process of our daemon (its cmdline names our registry). */
static pid_t store_pid(struct ri *d)
{
	DIR *p = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	assert_non_null(p);
	while (!found && (e = readdir(p))) {
		char path[300], cmd[512] = "";
		ssize_t n;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		for (ssize_t i = 0; i < n; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		if (n > 0 && strstr(cmd, "registry-serve") &&
		    strstr(cmd, d->reg))
			found = atoi(e->d_name);
	}
	closedir(p);
	return found;
}

/* SIGKILL of the store process: started again, healing unaffected. */
static void test_store_killed(void **state)
{
	struct ri *d = *state;
	int skip = 0, skip_reg = 0;
	pid_t store, again = 0;
	json_t *ev;
	long pid;

	write_cfg(d);
	d->daemon = run(d);
	pid = healthy_pid(d, &skip);
	assert_true(pid > 0);
	store = store_pid(d);
	assert_true(store > 0);
	assert_int_equal(kill(store, SIGKILL), 0);
	ev = registry_event(d, &skip_reg, "degraded");
	assert_non_null(ev);
	assert_non_null(strstr(json_string_value(json_object_get(ev,
				"message")), "ended"));
	json_decref(ev);
	crash_and_heal(d, &skip, &pid, 2);
	ev = registry_event(d, &skip_reg, "up");
	assert_non_null(ev);
	assert_true(json_integer_value(json_object_get(ev, "restarts")) >= 1);
	json_decref(ev);
	for (int i = 0; i < 100 && (again = store_pid(d)) == store; i++)
		usleep(50000);
	assert_true(again > 0 && again != store);
	stop_daemon(d);
	assert_true(stored_outcomes(d) >= 2);
}

/* SIGSTOP of the store process (a store stuck on its disk): healing
 * never waits for it; it is killed after REGPROC_STALL_MS without an
 * answer and started again, and the writes it held are stored. */
static void test_store_stopped(void **state)
{
	struct ri *d = *state;
	int skip = 0, skip_reg = 0;
	pid_t store;
	json_t *ev;
	long pid;

	write_cfg(d);
	d->daemon = run(d);
	pid = healthy_pid(d, &skip);
	assert_true(pid > 0);
	for (int i = 0; i < 100 && !(store = store_pid(d)); i++)
		usleep(50000);
	assert_true(store > 0);
	assert_int_equal(kill(store, SIGSTOP), 0);
	crash_and_heal(d, &skip, &pid, 3);
	ev = registry_event(d, &skip_reg, "degraded");
	assert_non_null(ev);
	assert_non_null(strstr(json_string_value(json_object_get(ev,
				"message")), "did not answer"));
	json_decref(ev);
	ev = registry_event(d, &skip_reg, "up");
	assert_non_null(ev);
	assert_int_equal(json_integer_value(json_object_get(ev, "pending")),
			 0);
	json_decref(ev);
	stop_daemon(d);
	assert_true(stored_outcomes(d) >= 3);
}

/* Whether /proc/PID/maps names a file whose name contains lib. */
static bool maps_lib(pid_t pid, const char *lib)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, lib) != NULL;
	fclose(f);
	return found;
}

/* The daemon chooses from and writes to its copy in memory: it never
 * maps RocksDB (nor libstdc++, which only RocksDB brings; a sanitizer
 * build brings it with UBSan's runtime), the store process does; and
 * without metrics.listen it maps no libmicrohttpd either. */
static void test_daemon_maps_no_rocksdb(void **state)
{
	struct ri *d = *state;
	pid_t store = 0;
	int skip = 0;
	long pid;

	write_cfg(d);
	d->daemon = run(d);
	pid = healthy_pid(d, &skip);
	assert_true(pid > 0);
	crash_and_heal(d, &skip, &pid, 2);	/* choices, writes: all ran */
	for (int i = 0; i < 200; i++) {
		store = store_pid(d);
		if (store > 0 && maps_lib(store, "librocksdb"))
			break;
		usleep(50000);
	}
	assert_true(store > 0);
	assert_true(maps_lib(store, "librocksdb"));
	assert_false(maps_lib(d->daemon, "librocksdb"));
	/* no metrics.listen in this config: no HTTP server, no GnuTLS */
	assert_false(maps_lib(d->daemon, "libmicrohttpd"));
	if (!maps_lib(d->daemon, "libubsan"))
		assert_false(maps_lib(d->daemon, "libstdc++"));
	stop_daemon(d);
	assert_true(stored_outcomes(d) >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_while_crashing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_on_full_fs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_killed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_stopped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_daemon_maps_no_rocksdb,
						setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_registry_isolation: needs root, "
			"skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

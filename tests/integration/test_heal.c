// SPDX-License-Identifier: BSD-2-Clause
/* test_heal.c - the healer with the real BPF sensors (root): a spawned
 * component that really segfaults is restarted and verified, an adopted
 * one (matched by comm) gets its start command run, a process killed by
 * another is attributed to its sender, and an OOM kill in a memory cgroup
 * raises the limit and restarts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "healer_test.h"
#include "healer_int.h"
#include "incidents.h"
#include "registry.h"
#include "sensors.h"

struct hts {
	struct ht t;
	struct hms_sensors *sensors;
	char cgroup[256];
	char link[128];
	pid_t outside;
	struct hms_registry *reg;
	struct hms_incidents *inc;	/* the registry's incident log */
	char regdir[128];
};

static void rm_rf(const char *path)
{
	pid_t p = fork();

	if (p == 0) {
		execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
		_exit(127);
	}
	waitpid(p, NULL, 0);
}

static int setup(void **state)
{
	struct hts *s = calloc(1, sizeof(*s));

	*state = s;
	return s ? 0 : -1;
}

static int teardown(void **state)
{
	struct hts *s = *state;

	if (s->outside > 0)
		kill(s->outside, SIGKILL);
	healer_free(s->t.healer);
	s->t.healer = NULL;
	sensors_free(s->sensors);
	incidents_free(s->inc);
	registry_close(s->reg);
	if (s->regdir[0])
		rm_rf(s->regdir);
	if (s->link[0])
		unlink(s->link);
	if (s->cgroup[0]) {
		/* the processes are gone once healer_free returned */
		for (int i = 0; i < 100 && rmdir(s->cgroup) < 0 &&
		     errno == EBUSY; i++)
			usleep(20000);
	}
	if (s->t.loop)
		ht_fini(&s->t);
	free(s);
	return 0;
}

static int start(struct hts *s, const char *yaml)
{
	struct sensors_opts o;
	int err;

	if (ht_init(&s->t) || ht_config(&s->t, yaml))
		return -1;
	sensors_opts_default(&o);
	o.families = SENSORS_PROC;
	err = sensors_new(&o, s->t.loop, s->t.bus, &s->sensors);
	if (err)
		return err;
	if (s->reg && (err = incidents_new(s->t.cfg, s->t.loop, s->t.bus,
					   s->reg, &s->inc)))
		return err;
	return healer_new(s->t.cfg, s->t.loop, s->t.bus, NULL, s->sensors,
			  s->reg, &s->t.healer);
}

static int count_outcome(const struct registry_outcome *o, void *arg)
{
	/* with the delay it actually waited, not a trial */
	if (o->success && !strcmp(o->component, "segv") &&
	    !strcmp(o->failure, "crash") &&
	    strstr(o->params, "\"delay_ms\":") && !o->trial)
		(*(int *)arg)++;
	return 0;
}

static int count_incident(uint64_t id, const struct registry_incident *in,
			  void *arg)
{
	(void)id;
	if (in->signal == SIGSEGV && !strcmp(in->failure, "crash"))
		(*(int *)arg)++;
	return 0;
}

static pid_t main_pid(struct ht *t, const char *name)
{
	struct hcomp *c = healer_find(t->healer, name);

	return c ? c->pid : 0;
}

static bool is_exec_of(const struct hms_event_hdr *ev, const void *arg)
{
	return ev->type == HMS_EV_EXEC && ev->tgid == *(const uint32_t *)arg;
}

static void test_spawned_segv(void **state)
{
	struct hts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_failure *f;
	const struct hms_ev_outcome *o;
	size_t at = 0;
	pid_t pid, pid2;

	struct registry_query q = { .component = "segv" };
	struct registry_strategy rs;
	const struct hms_ev_strategy *st;
	int n_out = 0, n_inc = 0;

	/* with a real registry: it chooses, and learns the outcome */
	snprintf(s->regdir, sizeof(s->regdir), "/tmp/hms-heal-reg-%d",
		 (int)getpid());
	assert_int_equal(registry_open(s->regdir, &s->reg), 0);
	assert_int_equal(start(s,
		"strategies:\n"
		"  gentle: [{restart: {}}]\n"
		"components:\n"
		"  - name: segv\n"
		"    command: [%1$s, segv-once, %2$s/marker, 200]\n"
		"    start_grace_s: 0.05\n"
		"    verify_s: 0.5\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [restart, gentle]}\n"), 0);
	pid = main_pid(t, "segv");
	assert_true(pid > 0);
	f = (const void *)ht_wait(t, &at, ht_is_failure, "crash", 20000);
	assert_non_null(f);
	assert_int_equal(f->signal, 11);
	assert_int_equal(f->hdr.tgid, pid);
	assert_string_equal(f->component, "segv");
	o = (const void *)ht_wait(t, &at, ht_is_type, HT_ARG(HMS_EV_OUTCOME),
				  20000);
	assert_non_null(o);
	assert_true(o->success);
	assert_true(o->recover_ns > 0);
	pid2 = main_pid(t, "segv");
	assert_true(pid2 > 0 && pid2 != pid);
	assert_int_equal(kill(pid2, 0), 0);
	assert_int_equal(healer_component_state(t->healer, "segv"),
			 HEALER_HEALTHY);
	at = 0;
	st = (const void *)ht_wait(t, &at, ht_is_type, HT_ARG(HMS_EV_STRATEGY),
				   1);
	assert_non_null(st);
	assert_int_equal(st->candidates, 2);
	assert_true(st->cold_start);
	assert_string_equal(st->strategy, "restart");	/* cold: the first */
	assert_true(registry_query_outcomes(s->reg, NULL, &q, count_outcome,
					    &n_out) >= 0);
	assert_int_equal(n_out, 1);
	assert_true(registry_query_incidents(s->reg, &q, count_incident,
					     &n_inc) >= 0);
	assert_int_equal(n_inc, 1);
	/* the configured strategies are registered, with their bounds */
	assert_int_equal(registry_get_strategy(s->reg, "gentle", &rs), 0);
	assert_string_equal(rs.actions, "[{\"restart\":{}}]");
	assert_non_null(strstr(rs.bounds, "\"initial_ms\""));
}

/* A process started outside the healer, by a name of its own; it crashes
 * 2 s after its start, after the healer (started once the sensors are
 * loaded, slow on a busy box) has adopted it. */
static pid_t start_outside(struct hts *s, const char *marker)
{
	pid_t pid;

	snprintf(s->link, sizeof(s->link), "%s/hmsad%d", s->t.dir,
		 (int)getpid() % 100000);
	if (symlink(s->t.crasher, s->link) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* it crashes after 3 s: time enough, on a loaded box, for
		 * the test to load the sensors and the healer to adopt it
		 * (300 ms was sometimes too short) */
		execl(s->link, s->link, "segv-once", marker, "3000", NULL);
		_exit(127);
	}
	return pid;
}

static void test_adopted_comm(void **state)
{
	struct hts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_action *a;
	const struct hms_ev_failure *f;
	char marker[128], yaml[1024], comm[32] = "", path[64];
	size_t at = 0;
	uint32_t newpid;
	FILE *cf;

	assert_int_equal(ht_init(t), 0);
	snprintf(marker, sizeof(marker), "%s/marker", t->dir);
	s->outside = start_outside(s, marker);
	assert_true(s->outside > 0);
	ht_clear(t);
	loop_free(t->loop);
	bus_free(t->bus);
	snprintf(yaml, sizeof(yaml),
		 "components:\n"
		 "  - name: adopted\n"
		 "    match: {comm: hmsad%d}\n"
		 "    command: [%%2$s/hmsad%d, segv-once, %%2$s/marker]\n"
		 "    verify_s: 0.3\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    on: {crash: [restart]}\n",
		 (int)getpid() % 100000, (int)getpid() % 100000);
	/* ht_init again keeps the same crasher; make a fresh loop and bus */
	assert_int_equal(loop_new(&t->loop), 0);
	assert_int_equal(bus_new(&t->bus), 0);
	assert_int_equal(bus_subscribe(t->bus, BUS_ALL, ht_record, t), 0);
	assert_int_equal(ht_config(t, yaml), 0);
	{
		struct sensors_opts o;

		sensors_opts_default(&o);
		o.families = SENSORS_PROC;
		assert_int_equal(sensors_new(&o, t->loop, t->bus, &s->sensors),
				 0);
	}
	/* the process may not have exec'd yet: wait for its comm */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)s->outside);
	for (int i = 0; i < 200 && strncmp(comm, "hmsad", 5); i++) {
		cf = fopen(path, "r");
		if (cf) {
			if (!fgets(comm, sizeof(comm), cf))
				comm[0] = '\0';
			fclose(cf);
		}
		if (strncmp(comm, "hmsad", 5))
			usleep(10000);
	}
	assert_int_equal(healer_new(t->cfg, t->loop, t->bus, NULL, s->sensors,
				    NULL, &t->healer), 0);
	assert_int_equal(main_pid(t, "adopted"), s->outside);
	assert_int_equal(healer_component_state(t->healer, "adopted"),
			 HEALER_HEALTHY);
	f = (const void *)ht_wait(t, &at, ht_is_failure, "crash", 20000);
	assert_non_null(f);
	assert_int_equal(f->signal, SIGSEGV);
	assert_int_equal(f->hdr.tgid, s->outside);
	a = (const void *)ht_wait(t, &at, ht_is_action_done,
				  HT_ARG(ACTION_RESTART), 20000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
	newpid = a->hdr.tgid;
	assert_true(newpid > 0 && newpid != (uint32_t)s->outside);
	assert_int_equal(main_pid(t, "adopted"), (pid_t)newpid);
	/* the start command really ran: the sensors saw its exec */
	at = 0;
	assert_non_null(ht_wait(t, &at, is_exec_of, &newpid, 5000));
	assert_non_null(ht_wait(t, &at, ht_is_type, HT_ARG(HMS_EV_OUTCOME),
				20000));
	waitpid(s->outside, NULL, WNOHANG);
	/* adopted: the instance we restarted outlives the healer, the
	 * test stops it (teardown, by pid) */
	s->outside = (pid_t)newpid;
}

static bool is_exec_any(const struct hms_event_hdr *ev, const void *arg)
{
	(void)arg;
	return ev->type == HMS_EV_EXEC;
}

static void test_killed_sender(void **state)
{
	struct hts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_failure *f;
	size_t at = 0;
	pid_t pid;

	(void)is_exec_any;
	assert_int_equal(start(s,
		"components:\n"
		"  - name: victim\n"
		"    command: [%1$s, sleep]\n"
		"    start_grace_s: 0.05\n"
		"    backoff: {initial_ms: 0}\n"
		"    verify_s: 0.2\n"
		"    on: {killed: [restart]}\n"), 0);
	assert_non_null(ht_wait(t, &at, ht_is_state, HT_ARG(HEALER_HEALTHY),
				10000));
	pid = main_pid(t, "victim");
	kill(pid, SIGTERM);
	f = (const void *)ht_wait(t, &at, ht_is_failure, "killed", 20000);
	assert_non_null(f);
	assert_int_equal(f->signal, SIGTERM);
	assert_int_equal(f->sender_tgid, getpid());
	assert_non_null(ht_wait(t, &at, ht_is_action_done,
				HT_ARG(ACTION_RESTART), 20000));
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static uint64_t read_u64(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = '\0';
		close(fd);
	}
	return strtoull(buf, NULL, 10);
}

static void test_oom_memory(void **state)
{
	struct hts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_action *a;
	char yaml[1024], file[320];
	bool v2 = access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK);
	size_t at = 0;

	assert_int_equal(ht_init(t), 0);
	snprintf(s->cgroup, sizeof(s->cgroup), "%s/hms-test-oom-%d",
		 v2 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup/memory",
		 (int)getpid());
	if (mkdir(s->cgroup, 0755) < 0) {
		s->cgroup[0] = '\0';
		skip();
	}
	snprintf(file, sizeof(file), "%s/%s", s->cgroup,
		 v2 ? "memory.max" : "memory.limit_in_bytes");
	assert_int_equal(write_file(file, "33554432"), 0);	/* 32 MiB */
	snprintf(yaml, sizeof(yaml),
		 "strategies:\n"
		 "  more-memory: [{memory: {factor: 2, max_mb: 128}}, "
		 "{restart: {}}]\n"
		 "components:\n"
		 "  - name: hog\n"
		 "    command: [%%1$s, oom]\n"
		 "    cgroup: %s\n"
		 "    backoff: {initial_ms: 0}\n"
		 "    budget: {max: 2, interval_s: 60}\n"
		 "    on: {oom: [more-memory], crash: [alert]}\n", s->cgroup);
	ht_clear(t);
	loop_free(t->loop);
	bus_free(t->bus);
	assert_int_equal(loop_new(&t->loop), 0);
	assert_int_equal(bus_new(&t->bus), 0);
	assert_int_equal(bus_subscribe(t->bus, BUS_ALL, ht_record, t), 0);
	assert_int_equal(ht_config(t, yaml), 0);
	{
		struct sensors_opts o;

		sensors_opts_default(&o);
		o.families = SENSORS_PROC;
		assert_int_equal(sensors_new(&o, t->loop, t->bus, &s->sensors),
				 0);
	}
	assert_int_equal(healer_new(t->cfg, t->loop, t->bus, NULL, s->sensors,
				    NULL, &t->healer), 0);
	assert_non_null(ht_wait(t, &at, ht_is_failure, "oom", 30000));
	a = (const void *)ht_wait(t, &at, ht_is_action_done,
				  HT_ARG(ACTION_MEMORY), 20000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
	assert_int_equal(read_u64(file) >> 20, 64);
	a = (const void *)ht_wait(t, &at, ht_is_action_done,
				  HT_ARG(ACTION_RESTART), 20000);
	assert_non_null(a);
	assert_int_equal(a->result, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spawned_segv, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_adopted_comm, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_killed_sender, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oom_memory, setup,
						teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_heal: needs root, skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

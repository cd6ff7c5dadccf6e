// SPDX-License-Identifier: BSD-2-Clause
/* test_verify.c - healing you can trust (issue 8), with the real BPF
 * sensors, real processes and real loopback sockets: a chain that only
 * tells (alert, hook) is never a success without a live process; an
 * adopted component with no command is not "recovered" by an alert; a
 * refused connect counts once towards `net` and `degraded` clears when
 * the errors stop; a component in gave_up stores one incident; host-wide
 * failures (watch.all) are stored, with the storm limit and the dropped
 * count; http, tcp and exec probes fail, heal and verify. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "harness.h"
#include "healer_test.h"
#include "healer_int.h"
#include "incidents.h"
#include "registry.h"
#include "sensors.h"

struct vts {
	struct ht t;
	struct hms_sensors *sensors;
	struct hms_registry *reg;
	struct hms_incidents *inc;
	char regdir[128];
	char service[PATH_MAX];
	char link[128];
	pid_t outside;
	uint32_t net_pid[4];		/* count connect_fail of these */
	unsigned int net_n[4];
};

static void net_count(const struct hms_event_hdr *ev, void *arg)
{
	struct vts *s = arg;

	if (ev->type != HMS_EV_CONNECT_FAIL)
		return;
	for (int i = 0; i < 4; i++)
		if (s->net_pid[i] && ev->tgid == s->net_pid[i])
			s->net_n[i]++;
}

static int setup(void **state)
{
	struct vts *s = calloc(1, sizeof(*s));

	*state = s;
	return s ? 0 : -1;
}

static int teardown(void **state)
{
	struct vts *s = *state;

	if (s->outside > 0) {
		kill(s->outside, SIGKILL);
		waitpid(s->outside, NULL, 0);
	}
	healer_free(s->t.healer);
	s->t.healer = NULL;
	incidents_free(s->inc);
	sensors_free(s->sensors);
	registry_close(s->reg);
	if (s->regdir[0])
		harness_rmtree(s->regdir);
	if (s->link[0])
		unlink(s->link);
	if (s->t.loop) {
		bus_unsubscribe(s->t.bus, HMS_EV_CONNECT_FAIL, net_count, s);
		/* files the tests made in the temp dir */
		harness_rmtree(s->t.dir);
		mkdir(s->t.dir, 0700);
		ht_fini(&s->t);
	}
	free(s);
	return 0;
}

/* The YAML of a test with "@S" the service helper, "@C" the crasher,
 * "@D" the temp dir and "@P" the port. */
static char *yaml_of(struct vts *s, const char *fmt, int port)
{
	size_t cap = strlen(fmt) + 16 * PATH_MAX, o = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (const char *p = fmt; *p && o + PATH_MAX + 16 < cap; p++) {
		const char *v = NULL;
		char num[16];

		if (p[0] == '@') {
			snprintf(num, sizeof(num), "%d", port);
			v = p[1] == 'S' ? s->service : p[1] == 'C' ?
			    s->t.crasher : p[1] == 'D' ? s->t.dir :
			    p[1] == 'P' ? num : NULL;
		}
		if (v) {
			o += (size_t)snprintf(out + o, cap - o, "%s", v);
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return out;
}

static int start(struct vts *s, const char *fmt, int port,
		 unsigned int families)
{
	struct sensors_opts o;
	char *y;
	int err;

	if (ht_init(&s->t))
		return -1;
	snprintf(s->service, sizeof(s->service), "%s", s->t.crasher);
	strcpy(strrchr(s->service, '/') + 1, "hms_service");
	if (access(s->service, X_OK))
		return -1;
	y = yaml_of(s, fmt, port);
	err = y ? ht_config(&s->t, y) : -1;
	free(y);
	if (err)
		return -1;
	snprintf(s->regdir, sizeof(s->regdir), "%s/registry", s->t.dir);
	if (registry_open(s->regdir, &s->reg))
		return -1;
	sensors_opts_default(&o);
	o.families = families;
	err = sensors_new(&o, s->t.loop, s->t.bus, &s->sensors);
	err = err ?: bus_subscribe(s->t.bus, HMS_EV_CONNECT_FAIL, net_count, s);
	err = err ?: incidents_new(s->t.cfg, s->t.loop, s->t.bus, s->reg,
				   &s->inc);
	return err ?: healer_new(s->t.cfg, s->t.loop, s->t.bus, NULL,
				 s->sensors, s->reg, &s->t.healer);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (void *)&a, sizeof(a)) &&
	    !getsockname(fd, (void *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool is_outcome_of(const struct hms_event_hdr *ev, const void *arg)
{
	return ev->type == HMS_EV_OUTCOME &&
	       !strcmp(((const struct hms_ev_outcome *)ev)->component, arg);
}

static bool is_failure_of(const struct hms_event_hdr *ev, const void *arg)
{
	return ev->type == HMS_EV_FAILURE &&
	       !strcmp(((const struct hms_ev_failure *)ev)->component, arg);
}

struct state_of {
	const char *name;
	int state;
};

static bool is_state_of(const struct hms_event_hdr *ev, const void *arg)
{
	const struct state_of *w = arg;
	const struct hms_ev_component *e = (const void *)ev;

	return ev->type == HMS_EV_COMPONENT_STATE &&
	       !strcmp(e->component, w->name) &&
	       e->new_state == (uint32_t)w->state;
}

static const struct hms_ev_component *
wait_state(struct ht *t, size_t *at, const char *name, int state, int ms)
{
	struct state_of w = { name, state };

	return (const void *)ht_wait(t, at, is_state_of, &w, ms);
}

static size_t count_events(struct ht *t, ht_pred pred, const void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += pred(t->ev[i], arg);
	return n;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct agg {
	const char *component;
	uint64_t count, successes, unverified;
};

static int agg_cb(const struct registry_aggregate *a, void *arg)
{
	struct agg *g = arg;

	if (!strcmp(a->component, g->component)) {
		g->count += a->count;
		g->successes += a->successes;
		g->unverified += a->unverified;
	}
	return 0;
}

struct evid {
	const char *component;
	double successes, failures;
};

static int evid_cb(const struct registry_evidence *e, void *arg)
{
	struct evid *v = arg;

	if (!strcmp(e->component, v->component)) {
		v->successes += e->successes;
		v->failures += e->failures;
	}
	return 0;
}

/* An alert-only and a hook-only strategy after a crash: nothing brings a
 * process back, so the outcome is `unverified` (never success), the
 * component stays failed, and the registry counts no success. */
static void test_tell_only_unverified(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	const char *names[] = { "tell", "hook" };
	char marker[256];

	assert_int_equal(start(s,
		"components:\n"
		"  - name: tell\n"
		"    command: [@C, segv, 50]\n"
		"    start_grace_s: 0.01\n"
		"    verify_s: 0.3\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [alert]}\n"
		"  - name: hook\n"
		"    command: [@C, segv, 50]\n"
		"    start_grace_s: 0.01\n"
		"    verify_s: 0.3\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {crash: [{exec: {argv: [@C, touch, @D/hooked]}}]}\n",
		0, SENSORS_PROC), 0);
	for (int i = 0; i < 2; i++) {
		const struct hms_ev_outcome *o;
		struct agg g = { .component = names[i] };
		struct evid v = { .component = names[i] };
		size_t at = 0;

		o = (const void *)ht_wait(t, &at, is_outcome_of, names[i],
					  20000);
		assert_non_null(o);
		assert_false(o->success);
		assert_int_equal(o->result, HMS_OUTCOME_UNVERIFIED);
		assert_int_equal(o->n_alive, 0);
		assert_true(o->checks & HMS_CHECK_PROCESS);
		assert_false(o->passed & HMS_CHECK_PROCESS);
		assert_null(wait_state(t, &at, names[i], HEALER_HEALTHY, 1));
		assert_int_equal(healer_component_state(t->healer, names[i]),
				 HEALER_FAILED);
		struct registry_query q = { .component = names[i] };

		assert_true(registry_aggregate_foreach(s->reg, &q, agg_cb,
						       &g) >= 0);
		assert_int_equal(g.successes, 0);
		assert_int_equal(g.count, 0);
		assert_int_equal(g.unverified, 1);
		assert_int_equal(registry_evidence_foreach(s->reg, names[i],
							   evid_cb, &v), 0);
		assert_true(v.successes == 0 && v.failures == 0);
	}
	/* the hook did run: unverified is about evidence, not about it */
	snprintf(marker, sizeof(marker), "%s/hooked", t->dir);
	assert_int_equal(access(marker, F_OK), 0);
}

/* An adopted component with no command: missing -> alert is not
 * "recovered"; it stays failed until a matching process appears. */
static void test_adopted_missing_not_recovered(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_outcome *o;
	char comm[16], yaml[512];
	size_t at = 0;

	snprintf(comm, sizeof(comm), "hmsvm%d", (int)getpid() % 100000);
	snprintf(yaml, sizeof(yaml),
		"components:\n"
		"  - name: adopted\n"
		"    match: {comm: %s}\n"
		"    start_grace_s: 0.05\n"
		"    missing_check_s: 0.1\n"
		"    verify_s: 0.3\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {missing: [alert]}\n", comm);
	assert_int_equal(start(s, yaml, 0, SENSORS_PROC), 0);
	o = (const void *)ht_wait(t, &at, is_outcome_of, "adopted", 20000);
	assert_non_null(o);
	assert_false(o->success);
	assert_int_equal(o->result, HMS_OUTCOME_UNVERIFIED);
	assert_int_equal(healer_component_state(t->healer, "adopted"),
			 HEALER_FAILED);
	/* no "recovered" and no new round while nothing runs */
	ht_pump(t, 1500);
	assert_int_equal(count_events(t, is_outcome_of, "adopted"), 1);
	at = 0;
	assert_null(wait_state(t, &at, "adopted", HEALER_HEALTHY, 1));
	/* the operator starts it: adopted, healthy on evidence */
	snprintf(s->link, sizeof(s->link), "%s/%s", t->dir, comm);
	assert_int_equal(symlink(t->crasher, s->link), 0);
	s->outside = fork();
	if (s->outside == 0) {
		execl(s->link, s->link, "sleep", (char *)NULL);
		_exit(127);
	}
	assert_non_null(wait_state(t, &at, "adopted", HEALER_HEALTHY, 20000));
}

/* Real refused connects to a closed loopback port: each counts once.
 * With a threshold of 4, three refusals (nine sensor events) do not trip
 * `net`, four do; with no strategy for net the component is degraded and
 * becomes healthy again once the errors stay below the threshold for a
 * window. */
static void test_net_once_and_clears(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_component *e;
	const struct hms_ev_failure *f;
	int port = free_port();
	size_t at = 0;
	uint64_t end;

	assert_true(port > 0);
	assert_int_equal(start(s,
		"components:\n"
		"  - name: net3\n"
		"    command: [@S, refuse, @P, 3, 30]\n"
		"    start_grace_s: 0.01\n"
		"    net: {threshold: 4, window_s: 2}\n"
		"  - name: net4\n"
		"    command: [@S, refuse, @P, 4, 30]\n"
		"    start_grace_s: 0.01\n"
		"    net: {threshold: 4, window_s: 2}\n", port,
		SENSORS_PROC | SENSORS_NET), 0);
	s->net_pid[0] = (uint32_t)healer_find(t->healer, "net3")->pid;
	s->net_pid[1] = (uint32_t)healer_find(t->healer, "net4")->pid;
	f = (const void *)ht_wait(t, &at, is_failure_of, "net4", 20000);
	assert_non_null(f);
	assert_string_equal(f->failure, "net");
	/* net3's three refusals are all in: still no net failure */
	end = loop_now_ns() + 20000000000ull;
	while (s->net_n[0] < 3 && loop_now_ns() < end)
		loop_run_once(t->loop, 50);
	assert_int_equal(s->net_n[0], 3);
	assert_int_equal(s->net_n[1], 4);
	ht_pump(t, 300);
	assert_int_equal(count_events(t, is_failure_of, "net3"), 0);
	assert_int_equal(healer_component_state(t->healer, "net3"),
			 HEALER_HEALTHY);
	/* net4 is degraded, and clears when the errors stop */
	at = 0;
	assert_non_null(wait_state(t, &at, "net4", HEALER_DEGRADED, 5000));
	e = wait_state(t, &at, "net4", HEALER_HEALTHY, 20000);
	assert_non_null(e);
	assert_non_null(strstr(e->reason, "net cleared"));
}

static int count_inc(uint64_t id, const struct registry_incident *in,
		     void *arg)
{
	(void)id;
	(void)in;
	(*(int *)arg)++;
	return 0;
}

static int info_of(const struct healer_component_info *ci, void *arg)
{
	*(struct healer_component_info *)arg = *ci;
	return 0;
}

/* A component in gave_up stores one incident, not one per event. */
static void test_gave_up_one_incident(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	struct registry_query q = { .component = "storm" };
	struct healer_component_info ci;
	int port = free_port(), n_inc;
	size_t at = 0, n_fail;

	assert_true(port > 0);
	assert_int_equal(start(s,
		"components:\n"
		"  - name: storm\n"
		"    command: [@S, refuse, @P, 0, 20]\n"
		"    start_grace_s: 0.01\n"
		"    verify_s: 0.5\n"
		"    net: {threshold: 3, window_s: 10}\n"
		"    budget: {max: 1, interval_s: 600}\n"
		"    backoff: {initial_ms: 0}\n"
		"    on: {net: [restart]}\n", port,
		SENSORS_PROC | SENSORS_NET), 0);
	assert_non_null(wait_state(t, &at, "storm", HEALER_GAVE_UP, 20000));
	n_fail = count_events(t, is_failure_of, "storm");
	assert_true(n_fail >= 2);
	/* it keeps refusing: dozens of errors, several thresholds' worth */
	ht_pump(t, 1500);
	assert_int_equal(count_events(t, is_failure_of, "storm"), n_fail);
	assert_int_equal(healer_component_state(t->healer, "storm"),
			 HEALER_GAVE_UP);
	n_inc = 0;
	assert_true(registry_query_incidents(s->reg, &q, count_inc,
					     &n_inc) >= 0);
	assert_int_equal(n_inc, (int)n_fail);
	/* the repeats are counted on the component */
	memset(&ci, 0, sizeof(ci));
	assert_int_equal(healer_foreach_component(t->healer, info_of, &ci), 0);
	assert_string_equal(ci.name, "storm");
	assert_true(ci.gave_up_repeats > 0);
}

struct inc_count {
	int crashes, summaries;
	char summary[128];
};

static int host_inc(uint64_t id, const struct registry_incident *in,
		    void *arg)
{
	struct inc_count *c = arg;

	(void)id;
	if (strncmp(in->comm, "hmsvstorm", 9))
		return 0;
	if (!strncmp(in->detail, "rate limit", 10)) {
		c->summaries++;
		snprintf(c->summary, sizeof(c->summary), "%s", in->detail);
	} else if (!strcmp(in->failure, "crash") && in->signal == SIGSEGV) {
		c->crashes++;
	}
	return 0;
}

/* watch.all: crashes of processes of no component are stored under the
 * host-wide pseudo-component, at most `burst` per (comm, class) per
 * interval, and the rest is stored as a dropped count. */
static void test_watch_all_incidents(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	struct registry_query q = { .component = CONFIG_HOST_COMPONENT };
	struct inc_count c = { 0 };
	struct incidents_stats st = { 0 };
	uint64_t end;
	pid_t mid;

	assert_int_equal(start(s,
		"daemon: {incidents: {burst: 3, interval_s: 600}}\n"
		"watch: {all: true, classes: [crash]}\n"
		"components: []\n", 0, SENSORS_PROC), 0);
	snprintf(s->link, sizeof(s->link), "%s/hmsvstorm%d", t->dir,
		 (int)getpid() % 100000);
	assert_int_equal(symlink(t->crasher, s->link), 0);
	/* not our children (the daemon's own children are not host-wide) */
	mid = fork();
	if (mid == 0) {
		for (int i = 0; i < 8; i++)
			if (fork() == 0) {
				execl(s->link, s->link, "segv", (char *)NULL);
				_exit(127);
			}
		while (wait(NULL) > 0)
			;
		_exit(0);
	}
	assert_true(mid > 0);
	/* all eight seen: three stored, five counted */
	end = loop_now_ns() + 30000000000ull;
	do {
		ht_pump(t, 100);
		incidents_get_stats(s->inc, &st);
	} while (loop_now_ns() < end && st.stored + st.dropped < 8);
	waitpid(mid, NULL, 0);
	assert_int_equal(st.stored, 3);
	assert_int_equal(st.dropped, 5);
	assert_true(registry_query_incidents(s->reg, &q, host_inc, &c) >= 0);
	assert_int_equal(c.crashes, 3);
	assert_int_equal(c.summaries, 0);
	/* the pending count is stored when its interval ends, at the
	 * latest at exit */
	incidents_free(s->inc);
	s->inc = NULL;
	memset(&c, 0, sizeof(c));
	assert_true(registry_query_incidents(s->reg, &q, host_inc, &c) >= 0);
	assert_int_equal(c.crashes, 3);
	assert_int_equal(c.summaries, 1);
	assert_non_null(strstr(c.summary, "dropped=5"));
}

static bool is_probe_failure(const struct hms_event_hdr *ev, const void *arg)
{
	const struct hms_ev_failure *f = (const void *)ev;

	return ev->type == HMS_EV_FAILURE && !strcmp(f->failure, "probe") &&
	       (!arg || strstr(f->cause, arg));
}

/* Outcomes of component "web" until one with result r. */
static const struct hms_ev_outcome *wait_result(struct ht *t, size_t *at,
						uint32_t r)
{
	const struct hms_ev_outcome *o;

	while ((o = (const void *)ht_wait(t, at, is_outcome_of, "web",
					  30000)))
		if (o->result == r)
			return o;
	return NULL;
}

static void assert_probe_success(const struct hms_ev_outcome *o)
{
	assert_non_null(o);
	assert_true(o->success);
	assert_int_equal(o->checks, HMS_CHECK_PROCESS | HMS_CHECK_PROBE);
	assert_int_equal(o->passed, HMS_CHECK_PROCESS | HMS_CHECK_PROBE);
	assert_true(o->probe_ok > 0);
	assert_true(o->n_alive > 0 && o->alive_pids[0] > 0);
	assert_int_equal(kill((pid_t)o->alive_pids[0], 0), 0);
}

#define WEB_COMMON \
	"components:\n" \
	"  - name: web\n" \
	"    start_grace_s: 0.2\n" \
	"    verify_s: 2\n" \
	"    backoff: {initial_ms: 0}\n" \
	"    budget: {max: 100, interval_s: 60}\n" \
	"    on: {probe: [restart]}\n"

/* http: a 500 and a hung server fail the probe; a restart that answers
 * 200 is verified, one that still answers 500 is a failure, and the
 * component is healthy again once the probe passes. */
static void test_probe_http(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	const struct hms_ev_outcome *o;
	const struct hms_ev_component *e;
	int port = free_port();
	size_t at = 0;

	assert_true(port > 0);
	assert_int_equal(start(s, WEB_COMMON
		"    command: [@S, http, @P, @D/ctl]\n"
		"    probe: {http: \"http://127.0.0.1:@P/health\", "
		"interval_s: 0.1, timeout_ms: 1000, failures: 2}\n", port,
		SENSORS_PROC), 0);
	assert_non_null(wait_state(t, &at, "web", HEALER_HEALTHY, 20000));
	/* a 500 fails the probe; the restarted server answers 200 */
	write_file(t->dir, "ctl", "500\n");
	assert_non_null(ht_wait(t, &at, is_probe_failure, "status 500",
				20000));
	write_file(t->dir, "ctl", "ok\n");
	assert_probe_success(wait_result(t, &at, HMS_OUTCOME_SUCCESS));
	assert_non_null(wait_state(t, &at, "web", HEALER_HEALTHY, 5000));
	/* a restarted server that still answers 500 is no success; when it
	 * answers 200 again the component is healthy again */
	write_file(t->dir, "ctl", "500\n");
	assert_non_null(ht_wait(t, &at, is_probe_failure, "status 500",
				20000));
	o = wait_result(t, &at, HMS_OUTCOME_FAILURE);
	assert_non_null(o);
	assert_true(o->checks & HMS_CHECK_PROBE);
	assert_false(o->passed & HMS_CHECK_PROBE);
	assert_true(o->probe_failed > 0);
	write_file(t->dir, "ctl", "ok\n");
	e = wait_state(t, &at, "web", HEALER_HEALTHY, 20000);
	assert_non_null(e);
	assert_non_null(strstr(e->reason, "passing"));
	/* a hung server (accepts, never answers) fails it too */
	write_file(t->dir, "ctl", "hang\n");
	assert_non_null(ht_wait(t, &at, is_probe_failure, "no answer",
				20000));
	write_file(t->dir, "ctl", "ok\n");
	assert_probe_success(wait_result(t, &at, HMS_OUTCOME_SUCCESS));
}

/* tcp: a closed listener (refused) fails the probe; the restarted
 * server listens again and is verified. */
static void test_probe_tcp(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	int port = free_port();
	size_t at = 0;

	assert_true(port > 0);
	assert_int_equal(start(s, WEB_COMMON
		"    command: [@S, http, @P, @D/ctl]\n"
		"    probe: {tcp: \"127.0.0.1:@P\", interval_s: 0.1, "
		"timeout_ms: 1000, failures: 2}\n", port, SENSORS_PROC), 0);
	assert_non_null(wait_state(t, &at, "web", HEALER_HEALTHY, 20000));
	write_file(t->dir, "ctl", "closed\n");
	assert_non_null(ht_wait(t, &at, is_probe_failure, "refused", 20000));
	write_file(t->dir, "ctl", "ok\n");
	assert_probe_success(wait_result(t, &at, HMS_OUTCOME_SUCCESS));
}

/* exec: a check that exits 1 fails the probe; once it passes again the
 * restart is verified. */
static void test_probe_exec(void **state)
{
	struct vts *s = *state;
	struct ht *t = &s->t;
	char bad[256];
	size_t at = 0;

	assert_int_equal(start(s, WEB_COMMON
		"    command: [@C, sleep]\n"
		"    probe: {exec: [@S, absent, @D/bad], interval_s: 0.1, "
		"timeout_ms: 2000, failures: 2}\n", 0, SENSORS_PROC), 0);
	assert_non_null(wait_state(t, &at, "web", HEALER_HEALTHY, 20000));
	write_file(t->dir, "bad", "x\n");
	assert_non_null(ht_wait(t, &at, is_probe_failure, "exited 1", 20000));
	snprintf(bad, sizeof(bad), "%s/bad", t->dir);
	unlink(bad);
	assert_probe_success(wait_result(t, &at, HMS_OUTCOME_SUCCESS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tell_only_unverified,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_adopted_missing_not_recovered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_once_and_clears,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_gave_up_one_incident,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_all_incidents,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_http, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_probe_tcp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_probe_exec, setup,
						teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_verify: needs root, skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

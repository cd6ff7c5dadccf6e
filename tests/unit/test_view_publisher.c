// SPDX-License-Identifier: BSD-2-Clause
/* test_view_publisher.c - the pane protocol against a real publisher on a
 * real unix socket (temp dir), with fake healer/registry sources: hello
 * and role, snapshot, events, coalesced process rows (escaped), tables
 * pushed only on change, metrics samples, requests and their answers,
 * stale and live sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "bus.h"
#include "event.h"
#include "loop.h"
#include "proctable.h"
#include "publisher.h"

struct fix {
	char dir[32], path[96];
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_proctable *pt;
	struct hms_publisher *pub;
	unsigned int api_state;	/* enum healer_state */
	int acts;
	char last_verb[16];
	char in[1 << 20];
	size_t in_len;
};

static int fake_components(void *ctx, publisher_component_cb cb, void *arg)
{
	struct fix *f = ctx;
	static const struct publisher_oom oom = {
		.pid = 4242, .time_ms = 1700000000000, .rss_kb = 131072,
		.cgroup_read = true, .limit_bytes = 134217728,
		.usage_bytes = 133169152, .peak_bytes = 134217728,
		.pressure_read = true, .some_avg10 = 12.5, .full_avg10 = 3.25,
		.pressure_before = true, .pressure_ago_ms = 4200,
		.strategy = "grow", .done = "memory ok: limit 128 -> 384 MiB",
		.summary = "OOM kill: rss 128M, cgroup usage/limit 127/128M",
	};
	struct publisher_component c = { "api", f->api_state, 4242, 2,
					 "crash", "SIGSEGV", false, NULL, 0,
					 "", false, &oom, NULL, 0, NULL };

	return cb(&c, arg);
}

static int fake_strategies(void *ctx, publisher_strategy_cb cb, void *arg)
{
	struct publisher_strategy s = { "api", "crash", "gentle-restart",
					3, 1, 0.75, 4, 120, 300, true, 1.0 };

	(void)ctx;
	return cb(&s, arg);
}

static int fake_act(void *ctx, const struct publisher_act *a, char *msg,
                    size_t len)
{
	const char *verb = a->verb, *comp = a->component;

	struct fix *f = ctx;

	f->acts++;
	snprintf(f->last_verb, sizeof(f->last_verb), "%s", verb);
	if (strcmp(comp, "api")) {
		snprintf(msg, len, "no such component");
		return -ENOENT;
	}
	snprintf(msg, len, strcmp(verb, "ack") ? "done" : "ack api: noted");
	return 0;
}

static struct fix *fx;

static int setup(void **state)
{
	struct publisher_sources src = { .components = fake_components,
					 .strategies = fake_strategies,
					 .act = fake_act };
	struct publisher_opts o = { .socket_group = getegid(),
				    .viewer_group = (gid_t)-1, .tick_ms = 50,
				    .procs_ms = 100 };
	struct fix *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/hms-pub-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/hms.sock", f->dir);
	f->api_state = HEALER_HEALTHY;
	src.ctx = f;
	o.path = f->path;
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(bus_new(&f->bus), 0);
	assert_int_equal(proctable_new(f->bus, &f->pt), 0);
	assert_int_equal(publisher_new(&o, f->loop, f->bus, f->pt, &src,
				       &f->pub), 0);
	fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char rundir[64];

	publisher_free(f->pub);
	proctable_free(f->pt);
	bus_free(f->bus);
	loop_free(f->loop);
	snprintf(rundir, sizeof(rundir), "%s/run", f->dir);
	rmdir(rundir);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int client(struct fix *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	f->in_len = 0;
	return fd;
}

static void say(int fd, const char *line)
{
	assert_int_equal(send(fd, line, strlen(line), 0), (ssize_t)strlen(line));
}

/* Pump the loop until a message of type arrives (limit: 10 ms * iters). */
static json_t *expect_n(struct fix *f, int fd, const char *type, int iters)
{
	for (int i = 0; i < iters; i++) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(f->in, '\n', f->in_len))) {
			size_t l = nl - f->in + 1;
			json_t *m = json_loadb(f->in, l - 1, 0, NULL);

			memmove(f->in, f->in + l, f->in_len - l);
			f->in_len -= l;
			assert_non_null(m);
			if (!strcmp(json_string_value(json_object_get(m, "type")),
				    type))
				return m;
			json_decref(m);
		}
		loop_run_once(f->loop, 10);
		n = recv(fd, f->in + f->in_len, sizeof(f->in) - f->in_len, 0);
		if (n > 0)
			f->in_len += n;
	}
	fail_msg("no \"%s\" message", type);
	return NULL;
}

static json_t *expect(struct fix *f, int fd, const char *type)
{
	return expect_n(f, fd, type, 500);
}

static void publish_exit(struct fix *f, uint32_t tgid, const char *comm,
			 int sig)
{
	struct hms_ev_exit e;

	memset(&e, 0, sizeof(e));
	event_init(&e.hdr, HMS_EV_EXIT, sizeof(e));
	e.hdr.tgid = e.hdr.tid = tgid;
	memcpy(e.hdr.comm, comm, strnlen(comm, HMS_COMM_LEN));
	e.signal = sig;
	bus_publish(f->bus, &e.hdr);
}

static void test_hello_snapshot(void **state)
{
	struct fix *f = *state;
	int fd = client(f);
	json_t *m, *procs, *p;
	size_t i;
	int found = 0;

	m = expect(f, fd, "hello");
	assert_string_equal(json_string_value(json_object_get(m, "role")), "act");
	json_decref(m);
	publish_exit(f, 4000001, "\x1b]0;pwn\x07\n\xff", 11);
	say(fd, "{\"cmd\":\"subscribe\"}\n");
	m = expect(f, fd, "snapshot");
	procs = json_object_get(m, "procs");
	json_array_foreach(procs, i, p)
		if (json_integer_value(json_object_get(p, "tgid")) == 4000001) {
			found = 1;
			/* escaped by the daemon already: valid JSON, no ESC */
			assert_string_equal(json_string_value(json_object_get(p,
				"comm")), "\\e]0;pwn\\x07\\n\\xff");
			assert_string_equal(json_string_value(json_object_get(p,
				"cause")), "SIGSEGV");
		}
	assert_true(found);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(m, "components"), 0), "name")), "api");
	/* the last OOM kill's forensics, as ctl status and the view read
	 * them */
	p = json_object_get(json_array_get(json_object_get(m, "components"),
					   0), "last_oom");
	assert_true(json_is_object(p));
	assert_int_equal(json_integer_value(json_object_get(p,
			 "cgroup_limit_bytes")), 134217728);
	assert_int_equal(json_integer_value(json_object_get(p,
			 "cgroup_usage_bytes")), 133169152);
	assert_true(json_real_value(json_object_get(p, "mem_some_avg10")) ==
		    12.5);
	assert_true(json_is_true(json_object_get(p, "mem_pressure_before")));
	assert_string_equal(json_string_value(json_object_get(p,
			    "mem_pressure_done")), "memory ok: limit 128 -> "
			    "384 MiB");
	assert_non_null(strstr(json_string_value(json_object_get(p,
			       "summary")), "usage/limit 127/128M"));
	assert_true(json_is_true(json_object_get(json_array_get(
		json_object_get(m, "strategies"), 0), "next")));
	assert_int_equal(json_array_size(json_object_get(m, "events")), 1);
	json_decref(m);
	close(fd);
}

static void test_events_and_rows(void **state)
{
	struct fix *f = *state;
	int fd = client(f);
	json_t *m;

	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"events\",\"procs\"]}\n");
	m = expect(f, fd, "snapshot");
	assert_null(json_object_get(m, "components"));
	json_decref(m);
	publish_exit(f, 4000002, "victim", 6);
	m = expect(f, fd, "event");
	/* the panes' own event format, not the --json one */
	assert_string_equal(json_string_value(json_object_get(m, "kind")),
			    "exit");
	assert_int_equal(json_integer_value(json_object_get(m, "pid")),
			 4000002);
	assert_string_equal(json_string_value(json_object_get(m, "comm")),
			    "victim");
	assert_non_null(strstr(json_string_value(json_object_get(m, "text")),
			       "signo=6"));
	assert_true(json_integer_value(json_object_get(m, "seq")) > 0);
	assert_true(json_integer_value(json_object_get(m, "time_ms")) > 0);
	json_decref(m);
	m = expect(f, fd, "procs");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(m, "upsert"), 0), "tgid")), 4000002);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(m, "upsert"), 0), "sender")), "");
	json_decref(m);
	/* quotes, backslashes and control bytes: valid JSON, escaped */
	publish_exit(f, 4000004, "a\"b\\c\x1b\xff", 6);
	m = expect(f, fd, "event");
	assert_string_equal(json_string_value(json_object_get(m, "comm")),
			    "a\"b\\c\\e\\xff");
	json_decref(m);
	close(fd);
}

/* schema_version 2 events to a pane: the row's process is the role the
 * event is about (a signal's target); the other roles show as
 * pid(comm); the envelope (id, time, host) is not repeated; seq is the
 * event's JSON id. */
static void test_event_roles(void **state)
{
	struct fix *f = *state;
	struct hms_ev_signal sig;
	int fd = client(f);
	json_t *m;

	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"events\"]}\n");
	json_decref(expect(f, fd, "snapshot"));
	memset(&sig, 0, sizeof(sig));
	event_init(&sig.hdr, HMS_EV_SIGNAL, sizeof(sig));
	sig.hdr.tgid = sig.hdr.tid = 10;
	memcpy(sig.hdr.comm, "kill", 4);
	sig.target_tgid = sig.target_tid = 20;
	memcpy(sig.target_comm, "web", 3);
	sig.signal = 9;
	sig.code = 0;			/* SI_USER: a sender */
	bus_publish(f->bus, &sig.hdr);
	m = expect(f, fd, "event");
	assert_string_equal(json_string_value(json_object_get(m, "kind")),
			    "signal");
	assert_int_equal(json_integer_value(json_object_get(m, "pid")), 20);
	assert_string_equal(json_string_value(json_object_get(m, "comm")),
			    "web");
	assert_non_null(strstr(json_string_value(json_object_get(m, "text")),
			       "sender=10(kill)"));
	assert_non_null(strstr(json_string_value(json_object_get(m, "text")),
			       "signal=SIGKILL"));
	assert_null(strstr(json_string_value(json_object_get(m, "text")),
			   "host="));
	assert_true(json_integer_value(json_object_get(m, "seq")) > 0);
	json_decref(m);
	close(fd);
}

/* A row whose process's events changed nothing shown is not pushed
 * again; rows are valid JSON whatever the comm (quotes, backslashes,
 * control bytes, invalid UTF-8). */
static json_t *find_row(json_t *m, uint32_t tgid)
{
	json_t *up = json_object_get(m, "upsert");

	for (size_t k = 0; k < json_array_size(up); k++)
		if (json_integer_value(json_object_get(json_array_get(up, k),
						       "tgid")) == tgid)
			return json_array_get(up, k);
	return NULL;
}

static void publish_fork_runq(struct fix *f, uint32_t child, uint64_t ns)
{
	struct hms_ev_fork fk;
	struct hms_ev_runq r;

	memset(&fk, 0, sizeof(fk));
	event_init(&fk.hdr, HMS_EV_FORK, sizeof(fk));
	fk.hdr.tgid = fk.hdr.tid = 1;
	fk.child_tgid = fk.child_tid = child;
	if (child)
		bus_publish(f->bus, &fk.hdr);
	memset(&r, 0, sizeof(r));
	event_init(&r.hdr, HMS_EV_RUNQ_LATENCY, sizeof(r));
	r.hdr.tgid = r.hdr.tid = 4000200;
	r.latency_ns = ns;
	bus_publish(f->bus, &r.hdr);
}

/* The next procs message has 4000200's row with runq_p99_us us. */
static void expect_runq_row(struct fix *f, int fd, json_int_t us)
{
	json_t *m = expect(f, fd, "procs");
	json_t *row = find_row(m, 4000200);

	assert_non_null(row);
	assert_int_equal(json_integer_value(json_object_get(row,
			 "runq_p99_us")), us);
	json_decref(m);
}

static void test_unchanged_rows(void **state)
{
	struct fix *f = *state;
	int fd = client(f);
	json_t *m, *row;

	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"procs\"]}\n");
	json_decref(expect(f, fd, "snapshot"));
	publish_fork_runq(f, 4000200, 5000000);
	expect_runq_row(f, fd, 5000);
	/* a shorter wait: the row shows the same worst one */
	publish_fork_runq(f, 4000201, 1000000);
	m = expect(f, fd, "procs");
	assert_non_null(find_row(m, 4000201));
	assert_null(find_row(m, 4000200));
	json_decref(m);
	/* a longer one changes it */
	publish_fork_runq(f, 0, 9000000);
	expect_runq_row(f, fd, 9000);
	publish_exit(f, 4000202, "a\"b\\c\x1b\xff", 6);
	m = expect(f, fd, "procs");
	row = find_row(m, 4000202);
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "comm")),
			    "a\"b\\c\\e\\xff");
	assert_string_equal(json_string_value(json_object_get(row, "cause")),
			    "SIGABRT");
	json_decref(m);
	close(fd);
}

/* The sender of a kill is in the killed process's row. */
static void test_kill_sender(void **state)
{
	struct fix *f = *state;
	struct hms_ev_signal sig;
	int fd = client(f);
	json_t *m, *up;

	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"procs\"]}\n");
	json_decref(expect(f, fd, "snapshot"));
	memset(&sig, 0, sizeof(sig));
	event_init(&sig.hdr, HMS_EV_SIGNAL, sizeof(sig));
	sig.hdr.tgid = sig.hdr.tid = 4000100;
	memcpy(sig.hdr.comm, "killer", 6);
	sig.target_tgid = sig.target_tid = 4000003;
	sig.signal = 9;
	bus_publish(f->bus, &sig.hdr);
	publish_exit(f, 4000003, "victim", 9);
	for (int i = 0; i < 10; i++) {
		m = expect(f, fd, "procs");
		up = json_object_get(m, "upsert");
		for (size_t k = 0; k < json_array_size(up); k++) {
			json_t *r = json_array_get(up, k);

			if (json_integer_value(json_object_get(r, "tgid")) ==
			    4000003 && !json_is_true(json_object_get(r, "alive"))) {
				assert_string_equal(json_string_value(
					json_object_get(r, "cause")), "SIGKILL");
				assert_string_equal(json_string_value(
					json_object_get(r, "sender")),
					"killer[4000100]");
				json_decref(m);
				close(fd);
				return;
			}
		}
		json_decref(m);
	}
	fail_msg("no exited row for 4000003");
}

/* A component's failures stay in the snapshot's history after many more
 * events than the recent ring keeps. */
static void test_history_snapshot(void **state)
{
	struct fix *f = *state;
	struct hms_ev_failure fl;
	json_t *m, *h;
	int fd;

	for (int i = 0; i < 60; i++) {
		memset(&fl, 0, sizeof(fl));
		event_init(&fl.hdr, HMS_EV_FAILURE, sizeof(fl));
		fl.hdr.tgid = 4000200 + i;
		snprintf(fl.component, sizeof(fl.component), "api");
		snprintf(fl.failure, sizeof(fl.failure), "crash");
		bus_publish(f->bus, &fl.hdr);
	}
	for (int i = 0; i < 1000; i++)
		publish_exit(f, 4001000 + i, "noise", 0);
	fd = client(f);
	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"events\"]}\n");
	m = expect(f, fd, "snapshot");
	h = json_object_get(m, "history");
	assert_int_equal(json_array_size(h), 50);	/* the last 50 */
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(h, 49), "component")), "api");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(h, 49), "kind")), "failure");
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(h, 0), "pid")), 4000210);
	assert_true(json_integer_value(json_object_get(json_array_get(h, 0),
		"seq")) < json_integer_value(json_object_get(
		json_array_get(h, 49), "seq")));
	json_decref(m);
	close(fd);
}

static void test_tables_on_change(void **state)
{
	struct fix *f = *state;
	int fd = client(f);
	json_t *m;

	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"components\"]}\n");
	json_decref(expect(f, fd, "snapshot"));
	f->api_state = HEALER_GAVE_UP;
	publisher_changed(f->pub, PUB_T_COMPONENTS);
	m = expect(f, fd, "components");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(m, "components"), 0), "state")), "gave_up");
	json_decref(m);
	close(fd);
}

static void test_metrics(void **state)
{
	struct fix *f = *state;
	int fd = client(f);
	json_t *m;

	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"metrics\"]}\n");
	json_decref(expect(f, fd, "snapshot"));
	/* a sample closes when the second is over: some arrive with 0 */
	for (int i = 0; i < 5; i++) {
		publish_exit(f, 4000003, "m", 0);
		m = expect(f, fd, "metrics");
		if (json_number_value(json_object_get(json_object_get(m,
			"sample"), "events")) >= 1) {
			json_decref(m);
			close(fd);
			return;
		}
		json_decref(m);
	}
	fail_msg("no sample counted the events");
}

static void test_requests(void **state)
{
	struct fix *f = *state;
	int fd = client(f);
	json_t *m;

	json_decref(expect(f, fd, "hello"));
	say(fd, "{\"cmd\":\"heal\",\"component\":\"api\",\"id\":7}\n");
	m = expect(f, fd, "result");
	assert_true(json_is_true(json_object_get(m, "ok")));
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(m, "message")),
			    "heal api: done");
	json_decref(m);
	assert_int_equal(f->acts, 1);
	say(fd, "{\"cmd\":\"pause\",\"component\":\"nope\"}\n");
	m = expect(f, fd, "result");
	assert_true(json_is_false(json_object_get(m, "ok")));
	json_decref(m);
	assert_string_equal(f->last_verb, "pause");
	/* an answer that names the request already is not prefixed twice */
	say(fd, "{\"cmd\":\"ack\",\"component\":\"api\"}\n");
	m = expect(f, fd, "result");
	assert_string_equal(json_string_value(json_object_get(m, "message")),
			    "ack api: noted");
	json_decref(m);
	say(fd, "{\"cmd\":\"reboot\"}\n");
	m = expect(f, fd, "result");
	assert_true(json_is_false(json_object_get(m, "ok")));
	json_decref(m);
	assert_int_equal(f->acts, 3);
	close(fd);
}

/* Rows the proctable forgot are removed from the panes (swept every 5 s). */
static void test_expired_rows_removed(void **state)
{
	struct fix *f = *state;
	int fd = client(f), found = 0;
	json_t *m, *v;
	size_t i;

	json_decref(expect(f, fd, "hello"));
	publish_exit(f, 4000009, "gone", 9);
	say(fd, "{\"cmd\":\"subscribe\",\"topics\":[\"procs\"]}\n");
	json_decref(expect(f, fd, "snapshot"));
	proctable_expire(f->pt, loop_now_ns() + 3600 * 1000000000ull, 0);
	assert_null(proctable_get(f->pt, 4000009));
	while (!found) {
		m = expect_n(f, fd, "procs", 1500);
		json_array_foreach(json_object_get(m, "remove"), i, v)
			found |= json_integer_value(v) == 4000009;
		json_decref(m);
	}
	close(fd);
}

/* At most 64 panes at once; the 65th is closed without a hello. */
static void test_limits(void **state)
{
	struct fix *f = *state;
	int fds[65];

	for (int i = 0; i < 65; i++)
		fds[i] = client(f);
	for (int i = 0; i < 50; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(publisher_clients(f->pub), 64);
	for (int i = 0; i < 65; i++)
		close(fds[i]);
	for (int i = 0; i < 20; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(publisher_clients(f->pub), 0);
}

static void test_live_socket_refused(void **state)
{
	struct fix *f = *state;
	struct publisher_opts o = { .path = f->path, .socket_group = (gid_t)-1,
				    .viewer_group = (gid_t)-1 };
	struct hms_publisher *p2 = NULL;

	assert_int_equal(publisher_new(&o, f->loop, f->bus, f->pt, NULL, &p2),
			 -EADDRINUSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_and_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_on_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_rows_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_refused, setup, teardown),
	};

	(void)fx;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_event.c - decoding checks and JSON rendering of every event type,
 * including short records, unknown types and hostile strings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "bus.h"
#include "event.h"

static const unsigned int all_types[] = {
	HMS_EV_EXEC, HMS_EV_FORK, HMS_EV_EXIT, HMS_EV_SIGNAL, HMS_EV_OOM,
	HMS_EV_HANG, HMS_EV_CONNECT_FAIL, HMS_EV_SOCK_ERROR,
	HMS_EV_TCP_RESET_RECV, HMS_EV_TCP_RESET_SEND, HMS_EV_TCP_RETRANSMIT,
	HMS_EV_RUNQ_LATENCY, HMS_EV_STATS, HMS_EV_COMPONENT_STATE,
	HMS_EV_ACTION, HMS_EV_STRATEGY, HMS_EV_OUTCOME, HMS_EV_ALERT,
	HMS_EV_FAILURE, HMS_EV_REGISTRY,
};
#define N_TYPES (sizeof(all_types) / sizeof(all_types[0]))

extern char **environ;

static void *make(unsigned int type)
{
	size_t sz = event_size(type);
	struct hms_event_hdr *h = calloc(1, sz);

	event_init(h, type, sz);
	h->tgid = 42;
	strcpy(h->comm, "worker");
	return h;
}

static void test_abi_numbers_stable(void **state)
{
	(void)state;
	/* these numbers are the ABI: they never change */
	assert_int_equal(HMS_EV_EXEC, 1);
	assert_int_equal(HMS_EV_EXIT, 3);
	assert_int_equal(HMS_EV_OOM, 5);
	assert_int_equal(HMS_EV_CONNECT_FAIL, 10);
	assert_int_equal(HMS_EV_TCP_RETRANSMIT, 14);
	assert_int_equal(HMS_EV_RUNQ_LATENCY, 20);
	assert_int_equal(HMS_EV_STATS, 100);
	assert_int_equal(sizeof(struct hms_event_hdr), 56);
	assert_int_equal(offsetof(struct hms_event_hdr, comm), 40);
}

static void test_every_type_named_and_sized(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_TYPES; i++) {
		const char *n = event_type_name(all_types[i]);

		assert_non_null(n);
		assert_int_equal(event_type_from_name(n), all_types[i]);
		assert_true(event_size(all_types[i]) >=
			    sizeof(struct hms_event_hdr));
	}
	assert_null(event_type_name(77));
	assert_int_equal(event_size(77), 0);
	assert_int_equal(event_size(100000), 0);
	assert_int_equal(event_type_from_name("nope"), -ENOENT);
	assert_true(event_is_critical(HMS_EV_EXIT));
	assert_false(event_is_critical(HMS_EV_EXEC));
}

static void test_check_short_unknown_version(void **state)
{
	struct hms_ev_exit *e = make(HMS_EV_EXIT);

	(void)state;
	assert_int_equal(event_check(e, sizeof(*e)), 0);
	/* shorter than a header */
	assert_int_equal(event_check(e, 10), -EINVAL);
	/* buffer shorter than the header claims */
	assert_int_equal(event_check(e, sizeof(*e) - 1), -EINVAL);
	/* header claims fewer bytes than the type needs */
	e->hdr.size = sizeof(e->hdr) + 4;
	assert_int_equal(event_check(e, sizeof(*e)), -EINVAL);
	/* a newer producer's longer record is accepted */
	{
		char longer[sizeof(*e) + 16];

		e->hdr.size = sizeof(longer);
		memcpy(longer, e, sizeof(*e));
		memset(longer + sizeof(*e), 0x5a, 16);
		assert_int_equal(event_check(longer, sizeof(longer)), 0);
	}
	e->hdr.size = sizeof(*e);
	e->hdr.type = 77;
	assert_int_equal(event_check(e, sizeof(*e)), -ENOENT);
	e->hdr.type = HMS_EV_EXIT;
	e->hdr.version = 9;
	assert_int_equal(event_check(e, sizeof(*e)), -EPROTO);
	assert_int_equal(event_check(NULL, 0), -EINVAL);
	free(e);
}

/* The role object k of o (NULL when absent). */
static json_t *role(json_t *o, const char *k)
{
	json_t *r = json_object_get(o, k);

	return json_is_object(r) ? r : NULL;
}

static void test_json_every_type(void **state)
{
	json_int_t last_id = 0;

	(void)state;
	for (size_t i = 0; i < N_TYPES; i++) {
		struct hms_event_hdr *h = make(all_types[i]);
		json_t *o = event_to_json(h);
		const char *t;

		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "type")),
				    event_type_name(all_types[i]));
		assert_int_equal(json_integer_value(json_object_get(o,
				 "schema_version")), 2);
		/* ids increase */
		assert_true(json_integer_value(json_object_get(o, "id")) >
			    last_id);
		last_id = json_integer_value(json_object_get(o, "id"));
		t = json_string_value(json_object_get(o, "time"));
		assert_non_null(t);
		assert_int_equal(strlen(t), 30);	/* ....:SS.nnnnnnnnnZ */
		assert_int_equal(t[10], 'T');
		assert_int_equal(t[29], 'Z');
		assert_true(json_string_length(json_object_get(o, "host")) > 0);
		/* no flat header any more: the header's process is a role
		 * (no role for stats, nor for a socket of unknown owner) */
		assert_null(json_object_get(o, "pid"));
		assert_null(json_object_get(o, "comm"));
		if (all_types[i] != HMS_EV_STATS &&
		    (all_types[i] < HMS_EV_CONNECT_FAIL ||
		     all_types[i] > HMS_EV_TCP_RETRANSMIT)) {
			json_t *r = role(o, all_types[i] == HMS_EV_FORK ?
					 "parent" : all_types[i] ==
					 HMS_EV_SIGNAL ? "sender" : "process");

			assert_non_null(r);
			assert_int_equal(json_integer_value(json_object_get(r,
					 "pid")), 42);
		} else {
			assert_null(json_object_get(o, "process"));
		}
		json_decref(o);
		free(h);
	}
}

static void test_json_roles(void **state)
{
	struct hms_ev_fork *f = make(HMS_EV_FORK);
	struct hms_ev_signal *g = make(HMS_EV_SIGNAL);
	struct hms_ev_exec *x = make(HMS_EV_EXEC);
	struct hms_ev_alert *al = make(HMS_EV_ALERT);
	json_t *o, *r;

	(void)state;
	f->hdr.tid = 42;
	f->hdr.ppid = 1;
	f->child_tgid = 43;
	f->child_tid = 43;
	o = event_to_json(&f->hdr);
	r = role(o, "parent");
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "pid")), 42);
	assert_int_equal(json_integer_value(json_object_get(r, "ppid")), 1);
	r = role(o, "process");
	assert_int_equal(json_integer_value(json_object_get(r, "pid")), 43);
	assert_int_equal(json_integer_value(json_object_get(r, "ppid")), 42);
	json_decref(o);
	/* a signal from kill(): sender and target */
	g->signal = SIGKILL;
	g->code = 0;
	g->target_tgid = 77;
	strcpy(g->target_comm, "victim");
	o = event_to_json(&g->hdr);
	assert_int_equal(json_integer_value(json_object_get(role(o, "sender"),
						"pid")), 42);
	assert_string_equal(json_string_value(json_object_get(role(o, "target"),
						"comm")), "victim");
	assert_string_equal(json_string_value(json_object_get(o, "signal")),
			    "SIGKILL");
	assert_int_equal(json_integer_value(json_object_get(o, "signo")), 9);
	assert_string_equal(json_string_value(json_object_get(o, "si_code")),
			    "SI_USER");
	json_decref(o);
	/* raised by the kernel: no sender at all, no pid 0 */
	g->hdr.tgid = 0;
	strcpy(g->hdr.comm, "[kernel]");
	g->signal = SIGSEGV;
	g->code = 1;
	o = event_to_json(&g->hdr);
	assert_null(json_object_get(o, "sender"));
	assert_string_equal(json_string_value(json_object_get(o, "si_code")),
			    "SEGV_MAPERR");
	json_decref(o);
	/* a derived event without a process has no filler process */
	al->hdr.tgid = 0;
	al->hdr.comm[0] = 0;
	o = event_to_json(&al->hdr);
	assert_null(json_object_get(o, "process"));
	json_decref(o);
	o = event_to_json(&x->hdr);
	assert_string_equal(json_string_value(json_object_get(role(o, "process"),
						"comm")), "worker");
	json_decref(o);
	free(f);
	free(g);
	free(x);
	free(al);
}

static void test_json_exit_crash(void **state)
{
	struct hms_ev_exit *e = make(HMS_EV_EXIT);
	char *s;

	(void)state;
	e->signal = SIGSEGV;
	e->core_dumped = 1;
	s = event_to_json_str(&e->hdr);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"signal\":\"SIGSEGV\",\"signo\":11"));
	assert_non_null(strstr(s, "\"core_dumped\":true"));
	assert_non_null(strstr(s, "\"crash\":true"));
	assert_non_null(strstr(s, "\"killed\":false"));
	assert_null(strchr(s, '\n'));
	free(s);
	/* SIGKILL (another process, the OOM killer) is no crash */
	e->signal = SIGKILL;
	e->core_dumped = 0;
	s = event_to_json_str(&e->hdr);
	assert_non_null(strstr(s, "\"crash\":false"));
	assert_non_null(strstr(s, "\"killed\":true"));
	free(s);
	/* a plain exit names no signal */
	e->signal = 0;
	e->exit_code = 3;
	s = event_to_json_str(&e->hdr);
	assert_null(strstr(s, "\"signal\""));
	assert_non_null(strstr(s, "\"crash\":false,\"killed\":false"));
	free(s);
	free(e);
}

static void test_json_enum_names_and_ms(void **state)
{
	struct hms_ev_action *a = make(HMS_EV_ACTION);
	struct hms_ev_outcome *oc = make(HMS_EV_OUTCOME);
	struct hms_ev_strategy *st = make(HMS_EV_STRATEGY);
	char *s;

	(void)state;
	a->kind = ACTION_RESTART;
	a->phase = ACTION_PHASE_FINISHED;
	a->result = -ENOENT;
	s = event_to_json_str(&a->hdr);
	assert_non_null(strstr(s, "\"kind\":\"restart\",\"phase\":"
			       "\"finished\",\"result\":\"ENOENT\",\"errno\":2"));
	free(s);
	a->result = INT32_MIN;	/* no -errno: no negation overflow either */
	s = event_to_json_str(&a->hdr);
	assert_non_null(strstr(s, "\"result\":\"unknown\""));
	free(s);
	a->result = 0;
	s = event_to_json_str(&a->hdr);
	assert_non_null(strstr(s, "\"result\":\"ok\""));
	assert_null(strstr(s, "errno"));
	free(s);
	/* integer milliseconds, no float noise */
	oc->recover_ns = 2120280135ull;
	oc->alive_ns = 1500000000ull;
	s = event_to_json_str(&oc->hdr);
	assert_non_null(strstr(s, "\"recover_ms\":2120,"));
	assert_non_null(strstr(s, "\"alive_ms\":1500,"));
	free(s);
	st->successes = 0.1 + 0.2;
	st->delay_ms = 249.6;
	s = event_to_json_str(&st->hdr);
	assert_non_null(strstr(s, "\"successes\":0.3,"));
	assert_non_null(strstr(s, "\"delay_ms\":250,"));
	free(s);
	free(a);
	free(oc);
	free(st);
}

static json_int_t seen_id[2];

static void record_id(const struct hms_event_hdr *ev, void *arg)
{
	json_t *o = event_to_json(ev);

	seen_id[arg != NULL] = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
}

/* One event has one id for every subscriber; the next a higher one. */
static void test_json_id_per_dispatch(void **state)
{
	struct hms_ev_alert *a = make(HMS_EV_ALERT);
	struct hms_bus *bus;
	json_int_t first;
	json_t *o;

	(void)state;
	assert_int_equal(bus_new(&bus), 0);
	bus_subscribe(bus, BUS_ALL, record_id, NULL);
	bus_subscribe(bus, HMS_EV_ALERT, record_id, bus);
	bus_publish(bus, &a->hdr);
	assert_true(seen_id[0] > 0);
	assert_true(seen_id[0] == seen_id[1]);
	first = seen_id[0];
	bus_publish(bus, &a->hdr);
	assert_true(seen_id[0] > first && seen_id[0] == seen_id[1]);
	/* rendered later with the id it was published with */
	o = event_to_json_id(&a->hdr, (uint64_t)first);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), first);
	json_decref(o);
	bus_free(bus);
	free(a);
}

/* Any stamp gives an RFC 3339 time: a record is untrusted. */
static void test_json_time_bounds(void **state)
{
	char t[40];
	struct timespec rt;

	(void)state;
	event_time_str(UINT64_MAX, t, sizeof(t));	/* 584 years ahead */
	assert_int_equal(strlen(t), 30);
	assert_true(strncmp(t, "2500", 4) < 0 && strncmp(t, "2300", 4) > 0);
	event_time_str(0, t, sizeof(t));	/* boot: this year or so */
	assert_int_equal(strlen(t), 30);
	clock_gettime(CLOCK_MONOTONIC, &rt);
	event_time_str((uint64_t)rt.tv_sec * 1000000000ull, t, sizeof(t));
	assert_true(t[0] == '2' && t[10] == 'T' && t[29] == 'Z');
}

static void test_json_types_parse(void **state)
{
	uint64_t bits[2] = { 0 };
	char bad[64];

	(void)state;
	assert_int_equal(event_types_parse("exit,failure,runq_latency", bits,
					   bad, sizeof(bad)), 0);
	assert_true(event_types_has(bits, HMS_EV_EXIT));
	assert_true(event_types_has(bits, HMS_EV_FAILURE));
	assert_true(event_types_has(bits, HMS_EV_RUNQ_LATENCY));
	assert_false(event_types_has(bits, HMS_EV_FORK));
	assert_int_equal(event_types_parse("exit,forks", bits, bad,
					   sizeof(bad)), -ENOENT);
	assert_string_equal(bad, "forks");
	assert_int_equal(event_types_parse("exit,", bits, bad, sizeof(bad)),
			 -ENOENT);
	assert_int_equal(event_types_parse(",exit", bits, bad, sizeof(bad)),
			 -ENOENT);
}

static void test_json_net_addresses(void **state)
{
	struct hms_ev_net *n = make(HMS_EV_CONNECT_FAIL);
	json_t *o;

	(void)state;
	n->family = 2;
	memcpy(n->saddr, "\x7f\0\0\x01", 4);
	memcpy(n->daddr, "\x0a\x01\x02\x03", 4);
	n->sport = 40000;
	n->dport = 8080;
	n->error = 111;
	n->state = 2;
	o = event_to_json(&n->hdr);
	assert_string_equal(json_string_value(json_object_get(o, "saddr")), "127.0.0.1");
	assert_string_equal(json_string_value(json_object_get(o, "daddr")), "10.1.2.3");
	assert_string_equal(json_string_value(json_object_get(o, "error")), "ECONNREFUSED");
	assert_int_equal(json_integer_value(json_object_get(o, "errno")), 111);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "SYN_SENT");
	assert_int_equal(json_integer_value(json_object_get(o, "dport")), 8080);
	json_decref(o);
	n->family = 10;
	memset(n->daddr, 0, 16);
	n->daddr[15] = 1;
	o = event_to_json(&n->hdr);
	assert_string_equal(json_string_value(json_object_get(o, "daddr")), "::1");
	assert_string_equal(json_string_value(json_object_get(o, "family")), "ipv6");
	json_decref(o);
	free(n);
}

static void test_json_component_state_names(void **state)
{
	struct hms_ev_component *c = make(HMS_EV_COMPONENT_STATE);
	json_t *o;

	(void)state;
	strcpy(c->component, "api");
	c->old_state = 4;
	c->new_state = 5;
	o = event_to_json(&c->hdr);
	assert_string_equal(json_string_value(json_object_get(o, "old_state")), "recovering");
	assert_string_equal(json_string_value(json_object_get(o, "new_state")), "gave_up");
	json_decref(o);
	c->new_state = 99;
	o = event_to_json(&c->hdr);
	assert_string_equal(json_string_value(json_object_get(o, "new_state")), "unknown");
	json_decref(o);
	free(c);
}

/* The outcome carries its result and evidence. */
static void test_json_outcome_evidence(void **state)
{
	struct hms_ev_outcome *e = make(HMS_EV_OUTCOME);
	json_t *o, *a;

	(void)state;
	strcpy(e->component, "web");
	strcpy(e->failure, "probe");
	strcpy(e->strategy, "restart");
	e->result = HMS_OUTCOME_UNVERIFIED;
	e->checks = HMS_CHECK_PROCESS | HMS_CHECK_PROBE;
	e->passed = HMS_CHECK_PROCESS;
	e->n_alive = 2;
	e->alive_pids[0] = 100;
	e->alive_pids[1] = 101;
	e->alive_ns = 1500000000ull;
	e->window_ns = 2000000000ull;
	e->probe_failed = 3;
	strcpy(e->reason, "pid 100 alive only 1.5 of 2.0 s");
	o = event_to_json(&e->hdr);
	assert_string_equal(json_string_value(json_object_get(o, "result")),
			    "unverified");
	assert_false(json_is_true(json_object_get(o, "success")));
	a = json_object_get(o, "checks");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 1)), "probe");
	a = json_object_get(o, "passed");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "process");
	a = json_object_get(o, "alive_pids");
	assert_int_equal(json_array_size(a), 2);
	assert_int_equal(json_integer_value(json_array_get(a, 1)), 101);
	assert_int_equal(json_integer_value(json_object_get(o, "alive_ms")), 1500);
	assert_int_equal(json_integer_value(json_object_get(o, "probe_failed")),
			 3);
	assert_string_equal(json_string_value(json_object_get(o, "reason")),
			    "pid 100 alive only 1.5 of 2.0 s");
	json_decref(o);
	free(e);
}

static void test_json_hostile_comm(void **state)
{
	struct hms_ev_exec *x = make(HMS_EV_EXEC);
	char *s;

	(void)state;
	/* ESC, newline, invalid UTF-8, and no NUL within 16 bytes */
	memcpy(x->hdr.comm, "\x1b]0;pwn\x07\n\xff\xfe" "ABCDEF", 16);
	s = event_to_json_str(&x->hdr);
	assert_non_null(s);
	assert_null(strchr(s, '\x1b'));
	assert_null(strchr(s, '\n'));
	assert_non_null(strcasestr(s, "\\u001b]0;pwn"));
	assert_non_null(strstr(s, "\\\\xff"));
	free(s);
	/* C1 CSI and a bidi override: valid UTF-8, escaped in the JSON */
	memcpy(x->hdr.comm, "a\xc2\x9b" "2Jb\xe2\x80\xae" "c\0", 11);
	s = event_to_json_str(&x->hdr);
	assert_non_null(s);
	assert_null(strstr(s, "\xc2\x9b"));
	assert_null(strstr(s, "\xe2\x80\xae"));
	assert_non_null(strstr(s, "\"a\\u009b2Jb\\u202ec\""));
	free(s);
	free(x);
}

/* Run argv (no shell); its exit status, or -1. */
static int run(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Every type, its payload filled and every comm hostile, validates
 * against docs/events.schema.json. */
static void test_json_schema_every_type(void **state)
{
	static const char hostile[16] = "\x1b]0;pwn\x07\n\xff\"\\\xe2\x80\xae" "A";
	char path[] = "/tmp/hms-test-event-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (size_t i = 0; i < N_TYPES; i++) {
		struct hms_event_hdr *h = make(all_types[i]);
		char *s;

		memcpy(h->comm, hostile, 16);
		h->tid = 43;
		h->ppid = 1;
		h->cgroup_id = 1234;
		switch (h->type) {
		case HMS_EV_FORK:
			((struct hms_ev_fork *)h)->child_tgid = 44;
			((struct hms_ev_fork *)h)->child_tid = 44;
			break;
		case HMS_EV_EXIT:
			((struct hms_ev_exit *)h)->signal = SIGABRT;
			break;
		case HMS_EV_SIGNAL:
			((struct hms_ev_signal *)h)->signal = SIGTERM;
			((struct hms_ev_signal *)h)->target_tgid = 45;
			memcpy(((struct hms_ev_signal *)h)->target_comm,
			       hostile, 16);
			break;
		case HMS_EV_OOM:
			((struct hms_ev_oom *)h)->victim_tgid = 46;
			memcpy(((struct hms_ev_oom *)h)->victim_comm, hostile,
			       16);
			break;
		case HMS_EV_CONNECT_FAIL:
			((struct hms_ev_net *)h)->owner_known = 1;
			((struct hms_ev_net *)h)->error = ECONNREFUSED;
			break;
		case HMS_EV_ACTION:
			((struct hms_ev_action *)h)->result = -ETIMEDOUT;
			memcpy(((struct hms_ev_action *)h)->detail, hostile, 16);
			break;
		case HMS_EV_STRATEGY:
			((struct hms_ev_strategy *)h)->n_explained = 1;
			((struct hms_ev_strategy *)h)->cand[0].mean = 0.1 + 0.2;
			break;
		case HMS_EV_OUTCOME:
			((struct hms_ev_outcome *)h)->recover_ns = 2120280135ull;
			((struct hms_ev_outcome *)h)->checks = 3;
			break;
		case HMS_EV_FAILURE:
			strcpy(((struct hms_ev_failure *)h)->failure, "oom");
			((struct hms_ev_failure *)h)->sender_tgid = 47;
			((struct hms_ev_failure *)h)->signal = SIGKILL;
			((struct hms_ev_failure *)h)->oom_flags = 7;
			((struct hms_ev_failure *)h)->oom_cg_limit = UINT64_MAX;
			break;
		case HMS_EV_REGISTRY:
			((struct hms_ev_registry *)h)->state =
				HMS_REGISTRY_DEGRADED;
			((struct hms_ev_registry *)h)->error = ENOSPC;
			((struct hms_ev_registry *)h)->pending = 3;
			memcpy(((struct hms_ev_registry *)h)->message, hostile,
			       16);
			break;
		}
		s = event_to_json_str(h);
		assert_non_null(s);
		assert_null(strchr(s, '\x1b'));
		fprintf(f, "%s\n", s);
		free(s);
		free(h);
	}
	fclose(f);
	{
		char *argv[] = { "python3", "tests/schema_validate.py",
				 "docs/events.schema.json", "--require",
				 "exec,fork,exit,signal,oom,hang,connect_fail,"
				 "sock_error,tcp_reset_recv,tcp_reset_send,"
				 "tcp_retransmit,runq_latency,stats,"
				 "component_state,action,strategy_chosen,"
				 "outcome,alert,failure,registry", path,
				 NULL };

		assert_int_equal(run(argv), 0);
	}
	unlink(path);
}

/* docs/events.md describes every type and field of the schema. */
static void test_json_schema_documented(void **state)
{
	char *argv[] = { "python3", "tests/schema_validate.py", "--doc",
			 "docs/events.schema.json", "docs/events.md", NULL };

	(void)state;
	assert_int_equal(run(argv), 0);
}

static void test_json_rejects_bad_record(void **state)
{
	struct hms_ev_exit *e = make(HMS_EV_EXIT);

	(void)state;
	e->hdr.type = 99;
	assert_null(event_to_json(&e->hdr));
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi_numbers_stable),
		cmocka_unit_test(test_every_type_named_and_sized),
		cmocka_unit_test(test_check_short_unknown_version),
		cmocka_unit_test(test_json_every_type),
		cmocka_unit_test(test_json_roles),
		cmocka_unit_test(test_json_exit_crash),
		cmocka_unit_test(test_json_enum_names_and_ms),
		cmocka_unit_test(test_json_types_parse),
		cmocka_unit_test(test_json_time_bounds),
		cmocka_unit_test(test_json_id_per_dispatch),
		cmocka_unit_test(test_json_schema_every_type),
		cmocka_unit_test(test_json_schema_documented),
		cmocka_unit_test(test_json_net_addresses),
		cmocka_unit_test(test_json_component_state_names),
		cmocka_unit_test(test_json_outcome_evidence),
		cmocka_unit_test(test_json_hostile_comm),
		cmocka_unit_test(test_json_rejects_bad_record),
	};

	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}

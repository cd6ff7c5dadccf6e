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
#include <cmocka.h>
#include "event.h"

static const unsigned int all_types[] = {
	HMS_EV_EXEC, HMS_EV_FORK, HMS_EV_EXIT, HMS_EV_SIGNAL, HMS_EV_OOM,
	HMS_EV_HANG, HMS_EV_CONNECT_FAIL, HMS_EV_SOCK_ERROR,
	HMS_EV_TCP_RESET_RECV, HMS_EV_TCP_RESET_SEND, HMS_EV_TCP_RETRANSMIT,
	HMS_EV_RUNQ_LATENCY, HMS_EV_STATS, HMS_EV_COMPONENT_STATE,
	HMS_EV_ACTION, HMS_EV_STRATEGY, HMS_EV_OUTCOME, HMS_EV_ALERT,
	HMS_EV_FAILURE,
};
#define N_TYPES (sizeof(all_types) / sizeof(all_types[0]))

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

static void test_json_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_TYPES; i++) {
		struct hms_event_hdr *h = make(all_types[i]);
		json_t *o = event_to_json(h);

		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "type")),
				    event_type_name(all_types[i]));
		assert_int_equal(json_integer_value(json_object_get(o, "pid")), 42);
		assert_string_equal(json_string_value(json_object_get(o, "comm")),
				    "worker");
		json_decref(o);
		free(h);
	}
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
	assert_non_null(strstr(s, "\"signal\":11"));
	assert_non_null(strstr(s, "\"signal_name\":\"SIGSEGV\""));
	assert_non_null(strstr(s, "\"core_dumped\":true"));
	assert_non_null(strstr(s, "\"crash\":true"));
	assert_null(strchr(s, '\n'));
	free(s);
	free(e);
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
	assert_string_equal(json_string_value(json_object_get(o, "error_name")), "ECONNREFUSED");
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
	assert_string_equal(json_string_value(json_object_get(o, "old_state_name")), "recovering");
	assert_string_equal(json_string_value(json_object_get(o, "new_state_name")), "gave_up");
	json_decref(o);
	c->new_state = 99;
	o = event_to_json(&c->hdr);
	assert_string_equal(json_string_value(json_object_get(o, "new_state_name")), "unknown");
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
	assert_true(json_real_value(json_object_get(o, "alive_ms")) == 1500.0);
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
		cmocka_unit_test(test_json_exit_crash),
		cmocka_unit_test(test_json_net_addresses),
		cmocka_unit_test(test_json_component_state_names),
		cmocka_unit_test(test_json_outcome_evidence),
		cmocka_unit_test(test_json_hostile_comm),
		cmocka_unit_test(test_json_rejects_bad_record),
	};

	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}

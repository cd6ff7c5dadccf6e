// SPDX-License-Identifier: BSD-2-Clause
/* test_log_events.c - the healing story's log lines: one line per derived
 * event naming component, failure class, strategy and result; action and
 * state lines name the recovery in progress; hostile text (a comm with an
 * escape sequence, a newline in a reason) comes out escaped on one line;
 * levels decide what shows; a storm is cut to the burst. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "event.h"
#include "log.h"
#include "log_events.h"

static struct log_events *le;
static const struct hms_event_hdr *todo[8];
static size_t n_todo;

static void write_todo(void)
{
	for (size_t i = 0; i < n_todo; i++)
		log_events_write(le, todo[i]);
}

/* The lines written for the events in todo, stderr on a pipe. */
static char *capture(void)
{
	static char buf[65536];
	int p[2], saved = dup(STDERR_FILENO);
	ssize_t n, got = 0;

	assert_int_equal(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	write_todo();
	dup2(saved, STDERR_FILENO);
	close(saved);
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	close(p[0]);
	buf[got] = '\0';
	n_todo = 0;
	return buf;
}

static struct hms_ev_failure failure(const char *comp, const char *comm)
{
	struct hms_ev_failure f;

	memset(&f, 0, sizeof(f));
	event_init(&f.hdr, HMS_EV_FAILURE, sizeof(f));
	f.hdr.tgid = 4242;
	snprintf(f.component, sizeof(f.component), "%s", comp);
	snprintf(f.hdr.comm, sizeof(f.hdr.comm), "%s", comm);
	snprintf(f.failure, sizeof(f.failure), "crash");
	snprintf(f.cause, sizeof(f.cause), "SIGSEGV");
	return f;
}

static int setup(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_init();
	log_set_level(HMS_LOG_DEBUG);
	return log_events_new(NULL, NULL, &le);
}

static int teardown(void **state)
{
	(void)state;
	log_events_free(le);
	le = NULL;
	log_set_level(HMS_LOG_INFO);
	return 0;
}

static void test_recovery(void **state)
{
	struct hms_ev_failure f = failure("api", "apid");
	struct hms_ev_strategy s;
	struct hms_ev_action a;
	struct hms_ev_outcome o;
	struct hms_ev_component c;
	char *out;

	(void)state;
	memset(&s, 0, sizeof(s));
	event_init(&s.hdr, HMS_EV_STRATEGY, sizeof(s));
	strcpy(s.component, "api");
	strcpy(s.failure, "crash");
	strcpy(s.strategy, "restart");
	s.candidates = 2;
	s.reason = HMS_REASON_SAMPLED;
	s.n_explained = 1;
	strcpy(s.cand[0].strategy, "restart");
	s.cand[0].mean = 0.75;
	memset(&a, 0, sizeof(a));
	event_init(&a.hdr, HMS_EV_ACTION, sizeof(a));
	strcpy(a.component, "api");
	strcpy(a.strategy, "restart");
	a.kind = ACTION_RESTART;
	a.phase = ACTION_PHASE_FINISHED;
	a.hdr.tgid = 4343;
	memset(&c, 0, sizeof(c));
	event_init(&c.hdr, HMS_EV_COMPONENT_STATE, sizeof(c));
	strcpy(c.component, "api");
	c.old_state = HEALER_FAILED;
	c.new_state = HEALER_RECOVERING;
	strcpy(c.reason, "failed -> recovering: strategy restart");
	c.restarts = 1;
	memset(&o, 0, sizeof(o));
	event_init(&o.hdr, HMS_EV_OUTCOME, sizeof(o));
	strcpy(o.component, "api");
	strcpy(o.failure, "crash");
	strcpy(o.strategy, "restart");
	o.result = HMS_OUTCOME_SUCCESS;
	o.recover_ns = 312000000;
	strcpy(o.reason, "pid 4343 alive 0.5 s");
	todo[n_todo++] = &f.hdr;
	todo[n_todo++] = &s.hdr;
	todo[n_todo++] = &c.hdr;
	todo[n_todo++] = &a.hdr;
	todo[n_todo++] = &o.hdr;
	out = capture();
	assert_string_equal(out,
		"hms-ebpf: api: failure crash: SIGSEGV, pid 4242 (apid)\n"
		"hms-ebpf: api: failure crash: strategy restart chosen (sampled, "
		"2 candidates, evidence 0.0 ok / 0.0 failed, delay 0 ms)\n"
		"hms-ebpf: api: failure crash: candidates: restart mean 0.75 "
		"[0.00, 0.00] chosen 0 %\n"
		"hms-ebpf: api: state failed -> recovering: strategy restart "
		"(restarts 1)\n"
		"hms-ebpf: api: failure crash: strategy restart: action restart "
		"finished: ok, pid 4343\n"
		"hms-ebpf: api: failure crash: strategy restart: result success, "
		"recovered in 312 ms: pid 4343 alive 0.5 s\n");
	/* a failed action is a warning: shown at warning, the rest not */
	log_set_level(HMS_LOG_WARNING);
	a.result = -ENOENT;
	todo[n_todo++] = &s.hdr;
	todo[n_todo++] = &a.hdr;
	todo[n_todo++] = &o.hdr;
	out = capture();
	assert_string_equal(out,
		"hms-ebpf: api: failure crash: strategy restart: action restart "
		"finished: failed: No such file or directory, pid 4343\n");
	log_set_level(HMS_LOG_DEBUG);
}

static void test_hostile(void **state)
{
	struct hms_ev_failure f = failure("", "\x1b[31mev\nil");
	struct hms_ev_alert al;
	char *out;

	(void)state;
	memset(&al, 0, sizeof(al));
	event_init(&al.hdr, HMS_EV_ALERT, sizeof(al));
	strcpy(al.component, "db");
	al.severity = ALERT_CRITICAL;
	strcpy(al.message, "disk\r\n\x07" "full");
	todo[n_todo++] = &f.hdr;
	todo[n_todo++] = &al.hdr;
	out = capture();
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\x07'));
	assert_string_equal(out,
		"hms-ebpf: process \\e[31mev\\nil (pid 4242): failure crash: "
		"SIGSEGV (watch.all)\n"
		"hms-ebpf: db: alert critical: disk\\r\\n\\x07full\n");
}

/* A crash storm: the burst of an interval, the rest counted. */
static void test_storm(void **state)
{
	struct hms_ev_failure f = failure("api", "apid");
	size_t lines = 0;
	char *out;

	(void)state;
	for (int round = 0; round < 30; round++) {
		for (n_todo = 0; n_todo < 8; n_todo++)
			todo[n_todo] = &f.hdr;
		out = capture();
		for (char *p = out; (p = strchr(p, '\n')); p++)
			lines++;
	}
	assert_true(lines > 0);
	assert_true(lines < 240);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_storm),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

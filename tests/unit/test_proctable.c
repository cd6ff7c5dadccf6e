// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_proctable.c - the process table: seeding from /proc, and updates
 * from fork, exec, exit, signal, OOM, net and run-queue events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "bus.h"
#include "event.h"
#include "proctable.h"

static struct hms_bus *bus;
static struct hms_proctable *pt;

static int setup(void **state)
{
	(void)state;
	return bus_new(&bus) ?: proctable_new(bus, &pt);
}

static int teardown(void **state)
{
	(void)state;
	proctable_free(pt);
	bus_free(bus);
	return 0;
}

static void hdr(struct hms_event_hdr *h, unsigned int type, size_t size,
		uint32_t tgid, const char *comm)
{
	event_init(h, type, size);
	h->tgid = h->tid = tgid;
	strncpy(h->comm, comm, sizeof(h->comm) - 1);
}

static void test_seed_has_self(void **state)
{
	const struct hms_proc *p;
	char exe[256] = "";

	(void)state;
	assert_int_equal(proctable_seed(pt), 0);
	p = proctable_get(pt, getpid());
	assert_non_null(p);
	assert_int_equal(p->ppid, getppid());
	assert_true(readlink("/proc/self/exe", exe, sizeof(exe) - 1) > 0);
	assert_string_equal(p->exe, exe);
	assert_true(p->alive);
	assert_true(proctable_count(pt) > 1);
}

static void test_fork_exec_exit(void **state)
{
	struct hms_ev_fork f;
	struct hms_ev_exec x;
	struct hms_ev_exit e;
	const struct hms_proc *p;

	(void)state;
	hdr(&f.hdr, HMS_EV_FORK, sizeof(f), 900001, "parent");
	f.child_tgid = 900002;
	f.is_thread = 0;
	bus_publish(bus, &f.hdr);
	p = proctable_get(pt, 900002);
	assert_non_null(p);
	assert_int_equal(p->ppid, 900001);
	assert_string_equal(p->comm, "parent");
	/* a thread creates no process */
	f.child_tgid = 900003;
	f.is_thread = 1;
	bus_publish(bus, &f.hdr);
	assert_null(proctable_get(pt, 900003));

	hdr(&x.hdr, HMS_EV_EXEC, sizeof(x), 900002, "server");
	x.hdr.ppid = 900001;
	bus_publish(bus, &x.hdr);
	assert_string_equal(proctable_get(pt, 900002)->comm, "server");

	hdr(&e.hdr, HMS_EV_EXIT, sizeof(e), 900002, "server");
	e.signal = 11;
	e.exit_code = 0;
	bus_publish(bus, &e.hdr);
	p = proctable_get(pt, 900002);
	assert_false(p->alive);
	assert_int_equal(p->exit_signal, 11);
	assert_int_equal(p->counters[PROC_CNT_CRASH], 1);
	assert_int_equal(p->last_failure, HMS_EV_EXIT);
	/* expiry drops dead processes only */
	proctable_expire(pt, e.hdr.ts_ns + 10, 1);
	assert_null(proctable_get(pt, 900002));
	assert_non_null(proctable_get(pt, getpid()));
}

static void test_failure_counters(void **state)
{
	struct hms_ev_signal s;
	struct hms_ev_oom o;
	struct hms_ev_net n;
	struct hms_ev_runq r;
	struct hms_ev_exit e;
	const struct hms_proc *p;

	(void)state;
	hdr(&e.hdr, HMS_EV_EXIT, sizeof(e), 900010, "x");
	e.signal = 0;
	e.exit_code = 3;
	bus_publish(bus, &e.hdr);
	assert_int_equal(proctable_get(pt, 900010)->counters[PROC_CNT_EXIT_ERR], 1);

	/* records about an unknown process create no row */
	hdr(&s.hdr, HMS_EV_SIGNAL, sizeof(s), 1, "killer");
	s.target_tgid = 900011;
	bus_publish(bus, &s.hdr);
	assert_null(proctable_get(pt, 900011));
	{
		struct hms_ev_fork f;

		hdr(&f.hdr, HMS_EV_FORK, sizeof(f), 1, "init");
		f.child_tgid = 900011;
		f.is_thread = 0;
		bus_publish(bus, &f.hdr);
	}
	bus_publish(bus, &s.hdr);
	hdr(&o.hdr, HMS_EV_OOM, sizeof(o), 900012, "alloc");
	o.victim_tgid = 900011;
	bus_publish(bus, &o.hdr);
	hdr(&n.hdr, HMS_EV_CONNECT_FAIL, sizeof(n), 900011, "c");
	bus_publish(bus, &n.hdr);
	n.hdr.type = HMS_EV_TCP_RESET_RECV;
	bus_publish(bus, &n.hdr);
	n.hdr.type = HMS_EV_TCP_RETRANSMIT;
	bus_publish(bus, &n.hdr);
	hdr(&r.hdr, HMS_EV_RUNQ_LATENCY, sizeof(r), 900011, "c");
	r.latency_ns = 5000000;
	bus_publish(bus, &r.hdr);
	r.latency_ns = 1000;
	bus_publish(bus, &r.hdr);
	p = proctable_get(pt, 900011);
	assert_non_null(p);
	assert_int_equal(p->counters[PROC_CNT_SIGNAL], 1);
	assert_int_equal(p->counters[PROC_CNT_OOM], 1);
	assert_int_equal(p->counters[PROC_CNT_CONNECT_FAIL], 1);
	assert_int_equal(p->counters[PROC_CNT_RESET], 1);
	assert_int_equal(p->counters[PROC_CNT_RETRANSMIT], 1);
	assert_int_equal(p->counters[PROC_CNT_RUNQ], 2);
	assert_int_equal(p->runq_max_ns, 5000000);
	/* the OOM's allocating task is not the victim */
	assert_null(proctable_get(pt, 900012));
}

/* A short process: its exit (critical ring) arrives before its fork and
 * exec (bulk ring, drained later).  It must stay dead. */
static void test_late_fork_after_exit(void **state)
{
	struct hms_ev_fork f;
	struct hms_ev_exec x;
	struct hms_ev_exit e;
	const struct hms_proc *p;

	(void)state;
	hdr(&f.hdr, HMS_EV_FORK, sizeof(f), getpid(), "parent");
	f.child_tgid = 900030;
	f.is_thread = 0;
	hdr(&x.hdr, HMS_EV_EXEC, sizeof(x), 900030, "short");
	x.hdr.ts_ns = f.hdr.ts_ns + 1;
	hdr(&e.hdr, HMS_EV_EXIT, sizeof(e), 900030, "short");
	e.hdr.ts_ns = f.hdr.ts_ns + 2;
	e.hdr.ppid = getpid();
	e.signal = 11;
	e.exit_code = 0;
	bus_publish(bus, &e.hdr);
	bus_publish(bus, &f.hdr);
	bus_publish(bus, &x.hdr);
	p = proctable_get(pt, 900030);
	assert_non_null(p);
	assert_false(p->alive);
	assert_int_equal(p->ppid, getpid());
	assert_string_equal(p->comm, "short");
	assert_int_equal(p->counters[PROC_CNT_CRASH], 1);
	/* a later fork reusing the pid is a new process */
	f.hdr.ts_ns = e.hdr.ts_ns + 10;
	bus_publish(bus, &f.hdr);
	p = proctable_get(pt, 900030);
	assert_true(p->alive);
	assert_int_equal(p->counters[PROC_CNT_CRASH], 0);
}

static void test_pid_reuse_resets(void **state)
{
	struct hms_ev_fork f;
	const struct hms_proc *p;

	(void)state;
	hdr(&f.hdr, HMS_EV_FORK, sizeof(f), 900020, "p");
	f.child_tgid = 900011;	/* had counters in the previous test */
	f.is_thread = 0;
	bus_publish(bus, &f.hdr);
	p = proctable_get(pt, 900011);
	assert_int_equal(p->counters[PROC_CNT_OOM], 0);
	assert_true(p->alive);
}

/* A fork storm: far more processes exit than the cap within the 60 s
 * the rows are kept; the table holds at most PROCTABLE_MAX_EXITED
 * exited rows (the newest), never drops a live one, and a pid reused by
 * a new process leaves the exited rows. */
static void test_exited_rows_capped(void **state)
{
	const unsigned int storm = 3 * PROCTABLE_MAX_EXITED;
	const uint32_t base = 2000000, parent = 1999999;
	size_t live_before, count_before;
	struct hms_ev_fork f;
	struct hms_ev_exit e;
	struct hms_ev_exec x;

	(void)state;
	hdr(&f.hdr, HMS_EV_FORK, sizeof(f), parent, "forker");
	f.child_tgid = parent;		/* the parent: live throughout */
	f.is_thread = 0;
	bus_publish(bus, &f.hdr);
	count_before = proctable_count(pt);
	live_before = count_before - proctable_exited(pt);
	for (unsigned int i = 0; i < storm; i++) {
		hdr(&f.hdr, HMS_EV_FORK, sizeof(f), parent, "forker");
		f.hdr.ts_ns = 1000 + 2 * (uint64_t)i;
		f.child_tgid = base + i;
		f.is_thread = 0;
		bus_publish(bus, &f.hdr);
		hdr(&e.hdr, HMS_EV_EXIT, sizeof(e), base + i, "forker");
		e.hdr.ts_ns = 1001 + 2 * (uint64_t)i;
		e.exit_code = 0;
		e.signal = 0;
		bus_publish(bus, &e.hdr);
		assert_true(proctable_exited(pt) <= PROCTABLE_MAX_EXITED);
	}
	assert_int_equal(proctable_exited(pt), PROCTABLE_MAX_EXITED);
	assert_int_equal(proctable_count(pt),
			 live_before + PROCTABLE_MAX_EXITED);
	/* the oldest exits went, the newest stayed, the parent lives */
	assert_null(proctable_get(pt, base));
	assert_null(proctable_get(pt, base + storm - PROCTABLE_MAX_EXITED - 1));
	assert_non_null(proctable_get(pt, base + storm - PROCTABLE_MAX_EXITED));
	assert_non_null(proctable_get(pt, base + storm - 1));
	assert_true(proctable_get(pt, parent)->alive);
	/* a pid reused (exec after the exit): alive, off the exited rows */
	hdr(&x.hdr, HMS_EV_EXEC, sizeof(x), base + storm - 1, "new");
	x.hdr.ts_ns = 1000 + 2 * (uint64_t)storm + 10;
	bus_publish(bus, &x.hdr);
	assert_true(proctable_get(pt, base + storm - 1)->alive);
	assert_int_equal(proctable_exited(pt), PROCTABLE_MAX_EXITED - 1);
	/* expiry empties the list it also keeps */
	proctable_expire(pt, UINT64_MAX, 0);
	assert_int_equal(proctable_exited(pt), 0);
	assert_non_null(proctable_get(pt, base + storm - 1));
	assert_non_null(proctable_get(pt, parent));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_has_self),
		cmocka_unit_test(test_fork_exec_exit),
		cmocka_unit_test(test_failure_counters),
		cmocka_unit_test(test_late_fork_after_exit),
		cmocka_unit_test(test_pid_reuse_resets),
		cmocka_unit_test(test_exited_rows_capped),
	};

	return cmocka_run_group_tests_name("proctable", tests, setup,
					   teardown);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sensors_net.c - the socket sensors on real loopback sockets: a
 * refused connect (owner pid, both ports, ECONNREFUSED), a reset, and SYN
 * retransmissions against a listener whose accept queue is full.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "harness.h"

/* the pipeline of harness_group_setup */
#define H (*harness_current)

static struct sockaddr_in lo(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A listening socket on an ephemeral loopback port. */
static int listen_on(int backlog, uint16_t *port)
{
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) ||
	    listen(fd, backlog) || getsockname(fd, (void *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static int bound_port(uint16_t *port)
{
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) ||
	    getsockname(fd, (void *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_connect_refused(void **state)
{
	struct harness_match m = { .type = HMS_EV_CONNECT_FAIL };
	const struct hms_ev_net *e;
	struct sockaddr_in a;
	uint16_t port = 0;
	int l, c;

	(void)state;
	/* a port we hold bound but never listen on: nobody else can take
	 * it, and a SYN to it is refused */
	l = bound_port(&port);
	assert_true(l >= 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a = lo(port);
	assert_int_equal(connect(c, (void *)&a, sizeof(a)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(c);
	close(l);
	m.tgid = getpid();
	m.port = port;
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	assert_non_null(e);
	assert_true(e->owner_known);
	assert_int_equal(e->hdr.tgid, getpid());
	assert_int_equal(e->error, ECONNREFUSED);
	assert_int_equal(e->dport, port);
	assert_true(e->sport != 0 && e->sport != port);
	assert_int_equal(e->family, AF_INET);
	assert_memory_equal(e->daddr, "\x7f\x00\x00\x01", 4);
}

static void test_reset(void **state)
{
	struct harness_match m = { .type = HMS_EV_TCP_RESET_RECV };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	const struct hms_ev_net *e;
	struct sockaddr_in a, local;
	socklen_t len = sizeof(local);
	uint16_t port;
	int l, c, s;
	char buf[8];

	(void)state;
	l = listen_on(4, &port);
	assert_true(l >= 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a = lo(port);
	assert_int_equal(connect(c, (void *)&a, sizeof(a)), 0);
	getsockname(c, (void *)&local, &len);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	/* abortive close: the server sends RST */
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	assert_true(read(c, buf, sizeof(buf)) < 0);
	close(c);
	close(l);
	m.port = ntohs(local.sin_port);
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	assert_non_null(e);
	assert_true(e->owner_known);
	assert_int_equal(e->hdr.tgid, getpid());
	assert_int_equal(e->sport, ntohs(local.sin_port));
	assert_int_equal(e->dport, port);
	m.type = HMS_EV_TCP_RESET_SEND;
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 10000);
	assert_non_null(e);
}

static void test_retransmit(void **state)
{
	struct harness_match m = { .type = HMS_EV_TCP_RETRANSMIT };
	const struct hms_ev_net *e;
	struct sockaddr_in a;
	int l, c[4];
	uint16_t port;

	(void)state;
	l = listen_on(0, &port);	/* never accepts: queue fills */
	assert_true(l >= 0);
	a = lo(port);
	for (int i = 0; i < 4; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
			      SOCK_CLOEXEC, 0);
		connect(c[i], (void *)&a, sizeof(a));
	}
	m.port = port;
	m.tgid = getpid();
	e = (const void *)harness_wait(&H, harness_match_pred, &m, 15000);
	for (int i = 0; i < 4; i++)
		close(c[i]);
	close(l);
	assert_non_null(e);
	assert_true(e->owner_known);
	assert_int_equal(e->dport, port);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_connect_refused, harness_test_setup),
		cmocka_unit_test_setup(test_reset, harness_test_setup),
		cmocka_unit_test_setup(test_retransmit, harness_test_setup),
	};

	return cmocka_run_group_tests_name("sensors_net", tests,
					   harness_group_setup, harness_group_teardown);
}

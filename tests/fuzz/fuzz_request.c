// SPDX-License-Identifier: BSD-2-Clause
/* fuzz_request.c - libFuzzer target for the dashboard socket's request
 * parser (publisher_peer.c): the input is what a pane writes on its
 * connection, cut into lines and handled by the same code the daemon
 * runs on a real socket read (pub_client_input).  The publisher is real:
 * a socket in a private directory, a real connection accepted by
 * pub_accept (root: the acting role), sources that answer like the
 * daemon's, with hostile names.  Every answer the pane gets must be JSON
 * lines that are safe to print. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus.h"
#include "fuzz_util.h"
#include "log.h"
#include "loop.h"
#include "proctable.h"
#include "publisher_int.h"

static struct hms_loop *fz_loop;
static struct hms_bus *fz_bus;
static struct hms_proctable *fz_pt;
static struct hms_publisher *fz_pub;
static char fz_dir[256], fz_sock[300];
static char fz_reply[4 << 20];

static int fz_components(void *ctx, publisher_component_cb cb, void *arg)
{
	struct publisher_component c = {
		.name = "api\xe2\x80\xae", .state = HEALER_HEALTHY, .pid = 1,
		.last_failure = "crash", .last_cause = "SIGSEGV\x1b[2J",
	};

	(void)ctx;
	return cb(&c, arg);
}

static int fz_strategies(void *ctx, publisher_strategy_cb cb, void *arg)
{
	struct publisher_strategy s = {
		.component = "api", .failure = "crash",
		.strategy = "restart\xc2\x9b", .successes = 3, .n_outcomes = 3,
		.success_rate = 1, .next = true,
	};

	(void)ctx;
	return cb(&s, arg);
}

/* As the daemon's act source: an answer that may fill msg. */
static int fz_act(void *ctx, const struct publisher_act *a, char *msg,
                  size_t len)
{
	const char *verb = a->verb, *comp = a->component;

	(void)ctx;
	if (comp[0] == 'x') {
		snprintf(msg, len, "%s %s: no such component %s", verb, comp,
			 comp);
		return -ENOENT;
	}
	snprintf(msg, len, "%s %s: ok", verb, comp);
	return 0;
}

static void fz_cleanup(void)
{
	publisher_free(fz_pub);
	proctable_free(fz_pt);
	bus_free(fz_bus);
	loop_free(fz_loop);
	rmdir(fz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct publisher_sources src = {
		.components = fz_components, .strategies = fz_strategies,
		.act = fz_act,
	};
	struct publisher_opts o = { .socket_group = (gid_t)-1,
				    .viewer_group = (gid_t)-1 };

	(void)argc;
	(void)argv;
	log_set_level(HMS_LOG_ERROR - 1);
	fz_mkdtemp(fz_dir, sizeof(fz_dir), "fuzz-req");
	snprintf(fz_sock, sizeof(fz_sock), "%s/hms.sock", fz_dir);
	o.path = fz_sock;
	if (loop_new(&fz_loop) || bus_new(&fz_bus) ||
	    proctable_new(fz_bus, &fz_pt) ||
	    publisher_new(&o, fz_loop, fz_bus, fz_pt, &src, &fz_pub)) {
		fprintf(stderr, "fuzz_request: cannot start a publisher in %s\n",
			fz_dir);
		abort();
	}
	atexit(fz_cleanup);
	return 0;
}

/* What the pane got: JSON lines, each safe to print (a line cut by the
 * socket's buffer waits for its end in fz_reply). */
static size_t fz_len;

static void fz_check_reply(int fd)
{
	ssize_t n;
	char *line, *nl;

	while (fz_len < sizeof(fz_reply) - 1 &&
	       (n = recv(fd, fz_reply + fz_len, sizeof(fz_reply) - 1 - fz_len,
			 MSG_DONTWAIT)) > 0)
		fz_len += n;
	fz_reply[fz_len] = '\0';
	for (line = fz_reply; (nl = strchr(line, '\n')); line = nl + 1) {
		json_t *j;

		*nl = '\0';
		fz_check_safe(line, "reply");
		j = json_loads(line, 0, NULL);
		if (!j)
			fz_fail("reply is not JSON", line);
		json_decref(j);
	}
	fz_len -= line - fz_reply;
	memmove(fz_reply, line, fz_len);
	if (fz_len == sizeof(fz_reply) - 1)
		fz_fail("reply line longer than 4 MiB", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pub_client *c;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		abort();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fz_sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort();
	pub_accept(fz_pub->fd, EPOLLIN, fz_pub);
	c = fz_pub->clients;
	if (!c || c->dead)
		fz_fail("the connection was not accepted", fz_sock);
	fz_len = 0;
	pub_client_input(c, (const char *)data, size);
	/* write what is queued as the loop would, reading it as the pane */
	while (!c->dead && hms_wbuf_pending(&c->out)) {
		if (hms_wbuf_flush(&c->out, c->fd, true))
			break;
		fz_check_reply(fd);
	}
	fz_check_reply(fd);
	pub_client_close(c);
	pub_reap(fz_pub);
	close(fd);
	return 0;
}

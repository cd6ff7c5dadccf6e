// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon_json.c - the --json writer: one JSON object per line on stdout.
 * A slow reader must never stall the event loop, so a pipe or socket on
 * stdout is made non-blocking, lines that do not fit wait in a bounded
 * queue flushed on EPOLLOUT, and lines beyond the queue are dropped and
 * counted (said on stderr at exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include "bus.h"
#include "daemon_int.h"
#include "event.h"
#include "log.h"
#include "loop.h"
#include "wbuf.h"

#define JSON_QUEUE_MAX	(4u << 20)

struct daemon_json {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_wbuf q;	/* pending lines */
	int polling;		/* waiting for EPOLLOUT */
	int broken;		/* the reader went away */
	uint64_t dropped;
};

static void daemon_json_flush(struct daemon_json *j)
{
	int err = hms_wbuf_flush(&j->q, STDOUT_FILENO, false);

	if (err) {
		log_error("--json: stdout: %s: no more events "
			  "are written",
			  strerror(-err));
		j->broken = 1;
		hms_wbuf_reset(&j->q);
	}
}

static void daemon_json_on_writable(int fd, uint32_t events, void *arg)
{
	struct daemon_json *j = arg;

	(void)fd;
	(void)events;
	daemon_json_flush(j);
	if (!hms_wbuf_pending(&j->q) && j->polling) {
		loop_del_fd(j->loop, STDOUT_FILENO);
		j->polling = 0;
	}
}

static void daemon_json_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct daemon_json *j = arg;
	char *s;
	size_t n;

	if (j->broken)
		return;
	s = event_to_json_str(ev);
	if (!s)
		return;
	n = strlen(s);
	s[n] = '\n';		/* in place of the NUL: the line as written */
	if (hms_wbuf_put(&j->q, s, n + 1)) {
		j->dropped++;
		free(s);
		return;
	}
	free(s);
	daemon_json_flush(j);
	if (hms_wbuf_pending(&j->q) && !j->polling && !j->broken &&
	    !loop_add_fd(j->loop, STDOUT_FILENO, EPOLLOUT,
			 daemon_json_on_writable, j))
		j->polling = 1;
}

int daemon_json_start(struct hms_daemon *d)
{
	struct daemon_json *j = calloc(1, sizeof(*j));
	struct stat st;

	if (!j)
		return -ENOMEM;
	hms_wbuf_init(&j->q, JSON_QUEUE_MAX);
	j->loop = d->loop;
	j->bus = d->bus;
	/* regular files never block; pipes, sockets and ttys may */
	if (fstat(STDOUT_FILENO, &st) == 0 && !S_ISREG(st.st_mode))
		fcntl(STDOUT_FILENO, F_SETFL,
		      fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
	d->json = j;
	return bus_subscribe(d->bus, BUS_ALL, daemon_json_on_event, j);
}

void daemon_json_stop(struct hms_daemon *d)
{
	struct daemon_json *j = d->json;

	if (!j)
		return;
	bus_unsubscribe(j->bus, BUS_ALL, daemon_json_on_event, j);
	if (j->polling)
		loop_del_fd(j->loop, STDOUT_FILENO);
	/* last lines: what the reader has no room for now is dropped; a
	 * full pipe must not keep the daemon from stopping */
	daemon_json_flush(j);
	j->dropped += hms_wbuf_count(&j->q, '\n');
	if (j->dropped)
		log_warning("--json: %llu lines dropped "
			    "because stdout was not read fast enough",
			    (unsigned long long)j->dropped);
	hms_wbuf_free(&j->q);
	free(j);
	d->json = NULL;
}

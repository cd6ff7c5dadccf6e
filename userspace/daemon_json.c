// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon_json.c - the --json writer: one JSON object per line on stdout,
 * or appended to --json-file PATH (reopened on SIGHUP, so that logrotate
 * can move it away), of the event types chosen by --json-types /
 * --json-exclude (or daemon.json_types / json_exclude).
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
#include "config.h"
#include "daemon.h"
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
	int fd;			/* stdout or the --json-file */
	const char *path;	/* --json-file, NULL: stdout */
	int polling;		/* waiting for EPOLLOUT */
	int broken;		/* the reader went away */
	uint64_t dropped;
	uint64_t types[2];	/* written types (all zero: every type) */
	uint64_t exclude[2];	/* left-out types */
};

static const char *daemon_json_what(const struct daemon_json *j)
{
	return j->path ? j->path : "stdout";
}

static void daemon_json_flush(struct daemon_json *j)
{
	int err = hms_wbuf_flush(&j->q, j->fd, false);

	if (err) {
		log_error("--json: %s: %s: no more events are written%s",
			  daemon_json_what(j), strerror(-err),
			  j->path ? " until the file is reopened (SIGHUP)" : "");
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
		loop_del_fd(j->loop, j->fd);
		j->polling = 0;
	}
}

static int daemon_json_wanted(const struct daemon_json *j, unsigned int type)
{
	if ((j->types[0] || j->types[1]) && !event_types_has(j->types, type))
		return 0;
	return !event_types_has(j->exclude, type);
}

static void daemon_json_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct daemon_json *j = arg;
	char *s;
	size_t n;

	if (j->broken || !daemon_json_wanted(j, ev->type))
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
	    !loop_add_fd(j->loop, j->fd, EPOLLOUT, daemon_json_on_writable, j))
		j->polling = 1;
}

/* Non-blocking from the start: a FIFO without a reader must not stall
 * the loop in open() (it fails with ENXIO instead). */
static int daemon_json_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		      O_NOCTTY | O_NONBLOCK, 0640);

	return fd < 0 ? -errno : fd;
}

/* The filter: the command line's lists, else the configuration's. */
static void daemon_json_filter(struct daemon_json *j,
			       const struct daemon_opts *o,
			       const struct hms_config *cfg)
{
	const uint64_t *t = o->json_types_set ? o->json_types
					      : cfg->daemon.json_types;
	const uint64_t *x = o->json_exclude_set ? o->json_exclude
						: cfg->daemon.json_exclude;

	memcpy(j->types, t, sizeof(j->types));
	memcpy(j->exclude, x, sizeof(j->exclude));
}

int daemon_json_start(struct hms_daemon *d)
{
	struct daemon_json *j = calloc(1, sizeof(*j));
	struct stat st;
	int err;

	if (!j)
		return -ENOMEM;
	hms_wbuf_init(&j->q, JSON_QUEUE_MAX);
	j->loop = d->loop;
	j->bus = d->bus;
	j->fd = STDOUT_FILENO;
	j->path = d->o->json_file;
	if (j->path) {
		j->fd = daemon_json_open(j->path);
		if (j->fd < 0) {
			err = j->fd;
			log_error("--json-file %s: %s", j->path, strerror(-err));
			hms_wbuf_free(&j->q);
			free(j);
			return err;
		}
	}
	daemon_json_filter(j, d->o, d->cfg);
	/* regular files never block; pipes, sockets and ttys may */
	if (fstat(j->fd, &st) == 0 && !S_ISREG(st.st_mode))
		fcntl(j->fd, F_SETFL, fcntl(j->fd, F_GETFL) | O_NONBLOCK);
	d->json = j;
	return bus_subscribe(d->bus, BUS_ALL, daemon_json_on_event, j);
}

void daemon_json_reload(struct hms_daemon *d)
{
	if (d->json)
		daemon_json_filter(d->json, d->o, d->cfg);
}

void daemon_json_reopen(struct hms_daemon *d)
{
	struct daemon_json *j = d->json;
	struct stat st;
	int fd;

	if (!j || !j->path)
		return;
	fd = daemon_json_open(j->path);
	if (fd < 0) {
		log_error("--json-file %s: cannot reopen: %s: the old file is "
			  "kept", j->path, strerror(-fd));
		return;
	}
	daemon_json_flush(j);	/* what the old file takes now */
	if (j->polling)
		loop_del_fd(j->loop, j->fd);
	j->polling = 0;
	j->dropped += hms_wbuf_count(&j->q, '\n');
	hms_wbuf_reset(&j->q);
	close(j->fd);
	j->fd = fd;
	j->broken = 0;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	log_info("--json-file %s reopened", j->path);
}

void daemon_json_stop(struct hms_daemon *d)
{
	struct daemon_json *j = d->json;

	if (!j)
		return;
	bus_unsubscribe(j->bus, BUS_ALL, daemon_json_on_event, j);
	if (j->polling)
		loop_del_fd(j->loop, j->fd);
	/* last lines: what the reader has no room for now is dropped; a
	 * full pipe must not keep the daemon from stopping */
	daemon_json_flush(j);
	j->dropped += hms_wbuf_count(&j->q, '\n');
	if (j->dropped)
		log_warning("--json: %llu lines dropped because %s was not "
			    "written fast enough", (unsigned long long)j->dropped,
			    daemon_json_what(j));
	if (j->path)
		close(j->fd);
	hms_wbuf_free(&j->q);
	free(j);
	d->json = NULL;
}

// SPDX-License-Identifier: BSD-2-Clause
/* publisher.c - the dashboard's unix socket in the daemon: binding it
 * safely (directory, stale socket, mode and group), and the timers that
 * push what changed.  Panes connect and are authorized in
 * publisher_peer.c: root and members of the socket group may watch and
 * act, members of the viewer group may only watch, anyone else is told
 * so and disconnected.  Pushes are newline-delimited JSON: events are
 * batched (at once when the stream was quiet, else every 50 ms), tables
 * and metrics are coalesced on a slower tick (publisher_data.c,
 * publisher_json.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "loop.h"
#include "publisher_int.h"
#include "safedir.h"

/* ---- timers and the bus ---- */

static void pub_on_flush(struct hms_timer *t, void *arg)
{
	struct hms_publisher *p = arg;

	(void)t;
	p->flush_armed = 0;
	p->last_flush_ns = loop_now_ns();
	pub_broadcast(p, PUB_T_EVENTS, p->batch, p->batch_len);
	p->batch_len = 0;
	pub_reap(p);
}

static void pub_push(struct hms_publisher *p, unsigned int topic, char *msg)
{
	if (msg)
		pub_broadcast(p, topic, msg, strlen(msg));
	free(msg);
}

static void pub_on_tick(struct hms_timer *t, void *arg)
{
	struct hms_publisher *p = arg;
	uint64_t now = loop_now_ns();
	/* process rows at most every procs_ns (half a tick of slack for the
	 * timer): rows changed meanwhile go out once, in one message */
	int procs = now - p->last_procs_ns + p->tick_ns / 2 >= p->procs_ns;
	int sweep = procs && now - p->last_sweep_ns > 5000000000ull;

	(void)t;
	log_limit_flush(&p->log_refused, now);
	log_limit_flush(&p->log_requests, now);
	log_limit_flush(&p->log_slow, now);
	pub_push(p, PUB_T_METRICS, pub_msg_metrics(p, now));
	if (!p->n_clients) {
		pub_set_clear(&p->dirty);
		/* nobody listens: no periodic work until a pane connects */
		loop_timer_disarm(p->tick);
		return;
	}
	if (sweep)
		p->last_sweep_ns = now;
	/* the sensors' counters (drops) only while someone looks at them */
	if (p->src.stats && now - p->last_stats_ns >= 10000000000ull) {
		p->last_stats_ns = now;
		p->src.stats(p->src.ctx);
	}
	if (procs && (p->dirty.n || sweep)) {
		p->last_procs_ns = now;
		pub_push(p, PUB_T_PROCS, pub_msg_procs(p, sweep));
	}
	/* sources may change without an event (pause from a pane, config
	 * reload): re-read them now and then, push only differences */
	if ((p->changed & PUB_T_COMPONENTS) ||
	    now - p->last_comps_ns > 2000000000ull) {
		p->last_comps_ns = now;
		pub_push(p, PUB_T_COMPONENTS, pub_msg_components(p, 0));
	}
	if ((p->changed & PUB_T_STRATEGIES) ||
	    now - p->last_strats_ns > 10000000000ull) {
		p->last_strats_ns = now;
		pub_push(p, PUB_T_STRATEGIES, pub_msg_strategies(p, 0));
	}
	p->changed = 0;
	pub_reap(p);
}

static void pub_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct hms_publisher *p = arg;

	uint64_t now, due;

	pub_data_event(p, ev);
	/* (loop_timer_armed stays set after a one-shot fired: own flag) */
	if (!p->batch_len || p->flush_armed)
		return;
	/* a quiet stream's event goes out at once (with whatever else this
	 * loop turn publishes); a busy one's at most every flush_ns, so a
	 * pane wakes up tens of times a second, not once per event */
	now = loop_now_ns();
	due = p->last_flush_ns + p->flush_ns;
	p->flush_armed = !loop_timer_arm(p->flush, due > now ? due - now : 0,
					 0);
}

/* ---- socket ---- */

/* Remove a stale socket (in the checked directory dirfd); a live one
 * means another daemon is running. */
static int pub_clear_stale(int dirfd, const char *base,
			   const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err = 0;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		err = -EADDRINUSE;
	else if (unlinkat(dirfd, base, 0))
		err = -errno;
	close(fd);
	return err;
}

/* The socket goes into a directory only root can write (safedir.h):
 * nobody can swap it for a symlink between the bind and the chown and
 * chmod (relative to the checked directory; the chown never follows a
 * symlink). */
static int pub_listen(struct hms_publisher *p, const struct publisher_opts *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mode = o->mode, old;
	const char *base;
	int dirfd = -1, err;

	if (!mode)
		mode = p->viewer_group != (gid_t)-1 ? 0666 : 0660;
	if (strlen(p->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, p->path);
	err = safedir_open(p->path, "socket", &dirfd, &base);
	if (!err)
		err = pub_clear_stale(dirfd, base, &sa);
	if (err)
		goto cleanup;
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	old = umask(0177);		/* never world-connectable, even briefly */
	err = bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (err)
		goto cleanup;
	p->bound = 1;		/* ours to unlink from now on */
	if (fchownat(dirfd, base, geteuid(), p->socket_group,
		     AT_SYMLINK_NOFOLLOW) ||
	    fchmodat(dirfd, base, mode, 0) || listen(p->fd, 64)) {
		err = -errno;
		goto cleanup;
	}
	err = loop_add_fd(p->loop, p->fd, EPOLLIN, pub_accept, p);
cleanup:
	if (dirfd >= 0)
		close(dirfd);
	return err;
}

int publisher_new(const struct publisher_opts *o, struct hms_loop *loop,
		  struct hms_bus *bus, struct hms_proctable *pt,
		  const struct publisher_sources *src,
		  struct hms_publisher **out)
{
	struct hms_publisher *p = calloc(1, sizeof(*p));
	uint64_t tick_ns;
	int err;

	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->pt = pt;
	p->fd = -1;
	p->socket_group = o->socket_group;
	p->viewer_group = o->viewer_group;
	log_limit_init(&p->log_refused, "publisher: refused panes",
		       LOG_LIMIT_BURST, LOG_LIMIT_INTERVAL_NS);
	log_limit_init(&p->log_requests, "publisher: refused requests",
		       LOG_LIMIT_BURST, LOG_LIMIT_INTERVAL_NS);
	log_limit_init(&p->log_slow, "publisher: slow panes disconnected",
		       LOG_LIMIT_BURST, LOG_LIMIT_INTERVAL_NS);
	if (src)
		p->src = *src;
	snprintf(p->path, sizeof(p->path), "%s",
		 o->path ? o->path : PUBLISHER_DEFAULT_PATH);
	tick_ns = (o->tick_ms ? o->tick_ms : 200) * 1000000ull;
	/* a busy stream's batches a little less often than a pane may draw
	 * (every 40 ms, view_int.h): each batch is drawn as it arrives, an
	 * event waits at most one batch interval */
	p->flush_ns = (o->flush_ms ? o->flush_ms : 50) * 1000000ull;
	p->tick_ns = tick_ns;
	p->procs_ns = (o->procs_ms ? o->procs_ms : 400) * 1000000ull;
	err = loop_timer_new(loop, pub_on_tick, p, &p->tick);
	if (!err)
		err = loop_timer_new(loop, pub_on_flush, p, &p->flush);
	/* the tick is armed by the first pane (publisher_peer.c) */
	if (!err)
		err = pub_listen(p, o);
	if (!err) {
		err = bus_subscribe(bus, BUS_ALL, pub_on_event, p);
		if (!err)
			p->bus = bus;
	}
	if (err) {
		publisher_free(p);
		return err;
	}
	*out = p;
	return 0;
}

void publisher_free(struct hms_publisher *p)
{
	struct pub_client *c;

	if (!p)
		return;
	if (p->bus)
		bus_unsubscribe(p->bus, BUS_ALL, pub_on_event, p);
	for (c = p->clients; c; c = c->next)
		pub_client_close(c);
	pub_reap(p);
	if (p->fd >= 0) {
		loop_del_fd(p->loop, p->fd);
		close(p->fd);
		if (p->bound)
			unlink(p->path);
	}
	loop_timer_free(p->tick);
	loop_timer_free(p->flush);
	pub_data_free(p);
	free(p);
}

void publisher_changed(struct hms_publisher *p, unsigned int topics)
{
	p->changed |= topics;
}

size_t publisher_clients(const struct hms_publisher *p)
{
	return p->n_clients;
}

const char *publisher_path(const struct hms_publisher *p)
{
	return p->path;
}

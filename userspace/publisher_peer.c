// SPDX-License-Identifier: BSD-2-Clause
/* publisher_peer.c - the panes connected to the publisher: who they are
 * (SO_PEERCRED and SO_PEERGROUPS, decided once per connection), their
 * output queues (a pane that does not keep up is disconnected rather than
 * buffered without bound; it reconnects and gets a fresh snapshot) and
 * their requests (subscribe, ping, status; heal, pause, resume, reset,
 * ack, start, stop from peers that may act). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hms_json.h"
#include "hms_proto.h"
#include "log.h"
#include "loop.h"
#include "publisher_int.h"
#include "hms_sanitize.h"

#define PUB_MAX_CLIENTS	64		/* panes at once, all users */
#define PUB_MAX_PER_UID	16		/* panes of one non-root user */

static void pub_client_io(int fd, uint32_t events, void *arg);

void pub_client_close(struct pub_client *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	loop_del_fd(c->p->loop, c->fd);
	close(c->fd);
	c->fd = -1;
}

/* Free closed clients; only called from loop entry points. */
void pub_reap(struct hms_publisher *p)
{
	struct pub_client **pp = &p->clients, *c;

	while ((c = *pp)) {
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		p->n_clients--;
		hms_wbuf_free(&c->out);
		free(c);
	}
}

static int pub_client_watch(struct pub_client *c, int want_out)
{
	if (c->want_out == want_out)
		return 0;
	c->want_out = want_out;
	loop_del_fd(c->p->loop, c->fd);
	return loop_add_fd(c->p->loop, c->fd, EPOLLIN | EPOLLRDHUP |
			   (want_out ? EPOLLOUT : 0), pub_client_io, c);
}

static void pub_client_flush(struct pub_client *c)
{
	if (hms_wbuf_flush(&c->out, c->fd, true)) {
		pub_client_close(c);
		return;
	}
	if (pub_client_watch(c, hms_wbuf_pending(&c->out) > 0))
		pub_client_close(c);
}

/* Limits on panes: in all, and per user other than root. */
static int pub_too_many(const struct hms_publisher *p, uid_t uid)
{
	size_t mine = 0;

	if (p->n_clients >= PUB_MAX_CLIENTS)
		return 1;
	for (const struct pub_client *c = p->clients; c; c = c->next)
		mine += !c->dead && c->uid == uid;
	return uid != 0 && mine >= PUB_MAX_PER_UID;
}

static size_t pub_pending_total(const struct hms_publisher *p)
{
	size_t n = 0;

	for (const struct pub_client *c = p->clients; c; c = c->next)
		if (!c->dead)
			n += hms_wbuf_pending(&c->out);
	return n;
}

/* Panes that do not read share PUB_OUT_TOTAL: past it, the pane with the
 * most queued is disconnected (it reconnects for a fresh snapshot), so
 * the daemon holds at most 16 MiB for all panes, not 64 x 2 MiB. */
static void pub_make_room(struct hms_publisher *p, size_t len)
{
	size_t total = pub_pending_total(p);

	while (total + len > PUB_OUT_TOTAL) {
		struct pub_client *big = NULL;

		for (struct pub_client *c = p->clients; c; c = c->next)
			if (!c->dead && (!big || hms_wbuf_pending(&c->out) >
					 hms_wbuf_pending(&big->out)))
				big = c;
		if (!big || !hms_wbuf_pending(&big->out))
			return;
		log_limited(&p->log_slow, loop_now_ns(), HMS_LOG_WARNING,
			    "publisher: pane pid %d uid %u disconnected: "
			    "panes hold %zu bytes not read (cap %u MiB)",
			    (int)big->pid, (unsigned)big->uid, total,
			    PUB_OUT_TOTAL >> 20);
		total -= hms_wbuf_pending(&big->out);
		pub_client_close(big);
	}
}

static void pub_send(struct pub_client *c, const char *msg, size_t len)
{
	int err;

	if (c->dead || !len)
		return;
	pub_make_room(c->p, len);
	if (c->dead)
		return;
	err = hms_wbuf_put(&c->out, msg, len);
	if (err == -ENOBUFS)
		log_limited(&c->p->log_slow, loop_now_ns(), HMS_LOG_WARNING,
			    "publisher: pane pid %d uid %u too slow, "
			    "disconnected", (int)c->pid, (unsigned)c->uid);
	if (err) {
		pub_client_close(c);
		return;
	}
	if (!c->want_out)
		pub_client_flush(c);
}

void pub_broadcast(struct hms_publisher *p, unsigned int topic,
		   const char *msg, size_t len)
{
	struct pub_client *c;

	for (c = p->clients; c && msg; c = c->next)
		if (c->topics & topic)
			pub_send(c, msg, len);
}

static void pub_send_json(struct pub_client *c, json_t *o)
{
	char *s = hms_json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (!s)
		return;
	pub_send(c, s, strlen(s));
	pub_send(c, "\n", 1);
	free(s);
}

/* ---- requests ---- */

static unsigned int pub_topics(json_t *arr)
{
	unsigned int t = 0;
	json_t *v;
	size_t i;
	int k;

	if (!json_is_array(arr))
		return PUB_T_ALL;
	json_array_foreach(arr, i, v)
		if ((k = hms_topic_from_name(json_string_value(v))) >= 0)
			t |= 1u << k;
	return t;
}

static void pub_act(struct pub_client *c, const char *verb, json_t *req)
{
	struct hms_publisher *p = c->p;
	const char *comp = json_string_value(json_object_get(req, "component"));
	char msg[256] = "", safe[128], line[512];
	int err;

	sanitize_str(comp ? comp : "", safe, sizeof(safe));
	if (c->role != PUB_ROLE_ACT) {
		log_limited(&p->log_requests, loop_now_ns(), HMS_LOG_WARNING,
			    "publisher: refused %s %s from uid %u pid %d: "
			    "may only watch",
			    verb, safe, (unsigned)c->uid, (int)c->pid);
		snprintf(msg, sizeof(msg), "refused: not permitted (uid %u may "
			 "only watch)", (unsigned)c->uid);
		err = -EPERM;
	} else if (!comp || !comp[0]) {
		snprintf(msg, sizeof(msg), "no component given");
		err = -EINVAL;
	} else if (!p->src.act) {
		snprintf(msg, sizeof(msg), "healing is not available");
		err = -ENOTSUP;
	} else {
		struct publisher_act a = {
			.verb = verb, .component = comp,
			.failure = json_string_value(
				json_object_get(req, HMS_PROTO_KEY_FAILURE)),
			.strategy = json_string_value(
				json_object_get(req, HMS_PROTO_KEY_STRATEGY)),
		};

		err = p->src.act(p->src.ctx, &a, msg, sizeof(msg));
		sanitize_str(msg, line, sizeof(line));
		log_notice("publisher: %s %s from uid %u pid %d: %s",
			   verb, safe, (unsigned)c->uid, (int)c->pid, line);
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s", err ? strerror(-err) :
				 "ok");
		p->changed |= PUB_T_COMPONENTS;
	}
	/* msg is the short answer; a source that says "heal x: ..." itself
	 * is not prefixed twice */
	snprintf(line, sizeof(line), "%s %s: ", verb, safe);
	if (!strncmp(msg, line, strlen(line)))
		line[0] = '\0';
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s", msg);
	/* "error": a short machine-readable reason for scripts */
	pub_send_json(c, json_pack("{ss sO sb ss ss ss ss}", HMS_PROTO_KEY_TYPE,
		HMS_MSG_RESULT,
		"id", json_object_get(req, "id") ? json_object_get(req, "id") :
		json_null(), "ok", !err, "verb", verb, "component", safe,
		"message", line, "error", !err ? "" : err == -ENOENT ?
		"no_such_component" : err == -EPERM && c->role !=
		PUB_ROLE_ACT ? "not_permitted" : "refused"));
}

/* status [component]: the components (one when named), their processes,
 * restarts, last failure and the reason of their last state change. */
static void pub_status(struct pub_client *c, json_t *req)
{
	const char *comp = json_string_value(json_object_get(req, "component"));
	json_t *all = pub_components(c->p), *out = all, *v;
	size_t i;

	if (comp && comp[0]) {
		out = json_array();
		json_array_foreach(all, i, v)
			if (!strcmp(json_string_value(json_object_get(v, "name"))
				    ?: "", comp))
				json_array_append(out, v);
	}
	pub_send_json(c, json_pack("{ss sO sb so ss}", HMS_PROTO_KEY_TYPE,
		HMS_MSG_STATUS,
		"id", json_object_get(req, "id") ? json_object_get(req, "id") :
		json_null(), "ok", !comp || !comp[0] || json_array_size(out),
		"components", out == all ? json_incref(all) : out,
		"message", comp && comp[0] && !json_array_size(out) ?
		"no such component" : ""));
	json_decref(all);
}

static void pub_request(struct pub_client *c, const char *line, size_t len)
{
	json_t *req = json_loadb(line, len, 0, NULL);
	const char *cmd = json_string_value(json_object_get(req, HMS_PROTO_KEY_CMD));
	char *snap;

	if (!cmd) {
		pub_send_json(c, json_pack("{ss sb ss}", HMS_PROTO_KEY_TYPE, HMS_MSG_RESULT,
			"ok", 0, "message", "bad request"));
	} else if (!strcmp(cmd, HMS_CMD_SUBSCRIBE)) {
		c->topics = pub_topics(json_object_get(req, "topics"));
		/* a pane that has not read its last snapshot gets no new one:
		 * repeated subscribes cannot pile snapshots up */
		snap = hms_wbuf_pending(&c->out) ? NULL :
		       pub_msg_snapshot(c->p, c->topics);
		if (snap)
			pub_send(c, snap, strlen(snap));
		free(snap);
	} else if (!strcmp(cmd, HMS_CMD_PING)) {
		pub_send_json(c, json_pack("{ss sO}", HMS_PROTO_KEY_TYPE, HMS_MSG_PONG, "id",
			json_object_get(req, "id") ? json_object_get(req, "id")
			: json_null()));
	} else if (!strcmp(cmd, HMS_CMD_STATUS)) {
		pub_status(c, req);
	} else if (hms_proto_is_verb(cmd)) {
		pub_act(c, cmd, req);
	} else {
		pub_send_json(c, json_pack("{ss sb ss}", HMS_PROTO_KEY_TYPE, HMS_MSG_RESULT,
			"ok", 0, "message", "unknown command"));
	}
	json_decref(req);
}

/* Handle the complete lines in c->in; a line longer than the buffer
 * closes the pane. */
static void pub_client_lines(struct pub_client *c)
{
	char *nl;

	while (!c->dead && (nl = memchr(c->in, '\n', c->in_len))) {
		size_t l = nl - c->in + 1;

		pub_request(c, c->in, l - 1);
		memmove(c->in, c->in + l, c->in_len - l);
		c->in_len -= l;
	}
	if (!c->dead && c->in_len == sizeof(c->in))	/* line too long */
		pub_client_close(c);
}

void pub_client_input(struct pub_client *c, const char *data, size_t len)
{
	while (!c->dead && len) {
		size_t n = sizeof(c->in) - c->in_len;

		if (n > len)
			n = len;
		memcpy(c->in + c->in_len, data, n);
		c->in_len += n;
		data += n;
		len -= n;
		pub_client_lines(c);
	}
}

static void pub_client_read(struct pub_client *c)
{
	ssize_t n;

	for (;;) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			pub_client_close(c);
			return;
		}
		c->in_len += n;
		pub_client_lines(c);
		if (c->dead)
			return;
	}
}

static void pub_client_io(int fd, uint32_t events, void *arg)
{
	struct pub_client *c = arg;
	struct hms_publisher *p = c->p;

	(void)fd;
	if (events & EPOLLOUT)
		pub_client_flush(c);
	if (!c->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
		pub_client_read(c);
	pub_reap(p);
}

/* ---- peers ---- */

static int pub_peer_role(struct hms_publisher *p, int fd, struct ucred *cr)
{
	gid_t groups[256];
	socklen_t len = sizeof(*cr);
	int role = PUB_ROLE_NONE, n, i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len))
		return PUB_ROLE_NONE;
	if (cr->uid == 0)
		return PUB_ROLE_ACT;
	len = sizeof(groups);
	n = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) ? 0 :
	    (int)(len / sizeof(gid_t));
	for (i = -1; i < n; i++) {
		gid_t g = i < 0 ? cr->gid : groups[i];

		if (p->socket_group != (gid_t)-1 && g == p->socket_group)
			return PUB_ROLE_ACT;
		if (p->viewer_group != (gid_t)-1 && g == p->viewer_group)
			role = PUB_ROLE_WATCH;
	}
	return role;
}

void pub_accept(int fd, uint32_t events, void *arg)
{
	struct hms_publisher *p = arg;
	struct pub_client *c;
	struct ucred cr;
	int cfd, role;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		role = pub_peer_role(p, cfd, &cr);
		if (role != PUB_ROLE_NONE && pub_too_many(p, cr.uid)) {
			log_limited(&p->log_refused, loop_now_ns(),
				    HMS_LOG_WARNING, "publisher: refused pane "
				    "uid %u pid %d: too many panes",
				    (unsigned)cr.uid, (int)cr.pid);
			close(cfd);
			continue;
		}
		if (role == PUB_ROLE_NONE) {
			static const char no[] = "{\"" HMS_PROTO_KEY_TYPE
				"\":\"" HMS_MSG_ERROR "\",\"message\":"
				"\"not permitted\"}\n";

			log_limited(&p->log_refused, loop_now_ns(),
				    HMS_LOG_WARNING, "publisher: refused pane "
				    "uid %u gid %u pid %d: not in a permitted "
				    "group", (unsigned)cr.uid,
				    (unsigned)cr.gid, (int)cr.pid);
			if (send(cfd, no, sizeof(no) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->p = p;
		c->fd = cfd;
		hms_wbuf_init(&c->out, PUB_OUT_MAX);
		c->uid = cr.uid;
		c->pid = cr.pid;
		c->role = role;
		if (loop_add_fd(p->loop, cfd, EPOLLIN | EPOLLRDHUP,
				pub_client_io, c)) {
			close(cfd);
			free(c);
			continue;
		}
		c->next = p->clients;
		p->clients = c;
		p->n_clients++;
		if (!loop_timer_armed(p->tick))
			loop_timer_arm(p->tick, p->tick_ns, p->tick_ns);
		log_debug("publisher: pane uid %u pid %d connected (%s)",
			  (unsigned)cr.uid, (int)cr.pid,
			  role == PUB_ROLE_ACT ? HMS_ROLE_ACT : HMS_ROLE_WATCH);
		pub_send_json(c, json_pack("{ss si ss}", HMS_PROTO_KEY_TYPE,
			HMS_MSG_HELLO, "version", HMS_PROTO_VERSION, "role",
			role == PUB_ROLE_ACT ? HMS_ROLE_ACT : HMS_ROLE_WATCH));
	}
	pub_reap(p);
}


// SPDX-License-Identifier: BSD-2-Clause
/*
 * registry_proc.c - the daemon's side of the isolated registry
 * (registry_proc.h says why): the bounded queue of writes forwarded by
 * the in-memory copy, the store process's socket in the one epoll loop
 * (never waited for), its restarts with backoff, the snapshot that seeds
 * the copy, and the `registry` events (up / degraded) with counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "actions.h"
#include "bus.h"
#include "event.h"
#include "log.h"
#include "loop.h"
#include "registry.h"
#include "registry_proc.h"

struct rp_item {
	uint64_t seq;
	uint32_t op;
	uint32_t len;
	unsigned char data[];
};

struct hms_regproc {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_actions *actions;	/* own runner: reaps only the store */
	struct hms_registry *mem;
	struct hms_timer *restart;
	struct hms_timer *stall;	/* a store that stopped answering */
	char *self_exe;
	char *dir;
	char *buf;			/* one received message */
	int fd;				/* our end of the socket, -1 none */
	uint32_t fd_events;
	pid_t pid;			/* the store process, 0 none */
	bool hello;			/* it opened the store */
	bool seeded;			/* mem has the store's snapshot */
	bool seeding;
	bool stopping;
	uint32_t backoff_ms;
	uint64_t seq;
	struct rp_item *q[REGPROC_QUEUE_MAX];
	size_t head, n, nsent;		/* ring; [head, head+nsent) sent */
	/* what the events and metrics say */
	uint32_t state;			/* enum hms_registry_state */
	int error;
	char message[HMS_TEXT_LEN];
	uint64_t lost, stored, rejected;
	uint32_t restarts;
	void (*on_loaded)(void *arg);
	void *on_loaded_arg;
	bool started;			/* a store process ran before */
	size_t rows;
};

static void rp_start(struct hms_regproc *rp);
static void rp_on_io(int fd, uint32_t events, void *arg);

void regproc_on_loaded(struct hms_regproc *rp, void (*cb)(void *arg),
		       void *arg)
{
	if (!rp)
		return;
	rp->on_loaded = cb;
	rp->on_loaded_arg = arg;
}

void regproc_status(const struct hms_regproc *rp, struct hms_ev_registry *ev)
{
	memset(ev, 0, sizeof(*ev));
	event_init(&ev->hdr, HMS_EV_REGISTRY, sizeof(*ev));
	if (!rp)
		return;
	ev->hdr.tgid = (uint32_t)rp->pid;
	ev->state = rp->state;
	ev->error = rp->error > 0 ? rp->error : -rp->error;
	ev->pending = rp->n;
	ev->lost = rp->lost;
	ev->stored = rp->stored;
	ev->restarts = rp->restarts;
	snprintf(ev->message, sizeof(ev->message), "%s", rp->message);
}

/* A change of state: said once, as an event and in the log. */
static void rp_set_state(struct hms_regproc *rp, uint32_t state, int err,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void rp_set_state(struct hms_regproc *rp, uint32_t state, int err,
			 const char *fmt, ...)
{
	struct hms_ev_registry ev;
	bool same = rp->state == state && rp->error == err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rp->message, sizeof(rp->message), fmt, ap);
	va_end(ap);
	if (same)
		return;
	rp->state = state;
	rp->error = err;
	if (state == HMS_REGISTRY_DEGRADED)
		log_warning("registry degraded: %s (%zu writes pending, "
			    "healing goes on)", rp->message, rp->n);
	else
		log_notice("registry up: %s", rp->message);
	regproc_status(rp, &ev);
	bus_publish(rp->bus, &ev.hdr);
}

static void rp_pop(struct hms_regproc *rp)
{
	free(rp->q[rp->head]);
	rp->q[rp->head] = NULL;
	rp->head = (rp->head + 1) % REGPROC_QUEUE_MAX;
	rp->n--;
	if (rp->nsent)
		rp->nsent--;
}

static void rp_want_out(struct hms_regproc *rp, bool out)
{
	uint32_t ev = EPOLLIN | (out ? EPOLLOUT : 0);

	if (rp->fd < 0 || ev == rp->fd_events)
		return;
	rp->fd_events = ev;
	loop_del_fd(rp->loop, rp->fd);
	loop_add_fd(rp->loop, rp->fd, ev, rp_on_io, rp);
}

static int rp_send(struct hms_regproc *rp, const struct registry_msg *m,
		   const void *data)
{
	struct iovec iov[2] = { { (void *)m, sizeof(*m) },
				{ (void *)data, m->len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = data ? 2 : 1 };

	if (sendmsg(rp->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		return 0;
	return -errno;
}

/* Something is asked of the store (its HELLO, a snapshot, writes sent):
 * it must answer within REGPROC_STALL_MS, counted from its last answer. */
static bool rp_waiting(const struct hms_regproc *rp)
{
	return rp->pid && (!rp->hello || rp->seeding || rp->nsent);
}

static void rp_progress(struct hms_regproc *rp)
{
	if (rp_waiting(rp))
		loop_timer_arm(rp->stall, REGPROC_STALL_MS * 1000000ULL, 0);
	else
		loop_timer_disarm(rp->stall);
}

/* Send what is queued and not sent yet, as far as the socket takes it. */
static void rp_flush(struct hms_regproc *rp)
{
	bool blocked = false;

	while (rp->fd >= 0 && rp->hello && rp->nsent < rp->n) {
		struct rp_item *it = rp->q[(rp->head + rp->nsent) %
					   REGPROC_QUEUE_MAX];
		struct registry_msg m = { .op = it->op, .seq = it->seq,
					  .len = it->len };
		int err = rp_send(rp, &m, it->data);

		if (err == -EAGAIN) {
			blocked = true;
			break;
		}
		if (err)	/* the store is going: its exit restarts it */
			break;
		rp->nsent++;
	}
	if (rp->nsent && !loop_timer_armed(rp->stall))
		rp_progress(rp);
	rp_want_out(rp, blocked);
}

/* registry_forward_cb of the in-memory copy: queue, send if we can.
 * Never waits: a full queue drops its oldest write (counted lost). */
static void rp_forward(int op, const void *item, size_t size, void *arg)
{
	struct hms_regproc *rp = arg;
	struct rp_item *it;

	if (rp->stopping || size > REGISTRY_MSG_MAX - sizeof(struct registry_msg))
		return;
	it = malloc(sizeof(*it) + size);
	if (!it) {
		rp->lost++;
		return;
	}
	it->seq = ++rp->seq;
	it->op = (uint32_t)op;
	it->len = (uint32_t)size;
	memcpy(it->data, item, size);
	if (rp->n == REGPROC_QUEUE_MAX) {
		rp_pop(rp);
		rp->lost++;
	}
	rp->q[(rp->head + rp->n) % REGPROC_QUEUE_MAX] = it;
	rp->n++;
	rp_flush(rp);
}

/* Everything queued is stored: a degraded registry is up again. */
static void rp_maybe_up(struct hms_regproc *rp)
{
	if (rp->hello && !rp->n && rp->state != HMS_REGISTRY_UP)
		rp_set_state(rp, HMS_REGISTRY_UP, 0, "store writable again: "
			     "%llu writes stored, %llu lost",
			     (unsigned long long)rp->stored,
			     (unsigned long long)rp->lost);
}

static void rp_on_ack(struct hms_regproc *rp, const struct registry_msg *m,
		      const char *why)
{
	/* acks come in order; an older one is for a write dropped since */
	while (rp->n && rp->q[rp->head]->seq < m->seq)
		rp_pop(rp);
	if (!rp->n || rp->q[rp->head]->seq != m->seq)
		return;
	if (m->err && registry_err_is_io(m->err)) {
		/* kept: the store process ends and the next one retries */
		rp_set_state(rp, HMS_REGISTRY_DEGRADED, m->err, "%s: %.*s",
			     strerror(-m->err), (int)m->len, why);
		rp->nsent = 0;
		rp->hello = false;	/* it ends now: nothing more to it */
		return;
	}
	if (m->err) {
		rp->rejected++;
		log_warning("registry: a write was rejected: %.*s",
			    (int)m->len, why);
	} else {
		rp->stored++;
	}
	rp_pop(rp);
	rp_maybe_up(rp);
}

static void rp_on_hello(struct hms_regproc *rp, const struct registry_msg *m,
			const char *data)
{
	static const uint32_t want[3] = { sizeof(struct registry_strategy),
					  sizeof(struct registry_incident),
					  sizeof(struct registry_outcome) };
	struct registry_msg snap = { .op = REGISTRY_OP_SNAPSHOT };

	if (m->err) {
		rp_set_state(rp, HMS_REGISTRY_DEGRADED, m->err,
			     "cannot open: %.*s", (int)m->len, data);
		return;
	}
	if (m->len != sizeof(want) || memcmp(data, want, sizeof(want))) {
		rp_set_state(rp, HMS_REGISTRY_DEGRADED, -EPROTO, "the store "
			     "process is another build: restart hms-ebpf");
		kill(rp->pid, SIGTERM);
		return;
	}
	rp->hello = true;
	rp->backoff_ms = REGPROC_BACKOFF_MIN_MS;
	if (!rp->seeded && !rp->seeding && !rp_send(rp, &snap, NULL)) {
		rp->seeding = true;
		rp->rows = 0;
	}
	rp->nsent = 0;
	rp_flush(rp);
	rp_maybe_up(rp);
}

static void rp_on_msg(struct hms_regproc *rp, size_t len)
{
	struct registry_msg m;
	const char *data = rp->buf + sizeof(m);

	if (len < sizeof(m))
		return;
	memcpy(&m, rp->buf, sizeof(m));
	if (m.len != len - sizeof(m))
		return;
	switch (m.op) {
	case REGISTRY_OP_HELLO:
		rp_on_hello(rp, &m, data);
		break;
	case REGISTRY_OP_ROW:
		if (rp->seeding && m.klen <= m.len &&
		    !registry_load_row(rp->mem, m.cf, data, m.klen,
				       data + m.klen, m.len - m.klen))
			rp->rows++;
		break;
	case REGISTRY_OP_SNAPSHOT_END:
		if (!rp->seeding)
			break;
		rp->seeding = false;
		rp->seeded = true;
		if (registry_load_end(rp->mem))
			log_warning("registry: the snapshot did not load: %s",
				    registry_last_error(rp->mem));
		else
			log_info("registry: %zu rows of %s loaded for the "
				 "choices", rp->rows, rp->dir);
		if (rp->on_loaded)
			rp->on_loaded(rp->on_loaded_arg);
		break;
	case REGISTRY_OP_ACK:
		rp_on_ack(rp, &m, data);
		break;
	}
}

static void rp_close_fd(struct hms_regproc *rp)
{
	if (rp->fd < 0)
		return;
	loop_del_fd(rp->loop, rp->fd);
	close(rp->fd);
	rp->fd = -1;
	rp->fd_events = 0;
	rp->hello = false;
	rp->seeding = false;	/* a cut snapshot: the next store sends it */
	rp->nsent = 0;
}

static void rp_on_io(int fd, uint32_t events, void *arg)
{
	struct hms_regproc *rp = arg;

	if (events & EPOLLOUT)
		rp_flush(rp);
	while (rp->fd == fd) {
		ssize_t n = recv(fd, rp->buf, REGISTRY_MSG_MAX, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {	/* the store ended: its exit restarts it */
			rp_close_fd(rp);
			break;
		}
		rp_on_msg(rp, (size_t)n);
		rp_progress(rp);	/* it answered */
	}
}

static void rp_on_stall(struct hms_timer *t, void *arg)
{
	struct hms_regproc *rp = arg;

	(void)t;
	if (!rp_waiting(rp))
		return;
	/* a store stuck on its disk: its exit starts the next one */
	rp_set_state(rp, HMS_REGISTRY_DEGRADED, -ETIMEDOUT, "the store "
		     "process did not answer for %d s: killed",
		     REGPROC_STALL_MS / 1000);
	kill(rp->pid, SIGKILL);
}

static void rp_on_exit(pid_t pid, const siginfo_t *si, void *arg)
{
	struct hms_regproc *rp = arg;
	char how[64];

	if (pid != rp->pid)
		return;
	rp->pid = 0;
	rp_close_fd(rp);
	loop_timer_disarm(rp->stall);
	if (rp->stopping)
		return;
	if (si && si->si_code == CLD_EXITED)
		snprintf(how, sizeof(how), "exit status %d", si->si_status);
	else if (si && si->si_code)
		snprintf(how, sizeof(how), "signal %s",
			 sigabbrev_np(si->si_status) ?: "?");
	else
		snprintf(how, sizeof(how), "status unknown");
	if (rp->state == HMS_REGISTRY_UP)
		rp_set_state(rp, HMS_REGISTRY_DEGRADED, -EPIPE, "the store "
			     "process ended (%s)", how);
	else
		log_info("registry: the store process ended (%s): again in "
			 "%u ms", how, rp->backoff_ms);
	loop_timer_arm(rp->restart, rp->backoff_ms * 1000000ULL, 0);
	rp->backoff_ms = rp->backoff_ms * 2 > REGPROC_BACKOFF_MAX_MS ?
			 REGPROC_BACKOFF_MAX_MS : rp->backoff_ms * 2;
}

static void rp_on_restart(struct hms_timer *t, void *arg)
{
	(void)t;
	rp_start(arg);
}

/* Start the store process with our socket as its stdin. */
static void rp_start(struct hms_regproc *rp)
{
	char *argv[] = { rp->self_exe, "registry-serve", rp->dir, NULL };
	struct actions_spawn_opts o = { .argv = argv };
	int sv[2], err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		goto cleanup;
	}
	o.in_fd = sv[1];
	o.out.kind = ACTIONS_OUT_INHERIT;	/* RocksDB's last words */
	err = actions_spawn(rp->actions, &o, &pid);
	close(sv[1]);
	if (!err)
		err = actions_watch(rp->actions, pid, rp_on_exit, rp);
	if (err) {
		close(sv[0]);
		goto cleanup;
	}
	rp->restarts += rp->started ? 1 : 0;
	rp->started = true;
	rp->pid = pid;
	rp->fd = sv[0];
	fcntl(rp->fd, F_SETFL, fcntl(rp->fd, F_GETFL) | O_NONBLOCK);
	rp->fd_events = EPOLLIN;
	err = loop_add_fd(rp->loop, rp->fd, EPOLLIN, rp_on_io, rp);
	if (!err) {
		rp_progress(rp);	/* its HELLO is due */
		return;
	}
	close(rp->fd);
	rp->fd = -1;
	kill(pid, SIGKILL);	/* its exit starts the next one */
	return;
cleanup:
	rp_set_state(rp, HMS_REGISTRY_DEGRADED, err, "cannot start the "
		     "store process: %s", strerror(-err));
	loop_timer_arm(rp->restart, rp->backoff_ms * 1000000ULL, 0);
}

int regproc_new(struct hms_loop *loop, struct hms_bus *bus,
		const char *self_exe, const char *dir,
		struct hms_registry *mem, struct hms_regproc **out)
{
	struct hms_regproc *rp = calloc(1, sizeof(*rp));
	int err = -ENOMEM;

	*out = NULL;
	if (!rp || !self_exe) {
		free(rp);
		return rp ? -EINVAL : -ENOMEM;
	}
	rp->loop = loop;
	rp->bus = bus;
	rp->mem = mem;
	rp->fd = -1;
	rp->state = HMS_REGISTRY_UP;
	rp->backoff_ms = REGPROC_BACKOFF_MIN_MS;
	snprintf(rp->message, sizeof(rp->message), "starting");
	rp->self_exe = strdup(self_exe);
	if (dir[0] == '/') {
		rp->dir = strdup(dir);
	} else {	/* the store process runs in / */
		char cwd[4096];

		if (getcwd(cwd, sizeof(cwd)) &&
		    asprintf(&rp->dir, "%s/%s", cwd, dir) < 0)
			rp->dir = NULL;
	}
	rp->buf = malloc(REGISTRY_MSG_MAX);
	if (!rp->self_exe || !rp->dir || !rp->buf)
		goto cleanup;
	err = actions_new(loop, &rp->actions);
	if (err)
		goto cleanup;
	actions_reap_only_watched(rp->actions);
	err = loop_timer_new(loop, rp_on_restart, rp, &rp->restart);
	err = err ?: loop_timer_new(loop, rp_on_stall, rp, &rp->stall);
	if (err)
		goto cleanup;
	registry_set_forward(mem, rp_forward, rp);
	rp_start(rp);
	*out = rp;
	return 0;
cleanup:
	regproc_free(rp);
	return err;
}

/* The store's last writes: it applies what it was sent, then sees the
 * end of the socket and closes the store.  Bounded: at exit only. */
static void rp_wait_store(struct hms_regproc *rp)
{
	int pfd = (int)syscall(SYS_pidfd_open, rp->pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	if (pfd < 0)
		return;
	if (poll(&p, 1, REGPROC_STOP_WAIT_MS) == 0) {
		log_warning("registry: the store process did not end within "
			    "%d ms: killed", REGPROC_STOP_WAIT_MS);
		kill(rp->pid, SIGKILL);
	}
	close(pfd);
}

/* At exit: hand the store everything queued (waiting for its HELLO if it
 * is still opening), within REGPROC_STOP_WAIT_MS.  Blocking is fine here:
 * the loop has stopped. */
static void rp_drain(struct hms_regproc *rp)
{
	uint64_t end = loop_now_ns() + REGPROC_STOP_WAIT_MS * 1000000ULL;

	rp->seeded = true;	/* no snapshot now */
	rp->seeding = false;
	while (rp->fd >= 0 && (!rp->hello || rp->nsent < rp->n)) {
		uint64_t now = loop_now_ns();
		struct pollfd p = { .fd = rp->fd, .events = POLLIN };

		if (now >= end)
			break;
		if (rp->hello)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)((end - now) / 1000000ULL) + 1) <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			rp_on_io(rp->fd, EPOLLIN, rp);
		if (rp->fd >= 0 && (p.revents & POLLOUT))
			rp_flush(rp);
	}
}

void regproc_free(struct hms_regproc *rp)
{
	if (!rp)
		return;
	rp->stopping = true;
	if (rp->mem)
		registry_set_forward(rp->mem, NULL, NULL);
	if (rp->fd >= 0 && rp->n)
		rp_drain(rp);	/* what was queued reaches the store */
	if (rp->n > rp->nsent)
		log_warning("registry: %zu writes not stored at exit",
			    rp->n - rp->nsent);
	rp_close_fd(rp);
	if (rp->pid > 0)
		rp_wait_store(rp);
	while (rp->n)
		rp_pop(rp);
	loop_timer_free(rp->restart);
	loop_timer_free(rp->stall);
	actions_free(rp->actions);
	free(rp->self_exe);
	free(rp->dir);
	free(rp->buf);
	free(rp);
}

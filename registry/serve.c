// SPDX-License-Identifier: BSD-2-Clause
/*
 * serve.c - the store process: the only process that opens the registry
 * on disk while the daemon runs.  It speaks struct registry_msg on a
 * SOCK_SEQPACKET socket (its stdin): HELLO after the open, the snapshot
 * on request, then every forwarded write applied in order and ACKed.
 * Blocking reads and writes are fine here: nothing else runs in this
 * process, and whatever RocksDB does to it (an abort on a full disk) ends
 * this process only; the daemon starts it again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "registry.h"

static int serve_send(int fd, const struct registry_msg *m, const void *a,
		      size_t alen, const void *b, size_t blen)
{
	struct iovec iov[3] = {
		{ (void *)m, sizeof(*m) }, { (void *)a, alen }, { (void *)b, blen },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };

	for (;;) {
		if (sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int serve_row(unsigned int cf, const void *key, size_t klen,
		     const void *val, size_t vlen, void *arg)
{
	struct registry_msg m = { .op = REGISTRY_OP_ROW, .cf = cf,
				  .klen = (uint32_t)klen,
				  .len = (uint32_t)(klen + vlen) };

	if (sizeof(m) + klen + vlen > REGISTRY_MSG_MAX)
		return 0;	/* no row is that long; skip, never cut */
	return serve_send(*(int *)arg, &m, key, klen, val, vlen) ? 1 : 0;
}

static int serve_hello(int fd, int err, const char *msg)
{
	struct registry_msg m = { .op = REGISTRY_OP_HELLO, .err = err };
	uint32_t sizes[3] = { sizeof(struct registry_strategy),
			      sizeof(struct registry_incident),
			      sizeof(struct registry_outcome) };

	if (err) {
		m.len = (uint32_t)strlen(msg);
		return serve_send(fd, &m, msg, m.len, NULL, 0);
	}
	m.len = sizeof(sizes);
	return serve_send(fd, &m, sizes, sizeof(sizes), NULL, 0);
}

int registry_serve(const char *dir, int fd)
{
	struct hms_registry *reg = NULL;
	char *buf = malloc(REGISTRY_MSG_MAX);
	int err;

	if (!buf)
		return -ENOMEM;
	err = registry_open(dir, &reg);
	if (err) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s: %s", dir, strerror(-err));
		serve_hello(fd, err, msg);
		goto cleanup;
	}
	err = serve_hello(fd, 0, NULL);
	while (!err) {
		struct registry_msg m, a = { .op = REGISTRY_OP_ACK };
		const char *why;
		ssize_t n = recv(fd, buf, REGISTRY_MSG_MAX, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {	/* the daemon closed its end: done */
			err = n < 0 ? -errno : 0;
			break;
		}
		if ((size_t)n < sizeof(m))
			continue;
		memcpy(&m, buf, sizeof(m));
		if (m.len != (size_t)n - sizeof(m))
			continue;
		if (m.op == REGISTRY_OP_SNAPSHOT) {
			struct registry_msg e = { .op = REGISTRY_OP_SNAPSHOT_END };

			registry_snapshot(reg, serve_row, &fd);
			err = serve_send(fd, &e, NULL, 0, NULL, 0);
			continue;
		}
		a.seq = m.seq;
		a.err = registry_apply(reg, (int)m.op, buf + sizeof(m), m.len);
		why = a.err ? registry_last_error(reg) : "";
		a.len = (uint32_t)strlen(why);
		err = serve_send(fd, &a, why, a.len, NULL, 0);
		/* after an I/O error RocksDB refuses every write until it is
		 * opened again: end, the daemon starts a new store process */
		if (!err && registry_err_is_io(a.err))
			err = a.err;
	}
cleanup:
	registry_close(reg);
	free(buf);
	return err;
}

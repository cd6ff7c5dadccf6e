/* SPDX-License-Identifier: BSD-2-Clause */
/* wbuf.h - the bounded writer: bytes for a non-blocking reader (a pane's
 * socket, a --json pipe) queue here up to a cap and are written when the
 * fd takes them.  A writer that never blocks and never grows without
 * bound: what does not fit is refused whole, and the caller counts or
 * disconnects. */
#ifndef HMS_WBUF_H
#define HMS_WBUF_H

#include <stdbool.h>
#include <stddef.h>

struct hms_wbuf {
	char *buf;
	size_t off, len;	/* pending bytes are buf[off..len) */
	size_t cap;		/* allocated */
	size_t max;		/* most bytes ever pending */
};

/* An empty writer that queues at most max bytes. */
void hms_wbuf_init(struct hms_wbuf *w, size_t max);
void hms_wbuf_free(struct hms_wbuf *w);
/* Queue n bytes, all or none: 0, -ENOBUFS past max, -ENOMEM. */
int hms_wbuf_put(struct hms_wbuf *w, const void *p, size_t n);
/* Write what fd takes now (send() without SIGPIPE for a socket): 0 when
 * done or the fd is full, -errno when the reader is gone (EPIPE, a
 * closed socket) or the write failed. */
int hms_wbuf_flush(struct hms_wbuf *w, int fd, bool sock);
size_t hms_wbuf_pending(const struct hms_wbuf *w);
/* How many times byte c occurs in what is pending (lines: '\n'). */
size_t hms_wbuf_count(const struct hms_wbuf *w, char c);
/* Forget what is pending. */
void hms_wbuf_reset(struct hms_wbuf *w);

#endif

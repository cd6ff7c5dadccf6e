// SPDX-License-Identifier: BSD-2-Clause
/* wbuf.c - the bounded writer (see wbuf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "wbuf.h"

void hms_wbuf_init(struct hms_wbuf *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void hms_wbuf_free(struct hms_wbuf *w)
{
	if (!w)
		return;
	free(w->buf);
	hms_wbuf_init(w, w->max);
}

int hms_wbuf_put(struct hms_wbuf *w, const void *p, size_t n)
{
	size_t pending = w->len - w->off;

	if (pending + n > w->max)
		return -ENOBUFS;
	if (w->off && w->len + n > w->cap) {	/* reuse the written head */
		memmove(w->buf, w->buf + w->off, pending);
		w->off = 0;
		w->len = pending;
	}
	if (w->len + n > w->cap) {
		size_t cap = (w->len + n) * 2;
		char *b;

		if (cap > w->max)
			cap = w->max;
		b = realloc(w->buf, cap);
		if (!b)
			return -ENOMEM;
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

int hms_wbuf_flush(struct hms_wbuf *w, int fd, bool sock)
{
	while (w->off < w->len) {
		ssize_t n = sock ? send(fd, w->buf + w->off, w->len - w->off,
					MSG_NOSIGNAL | MSG_DONTWAIT)
				 : write(fd, w->buf + w->off, w->len - w->off);

		if (n > 0) {
			w->off += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return n < 0 ? -errno : -EPIPE;
	}
	w->off = w->len = 0;
	return 0;
}

size_t hms_wbuf_pending(const struct hms_wbuf *w)
{
	return w->len - w->off;
}

size_t hms_wbuf_count(const struct hms_wbuf *w, char c)
{
	size_t k = 0;

	for (size_t i = w->off; i < w->len; i++)
		k += w->buf[i] == c;
	return k;
}

void hms_wbuf_reset(struct hms_wbuf *w)
{
	w->off = w->len = 0;
}

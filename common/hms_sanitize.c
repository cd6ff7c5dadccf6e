// SPDX-License-Identifier: BSD-2-Clause
/* sanitize.c - escapes untrusted text for terminals, tmux and JSON.
 *
 * Everything the dashboard shows (process names, paths, hook output,
 * strings read back from the registry) may be hostile: an ESC sequence in
 * a comm can retitle a pane or rewrite the screen, a newline can forge a
 * row, a '#' can inject a tmux format.  This file is the single place
 * that turns such bytes into visible escapes, and that knows which code
 * points are unsafe (one UTF-8 decoder, one list). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hms_sanitize.h"

struct sanitize_out {
	char *buf;
	size_t len;	/* bytes of the full result */
	size_t cap;
	int full;	/* stop writing once an escape did not fit */
};

static void sanitize_put(struct sanitize_out *o, const char *s, size_t n)
{
	if (!o->full && o->cap && o->len + n < o->cap) {
		memcpy(o->buf + o->len, s, n);
		o->buf[o->len + n] = '\0';
	} else {
		o->full = 1;
	}
	o->len += n;
}

/* Decode one UTF-8 sequence; returns its length, or 0 when invalid
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t sanitize_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points that must not reach a terminal raw: C1 controls, bidi
 * overrides and isolates (they reorder the rest of the line), BOM. */
static int sanitize_cp_unsafe(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xfeff ||
	       c == 0x2028 || c == 0x2029;
}

#define SAN_TMUX	1	/* '#' doubled */
#define SAN_UTF8	2	/* only invalid UTF-8 escaped */

static size_t sanitize_any(const char *in, size_t inlen, char *out,
			   size_t outlen, int mode)
{
	int tmux = mode & SAN_TMUX, all = !(mode & SAN_UTF8);
	struct sanitize_out o = { out, 0, outlen, 0 };
	const unsigned char *s = (const unsigned char *)in;
	char esc[16];
	uint32_t cp;
	size_t i = 0, n;

	if (outlen)
		out[0] = '\0';
	while (i < inlen) {
		unsigned char b = s[i];

		if (b < 0x80 && !all) {
			sanitize_put(&o, (const char *)s + i, 1);
			i++;
		} else if (b == '\n' || b == '\r' || b == '\t' || b == 0x1b) {
			esc[0] = '\\';
			esc[1] = b == '\n' ? 'n' : b == '\r' ? 'r' :
				 b == '\t' ? 't' : 'e';
			sanitize_put(&o, esc, 2);
			i++;
		} else if (b < 0x20 || b == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", b);
			sanitize_put(&o, esc, 4);
			i++;
		} else if (b == '#' && tmux) {
			sanitize_put(&o, "##", 2);
			i++;
		} else if (b < 0x80) {
			sanitize_put(&o, (const char *)s + i, 1);
			i++;
		} else if (!(n = sanitize_utf8(s + i, inlen - i, &cp))) {
			snprintf(esc, sizeof(esc), "\\x%02x", b);
			sanitize_put(&o, esc, 4);
			i++;
		} else if (all && sanitize_cp_unsafe(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			sanitize_put(&o, esc, strlen(esc));
			i += n;
		} else {
			sanitize_put(&o, (const char *)s + i, n);
			i += n;
		}
	}
	return o.len;
}

size_t sanitize_text(const char *in, size_t inlen, char *out, size_t outlen)
{
	return sanitize_any(in, inlen, out, outlen, 0);
}

size_t sanitize_tmux(const char *in, size_t inlen, char *out, size_t outlen)
{
	return sanitize_any(in, inlen, out, outlen, SAN_TMUX);
}

size_t sanitize_utf8_repair(const char *in, size_t inlen, char *out,
			    size_t outlen)
{
	return sanitize_any(in, inlen, out, outlen, SAN_UTF8);
}

size_t sanitize_str(const char *in, char *out, size_t outlen)
{
	return sanitize_any(in ? in : "", in ? strlen(in) : 0, out, outlen, 0);
}

/* In JSON text every byte >= 0x7f is inside a string, so a code point can
 * be replaced by its \uXXXX escape without looking at the structure. */
size_t sanitize_json(const char *in, char *out, size_t outlen)
{
	struct sanitize_out o = { out, 0, outlen, 0 };
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n, len = strlen(in);
	char esc[8];
	uint32_t cp;

	if (outlen)
		out[0] = '\0';
	while (i < len) {
		n = s[i] < 0x7f ? 1 : sanitize_utf8(s + i, len - i, &cp);
		if (n && s[i] >= 0x7f &&
		    (cp == 0x7f || sanitize_cp_unsafe(cp))) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			sanitize_put(&o, esc, 6);
		} else {
			n = n ? n : 1;
			sanitize_put(&o, (const char *)s + i, n);
		}
		i += n;
	}
	return o.len;
}

static int sanitize_cp_width(uint32_t c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

size_t sanitize_width(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t w = 0, n, len = strlen(s), i = 0;
	uint32_t cp;

	while (i < len) {
		n = sanitize_utf8(u + i, len - i, &cp);
		if (!n) {
			w++;
			i++;
			continue;
		}
		w += sanitize_cp_width(cp);
		i += n;
	}
	return w;
}

size_t sanitize_fit(const char *s, size_t cols, int pad, char *out,
		    size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t w = 0, n, len = strlen(s), i = 0, o = 0;
	uint32_t cp;
	int cw;

	if (!outlen)
		return 0;
	while (i < len) {
		n = sanitize_utf8(u + i, len - i, &cp);
		cw = n ? sanitize_cp_width(cp) : 1;
		if (!n)
			n = 1;
		if (w + cw > cols || o + n >= outlen)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
		w += cw;
	}
	while (pad && w < cols && o + 1 < outlen) {
		out[o++] = ' ';
		w++;
	}
	out[o] = '\0';
	return o;
}

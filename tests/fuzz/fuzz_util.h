/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_util.h - what more than one fuzz target checks: an independent
 * strict UTF-8 decoder and the list of code points that must never reach
 * a terminal raw (C0, DEL, C1, bidi controls, line separators, BOM). */
#ifndef HMS_FUZZ_UTIL_H
#define HMS_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void fz_fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz: %s: \"%s\"\n", what, s);
	abort();
}

/* Strict UTF-8 decoder, independent of the one under test: returns the
 * length of the sequence at s (0 = invalid) and its code point. */
static inline size_t fz_utf8(const unsigned char *s, size_t n, uint32_t *cp)
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
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

static inline int fz_unsafe(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x2028 || c == 0x2029 || c == 0xfeff;
}

/* Valid UTF-8 without any code point a terminal could act on. */
static inline void fz_check_safe(const char *s, const char *what)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;
	uint32_t cp;

	while (i < n) {
		l = fz_utf8(u + i, n - i, &cp);
		if (!l)
			fz_fail(what, "invalid UTF-8 out");
		if (fz_unsafe(cp))
			fz_fail(what, s);
		i += l;
	}
}

/* A private directory for a target's files: under $TMPDIR (run.sh points
 * it into its scratch directory, removed even after a crash), else /tmp. */
static inline void fz_mkdtemp(char *buf, size_t len, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/hms-%s.XXXXXX", tmp && tmp[0] ? tmp : "/tmp",
		 name);
	if (!mkdtemp(buf))
		fz_fail("mkdtemp", buf);
}

#endif

// SPDX-License-Identifier: BSD-2-Clause
/* fuzz_sanitize.c - libFuzzer target for common/sanitize.c, the one
 * escaper of untrusted text.  Beyond "does not crash", it checks the
 * properties the dashboard relies on: what comes out has no control byte
 * (C0, DEL) and no C1/bidi code point, is valid UTF-8, is unchanged when
 * sanitized again, fits the columns asked for, and a JSON string
 * escaped by sanitize_json still means the same. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hms_sanitize.h"

#define FZ_MAX	4096

static void fz_text(const char *in, size_t n)
{
	static char out[FZ_MAX * 4 + 1], again[FZ_MAX * 4 + 1];
	static char fit[FZ_MAX * 4 + 1];
	size_t len = sanitize_text(in, n, out, sizeof(out)), cols, w;

	if (len >= sizeof(out))
		fz_fail("sanitize_text", "escaped text longer than 4 bytes per byte");
	fz_check_safe(out, "sanitize_text");
	/* idempotent: the pane sanitizes what the daemon already did */
	if (sanitize_text(out, len, again, sizeof(again)) != len ||
	    strcmp(out, again))
		fz_fail("sanitize_text not idempotent", out);
	/* fits the width, padded to exactly the width */
	cols = n ? (unsigned char)in[0] % 64 : 0;
	sanitize_fit(out, cols, 0, fit, sizeof(fit));
	fz_check_safe(fit, "sanitize_fit");
	if ((w = sanitize_width(fit)) > cols)
		fz_fail("sanitize_fit wider than asked", fit);
	if (strncmp(out, fit, strlen(fit)))
		fz_fail("sanitize_fit is not a prefix", fit);
	sanitize_fit(out, cols, 1, fit, sizeof(fit));
	if (sanitize_width(fit) != cols)
		fz_fail("sanitize_fit pad not exact", fit);
	/* a short buffer: NUL-terminated, a prefix, same full length */
	if (sanitize_text(in, n, fit, 7) != len || strlen(fit) >= 7 ||
	    strncmp(out, fit, strlen(fit)))
		fz_fail("sanitize_text truncated", fit);
}

static void fz_tmux(const char *in, size_t n)
{
	static char out[FZ_MAX * 8 + 1];
	size_t len = sanitize_tmux(in, n, out, sizeof(out)), i;

	if (len >= sizeof(out))
		fz_fail("sanitize_tmux", "too long");
	fz_check_safe(out, "sanitize_tmux");
	/* every '#' comes in pairs: no tmux format can start */
	for (i = 0; out[i]; i++) {
		if (out[i] != '#')
			continue;
		if (out[i + 1] != '#')
			fz_fail("sanitize_tmux: lone #", out);
		i++;
	}
}

/* A JSON string of the (repaired) input, as jansson writes it, escaped
 * by sanitize_json: parses back to the same string, and printed raw is
 * safe. */
static void fz_json(const char *in, size_t n)
{
	static char fixed[FZ_MAX * 4 + 1], out[FZ_MAX * 24 + 64];
	json_t *s, *back;
	char *dump;
	size_t len;

	sanitize_utf8_repair(in, n, fixed, sizeof(fixed));
	s = json_string(fixed);		/* NUL in the input ends the string */
	if (!s)
		fz_fail("json_string refused repaired text", fixed);
	dump = json_dumps(s, JSON_ENCODE_ANY);
	if (!dump)
		fz_fail("json_dumps", fixed);
	len = sanitize_json(dump, out, sizeof(out));
	if (len >= sizeof(out))
		fz_fail("sanitize_json", "too long");
	fz_check_safe(out, "sanitize_json");
	back = json_loads(out, JSON_DECODE_ANY, NULL);
	if (!back || !json_equal(back, s))
		fz_fail("sanitize_json changed the meaning", out);
	json_decref(back);
	json_decref(s);
	free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	if (size > FZ_MAX)
		return 0;
	fz_text(in, size);
	fz_tmux(in, size);
	fz_json(in, size);
	return 0;
}

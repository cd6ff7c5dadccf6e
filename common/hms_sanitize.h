/* SPDX-License-Identifier: BSD-2-Clause */
/* sanitize.h - the one sanitizer for untrusted text (comm, args, paths,
 * hook output, registry strings) before it reaches a terminal, a tmux
 * command or a JSON consumer.  Control characters, ESC, newlines and invalid UTF-8 come out
 * as visible escapes; valid printable UTF-8 passes unchanged. */
#ifndef HMS_SANITIZE_H
#define HMS_SANITIZE_H

#include <stddef.h>

/* Escape in[0..inlen) into out (always NUL-terminated when outlen > 0;
 * an escape is never cut in half).  \n \r \t \e get their C names,
 * other C0/C1 controls and DEL become \xNN, each byte of an invalid UTF-8
 * sequence becomes \xNN.  Returns the length of the full escaped text
 * (like snprintf): a result >= outlen means out was truncated.
 * A backslash is left alone, so sanitizing twice changes nothing (the
 * daemon escapes before JSON, the pane escapes again before the screen);
 * the price is that a literal "\e" in a name looks like an escaped ESC. */
size_t sanitize_text(const char *in, size_t inlen, char *out, size_t outlen);

/* The same, and '#' doubled so that the text is literal in a tmux format. */
size_t sanitize_tmux(const char *in, size_t inlen, char *out, size_t outlen);

/* Only the bytes of invalid UTF-8 sequences become \xNN; everything else
 * (controls included) is copied, for encoders that escape controls
 * themselves (JSON). */
size_t sanitize_utf8_repair(const char *in, size_t inlen, char *out,
			    size_t outlen);

/* Convenience for NUL-terminated input. */
size_t sanitize_str(const char *in, char *out, size_t outlen);

/* Escape, in serialized JSON text (NUL-terminated, valid UTF-8 as
 * jansson writes it), DEL, C1 controls, bidi overrides and isolates, line
 * separators and BOM as \u00XX / \u202e: the JSON means the same, and
 * printing it on a terminal is safe (jansson already escapes C0).
 * Returns the length of the full result like sanitize_text. */
size_t sanitize_json(const char *json, char *out, size_t outlen);

/* Number of terminal columns of sanitized (valid UTF-8) text s; wide
 * characters count 2, combining marks 0. */
size_t sanitize_width(const char *s);

/* Copy s into out cut to at most cols columns (never inside a character)
 * and pad with spaces to exactly cols columns when pad is set.  Returns
 * the bytes written (out NUL-terminated). */
size_t sanitize_fit(const char *s, size_t cols, int pad, char *out,
		    size_t outlen);

#endif

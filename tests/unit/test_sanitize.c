// SPDX-License-Identifier: BSD-2-Clause
/* test_sanitize.c - the sanitizer turns every hostile byte into a visible
 * escape and leaves ordinary UTF-8 alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hms_sanitize.h"

static void check(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = sanitize_text(in, len, out, sizeof(out));

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_plain(void **state)
{
	(void)state;
	check("nginx", 5, "nginx");
	check("", 0, "");
	check("caf\xc3\xa9 \xe6\x97\xa5", 9, "caf\xc3\xa9 \xe6\x97\xa5");
	check("#x", 2, "#x");
}

static void test_controls(void **state)
{
	(void)state;
	check("a\nb", 3, "a\\nb");
	check("\x1b]0;pwn\x07", 8, "\\e]0;pwn\\x07");
	check("\r\t\\", 3, "\\r\\t\\");
	check("\x7f\x01", 2, "\\x7f\\x01");
	/* a NUL inside the given length is escaped, not a terminator */
	check("a\0b", 3, "a\\x00b");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	check("\xff", 1, "\\xff");
	check("\xc3", 1, "\\xc3");			/* truncated */
	check("\xc0\xaf", 2, "\\xc0\\xaf");		/* overlong '/' */
	check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");	/* surrogate */
	check("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");
	check("\xc2\x9b" "31m", 5, "\\u009b31m");	/* C1 CSI */
	check("\xe2\x80\xae", 3, "\\u202e");		/* bidi override */
}

/* every C1 control and every bidi/line-separator code point comes out
 * as a visible escape; their printable neighbours do not */
static void test_c1_bidi(void **state)
{
	static const uint32_t bad[] = { 0x80, 0x85, 0x9b, 0x9f, 0x202a,
		0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
		0x2069, 0x2028, 0x2029, 0xfeff };
	char in[8], out[32], want[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t c = bad[i];
		size_t n;

		if (c < 0x800) {
			in[0] = (char)(0xc0 | c >> 6);
			in[1] = (char)(0x80 | (c & 0x3f));
			n = 2;
		} else {
			in[0] = (char)(0xe0 | c >> 12);
			in[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			in[2] = (char)(0x80 | (c & 0x3f));
			n = 3;
		}
		snprintf(want, sizeof(want), "\\u%04x", c);
		check(in, n, want);
		/* and not in JSON-repair mode: JSON gets them escaped later */
		sanitize_utf8_repair(in, n, out, sizeof(out));
		assert_memory_equal(out, in, n);
	}
	check("\xc2\xa0", 2, "\xc2\xa0");		/* NBSP is printable */
	check("\xe2\x80\x8f", 3, "\xe2\x80\x8f");	/* RLM: no override */
	check("\xe2\x81\xa5", 3, "\xe2\x81\xa5");	/* U+2065 unassigned */
}

static void test_utf8_repair(void **state)
{
	char out[64];

	(void)state;
	sanitize_utf8_repair("a\x1b\n\xff\xc3\xa9", 6, out, sizeof(out));
	assert_string_equal(out, "a\x1b\n\\xff\xc3\xa9");
}

/* serialized JSON: C1, bidi, DEL become \uXXXX, the rest is untouched */
static void test_json(void **state)
{
	char out[128];
	size_t n;

	(void)state;
	n = sanitize_json("{\"comm\":\"a\xc2\x9b" "31m\xe2\x80\xae" "b\x7f\"}",
			  out, sizeof(out));
	assert_string_equal(out, "{\"comm\":\"a\\u009b31m\\u202eb\\u007f\"}");
	assert_int_equal(n, strlen(out));
	sanitize_json("{\"x\":\"caf\xc3\xa9 \\u001b\"}", out, sizeof(out));
	assert_string_equal(out, "{\"x\":\"caf\xc3\xa9 \\u001b\"}");
	/* length of the result without an output buffer */
	assert_int_equal(sanitize_json("\xe2\x80\xae", NULL, 0), 6);
}

static void test_idempotent(void **state)
{
	const char in[] = "\x1b]0;pwn\x07\n\xff#\\x";
	char once[128], twice[128];

	(void)state;
	sanitize_text(in, sizeof(in) - 1, once, sizeof(once));
	sanitize_str(once, twice, sizeof(twice));
	assert_string_equal(once, "\\e]0;pwn\\x07\\n\\xff#\\x");
	assert_string_equal(once, twice);
}

static void test_tmux(void **state)
{
	char out[64];

	(void)state;
	sanitize_tmux("#(reboot) #[fg=red]\n", 20, out, sizeof(out));
	assert_string_equal(out, "##(reboot) ##[fg=red]\\n");
}

static void test_truncation(void **state)
{
	char out[6];
	size_t n;

	(void)state;
	/* "ab\e" = 4 bytes of output fit, the next escape does not */
	n = sanitize_text("ab\x1b\x1b", 4, out, sizeof(out));
	assert_int_equal(n, 6);
	assert_string_equal(out, "ab\\e");
	n = sanitize_text("abcdefgh", 8, out, sizeof(out));
	assert_int_equal(n, 8);
	assert_string_equal(out, "abcde");
	n = sanitize_text("x", 1, NULL, 0);
	assert_int_equal(n, 1);
}

static void test_width_fit(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(sanitize_width("abc"), 3);
	assert_int_equal(sanitize_width("\xe6\x97\xa5x"), 3);
	sanitize_fit("\xe6\x97\xa5\xe6\x97\xa5", 3, 1, out, sizeof(out));
	assert_string_equal(out, "\xe6\x97\xa5 ");
	sanitize_fit("abcdef", 4, 0, out, sizeof(out));
	assert_string_equal(out, "abcd");
	sanitize_fit("ab", 4, 1, out, sizeof(out));
	assert_string_equal(out, "ab  ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_c1_bidi),
		cmocka_unit_test(test_utf8_repair),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_tmux),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_width_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

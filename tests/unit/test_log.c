// SPDX-License-Identifier: BSD-2-Clause
/* test_log.c - leveled log lines: filtered by level, one prefix per line,
 * syslog priorities in front of each line under systemd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

/* Run the logging in f with stderr on a pipe; returns what was written. */
static char *capture(void (*f)(void))
{
	static char buf[4096];
	int p[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	f();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void some_lines(void)
{
	log_error("broken %d", 1);
	log_warning("careful");
	log_info("did a thing");
	log_debug("detail");
	log_notice("two\nlines");
}

static void test_plain(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_init();
	log_set_level(HMS_LOG_INFO);
	assert_string_equal(capture(some_lines),
			    "hms-ebpf: broken 1\nhms-ebpf: careful\n"
			    "hms-ebpf: did a thing\nhms-ebpf: two\n"
			    "hms-ebpf: lines\n");
	log_set_level(HMS_LOG_WARNING);
	assert_string_equal(capture(some_lines),
			    "hms-ebpf: broken 1\nhms-ebpf: careful\n");
	log_set_level(HMS_LOG_DEBUG);
	assert_non_null(strstr(capture(some_lines), "hms-ebpf: detail\n"));
}

static void test_journal(void **state)
{
	(void)state;
	setenv("JOURNAL_STREAM", "8:12345", 1);
	log_init();
	log_set_level(HMS_LOG_INFO);
	assert_string_equal(capture(some_lines),
			    "<3>broken 1\n<4>careful\n<6>did a thing\n"
			    "<5>two\n<5>lines\n");
	unsetenv("JOURNAL_STREAM");
	log_init();
}

static void long_line(void)
{
	char big[4000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
}

static void test_long(void **state)
{
	char *out;

	(void)state;
	log_set_level(HMS_LOG_INFO);
	out = capture(long_line);
	/* cut, but still one whole line */
	assert_true(strlen(out) > 1000);
	assert_int_equal(out[strlen(out) - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

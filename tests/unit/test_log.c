// SPDX-License-Identifier: BSD-2-Clause
/* test_log.c - leveled log lines: filtered by level, one prefix per line,
 * syslog priorities in front of each line when stderr is the journal
 * (JOURNAL_STREAM names its device:inode), level names, -v, structured
 * lines on stderr when there is no journal. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "log.h"

static int journal_match;	/* capture: JOURNAL_STREAM names the pipe */

/* Run the logging in f with stderr on a pipe; returns what was written. */
static char *capture(void (*f)(void))
{
	static char buf[4096];
	int p[2], saved = dup(STDERR_FILENO);
	struct stat st;
	char js[64];
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	if (journal_match) {
		assert_int_equal(fstat(STDERR_FILENO, &st), 0);
		snprintf(js, sizeof(js), "%llu:%llu",
			 (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", js, 1);
		log_init();
	}
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
	log_set_level(HMS_LOG_INFO);
	journal_match = 1;
	assert_string_equal(capture(some_lines),
			    "<3>broken 1\n<4>careful\n<6>did a thing\n"
			    "<5>two\n<5>lines\n");
	journal_match = 0;
	/* inherited from a parent whose stderr was the journal, but ours is
	 * not: plain lines (systemd.exec(5): compare device and inode) */
	setenv("JOURNAL_STREAM", "8:12345", 1);
	log_init();
	assert_false(log_journal());
	assert_string_equal(capture(some_lines),
			    "hms-ebpf: broken 1\nhms-ebpf: careful\n"
			    "hms-ebpf: did a thing\nhms-ebpf: two\n"
			    "hms-ebpf: lines\n");
	setenv("JOURNAL_STREAM", "garbage", 1);
	log_init();
	assert_false(log_journal());
	unsetenv("JOURNAL_STREAM");
	log_init();
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(log_level_from_name("error"), HMS_LOG_ERROR);
	assert_int_equal(log_level_from_name("debug"), HMS_LOG_DEBUG);
	assert_int_equal(log_level_from_name("loud"), -ENOENT);
	assert_string_equal(log_level_name(HMS_LOG_NOTICE), "notice");
	assert_string_equal(log_level_name(42), "unknown");
	/* each -v one step more detail, never past debug */
	assert_int_equal(log_level_raise(HMS_LOG_WARNING, 0), HMS_LOG_WARNING);
	assert_int_equal(log_level_raise(HMS_LOG_WARNING, 1), HMS_LOG_NOTICE);
	assert_int_equal(log_level_raise(HMS_LOG_WARNING, 2), HMS_LOG_INFO);
	assert_int_equal(log_level_raise(HMS_LOG_INFO, 5), HMS_LOG_DEBUG);
	log_set_level(99);
	assert_int_equal(log_get_level(), HMS_LOG_DEBUG);
	log_set_level(HMS_LOG_INFO);
}

static void structured(void)
{
	const struct log_field f[] = {
		{ "HMS_COMPONENT", "api" }, { "HMS_FAILURE", "crash" },
	};

	log_fields(HMS_LOG_WARNING, f, 2, "api: failure %s", "crash");
	log_fields(HMS_LOG_DEBUG, f, 2, "not shown");
}

/* Without a journal a structured line is the message alone. */
static void test_fields_plain(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_init();
	log_set_level(HMS_LOG_INFO);
	assert_string_equal(capture(structured),
			    "hms-ebpf: api: failure crash\n");
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
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_fields_plain),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

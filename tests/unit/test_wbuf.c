// SPDX-License-Identifier: BSD-2-Clause
/* test_wbuf.c - the bounded writer: all-or-nothing queueing under a cap,
 * partial writes into a full pipe, a reader that went away. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "wbuf.h"

static void test_cap(void **state)
{
	struct hms_wbuf w;

	(void)state;
	hms_wbuf_init(&w, 10);
	assert_int_equal(hms_wbuf_put(&w, "abc\n", 4), 0);
	assert_int_equal(hms_wbuf_put(&w, "defg\n", 5), 0);
	assert_int_equal(hms_wbuf_put(&w, "hi", 2), -ENOBUFS);	/* 11 > 10 */
	assert_int_equal(hms_wbuf_put(&w, "h", 1), 0);
	assert_int_equal(hms_wbuf_pending(&w), 10);
	assert_int_equal(hms_wbuf_count(&w, '\n'), 2);
	hms_wbuf_reset(&w);
	assert_int_equal(hms_wbuf_pending(&w), 0);
	hms_wbuf_free(&w);
	hms_wbuf_free(NULL);
}

static void test_pipe(void **state)
{
	char big[4096], back[8192];
	struct hms_wbuf w;
	size_t total = 0, got = 0;
	int p[2];
	ssize_t n;

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	hms_wbuf_init(&w, 1 << 20);
	/* more than the pipe holds: the rest stays pending, no blocking */
	for (int i = 0; i < 64; i++) {
		assert_int_equal(hms_wbuf_put(&w, big, sizeof(big)), 0);
		total += sizeof(big);
	}
	assert_int_equal(hms_wbuf_flush(&w, p[1], false), 0);
	assert_true(hms_wbuf_pending(&w) > 0);
	assert_true(hms_wbuf_pending(&w) < total);
	/* drain and flush until everything went through, in order */
	while (got < total) {
		n = read(p[0], back, sizeof(back));
		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				assert_int_equal(back[i], 'x');
			got += n;
		}
		assert_int_equal(hms_wbuf_flush(&w, p[1], false), 0);
	}
	assert_int_equal(hms_wbuf_pending(&w), 0);
	/* queue again after a full drain: the space is reused */
	assert_int_equal(hms_wbuf_put(&w, "z\n", 2), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(hms_wbuf_flush(&w, p[1], false), -EPIPE);
	close(p[1]);
	hms_wbuf_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

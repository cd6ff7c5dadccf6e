// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_keys.c - key encoding keeps time order and prefix boundaries,
 * incident records round-trip in both schema versions, and the name sets
 * accept and refuse what the documentation says. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "internal.h"

static void test_be64_order_is_numeric_order(void **state)
{
	uint64_t v[] = { 0, 1, 255, 256, 65535, 1ull << 32, 1700000000000000000ull,
			 1700000000000000001ull, UINT64_MAX - 1, UINT64_MAX };
	uint8_t a[8], b[8];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		reg_be64(a, v[i]);
		assert_true(reg_get_be64(a) == v[i]);
		for (j = 0; j < sizeof(v) / sizeof(v[0]); j++) {
			int c;

			reg_be64(b, v[j]);
			c = memcmp(a, b, 8);
			assert_int_equal(c < 0, v[i] < v[j]);
			assert_int_equal(c == 0, v[i] == v[j]);
		}
	}
}

static void test_index_keys_sort_by_prefix_then_time(void **state)
{
	uint8_t k1[64], k2[64], k3[64];
	size_t n1, n2, n3;

	(void)state;
	n1 = reg_key_index(k1, sizeof(k1), "api", 500, 7);
	n2 = reg_key_index(k2, sizeof(k2), "api", 1000, 3);
	n3 = reg_key_index(k3, sizeof(k3), "api2", 1, 1);
	assert_int_equal(n1, 4 + 16);
	assert_int_equal(n3, 5 + 16);
	assert_true(memcmp(k1, k2, n1) < 0);	/* same prefix: time order */
	/* "api" keys all sort before "api2" keys, whatever the time */
	assert_true(memcmp(k2, k3, n2 < n3 ? n2 : n3) < 0);
	assert_int_equal(reg_get_be64(k2 + 4), 1000);
	assert_int_equal(reg_get_be64(k2 + 12), 3);
	/* no prefix: plain time + id */
	assert_int_equal(reg_key_index(k1, sizeof(k1), NULL, 9, 10), 16);
	assert_int_equal(reg_get_be64(k1), 9);
	/* too small a buffer is refused */
	assert_int_equal(reg_key_index(k1, 10, "api", 1, 1), 0);
}

static void fill(struct registry_incident *in)
{
	memset(in, 0, sizeof(*in));
	in->time_ns = 1700000000123456789ull;
	strcpy(in->host, "node-1");
	strcpy(in->component, "api");
	in->pid = 4242;
	strcpy(in->comm, "api-server");
	strcpy(in->failure, "killed");
	in->signal = 9;
	in->exit_code = -1;
	in->core_dumped = 1;
	in->sender_pid = 77;
	strcpy(in->detail, "killed by pid 77 (oom-helper)");
}

static void test_incident_roundtrip_v2(void **state)
{
	struct registry_incident in, out;
	uint8_t buf[REG_INCIDENT_MAX];
	size_t n;
	int v;

	(void)state;
	fill(&in);
	n = reg_incident_encode(&in, buf, sizeof(buf), 2);
	assert_true(n > 0 && buf[0] == 2);
	assert_int_equal(reg_incident_decode(buf, n, &out, &v), 0);
	assert_int_equal(v, 2);
	assert_memory_equal(&in, &out, sizeof(in));
	/* every truncation is detected */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(reg_incident_decode(buf, cut, &out, NULL), -EINVAL);
}

static void test_incident_v1_lacks_new_fields(void **state)
{
	struct registry_incident in, out;
	uint8_t buf[REG_INCIDENT_MAX];
	size_t n;
	int v;

	(void)state;
	fill(&in);
	n = reg_incident_encode(&in, buf, sizeof(buf), 1);
	assert_int_equal(reg_incident_decode(buf, n, &out, &v), 0);
	assert_int_equal(v, 1);
	assert_string_equal(out.comm, "api-server");
	assert_int_equal(out.signal, 9);
	assert_int_equal(out.exit_code, -1);
	assert_int_equal(out.core_dumped, 0);
	assert_int_equal(out.sender_pid, 0);
	assert_string_equal(out.detail, "");
	buf[0] = 3;	/* a newer record is refused, not misread */
	assert_int_equal(reg_incident_decode(buf, n, &out, NULL), -EPROTO);
}

static void test_name_sets(void **state)
{
	(void)state;
	assert_true(registry_name_valid("api"));
	assert_true(registry_name_valid("gentle-restart"));
	assert_true(registry_name_valid("db_2.primary"));
	assert_false(registry_name_valid(""));
	assert_false(registry_name_valid(NULL));
	assert_false(registry_name_valid("-lead"));
	assert_false(registry_name_valid("has space"));
	assert_false(registry_name_valid("a/b"));
	assert_false(registry_name_valid("esc\x1b"));
	assert_true(registry_name_valid("abcdefghijabcdefghijabcdefghija"));	/* 31 */
	assert_false(registry_name_valid("abcdefghijabcdefghijabcdefghijab"));	/* 32 */
	for (const char *const *f = (const char *const[]){ "crash", "exit",
		"oom", "killed", "hang", "crash_loop", "net", "starved",
		"missing", NULL }; *f; f++)
		assert_true(registry_failure_valid(*f));
	assert_false(registry_failure_valid("segfault"));
	assert_false(registry_failure_valid(""));
	for (const char *const *a = (const char *const[]){ "restart", "signal",
		"exec", "memory", "cpu", "alert", NULL }; *a; a++)
		assert_true(registry_action_valid(*a));
	assert_false(registry_action_valid("reboot"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_be64_order_is_numeric_order),
		cmocka_unit_test(test_index_keys_sort_by_prefix_then_time),
		cmocka_unit_test(test_incident_roundtrip_v2),
		cmocka_unit_test(test_incident_v1_lacks_new_fields),
		cmocka_unit_test(test_name_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

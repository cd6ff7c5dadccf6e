// SPDX-License-Identifier: BSD-2-Clause
/* test_reg_validate.c - every write is validated: an invalid strategy,
 * incident or outcome is rejected with a message naming what is wrong and
 * nothing at all is written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "registry.h"

struct fx {
	char dir[64];
	struct hms_registry *reg;
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/hms-reg-val-XXXXXX");
	if (!mkdtemp(fx->dir) || registry_open(fx->dir, &fx->reg))
		return -1;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	registry_close(fx->reg);
	harness_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void nothing_written(struct fx *fx)
{
	struct registry_stats st;

	assert_int_equal(registry_get_stats(fx->reg, &st), 0);
	assert_int_equal(st.incidents, 0);
	assert_int_equal(st.outcomes, 0);
	assert_int_equal(st.strategies, 0);
	assert_int_equal(st.evidence, 0);
}

static struct registry_strategy good(void)
{
	struct registry_strategy s = { .name = "more-memory", .failure = "oom",
		.actions = "[{\"memory\":{\"factor\":1.5,\"max_mb\":4096}},{\"restart\":{}}]",
		.params = "{\"factor\":1.5}",
		.bounds = "{\"factor\":[1.1,4],\"max_mb\":[64,65536]}" };

	return s;
}

static void expect_rejected(struct fx *fx, struct registry_strategy *s,
			    int err, const char *needle)
{
	assert_int_equal(registry_put_strategy(fx->reg, s), err);
	if (!strstr(registry_last_error(fx->reg), needle))
		fail_msg("message '%s' lacks '%s'", registry_last_error(fx->reg),
			 needle);
	nothing_written(fx);
}

static void test_strategy_rejections(void **state)
{
	struct fx *fx = *state;
	struct registry_strategy s;

	s = good(); strcpy(s.name, "bad name");
	expect_rejected(fx, &s, -EINVAL, "name 'bad name'");
	s = good(); strcpy(s.failure, "segfault");
	expect_rejected(fx, &s, -EINVAL, "unknown class 'segfault'");
	s = good(); strcpy(s.actions, "[{\"reboot\":{}}]");
	expect_rejected(fx, &s, -EINVAL, "actions[0]: unknown action kind 'reboot'");
	s = good(); strcpy(s.actions, "[]");
	expect_rejected(fx, &s, -EINVAL, "non-empty");
	s = good(); strcpy(s.actions, "[{\"restart\":{}, \"alert\":{}}]");
	expect_rejected(fx, &s, -EINVAL, "actions[0]");
	s = good(); strcpy(s.actions, "[{\"memory\":{\"factor\":9}}]");
	expect_rejected(fx, &s, -ERANGE, "factor: 9 is outside bounds [1.1, 4]");
	s = good(); strcpy(s.params, "{\"factor\":0.5}");
	expect_rejected(fx, &s, -ERANGE, "factor: 0.5 is outside");
	s = good(); strcpy(s.params, "{\"factor\":[1]}");
	expect_rejected(fx, &s, -EINVAL, "factor: expected a number");
	s = good(); strcpy(s.bounds, "{\"factor\":[4,1]}");
	expect_rejected(fx, &s, -ERANGE, "min 4 > max 1");
	s = good(); strcpy(s.bounds, "{\"factor\":\"big\"}");
	expect_rejected(fx, &s, -EINVAL, "expected [min, max]");
	s = good(); strcpy(s.params, "{\"factor\":");
	expect_rejected(fx, &s, -EINVAL, "params: expected a JSON object");
	s = good(); memset(s.name, 'a', sizeof(s.name));
	expect_rejected(fx, &s, -EINVAL, "not terminated");
}

static void test_strategy_accepted_and_read_back(void **state)
{
	struct fx *fx = *state;
	struct registry_strategy s = good(), out;

	assert_int_equal(registry_put_strategy(fx->reg, &s), 0);
	assert_int_equal(registry_get_strategy(fx->reg, "more-memory", &out), 0);
	assert_string_equal(out.failure, "oom");
	assert_string_equal(out.bounds, "{\"factor\":[1.1,4],\"max_mb\":[64,65536]}");
	assert_non_null(strstr(out.actions, "\"memory\""));
	assert_int_equal(registry_get_strategy(fx->reg, "nope", &out), -ENOENT);
	/* a signal given as a scalar, as in the config, is fine */
	strcpy(s.name, "reload");
	strcpy(s.actions, "[{\"signal\":\"HUP\"}]");
	s.params[0] = s.bounds[0] = 0;
	assert_int_equal(registry_put_strategy(fx->reg, &s), 0);
}

static struct registry_incident incident(void)
{
	struct registry_incident in = { .time_ns = 1700000000000000000ull,
		.host = "h", .component = "api", .pid = 10, .comm = "api",
		.failure = "crash", .signal = 11 };

	return in;
}

static void test_incident_rejections(void **state)
{
	struct fx *fx = *state;
	struct registry_incident in;
	uint64_t id = 12345;

	in = incident(); strcpy(in.failure, "explode");
	assert_int_equal(registry_record_incident(fx->reg, &in, &id), -EINVAL);
	assert_non_null(strstr(registry_last_error(fx->reg), "'explode'"));
	in = incident(); strcpy(in.component, "a b");
	assert_int_equal(registry_record_incident(fx->reg, &in, &id), -EINVAL);
	assert_non_null(strstr(registry_last_error(fx->reg), "component 'a b'"));
	in = incident(); in.time_ns = 0;
	assert_int_equal(registry_record_incident(fx->reg, &in, &id), -EINVAL);
	in = incident(); memset(in.comm, 'x', sizeof(in.comm));
	assert_int_equal(registry_record_incident(fx->reg, &in, &id), -EINVAL);
	assert_int_equal(id, 12345);	/* untouched on failure */
	nothing_written(fx);
	in = incident();
	assert_int_equal(registry_record_incident(fx->reg, &in, &id), 0);
	assert_int_equal(id, 1);
	/* an incident without host gets this machine's */
	in.host[0] = 0;
	assert_int_equal(registry_record_incident(fx->reg, &in, &id), 0);
	assert_int_equal(registry_get_incident(fx->reg, 2, &in), 0);
	{
		char host[64] = "";

		gethostname(host, sizeof(host) - 1);
		assert_string_equal(in.host, host);
	}
}

static void test_outcome_rejections(void **state)
{
	struct fx *fx = *state;
	struct registry_strategy s = good();
	struct registry_outcome o = { .time_ns = 1700000000000000000ull,
		.component = "api", .failure = "oom", .strategy = "more-memory",
		.params = "{\"factor\":2}", .success = 1, .recover_ns = 5 };
	struct registry_outcome bad;
	struct registry_stats st;

	assert_int_equal(registry_put_strategy(fx->reg, &s), 0);
	bad = o; strcpy(bad.params, "{\"factor\":8}");
	assert_int_equal(registry_record_outcome(fx->reg, &bad), -ERANGE);
	assert_non_null(strstr(registry_last_error(fx->reg), "outside bounds"));
	bad = o; strcpy(bad.failure, "nope");
	assert_int_equal(registry_record_outcome(fx->reg, &bad), -EINVAL);
	bad = o; strcpy(bad.strategy, "no/slash");
	assert_int_equal(registry_record_outcome(fx->reg, &bad), -EINVAL);
	bad = o; bad.incident_id = 99;
	assert_int_equal(registry_record_outcome(fx->reg, &bad), -ENOENT);
	assert_non_null(strstr(registry_last_error(fx->reg), "incident 99"));
	bad = o; strcpy(bad.params, "not json");
	assert_int_equal(registry_record_outcome(fx->reg, &bad), -EINVAL);
	assert_int_equal(registry_get_stats(fx->reg, &st), 0);
	assert_int_equal(st.outcomes, 0);
	assert_int_equal(st.evidence, 0);
	assert_int_equal(registry_record_outcome(fx->reg, &o), 0);
	assert_int_equal(registry_get_stats(fx->reg, &st), 0);
	assert_int_equal(st.outcomes, 1);
	assert_int_equal(st.evidence, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_strategy_rejections, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_strategy_accepted_and_read_back, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_incident_rejections, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_outcome_rejections, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/* test_names.c - the one names table: every number that crosses a process
 * boundary has exactly one name, names map back to their numbers, and
 * unknown numbers and names are reported as such. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hms_names.h"

typedef const char *(*name_fn)(unsigned int);
typedef int (*from_fn)(const char *);

/* every value 0..max-1 named, distinct, and round-tripping */
static void check_table(name_fn name, from_fn from, unsigned int max)
{
	for (unsigned int i = 0; i < max; i++) {
		const char *n = name(i);

		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		if (from)
			assert_int_equal(from(n), (int)i);
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(n, name(j));
	}
	assert_string_equal(name(max), "unknown");
	assert_string_equal(name(~0u), "unknown");
	if (from) {
		assert_int_equal(from("no-such-name"), -ENOENT);
		assert_int_equal(from(NULL), -ENOENT);
		assert_int_equal(from(""), -ENOENT);
	}
}

static void test_states(void **state)
{
	(void)state;
	check_table(hms_state_name, hms_state_from_name, HEALER_STATE_MAX);
	/* the ABI numbers and the external names documented in events.md */
	assert_string_equal(hms_state_name(HEALER_STARTING), "starting");
	assert_string_equal(hms_state_name(1), "healthy");
	assert_string_equal(hms_state_name(5), "gave_up");
	assert_string_equal(hms_state_name(6), "stopped");
}

static void test_state_severity(void **state)
{
	(void)state;
	/* the order an operator reads: worst first */
	assert_true(hms_state_severity(HEALER_GAVE_UP) >
		    hms_state_severity(HEALER_FAILED));
	assert_true(hms_state_severity(HEALER_FAILED) >
		    hms_state_severity(HEALER_RECOVERING));
	assert_true(hms_state_severity(HEALER_RECOVERING) >
		    hms_state_severity(HEALER_DEGRADED));
	assert_true(hms_state_severity(HEALER_DEGRADED) >
		    hms_state_severity(HEALER_STARTING));
	assert_true(hms_state_severity(HEALER_STARTING) >
		    hms_state_severity(HEALER_HEALTHY));
	assert_int_equal(hms_state_severity(HEALER_STATE_MAX + 3),
			 hms_state_severity(HEALER_FAILED));
}

static void test_action_kinds(void **state)
{
	(void)state;
	check_table(hms_action_kind_name, hms_action_kind_from_name,
		    ACTION_KIND_MAX);
	assert_string_equal(hms_action_kind_name(ACTION_RESTART), "restart");
	assert_string_equal(hms_action_kind_name(ACTION_STOP), "stop");
	assert_string_equal(hms_action_kind_name(ACTION_PLUGIN), "plugin");
	assert_int_equal(hms_action_kind_from_name("plugin"), ACTION_PLUGIN);
	assert_true(ACTION_CHAIN_MAX <= ACTION_KIND_MAX);
	assert_true(hms_action_is_chain(ACTION_RESTART));
	assert_true(hms_action_is_chain(ACTION_PLUGIN));
	assert_true(hms_action_is_chain(ACTION_IO));
	assert_false(hms_action_is_chain(ACTION_START));
	assert_false(hms_action_is_chain(-1));
}

static void test_phases_severities(void **state)
{
	(void)state;
	check_table(hms_action_phase_name, NULL, ACTION_PHASE_MAX);
	assert_string_equal(hms_action_phase_name(ACTION_PHASE_SKIPPED),
			    "skipped");
	check_table(hms_severity_name, hms_severity_from_name,
		    ALERT_SEVERITY_MAX);
	assert_string_equal(hms_severity_name(ALERT_CRITICAL), "critical");
}

static void test_failures(void **state)
{
	(void)state;
	check_table(hms_failure_name, hms_failure_from_name, FAIL_MAX);
	assert_string_equal(hms_failure_name(FAIL_CRASH_LOOP), "crash_loop");
}

static void test_event_types(void **state)
{
	unsigned int named = 0;

	(void)state;
	for (unsigned int t = 0; t < HMS_EV_TYPE_MAX; t++) {
		const char *n = hms_event_type_name(t);

		if (!n)
			continue;
		named++;
		assert_int_equal(hms_event_type_from_name(n), (int)t);
	}
	/* every type of enum hms_event_type, and nothing for NONE */
	assert_int_equal(named, 20);
	assert_string_equal(hms_event_type_name(HMS_EV_REGISTRY), "registry");
	assert_string_equal(hms_registry_state_name(HMS_REGISTRY_UP), "up");
	assert_string_equal(hms_registry_state_name(HMS_REGISTRY_DEGRADED),
			    "degraded");
	assert_null(hms_event_type_name(HMS_EV_NONE));
	assert_null(hms_event_type_name(HMS_EV_TYPE_MAX));
	assert_string_equal(hms_event_type_name(HMS_EV_STRATEGY),
			    "strategy_chosen");
	assert_int_equal(hms_event_type_from_name("nope"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_state_severity),
		cmocka_unit_test(test_action_kinds),
		cmocka_unit_test(test_phases_severities),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_event_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

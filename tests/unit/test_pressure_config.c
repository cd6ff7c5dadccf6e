// SPDX-License-Identifier: BSD-2-Clause
/* test_pressure_config.c - the pressure keys of the configuration (values,
 * defaults, the failure classes and their names), the kernel's trigger
 * window rule reported with its line and column, the cpu action's
 * scheduling keys, and PSI triggers on the host's /proc/pressure (no root
 * needed: unprivileged triggers with a 2 s window are allowed); the
 * memory action's high_ratio, the io action, the host triggers and the
 * tuning bound with their errors; memory.high and io.weight written in a
 * directory laid out like a cgroup v2 with those controllers (this host's
 * v2 has neither: test_psi_daemon checks the error there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "actions.h"
#include "config.h"
#include "harness.h"
#include "loop.h"
#include "pressure.h"
#include "registry.h"

static int load(const char *yaml, struct hms_config **cfg, char **errs)
{
	size_t len = 0;
	FILE *f = open_memstream(errs, &len);
	int ret;

	assert_non_null(f);
	ret = config_load_string("hms.yaml", yaml, strlen(yaml), cfg, f);
	fclose(f);
	return ret;
}

static void test_values(void **state)
{
	static const char yaml[] =
		"version: 1\n"
		"daemon: {cgroup_parent: hms.slice/apps}\n"
		"strategies:\n"
		"  calm: [{cpu: {rt_priority: 5}}, {cpu: {nice: -5, "
		"slice_us: 200}}]\n"
		"components:\n"
		"  - name: api\n"
		"    command: [/bin/true]\n"
		"    pressure:\n"
		"      memory: {full: 100ms, window: 2s}\n"
		"      cpu: {some: 1.5s, window: 4s}\n"
		"      io: {some: 500000us}\n"
		"    on: {mem_pressure: [alert], cpu_pressure: [calm],\n"
		"         io_pressure: [restart]}\n";
	struct hms_config *cfg = NULL;
	const struct cfg_component *cc;
	const struct cfg_strategy *st;
	char *errs = NULL;

	(void)state;
	if (load(yaml, &cfg, &errs))
		fail_msg("rejected:\n%s", errs);
	free(errs);
	assert_string_equal(cfg->daemon.cgroup_parent, "hms.slice/apps");
	cc = config_component(cfg, "api");
	assert_non_null(cc);
	assert_true(cc->pressure[PRESSURE_MEMORY].set);
	assert_true(cc->pressure[PRESSURE_MEMORY].full);
	assert_int_equal(cc->pressure[PRESSURE_MEMORY].stall_us, 100000);
	assert_int_equal(cc->pressure[PRESSURE_MEMORY].window_us, 2000000);
	assert_false(cc->pressure[PRESSURE_CPU].full);
	assert_int_equal(cc->pressure[PRESSURE_CPU].stall_us, 1500000);
	assert_int_equal(cc->pressure[PRESSURE_CPU].window_us, 4000000);
	/* the window defaults to 2 s, the smallest everyone may use */
	assert_int_equal(cc->pressure[PRESSURE_IO].stall_us, 500000);
	assert_int_equal(cc->pressure[PRESSURE_IO].window_us, 2000000);
	assert_int_equal(cc->n_on[FAIL_MEM_PRESSURE], 1);
	assert_int_equal(cc->n_on[FAIL_CPU_PRESSURE], 1);
	assert_int_equal(cc->n_on[FAIL_IO_PRESSURE], 1);
	st = &cfg->strategies[cc->on[FAIL_CPU_PRESSURE][0]];
	assert_int_equal(st->n_actions, 2);
	assert_int_equal(st->actions[0].rt_priority, 5);
	assert_int_equal(st->actions[1].nice, -5);
	assert_int_equal(st->actions[1].slice_us, 200);
	config_free(cfg);
}

static void test_defaults_and_names(void **state)
{
	struct hms_config *cfg = NULL;
	char *errs = NULL;

	(void)state;
	assert_int_equal(load("version: 1\n", &cfg, &errs), 0);
	free(errs);
	assert_string_equal(cfg->daemon.cgroup_parent, "hms.slice");
	config_free(cfg);
	assert_int_equal(config_failure_from_name("mem_pressure"),
			 FAIL_MEM_PRESSURE);
	assert_int_equal(config_failure_from_name("cpu_pressure"),
			 FAIL_CPU_PRESSURE);
	assert_int_equal(config_failure_from_name("io_pressure"),
			 FAIL_IO_PRESSURE);
	assert_string_equal(config_failure_name(FAIL_IO_PRESSURE),
			    "io_pressure");
	/* the earlier classes keep their numbers */
	assert_int_equal(config_failure_from_name("missing"), FAIL_MISSING);
	assert_int_equal(FAIL_MEM_PRESSURE, FAIL_MISSING + 1);
	assert_true(registry_failure_valid("mem_pressure"));
	assert_true(registry_failure_valid("io_pressure"));
	assert_string_equal(pressure_resource_name(PRESSURE_IO), "io");
}

/* Without CAP_SYS_RESOURCE the kernel refuses windows that are not a
 * multiple of 2 s: the config says so at the window's position. */
static void test_window_rule(void **state)
{
	static const char yaml[] =
		"version: 1\n"
		"components:\n"
		"  - name: api\n"
		"    command: [/bin/true]\n"
		"    pressure:\n"
		"      memory: {full: 100ms, window: 1s}\n";
	struct hms_config *cfg = NULL;
	char *errs = NULL, why[160];
	int ret;

	(void)state;
	assert_int_equal(pressure_check(100000, 1000000, false, why,
					sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "multiple of 2s"));
	assert_int_equal(pressure_check(100000, 1000000, true, why,
					sizeof(why)), 0);
	assert_int_equal(pressure_check(100000, 4000000, false, why,
					sizeof(why)), 0);
	assert_int_equal(pressure_check(100000, 400000, true, why,
					sizeof(why)), -EINVAL);
	assert_int_equal(pressure_check(0, 2000000, true, why, sizeof(why)),
			 -EINVAL);
	ret = load(yaml, &cfg, &errs);
	if (pressure_privileged()) {
		assert_int_equal(ret, 0);	/* allowed with the capability */
	} else {
		assert_int_equal(ret, -EINVAL);
		assert_non_null(strstr(errs, "hms.yaml:6:37: components[0]."
				       "pressure.memory.window: window must "
				       "be a multiple of 2s"));
	}
	free(errs);
	config_free(cfg);
}

static int fired;

static void on_fire(struct pressure_trigger *t, bool gone, void *arg)
{
	(void)t;
	(void)gone;
	(void)arg;
	fired++;
}

static void test_host_trigger(void **state)
{
	struct hms_loop *loop = NULL;
	struct pressure_trigger *t = NULL;
	double avg = -1;
	uint64_t total = 0;

	(void)state;
	if (access("/proc/pressure/cpu", R_OK))
		skip();
	assert_int_equal(pressure_read(NULL, PRESSURE_CPU, false, &avg,
				       &total), 0);
	assert_true(avg >= 0 && avg <= 100);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(pressure_trigger_new(loop, NULL, PRESSURE_CPU, false,
					      500000, 2000000, on_fire, NULL,
					      &t), 0);
	assert_true(pressure_trigger_alive(t));
	loop_run_once(loop, 10);
	pressure_trigger_free(t);
	/* a cgroup that does not exist */
	assert_int_equal(pressure_trigger_new(loop, "/nonexistent/cg",
					      PRESSURE_MEMORY, true, 100000,
					      2000000, on_fire, NULL, &t),
			 -ENOENT);
	loop_free(loop);
}


static void test_new_keys(void **state)
{
	static const char yaml[] =
		"version: 1\n"
		"host:\n"
		"  pressure:\n"
		"    memory: {some: 150ms, window: 2s}\n"
		"    io: {full: 1s, window: 4s}\n"
		"strategies:\n"
		"  early: [{memory: {high_ratio: 0.8}}, {io: {weight: 500}}]\n"
		"  both: [{memory: {factor: 2, high_ratio: 0.9}}]\n"
		"components:\n"
		"  - name: api\n"
		"    command: [/bin/true]\n"
		"    pressure:\n"
		"      memory: {some: 20ms, window: 2s, max: 200ms}\n"
		"    on: {mem_pressure: [early, both]}\n";
	struct hms_config *cfg = NULL;
	const struct cfg_strategy *st;
	const struct cfg_component *cc;
	char *errs = NULL;

	(void)state;
	if (load(yaml, &cfg, &errs))
		fail_msg("rejected:\n%s", errs);
	free(errs);
	assert_true(cfg->host.pressure[PRESSURE_MEMORY].set);
	assert_false(cfg->host.pressure[PRESSURE_MEMORY].full);
	assert_int_equal(cfg->host.pressure[PRESSURE_MEMORY].stall_us, 150000);
	assert_true(cfg->host.pressure[PRESSURE_IO].full);
	assert_false(cfg->host.pressure[PRESSURE_CPU].set);
	st = &cfg->strategies[config_strategy_index(cfg, "early")];
	assert_int_equal(st->actions[0].kind, ACTION_MEMORY);
	assert_true(st->actions[0].high_ratio == 0.8);
	assert_true(st->actions[0].factor == 1.0);	/* no raise */
	assert_int_equal(st->actions[1].kind, ACTION_IO);
	assert_int_equal(st->actions[1].io_weight, 500);
	st = &cfg->strategies[config_strategy_index(cfg, "both")];
	assert_true(st->actions[0].factor == 2.0);
	assert_true(st->actions[0].high_ratio == 0.9);
	cc = config_component(cfg, "api");
	assert_int_equal(cc->pressure[PRESSURE_MEMORY].max_us, 200000);
	assert_string_equal(hms_action_kind_name(ACTION_IO), "io");
	assert_true(hms_action_is_chain(ACTION_IO));
	assert_false(hms_action_is_chain(ACTION_START));
	assert_true(registry_action_valid("io"));
	config_free(cfg);
}

static void bad(const char *yaml, const char *want)
{
	struct hms_config *cfg = NULL;
	char *errs = NULL;

	assert_int_equal(load(yaml, &cfg, &errs), -EINVAL);
	if (!strstr(errs, want))
		fail_msg("expected '%s' in:\n%s", want, errs);
	free(errs);
	config_free(cfg);
}

static void test_new_keys_errors(void **state)
{
	(void)state;
	bad("strategies:\n  s: [{memory: {high_ratio: 1.5}}]\n",
	    "hms.yaml:2:29: strategies.s[0].memory.high_ratio: out of range");
	bad("strategies:\n  s: [{io: {}}]\n",
	    "hms.yaml:2:8: strategies.s[0].io: missing key 'weight'");
	bad("strategies:\n  s: [{io: {weight: 0}}]\n",
	    "hms.yaml:2:21: strategies.s[0].io.weight: out of range");
	bad("strategies:\n  s: [{io: {weight: 10, class: rt}}]\n",
	    "hms.yaml:2:25: strategies.s[0].io.class: unknown key");
	bad("host:\n  pressure:\n    memory: {some: 150ms, window: 20s}\n",
	    "hms.yaml:3:35: host.pressure.memory.window: window must be "
	    "500ms..10s");
	bad("host:\n  pressure:\n    disk: {some: 150ms}\n",
	    "hms.yaml:3:5: host.pressure.disk: unknown resource 'disk'");
	bad("host:\n  psi: {}\n", "hms.yaml:2:3: host.psi: unknown key");
	bad("components:\n  - name: a\n    command: [/bin/true]\n"
	    "    pressure: {cpu: {some: 50ms, window: 2s, max: 10ms}}\n",
	    "hms.yaml:4:51: components[0].pressure.cpu.max: the tuning bound "
	    "must be at least the stall threshold");
}

static void write_at(const char *dir, const char *name, const char *val)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, val, strlen(val)), (int)strlen(val));
	close(fd);
}

/* The writes themselves, in a directory laid out as a cgroup v2 with the
 * memory and io controllers (plain files: what is written is read back). */
static void test_cgroup_writes(void **state)
{
	char dir[64], *text, path[600];
	uint64_t high = 0, max = 0;
	const char *where = NULL;

	(void)state;
	strcpy(dir, "/tmp/hms-psi-cg-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* no memory.max: no memory controller there */
	assert_int_equal(actions_memory_high(dir, 0.8, &high, &max),
			 -EOPNOTSUPP);
	assert_int_equal(actions_io_weight(0, dir, 300, &where), -EOPNOTSUPP);
	assert_string_equal(where, "");
	write_at(dir, "memory.max", "max\n");
	assert_int_equal(actions_memory_high(dir, 0.8, &high, &max),
			 -EALREADY);
	write_at(dir, "memory.max", "134217728\n");
	write_at(dir, "memory.high", "max\n");
	assert_int_equal(actions_memory_high(dir, 0.8, &high, &max), 0);
	assert_int_equal(max, 134217728);
	assert_int_equal(high, 107372544);	/* 0.8 x, page aligned */
	snprintf(path, sizeof(path), "%s/memory.high", dir);
	text = harness_slurp(path);
	assert_string_equal(text, "107372544");
	free(text);
	assert_int_equal(actions_memory_high(dir, 1.5, &high, &max), -EINVAL);
	write_at(dir, "io.weight", "default 100");
	assert_int_equal(actions_io_weight(0, dir, 300, &where), 0);
	assert_string_equal(where, "io.weight");
	snprintf(path, sizeof(path), "%s/io.weight", dir);
	text = harness_slurp(path);
	assert_string_equal(text, "default 300");
	free(text);
	harness_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_defaults_and_names),
		cmocka_unit_test(test_window_rule),
		cmocka_unit_test(test_host_trigger),
		cmocka_unit_test(test_new_keys),
		cmocka_unit_test(test_new_keys_errors),
		cmocka_unit_test(test_cgroup_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

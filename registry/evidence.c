// SPDX-License-Identifier: BSD-2-Clause
/* evidence.c - the JSON form of one evidence record (what was learned for
 * a component, failure class and strategy), shared by the store, the
 * fleet family and export/import.  Decoding checks every field and
 * bounds every number (counts, times, detector state), so a hostile or
 * corrupt row is refused with the item and field named, and nothing read
 * back can overflow the arithmetic that learning does on it. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "internal.h"

/* fleet = 1: the portable part only (what an export carries). */
json_t *reg_ev_json(const struct reg_ev *e, int fleet)
{
	json_t *rec = json_array(), *j;
	int i;

	for (i = 0; i < e->nrec; i++)
		json_array_append_new(rec, json_real(
			e->rec_ms[(e->rec_head + i) % REG_REC_MAX]));
	j = json_pack("{s:i, s:s, s:s, s:s, s:f, s:f, s:I, s:I, s:o}",
		      "v", REGISTRY_SCHEMA_VERSION,
		      "component", e->component, "failure", e->failure,
		      "strategy", e->strategy, "successes", e->s,
		      "failures", e->f, "t_ref_ns", (json_int_t)e->t_ref,
		      "n_outcomes", (json_int_t)e->n, "recover_ms", rec);
	if (!j || fleet)
		return j;
	json_object_set_new(j, "k_ref", json_integer((json_int_t)e->k_ref));
	json_object_set_new(j, "cusum", json_real(e->cusum));
	json_object_set_new(j, "run", json_pack("[f, f]", (double)e->run_s,
						(double)e->run_f));
	json_object_set_new(j, "changes", json_integer(e->changes));
	json_object_set_new(j, "trials", json_integer((json_int_t)e->trials));
	json_object_set_new(j, "change_ns", json_integer((json_int_t)e->change_ns));
	return j;
}

static int reg_num_in(struct hms_registry *reg, json_t *v, double max,
		      double *out, const char *where, const char *key)
{
	if (!json_is_number(v))
		return reg_fail(reg, -EINVAL, "%s.%s: expected a number", where,
				key);
	*out = json_number_value(v);
	if (!isfinite(*out) || *out < 0 || *out > max)
		return reg_fail(reg, -ERANGE,
				"%s.%s: %g is out of range [0, %g]", where, key,
				*out, max);
	return 0;
}

static int reg_num(struct hms_registry *reg, json_t *j, const char *key,
		   double max, double *out, const char *where)
{
	return reg_num_in(reg, json_object_get(j, key), max, out, where, key);
}

static int reg_int(struct hms_registry *reg, json_t *j, const char *key,
		   uint64_t max, int optional, uint64_t *out, const char *where)
{
	json_t *v = json_object_get(j, key);

	if (!v && optional) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return reg_fail(reg, -EINVAL, "%s.%s: expected an integer",
				where, key);
	if (json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return reg_fail(reg, -ERANGE, "%s.%s: %lld is out of range [0, %llu]",
				where, key, (long long)json_integer_value(v),
				(unsigned long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int reg_name(struct hms_registry *reg, json_t *j, const char *key,
		    char *dst, size_t cap, const char *where)
{
	json_t *v = json_object_get(j, key);
	const char *s = json_string_value(v);

	if (!json_is_string(v))
		return reg_fail(reg, -EINVAL, "%s.%s: expected a string", where,
				key);
	if (!strcmp(key, "failure") ? !registry_failure_valid(s)
				    : !registry_name_valid(s))
		return reg_fail(reg, -EINVAL, "%s.%s: not a valid %s", where,
				key, strcmp(key, "failure") ? "name"
							    : "failure class");
	return reg_copy(dst, cap, s);
}

static int reg_ev_detector_from_json(struct hms_registry *reg, json_t *j,
				     struct reg_ev *e, const char *where)
{
	json_t *run = json_object_get(j, "run");
	uint64_t ch = 0;
	double a = 0, b = 0;
	int err;

	err = reg_int(reg, j, "k_ref", REG_N_MAX, 1, &e->k_ref, where);
	err = err ?: reg_int(reg, j, "trials", REG_N_MAX, 1, &e->trials, where);
	err = err ?: reg_int(reg, j, "changes", UINT32_MAX, 1, &ch, where);
	err = err ?: reg_int(reg, j, "change_ns", REG_T_MAX, 1, &e->change_ns, where);
	if (!err && json_object_get(j, "cusum"))
		err = reg_num(reg, j, "cusum", 1e3, &e->cusum, where);
	if (!err && run) {
		if (!json_is_array(run) || json_array_size(run) != 2)
			return reg_fail(reg, -EINVAL, "%s.run: expected [s, f]",
					where);
		err = reg_num_in(reg, json_array_get(run, 0), REG_COUNT_MAX,
				 &a, where, "run[0]");
		err = err ?: reg_num_in(reg, json_array_get(run, 1),
					REG_COUNT_MAX, &b, where, "run[1]");
	}
	e->run_s = a;
	e->run_f = b;
	e->changes = ch;
	return err;
}

int reg_ev_from_json(struct hms_registry *reg, json_t *j, struct reg_ev *e,
		     const char *where)
{
	json_t *v, *rec;
	size_t i, nrec, skip;
	double ms;
	int err;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(j))
		return reg_fail(reg, -EINVAL, "%s: expected an object", where);
	v = json_object_get(j, "v");
	if (v && (!json_is_integer(v) ||
		  json_integer_value(v) > REGISTRY_SCHEMA_VERSION))
		return reg_fail(reg, -EPROTO, "%s.v: unsupported schema version",
				where);
	err = reg_name(reg, j, "component", e->component, sizeof(e->component), where);
	err = err ?: reg_name(reg, j, "failure", e->failure, sizeof(e->failure), where);
	err = err ?: reg_name(reg, j, "strategy", e->strategy, sizeof(e->strategy), where);
	err = err ?: reg_num(reg, j, "successes", REG_COUNT_MAX, &e->s, where);
	err = err ?: reg_num(reg, j, "failures", REG_COUNT_MAX, &e->f, where);
	err = err ?: reg_int(reg, j, "t_ref_ns", REG_T_MAX, 0, &e->t_ref, where);
	err = err ?: reg_int(reg, j, "n_outcomes", REG_N_MAX, 0, &e->n, where);
	err = err ?: reg_ev_detector_from_json(reg, j, e, where);
	if (err)
		return err;
	rec = json_object_get(j, "recover_ms");
	if (!json_is_array(rec) || json_array_size(rec) > 64)
		return reg_fail(reg, -EINVAL,
				"%s.recover_ms: expected an array of at most 64 numbers",
				where);
	nrec = json_array_size(rec);
	skip = nrec > REG_REC_MAX ? nrec - REG_REC_MAX : 0;
	json_array_foreach(rec, i, v) {
		char key[48];

		snprintf(key, sizeof(key), "recover_ms[%zu]", i);
		err = reg_num_in(reg, v, REG_MS_MAX, &ms, where, key);
		if (err)
			return err;
		if (i >= skip)
			e->rec_ms[e->nrec++] = ms;
	}
	return 0;
}

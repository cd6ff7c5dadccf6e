/* evidence.c - the JSON form of one evidence record (what was learned for
 * a component, failure class and strategy), shared by the store and by
 * export/import.  Decoding checks every field, so a bad import names the
 * item and field that is wrong. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "internal.h"

static json_t *reg_tune_json(const struct reg_tune *t)
{
	json_t *vals = json_array();
	int i;

	for (i = 0; i < t->nvals; i++) {
		const struct reg_tune_val *v = &t->vals[i];

		json_array_append_new(vals, json_pack("[o, f, f]",
			t->is_str ? json_string(v->str) : json_real(v->num),
			v->ok, v->fail));
	}
	return json_pack("{s:s, s:o}", "type", t->is_str ? "string" : "number",
			 "values", vals);
}

json_t *reg_ev_json(const struct reg_ev *e)
{
	json_t *rec = json_array(), *tune = json_object();
	int i;

	for (i = 0; i < e->nrec; i++)
		json_array_append_new(rec, json_real(e->rec_ms[i]));
	for (i = 0; i < e->ntune; i++)
		json_object_set_new(tune, e->tune[i].name,
				    reg_tune_json(&e->tune[i]));
	return json_pack("{s:i, s:s, s:s, s:s, s:f, s:f, s:I, s:I, s:o, s:o}",
			 "v", REGISTRY_SCHEMA_VERSION,
			 "component", e->component, "failure", e->failure,
			 "strategy", e->strategy, "successes", e->s,
			 "failures", e->f, "t_ref_ns", (json_int_t)e->t_ref,
			 "n_outcomes", (json_int_t)e->n, "recover_ms", rec,
			 "tune", tune);
}

static int reg_num(struct hms_registry *reg, json_t *j, const char *key,
		   double *out, const char *where)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_number(v))
		return reg_fail(reg, -EINVAL, "%s.%s: expected a number", where,
				key);
	*out = json_number_value(v);
	if (!isfinite(*out) || *out < 0)
		return reg_fail(reg, -ERANGE,
				"%s.%s: %g is out of range (must be >= 0)",
				where, key, *out);
	return 0;
}

static int reg_int(struct hms_registry *reg, json_t *j, const char *key,
		   uint64_t *out, const char *where)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		return reg_fail(reg, -EINVAL, "%s.%s: expected an integer",
				where, key);
	if (json_integer_value(v) < 0)
		return reg_fail(reg, -ERANGE, "%s.%s: must be >= 0", where,
				key);
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
		return reg_fail(reg, -EINVAL, "%s.%s: '%s' is not a valid %s",
				where, key, s,
				strcmp(key, "failure") ? "name" : "failure class");
	return reg_copy(dst, cap, s);
}

static int reg_tune_from_json(struct hms_registry *reg, json_t *j,
			      struct reg_tune *t, const char *where)
{
	json_t *type = json_object_get(j, "type");
	json_t *vals = json_object_get(j, "values"), *item;
	size_t i;

	if (!json_is_string(type) || (strcmp(json_string_value(type), "number") &&
				      strcmp(json_string_value(type), "string")))
		return reg_fail(reg, -EINVAL,
				"%s.type: expected \"number\" or \"string\"",
				where);
	t->is_str = !strcmp(json_string_value(type), "string");
	if (!json_is_array(vals) || json_array_size(vals) > REG_TUNE_VALS)
		return reg_fail(reg, -EINVAL,
				"%s.values: expected an array of at most %d",
				where, REG_TUNE_VALS);
	json_array_foreach(vals, i, item) {
		struct reg_tune_val *v = &t->vals[i];
		json_t *x = json_array_get(item, 0);
		json_t *ok = json_array_get(item, 1), *fl = json_array_get(item, 2);

		if (!json_is_array(item) || json_array_size(item) != 3 ||
		    (t->is_str ? !json_is_string(x) : !json_is_number(x)) ||
		    !json_is_number(ok) || !json_is_number(fl) ||
		    (t->is_str && reg_copy(v->str, sizeof(v->str),
					   json_string_value(x))))
			return reg_fail(reg, -EINVAL,
					"%s.values[%zu]: expected [value, ok, fail]",
					where, i);
		v->num = t->is_str ? 0 : json_number_value(x);
		v->ok = json_number_value(ok);
		v->fail = json_number_value(fl);
		if (v->ok < 0 || v->fail < 0 || !isfinite(v->num) ||
		    !isfinite(v->ok) || !isfinite(v->fail))
			return reg_fail(reg, -ERANGE,
					"%s.values[%zu]: counts must be >= 0",
					where, i);
	}
	t->nvals = i;
	return 0;
}

int reg_ev_from_json(struct hms_registry *reg, json_t *j, struct reg_ev *e,
		     const char *where)
{
	json_t *v, *rec, *tune, *t;
	const char *key;
	char at[256];
	size_t i;
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
	err = err ?: reg_num(reg, j, "successes", &e->s, where);
	err = err ?: reg_num(reg, j, "failures", &e->f, where);
	err = err ?: reg_int(reg, j, "t_ref_ns", &e->t_ref, where);
	err = err ?: reg_int(reg, j, "n_outcomes", &e->n, where);
	if (err)
		return err;
	rec = json_object_get(j, "recover_ms");
	if (!json_is_array(rec) || json_array_size(rec) > REG_REC_MAX)
		return reg_fail(reg, -EINVAL,
				"%s.recover_ms: expected an array of at most %d numbers",
				where, REG_REC_MAX);
	json_array_foreach(rec, i, v) {
		e->rec_ms[i] = json_number_value(v);
		if (!json_is_number(v) || !isfinite(e->rec_ms[i]) ||
		    e->rec_ms[i] < 0)
			return reg_fail(reg, -ERANGE,
					"%s.recover_ms[%zu]: expected a number >= 0",
					where, i);
	}
	e->nrec = i;
	tune = json_object_get(j, "tune");
	if (tune && (!json_is_object(tune) ||
		     json_object_size(tune) > REG_TUNE_KEYS))
		return reg_fail(reg, -EINVAL,
				"%s.tune: expected an object of at most %d",
				where, REG_TUNE_KEYS);
	json_object_foreach(tune, key, t) {
		struct reg_tune *tt = &e->tune[e->ntune++];

		snprintf(at, sizeof(at), "%s.tune.%s", where, key);
		if (reg_copy(tt->name, sizeof(tt->name), key))
			return reg_fail(reg, -EINVAL, "%s: name too long", at);
		err = reg_tune_from_json(reg, t, tt, at);
		if (err)
			return err;
	}
	return 0;
}

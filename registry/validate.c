// SPDX-License-Identifier: BSD-2-Clause
/* validate.c - the checks every strategy and outcome passes before it is
 * written or imported: known action kinds, parameters that are scalars,
 * bounds that are [min, max], numbers within their bounds.  Messages name
 * the item and the field ("strategy 'x': actions[1].memory.factor: ..."). */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "internal.h"

/* Is number v (named key) inside bounds?  bounds may be NULL. */
static int reg_check_bound(struct hms_registry *reg, json_t *bounds,
			   const char *key, double v, const char *where)
{
	json_t *b = bounds ? json_object_get(bounds, key) : NULL;
	double lo, hi;

	if (!isfinite(v))
		return reg_fail(reg, -EINVAL, "%s.%s: not a finite number",
				where, key);
	if (!b)
		return 0;
	lo = json_number_value(json_array_get(b, 0));
	hi = json_number_value(json_array_get(b, 1));
	if (v < lo || v > hi)
		return reg_fail(reg, -ERANGE,
				"%s.%s: %g is outside bounds [%g, %g]", where,
				key, v, lo, hi);
	return 0;
}

/* Every member of obj: scalar; numbers within bounds. */
static int reg_check_params(struct hms_registry *reg, json_t *obj,
			    json_t *bounds, const char *where)
{
	const char *key;
	json_t *v;
	int err;

	json_object_foreach(obj, key, v) {
		if (json_is_number(v)) {
			err = reg_check_bound(reg, bounds, key,
					      json_number_value(v), where);
			if (err)
				return err;
		} else if (!json_is_string(v) && !json_is_boolean(v)) {
			return reg_fail(reg, -EINVAL,
					"%s.%s: expected a number, string or boolean",
					where, key);
		}
	}
	return 0;
}

static int reg_check_bounds(struct hms_registry *reg, json_t *bounds,
			    const char *where)
{
	const char *key;
	json_t *b;

	json_object_foreach(bounds, key, b) {
		json_t *lo = json_array_get(b, 0), *hi = json_array_get(b, 1);

		if (!json_is_array(b) || json_array_size(b) != 2 ||
		    !json_is_number(lo) || !json_is_number(hi))
			return reg_fail(reg, -EINVAL,
					"%s: bounds.%s: expected [min, max]",
					where, key);
		if (json_number_value(lo) > json_number_value(hi))
			return reg_fail(reg, -ERANGE,
					"%s: bounds.%s: min %g > max %g", where,
					key, json_number_value(lo),
					json_number_value(hi));
	}
	return 0;
}

static json_t *reg_parse_obj(struct hms_registry *reg, const char *text,
			     const char *where, const char *field, int *err)
{
	json_error_t je;
	json_t *j;

	*err = 0;
	if (!text[0])
		return json_object();
	j = json_loads(text, 0, &je);
	if (!json_is_object(j)) {
		*err = reg_fail(reg, -EINVAL, "%s: %s: expected a JSON object%s%s",
				where, field, j ? "" : ": ", j ? "" : je.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

static int reg_check_actions(struct hms_registry *reg, const char *text,
			     json_t *bounds, const char *where)
{
	json_t *a = json_loads(text, 0, NULL), *item, *v;
	const char *kind;
	char at[600];
	size_t i;
	int err = 0;

	if (!json_is_array(a) || !json_array_size(a)) {
		err = reg_fail(reg, -EINVAL,
			       "%s: actions: expected a non-empty JSON array",
			       where);
		goto cleanup;
	}
	json_array_foreach(a, i, item) {
		snprintf(at, sizeof(at), "%s: actions[%zu]", where, i);
		if (!json_is_object(item) || json_object_size(item) != 1) {
			err = reg_fail(reg, -EINVAL,
				       "%s: expected {kind: params}", at);
			goto cleanup;
		}
		json_object_foreach(item, kind, v) {
			if (!registry_action_valid(kind)) {
				err = reg_fail(reg, -EINVAL,
					       "%s: unknown action kind '%s'",
					       at, kind);
				goto cleanup;
			}
			if (json_is_object(v)) {
				char in[640];

				snprintf(in, sizeof(in), "%s.%s", at, kind);
				err = reg_check_params(reg, v, bounds, in);
			}
			else if (json_is_array(v) || json_is_null(v))
				err = reg_fail(reg, -EINVAL,
					       "%s.%s: expected an object or a scalar",
					       at, kind);
			if (err)
				goto cleanup;
		}
	}
cleanup:
	json_decref(a);
	return err;
}

int reg_strategy_validate(struct hms_registry *reg,
			  const struct registry_strategy *s, const char *where)
{
	json_t *params = NULL, *bounds = NULL;
	char at[600];
	int err;

	if (!registry_name_valid(s->name))
		return reg_fail(reg, -EINVAL, "%s: name '%s' is not a valid name",
				where, s->name);
	if (s->failure[0] && !registry_failure_valid(s->failure))
		return reg_fail(reg, -EINVAL, "%s: failure: unknown class '%s'",
				where, s->failure);
	bounds = reg_parse_obj(reg, s->bounds, where, "bounds", &err);
	if (err)
		goto cleanup;
	err = reg_check_bounds(reg, bounds, where);
	if (err)
		goto cleanup;
	params = reg_parse_obj(reg, s->params, where, "params", &err);
	if (err)
		goto cleanup;
	snprintf(at, sizeof(at), "%s: params", where);
	err = reg_check_params(reg, params, bounds, at);
	if (err)
		goto cleanup;
	err = reg_check_actions(reg, s->actions, bounds, where);
cleanup:
	json_decref(params);
	json_decref(bounds);
	return err;
}

int reg_params_validate(struct hms_registry *reg, const char *params,
			const char *bounds, const char *where)
{
	json_t *p, *b = NULL;
	int err;

	p = reg_parse_obj(reg, params, where, "params", &err);
	if (err)
		return err;
	char at[600];

	if (bounds && bounds[0])
		b = json_loads(bounds, 0, NULL);
	snprintf(at, sizeof(at), "%s: params", where);
	err = reg_check_params(reg, p, b, at);
	json_decref(p);
	json_decref(b);
	return err;
}

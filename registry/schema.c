// SPDX-License-Identifier: BSD-2-Clause
/* schema.c - how each stored item is laid out.
 *
 * Incidents are the bulk of the store, so they use a compact binary
 * record: a version byte, fixed-width big-endian numbers, then
 * length-prefixed strings.  Version 1 lacked core_dumped, sender_pid and
 * detail.  Strategies, outcomes and evidence are few and are kept as
 * JSON objects carrying "v" (the schema version), readable with any
 * RocksDB tool.  The checks before a write live in validate.c. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "internal.h"
static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	return p + 4;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint8_t *putstr(uint8_t *p, const char *s, size_t field)
{
	size_t n = strnlen(s, field - 1);

	*p++ = n;
	memcpy(p, s, n);
	return p + n;
}

size_t reg_incident_encode(const struct registry_incident *in, uint8_t *buf,
			   size_t cap, int version)
{
	uint8_t *p = buf;

	if (cap < REG_INCIDENT_MAX)
		return 0;
	*p++ = version;
	reg_be64(p, in->time_ns);
	p = put32(p + 8, in->pid);
	p = put32(p, (uint32_t)in->signal);
	p = put32(p, (uint32_t)in->exit_code);
	if (version >= 2) {
		p = put32(p, in->core_dumped);
		p = put32(p, in->sender_pid);
	}
	p = putstr(p, in->host, sizeof(in->host));
	p = putstr(p, in->component, sizeof(in->component));
	p = putstr(p, in->comm, sizeof(in->comm));
	p = putstr(p, in->failure, sizeof(in->failure));
	if (version >= 2)
		p = putstr(p, in->detail, sizeof(in->detail));
	return p - buf;
}

static int getstr(const uint8_t **p, const uint8_t *end, char *dst,
		  size_t field)
{
	size_t n;

	if (*p >= end)
		return -EINVAL;
	n = *(*p)++;
	if (n >= field || *p + n > end)
		return -EINVAL;
	memcpy(dst, *p, n);
	dst[n] = 0;
	*p += n;
	return 0;
}

int reg_incident_decode(const uint8_t *buf, size_t len,
			struct registry_incident *in, int *version)
{
	const uint8_t *p = buf, *end = buf + len;
	int v, err = 0;

	if (len < 1)
		return -EINVAL;
	v = buf[0];
	if (v > REGISTRY_SCHEMA_VERSION)
		return -EPROTO;
	if (v < 1 || len < (size_t)(v >= 2 ? 29 : 21))
		return -EINVAL;
	memset(in, 0, sizeof(*in));
	in->time_ns = reg_get_be64(p + 1);
	p += 9;
	in->pid = get32(p);
	in->signal = (int32_t)get32(p + 4);
	in->exit_code = (int32_t)get32(p + 8);
	p += 12;
	if (v >= 2) {
		in->core_dumped = get32(p);
		in->sender_pid = get32(p + 4);
		p += 8;
	}
	err = err ?: getstr(&p, end, in->host, sizeof(in->host));
	err = err ?: getstr(&p, end, in->component, sizeof(in->component));
	err = err ?: getstr(&p, end, in->comm, sizeof(in->comm));
	err = err ?: getstr(&p, end, in->failure, sizeof(in->failure));
	if (v >= 2)
		err = err ?: getstr(&p, end, in->detail, sizeof(in->detail));
	if (version)
		*version = v;
	return err;
}

char *reg_outcome_encode(const struct registry_outcome *o)
{
	json_t *j, *params = NULL;
	char *s;

	if (o->params[0])
		params = json_loads(o->params, 0, NULL);
	j = json_pack("{s:i, s:I, s:I, s:s, s:s, s:s, s:o, s:b, s:I}",
		      "v", REGISTRY_SCHEMA_VERSION,
		      "incident", (json_int_t)o->incident_id,
		      "time_ns", (json_int_t)o->time_ns,
		      "component", o->component, "failure", o->failure,
		      "strategy", o->strategy,
		      "params", params ? params : json_object(),
		      "success", o->success,
		      "recover_ns", (json_int_t)o->recover_ns);
	if (j && o->unverified)
		json_object_set_new(j, "unverified", json_true());
	if (!j)
		return NULL;
	if (o->trial)	/* a parameter trial: never strategy evidence */
		json_object_set_new(j, "trial", json_true());
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

int reg_outcome_decode(const char *val, size_t len, struct registry_outcome *o)
{
	json_t *j, *params = NULL;
	json_int_t v = 0, inc = 0, t = 0, rec = 0;
	const char *c = "", *f = "", *s = "";
	int ok = 0, unv = 0, err = -EINVAL;
	char *ps;

	j = json_loadb(val, len, 0, NULL);
	if (!j)
		return -EINVAL;
	if (json_unpack(j, "{s:I, s:I, s:I, s:s, s:s, s:s, s?o, s:b, s:I, "
			"s?b}",
			"v", &v, "incident", &inc, "time_ns", &t,
			"component", &c, "failure", &f, "strategy", &s,
			"params", &params, "success", &ok, "recover_ns", &rec,
			"unverified", &unv))
		goto cleanup;
	err = -EPROTO;
	if (v > REGISTRY_SCHEMA_VERSION)
		goto cleanup;
	memset(o, 0, sizeof(*o));
	o->incident_id = inc;
	o->time_ns = t;
	reg_copy(o->component, sizeof(o->component), c);
	reg_copy(o->failure, sizeof(o->failure), f);
	reg_copy(o->strategy, sizeof(o->strategy), s);
	ps = params ? json_dumps(params, JSON_COMPACT) : NULL;
	reg_copy(o->params, sizeof(o->params), ps ? ps : "{}");
	free(ps);
	o->success = ok && !unv;
	o->unverified = unv;
	o->recover_ns = rec;
	o->trial = json_is_true(json_object_get(j, "trial"));
	err = 0;
cleanup:
	json_decref(j);
	return err;
}

json_t *reg_strategy_json(const struct registry_strategy *s)
{
	json_t *a = json_loads(s->actions, 0, NULL);
	json_t *p = s->params[0] ? json_loads(s->params, 0, NULL) : NULL;
	json_t *b = s->bounds[0] ? json_loads(s->bounds, 0, NULL) : NULL;

	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", s->name,
			 "failure", s->failure, "actions",
			 a ? a : json_array(), "params", p ? p : json_object(),
			 "bounds", b ? b : json_object());
}

/* Dump j into dst[cap]; -EOVERFLOW if it does not fit.  Config values
 * print with 15 significant digits so that 1.1 stays "1.1". */
static int reg_dump_into(char *dst, size_t cap, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY |
			     JSON_REAL_PRECISION(15));
	int err = s ? reg_copy(dst, cap, s) : -ENOMEM;

	free(s);
	return err == -ENAMETOOLONG ? -EOVERFLOW : err;
}

int reg_strategy_from_json(struct hms_registry *reg, json_t *j,
			   struct registry_strategy *s, const char *where)
{
	json_t *name, *fail, *a, *p, *b;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(j))
		return reg_fail(reg, -EINVAL, "%s: expected an object", where);
	name = json_object_get(j, "name");
	fail = json_object_get(j, "failure");
	a = json_object_get(j, "actions");
	p = json_object_get(j, "params");
	b = json_object_get(j, "bounds");	/* absent in schema 1 */
	if (!json_is_string(name))
		return reg_fail(reg, -EINVAL, "%s.name: expected a string",
				where);
	if (fail && !json_is_string(fail))
		return reg_fail(reg, -EINVAL, "%s.failure: expected a string",
				where);
	if (!json_is_array(a))
		return reg_fail(reg, -EINVAL, "%s.actions: expected an array",
				where);
	if ((p && !json_is_object(p)) || (b && !json_is_object(b)))
		return reg_fail(reg, -EINVAL, "%s.%s: expected an object",
				where, p && !json_is_object(p) ? "params"
							       : "bounds");
	if (reg_copy(s->name, sizeof(s->name), json_string_value(name)) ||
	    reg_copy(s->failure, sizeof(s->failure),
		     fail ? json_string_value(fail) : "") ||
	    reg_dump_into(s->actions, sizeof(s->actions), a) ||
	    (p && reg_dump_into(s->params, sizeof(s->params), p)) ||
	    (b && reg_dump_into(s->bounds, sizeof(s->bounds), b)))
		return reg_fail(reg, -EINVAL, "%s: a field is too long", where);
	return 0;
}

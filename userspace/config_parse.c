// SPDX-License-Identifier: BSD-2-Clause
/* config_parse.c - typed readers over libfyaml nodes: every key is looked
 * up in a known set (unknown keys are errors), every value is checked for
 * type and range, and each error names the file position and key path. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include "config_int.h"

size_t cfg_push(struct cfg_ctx *c, const char *fmt, ...)
{
	size_t old = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

void cfg_pop(struct cfg_ctx *c, size_t old)
{
	c->path[old] = '\0';
}

bool cfg_want(struct cfg_ctx *c, struct fy_node *n, enum fy_node_type t)
{
	static const char *const names[] = { "a scalar", "a list",
					     "a mapping" };

	if (n && fy_node_get_type(n) == t &&
	    !(t == FYNT_SCALAR && fy_node_is_null(n)))
		return true;
	cfg_error(c, n, "wrong type: expected %s", names[t]);
	return false;
}

const char *cfg_scalar(struct cfg_ctx *c, struct fy_node *n)
{
	if (!cfg_want(c, n, FYNT_SCALAR))
		return NULL;
	return fy_node_get_scalar0(n);
}

/* A plain (unquoted) scalar, for numbers and booleans. */
const char *cfg_plain(struct cfg_ctx *c, struct fy_node *n,
			 const char *what)
{
	if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_null(n) ||
	    fy_node_get_style(n) != FYNS_PLAIN) {
		cfg_error(c, n, "wrong type: expected %s", what);
		return NULL;
	}
	return fy_node_get_scalar0(n);
}

int cfg_get_str(struct cfg_ctx *c, struct fy_node *n, char *buf,
		   size_t len)
{
	const char *s = cfg_scalar(c, n);

	if (!s)
		return -EINVAL;
	if (strlen(s) >= len) {
		cfg_error(c, n, "too long (at most %zu characters)", len - 1);
		return -EINVAL;
	}
	snprintf(buf, len, "%s", s);
	return 0;
}

int cfg_get_u64(struct cfg_ctx *c, struct fy_node *n, uint64_t min,
		   uint64_t max, uint64_t *out)
{
	const char *s = cfg_plain(c, n, "an integer");
	unsigned long long v;
	char *end;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '-' || *s == '+' || errno || end == s || *end) {
		cfg_error(c, n, "wrong type: expected an integer, got '%s'", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		cfg_error(c, n, "out of range: %llu (allowed %llu..%llu)", v,
			  (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int cfg_get_u32(struct cfg_ctx *c, struct fy_node *n, uint32_t min,
		   uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err = cfg_get_u64(c, n, min, max, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

int cfg_get_int(struct cfg_ctx *c, struct fy_node *n, long min, long max,
		   int *out)
{
	const char *s = cfg_plain(c, n, "an integer");
	char *end;
	long v;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end) {
		cfg_error(c, n, "wrong type: expected an integer, got '%s'", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		cfg_error(c, n, "out of range: %ld (allowed %ld..%ld)", v, min,
			  max);
		return -ERANGE;
	}
	*out = (int)v;
	return 0;
}

int cfg_get_double(struct cfg_ctx *c, struct fy_node *n, double min,
		      double max, double *out)
{
	const char *s = cfg_plain(c, n, "a number");
	char *end;
	double v;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v != v) {
		cfg_error(c, n, "wrong type: expected a number, got '%s'", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		cfg_error(c, n, "out of range: %g (allowed %g..%g)", v, min,
			  max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/* Seconds (fractions allowed) into milliseconds. */
int cfg_get_secs(struct cfg_ctx *c, struct fy_node *n, double min,
		    double max, uint32_t *ms)
{
	double v;
	int err = cfg_get_double(c, n, min, max, &v);

	if (!err)
		*ms = (uint32_t)(v * 1000.0 + 0.5);
	return err;
}

int cfg_get_bool(struct cfg_ctx *c, struct fy_node *n, bool *out)
{
	const char *s = cfg_plain(c, n, "a boolean");

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else {
		cfg_error(c, n, "wrong type: expected a boolean, got '%s'", s);
		return -EINVAL;
	}
	return 0;
}

int cfg_get_signal(struct cfg_ctx *c, struct fy_node *n, int *out)
{
	const char *s = cfg_scalar(c, n);
	int sig;

	if (!s)
		return -EINVAL;
	sig = cfg_parse_signal(s);
	if (sig < 0) {
		cfg_error(c, n, "unknown signal '%s'", s);
		return -EINVAL;
	}
	*out = sig;
	return 0;
}

/* A list of strings into a NULL-terminated vector. */
char **cfg_get_strv(struct cfg_ctx *c, struct fy_node *n, size_t *count,
		       bool nonempty)
{
	struct fy_node *it_n;
	void *it = NULL;
	char **v;
	size_t i = 0;

	if (!cfg_want(c, n, FYNT_SEQUENCE))
		return NULL;
	v = calloc(fy_node_sequence_item_count(n) + 1, sizeof(*v));
	if (!v)
		return NULL;
	while ((it_n = fy_node_sequence_iterate(n, &it))) {
		size_t old = cfg_push(c, "[%zu]", i);
		const char *s = cfg_scalar(c, it_n);

		cfg_pop(c, old);
		if (!s) {
			cfg_strv_free(v);
			return NULL;
		}
		v[i++] = strdup(s);
	}
	if (nonempty && !i) {
		cfg_error(c, n, "must not be empty");
		cfg_strv_free(v);
		return NULL;
	}
	if (count)
		*count = i;
	return v;
}

/* Iterate a mapping: calls fn(c, key, value, obj) for every pair with the
 * key pushed on the path. */
void cfg_each_pair(struct cfg_ctx *c, struct fy_node *n, cfg_map_fn fn,
		      void *obj)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!cfg_want(c, n, FYNT_MAPPING))
		return;
	while ((p = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *kn = fy_node_pair_key(p);
		const char *key = cfg_scalar(c, kn);
		size_t old;

		if (!key)
			continue;
		old = cfg_push(c, "%s%s", c->path[0] ? "." : "", key);
		c->key = kn;
		fn(c, key, kn, fy_node_pair_value(p), obj);
		c->key = kn;
		cfg_pop(c, old);
	}
}

void cfg_unknown(struct cfg_ctx *c, struct fy_node *kn)
{
	cfg_error(c, kn, "unknown key");
}

static void root_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "version")) {
		if (!cfg_get_int(c, v, 1, 1, &cfg->version))
			return;
	} else if (!strcmp(k, "daemon")) {
		cfg_each_pair(c, v, cfg_daemon_key, cfg);
	} else if (!strcmp(k, "sensors")) {
		cfg_each_pair(c, v, cfg_sensors_key, cfg);
	} else if (!strcmp(k, "dashboard")) {
		cfg_each_pair(c, v, cfg_dashboard_key, cfg);
	} else if (!strcmp(k, "metrics")) {
		cfg_each_pair(c, v, cfg_metrics_key, cfg);
	} else if (!strcmp(k, "watch")) {
		cfg_each_pair(c, v, cfg_watch_key, cfg);
	} else if (!strcmp(k, "strategies")) {
		cfg_each_pair(c, v, cfg_strategy_key, cfg);
	} else if (!strcmp(k, "components")) {
		cfg_parse_components(c, v);
	} else if (!strcmp(k, "plugins")) {
		cfg_parse_plugins(c, v);
	} else if (!strcmp(k, "host")) {
		cfg_parse_host(c, v);
	} else {
		cfg_unknown(c, kn);
	}
}

void cfg_parse_root(struct cfg_ctx *c, struct fy_node *root)
{
	if (!root)
		return;		/* empty file: all defaults */
	cfg_each_pair(c, root, root_key, c->cfg);
}

/* Names the registry accepts too: 1-31 of [A-Za-z0-9_.-], alnum first. */
bool cfg_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= CONFIG_NAME_LEN || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* config_parse.c - typed readers over libfyaml nodes: every key is looked
 * up in a known set (unknown keys are errors), every value is checked for
 * type and range, and each error names the file position and key path. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include "config_int.h"

static size_t push(struct cfg_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t push(struct cfg_ctx *c, const char *fmt, ...)
{
	size_t old = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void pop(struct cfg_ctx *c, size_t old)
{
	c->path[old] = '\0';
}

static bool want(struct cfg_ctx *c, struct fy_node *n, enum fy_node_type t)
{
	static const char *const names[] = { "a scalar", "a list",
					     "a mapping" };

	if (n && fy_node_get_type(n) == t &&
	    !(t == FYNT_SCALAR && fy_node_is_null(n)))
		return true;
	cfg_error(c, n, "wrong type: expected %s", names[t]);
	return false;
}

static const char *scalar(struct cfg_ctx *c, struct fy_node *n)
{
	if (!want(c, n, FYNT_SCALAR))
		return NULL;
	return fy_node_get_scalar0(n);
}

/* A plain (unquoted) scalar, for numbers and booleans. */
static const char *plain(struct cfg_ctx *c, struct fy_node *n,
			 const char *what)
{
	if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_null(n) ||
	    fy_node_get_style(n) != FYNS_PLAIN) {
		cfg_error(c, n, "wrong type: expected %s", what);
		return NULL;
	}
	return fy_node_get_scalar0(n);
}

static int get_str(struct cfg_ctx *c, struct fy_node *n, char *buf,
		   size_t len)
{
	const char *s = scalar(c, n);

	if (!s)
		return -EINVAL;
	if (strlen(s) >= len) {
		cfg_error(c, n, "too long (at most %zu characters)", len - 1);
		return -EINVAL;
	}
	snprintf(buf, len, "%s", s);
	return 0;
}

static int get_u64(struct cfg_ctx *c, struct fy_node *n, uint64_t min,
		   uint64_t max, uint64_t *out)
{
	const char *s = plain(c, n, "an integer");
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

static int get_u32(struct cfg_ctx *c, struct fy_node *n, uint32_t min,
		   uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err = get_u64(c, n, min, max, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

static int get_int(struct cfg_ctx *c, struct fy_node *n, long min, long max,
		   int *out)
{
	const char *s = plain(c, n, "an integer");
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

static int get_double(struct cfg_ctx *c, struct fy_node *n, double min,
		      double max, double *out)
{
	const char *s = plain(c, n, "a number");
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
static int get_secs(struct cfg_ctx *c, struct fy_node *n, double min,
		    double max, uint32_t *ms)
{
	double v;
	int err = get_double(c, n, min, max, &v);

	if (!err)
		*ms = (uint32_t)(v * 1000.0 + 0.5);
	return err;
}

static int get_bool(struct cfg_ctx *c, struct fy_node *n, bool *out)
{
	const char *s = plain(c, n, "a boolean");

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

static int get_signal(struct cfg_ctx *c, struct fy_node *n, int *out)
{
	const char *s = scalar(c, n);
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
static char **get_strv(struct cfg_ctx *c, struct fy_node *n, size_t *count,
		       bool nonempty)
{
	struct fy_node *it_n;
	void *it = NULL;
	char **v;
	size_t i = 0;

	if (!want(c, n, FYNT_SEQUENCE))
		return NULL;
	v = calloc(fy_node_sequence_item_count(n) + 1, sizeof(*v));
	if (!v)
		return NULL;
	while ((it_n = fy_node_sequence_iterate(n, &it))) {
		size_t old = push(c, "[%zu]", i);
		const char *s = scalar(c, it_n);

		pop(c, old);
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
typedef void (*map_fn)(struct cfg_ctx *c, const char *key,
		       struct fy_node *kn, struct fy_node *v, void *obj);

static void each_pair(struct cfg_ctx *c, struct fy_node *n, map_fn fn,
		      void *obj)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!want(c, n, FYNT_MAPPING))
		return;
	while ((p = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *kn = fy_node_pair_key(p);
		const char *key = scalar(c, kn);
		size_t old;

		if (!key)
			continue;
		old = push(c, "%s%s", c->path[0] ? "." : "", key);
		c->key = kn;
		fn(c, key, kn, fy_node_pair_value(p), obj);
		c->key = kn;
		pop(c, old);
	}
}

static void unknown(struct cfg_ctx *c, struct fy_node *kn)
{
	cfg_error(c, kn, "unknown key");
}


/* ---- daemon, sensors, metrics, watch ---- */

static void daemon_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "registry"))
		get_str(c, v, cfg->daemon.registry, sizeof(cfg->daemon.registry));
	else if (!strcmp(k, "socket"))
		get_str(c, v, cfg->daemon.socket, sizeof(cfg->daemon.socket));
	else if (!strcmp(k, "socket_group"))
		get_str(c, v, cfg->daemon.socket_group,
			sizeof(cfg->daemon.socket_group));
	else if (!strcmp(k, "viewer_group"))
		get_str(c, v, cfg->daemon.viewer_group,
			sizeof(cfg->daemon.viewer_group));
	else if (!strcmp(k, "dry_run"))
		get_bool(c, v, &cfg->daemon.dry_run);
	else if (!strcmp(k, "max_concurrent_actions"))
		get_u32(c, v, 1, 1024, &cfg->daemon.max_concurrent_actions);
	else
		unknown(c, kn);
}

static void sensors_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "runq_latency_us"))
		get_u64(c, v, 100, 10000000, &cfg->sensors.runq_latency_us);
	else if (!strcmp(k, "bulk_rate_per_sec"))
		get_u32(c, v, 0, 1000000, &cfg->sensors.bulk_rate_per_sec);
	else
		unknown(c, kn);
}

static void metrics_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;
	const char *colon;
	char *end;
	long port;

	if (strcmp(k, "listen")) {
		unknown(c, kn);
		return;
	}
	if (get_str(c, v, cfg->metrics.listen, sizeof(cfg->metrics.listen)))
		return;
	colon = strrchr(cfg->metrics.listen, ':');
	port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || colon == cfg->metrics.listen || *end || port < 1 ||
	    port > 65535)
		cfg_error(c, v, "expected HOST:PORT with a port 1..65535");
}

static void watch_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		      struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;
	char **names;

	if (!strcmp(k, "all")) {
		get_bool(c, v, &cfg->watch_all.enabled);
		return;
	}
	if (strcmp(k, "classes")) {
		unknown(c, kn);
		return;
	}
	names = get_strv(c, v, NULL, false);
	if (!names)
		return;
	cfg->watch_all.classes = 0;
	for (size_t i = 0; names[i]; i++) {
		int fc = config_failure_from_name(names[i]);

		if (fc < 0)
			cfg_error(c, fy_node_sequence_get_by_index(v, (int)i),
				  "unknown failure class '%s'", names[i]);
		else
			cfg->watch_all.classes |= 1u << fc;
	}
	cfg_strv_free(names);
}

/* ---- dashboard ---- */

static void pane_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj)
{
	static const char *const views[] = { "processes", "events", "metrics",
					     "strategies", NULL };
	struct cfg_pane *p = obj;
	char split[4];
	int i;

	if (!strcmp(k, "view")) {
		if (get_str(c, v, p->view, sizeof(p->view)))
			return;
		for (i = 0; views[i] && strcmp(views[i], p->view); i++)
			;
		if (!views[i])
			cfg_error(c, v, "unknown view '%s' (processes, events, "
				  "metrics, strategies)", p->view);
	} else if (!strcmp(k, "split")) {
		if (get_str(c, v, split, sizeof(split)))
			return;
		if (strcmp(split, "h") && strcmp(split, "v"))
			cfg_error(c, v, "must be \"h\" or \"v\"");
		p->split = split[0];
	} else if (!strcmp(k, "size_pct")) {
		get_u32(c, v, 1, 99, &p->size_pct);
	} else {
		unknown(c, kn);
	}
}

static void layout_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;
	struct cfg_layout *l;
	struct fy_node *pn;
	void *it = NULL;

	(void)kn;
	if (!want(c, v, FYNT_SEQUENCE))
		return;
	l = realloc(cfg->dashboard.layouts,
		    (cfg->dashboard.n_layouts + 1) * sizeof(*l));
	if (!l)
		return;
	cfg->dashboard.layouts = l;
	l = &l[cfg->dashboard.n_layouts++];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", k);
	l->panes = calloc(fy_node_sequence_item_count(v) + 1, sizeof(*l->panes));
	if (!l->panes)
		return;
	while ((pn = fy_node_sequence_iterate(v, &it))) {
		struct cfg_pane *p = &l->panes[l->n_panes];
		size_t old = push(c, "[%zu]", l->n_panes);

		p->split = 'h';
		p->size_pct = 50;
		each_pair(c, pn, pane_key, p);
		if (!p->view[0] && fy_node_get_type(pn) == FYNT_MAPPING)
			cfg_error(c, pn, "missing key 'view'");
		pop(c, old);
		l->n_panes++;
	}
}

static void dashboard_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			  struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "session"))
		get_str(c, v, cfg->dashboard.session,
			sizeof(cfg->dashboard.session));
	else if (!strcmp(k, "layout"))
		get_str(c, v, cfg->dashboard.layout,
			sizeof(cfg->dashboard.layout));
	else if (!strcmp(k, "layouts"))
		each_pair(c, v, layout_key, cfg);
	else
		unknown(c, kn);
}

/* ---- strategies and actions ---- */

static void action_param(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			 struct fy_node *v, void *obj)
{
	struct cfg_action *a = obj;
	char sev[16];

	switch (a->kind) {
	case ACTION_SIGNAL:
		if (!strcmp(k, "signal"))
			return (void)get_signal(c, v, &a->signal);
		break;
	case ACTION_EXEC:
		if (!strcmp(k, "argv")) {
			cfg_strv_free(a->argv);
			a->argv = get_strv(c, v, NULL, true);
			return;
		}
		if (!strcmp(k, "timeout_ms"))
			return (void)get_u32(c, v, 1, 3600000, &a->timeout_ms);
		break;
	case ACTION_MEMORY:
		if (!strcmp(k, "factor"))
			return (void)get_double(c, v, 1.0, 16.0, &a->factor);
		if (!strcmp(k, "max_mb"))
			return (void)get_u64(c, v, 1, 1ull << 24, &a->max_mb);
		break;
	case ACTION_CPU:
		if (!strcmp(k, "weight"))
			return (void)get_u32(c, v, 1, 10000, &a->cpu_weight);
		if (!strcmp(k, "nice"))
			return (void)get_int(c, v, -20, 19, &a->nice);
		break;
	case ACTION_ALERT:
		if (!strcmp(k, "message"))
			return (void)get_str(c, v, a->message,
					     sizeof(a->message));
		if (!strcmp(k, "severity")) {
			if (get_str(c, v, sev, sizeof(sev)))
				return;
			if (!strcmp(sev, "info"))
				a->severity = 0;
			else if (!strcmp(sev, "warning"))
				a->severity = 1;
			else if (!strcmp(sev, "critical"))
				a->severity = 2;
			else
				cfg_error(c, v, "must be info, warning or "
					  "critical");
			return;
		}
		break;
	default:
		break;
	}
	unknown(c, kn);
}

/* One action: a mapping with exactly one key, the action kind. */
static int parse_action(struct cfg_ctx *c, struct fy_node *n,
			struct cfg_action *a)
{
	struct fy_node_pair *p;
	struct fy_node *kn, *v;
	void *it = NULL;
	const char *kind;
	size_t old;
	int k, nerr = c->nerr;

	memset(a, 0, sizeof(*a));
	if (!want(c, n, FYNT_MAPPING))
		return -EINVAL;
	if (fy_node_mapping_item_count(n) != 1) {
		cfg_error(c, n, "an action is a mapping with one key: restart, "
			  "signal, exec, memory, cpu or alert");
		return -EINVAL;
	}
	p = fy_node_mapping_iterate(n, &it);
	kn = fy_node_pair_key(p);
	v = fy_node_pair_value(p);
	kind = scalar(c, kn);
	if (!kind)
		return -EINVAL;
	k = actions_kind_from_name(kind);
	if (k < 0 || k > ACTION_ALERT) {
		cfg_error(c, kn, "unknown action '%s'", kind);
		return -EINVAL;
	}
	a->kind = k;
	a->timeout_ms = 10000;
	a->factor = 1.5;
	a->severity = 1;
	a->nice = 0;
	old = push(c, ".%s", kind);
	if (k == ACTION_SIGNAL && v && fy_node_get_type(v) == FYNT_SCALAR &&
	    !fy_node_is_null(v))
		get_signal(c, v, &a->signal);
	else if (k == ACTION_EXEC && v &&
		 fy_node_get_type(v) == FYNT_SEQUENCE)
		a->argv = get_strv(c, v, NULL, true);
	else if (v && !fy_node_is_null(v))
		each_pair(c, v, action_param, a);
	if (k == ACTION_SIGNAL && !a->signal && c->nerr == nerr)
		cfg_error(c, n, "missing key 'signal'");
	if (k == ACTION_EXEC && !a->argv && c->nerr == nerr)
		cfg_error(c, n, "missing key 'argv'");
	pop(c, old);
	return c->nerr == nerr ? 0 : -EINVAL;
}

/* A chain: a list of actions (or one action mapping). */
static int parse_chain(struct cfg_ctx *c, struct fy_node *n, const char *name)
{
	struct cfg_action acts[16];
	struct fy_node *an;
	void *it = NULL;
	size_t na = 0;
	int idx;

	if (n && fy_node_get_type(n) == FYNT_MAPPING) {
		if (parse_action(c, n, &acts[0]))
			return -EINVAL;
		na = 1;
	} else {
		if (!want(c, n, FYNT_SEQUENCE))
			return -EINVAL;
		if (!fy_node_sequence_item_count(n)) {
			cfg_error(c, n, "must not be empty");
			return -EINVAL;
		}
		while ((an = fy_node_sequence_iterate(n, &it))) {
			size_t old = push(c, "[%zu]", na);
			int err;

			if (na == 16) {
				cfg_error(c, an, "at most 16 actions");
				pop(c, old);
				break;
			}
			err = parse_action(c, an, &acts[na]);
			pop(c, old);
			if (!err)
				na++;
		}
	}
	idx = cfg_add_strategy(c->cfg, name, acts, na);
	if (idx < 0)
		for (size_t i = 0; i < na; i++)
			cfg_strv_free(acts[i].argv);
	return idx;
}

static void strategy_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			 struct fy_node *v, void *obj)
{
	(void)obj;
	if (strlen(k) >= CONFIG_NAME_LEN) {
		cfg_error(c, kn, "name too long (at most %d characters)",
			  CONFIG_NAME_LEN - 1);
		return;
	}
	parse_chain(c, v, k);
}

/* ---- components ---- */

struct comp_ctx {
	size_t idx;
	struct cfg_component *cc;
	bool spawn_set, spawn;
	bool match_set;
};

static void backoff_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct cfg_backoff *b = obj;

	if (!strcmp(k, "initial_ms"))
		get_u32(c, v, 0, 3600000, &b->initial_ms);
	else if (!strcmp(k, "factor"))
		get_double(c, v, 1.0, 100.0, &b->factor);
	else if (!strcmp(k, "max_ms"))
		get_u32(c, v, 0, 86400000, &b->max_ms);
	else if (!strcmp(k, "jitter"))
		get_double(c, v, 0.0, 1.0, &b->jitter);
	else if (!strcmp(k, "reset_after_s"))
		get_secs(c, v, 0, 86400, &b->reset_after_ms);
	else
		unknown(c, kn);
}

static void budget_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;

	if (!strcmp(k, "max"))
		get_u32(c, v, 1, 10000, &cc->budget_max);
	else if (!strcmp(k, "interval_s"))
		get_secs(c, v, 0.001, 86400, &cc->budget_interval_ms);
	else
		unknown(c, kn);
}

static void loop_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;

	if (!strcmp(k, "count"))
		get_u32(c, v, 2, 10000, &cc->crash_loop_count);
	else if (!strcmp(k, "window_s"))
		get_secs(c, v, 0.001, 86400, &cc->crash_loop_window_ms);
	else
		unknown(c, kn);
}

static void net_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		    struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;

	if (!strcmp(k, "threshold"))
		get_u32(c, v, 1, 1000000, &cc->net_threshold);
	else if (!strcmp(k, "window_s"))
		get_secs(c, v, 0.001, 86400, &cc->net_window_ms);
	else
		unknown(c, kn);
}

static void match_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		      struct fy_node *v, void *obj)
{
	struct comp_ctx *x = obj;
	static const char *const names[] = { "comm", "exe", "cgroup",
					     "pidfile" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(k, names[i]))
			continue;
		if (x->match_set) {
			cfg_error(c, kn, "only one of comm, exe, cgroup, "
				  "pidfile");
			return;
		}
		x->match_set = true;
		x->cc->match = MATCH_COMM + i;
		if (get_str(c, v, x->cc->match_value,
			    i == 0 ? 16 : CONFIG_PATH_LEN))
			return;
		if (i != 0 && x->cc->match_value[0] != '/')
			cfg_error(c, v, "must be an absolute path");
		return;
	}
	unknown(c, kn);
}

static void env_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		    struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;
	const char *val = scalar(c, v);
	size_t n = 0;
	char **e;

	(void)kn;
	if (!val)
		return;
	while (cc->env && cc->env[n])
		n++;
	e = realloc(cc->env, (n + 2) * sizeof(*e));
	if (!e)
		return;
	cc->env = e;
	if (asprintf(&e[n], "%s=%s", k, val) < 0)
		e[n] = NULL;
	e[n + 1] = NULL;
}

/* components[i].on: class -> [strategy name | action | [actions]] */
static void on_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		   struct fy_node *v, void *obj)
{
	struct comp_ctx *x = obj;
	int fc = config_failure_from_name(k);
	struct fy_node *it_n;
	void *it = NULL;
	size_t n, slot = 0;

	if (fc < 0) {
		cfg_error(c, kn, "unknown failure class '%s'", k);
		return;
	}
	if (!want(c, v, FYNT_SEQUENCE))
		return;
	n = fy_node_sequence_item_count(v);
	free(x->cc->on[fc]);
	x->cc->on[fc] = calloc(n + 1, sizeof(int));
	x->cc->n_on[fc] = 0;
	if (!x->cc->on[fc])
		return;
	while ((it_n = fy_node_sequence_iterate(v, &it))) {
		size_t old = push(c, "[%zu]", slot);

		if (fy_node_get_type(it_n) == FYNT_SCALAR) {
			struct cfg_ref *r;
			const char *s = scalar(c, it_n);

			r = s ? realloc(c->refs, (c->n_refs + 1) * sizeof(*r))
			      : NULL;
			if (r) {
				c->refs = r;
				r = &r[c->n_refs++];
				memset(r, 0, sizeof(*r));
				r->comp = x->idx;
				r->fc = fc;
				r->slot = slot;
				snprintf(r->name, sizeof(r->name), "%s", s);
				cfg_mark_of(c, it_n, &r->mark);
			}
			x->cc->on[fc][slot] = -1;
		} else {
			char name[CONFIG_NAME_LEN];

			snprintf(name, sizeof(name), "%.12s.%.12s.%zu",
				 x->cc->name[0] ? x->cc->name : "inline", k,
				 slot % 100);
			x->cc->on[fc][slot] = parse_chain(c, it_n, name);
		}
		pop(c, old);
		slot++;
	}
	x->cc->n_on[fc] = slot;
}

static void comp_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj)
{
	struct comp_ctx *x = obj;
	struct cfg_component *cc = x->cc;

	if (!strcmp(k, "name")) {
		cfg_mark_of(c, v, &c->name_marks[x->idx]);
		if (get_str(c, v, cc->name, sizeof(cc->name)))
			return;
		if (!cc->name[0] || strpbrk(cc->name, " \t/\n"))
			cfg_error(c, v, "must be non-empty, without spaces or "
				  "'/'");
	} else if (!strcmp(k, "spawn")) {
		x->spawn_set = !get_bool(c, v, &x->spawn);
	} else if (!strcmp(k, "match")) {
		each_pair(c, v, match_key, x);
		if (v && fy_node_get_type(v) == FYNT_MAPPING && !x->match_set)
			cfg_error(c, v, "one of comm, exe, cgroup, pidfile is "
				  "required");
	} else if (!strcmp(k, "command")) {
		c->comp_has_command[x->idx] = true;
		cfg_strv_free(cc->command);
		cc->command = get_strv(c, v, NULL, true);
	} else if (!strcmp(k, "user")) {
		get_str(c, v, cc->user, sizeof(cc->user));
	} else if (!strcmp(k, "group")) {
		get_str(c, v, cc->group, sizeof(cc->group));
	} else if (!strcmp(k, "cwd")) {
		get_str(c, v, cc->cwd, sizeof(cc->cwd));
	} else if (!strcmp(k, "env")) {
		each_pair(c, v, env_key, cc);
	} else if (!strcmp(k, "cgroup")) {
		get_str(c, v, cc->cgroup, sizeof(cc->cgroup));
	} else if (!strcmp(k, "autostart")) {
		get_bool(c, v, &cc->autostart);
		c->comp_has_autostart[x->idx] = true;
	} else if (!strcmp(k, "stop_signal")) {
		get_signal(c, v, &cc->stop_signal);
	} else if (!strcmp(k, "stop_timeout_s")) {
		get_secs(c, v, 0, 3600, &cc->stop_timeout_ms);
	} else if (!strcmp(k, "depends_on")) {
		cfg_strv_free(cc->depends_on);
		cc->depends_on = get_strv(c, v, &cc->n_deps, false);
		for (size_t i = 0; cc->depends_on && i < cc->n_deps; i++) {
			struct cfg_mark *m = realloc(c->dep_marks,
				(c->n_dep_marks + 1) * sizeof(*m));

			if (!m)
				break;
			c->dep_marks = m;
			cfg_mark_of(c, fy_node_sequence_get_by_index(v, (int)i),
				    &m[c->n_dep_marks]);
			snprintf(m[c->n_dep_marks].path,
				 sizeof(m->path), "%.100s[%zu]", c->path, i);
			c->n_dep_marks++;
		}
	} else if (!strcmp(k, "backoff")) {
		each_pair(c, v, backoff_key, &cc->backoff);
	} else if (!strcmp(k, "budget")) {
		each_pair(c, v, budget_key, cc);
	} else if (!strcmp(k, "verify_s")) {
		get_secs(c, v, 0.001, 3600, &cc->verify_ms);
	} else if (!strcmp(k, "start_grace_s")) {
		get_secs(c, v, 0, 3600, &cc->start_grace_ms);
	} else if (!strcmp(k, "ok_exit_codes")) {
		struct fy_node *e;
		void *it = NULL;

		if (!want(c, v, FYNT_SEQUENCE))
			return;
		cc->n_ok_exit_codes = 0;
		while ((e = fy_node_sequence_iterate(v, &it))) {
			size_t old = push(c, "[%zu]", cc->n_ok_exit_codes);
			int code;

			if (cc->n_ok_exit_codes == CONFIG_MAX_OK_CODES)
				cfg_error(c, e, "at most %d codes",
					  CONFIG_MAX_OK_CODES);
			else if (!get_int(c, e, 0, 255, &code))
				cc->ok_exit_codes[cc->n_ok_exit_codes++] = code;
			pop(c, old);
			if (cc->n_ok_exit_codes == CONFIG_MAX_OK_CODES)
				break;
		}
	} else if (!strcmp(k, "crash_loop")) {
		each_pair(c, v, loop_key, cc);
	} else if (!strcmp(k, "net")) {
		each_pair(c, v, net_key, cc);
	} else if (!strcmp(k, "starved_us")) {
		get_u64(c, v, 100, 60000000, &cc->starved_us);
	} else if (!strcmp(k, "missing_check_s")) {
		get_secs(c, v, 0, 86400, &cc->missing_check_ms);
	} else if (!strcmp(k, "on")) {
		c->comp_has_on[x->idx] = true;
		each_pair(c, v, on_key, x);
	} else {
		unknown(c, kn);
	}
}

static void cfg_parse_components(struct cfg_ctx *c, struct fy_node *n)
{
	struct hms_config *cfg = c->cfg;
	struct fy_node *cn;
	void *it = NULL;
	size_t count, i = 0;

	if (!want(c, n, FYNT_SEQUENCE))
		return;
	count = fy_node_sequence_item_count(n);
	cfg->components = calloc(count + 1, sizeof(*cfg->components));
	c->comp_marks = calloc(count + 1, sizeof(*c->comp_marks));
	c->comp_has_on = calloc(count + 1, sizeof(bool));
	c->comp_has_autostart = calloc(count + 1, sizeof(bool));
	c->comp_has_command = calloc(count + 1, sizeof(bool));
	c->name_marks = calloc(count + 1, sizeof(*c->name_marks));
	if (!cfg->components || !c->comp_marks || !c->comp_has_on ||
	    !c->comp_has_autostart || !c->comp_has_command || !c->name_marks) {
		c->nerr++;
		return;
	}
	while ((cn = fy_node_sequence_iterate(n, &it))) {
		size_t old = push(c, "[%zu]", i);
		struct comp_ctx x = { .idx = i, .cc = &cfg->components[i] };

		cfg_component_defaults(x.cc);
		cfg_mark_of(c, cn, &c->comp_marks[i]);
		c->name_marks[i] = c->comp_marks[i];
		cfg->n_components = i + 1;
		each_pair(c, cn, comp_key, &x);
		if (!x.cc->name[0] && fy_node_get_type(cn) == FYNT_MAPPING)
			cfg_error(c, cn, "missing key 'name'");
		if (x.spawn_set && x.spawn && x.match_set)
			cfg_error(c, cn, "spawn: true and match are exclusive");
		else if (x.spawn_set && !x.spawn && !x.match_set)
			cfg_error(c, cn, "spawn: false needs a match");
		if (!x.match_set)
			x.cc->match = MATCH_SPAWN;
		if (x.cc->match != MATCH_SPAWN && !c->comp_has_autostart[i])
			x.cc->autostart = false;
		pop(c, old);
		i++;
	}
}


static void root_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "version")) {
		if (!get_int(c, v, 1, 1, &cfg->version))
			return;
	} else if (!strcmp(k, "daemon")) {
		each_pair(c, v, daemon_key, cfg);
	} else if (!strcmp(k, "sensors")) {
		each_pair(c, v, sensors_key, cfg);
	} else if (!strcmp(k, "dashboard")) {
		each_pair(c, v, dashboard_key, cfg);
	} else if (!strcmp(k, "metrics")) {
		each_pair(c, v, metrics_key, cfg);
	} else if (!strcmp(k, "watch")) {
		each_pair(c, v, watch_key, cfg);
	} else if (!strcmp(k, "strategies")) {
		each_pair(c, v, strategy_key, cfg);
	} else if (!strcmp(k, "components")) {
		cfg_parse_components(c, v);
	} else {
		unknown(c, kn);
	}
}

void cfg_parse_root(struct cfg_ctx *c, struct fy_node *root)
{
	if (!root)
		return;		/* empty file: all defaults */
	each_pair(c, root, root_key, c->cfg);
}

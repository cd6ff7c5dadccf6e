// SPDX-License-Identifier: BSD-2-Clause
/* config_sections.c - the small sections of the configuration (daemon,
 * sensors, metrics, watch, dashboard) and the strategies with their
 * action chains, read key by key with the typed readers of
 * config_parse.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include "config_int.h"
#include "hms_names.h"
#include "log.h"

/* ---- daemon, sensors, metrics, watch ---- */

static void incidents_key(struct cfg_ctx *c, const char *k,
			  struct fy_node *kn, struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "burst"))
		cfg_get_u32(c, v, 1, 1000000, &cfg->daemon.incidents.burst);
	else if (!strcmp(k, "interval_s"))
		cfg_get_secs(c, v, 0.001, 86400,
			     &cfg->daemon.incidents.interval_ms);
	else
		cfg_unknown(c, kn);
}

/* daemon.json_types / json_exclude: a list of event type names. */
static void cfg_json_types(struct cfg_ctx *c, struct fy_node *n,
			   uint64_t bits[2])
{
	struct fy_node *it_n;
	void *it = NULL;
	size_t i = 0;

	if (!cfg_want(c, n, FYNT_SEQUENCE))
		return;
	while ((it_n = fy_node_sequence_iterate(n, &it))) {
		size_t old = cfg_push(c, "[%zu]", i++);
		const char *s = cfg_scalar(c, it_n);
		int t = s ? hms_event_type_from_name(s) : -ENOENT;

		if (s && t < 0)
			cfg_error(c, it_n, "unknown event type '%s' (the "
				  "types are listed in docs/events.md)", s);
		else if (s)
			bits[t / 64] |= 1ull << (t % 64);
		cfg_pop(c, old);
	}
}

/* error, warning, notice, info or debug (log.h) */
static void cfg_get_log_level(struct cfg_ctx *c, struct fy_node *v, int *out)
{
	char name[16];
	int level;

	if (cfg_get_str(c, v, name, sizeof(name)))
		return;
	level = log_level_from_name(name);
	if (level < 0)
		cfg_error(c, v, "unknown log level '%s' (error, warning, "
			  "notice, info, debug)", name);
	else
		*out = level;
}

void cfg_daemon_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "registry"))
		cfg_get_str(c, v, cfg->daemon.registry, sizeof(cfg->daemon.registry));
	else if (!strcmp(k, "socket"))
		cfg_get_str(c, v, cfg->daemon.socket, sizeof(cfg->daemon.socket));
	else if (!strcmp(k, "socket_group"))
		cfg_get_str(c, v, cfg->daemon.socket_group,
			sizeof(cfg->daemon.socket_group));
	else if (!strcmp(k, "viewer_group"))
		cfg_get_str(c, v, cfg->daemon.viewer_group,
			sizeof(cfg->daemon.viewer_group));
	else if (!strcmp(k, "dry_run"))
		cfg_get_bool(c, v, &cfg->daemon.dry_run);
	else if (!strcmp(k, "max_concurrent_actions"))
		cfg_get_u32(c, v, 1, 1024, &cfg->daemon.max_concurrent_actions);
	else if (!strcmp(k, "incidents"))
		cfg_each_pair(c, v, incidents_key, cfg);
	else if (!strcmp(k, "registry_half_life_s"))
		cfg_get_u32(c, v, 60, 31536000,
			    &cfg->daemon.registry_half_life_s);
	else if (!strcmp(k, "cgroup_parent"))
		cfg_get_cgroup_parent(c, v, cfg->daemon.cgroup_parent,
				      sizeof(cfg->daemon.cgroup_parent));
	else if (!strcmp(k, "json_types"))
		cfg_json_types(c, v, cfg->daemon.json_types);
	else if (!strcmp(k, "json_exclude"))
		cfg_json_types(c, v, cfg->daemon.json_exclude);
	else if (!strcmp(k, "log_level"))
		cfg_get_log_level(c, v, &cfg->daemon.log_level);
	else
		cfg_unknown(c, kn);
}

void cfg_sensors_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "runq_latency_us"))
		cfg_get_u64(c, v, 100, 10000000, &cfg->sensors.runq_latency_us);
	else if (!strcmp(k, "bulk_rate_per_sec"))
		cfg_get_u32(c, v, 0, 1000000, &cfg->sensors.bulk_rate_per_sec);
	else
		cfg_unknown(c, kn);
}

void cfg_metrics_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;
	const char *colon;
	char *end;
	long port;

	if (strcmp(k, "listen")) {
		cfg_unknown(c, kn);
		return;
	}
	if (cfg_get_str(c, v, cfg->metrics.listen, sizeof(cfg->metrics.listen)))
		return;
	colon = strrchr(cfg->metrics.listen, ':');
	port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || colon == cfg->metrics.listen || *end || port < 1 ||
	    port > 65535)
		cfg_error(c, v, "expected HOST:PORT with a port 1..65535");
}

void cfg_watch_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		      struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;
	char **names;

	if (!strcmp(k, "all")) {
		cfg_get_bool(c, v, &cfg->watch_all.enabled);
		return;
	}
	if (strcmp(k, "classes")) {
		cfg_unknown(c, kn);
		return;
	}
	names = cfg_get_strv(c, v, NULL, false);
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
	struct dashboard_pane *p = obj;
	char split[4];
	int i;

	if (!strcmp(k, "view")) {
		if (cfg_get_str(c, v, p->view, sizeof(p->view)))
			return;
		for (i = 0; views[i] && strcmp(views[i], p->view); i++)
			;
		if (!views[i])
			cfg_error(c, v, "unknown view '%s' (processes, events, "
				  "metrics, strategies)", p->view);
	} else if (!strcmp(k, "split")) {
		if (cfg_get_str(c, v, split, sizeof(split)))
			return;
		if (strcmp(split, "h") && strcmp(split, "v") &&
		    strcmp(split, "w"))
			cfg_error(c, v, "must be \"h\" (beside), \"v\" (below) "
				  "or \"w\" (a new window)");
		p->split = split[0];
	} else if (!strcmp(k, "size_pct")) {
		cfg_get_u32(c, v, 1, 99, &p->size_pct);
	} else {
		cfg_unknown(c, kn);
	}
}

static void layout_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;
	struct dashboard_layout *l;
	struct dashboard_pane *panes;
	struct fy_node *pn;
	void *it = NULL;

	(void)kn;
	if (!cfg_want(c, v, FYNT_SEQUENCE))
		return;
	l = realloc(cfg->dashboard.layouts,
		    (cfg->dashboard.n_layouts + 1) * sizeof(*l));
	if (!l)
		return;
	cfg->dashboard.layouts = l;
	l = &l[cfg->dashboard.n_layouts++];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", k);
	l->panes = panes = calloc(fy_node_sequence_item_count(v) + 1,
				  sizeof(*panes));
	if (!panes)
		return;
	while ((pn = fy_node_sequence_iterate(v, &it))) {
		struct dashboard_pane *p = &panes[l->n_panes];
		size_t old = cfg_push(c, "[%zu]", l->n_panes);

		p->split = 'h';
		p->size_pct = 50;
		p->of = -1;
		cfg_each_pair(c, pn, pane_key, p);
		if (!p->view[0] && fy_node_get_type(pn) == FYNT_MAPPING)
			cfg_error(c, pn, "missing key 'view'");
		cfg_pop(c, old);
		l->n_panes++;
	}
}

void cfg_dashboard_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			  struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "session"))
		cfg_get_str(c, v, cfg->dashboard.session,
			sizeof(cfg->dashboard.session));
	else if (!strcmp(k, "layout"))
		cfg_get_str(c, v, cfg->dashboard.layout,
			sizeof(cfg->dashboard.layout));
	else if (!strcmp(k, "layouts"))
		cfg_each_pair(c, v, layout_key, cfg);
	else
		cfg_unknown(c, kn);
}

/* ---- strategies and actions ---- */

/* signal: one signal, or a list of alternatives (the first is the one
 * used until the registry has learned which heals). */
static void action_signals(struct cfg_ctx *c, struct fy_node *v,
			   struct cfg_action *a)
{
	struct fy_node *it_n;
	void *it = NULL;
	size_t i = 0;

	a->n_signals = 0;
	if (!v || fy_node_get_type(v) != FYNT_SEQUENCE) {
		if (!cfg_get_signal(c, v, &a->signal)) {
			a->signals[0] = a->signal;
			a->n_signals = 1;
		}
		return;
	}
	if (!fy_node_sequence_item_count(v)) {
		cfg_error(c, v, "must not be empty");
		return;
	}
	while ((it_n = fy_node_sequence_iterate(v, &it))) {
		size_t old = cfg_push(c, "[%zu]", i);
		int sig, dup = 0;

		if (i >= CFG_SIGNALS_MAX) {
			cfg_error(c, it_n, "at most %d signals", CFG_SIGNALS_MAX);
			cfg_pop(c, old);
			return;
		}
		if (!cfg_get_signal(c, it_n, &sig)) {
			for (uint32_t k = 0; k < a->n_signals; k++)
				dup |= a->signals[k] == sig;
			if (dup)
				cfg_error(c, it_n, "signal listed twice");
			else
				a->signals[a->n_signals++] = sig;
		}
		cfg_pop(c, old);
		i++;
	}
	a->signal = a->n_signals ? a->signals[0] : 0;
}

static void action_param(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			 struct fy_node *v, void *obj)
{
	struct cfg_action *a = obj;
	char sev[16];

	switch (a->kind) {
	case ACTION_SIGNAL:
		if (!strcmp(k, "signal"))
			return action_signals(c, v, a);
		break;
	case ACTION_EXEC:
		if (!strcmp(k, "argv")) {
			cfg_strv_free(a->argv);
			a->argv = cfg_get_strv(c, v, NULL, true);
			return;
		}
		if (!strcmp(k, "timeout_ms"))
			return (void)cfg_get_u32(c, v, 1, 3600000, &a->timeout_ms);
		break;
	case ACTION_MEMORY:
		if (!strcmp(k, "factor"))
			return (void)cfg_get_double(c, v, 1.0, 16.0, &a->factor);
		if (!strcmp(k, "max_mb"))
			return (void)cfg_get_u64(c, v, 1, 1ull << 24, &a->max_mb);
		if (!strcmp(k, "high_ratio"))
			return (void)cfg_get_double(c, v, 0.1, 1.0,
						    &a->high_ratio);
		break;
	case ACTION_IO:
		if (!strcmp(k, "weight"))
			return (void)cfg_get_u32(c, v, 1, 10000, &a->io_weight);
		break;
	case ACTION_CPU:
		if (!strcmp(k, "weight"))
			return (void)cfg_get_u32(c, v, 1, 10000, &a->cpu_weight);
		if (!strcmp(k, "nice"))
			return (void)cfg_get_int(c, v, -20, 19, &a->nice);
		if (!strcmp(k, "slice_us"))
			return (void)cfg_get_u32(c, v, 100, 100000,
						 &a->slice_us);
		if (!strcmp(k, "rt_priority"))
			return (void)cfg_get_u32(c, v, 1, 99, &a->rt_priority);
		break;
	case ACTION_ALERT:
		if (!strcmp(k, "message"))
			return (void)cfg_get_str(c, v, a->message,
					     sizeof(a->message));
		if (!strcmp(k, "severity")) {
			if (cfg_get_str(c, v, sev, sizeof(sev)))
				return;
			if (hms_severity_from_name(sev) >= 0)
				a->severity = hms_severity_from_name(sev);
			else
				cfg_error(c, v, "must be info, warning or "
					  "critical");
			return;
		}
		break;
	default:
		break;
	}
	cfg_unknown(c, kn);
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
	if (!cfg_want(c, n, FYNT_MAPPING))
		return -EINVAL;
	if (fy_node_mapping_item_count(n) != 1) {
		cfg_error(c, n, "an action is a mapping with one key: restart, "
			  "signal, exec, memory, cpu, io, alert or plugin");
		return -EINVAL;
	}
	p = fy_node_mapping_iterate(n, &it);
	kn = fy_node_pair_key(p);
	v = fy_node_pair_value(p);
	kind = cfg_scalar(c, kn);
	if (!kind)
		return -EINVAL;
	k = actions_kind_from_name(kind);
	if (!hms_action_is_chain(k)) {
		cfg_error(c, kn, "unknown action '%s'", kind);
		return -EINVAL;
	}
	a->kind = k;
	a->timeout_ms = 10000;
	a->factor = 1.5;
	a->severity = 1;
	a->nice = 0;
	old = cfg_push(c, ".%s", kind);
	if (k == ACTION_PLUGIN)
		cfg_parse_plugin_use(c, v, false, a->plugin_kind,
				     sizeof(a->plugin_kind), &a->params_json,
				     &a->timeout_ms);
	else if (k == ACTION_SIGNAL && v &&
		 (fy_node_get_type(v) == FYNT_SEQUENCE ||
		  (fy_node_get_type(v) == FYNT_SCALAR && !fy_node_is_null(v))))
		action_signals(c, v, a);
	else if (k == ACTION_EXEC && v &&
		 fy_node_get_type(v) == FYNT_SEQUENCE)
		a->argv = cfg_get_strv(c, v, NULL, true);
	else if (v && !fy_node_is_null(v))
		cfg_each_pair(c, v, action_param, a);
	if (k == ACTION_SIGNAL && !a->signal && c->nerr == nerr)
		cfg_error(c, n, "missing key 'signal'");
	if (k == ACTION_EXEC && !a->argv && c->nerr == nerr)
		cfg_error(c, n, "missing key 'argv'");
	if (k == ACTION_IO && !a->io_weight && c->nerr == nerr)
		cfg_error(c, n, "missing key 'weight'");
	/* memory.high alone: no raise unless a factor is given */
	if (k == ACTION_MEMORY && a->high_ratio > 0 && v &&
	    fy_node_get_type(v) == FYNT_MAPPING &&
	    !fy_node_mapping_lookup_by_string(v, "factor", -1))
		a->factor = 1.0;
	cfg_pop(c, old);
	if (c->nerr == nerr)
		return 0;
	/* rejected: the caller keeps nothing of it */
	cfg_strv_free(a->argv);
	a->argv = NULL;
	free(a->params_json);
	a->params_json = NULL;
	return -EINVAL;
}

/* A chain: a list of actions (or one action mapping). */
int cfg_parse_chain(struct cfg_ctx *c, struct fy_node *n, const char *name)
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
		if (!cfg_want(c, n, FYNT_SEQUENCE))
			return -EINVAL;
		if (!fy_node_sequence_item_count(n)) {
			cfg_error(c, n, "must not be empty");
			return -EINVAL;
		}
		while ((an = fy_node_sequence_iterate(n, &it))) {
			size_t old = cfg_push(c, "[%zu]", na);
			int err;

			if (na == 16) {
				cfg_error(c, an, "at most 16 actions");
				cfg_pop(c, old);
				break;
			}
			err = parse_action(c, an, &acts[na]);
			cfg_pop(c, old);
			if (!err)
				na++;
		}
	}
	idx = cfg_add_strategy(c->cfg, name, acts, na);
	if (idx < 0)
		for (size_t i = 0; i < na; i++) {
			cfg_strv_free(acts[i].argv);
			free(acts[i].params_json);
		}
	return idx;
}

void cfg_strategy_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			 struct fy_node *v, void *obj)
{
	(void)obj;
	if (!cfg_name_ok(k)) {
		cfg_error(c, kn, "must be 1-31 characters of [A-Za-z0-9_.-], "
			  "starting with a letter or digit");
		return;
	}
	cfg_parse_chain(c, v, k);
}

// SPDX-License-Identifier: BSD-2-Clause
/* config_component.c - one component of the configuration: how its
 * processes are found, how it is started and stopped, its detection
 * thresholds, backoff, budget and the strategies per failure class. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include "config_int.h"

/* ---- components ---- */

struct comp_ctx {
	size_t idx;
	struct cfg_component *cc;
	bool spawn_set, spawn;
	bool match_set;
	bool on_stop_set;
};

static void backoff_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct cfg_backoff *b = obj;

	if (!strcmp(k, "initial_ms"))
		cfg_get_u32(c, v, 0, 3600000, &b->initial_ms);
	else if (!strcmp(k, "factor"))
		cfg_get_double(c, v, 1.0, 100.0, &b->factor);
	else if (!strcmp(k, "max_ms"))
		cfg_get_u32(c, v, 0, 86400000, &b->max_ms);
	else if (!strcmp(k, "jitter"))
		cfg_get_double(c, v, 0.0, 1.0, &b->jitter);
	else if (!strcmp(k, "reset_after_s"))
		cfg_get_secs(c, v, 0, 86400, &b->reset_after_ms);
	else
		cfg_unknown(c, kn);
}

static void budget_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;

	if (!strcmp(k, "max"))
		cfg_get_u32(c, v, 1, 10000, &cc->budget_max);
	else if (!strcmp(k, "interval_s"))
		cfg_get_secs(c, v, 0.001, 86400, &cc->budget_interval_ms);
	else
		cfg_unknown(c, kn);
}

static void loop_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;

	if (!strcmp(k, "count"))
		cfg_get_u32(c, v, 2, 10000, &cc->crash_loop_count);
	else if (!strcmp(k, "window_s"))
		cfg_get_secs(c, v, 0.001, 86400, &cc->crash_loop_window_ms);
	else
		cfg_unknown(c, kn);
}

static void net_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		    struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;

	if (!strcmp(k, "threshold"))
		cfg_get_u32(c, v, 1, 1000000, &cc->net_threshold);
	else if (!strcmp(k, "window_s"))
		cfg_get_secs(c, v, 0.001, 86400, &cc->net_window_ms);
	else
		cfg_unknown(c, kn);
}

static void starved_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;

	if (!strcmp(k, "count"))
		cfg_get_u32(c, v, 1, 1000000, &cc->starved_count);
	else if (!strcmp(k, "window_s"))
		cfg_get_secs(c, v, 0.001, 86400, &cc->starved_window_ms);
	else
		cfg_unknown(c, kn);
}

/* Remember where a key checked against the host was written. */
static void host_pos(struct cfg_ctx *c, struct fy_node *v,
		     struct cfg_component *cc, enum cfg_host_key k)
{
	struct cfg_mark m;

	cfg_mark_of(c, v, &m);
	cc->host_pos[k].line = m.line;
	cc->host_pos[k].col = m.col;
}

static void match_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		      struct fy_node *v, void *obj)
{
	struct comp_ctx *x = obj;
	static const char *const names[] = { "comm", "exe", "cgroup",
					     "pidfile" };

	if (!strcmp(k, "user")) {
		/* whose processes may be adopted: a user name or "any" */
		cfg_get_str(c, v, x->cc->match_user, sizeof(x->cc->match_user));
		return;
	}
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
		if (cfg_get_str(c, v, x->cc->match_value,
			    i == 0 ? 16 : CONFIG_PATH_LEN))
			return;
		if (i != 0 && x->cc->match_value[0] != '/')
			cfg_error(c, v, "must be an absolute path");
		return;
	}
	cfg_unknown(c, kn);
}

/* output: inherit | null | journal | file:/ABSOLUTE/PATH */
static void output_key(struct cfg_ctx *c, struct fy_node *v,
		       struct cfg_component *cc)
{
	static const char *const names[] = { "null", "inherit", "journal" };
	char s[CONFIG_PATH_LEN + 8];

	if (cfg_get_str(c, v, s, sizeof(s)))
		return;
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			cc->output = OUTPUT_NULL + i;
			return;
		}
	if (strncmp(s, "file:", 5)) {
		cfg_error(c, v, "must be inherit, null, journal or file:PATH");
		return;
	}
	if (s[5] != '/' || strlen(s + 5) >= sizeof(cc->output_path)) {
		cfg_error(c, v, "file:PATH needs an absolute path");
		return;
	}
	cc->output = OUTPUT_FILE;
	snprintf(cc->output_path, sizeof(cc->output_path), "%s", s + 5);
}

static void env_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		    struct fy_node *v, void *obj)
{
	struct cfg_component *cc = obj;
	const char *val = cfg_scalar(c, v);
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
	if (!cfg_want(c, v, FYNT_SEQUENCE))
		return;
	n = fy_node_sequence_item_count(v);
	free(x->cc->on[fc]);
	x->cc->on[fc] = calloc(n + 1, sizeof(int));
	x->cc->n_on[fc] = 0;
	if (!x->cc->on[fc])
		return;
	while ((it_n = fy_node_sequence_iterate(v, &it))) {
		size_t old = cfg_push(c, "[%zu]", slot);

		if (fy_node_get_type(it_n) == FYNT_SCALAR) {
			struct cfg_ref *r;
			const char *s = cfg_scalar(c, it_n);

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
			x->cc->on[fc][slot] = cfg_parse_chain(c, it_n, name);
		}
		cfg_pop(c, old);
		slot++;
	}
	x->cc->n_on[fc] = slot;
}

/* components[i].pin: class -> the strategy the operator forces */
static void pin_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		    struct fy_node *v, void *obj)
{
	struct comp_ctx *x = obj;
	int fc = config_failure_from_name(k);
	const char *s;
	struct cfg_ref *r;

	if (fc < 0) {
		cfg_error(c, kn, "unknown failure class '%s'", k);
		return;
	}
	s = cfg_scalar(c, v);
	r = s ? realloc(c->refs, (c->n_refs + 1) * sizeof(*r)) : NULL;
	if (!r)
		return;
	c->refs = r;
	r = &r[c->n_refs++];
	memset(r, 0, sizeof(*r));
	r->comp = x->idx;
	r->fc = fc;
	r->pin = true;
	snprintf(r->name, sizeof(r->name), "%s", s);
	cfg_mark_of(c, v, &r->mark);
}

static void comp_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj)
{
	struct comp_ctx *x = obj;
	struct cfg_component *cc = x->cc;

	if (!strcmp(k, "name")) {
		cfg_mark_of(c, v, &c->name_marks[x->idx]);
		if (cfg_get_str(c, v, cc->name, sizeof(cc->name)))
			return;
		if (!cfg_name_ok(cc->name))
			cfg_error(c, v, "must be 1-31 characters of "
				  "[A-Za-z0-9_.-], starting with a letter or "
				  "digit");
	} else if (!strcmp(k, "spawn")) {
		x->spawn_set = !cfg_get_bool(c, v, &x->spawn);
	} else if (!strcmp(k, "match")) {
		cfg_each_pair(c, v, match_key, x);
		if (v && fy_node_get_type(v) == FYNT_MAPPING && !x->match_set)
			cfg_error(c, v, "one of comm, exe, cgroup, pidfile is "
				  "required");
	} else if (!strcmp(k, "command")) {
		c->comp_has_command[x->idx] = true;
		host_pos(c, v, cc, CFG_HOST_COMMAND);
		cfg_strv_free(cc->command);
		cc->command = cfg_get_strv(c, v, NULL, true);
	} else if (!strcmp(k, "user")) {
		cfg_get_str(c, v, cc->user, sizeof(cc->user));
		host_pos(c, v, cc, CFG_HOST_USER);
	} else if (!strcmp(k, "group")) {
		cfg_get_str(c, v, cc->group, sizeof(cc->group));
		host_pos(c, v, cc, CFG_HOST_GROUP);
	} else if (!strcmp(k, "cwd")) {
		cfg_get_str(c, v, cc->cwd, sizeof(cc->cwd));
		host_pos(c, v, cc, CFG_HOST_CWD);
	} else if (!strcmp(k, "env")) {
		cfg_each_pair(c, v, env_key, cc);
	} else if (!strcmp(k, "cgroup")) {
		cfg_get_str(c, v, cc->cgroup, sizeof(cc->cgroup));
		host_pos(c, v, cc, CFG_HOST_CGROUP);
	} else if (!strcmp(k, "output")) {
		output_key(c, v, cc);
	} else if (!strcmp(k, "autostart")) {
		cfg_get_bool(c, v, &cc->autostart);
		c->comp_has_autostart[x->idx] = true;
	} else if (!strcmp(k, "stop_signal")) {
		cfg_get_signal(c, v, &cc->stop_signal);
	} else if (!strcmp(k, "on_daemon_stop")) {
		char val[8];

		if (cfg_get_str(c, v, val, sizeof(val)))
			return;
		x->on_stop_set = true;
		if (!strcmp(val, "stop"))
			cc->on_daemon_stop = ON_STOP_STOP;
		else if (!strcmp(val, "keep"))
			cc->on_daemon_stop = ON_STOP_KEEP;
		else
			cfg_error(c, v, "must be stop or keep");
	} else if (!strcmp(k, "stop_timeout_s")) {
		cfg_get_secs(c, v, 0, 3600, &cc->stop_timeout_ms);
	} else if (!strcmp(k, "depends_on")) {
		cfg_strv_free(cc->depends_on);
		cc->depends_on = cfg_get_strv(c, v, &cc->n_deps, false);
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
		cfg_each_pair(c, v, backoff_key, &cc->backoff);
	} else if (!strcmp(k, "budget")) {
		cfg_each_pair(c, v, budget_key, cc);
	} else if (!strcmp(k, "verify_s")) {
		cfg_get_secs(c, v, 0.001, 3600, &cc->verify_ms);
	} else if (!strcmp(k, "start_grace_s")) {
		cfg_get_secs(c, v, 0, 3600, &cc->start_grace_ms);
	} else if (!strcmp(k, "ok_exit_codes")) {
		struct fy_node *e;
		void *it = NULL;

		if (!cfg_want(c, v, FYNT_SEQUENCE))
			return;
		cc->n_ok_exit_codes = 0;
		while ((e = fy_node_sequence_iterate(v, &it))) {
			size_t old = cfg_push(c, "[%zu]", cc->n_ok_exit_codes);
			int code;

			if (cc->n_ok_exit_codes == CONFIG_MAX_OK_CODES)
				cfg_error(c, e, "at most %d codes",
					  CONFIG_MAX_OK_CODES);
			else if (!cfg_get_int(c, e, 0, 255, &code))
				cc->ok_exit_codes[cc->n_ok_exit_codes++] = code;
			cfg_pop(c, old);
			if (cc->n_ok_exit_codes == CONFIG_MAX_OK_CODES)
				break;
		}
	} else if (!strcmp(k, "crash_loop")) {
		cfg_each_pair(c, v, loop_key, cc);
	} else if (!strcmp(k, "net")) {
		cfg_each_pair(c, v, net_key, cc);
	} else if (!strcmp(k, "starved_us")) {
		cfg_get_u64(c, v, 100, 60000000, &cc->starved_us);
	} else if (!strcmp(k, "pressure")) {
		cfg_parse_pressure(c, v, cc->pressure);
	} else if (!strcmp(k, "starved")) {
		cfg_each_pair(c, v, starved_key, cc);
	} else if (!strcmp(k, "probe")) {
		cfg_parse_probe(c, v, &cc->probe);
	} else if (!strcmp(k, "missing_check_s")) {
		cfg_get_secs(c, v, 0, 86400, &cc->missing_check_ms);
	} else if (!strcmp(k, "on")) {
		c->comp_has_on[x->idx] = true;
		cfg_each_pair(c, v, on_key, x);
	} else if (!strcmp(k, "pin")) {
		cfg_each_pair(c, v, pin_key, x);
	} else {
		cfg_unknown(c, kn);
	}
}

void cfg_parse_components(struct cfg_ctx *c, struct fy_node *n)
{
	struct hms_config *cfg = c->cfg;
	struct fy_node *cn;
	void *it = NULL;
	size_t count, i = 0;

	if (!cfg_want(c, n, FYNT_SEQUENCE))
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
		size_t old = cfg_push(c, "[%zu]", i);
		struct comp_ctx x = { .idx = i, .cc = &cfg->components[i] };

		cfg_component_defaults(x.cc);
		cfg_mark_of(c, cn, &c->comp_marks[i]);
		c->name_marks[i] = c->comp_marks[i];
		cfg->n_components = i + 1;
		cfg_each_pair(c, cn, comp_key, &x);
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
		/* hms-ebpf never stops at exit what it did not start */
		if (!x.on_stop_set)
			x.cc->on_daemon_stop = x.cc->match == MATCH_SPAWN ?
					       ON_STOP_STOP : ON_STOP_KEEP;
		if (x.cc->match_user[0] && x.cc->match == MATCH_SPAWN)
			cfg_error(c, cn, "match.user needs a match");
		cfg_pop(c, old);
		i++;
	}
}

// SPDX-License-Identifier: BSD-2-Clause
/* config.c - loading the configuration: file checks (sshd-style refusal of
 * loosely permitted files), libfyaml document building with collected
 * syntax errors, defaults, the embedded default config and freeing.  The
 * key-by-key parsing lives in config_parse.c, cross-checks in
 * config_validate.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config_int.h"
#include "log.h"
#include "default_config.h"

/* libfyaml 0.7 has marks on tokens only: a collection is located by its
 * first scalar, an empty one (or a missing value) by the current key. */
static const struct fy_mark *cfg_node_mark(struct fy_node *n)
{
	struct fy_node_pair *p;
	struct fy_node *child;
	void *it = NULL;

	if (!n)
		return NULL;
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR:
		return fy_token_start_mark(fy_node_get_scalar_token(n));
	case FYNT_MAPPING:
		p = fy_node_mapping_iterate(n, &it);
		return p ? cfg_node_mark(fy_node_pair_key(p)) : NULL;
	case FYNT_SEQUENCE:
		child = fy_node_sequence_iterate(n, &it);
		return cfg_node_mark(child);
	}
	return NULL;
}

void cfg_mark_of(struct cfg_ctx *c, struct fy_node *n, struct cfg_mark *m)
{
	const struct fy_mark *fm = cfg_node_mark(n);

	if (!fm)
		fm = cfg_node_mark(c->key);
	m->line = fm ? fm->line + 1 : 1;
	m->col = fm ? fm->column + 1 : 1;
	snprintf(m->path, sizeof(m->path), "%.*s", (int)sizeof(m->path) - 1,
		 c->path[0] ? c->path : "(root)");
}

static void cfg_verror(struct cfg_ctx *c, const struct cfg_mark *m,
		       const char *fmt, va_list ap)
{
	c->nerr++;
	if (!c->errs)
		return;
	fprintf(c->errs, "%s:%d:%d: %s: ", c->file, m->line, m->col, m->path);
	vfprintf(c->errs, fmt, ap);
	fputc('\n', c->errs);
}

void cfg_error_at(struct cfg_ctx *c, const struct cfg_mark *m,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(c, m, fmt, ap);
	va_end(ap);
}

void cfg_error(struct cfg_ctx *c, struct fy_node *n, const char *fmt, ...)
{
	struct cfg_mark m;
	va_list ap;

	cfg_mark_of(c, n, &m);
	va_start(ap, fmt);
	cfg_verror(c, &m, fmt, ap);
	va_end(ap);
}

void cfg_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void cfg_component_defaults(struct cfg_component *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->match = MATCH_SPAWN;
	cc->autostart = true;
	cc->stop_signal = SIGTERM;
	cc->stop_timeout_ms = 5000;
	cc->backoff = (struct cfg_backoff){ .initial_ms = 100, .factor = 2.0,
		.max_ms = 30000, .jitter = 0.1, .reset_after_ms = 60000 };
	cc->budget_max = 5;
	cc->budget_interval_ms = 60000;
	cc->verify_ms = 10000;
	cc->start_grace_ms = 1000;
	cc->crash_loop_count = 5;
	cc->crash_loop_window_ms = 60000;
	cc->net_threshold = 20;
	cc->net_window_ms = 10000;
	cc->starved_us = 100000;
	cc->starved_count = 5;
	cc->starved_window_ms = 10000;
	cc->probe.interval_ms = 10000;
	cc->probe.timeout_ms = 1000;
	cc->probe.failures = 3;
	cc->missing_check_ms = 5000;
}

int cfg_add_strategy(struct hms_config *cfg, const char *name,
		     const struct cfg_action *acts, size_t n)
{
	struct cfg_strategy *s;

	s = realloc(cfg->strategies, (cfg->n_strategies + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	cfg->strategies = s;
	s = &cfg->strategies[cfg->n_strategies];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (n) {
		s->actions = calloc(n, sizeof(*acts));
		if (!s->actions)
			return -ENOMEM;
		memcpy(s->actions, acts, n * sizeof(*acts));
		s->n_actions = n;
	}
	return (int)cfg->n_strategies++;
}

void cfg_defaults(struct hms_config *cfg)
{
	static const struct cfg_action restart = { .kind = ACTION_RESTART };
	static const struct cfg_action alert = { .kind = ACTION_ALERT,
						  .severity = 1 };

	cfg->version = 1;
	snprintf(cfg->daemon.registry, sizeof(cfg->daemon.registry),
		 "/var/lib/hms-ebpf/registry");
	snprintf(cfg->daemon.socket, sizeof(cfg->daemon.socket),
		 "/run/hms-ebpf/hms.sock");
	snprintf(cfg->daemon.socket_group, sizeof(cfg->daemon.socket_group),
		 "hms");
	cfg->daemon.max_concurrent_actions = 4;
	cfg->daemon.registry_half_life_s = 7 * 24 * 3600;
	cfg->daemon.log_level = HMS_LOG_INFO;
	snprintf(cfg->daemon.cgroup_parent, sizeof(cfg->daemon.cgroup_parent),
		 "hms.slice");
	cfg->daemon.incidents.burst = 10;
	cfg->daemon.incidents.interval_ms = 60000;
	cfg->sensors.runq_latency_us = 20000;
	cfg->sensors.bulk_rate_per_sec = 1000;
	snprintf(cfg->dashboard.session, sizeof(cfg->dashboard.session), "hms");
	snprintf(cfg->dashboard.layout, sizeof(cfg->dashboard.layout),
		 "default");
	/* built-ins: always present, may be overridden by name */
	cfg_add_strategy(cfg, "restart", &restart, 1);
	cfg_add_strategy(cfg, "alert", &alert, 1);
}

static void cfg_action_free(struct cfg_action *a)
{
	cfg_strv_free(a->argv);
	free(a->params_json);
}

void config_free(struct hms_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_strategies; i++) {
		for (size_t j = 0; j < cfg->strategies[i].n_actions; j++)
			cfg_action_free(&cfg->strategies[i].actions[j]);
		free(cfg->strategies[i].actions);
	}
	free(cfg->strategies);
	for (size_t i = 0; i < cfg->n_components; i++) {
		struct cfg_component *cc = &cfg->components[i];

		cfg_strv_free(cc->command);
		cfg_strv_free(cc->env);
		cfg_strv_free(cc->depends_on);
		cfg_strv_free(cc->probe.argv);
		free(cc->probe.params_json);
		free(cc->dep_idx);
		for (int f = 0; f < FAIL_MAX; f++)
			free(cc->on[f]);
	}
	free(cfg->components);
	for (size_t i = 0; i < cfg->dashboard.n_layouts; i++)
		free((void *)cfg->dashboard.layouts[i].panes);
	free(cfg->dashboard.layouts);
	for (size_t i = 0; i < cfg->n_plugins; i++)
		free(cfg->plugins[i].config_json);
	free(cfg->plugins);
	free(cfg);
}

static void cfg_ctx_release(struct cfg_ctx *c)
{
	free(c->comp_marks);
	free(c->dep_marks);
	free(c->refs);
	free(c->comp_has_on);
	free(c->comp_has_autostart);
	free(c->comp_has_command);
	free(c->name_marks);
	for (size_t i = 0; i < c->n_prefs; i++) {
		free(c->prefs[i].kind);
		free(c->prefs[i].params_json);
	}
	free(c->prefs);
}

/* Build the document collecting libfyaml's own errors (syntax, duplicate
 * keys) so they come out in our FILE:LINE:COL format. */
static struct fy_document *cfg_build(struct cfg_ctx *c, const char *path,
				     const char *yaml, size_t len)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg = { 0 };
	struct fy_document *fyd;
	struct fy_diag_error *de;
	struct fy_diag *diag;
	void *it = NULL;

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag)
		return NULL;
	fy_diag_set_collect_errors(diag, true);
	pcfg.flags = FYPCF_QUIET;
	pcfg.diag = diag;
	(void)path;
	fyd = fy_document_build_from_string(&pcfg, yaml, len);
	while ((de = fy_diag_errors_iterate(diag, &it))) {
		struct cfg_mark m = { .line = de->line,
				      .col = de->column };

		snprintf(m.path, sizeof(m.path), "(syntax)");
		cfg_error_at(c, &m, "%s", de->msg ? de->msg : "parse error");
	}
	if (!fyd && !c->nerr) {
		struct cfg_mark m = { .line = 1, .col = 1 };

		snprintf(m.path, sizeof(m.path), "(syntax)");
		cfg_error_at(c, &m, "cannot parse YAML");
	}
	fy_diag_destroy(diag);
	return fyd;
}

static int cfg_load(const char *name, const char *path, const char *yaml,
		    size_t len, struct hms_config **out, FILE *errs)
{
	struct cfg_ctx c = { .file = name, .errs = errs };
	struct fy_document *fyd = NULL;
	struct hms_config *cfg;
	char *text = NULL;
	int err = 0;

	*out = NULL;
	if (path) {
		err = cfg_text_read(path, &text, &len);
		if (err) {
			if (errs)
				fprintf(errs, "%s:0:0: (file): cannot read: "
					"%s\n", name, strerror(-err));
			return err;
		}
		yaml = text;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		free(text);
		return -ENOMEM;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	cfg_defaults(cfg);
	c.cfg = cfg;
	/* libfyaml never sees what it could loop on */
	if (cfg_text_check(&c, yaml, len)) {
		err = -EINVAL;
		goto cleanup;
	}
	fyd = cfg_build(&c, path, yaml, len);
	if (!fyd || c.nerr) {
		err = -EINVAL;
		goto cleanup;
	}
	cfg_parse_root(&c, fy_document_root(fyd));
	cfg_validate(&c);
	if (c.nerr)
		err = -EINVAL;
cleanup:
	fy_document_destroy(fyd);
	free(text);
	cfg_ctx_release(&c);
	if (err)
		config_free(cfg);
	else
		*out = cfg;
	return err;
}

int config_load_string(const char *name, const char *yaml, size_t len,
		       struct hms_config **out, FILE *errs)
{
	return cfg_load(name, NULL, yaml, len, out, errs);
}

/* Refuse files others could have written, like sshd: the file must be
 * owned by root (or us) and not group/world-writable. */
static int cfg_check_perms(const char *path, FILE *errs)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int err = -errno;

		if (errs)
			fprintf(errs, "%s:0:0: (file): cannot read: %s\n", path,
				strerror(errno));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		if (errs)
			fprintf(errs, "%s:0:0: (file): not a regular file\n",
				path);
		return -EINVAL;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		if (errs)
			fprintf(errs, "%s:0:0: (file): bad permissions: "
				"writable by others than root (owner uid %u, "
				"mode %04o); refusing it\n", path,
				(unsigned)st.st_uid,
				(unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int config_load_file(const char *path, struct hms_config **out, FILE *errs)
{
	int err;

	*out = NULL;
	err = cfg_check_perms(path, errs);
	if (err)
		return err;
	return cfg_load(path, path, NULL, 0, out, errs);
}

int config_load_default(struct hms_config **out)
{
	return cfg_load("(default)", NULL, hms_default_config_yaml,
			strlen(hms_default_config_yaml), out, stderr);
}

int config_load(const char *path, struct hms_config **out, FILE *errs)
{
	struct stat st;

	if (!path)
		path = CONFIG_DEFAULT_PATH;
	if (stat(path, &st) < 0 && errno == ENOENT &&
	    !strcmp(path, CONFIG_DEFAULT_PATH))
		return config_load_default(out);
	return config_load_file(path, out, errs);
}

const struct cfg_component *config_component(const struct hms_config *cfg,
					     const char *name)
{
	for (size_t i = 0; i < cfg->n_components; i++)
		if (!strcmp(cfg->components[i].name, name))
			return &cfg->components[i];
	return NULL;
}

int config_strategy_index(const struct hms_config *cfg, const char *name)
{
	for (size_t i = cfg->n_strategies; i-- > 0;)
		if (!strcmp(cfg->strategies[i].name, name))
			return (int)i;
	return -ENOENT;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* config_int.h - internals shared by config.c, config_parse.c and
 * config_validate.c: the parse context that carries the file name, the
 * current key path and every error found, plus the references that can
 * only be resolved once the whole document is read. */
#ifndef HMS_CONFIG_INT_H
#define HMS_CONFIG_INT_H

#include <libfyaml.h>
#include "config.h"

struct cfg_mark {
	int line;			/* 1-based */
	int col;
	char path[160];
};

/* A strategy name used by components[i].on.CLASS[j]. */
struct cfg_ref {
	size_t comp;
	int fc;
	size_t slot;
	char name[CONFIG_NAME_LEN];
	struct cfg_mark mark;
	bool pin;		/* components[i].pin.CLASS, not on.CLASS */
};

/* A plugin action or probe kind used by the config: checked against the
 * listed plugins once the whole document is read (config_plugins.c). */
struct cfg_plugin_ref {
	bool probe;
	char *kind;
	char *params_json;
	struct cfg_mark mark;
};

struct cfg_ctx {
	const char *file;
	FILE *errs;
	int nerr;
	char path[128];
	struct fy_node *key;		/* key being parsed, for positions */
	struct hms_config *cfg;
	struct cfg_mark *comp_marks;	/* per component: its mapping */
	struct cfg_mark *dep_marks;	/* flat, in order of depends_on */
	size_t n_dep_marks;
	struct cfg_ref *refs;
	size_t n_refs;
	bool *comp_has_on;		/* per component: "on" given */
	bool *comp_has_autostart;
	bool *comp_has_command;
	struct cfg_mark *name_marks;	/* per component: its name */
	struct cfg_plugin_ref *prefs;
	size_t n_prefs;
};

void cfg_error(struct cfg_ctx *c, struct fy_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_error_at(struct cfg_ctx *c, const struct cfg_mark *m,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cfg_mark_of(struct cfg_ctx *c, struct fy_node *n, struct cfg_mark *m);

/* config_text.c: the file as bytes, before libfyaml. */
int cfg_text_read(const char *path, char **out, size_t *len);
/* At most CONFIG_MAX_BYTES of valid UTF-8 without NUL; errors reported
 * at FILE:LINE:COL (the column counts characters).  0 or -errno. */
int cfg_text_check(struct cfg_ctx *c, const char *text, size_t len);

/* Typed readers (config_parse.c): every one reports its own errors. */
typedef void (*cfg_map_fn)(struct cfg_ctx *c, const char *key,
			   struct fy_node *kn, struct fy_node *v, void *obj);
size_t cfg_push(struct cfg_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cfg_pop(struct cfg_ctx *c, size_t old);
bool cfg_want(struct cfg_ctx *c, struct fy_node *n, enum fy_node_type t);
const char *cfg_scalar(struct cfg_ctx *c, struct fy_node *n);
const char *cfg_plain(struct cfg_ctx *c, struct fy_node *n, const char *what);
int cfg_get_str(struct cfg_ctx *c, struct fy_node *n, char *buf, size_t len);
int cfg_get_u64(struct cfg_ctx *c, struct fy_node *n, uint64_t min,
		uint64_t max, uint64_t *out);
int cfg_get_u32(struct cfg_ctx *c, struct fy_node *n, uint32_t min,
		uint32_t max, uint32_t *out);
int cfg_get_int(struct cfg_ctx *c, struct fy_node *n, long min, long max,
		int *out);
int cfg_get_double(struct cfg_ctx *c, struct fy_node *n, double min,
		   double max, double *out);
int cfg_get_secs(struct cfg_ctx *c, struct fy_node *n, double min,
		 double max, uint32_t *ms);
int cfg_get_bool(struct cfg_ctx *c, struct fy_node *n, bool *out);
int cfg_get_signal(struct cfg_ctx *c, struct fy_node *n, int *out);
char **cfg_get_strv(struct cfg_ctx *c, struct fy_node *n, size_t *count,
		    bool nonempty);
void cfg_each_pair(struct cfg_ctx *c, struct fy_node *n, cfg_map_fn fn,
		   void *obj);
void cfg_unknown(struct cfg_ctx *c, struct fy_node *kn);
bool cfg_name_ok(const char *s);

/* Sections (config_sections.c, config_component.c). */
void cfg_daemon_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		    struct fy_node *v, void *obj);
void cfg_sensors_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj);
void cfg_metrics_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj);
void cfg_watch_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		   struct fy_node *v, void *obj);
void cfg_dashboard_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		       struct fy_node *v, void *obj);
void cfg_strategy_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		      struct fy_node *v, void *obj);
/* An action chain (list, or one action mapping) added as a strategy;
 * returns its index or -errno. */
int cfg_parse_chain(struct cfg_ctx *c, struct fy_node *n, const char *name);
void cfg_parse_components(struct cfg_ctx *c, struct fy_node *n);
/* config_pressure.c: components[i].pressure, daemon.cgroup_parent and
 * durations with a unit ("100ms", "2s", "500us"). */
void cfg_parse_pressure(struct cfg_ctx *c, struct fy_node *n,
			struct cfg_pressure *p);	/* [PRESSURE_MAX] */
/* host: {pressure: ...} */
void cfg_parse_host(struct cfg_ctx *c, struct fy_node *n);
int cfg_get_cgroup_parent(struct cfg_ctx *c, struct fy_node *n, char *buf,
			  size_t len);
int cfg_get_duration(struct cfg_ctx *c, struct fy_node *n, uint64_t min_us,
		     uint64_t max_us, uint64_t *us);
void cfg_parse_probe(struct cfg_ctx *c, struct fy_node *n,
		     struct cfg_probe *p);
/* `plugins:` (config_plugins.c). */
void cfg_parse_plugins(struct cfg_ctx *c, struct fy_node *n);
/* `plugin: {kind: K, params: {..}[, timeout_ms: N]}` of an action (or a
 * probe: no timeout_ms there, it has its own): kind and params (a JSON
 * object, "{}" when absent) out, the reference remembered for
 * cfg_check_plugin_refs.  0 or -EINVAL (reported). */
int cfg_parse_plugin_use(struct cfg_ctx *c, struct fy_node *n, bool probe,
			 char *kind, size_t klen, char **params_json,
			 uint32_t *timeout_ms);
/* Every plugin kind used: provided by a listed plugin whose check
 * accepts its params (plugin_catalog). */
void cfg_check_plugin_refs(struct cfg_ctx *c);

/* Parse the document root into c->cfg (defaults already set). */
void cfg_parse_root(struct cfg_ctx *c, struct fy_node *root);
/* Resolve references, check names, cycles and commands. */
void cfg_validate(struct cfg_ctx *c);
/* Defaults of one component. */
void cfg_component_defaults(struct cfg_component *cc);
void cfg_defaults(struct hms_config *cfg);
int cfg_parse_signal(const char *s);
/* Append a built-in or inline strategy, returns its index or -ENOMEM. */
int cfg_add_strategy(struct hms_config *cfg, const char *name,
		     const struct cfg_action *acts, size_t n);
void cfg_strv_free(char **v);

#endif

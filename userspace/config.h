/* SPDX-License-Identifier: BSD-2-Clause */
/* config.h - the daemon's configuration: one YAML file (libfyaml) parsed
 * into plain structs, validated as a whole so that --check-config and
 * SIGHUP reload report every error as FILE:LINE:COL: key.path: message. */
#ifndef HMS_CONFIG_H
#define HMS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "actions.h"
#include "dashboard.h"
#include "pressure.h"
#include "plugin.h"

#define CONFIG_DEFAULT_PATH	"/etc/hms-ebpf/hms.yaml"
#define CONFIG_MAX_BYTES	(1u << 20)	/* larger files are refused */
#define CONFIG_NAME_LEN		32
#define CONFIG_PATH_LEN		256
#define CONFIG_MAX_OK_CODES	16

/* enum failure_class is in bpf/hms_event.h, its names in common/. */
static inline const char *config_failure_name(int fc)	/* "crash", ... */
{
	return hms_failure_name(fc);
}

static inline int config_failure_from_name(const char *name)
{
	return hms_failure_from_name(name);
}

enum config_match {
	MATCH_SPAWN,		/* we start it and are its parent */
	MATCH_COMM,
	MATCH_EXE,
	MATCH_CGROUP,
	MATCH_PIDFILE,
};

/* What happens to a component's processes when hms-ebpf stops. */
enum config_on_stop {
	ON_STOP_STOP,		/* stop_signal, SIGKILL after stop_timeout */
	ON_STOP_KEEP,		/* leave them running */
};

#define CONFIG_MATCH_ANY_USER	"any"

/* Where a component's (and its hooks') stdout and stderr go. */
enum config_output {
	OUTPUT_DEFAULT,		/* journal under systemd, else a file in the
				 * state dir (next to daemon.registry) */
	OUTPUT_NULL,
	OUTPUT_INHERIT,		/* the daemon's stderr unless a terminal */
	OUTPUT_JOURNAL,
	OUTPUT_FILE,		/* output_path */
};

/* Alternatives a signal action may list (signal: [HUP, USR1, TERM]). */
#define CFG_SIGNALS_MAX	8

/* One action of a strategy's chain. */
struct cfg_action {
	enum action_kind kind;
	int signal;			/* signal: number (the first choice) */
	int signals[CFG_SIGNALS_MAX];	/* signal: alternatives, [0] = signal */
	uint32_t n_signals;		/* > 1: the registry learns which */
	char **argv;			/* exec: NULL-terminated */
	uint32_t timeout_ms;		/* exec: hook timeout */
	double factor;			/* memory: multiply limit */
	uint64_t max_mb;		/* memory: cap */
	double high_ratio;		/* memory: memory.high = ratio x
					 * memory.max (v2), 0 = leave */
	uint32_t io_weight;		/* io: io.weight (v2) */
	uint32_t cpu_weight;		/* cpu: v2 weight / v1 shares */
	int nice;			/* cpu: new nice value */
	uint32_t slice_us;		/* cpu: EEVDF request size, 0 = keep */
	uint32_t rt_priority;		/* cpu: SCHED_RR priority, 0 = fair */
	uint32_t severity;		/* alert: enum alert_severity */
	char message[96];		/* alert */
	char plugin_kind[CONFIG_NAME_LEN];	/* plugin: a plugin's action */
	char *params_json;		/* plugin: its params, a JSON object
					 * (timeout_ms bounds it) */
};

struct cfg_strategy {
	char name[CONFIG_NAME_LEN];
	struct cfg_action *actions;
	size_t n_actions;
};

/* One PSI trigger: a "some" or "full" stall of stall_us within window_us. */
struct cfg_pressure {
	bool set;
	bool full;
	uint64_t stall_us;
	uint64_t window_us;
	uint64_t max_us;		/* the registry may raise stall_us up
					 * to this after false alarms; 0 =
					 * no tuning */
};

struct cfg_backoff {
	uint32_t initial_ms;
	double factor;
	uint32_t max_ms;
	double jitter;			/* 0..1, fraction of the delay */
	uint32_t reset_after_ms;	/* healthy this long resets backoff */
};

enum cfg_probe_kind {
	PROBE_NONE,
	PROBE_EXEC,		/* argv exits 0 within the timeout */
	PROBE_TCP,		/* connect to host:port */
	PROBE_HTTP,		/* GET on loopback, expected status */
	PROBE_PLUGIN,		/* a plugin's probe kind, done(0) = pass */
};

/* A health probe: a failing one is the failure class `probe`, a passing
 * one is part of every verification. */
struct cfg_probe {
	enum cfg_probe_kind kind;
	char **argv;			/* exec */
	char host[64];			/* tcp, http: numeric address */
	uint16_t port;
	char path[128];			/* http: request path */
	uint32_t status;		/* http: expected, 0 = any 2xx */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t failures;		/* consecutive failures that count */
	char plugin_kind[CONFIG_NAME_LEN];	/* plugin */
	char *params_json;		/* plugin: a JSON object */
};

/* Where the keys checked against the host were written (--check-config). */
enum cfg_host_key {
	CFG_HOST_COMMAND, CFG_HOST_USER, CFG_HOST_GROUP, CFG_HOST_CWD,
	CFG_HOST_CGROUP, CFG_HOST_MAX,
};

struct cfg_pos {
	int line, col;			/* 0 = key absent */
};

struct cfg_component {
	char name[CONFIG_NAME_LEN];
	enum config_match match;
	char match_value[CONFIG_PATH_LEN];	/* comm, exe, cgroup, pidfile */
	char match_user[CONFIG_NAME_LEN];	/* adopt only processes of this
						 * user ("any": every user; ""
						 * = user, or root) */
	enum config_on_stop on_daemon_stop;	/* default: spawned stop,
						 * adopted keep */
	char **command;			/* argv, NULL-terminated, may be NULL */
	char user[CONFIG_NAME_LEN];	/* empty = root/unchanged */
	char group[CONFIG_NAME_LEN];
	char cwd[CONFIG_PATH_LEN];
	char **env;			/* "K=V", NULL-terminated, may be NULL */
	char cgroup[CONFIG_PATH_LEN];	/* spawn: join this cgroup (path
					 * relative to the hierarchy root) */
	enum config_output output;	/* output: inherit|null|journal|file:P */
	char output_path[CONFIG_PATH_LEN];
	bool autostart;			/* spawn at start (spawn only) */
	int stop_signal;
	uint32_t stop_timeout_ms;
	char **depends_on;		/* names, NULL-terminated */
	int *dep_idx;			/* resolved indices */
	size_t n_deps;
	struct cfg_backoff backoff;
	uint32_t budget_max;		/* recoveries per interval */
	uint32_t budget_interval_ms;
	uint32_t verify_ms;		/* verification window */
	uint32_t start_grace_ms;	/* starting -> healthy */
	int ok_exit_codes[CONFIG_MAX_OK_CODES];
	size_t n_ok_exit_codes;
	uint32_t crash_loop_count;	/* failures ... */
	uint32_t crash_loop_window_ms;	/* ... within this window */
	uint32_t net_threshold;		/* net events ... */
	uint32_t net_window_ms;		/* ... within this window */
	uint64_t starved_us;		/* run-queue wait threshold */
	uint32_t starved_count;		/* waits over it ... */
	uint32_t starved_window_ms;	/* ... within this window */
	struct cfg_probe probe;
	struct cfg_pos host_pos[CFG_HOST_MAX];
	uint32_t missing_check_ms;	/* adopted: re-scan period, 0 = off */
	/* PSI triggers on its cgroup v2 (enum pressure_resource) */
	struct cfg_pressure pressure[PRESSURE_MAX];
	/* failure class -> candidate strategy indices into cfg->strategies */
	int *on[FAIL_MAX];
	size_t n_on[FAIL_MAX];
	/* pin: class -> strategy index + 1 the operator forces (one of
	 * on[class]); 0 = the registry chooses */
	int pin[FAIL_MAX];
};

struct hms_config {
	char path[CONFIG_PATH_LEN];	/* "(default)" when embedded */
	int version;
	struct {
		char registry[CONFIG_PATH_LEN];
		char socket[CONFIG_PATH_LEN];
		char socket_group[CONFIG_NAME_LEN];
		char viewer_group[CONFIG_NAME_LEN];
		bool dry_run;
		uint32_t max_concurrent_actions;
		uint32_t registry_half_life_s;	/* evidence half-life */
		int log_level;		/* enum log_level (log.h); -v raises */
		/* cgroup v2 parent of components' own cgroups, relative to
		 * the unified root */
		char cgroup_parent[CONFIG_PATH_LEN];
		struct {
			uint32_t burst;	/* incidents per (comm, class) ... */
			uint32_t interval_ms;	/* ... per interval */
		} incidents;
		/* the --json stream: types written (none set: all) and
		 * types left out, bits by event type number */
		uint64_t json_types[2];
		uint64_t json_exclude[2];
	} daemon;
	struct {
		uint64_t runq_latency_us;
		uint32_t bulk_rate_per_sec;
	} sensors;
	struct {
		char session[CONFIG_NAME_LEN];
		char layout[CONFIG_NAME_LEN];
		struct dashboard_layout *layouts;	/* dashboard.h */
		size_t n_layouts;
	} dashboard;
	struct {
		char listen[CONFIG_NAME_LEN * 2];	/* empty = off */
	} metrics;
	struct {
		bool enabled;		/* watch all processes */
		uint32_t classes;	/* bit mask of enum failure_class */
	} watch_all;
	struct {
		/* PSI triggers on /proc/pressure/: host-level failures */
		struct cfg_pressure pressure[PRESSURE_MAX];
	} host;
	struct cfg_strategy *strategies;
	size_t n_strategies;
	struct cfg_component *components;
	size_t n_components;
	struct cfg_plugin *plugins;	/* plugin.h; loaded in this order */
	size_t n_plugins;
};

/* Parse and validate path.  errs (may be NULL) gets every error as
 * FILE:LINE:COL: key.path: message.  -EINVAL when invalid, -EPERM when the
 * file is writable by others than root, -errno when it cannot be read. */
int config_load_file(const char *path, struct hms_config **out, FILE *errs);
/* The same from a string (name is used in messages). */
int config_load_string(const char *name, const char *yaml, size_t len,
		       struct hms_config **out, FILE *errs);
/* The embedded default: watch everything for crashes, no action. */
int config_load_default(struct hms_config **out);
/* path if it exists, else the embedded default when path is the default
 * path and it does not exist (-ENOENT otherwise). */
int config_load(const char *path, struct hms_config **out, FILE *errs);
void config_free(struct hms_config *cfg);
/* --check-config's host checks: each component's command exists and is
 * executable (PATH searched as the runner does), user and group exist,
 * cwd and cgroup exist.  Every problem to errs as FILE:LINE:COL: key:
 * message; returns the number of problems. */
int config_check_host(const struct hms_config *cfg, FILE *errs);
/* Name of the pseudo-component of host-wide incidents (reserved). */
#define CONFIG_HOST_COMPONENT	"host-wide"
/* For a process that parses before it runs a loop (--check-config, the
 * daemon's first load): exit 2 with a message if parsing takes longer
 * than seconds (0 = cancel).  A reload is checked in a child instead. */
#define CONFIG_PARSE_LIMIT_S	10
void config_parse_deadline(unsigned int seconds);

const struct cfg_component *config_component(const struct hms_config *cfg,
					     const char *name);
int config_strategy_index(const struct hms_config *cfg, const char *name);

#endif

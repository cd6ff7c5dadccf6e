/* SPDX-License-Identifier: BSD-2-Clause */
/* daemon.h - the running daemon: wires config, sensors, bus, proctable,
 * healer, registry and dashboard into the one event loop. */
#ifndef HMS_DAEMON_H
#define HMS_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct daemon_opts {
	const char *config_path;	/* NULL = default path or embedded */
	bool dry_run;
	bool json;
	const char *json_file;		/* --json-file: lines go here */
	/* --json-types / --json-exclude (override daemon.json_types /
	 * json_exclude): bits by event type number */
	bool json_types_set, json_exclude_set;
	uint64_t json_types[2], json_exclude[2];
	bool no_tmux;
	bool attach;
	int verbose;
	uint64_t duration_s;		/* 0 = until a signal */
	const char *layout;		/* NULL = from config */
	const char *session;		/* NULL = from config */
	const char *socket;		/* NULL = from config */
	const char *registry;		/* NULL = from config */
	const char *self_exe;
};

/* Runs until SIGINT/SIGTERM or the duration ends. 0 ok, 1 runtime
 * failure, 2 configuration error. */
int daemon_run(const struct daemon_opts *o);

#endif

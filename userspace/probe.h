/* SPDX-License-Identifier: BSD-2-Clause */
/* probe.h - one health probe of a component, run from the event loop
 * without ever blocking it: exec (a hook with a timeout, through the
 * actions module), tcp (a non-blocking connect) or http (a non-blocking
 * HTTP/1.0 GET whose status line is checked) or a plugin's probe kind.  Each run ends in exactly
 * one callback, pass or fail, at the latest after the timeout. */
#ifndef HMS_PROBE_H
#define HMS_PROBE_H

#include <stdbool.h>
#include "actions.h"
#include "config.h"

struct hms_loop;
struct hms_probe;

/* result 0 = pass, else -errno (-ETIMEDOUT, -ECONNREFUSED, -EPROTO for
 * an unexpected HTTP status, -ECHILD for a non-zero exec exit); detail is
 * a short human line ("connect 127.0.0.1:80: Connection refused"). */
typedef void (*probe_cb)(int result, const char *detail, void *arg);

/* p must stay valid while the probe lives; spawn gives user, group, cwd
 * and env of exec probes (argv is taken from p). */
int probe_new(struct hms_loop *loop, struct hms_actions *actions,
	      const struct cfg_probe *p,
	      const struct actions_spawn_opts *spawn, probe_cb cb, void *arg,
	      struct hms_probe **out);
/* Plugin probes: the loaded plugins (their kind is looked up at each
 * run: -ENOENT when none has it) and the component's name they get. */
struct hms_plugins;
void probe_set_plugins(struct hms_probe *pr, struct hms_plugins *ps,
		       const char *component);
/* Start one run; -EBUSY while one is in flight. */
int probe_start(struct hms_probe *pr);
bool probe_running(const struct hms_probe *pr);
/* Cancel what runs (no callback) and free; accepts NULL. */
void probe_free(struct hms_probe *pr);
/* "exec", "tcp 127.0.0.1:80", "http 127.0.0.1:80/health" */
void probe_describe(const struct cfg_probe *p, char *buf, size_t len);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* healer.h - turns the sensors' events into healing: the configured
 * components, their health state machines, failure detection and
 * attribution, and the bounded recovery policy (strategies, backoff,
 * restart budget, verification). */
#ifndef HMS_HEALER_H
#define HMS_HEALER_H

#include <stdbool.h>
#include <stdint.h>
#include "hms_names.h"

struct hms_config;
struct hms_loop;
struct hms_bus;
struct hms_proctable;
struct hms_sensors;
struct hms_registry;
struct hms_healer;

/* enum healer_state is in bpf/hms_event.h (published in
 * hms_ev_component), its names in common/hms_names.c. */

/* Makes the process a child subreaper and starts the configured components
 * (dependencies first).  cfg is used in place: it must stay valid until
 * healer_free or until the healer_reload that replaces it returns.
 * sensors and reg may be NULL. */
int healer_new(const struct hms_config *cfg, struct hms_loop *loop,
	       struct hms_bus *bus, struct hms_proctable *pt,
	       struct hms_sensors *sensors, struct hms_registry *reg,
	       struct hms_healer **out);
/* Stops spawned components with their stop signal, SIGKILL after their
 * stop timeout (this one waits, bounded by the timeouts). */
void healer_free(struct hms_healer *h);
/* A new valid config replaces the old one whole: components are matched
 * by name and keep their processes; gave_up resets; removed spawned
 * components are stopped, new ones started. */
int healer_reload(struct hms_healer *h, const struct hms_config *cfg);
/* Run the recovery for component now, whatever its state (tests). */
int healer_heal_now(struct hms_healer *h, const char *component);
/* healer_command "pause"/"resume". */
int healer_pause(struct hms_healer *h, const char *component, bool paused);
/* healer_command "reset". */
int healer_reset(struct hms_healer *h, const char *component);
/* An operator request: verb is heal, pause, resume, reset (or ack),
 * start or stop.  msg always says what happened ("restart started: ...",
 * "already healthy", "refused: paused", "no such component", ...).
 * 0 when done or nothing was needed, -errno when refused or failed
 * (-ENOENT: no such component). */
int healer_command(struct hms_healer *h, const char *verb,
		   const char *component, char *msg, size_t len);
/* `ctl pin`: force strategy for component's failure class until unpin,
 * a reload that drops it, or a restart of the daemon (a pin meant to
 * last goes in the config: components[].pin).  strategy NULL unpins
 * failure (NULL: every class).  The strategy must be one of the class's
 * candidates.  msg says what happened; 0, -ENOENT (no such component)
 * or -EINVAL (unknown class, not a candidate). */
/* The strategy the operator pinned for component's class (ctl pin, else
 * the config's components[].pin): its name, NULL when the registry
 * chooses. */
const char *healer_pinned(struct hms_healer *h, const char *component,
			  int failure);
int healer_pin(struct hms_healer *h, const char *component,
	       const char *failure, const char *strategy, char *msg,
	       size_t len);

/* OOM forensics, read when the OOM event arrived (healer_pressure.c):
 * the answer to "why was it killed". */
struct healer_oom_info {
	uint32_t pid;				/* the victim */
	int64_t wall_ms;			/* when (CLOCK_REALTIME) */
	uint64_t rss_kb;
	uint64_t cg_limit, cg_usage, cg_peak;	/* bytes */
	uint32_t flags;				/* HMS_OOM_F_* */
	uint32_t pressure_ago_ms;
	uint32_t some_avg10, full_avg10;	/* percent x100 */
	char strategy[HMS_NAME_LEN];		/* run for the mem_pressure */
	char done[64];				/* what its last action did */
};

#define HEALER_INFO_PIDS	16

struct healer_component_info {
	char name[32];
	unsigned int state;		/* enum healer_state */
	uint32_t pid;
	uint32_t pids[HEALER_INFO_PIDS];	/* every process (the first 16) */
	size_t n_pids;
	char reason[96];			/* of its last state change */
	bool held;				/* stopped by the operator */
	uint32_t restarts;
	char last_failure[32];
	char last_cause[96];
	bool paused;
	uint32_t gave_up_repeats;	/* failures counted, not stored, while
					 * gave_up */
	/* its PSI triggers, by enum pressure_resource (memory, cpu, io) */
	struct {
		bool set, full, armed;
		uint64_t stall_us;		/* in use (tuned) */
		uint64_t configured_us, max_us, window_us;
	} pressure[3];
	/* the operator's pins, "crash=gentle-restart oom=more-memory" (ctl
	 * pin or the config's), "" when the registry chooses */
	char pins[128];
	struct healer_oom_info last_oom;	/* pid 0: no OOM kill seen */
	char last_oom_text[160];		/* its one-line summary */
};

int healer_foreach_component(struct hms_healer *h,
			     int (*cb)(const struct healer_component_info *ci,
				       void *arg),
			     void *arg);
static inline const char *healer_state_name(int state)
{
	return hms_state_name(state);
}
/* State of a component, or -ENOENT. */
int healer_component_state(struct hms_healer *h, const char *component);

/* The loaded plugins (plugin.h): their actions run in chains, their
 * detectors' failures come here, their probe kinds serve probes. */
struct hms_plugins;
void healer_set_plugins(struct hms_healer *h, struct hms_plugins *ps);

/* The daemon's child runner (it reaps every child of the process): the
 * dashboard runs tmux through it. */
struct hms_actions;
struct hms_actions *healer_actions(struct hms_healer *h);
/* Debug counters: passes over the process table made to adopt, and full
 * /proc passes (the table's seed, orphan searches).  Adoption by exec
 * events makes neither. */
void healer_scan_counts(const struct hms_healer *h, uint64_t *table_passes,
			uint64_t *proc_passes);

#endif

// SPDX-License-Identifier: BSD-2-Clause
/* healer_api.c - what the daemon and the operator ask of the healer
 * after it started: a reload that keeps running components, heal now,
 * pause, reset from gave_up, and the per-component view. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "healer_int.h"
#include "log.h"
#include "loop.h"

/* The new config's index of the old config's strategy idx, by name;
 * -1 when it is gone. */
static int healer_strategy_remap(const struct hms_config *old,
				 const struct hms_config *cfg, int idx)
{
	if (idx < 0 || (size_t)idx >= old->n_strategies)
		return -1;
	for (size_t i = 0; i < cfg->n_strategies; i++)
		if (!strcmp(cfg->strategies[i].name, old->strategies[idx].name))
			return (int)i;
	return -1;
}

/* A recovery the new config cannot carry on (its component or its
 * strategy is gone) still ends in an outcome: unverified, said why. */
static void healer_reload_cut(struct hcomp *c, const struct hms_config *cfg)
{
	const struct cfg_component *nc = config_component(cfg, c->cc->name);

	if (!c->busy && !c->verifying)
		return;
	if (nc && healer_strategy_remap(c->h->cfg, cfg, c->strategy) >= 0 &&
	    !c->pticket)
		return;
	healer_outcome(c, HMS_OUTCOME_UNVERIFIED, !nc ? "recovery cut short "
		       "by a reload: the component is gone" : c->pticket ?
		       "recovery cut short by a reload: a plugin action was "
		       "running" : "recovery cut short by a reload: its "
		       "strategy is gone");
	healer_plugin_cancel(c);
	if (c->hook)
		actions_hook_cancel(c->hook);
	c->hook = NULL;
	healer_release_slot(c);
	loop_timer_disarm(c->timer);
	c->timer_what = HT_NONE;
	c->busy = c->queued = c->verifying = c->restart_waiting = false;
	c->fc = -1;
}

/* Move the runtime of a component kept across a reload: its processes,
 * history and any recovery in flight (backoff, chain, hook, verification,
 * start grace) go on under the new config; the timer is armed again for
 * what was left of it (healer_reload_rearm). */
/* Run-time pins follow their strategy by name; one the new config no
 * longer offers for that class is dropped, and said so. */
static void healer_pin_carry(struct hcomp *c, const struct hms_config *old,
			     const struct hms_config *cfg)
{
	for (int fc = 0; fc < FAIL_MAX; fc++) {
		int idx;
		bool offered = false;

		if (!c->pin_rt[fc])
			continue;
		idx = healer_strategy_remap(old, cfg, c->pin_rt[fc] - 1);
		for (size_t i = 0; idx >= 0 && i < c->cc->n_on[fc]; i++)
			offered |= c->cc->on[fc][i] == idx;
		if (!offered)
			log_notice("%s: pin of %s to %s dropped: the new config "
				   "does not offer it", c->cc->name,
				   config_failure_name(fc),
				   old->strategies[c->pin_rt[fc] - 1].name);
		c->pin_rt[fc] = offered ? idx + 1 : 0;
	}
}

static void healer_carry(struct hcomp *dst, struct hcomp *src,
			 const struct hms_config *cfg)
{
	struct hms_timer *t = dst->timer;
	const struct cfg_component *cc = dst->cc;
	uid_t want_uid = dst->want_uid;	/* of the new config */
	bool slot = src->running;

	src->running = false;	/* h->running is counted again */
	healer_plugin_cancel(src);	/* none runs: healer_reload_cut */
	*dst = *src;
	dst->timer = t;
	dst->cc = cc;
	dst->want_uid = want_uid;
	dst->pres = NULL;	/* the old triggers go with src; armed again */
	dst->running = slot;	/* counted again after the swap */
	dst->strategy = healer_strategy_remap(src->h->cfg, cfg, src->strategy);
	healer_pin_carry(dst, src->h->cfg, cfg);
	if (dst->hook)		/* the hook's end comes to the new record */
		actions_hook_set_arg(dst->hook, dst);
	src->hook = NULL;
	dst->n_recov = 0;
	dst->attempt = 0;
	src->adopt_pidfd = -1;	/* moved */
	src->n_pids = 0;
	if (dst->adopt_pidfd >= 0) {
		loop_del_fd(dst->h->loop, dst->adopt_pidfd);
		close(dst->adopt_pidfd);
		dst->adopt_pidfd = -1;
		dst->adopt_pid = 0;
	}
}

/* A carried timer fires when it would have. */
static void healer_reload_rearm(struct hcomp *c)
{
	uint64_t now = loop_now_ns();

	if (c->timer_what == HT_NONE)
		return;
	/* rounded up: a verification window never ends early */
	healer_arm(c, c->timer_what, c->timer_due_ns > now ?
		   (c->timer_due_ns - now + 999999ull) / 1000000ull : 0);
}

int healer_reload(struct hms_healer *h, const struct hms_config *cfg)
{
	struct hcomp *comps;
	int err;

	err = healer_build(h, cfg, &comps);
	if (err)
		return err;
	for (size_t i = 0; i < h->n_comps; i++)
		healer_reload_cut(&h->comps[i], cfg);
	for (size_t i = 0; i < cfg->n_components; i++) {
		struct hcomp *old = healer_find(h, cfg->components[i].name);

		if (old)
			healer_carry(&comps[i], old, cfg);
	}
	/* removed components: stop what we spawned */
	for (size_t i = 0; i < h->n_comps; i++) {
		if (h->comps[i].n_pids && h->comps[i].cc->match == MATCH_SPAWN)
			healer_comp_kill_now(&h->comps[i],
					     h->comps[i].cc->stop_timeout_ms);
		/* no watch may keep a pointer into the array freed below;
		 * carried components watch their pids again further down */
		for (size_t k = 0; k < h->comps[i].n_pids; k++)
			actions_unwatch(h->actions, h->comps[i].pids[k]);
		healer_comp_release(&h->comps[i]);
	}
	free(h->comps);
	h->comps = comps;
	h->n_comps = cfg->n_components;
	h->cfg = cfg;
	/* a new match index; the pid map points into the new array */
	if (healer_index_build(h))
		log_warning("reload: component index incomplete (out of "
			    "memory): lookups fall back to a linear search");
	h->running = 0;
	for (size_t i = 0; i < h->n_comps; i++)
		h->running += h->comps[i].running;
	healer_probes_sync(h);
	healer_host_sync(h);
	healer_registry_sync(h);
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		/* watches carry a pointer to the component: renew them */
		for (size_t k = 0; k < c->n_pids; k++) {
			actions_unwatch(h->actions, c->pids[k]);
			actions_watch(h->actions, c->pids[k],
				      healer_child_exit, c);
		}
		healer_pressure_attach(c);
		healer_reload_rearm(c);
		if (c->state == HEALER_GAVE_UP ||
		    (c->state == HEALER_RECOVERING && !c->busy &&
		     !c->verifying))
			healer_set_state(c, c->n_pids ? HEALER_HEALTHY :
					 HEALER_FAILED, "config reloaded");
	}
	healer_bringup_all(h);
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		if (!c->n_pids && !c->busy && !c->verifying &&
		    c->state == HEALER_FAILED) {
			struct healer_failure f = { .fc = FAIL_MISSING };

			snprintf(f.cause, sizeof(f.cause), "not running after "
				 "reload");
			healer_failure(c, &f);
		}
	}
	return 0;
}

int healer_heal_now(struct hms_healer *h, const char *component)
{
	struct hcomp *c = healer_find(h, component);
	struct healer_failure f = { .fc = FAIL_MISSING };

	if (!c)
		return -ENOENT;
	if (c->busy)
		return -EBUSY;
	if (c->last.fc >= 0 && c->last_failure[0])
		f = c->last;
	snprintf(f.cause, sizeof(f.cause), "operator: heal now");
	c->paused = false;
	c->held = false;
	if (c->state == HEALER_GAVE_UP) {
		c->n_recov = 0;
		healer_set_state(c, HEALER_FAILED, "operator: heal now");
	}
	healer_failure(c, &f);
	return 0;
}

int healer_pause(struct hms_healer *h, const char *component, bool paused)
{
	char msg[128];

	return healer_command(h, paused ? "pause" : "resume", component, msg,
			      sizeof(msg));
}

int healer_reset(struct hms_healer *h, const char *component)
{
	char msg[128];

	return healer_command(h, "reset", component, msg, sizeof(msg));
}

/* Drop a recovery that is scheduled, running or being verified. */
static void cancel_recovery(struct hcomp *c)
{
	if (c->hook)
		actions_hook_cancel(c->hook);
	c->hook = NULL;
	healer_plugin_cancel(c);
	healer_release_slot(c);
	c->queued = false;
	if (c->timer_what == HT_BACKOFF || c->timer_what == HT_VERIFY ||
	    c->timer_what == HT_STOP) {
		loop_timer_disarm(c->timer);
		c->timer_what = HT_NONE;
	}
	c->busy = c->verifying = c->restart_waiting = false;
	c->fc = -1;
}

static bool strategy_restarts(const struct hms_config *cfg, int idx)
{
	const struct cfg_strategy *s = &cfg->strategies[idx];

	for (size_t i = 0; i < s->n_actions; i++)
		if (s->actions[i].kind == ACTION_RESTART)
			return true;
	return false;
}

/* The failure class a recovery started by the operator is for: the last
 * one seen; when that one has no strategy and nothing runs, the first of
 * the "not running" classes that has one. */
static int operator_class(const struct hcomp *c)
{
	static const int down[] = { FAIL_MISSING, FAIL_CRASH, FAIL_KILLED,
				    FAIL_EXIT, FAIL_OOM, FAIL_CRASH_LOOP };
	int fc = c->last_failure[0] && c->last.fc >= 0 ? c->last.fc :
		 FAIL_MISSING;

	for (size_t i = 0; !c->cc->n_on[fc] && !c->n_pids &&
	     i < sizeof(down) / sizeof(down[0]); i++)
		if (c->cc->n_on[down[i]])
			fc = down[i];
	return fc;
}

/* Start the recovery now (no backoff); what it does into msg. */
static int recover_now(struct hcomp *c, const char *who, char *msg,
		       size_t len)
{
	int fc = operator_class(c);
	const char *sname;

	if (!c->cc->n_on[fc]) {
		snprintf(msg, len, "refused: no strategy for %s",
			 config_failure_name(fc));
		return -ENOEXEC;
	}
	if (c->state == HEALER_GAVE_UP || c->state == HEALER_STOPPED)
		c->n_recov = 0;
	snprintf(c->last_cause, sizeof(c->last_cause), "%s", who);
	healer_recover(c, fc, loop_now_ns(), true);
	sname = c->h->cfg->strategies[c->strategy].name;
	snprintf(msg, len, "%s started: strategy %s for %s",
		 strategy_restarts(c->h->cfg, c->strategy) ? "restart" :
		 "recovery", sname, config_failure_name(fc));
	return 0;
}

static int cmd_heal(struct hcomp *c, char *msg, size_t len)
{
	if (c->paused) {
		snprintf(msg, len, "refused: paused (resume it first)");
		return -EPERM;
	}
	if (c->held) {
		snprintf(msg, len, "refused: stopped by the operator (start "
			 "it instead)");
		return -EPERM;
	}
	if (c->busy && c->timer_what == HT_BACKOFF && !c->running &&
	    !c->queued) {
		/* waiting out its backoff: now */
		healer_arm(c, HT_BACKOFF, 0);
		snprintf(msg, len, "%s started now: strategy %s for %s",
			 strategy_restarts(c->h->cfg, c->strategy) ?
			 "restart" : "recovery",
			 c->h->cfg->strategies[c->strategy].name,
			 config_failure_name(c->fc));
		return 0;
	}
	if (c->busy || c->verifying || c->stopping) {
		snprintf(msg, len, "refused: a recovery is already %s",
			 c->verifying ? "being verified" : "running");
		return -EBUSY;
	}
	if ((c->state == HEALER_HEALTHY || c->state == HEALER_STARTING) &&
	    c->n_pids) {
		snprintf(msg, len, "already healthy");
		return 0;
	}
	return recover_now(c, "operator: heal now", msg, len);
}

static int cmd_resume(struct hcomp *c, char *msg, size_t len)
{
	if (!c->paused) {
		snprintf(msg, len, "not paused");
		return 0;
	}
	c->paused = false;
	/* what failed while it was paused is recovered now */
	if (!c->busy && !c->held && (c->state == HEALER_FAILED ||
	    c->state == HEALER_DEGRADED || (c->state == HEALER_STOPPED &&
	    c->last_failure[0]))) {
		char what[96];
		int err = recover_now(c, "operator: resume", what,
				      sizeof(what));

		snprintf(msg, len, "resumed, %s", what);
		return err;
	}
	snprintf(msg, len, "resumed");
	return 0;
}

static int cmd_reset(struct hcomp *c, char *msg, size_t len)
{
	bool gave_up = c->state == HEALER_GAVE_UP;

	c->n_recov = 0;
	c->n_fail = 0;
	c->attempt = 0;
	if (!gave_up) {
		snprintf(msg, len, "reset: budget and backoff cleared");
		return 0;
	}
	healer_set_state(c, c->n_pids ? HEALER_HEALTHY : HEALER_FAILED,
			 "operator reset");
	if (c->n_pids || c->paused || c->held) {
		snprintf(msg, len, "reset: %s", c->n_pids ? "healthy" :
			 "failed, not recovered (paused or stopped)");
		return 0;
	}
	{
		char what[96];
		int err = recover_now(c, "operator: reset", what,
				      sizeof(what));

		snprintf(msg, len, "reset, %s", what);
		return err;
	}
}

static int cmd_start(struct hcomp *c, char *msg, size_t len)
{
	int err;

	if (c->n_pids && !c->stopping) {
		snprintf(msg, len, "already running (pid %d)", (int)c->pid);
		return 0;
	}
	if (c->busy || c->stopping) {
		snprintf(msg, len, "refused: a recovery or stop is running");
		return -EBUSY;
	}
	if (!c->cc->command) {
		snprintf(msg, len, "refused: no command to start it");
		return -ENOEXEC;
	}
	c->held = false;
	c->n_recov = 0;
	c->attempt = 0;
	if (c->h->cfg->daemon.dry_run) {
		snprintf(msg, len, "dry run: not started");
		return 0;
	}
	err = healer_comp_start(c, false);
	if (err) {
		snprintf(msg, len, "start failed: %s", strerror(-err));
		return err;
	}
	snprintf(msg, len, "started pid %d", (int)c->pid);
	return 0;
}

static int cmd_stop(struct hcomp *c, char *msg, size_t len)
{
	c->held = true;
	cancel_recovery(c);
	if (!c->n_pids) {
		healer_set_state(c, HEALER_STOPPED, "stopped by the operator");
		snprintf(msg, len, "already stopped");
		return 0;
	}
	snprintf(msg, len, "stopping %zu process%s (%s, SIGKILL after %u ms)",
		 c->n_pids, c->n_pids == 1 ? "" : "es",
		 strsignal(c->cc->stop_signal), c->cc->stop_timeout_ms);
	healer_comp_stop(c);
	return 0;
}

int healer_command(struct hms_healer *h, const char *verb,
		   const char *component, char *msg, size_t len)
{
	struct hcomp *c = healer_find(h, component);

	msg[0] = '\0';
	if (!c) {
		snprintf(msg, len, "no such component");
		return -ENOENT;
	}
	if (!strcmp(verb, "heal"))
		return cmd_heal(c, msg, len);
	if (!strcmp(verb, "pause")) {
		bool pending = c->busy && !c->running && !c->verifying;

		if (c->paused) {
			snprintf(msg, len, "already paused");
			return 0;
		}
		c->paused = true;
		if (pending)
			cancel_recovery(c);
		snprintf(msg, len, "paused%s", pending ?
			 " (the pending recovery is cancelled)" : "");
		return 0;
	}
	if (!strcmp(verb, "resume"))
		return cmd_resume(c, msg, len);
	if (!strcmp(verb, "reset") || !strcmp(verb, "ack"))
		return cmd_reset(c, msg, len);
	if (!strcmp(verb, "start"))
		return cmd_start(c, msg, len);
	if (!strcmp(verb, "stop"))
		return cmd_stop(c, msg, len);
	snprintf(msg, len, "unknown request '%s'", verb);
	return -EINVAL;
}

static int pin_one(struct hcomp *c, int fc, const char *strategy, char *msg,
		   size_t len)
{
	const struct hms_config *cfg = c->h->cfg;
	const struct cfg_component *cc = c->cc;

	if (!strategy) {
		bool had = c->pin_rt[fc];

		c->pin_rt[fc] = 0;
		snprintf(msg, len, "%s: %s%s", config_failure_name(fc),
			 had ? "unpinned" : "was not pinned",
			 cc->pin[fc] ? " (the config's pin stays)" : "");
		return 0;
	}
	for (size_t i = 0; i < cc->n_on[fc]; i++)
		if (!strcmp(cfg->strategies[cc->on[fc][i]].name, strategy)) {
			c->pin_rt[fc] = cc->on[fc][i] + 1;
			snprintf(msg, len, "%s pinned to %s until unpin or a "
				 "restart of the daemon",
				 config_failure_name(fc), strategy);
			return 0;
		}
	snprintf(msg, len, "refused: %s is not a strategy of %s for %s",
		 strategy, cc->name, config_failure_name(fc));
	return -EINVAL;
}

const char *healer_pinned(struct hms_healer *h, const char *component,
			  int failure)
{
	struct hcomp *c = h ? healer_find(h, component) : NULL;
	int pin;

	if (!c || failure < 0 || failure >= FAIL_MAX)
		return NULL;
	pin = healer_pin_of(c, failure);
	return pin ? h->cfg->strategies[pin - 1].name : NULL;
}

static void healer_pins_text(struct hms_healer *h, const struct hcomp *c,
			     char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	/* from c itself: a walk over every component asks this of each */
	for (int fc = 0; fc < FAIL_MAX && o < len; fc++) {
		int pin = healer_pin_of(c, fc);

		if (pin)
			o += snprintf(out + o, len - o, "%s%s=%s", o ? " " : "",
				      config_failure_name(fc),
				      h->cfg->strategies[pin - 1].name);
	}
}

int healer_pin(struct hms_healer *h, const char *component,
	       const char *failure, const char *strategy, char *msg,
	       size_t len)
{
	struct hcomp *c = healer_find(h, component);
	int fc = failure ? config_failure_from_name(failure) : -1;

	msg[0] = '\0';
	if (!c) {
		snprintf(msg, len, "no such component");
		return -ENOENT;
	}
	if (failure && (fc < 0 || fc >= FAIL_MAX)) {
		snprintf(msg, len, "refused: unknown failure class '%.32s'",
			 failure);
		return -EINVAL;
	}
	if (strategy && !failure) {
		snprintf(msg, len, "refused: pin needs a failure class");
		return -EINVAL;
	}
	if (failure)
		return pin_one(c, fc, strategy, msg, len);
	memset(c->pin_rt, 0, sizeof(c->pin_rt));
	snprintf(msg, len, "every class unpinned");
	return 0;
}

int healer_component_state(struct hms_healer *h, const char *component)
{
	struct hcomp *c = healer_find(h, component);

	return c ? c->state : -ENOENT;
}

int healer_foreach_component(struct hms_healer *h,
			     int (*cb)(const struct healer_component_info *ci,
				       void *arg),
			     void *arg)
{
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];
		struct healer_component_info ci = {
			.state = c->state,
			.pid = (uint32_t)c->pid,
			.restarts = c->restarts,
			.paused = c->paused,
			.held = c->held,
			.gave_up_repeats = c->gave_up_repeats,
		};
		int ret;

		for (size_t k = 0; k < c->n_pids && k < HEALER_INFO_PIDS; k++)
			ci.pids[ci.n_pids++] = (uint32_t)c->pids[k];
		snprintf(ci.reason, sizeof(ci.reason), "%s", c->reason);
		snprintf(ci.name, sizeof(ci.name), "%s", c->cc->name);
		snprintf(ci.last_failure, sizeof(ci.last_failure), "%s",
			 c->last_failure);
		snprintf(ci.last_cause, sizeof(ci.last_cause), "%s",
			 c->last_cause);
		healer_pins_text(h, c, ci.pins, sizeof(ci.pins));
		for (int r = 0; r < PRESSURE_MAX && r < 3; r++) {
			const struct cfg_pressure *cp = &c->cc->pressure[r];

			if (!cp->set)
				continue;
			ci.pressure[r].set = true;
			ci.pressure[r].full = cp->full;
			ci.pressure[r].armed = healer_pressure_armed(c, r,
								     NULL);
			ci.pressure[r].configured_us = cp->stall_us;
			ci.pressure[r].max_us = cp->max_us;
			ci.pressure[r].window_us = cp->window_us;
			if (healer_pressure_threshold(c, r,
						      &ci.pressure[r].stall_us))
				ci.pressure[r].stall_us = cp->stall_us;
		}
		ci.last_oom = c->last_oom;
		if (c->last_oom.pid)
			healer_oom_cause(&c->last_oom, ci.last_oom_text,
					 sizeof(ci.last_oom_text));
		ret = cb(&ci, arg);
		if (ret)
			return ret;
	}
	return 0;
}

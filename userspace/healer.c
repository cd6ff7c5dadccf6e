// SPDX-License-Identifier: BSD-2-Clause
/* healer.c - the healer's life cycle and its public API: one hcomp per
 * configured component, the health state machine (every transition is a
 * bus event), start in dependency order, reload, operator requests.
 * Detection is in healer_detect.c, policy in healer_policy.c, processes
 * in healer_proc.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "bus.h"
#include "event.h"
#include "healer_int.h"
#include "loop.h"
#include "plugin.h"
#include "proctable.h"
#include "sensors.h"

#define HEALER_TICK_MS	1000

struct hcomp *healer_find(struct hms_healer *h, const char *name)
{
	for (size_t i = 0; i < h->n_comps; i++)
		if (!strcmp(h->comps[i].cc->name, name))
			return &h->comps[i];
	return NULL;
}

/* O(1): the pid map (healer_index.c); a stale entry (components moved
 * by a reload) is looked up the slow way and fixed. */
struct hcomp *healer_comp_of_pid(struct hms_healer *h, pid_t pid)
{
	struct hcomp *c = healer_pidmap_get(h, pid);

	if (c && c >= h->comps && c < h->comps + h->n_comps &&
	    healer_pid_has(c, pid))
		return c;
	if (h->idx && !c)
		return NULL;
	for (size_t i = 0; i < h->n_comps; i++)
		if (healer_pid_has(&h->comps[i], pid)) {
			healer_pidmap_set(h, pid, &h->comps[i]);
			return &h->comps[i];
		}
	healer_pidmap_del(h, pid, NULL);
	return NULL;
}

/* Dependents of a failed component are degraded, and come back with it. */
static void healer_dependents(struct hcomp *c, int state)
{
	struct hms_healer *h = c->h;
	size_t me = (size_t)(c - h->comps);
	char why[96];

	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *d = &h->comps[i];

		for (size_t k = 0; k < d->cc->n_deps; k++) {
			if (d->cc->dep_idx[k] != (int)me)
				continue;
			if (state == HEALER_FAILED &&
			    d->state == HEALER_HEALTHY) {
				snprintf(why, sizeof(why),
					 "dependency %s failed", c->cc->name);
				healer_set_state(d, HEALER_DEGRADED, why);
			} else if (state == HEALER_HEALTHY &&
				   d->state == HEALER_DEGRADED &&
				   d->fc < 0) {
				snprintf(why, sizeof(why),
					 "dependency %s healthy", c->cc->name);
				healer_set_state(d, HEALER_HEALTHY, why);
			}
		}
	}
}

void healer_set_state(struct hcomp *c, int state, const char *why)
{
	struct hms_ev_component ev;
	int old = c->state;

	if (old == state)
		return;
	c->state = state;
	if (state == HEALER_HEALTHY)
		c->healthy_since_ns = loop_now_ns();
	if (c->cc->match != MATCH_SPAWN) {
		/* failed or gave up: look once more (a process that started
		 * meanwhile), then exec events find it */
		if (state == HEALER_FAILED || state == HEALER_GAVE_UP)
			c->rescan_pending = true;
		healer_tick_want(c->h);
	}
	memset(&ev, 0, sizeof(ev));
	event_init(&ev.hdr, HMS_EV_COMPONENT_STATE, sizeof(ev));
	ev.hdr.tgid = (uint32_t)c->pid;
	snprintf(ev.component, sizeof(ev.component), "%s", c->cc->name);
	ev.old_state = (uint32_t)old;
	ev.new_state = (uint32_t)state;
	ev.restarts = c->restarts;
	snprintf(ev.reason, sizeof(ev.reason), "%s -> %s: %s",
		 healer_state_name(old), healer_state_name(state),
		 why ? why : "");
	snprintf(c->reason, sizeof(c->reason), "%s", why ? why : "");
	bus_publish(c->h->bus, &ev.hdr);
	if (state == HEALER_FAILED || state == HEALER_HEALTHY)
		healer_dependents(c, state);
}

void healer_alert(struct hcomp *c, unsigned int severity, const char *fmt,
		  ...)
{
	struct hms_ev_alert ev;
	va_list ap;

	memset(&ev, 0, sizeof(ev));
	event_init(&ev.hdr, HMS_EV_ALERT, sizeof(ev));
	ev.hdr.tgid = (uint32_t)c->pid;
	snprintf(ev.component, sizeof(ev.component), "%s", c->cc->name);
	ev.severity = severity;
	va_start(ap, fmt);
	vsnprintf(ev.message, sizeof(ev.message), fmt, ap);
	va_end(ap);
	bus_publish(c->h->bus, &ev.hdr);
}

/* Found by a scan while starting: healthy, and say which process. */
static void healer_adopted(struct hcomp *c)
{
	char why[96];

	if (c->state != HEALER_STARTING && c->state != HEALER_STOPPED)
		return;
	snprintf(why, sizeof(why), "adopted pid %d", (int)c->pid);
	healer_set_state(c, HEALER_HEALTHY, why);
}

static void healer_on_timer(struct hms_timer *t, void *arg)
{
	struct hcomp *c = arg;
	int what = c->timer_what;

	(void)t;
	c->timer_what = HT_NONE;
	switch (what) {
	case HT_GRACE:
		if (c->state == HEALER_STARTING)
			healer_set_state(c, HEALER_HEALTHY, "started");
		break;
	case HT_BACKOFF:
		healer_run_recovery(c);
		break;
	case HT_STOP:
		healer_comp_kill_now(c, 0);
		break;
	case HT_VERIFY:
		healer_verify_done(c);
		break;
	case HT_ADOPT:
		healer_adopt_retry(c);
		break;
	case HT_CLEAR:
		healer_clear_check(c);
		break;
	case HT_PLUGIN:
		healer_plugin_timeout(c);
		break;
	case HT_MISSING:
		if (!c->n_pids && healer_adopt_scan(c) <= 0 && !c->n_pids) {
			struct healer_failure f = { .fc = FAIL_MISSING };

			snprintf(f.cause, sizeof(f.cause), "no process matches");
			healer_failure(c, &f);
		} else {
			healer_adopted(c);
		}
		break;
	}
	/* degraded while this timer was busy: look again when it clears */
	if (c->timer_what == HT_NONE)
		healer_clear_arm(c);
}

void healer_arm(struct hcomp *c, int what, uint64_t delay_ms)
{
	c->timer_what = what;
	c->timer_due_ns = loop_now_ns() + delay_ms * 1000000ull;
	/* 0 would disarm a timerfd: fire after 1 us instead */
	loop_timer_arm(c->timer, delay_ms ? delay_ms * 1000000ull : 1000, 0);
}

/* An adopted component that failed or gave up and whose match runs
 * again (the operator started it by hand): adopted again, healthy. */
static void healer_readopt(struct hcomp *c)
{
	int old = c->state;
	char why[96];

	if (c->scan_took <= 0 && healer_adopt_scan(c) <= 0)
		return;
	c->scan_took = 0;
	if (c->timer_what == HT_MISSING) {
		loop_timer_disarm(c->timer);
		c->timer_what = HT_NONE;
	}
	if (old == HEALER_GAVE_UP)
		c->n_recov = 0;		/* a new start: a new budget */
	c->attempt = 0;
	snprintf(why, sizeof(why), "re-adopted pid %d: started outside "
		 "hms-ebpf while %s", (int)c->pid, healer_state_name(old));
	healer_set_state(c, HEALER_HEALTHY, why);
}

/* Up (healthy or degraded) yet without a process: missing_check_ms
 * after it was last healthy it is missing.  Failed or gave up is said
 * already: exec events find it when it runs again. */
static bool healer_tick_missing(const struct hcomp *c)
{
	return !c->n_pids && c->cc->missing_check_ms &&
	       (c->state == HEALER_HEALTHY || c->state == HEALER_DEGRADED);
}

/* Does c need the tick: an adopted component without processes (or
 * failed, to be looked for once)? */
static bool healer_tick_needs(const struct hcomp *c)
{
	if (c->cc->match == MATCH_SPAWN || c->state == HEALER_STOPPED ||
	    c->stopping)
		return false;
	return c->rescan_pending || healer_tick_missing(c);
}

/* The tick runs (1 s) only while an adopted component has no process:
 * with every component running, or none adopted, it costs nothing. */
void healer_tick_want(struct hms_healer *h)
{
	if (!h->tick || h->freeing || loop_timer_armed(h->tick))
		return;
	loop_timer_arm(h->tick, HEALER_TICK_MS * 1000000ull,
		       HEALER_TICK_MS * 1000000ull);
}

/* From the process table, never /proc, and no periodic rescans: a
 * missing adopted component is found by the exec event of its process
 * (healer_detect.c).  Here: one look (one table pass for all of them)
 * for components that just failed and for those whose missing_check_ms
 * ran out, before they are reported missing. */
static void healer_on_tick(struct hms_timer *t, void *arg)
{
	struct hms_healer *h = arg;
	uint64_t now = loop_now_ns();
	bool need = false, any = false;

	(void)t;
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		if (!healer_tick_needs(c))
			continue;
		need = true;
		if (c->busy || c->held)
			continue;
		if (c->rescan_pending &&
		    (c->state == HEALER_FAILED || c->state == HEALER_GAVE_UP)) {
			c->scan_want = c->tick_look = any = true;
			continue;
		}
		if (c->paused || !healer_tick_missing(c) ||
		    c->timer_what != HT_NONE)
			continue;
		if (now - c->healthy_since_ns >= c->cc->missing_check_ms * 1000000ull)
			c->scan_want = c->tick_look = any = true;
	}
	if (!need) {
		loop_timer_disarm(h->tick);
		return;
	}
	if (any)
		healer_scan_all(h);
	for (size_t i = 0; any && i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];
		struct healer_failure f = { .fc = FAIL_MISSING };
		bool was = c->tick_look;	/* the walk clears scan_want */

		c->tick_look = c->scan_want = false;
		if (!was)
			continue;
		if (c->rescan_pending) {
			c->rescan_pending = false;
			if (c->scan_took > 0)
				healer_readopt(c);
			continue;
		}
		if (c->n_pids) {
			healer_adopted(c);
			continue;
		}
		snprintf(f.cause, sizeof(f.cause), "no process matches");
		healer_failure(c, &f);
	}
}

static int healer_comp_init(struct hms_healer *h, struct hcomp *c,
			    const struct cfg_component *cc)
{
	memset(c, 0, sizeof(*c));
	c->h = h;
	c->cc = cc;
	c->fc = -1;
	c->strategy = -1;
	c->adopt_pidfd = -1;
	c->state = HEALER_STOPPED;
	c->healthy_since_ns = loop_now_ns();
	c->want_uid = cc->match == MATCH_SPAWN && !cc->user[0] ? 0 :
		      healer_want_uid(cc);
	return loop_timer_new(h->loop, healer_on_timer, c, &c->timer);
}

void healer_comp_release(struct hcomp *c)
{
	healer_pressure_release(c);
	if (c->hook)
		actions_hook_cancel(c->hook);
	c->hook = NULL;
	healer_plugin_cancel(c);
	loop_timer_free(c->timer);
	c->timer = NULL;
	if (c->adopt_pidfd >= 0) {
		loop_del_fd(c->h->loop, c->adopt_pidfd);
		close(c->adopt_pidfd);
		c->adopt_pidfd = -1;
	}
}

/* Start or adopt one component after its dependencies. */
static void healer_comp_bringup(struct hcomp *c, char *done)
{
	struct hms_healer *h = c->h;
	size_t me = (size_t)(c - h->comps);

	if (done[me])
		return;
	done[me] = 1;
	for (size_t k = 0; k < c->cc->n_deps; k++)
		healer_comp_bringup(&h->comps[c->cc->dep_idx[k]], done);
	/* looked for already, with all of them (healer_bringup_all) */
	if (c->scan_took > 0) {
		char why[96];

		c->scan_took = 0;
		if (c->cc->match != MATCH_SPAWN) {
			healer_set_state(c, HEALER_HEALTHY, "adopted");
			return;
		}
		/* a previous hms-ebpf (killed) started it: never a second */
		snprintf(why, sizeof(why), "adopted pid %d left by a previous "
			 "hms-ebpf", (int)c->pid);
		healer_set_state(c, HEALER_HEALTHY, why);
		return;
	}
	if (c->n_pids || c->busy || c->held)
		return;		/* running, recovering, or stopped by the operator */
	if (c->cc->match != MATCH_SPAWN) {
		healer_set_state(c, HEALER_STARTING, "waiting for a match");
		healer_arm(c, HT_MISSING, c->cc->start_grace_ms);
		return;
	}
	if (c->cc->autostart && h->cfg->daemon.dry_run) {
		healer_action_event(c, ACTION_START, 2, 0, 0,
				    "dry run: not started");
		return;
	}
	if (c->cc->autostart && healer_comp_start(c, false) < 0) {
		struct healer_failure f = { .fc = FAIL_MISSING };

		snprintf(f.cause, sizeof(f.cause), "start failed");
		healer_failure(c, &f);
	}
}

void healer_bringup_all(struct hms_healer *h)
{
	char *done = calloc(h->n_comps + 1, 1);

	if (!done)
		return;
	/* one pass over the process table for the adopted components and
	 * one for the spawned ones a previous hms-ebpf left: start-up costs
	 * O(processes), not O(components x processes) */
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		c->scan_took = 0;
		c->scan_want = !c->n_pids && !c->busy && !c->held &&
			       c->cc->match != MATCH_SPAWN;
	}
	if (healer_scan_all(h) < 0)
		for (size_t i = 0; i < h->n_comps; i++)
			if (h->comps[i].scan_want)
				healer_adopt_scan(&h->comps[i]);
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		c->scan_want = !c->n_pids && !c->busy && !c->held &&
			       c->cc->match == MATCH_SPAWN;
	}
	if (healer_adopt_marked_all(h) < 0)
		for (size_t i = 0; i < h->n_comps; i++)
			if (h->comps[i].scan_want)
				h->comps[i].scan_took =
					healer_adopt_marked(&h->comps[i]);
	for (size_t i = 0; i < h->n_comps; i++) {
		h->comps[i].scan_want = false;
		healer_comp_bringup(&h->comps[i], done);
	}
	for (size_t i = 0; i < h->n_comps; i++)
		h->comps[i].scan_took = 0;
	free(done);
}

int healer_build(struct hms_healer *h, const struct hms_config *cfg,
			struct hcomp **out)
{
	struct hcomp *comps = calloc(cfg->n_components + 1, sizeof(*comps));
	int err;

	if (!comps)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_components; i++) {
		err = healer_comp_init(h, &comps[i], &cfg->components[i]);
		if (err) {
			while (i-- > 0)
				healer_comp_release(&comps[i]);
			free(comps);
			return err;
		}
	}
	*out = comps;
	return 0;
}

int healer_new(const struct hms_config *cfg, struct hms_loop *loop,
	       struct hms_bus *bus, struct hms_proctable *pt,
	       struct hms_sensors *sensors, struct hms_registry *reg,
	       struct hms_healer **out)
{
	struct hms_healer *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = cfg;
	h->loop = loop;
	h->bus = bus;
	h->pt = pt;
	h->sensors = sensors;
	h->reg = reg;
	h->self = getpid();
	h->rng = loop_now_ns() ^ ((uint64_t)h->self << 32);
	if (!pt) {
		/* no table given (tests, bench): keep one of our own,
		 * subscribed before us so that rows are current */
		err = proctable_new(bus, &h->own_pt);
		if (err)
			goto cleanup;
		proctable_seed(h->own_pt);
		h->pt = h->own_pt;
	}
	/* a daemonizing service stays our descendant and is reaped by us */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		err = -errno;
		goto cleanup;
	}
	err = actions_new(loop, &h->actions);
	if (err)
		goto cleanup;
	actions_set_orphan_cb(h->actions, healer_orphan_exit, h);
	/* armed only while an adopted component has no process */
	err = loop_timer_new(loop, healer_on_tick, h, &h->tick);
	if (err)
		goto cleanup;
	err = healer_build(h, cfg, &h->comps);
	if (err)
		goto cleanup;
	h->n_comps = cfg->n_components;
	err = healer_index_build(h);
	if (err)
		goto cleanup;
	healer_probes_sync(h);
	healer_host_sync(h);
	err = bus_subscribe(bus, BUS_ALL, healer_on_event, h);
	if (err)
		goto cleanup;
	healer_registry_sync(h);
	healer_bringup_all(h);
	*out = h;
	return 0;
cleanup:
	healer_free(h);
	return err;
}

void healer_free(struct hms_healer *h)
{
	if (!h)
		return;
	h->freeing = true;
	plugins_set_failure_cb(h->plugins, NULL, NULL);
	if (h->bus)
		bus_unsubscribe(h->bus, BUS_ALL, healer_on_event, h);
	healer_probes_free(h);
	healer_host_free(h);
	/* what we did not spawn (adopted, and what we restarted for an
	 * adopted component) keeps running unless configured otherwise */
	/* every stop signal first, then the waits: they overlap */
	uint64_t now = loop_now_ns();

	for (size_t i = 0; i < h->n_comps; i++)
		if (h->comps[i].cc->on_daemon_stop == ON_STOP_STOP &&
		    h->comps[i].cc->stop_timeout_ms)
			healer_comp_kill_begin(&h->comps[i]);
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		if (c->cc->on_daemon_stop != ON_STOP_STOP)
			continue;
		if (!c->cc->stop_timeout_ms)
			healer_comp_kill_now(c, 0);
		else
			healer_comp_kill_finish(c, now + c->cc->stop_timeout_ms *
						1000000ull);
	}
	for (size_t i = 0; i < h->n_comps; i++)
		healer_comp_release(&h->comps[i]);
	if (h->n_comps)
		healer_kill_leftovers(h);
	free(h->comps);
	healer_index_free(h);
	loop_timer_free(h->tick);
	actions_free(h->actions);
	proctable_free(h->own_pt);
	free(h);
}

void healer_scan_counts(const struct hms_healer *h, uint64_t *table_passes,
			uint64_t *proc_passes)
{
	*table_passes = h ? h->adopt_scans : 0;
	*proc_passes = h ? h->proc_passes + proctable_proc_scans(h->pt) : 0;
}

struct hms_actions *healer_actions(struct hms_healer *h)
{
	return h ? h->actions : NULL;
}

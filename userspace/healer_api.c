/* healer_api.c - what the daemon and the operator ask of the healer
 * after it started: a reload that keeps running components, heal now,
 * pause, reset from gave_up, and the per-component view. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "healer_int.h"
#include "loop.h"

/* Move the runtime of a component kept across a reload. */
static void healer_carry(struct hcomp *dst, struct hcomp *src)
{
	struct hms_timer *t = dst->timer;
	const struct cfg_component *cc = dst->cc;

	healer_release_slot(src);
	if (src->hook)
		actions_hook_cancel(src->hook);
	src->hook = NULL;
	*dst = *src;
	dst->timer = t;
	dst->cc = cc;
	dst->busy = dst->queued = dst->running = dst->verifying = false;
	dst->stopping = false;
	dst->timer_what = HT_NONE;
	dst->fc = -1;
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

int healer_reload(struct hms_healer *h, const struct hms_config *cfg)
{
	struct hcomp *comps;
	int err;

	err = healer_build(h, cfg, &comps);
	if (err)
		return err;
	for (size_t i = 0; i < cfg->n_components; i++) {
		struct hcomp *old = healer_find(h, cfg->components[i].name);

		if (old)
			healer_carry(&comps[i], old);
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
	h->running = 0;
	healer_registry_sync(h);
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		/* watches carry a pointer to the component: renew them */
		for (size_t k = 0; k < c->n_pids; k++) {
			actions_unwatch(h->actions, c->pids[k]);
			actions_watch(h->actions, c->pids[k],
				      healer_child_exit, c);
		}
		if (c->state == HEALER_GAVE_UP || c->state == HEALER_RECOVERING)
			healer_set_state(c, c->n_pids ? HEALER_HEALTHY :
					 HEALER_FAILED, "config reloaded");
	}
	healer_bringup_all(h);
	for (size_t i = 0; i < h->n_comps; i++) {
		struct hcomp *c = &h->comps[i];

		if (!c->n_pids && !c->busy && c->state == HEALER_FAILED) {
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
	if (c->state == HEALER_GAVE_UP)
		c->n_recov = 0;
	healer_failure(c, &f);
	return 0;
}

int healer_pause(struct hms_healer *h, const char *component, bool paused)
{
	struct hcomp *c = healer_find(h, component);

	if (!c)
		return -ENOENT;
	c->paused = paused;
	return 0;
}

int healer_reset(struct hms_healer *h, const char *component)
{
	struct hcomp *c = healer_find(h, component);

	if (!c)
		return -ENOENT;
	c->n_recov = 0;
	c->n_fail = 0;
	c->attempt = 0;
	if (c->state == HEALER_GAVE_UP) {
		healer_set_state(c, c->n_pids ? HEALER_HEALTHY : HEALER_FAILED,
				 "operator reset");
		if (!c->n_pids)
			return healer_heal_now(h, component);
	}
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
		};
		int ret;

		snprintf(ci.name, sizeof(ci.name), "%s", c->cc->name);
		snprintf(ci.last_failure, sizeof(ci.last_failure), "%s",
			 c->last_failure);
		snprintf(ci.last_cause, sizeof(ci.last_cause), "%s",
			 c->last_cause);
		ret = cb(&ci, arg);
		if (ret)
			return ret;
	}
	return 0;
}

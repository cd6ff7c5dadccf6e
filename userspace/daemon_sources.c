// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon_sources.c - plugs the healer, the registry and the sensors into
 * the dashboard publisher (struct publisher_sources), so that the
 * publisher links against none of them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "daemon_int.h"
#include "healer.h"
#include "pressure.h"
#include "publisher.h"
#include "registry.h"
#include "registry_proc.h"
#include "sensors.h"

struct comp_walk {
	publisher_component_cb cb;
	void *arg;
};

static int daemon_src_component(const struct healer_component_info *ci,
				void *arg)
{
	struct comp_walk *w = arg;
	struct publisher_component c = {
		.name = ci->name, .state = ci->state, .pid = ci->pid,
		.restarts = ci->restarts, .last_failure = ci->last_failure,
		.last_cause = ci->last_cause, .paused = ci->paused,
		.pids = ci->pids, .n_pids = ci->n_pids, .reason = ci->reason,
		.held = ci->held,
	};
	const struct healer_oom_info *oi = &ci->last_oom;
	struct publisher_pressure pres[3];
	struct publisher_oom oom = {
		.pid = oi->pid, .time_ms = oi->wall_ms, .rss_kb = oi->rss_kb,
		.cgroup_read = oi->flags & HMS_OOM_F_CGROUP,
		.limit_bytes = oi->cg_limit, .usage_bytes = oi->cg_usage,
		.peak_bytes = oi->cg_peak,
		.pressure_read = oi->flags & HMS_OOM_F_PRESSURE,
		.some_avg10 = oi->some_avg10 / 100.0,
		.full_avg10 = oi->full_avg10 / 100.0,
		.pressure_before = oi->flags & HMS_OOM_F_PRECEDED,
		.pressure_ago_ms = oi->pressure_ago_ms,
		.strategy = oi->strategy, .done = oi->done,
		.summary = ci->last_oom_text,
	};

	if (oi->pid)
		c.oom = &oom;
	for (int r = 0; r < 3; r++) {
		struct publisher_pressure *pp = &pres[c.n_pressure];

		if (!ci->pressure[r].set)
			continue;
		pp->resource = pressure_resource_name(r);
		pp->full = ci->pressure[r].full;
		pp->armed = ci->pressure[r].armed;
		pp->stall_ms = ci->pressure[r].stall_us / 1000.0;
		pp->configured_ms = ci->pressure[r].configured_us / 1000.0;
		pp->max_ms = ci->pressure[r].max_us / 1000.0;
		pp->window_ms = ci->pressure[r].window_us / 1000.0;
		c.n_pressure++;
	}
	c.pressure = pres;
	return w->cb(&c, w->arg);
}

static int daemon_src_components(void *ctx, publisher_component_cb cb,
				 void *arg)
{
	struct hms_daemon *d = ctx;
	struct comp_walk w = { cb, arg };

	if (!d->healer)
		return 0;
	return healer_foreach_component(d->healer, daemon_src_component, &w);
}

/* The probability that the healer picks each row's strategy next for
 * (component, failure): registry_explain over the configured candidates,
 * which runs the healer's own decision.  A strategy with evidence that
 * is no longer configured gets 0. */
static double daemon_src_p_next(struct hms_daemon *d, const char *component,
				const char *failure, const char *strategy)
{
	const struct cfg_component *c = config_component(d->cfg, component);
	int fc = config_failure_from_name(failure);
	struct registry_candidate cand[32];
	const char *names[32];
	size_t n;

	if (!c || fc < 0 || !c->n_on[fc])
		return 0;
	n = c->n_on[fc] < 32 ? c->n_on[fc] : 32;
	for (size_t i = 0; i < n; i++)
		names[i] = d->cfg->strategies[c->on[fc][i]].name;
	if (n == 1)
		return !strcmp(names[0], strategy);
	if (registry_explain(d->registry, component, failure, names, n, cand))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], strategy))
			return cand[i].p_choose;
	return 0;
}

static int daemon_src_collect(const struct registry_evidence *ev, void *arg)
{
	struct hms_daemon *d = arg;

	if (d->n_ev >= DAEMON_MAX_EVIDENCE)
		return 1;
	d->ev[d->n_ev++] = *ev;
	return 0;
}

/* Only the configured components' rows: what the dashboard shows, never
 * a walk of all evidence (a fleet store can hold 45,000 rows). */
static int daemon_src_strategies(void *ctx, publisher_strategy_cb cb,
				 void *arg)
{
	struct hms_daemon *d = ctx;
	static double p[DAEMON_MAX_EVIDENCE];

	if (!d->registry)
		return 0;
	d->n_ev = 0;
	for (size_t i = 0; i < d->cfg->n_components; i++)
		registry_evidence_foreach(d->registry,
					  d->cfg->components[i].name,
					  daemon_src_collect, d);
	for (size_t i = 0; i < d->n_ev; i++)
		p[i] = daemon_src_p_next(d, d->ev[i].component,
					 d->ev[i].failure, d->ev[i].strategy);
	for (size_t i = 0; i < d->n_ev; i++) {
		const struct registry_evidence *e = &d->ev[i];
		struct publisher_strategy s = {
			.component = e->component, .failure = e->failure,
			.strategy = e->strategy, .successes = e->successes,
			.failures = e->failures,
			.success_rate = e->mean,
			.n_outcomes = e->n_outcomes,
			.median_recover_ms = e->median_recover_ms,
			.p95_recover_ms = e->p95_recover_ms,
		};

		s.p_next = p[i];
		/* the marker: the most probable next choice of its group */
		s.next = s.p_next > 0;
		for (size_t j = 0; j < d->n_ev && s.next; j++) {
			const struct registry_evidence *o = &d->ev[j];

			if (j != i && !strcmp(o->component, e->component) &&
			    !strcmp(o->failure, e->failure) &&
			    p[j] > s.p_next)
				s.next = false;
		}
		if (cb(&s, arg))
			break;
	}
	return 0;
}

static int daemon_src_act(void *ctx, const char *verb, const char *component,
			  char *msg, size_t len)
{
	struct hms_daemon *d = ctx;

	if (!d->healer) {
		snprintf(msg, len, "refused: no healer is running");
		return -ENOTSUP;
	}
	return healer_command(d->healer, verb, component, msg, len);
}

static int daemon_src_runq(void *ctx, uint32_t tgid,
			   uint64_t slots[HMS_HIST_SLOTS])
{
	struct hms_daemon *d = ctx;

	return d->sensors ? sensors_runq_hist(d->sensors, tgid, slots)
			  : -ENOENT;
}

static int daemon_src_registry(void *ctx, struct hms_ev_registry *out)
{
	struct hms_daemon *d = ctx;

	if (!d->regproc)
		return -ENOENT;
	regproc_status(d->regproc, out);
	return 0;
}

void daemon_sources_init(struct hms_daemon *d, struct publisher_sources *s)
{
	memset(s, 0, sizeof(*s));
	s->components = daemon_src_components;
	s->strategies = daemon_src_strategies;
	s->act = daemon_src_act;
	s->runq_hist = daemon_src_runq;
	s->registry = daemon_src_registry;
	s->ctx = d;
}

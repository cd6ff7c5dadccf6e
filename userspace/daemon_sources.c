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
#include "hms_proto.h"
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
		.held = ci->held, .pins = ci->pins,
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

static int daemon_src_collect(const struct registry_evidence *ev, void *arg)
{
	struct hms_daemon *d = arg;

	if (d->n_ev >= DAEMON_MAX_EVIDENCE)
		return 1;
	d->ev[d->n_ev++] = *ev;
	return 0;
}

static int daemon_src_row(const struct registry_evidence *e,
			  const char *component, const char *failure,
			  const char *strategy, double p, bool next,
			  publisher_strategy_cb cb, void *arg)
{
	struct publisher_strategy s = {
		.component = component, .failure = failure,
		.strategy = strategy, .p_next = p, .next = next,
	};

	if (e) {
		s.successes = e->successes;
		s.failures = e->failures;
		s.success_rate = e->mean;
		s.n_outcomes = e->n_outcomes;
		s.median_recover_ms = e->median_recover_ms;
		s.p95_recover_ms = e->p95_recover_ms;
	}
	return cb(&s, arg);
}

/* One (component, failure class) with evidence, ev[from..to): every
 * configured candidate, tried or not, with its probability of being
 * picked next - registry_explain runs the healer's own decision, once
 * for the group; a pinned one has 1 - and the likeliest marked; then evidence of strategies
 * no longer configured (probability 0). */
static int daemon_src_group(struct hms_daemon *d, size_t from, size_t to,
			    publisher_strategy_cb cb, void *arg)
{
	const struct registry_evidence *g = &d->ev[from];
	const struct cfg_component *c = config_component(d->cfg, g->component);
	int fc = config_failure_from_name(g->failure);
	struct registry_candidate cand[REGISTRY_CHOOSE_MAX];
	const char *names[REGISTRY_CHOOSE_MAX], *pin;
	double p[REGISTRY_CHOOSE_MAX] = { 0 };
	size_t n = 0, best = 0, i, k;

	if (c && fc >= 0)
		n = c->n_on[fc] < REGISTRY_CHOOSE_MAX ? c->n_on[fc] :
		    REGISTRY_CHOOSE_MAX;
	for (i = 0; i < n; i++)
		names[i] = d->cfg->strategies[c->on[fc][i]].name;
	if (n == 1)
		p[0] = 1;
	else if (n > 1 && !registry_explain(d->registry, g->component,
					    g->failure, names, n, cand))
		for (i = 0; i < n; i++)
			p[i] = cand[i].p_choose;
	/* the operator's pin decides, as in the healer's choice */
	pin = n > 1 ? healer_pinned(d->healer, g->component, fc) : NULL;
	for (i = 0; pin && i < n; i++)
		p[i] = !strcmp(names[i], pin);
	for (i = 1; i < n; i++)
		if (p[i] > p[best])
			best = i;
	for (i = 0; i < n; i++) {
		const struct registry_evidence *e = NULL;

		for (k = from; k < to && !e; k++)
			if (!strcmp(d->ev[k].strategy, names[i]))
				e = &d->ev[k];
		if (daemon_src_row(e, g->component, g->failure, names[i], p[i],
				   i == best && p[i] > 0, cb, arg))
			return 1;
	}
	for (k = from; k < to; k++) {
		for (i = 0; i < n && strcmp(d->ev[k].strategy, names[i]); i++)
			;
		if (i == n && daemon_src_row(&d->ev[k], g->component,
					     g->failure, d->ev[k].strategy, 0,
					     false, cb, arg))
			return 1;
	}
	return 0;
}

/* Only the configured components' rows: what the dashboard shows, never
 * a walk of all evidence (a fleet store can hold 45,000 rows). */
static int daemon_src_strategies(void *ctx, publisher_strategy_cb cb,
				 void *arg)
{
	struct hms_daemon *d = ctx;
	size_t from = 0, to;

	if (!d->registry)
		return 0;
	d->n_ev = 0;
	for (size_t i = 0; i < d->cfg->n_components; i++)
		registry_evidence_foreach(d->registry,
					  d->cfg->components[i].name,
					  daemon_src_collect, d);
	/* rows come grouped by component and class */
	while (from < d->n_ev) {
		for (to = from + 1; to < d->n_ev &&
		     !strcmp(d->ev[to].component, d->ev[from].component) &&
		     !strcmp(d->ev[to].failure, d->ev[from].failure); to++)
			;
		if (daemon_src_group(d, from, to, cb, arg))
			break;
		from = to;
	}
	return 0;
}

static int daemon_src_act(void *ctx, const struct publisher_act *a,
			  char *msg, size_t len)
{
	struct hms_daemon *d = ctx;

	if (!d->healer) {
		snprintf(msg, len, "refused: no healer is running");
		return -ENOTSUP;
	}
	if (!strcmp(a->verb, HMS_VERB_PIN) || !strcmp(a->verb, HMS_VERB_UNPIN)) {
		if (!strcmp(a->verb, HMS_VERB_PIN) &&
		    (!a->failure || !a->strategy)) {
			snprintf(msg, len, "refused: pin needs a failure class "
				 "and a strategy");
			return -EINVAL;
		}
		return healer_pin(d->healer, a->component, a->failure,
				  !strcmp(a->verb, HMS_VERB_PIN) ? a->strategy
								 : NULL,
				  msg, len);
	}
	return healer_command(d->healer, a->verb, a->component, msg, len);
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

static int daemon_src_stats(void *ctx)
{
	struct hms_daemon *d = ctx;

	return d->sensors ? sensors_publish_stats(d->sensors) : 0;
}

void daemon_sources_init(struct hms_daemon *d, struct publisher_sources *s)
{
	memset(s, 0, sizeof(*s));
	s->components = daemon_src_components;
	s->strategies = daemon_src_strategies;
	s->act = daemon_src_act;
	s->runq_hist = daemon_src_runq;
	s->registry = daemon_src_registry;
	s->stats = daemon_src_stats;
	s->ctx = d;
}

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
#include "publisher.h"
#include "registry.h"
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
	};

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

/* The candidate the healer is most likely to pick next for (component,
 * failure), as the registry predicts it from the configured candidates. */
static void daemon_src_next(struct hms_daemon *d, const char *component,
			    const char *failure, char *out, size_t len)
{
	const struct cfg_component *c = config_component(d->cfg, component);
	int fc = config_failure_from_name(failure), pick;
	const char *names[64];
	size_t n = 0;

	out[0] = '\0';
	if (!c || fc < 0 || !c->n_on[fc])
		return;
	for (size_t i = 0; i < c->n_on[fc] && n < 64; i++)
		names[n++] = d->cfg->strategies[c->on[fc][i]].name;
	if (!registry_predict(d->registry, component, failure, names, n,
			      &pick))
		snprintf(out, len, "%s", names[pick]);
}

static int daemon_src_collect(const struct registry_evidence *ev, void *arg)
{
	struct hms_daemon *d = arg;

	if (d->n_ev >= DAEMON_MAX_EVIDENCE)
		return 1;
	d->ev[d->n_ev++] = *ev;
	return 0;
}

static int daemon_src_strategies(void *ctx, publisher_strategy_cb cb,
				 void *arg)
{
	struct hms_daemon *d = ctx;
	char next[64];
	int err;

	if (!d->registry)
		return 0;
	d->n_ev = 0;
	err = registry_evidence_foreach(d->registry, NULL, daemon_src_collect,
					d);
	if (err)
		return err;
	next[0] = '\0';
	for (size_t i = 0; i < d->n_ev; i++) {
		const struct registry_evidence *e = &d->ev[i];
		/* rows come grouped by component and failure: one choice of
		 * "next" per group, not per row */
		int same = i && !strcmp(e->component, d->ev[i - 1].component) &&
			   !strcmp(e->failure, d->ev[i - 1].failure);
		struct publisher_strategy s = {
			.component = e->component, .failure = e->failure,
			.strategy = e->strategy, .successes = e->successes,
			.failures = e->failures,
			.success_rate = e->success_rate,
			.n_outcomes = e->n_outcomes,
			.median_recover_ms = e->median_recover_ms,
			.p95_recover_ms = e->p95_recover_ms,
		};

		if (!same)
			daemon_src_next(d, e->component, e->failure, next,
					sizeof(next));
		s.next = !strcmp(next, e->strategy);
		if (cb(&s, arg))
			break;
	}
	return 0;
}

static int daemon_src_act(void *ctx, const char *verb, const char *component,
			  char *msg, size_t len)
{
	struct hms_daemon *d = ctx;
	int err;

	if (!d->healer) {
		snprintf(msg, len, "no healer is running");
		return -ENOTSUP;
	}
	if (!strcmp(verb, HMS_VERB_HEAL))
		err = healer_heal_now(d->healer, component);
	else if (!strcmp(verb, HMS_VERB_PAUSE))
		err = healer_pause(d->healer, component, true);
	else if (!strcmp(verb, HMS_VERB_RESUME))
		err = healer_pause(d->healer, component, false);
	else if (!strcmp(verb, HMS_VERB_ACK))
		err = healer_reset(d->healer, component);
	else
		err = -EINVAL;
	if (err)
		snprintf(msg, len, "%s %s: %s", verb, component,
			 err == -EINVAL ? "unknown request" : strerror(-err));
	else
		snprintf(msg, len, "%s %s: done", verb, component);
	return err;
}

static int daemon_src_runq(void *ctx, uint32_t tgid,
			   uint64_t slots[HMS_HIST_SLOTS])
{
	struct hms_daemon *d = ctx;

	return d->sensors ? sensors_runq_hist(d->sensors, tgid, slots)
			  : -ENOENT;
}

void daemon_sources_init(struct hms_daemon *d, struct publisher_sources *s)
{
	memset(s, 0, sizeof(*s));
	s->components = daemon_src_components;
	s->strategies = daemon_src_strategies;
	s->act = daemon_src_act;
	s->runq_hist = daemon_src_runq;
	s->ctx = d;
}

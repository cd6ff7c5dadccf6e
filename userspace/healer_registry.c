// SPDX-License-Identifier: BSD-2-Clause
/*
 * healer_registry.c - the healer's side of the knowledge registry.  The
 * configured strategies are registered with their parameter bounds (so
 * the registry validates recorded parameters), and before a recovery the
 * registry's parameter learner picks the backoff delay, the memory
 * factor and, for a signal action that lists alternatives, the signal to
 * use - the learned answer, or now and then a trial chosen by the
 * learner with a stopping rule.  The outcome reports the values actually
 * used (the delay actually waited, the factor actually applied, the
 * signal actually sent) and whether it was a trial, which the registry
 * learns on the parameter's arm only, never on the strategy's evidence.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "config.h"
#include "event.h"
#include "healer_int.h"
#include "log.h"
#include "registry.h"

#define HEALER_BOUNDS	"{\"factor\":[1.0,16.0],\"initial_ms\":[0,3600000]," \
			"\"delay_ms\":[0,86400000]}"
#define HEALER_MIN_BACKOFF_MS	10
#define HEALER_FACTOR_MIN	1.0
#define HEALER_FACTOR_MAX	16.0

/* One action as {kind: {scalar params}} (the registry's action form). */
static json_t *healer_registry_action(const struct cfg_action *a)
{
	json_t *p = json_object();
	json_t *o = json_object();

	switch (a->kind) {
	case ACTION_SIGNAL:
		json_object_set_new(p, "signal",
				    json_string(event_signal_name(a->signal)));
		break;
	case ACTION_EXEC:
		json_object_set_new(p, "command", json_string(
			a->argv && a->argv[0] ? a->argv[0] : ""));
		json_object_set_new(p, "timeout_ms",
				    json_integer(a->timeout_ms));
		break;
	case ACTION_MEMORY:
		json_object_set_new(p, "factor", json_real(a->factor));
		json_object_set_new(p, "max_mb", json_integer(a->max_mb));
		if (a->high_ratio > 0)
			json_object_set_new(p, "high_ratio",
					    json_real(a->high_ratio));
		break;
	case ACTION_IO:
		json_object_set_new(p, "weight", json_integer(a->io_weight));
		break;
	case ACTION_CPU:
		json_object_set_new(p, "weight", json_integer(a->cpu_weight));
		json_object_set_new(p, "nice", json_integer(a->nice));
		if (a->slice_us)
			json_object_set_new(p, "slice_us",
					    json_integer(a->slice_us));
		if (a->rt_priority)
			json_object_set_new(p, "rt_priority",
					    json_integer(a->rt_priority));
		break;
	case ACTION_ALERT:
		json_object_set_new(p, "severity", json_integer(a->severity));
		break;
	case ACTION_PLUGIN:
		json_object_set_new(p, "kind", json_string(a->plugin_kind));
		json_object_set_new(p, "params",
				    json_string(a->params_json ?: "{}"));
		json_object_set_new(p, "timeout_ms",
				    json_integer(a->timeout_ms));
		break;
	default:
		break;
	}
	json_object_set_new(o, actions_kind_name(a->kind), p);
	return o;
}

static int healer_registry_put(struct hms_healer *h,
			       const struct cfg_strategy *st)
{
	struct registry_strategy rs = {0};
	json_t *acts = json_array();
	char *text;
	int err;

	for (size_t i = 0; i < st->n_actions; i++)
		json_array_append_new(acts,
				      healer_registry_action(&st->actions[i]));
	text = json_dumps(acts, JSON_COMPACT);
	json_decref(acts);
	if (!text)
		return -ENOMEM;
	snprintf(rs.name, sizeof(rs.name), "%s", st->name);
	snprintf(rs.actions, sizeof(rs.actions), "%s", text);
	snprintf(rs.bounds, sizeof(rs.bounds), "%s", HEALER_BOUNDS);
	free(text);
	err = registry_put_strategy(h->reg, &rs);
	if (err)
		log_warning("registry: strategy %s not "
			    "registered: %s",
			    st->name, registry_last_error(h->reg));
	return err;
}

void healer_registry_sync(struct hms_healer *h)
{
	if (!h->reg || h->cfg->daemon.dry_run)
		return;
	for (size_t i = 0; i < h->cfg->n_strategies; i++)
		healer_registry_put(h, &h->cfg->strategies[i]);
}

/* The configured memory factor of a strategy, 0 when it has none. */
static double healer_strategy_factor(const struct cfg_strategy *st)
{
	for (size_t i = 0; i < st->n_actions; i++)
		if (st->actions[i].kind == ACTION_MEMORY)	/* 1: high only */
			return st->actions[i].factor > 1.0 ?
			       st->actions[i].factor : 0;
	return 0;
}

/* The first signal action of a strategy that lists alternatives. */
static const struct cfg_action *healer_strategy_signals(
	const struct cfg_strategy *st)
{
	for (size_t i = 0; i < st->n_actions; i++)
		if (st->actions[i].kind == ACTION_SIGNAL &&
		    st->actions[i].n_signals > 1)
			return &st->actions[i];
	return NULL;
}

/* Values of the tunables for this recovery, from the registry's
 * parameter learner: the backoff delay (within [10 ms, max_ms]); for a
 * chain with a memory action, the factor (within [1, 16]); for a signal
 * action that lists alternatives, which signal it sends. */
void healer_registry_params(struct hcomp *c, int fc, int strategy)
{
	const struct cfg_component *cc = c->cc;
	const struct cfg_strategy *st = &c->h->cfg->strategies[strategy];
	const struct cfg_action *sa = healer_strategy_signals(st);
	const char *sigs[CFG_SIGNALS_MAX];
	struct registry_param q[3];
	double factor = healer_strategy_factor(st);
	size_t n = 0;

	c->factor_used = 0;
	c->signal_used = 0;
	c->param_trial = false;
	c->initial_ms_used = cc->backoff.initial_ms;
	if (!c->h->reg || c->h->cfg->daemon.dry_run)
		return;
	memset(q, 0, sizeof(q));
	if (cc->backoff.initial_ms >= HEALER_MIN_BACKOFF_MS &&
	    cc->backoff.max_ms >= cc->backoff.initial_ms)
		q[n++] = (struct registry_param){ .name = "delay_ms",
			.lo = HEALER_MIN_BACKOFF_MS, .hi = cc->backoff.max_ms,
			.dflt = cc->backoff.initial_ms, .ratio = M_SQRT2 };
	if (factor >= HEALER_FACTOR_MIN && factor <= HEALER_FACTOR_MAX)
		q[n++] = (struct registry_param){ .name = "factor",
			.lo = HEALER_FACTOR_MIN, .hi = HEALER_FACTOR_MAX,
			.dflt = factor, .ratio = 1.189207115 };
	if (sa) {
		for (uint32_t i = 0; i < sa->n_signals; i++)
			sigs[i] = event_signal_name((unsigned)sa->signals[i]);
		q[n++] = (struct registry_param){ .name = "signal",
			.choices = sigs, .nchoices = sa->n_signals };
	}
	if (!n || registry_params_choose(c->h->reg, cc->name,
					 config_failure_name(fc), st->name,
					 q, n))
		return;
	for (size_t i = 0; i < n; i++) {
		c->param_trial |= q[i].trial;
		if (!strcmp(q[i].name, "delay_ms"))
			c->initial_ms_used = (uint32_t)lround(q[i].value);
		else if (!strcmp(q[i].name, "factor"))
			c->factor_used = q[i].value;
		else	/* signal: back from its name to its number */
			for (uint32_t k = 0; k < sa->n_signals; k++)
				if (q[i].str && !strcmp(q[i].str, sigs[k]))
					c->signal_used = sa->signals[k];
	}
}

/* The parameters of an outcome: what was actually used. */
void healer_registry_outcome_params(struct hcomp *c,
				    struct registry_outcome *o)
{
	int n = snprintf(o->params, sizeof(o->params),
			 "{\"delay_ms\":%.0f", c->delay_waited_ms);

	if (c->factor_applied && n > 0 && (size_t)n < sizeof(o->params))
		n += snprintf(o->params + n, sizeof(o->params) - n,
			      ",\"factor\":%.4f", c->factor_actual);
	if (c->signal_sent && n > 0 && (size_t)n < sizeof(o->params))
		n += snprintf(o->params + n, sizeof(o->params) - n,
			      ",\"signal\":\"%s\"",
			      event_signal_name((unsigned)c->signal_sent));
	if (n > 0 && (size_t)n < sizeof(o->params) - 1)
		snprintf(o->params + n, sizeof(o->params) - n, "}");
	o->trial = c->param_trial;
}

/*
 * healer_registry.c - the healer's side of the knowledge registry.  The
 * configured strategies are registered with their parameter bounds (so
 * the registry validates recorded parameters and clamps what it tunes),
 * and learned parameters are read back before a recovery: the memory
 * factor and the backoff delay that healed.  Smaller backoffs are tried
 * now and then after a success, so that the registry can learn the
 * smallest delay that still heals.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "config.h"
#include "event.h"
#include "healer_int.h"
#include "log.h"
#include "registry.h"

#define HEALER_BOUNDS	"{\"factor\":[1.0,16.0],\"initial_ms\":[0,3600000]}"
#define HEALER_MIN_BACKOFF_MS	10
#define HEALER_EXPLORE_PCT	20

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
		break;
	case ACTION_CPU:
		json_object_set_new(p, "weight", json_integer(a->cpu_weight));
		json_object_set_new(p, "nice", json_integer(a->nice));
		break;
	case ACTION_ALERT:
		json_object_set_new(p, "severity", json_integer(a->severity));
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

/* Learned parameters of the chosen strategy for this recovery: the
 * memory factor, and a backoff delay no longer than the configured one. */
void healer_registry_params(struct hcomp *c, int fc, int strategy)
{
	const struct cfg_component *cc = c->cc;
	char js[256];
	json_t *o, *v;

	c->factor_used = 0;
	c->initial_ms_used = cc->backoff.initial_ms;
	if (!c->h->reg ||
	    registry_tuned_params(c->h->reg, cc->name, config_failure_name(fc),
				  c->h->cfg->strategies[strategy].name, js,
				  sizeof(js)))
		return;
	o = json_loads(js, 0, NULL);
	if (!o)
		return;
	v = json_object_get(o, "factor");
	if (json_is_number(v) && json_number_value(v) >= 1.0 &&
	    json_number_value(v) <= 16.0)
		c->factor_used = json_number_value(v);
	v = json_object_get(o, "initial_ms");
	if (json_is_number(v) && json_number_value(v) >= 0 &&
	    json_number_value(v) < cc->backoff.initial_ms)
		c->initial_ms_used = (uint32_t)json_number_value(v);
	json_decref(o);
	/* after a success, sometimes try half: if it heals too, the
	 * registry will propose it from then on */
	c->h->rng ^= c->h->rng << 13;	/* xorshift64 step */
	c->h->rng ^= c->h->rng >> 7;
	c->h->rng ^= c->h->rng << 17;
	if (c->last_success && c->initial_ms_used / 2 >= HEALER_MIN_BACKOFF_MS &&
	    c->h->rng % 100 < HEALER_EXPLORE_PCT)
		c->initial_ms_used /= 2;
}

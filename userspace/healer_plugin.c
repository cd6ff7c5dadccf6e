// SPDX-License-Identifier: BSD-2-Clause
/* healer_plugin.c - plugins inside the healing pipeline (include/
 * hms_plugin.h): a plugin's action kind as a step of a strategy's chain
 * (`- plugin: {kind: K, params: {..}, timeout_ms: N}`), run without
 * blocking the loop and bounded by its timeout, its done() result being
 * the action's result; and a detector's raise_failure, a failure of class
 * `plugin` (the detector's class name in its cause) handled as any other.
 * Plugin probes are probe.c's; this file hands them the loaded plugins. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "healer_int.h"
#include "loop.h"
#include "plugin.h"
#include "probe.h"

static int plugin_failure(const char *cls, const char *component,
			  uint32_t pid, const char *detail, void *arg)
{
	struct hms_healer *h = arg;
	struct healer_failure f = { .fc = FAIL_PLUGIN };
	struct hcomp *c;

	c = component ? healer_find(h, component) :
	    pid ? healer_comp_of_pid(h, (pid_t)pid) : NULL;
	if (!c || h->freeing)
		return -ENOENT;
	f.pid = pid ? pid : (uint32_t)c->pid;
	f.ts_ns = loop_now_ns();
	snprintf(f.comm, sizeof(f.comm), "%s", c->comm);
	snprintf(f.cause, sizeof(f.cause), "%.31s: %.60s", cls, detail);
	healer_failure(c, &f);
	return 0;
}

void healer_set_plugins(struct hms_healer *h, struct hms_plugins *ps)
{
	h->plugins = ps;
	plugins_set_failure_cb(ps, plugin_failure, h);
	healer_probes_sync(h);	/* the plugin probes get them */
}

void healer_plugin_cancel(struct hcomp *c)
{
	plugin_ticket_cancel(c->pticket);
	c->pticket = NULL;
	if (c->timer_what == HT_PLUGIN) {
		loop_timer_disarm(c->timer);
		c->timer_what = HT_NONE;
	}
}

/* The chain goes on (or ends) with the plugin's verdict. */
static void plugin_action_end(struct hcomp *c, int result, const char *detail)
{
	healer_plugin_cancel(c);
	healer_action_event(c, ACTION_PLUGIN, ACTION_PHASE_FINISHED, result,
			    c->pid, detail);
	c->step++;
	if (result)
		healer_recovery_abort(c, result);
	else
		healer_chain_next(c);
}

static void plugin_action_done(void *owner, int result, const char *detail)
{
	struct hcomp *c = owner;
	char buf[HMS_TEXT_LEN];

	c->pticket = NULL;
	snprintf(buf, sizeof(buf), "%s", detail[0] ? detail :
		 result ? strerror(-result) : "done");
	plugin_action_end(c, result, buf);
}

void healer_plugin_timeout(struct hcomp *c)
{
	char buf[HMS_TEXT_LEN];
	const struct cfg_action *a = NULL;
	const struct cfg_strategy *s;

	if (!c->pticket)
		return;
	if (c->strategy >= 0) {
		s = &c->h->cfg->strategies[c->strategy];
		if (c->step < s->n_actions)
			a = &s->actions[c->step];
	}
	snprintf(buf, sizeof(buf), "plugin %s: no result within %u ms",
		 a ? a->plugin_kind : "?", a ? a->timeout_ms : 0);
	plugin_action_end(c, -ETIMEDOUT, buf);
}

struct plugin_call {
	struct hcomp *c;
	const struct cfg_action *a;
};

static int plugin_action_call(void *arg, struct plugin_ticket *t)
{
	struct plugin_call *pc = arg;
	struct hcomp *c = pc->c;
	struct hms_plugin_action_ctx ctx = {
		.component = c->cc->name,
		.failure = config_failure_name(c->fc),
		.main_pid = c->pid > 0 ? (uint32_t)c->pid : 0,
	};

	return plugins_action_run(c->h->plugins, pc->a->plugin_kind, &ctx,
				  pc->a->params_json, plugin_ticket_done, t);
}

int healer_plugin_action(struct hcomp *c, const struct cfg_action *a)
{
	struct plugin_call pc = { .c = c, .a = a };
	char detail[HMS_TEXT_LEN];
	int err;

	snprintf(detail, sizeof(detail), "plugin %s", a->plugin_kind);
	healer_action_event(c, ACTION_PLUGIN, ACTION_PHASE_STARTED, 0, c->pid,
			    detail);
	err = plugin_ticket_new(plugin_action_done, c, &c->pticket);
	if (err)
		goto fail;
	healer_arm(c, HT_PLUGIN, a->timeout_ms);
	err = plugin_ticket_call(c->pticket, plugin_action_call, &pc);
	if (err) {
		c->pticket = NULL;
		goto fail;
	}
	/* pending, or done inside the call: the chain went on from
	 * plugin_action_done either way */
	return -EINPROGRESS;
fail:
	healer_plugin_cancel(c);
	snprintf(detail, sizeof(detail), "plugin %s: %s", a->plugin_kind,
		 err == -ENOENT ? "no loaded plugin has this action kind" :
		 strerror(-err));
	healer_action_event(c, ACTION_PLUGIN, ACTION_PHASE_FINISHED, err,
			    c->pid, detail);
	return err;
}

void healer_plugin_probe(struct hms_healer *h, size_t idx,
			 struct hms_probe *pr)
{
	if (pr && idx < h->n_comps)
		probe_set_plugins(pr, h->plugins, h->comps[idx].cc->name);
}

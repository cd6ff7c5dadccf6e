/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin_ticket.c - the token a plugin's action or probe gets, so that its
 * done() can come now (inside run), later (from a loop callback), or after
 * the daemon stopped waiting (timeout, reload, stop) without the daemon
 * ever reading freed memory: a ticket whose owner gave up stays allocated
 * until the plugin calls done, and is then freed without a callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "plugin.h"

struct plugin_ticket {
	plugin_ticket_cb cb;
	void *owner;		/* NULL: cancelled */
	bool in_call;		/* inside run/probe */
	bool fired;		/* done came inside the call */
	int result;
	char detail[96];
};

int plugin_ticket_new(plugin_ticket_cb cb, void *owner,
		      struct plugin_ticket **out)
{
	struct plugin_ticket *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cb = cb;
	t->owner = owner;
	*out = t;
	return 0;
}

/* The hms_plugin_action_done every plugin call gets. */
void plugin_ticket_done(void *token, int result, const char *detail)
{
	struct plugin_ticket *t = token;

	if (!t)
		return;
	if (t->in_call) {
		t->fired = true;
		t->result = result > 0 ? -result : result;
		snprintf(t->detail, sizeof(t->detail), "%s", detail ?: "");
		return;
	}
	if (t->owner)
		t->cb(t->owner, result > 0 ? -result : result, detail ?: "");
	free(t);
}

int plugin_ticket_call(struct plugin_ticket *t,
		       int (*call)(void *arg, struct plugin_ticket *t),
		       void *arg)
{
	int err;

	t->in_call = true;
	err = call(arg, t);
	t->in_call = false;
	if (t->fired) {
		/* done inside the call: delivered now, after the call */
		if (t->owner)
			t->cb(t->owner, t->result, t->detail);
		free(t);
		return 0;
	}
	if (err) {
		/* refused at once: the plugin will not call done */
		free(t);
		return err > 0 ? -err : err;
	}
	return 0;
}

void plugin_ticket_cancel(struct plugin_ticket *t)
{
	if (t)
		t->owner = NULL;
}

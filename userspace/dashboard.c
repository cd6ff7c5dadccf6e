// SPDX-License-Identifier: BSD-2-Clause
/* dashboard.c - the tmux session: panes from a layout, each running
 * `hms-ebpf view NAME --socket PATH`, a health summary in the status line
 * and a flash for critical events.
 *
 * The session is made by a chain of tmux commands run one after the
 * other from the queue in dashboard_tmux.c (each pane's id is needed to
 * split it), so dashboard_new returns at once and on_ready tells when the
 * session is there.  Every untrusted string (comm, component, alert text)
 * passes sanitize_tmux before it becomes part of a tmux format. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "bus.h"
#include "dashboard.h"
#include "dashboard_int.h"
#include "log.h"
#include "loop.h"
#include "hms_sanitize.h"

static const struct dashboard_pane dash_grid_panes[] = {
	{ "processes", 'h', 0, -1 },
	{ "strategies", 'h', 40, 0 },
	{ "events", 'v', 45, 0 },
	{ "metrics", 'v', 45, 1 },
};

/* Below 120 columns a 2x2 grid cuts every view: processes over events in
 * the first window, strategies and metrics each in a window of its own
 * (tmux prefix n / p), every view at the terminal's full width. */
static const struct dashboard_pane dash_compact_panes[] = {
	{ "processes", 'h', 0, -1 },
	{ "events", 'v', 40, 0 },
	{ "strategies", 'w', 0, 0 },
	{ "metrics", 'w', 0, 0 },
};

static const struct dashboard_layout dash_builtin[] = {
	{ "grid", dash_grid_panes, 4 },
	{ "compact", dash_compact_panes, 4 },
};

#define DASH_WIDE_COLS	120	/* "default": grid from here, else compact */

static const struct dashboard_layout *dash_layout(
	const struct dashboard_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_layouts; i++)
		if (!strcmp(o->layouts[i].name, name))
			return &o->layouts[i];
	if (!strcmp(name, "default"))	/* chosen by the terminal's size */
		name = (o->width ? o->width : DASH_DEFAULT_W) >= DASH_WIDE_COLS ?
		       "grid" : "compact";
	for (i = 0; i < sizeof(dash_builtin) / sizeof(dash_builtin[0]); i++)
		if (!strcmp(dash_builtin[i].name, name))
			return &dash_builtin[i];
	return NULL;
}

static void dash_ready(struct hms_dashboard *d, int err)
{
	if (d->ready)
		return;
	d->ready = err ? err : 1;
	if (!err)
		dash_status_first(d);
	if (d->on_ready)
		d->on_ready(d, err, d->ready_arg);
}

static void dash_step(struct hms_dashboard *d);

static void dash_on_created(struct hms_dashboard *d, int rc, const char *out,
			    void *arg)
{
	(void)out;
	(void)arg;
	dash_ready(d, rc);
}

static void dash_on_pane(struct hms_dashboard *d, int rc, const char *out,
			 void *arg)
{
	(void)arg;
	if (!rc && !out[0])
		rc = -ECHILD;
	if (rc) {
		dash_ready(d, rc);
		return;
	}
	snprintf(d->ids[d->step], sizeof(d->ids[0]), "%s", out);
	dashboard_tmux(d, 0, NULL, NULL, (const char *[]){ "select-pane", "-t",
		d->ids[d->step], "-T", d->panes[d->step].view, NULL });
	d->step++;
	dash_step(d);
}

/* The next pane (new-session for the first, split-window for the
 * others), or the final options once all are there. */
static void dash_step(struct hms_dashboard *d)
{
	const struct dash_pane *pn = &d->panes[d->step];
	char size[16], w[16], h[16];
	const char *args[24];
	int n = 0;

	if (d->step == d->n_panes) {
		/* no program may rename the window; the summary needs room */
		dashboard_tmux(d, 0, NULL, NULL, (const char *[]){ "set-option",
			"-w", "-t", d->session, "allow-rename", "off", NULL });
		/* narrow: half the line, the window list needs the rest */
		snprintf(size, sizeof(size), "%u", d->width >= DASH_WIDE_COLS ?
			 160 : d->width / 2);
		dashboard_tmux(d, 0, NULL, NULL, (const char *[]){ "set-option",
			"-t", d->session, "status-right-length", size, NULL });
		dashboard_tmux(d, 0, dash_on_created, NULL, (const char *[]){
			"select-pane", "-t", d->ids[0], NULL });
		return;
	}
	if (!d->step) {
		snprintf(w, sizeof(w), "%u", d->width);
		snprintf(h, sizeof(h), "%u", d->height);
		args[n++] = "new-session";
		args[n++] = "-d";
		args[n++] = "-s";
		args[n++] = d->session;
		args[n++] = "-n";
		args[n++] = "hms";
		args[n++] = "-x";
		args[n++] = w;
		args[n++] = "-y";
		args[n++] = h;
	} else if (pn->split == 'w') {	/* a window of its own */
		args[n++] = "new-window";
		args[n++] = "-d";
		args[n++] = "-t";
		args[n++] = d->target;
		args[n++] = "-n";
		args[n++] = pn->view;
	} else {
		snprintf(size, sizeof(size), "%u%%",
			 pn->size_pct ? pn->size_pct : 50);
		args[n++] = "split-window";
		args[n++] = pn->split == 'v' ? "-v" : "-h";
		args[n++] = "-l";
		args[n++] = size;
		args[n++] = "-t";
		args[n++] = d->ids[pn->of >= 0 ? (size_t)pn->of : d->step - 1];
	}
	args[n++] = "-P";
	args[n++] = "-F";
	args[n++] = "#{pane_id}";
	args[n++] = d->self_exe;
	args[n++] = "view";
	args[n++] = pn->view;
	args[n++] = "--socket";
	args[n++] = d->socket_path;
	args[n] = NULL;
	if (dashboard_tmux(d, 0, dash_on_pane, NULL, args))
		dash_ready(d, -ECHILD);
}

static void dash_on_has(struct hms_dashboard *d, int rc, const char *out,
			void *arg)
{
	(void)out;
	(void)arg;
	if (!rc)
		dash_ready(d, 0);	/* reused as it is */
	else if (rc == -ETIMEDOUT)
		dash_ready(d, rc);
	else
		dash_step(d);
}

/* Copy the layout: it is used by later steps, after the caller's
 * (config) memory may be gone. */
static int dash_copy_layout(struct hms_dashboard *d,
			    const struct dashboard_layout *l)
{
	if (!l->n_panes || l->n_panes > DASH_MAX_PANES)
		return -EINVAL;
	for (size_t i = 0; i < l->n_panes; i++) {
		const struct dashboard_pane *pn = &l->panes[i];
		int of = pn->of >= 0 ? pn->of : (int)i - 1;

		if (i && (of < 0 || (size_t)of >= i))
			return -EINVAL;
		snprintf(d->panes[i].view, sizeof(d->panes[i].view), "%s",
			 pn->view);
		d->panes[i].split = pn->split;
		d->panes[i].size_pct = pn->size_pct;
		d->panes[i].of = of;
	}
	d->n_panes = l->n_panes;
	return 0;
}

static char *dash_strdup(const char *s, const char *def)
{
	return strdup(s ? s : def);
}

int dashboard_new(const struct dashboard_opts *o, struct hms_loop *loop,
		  struct hms_bus *bus, struct hms_dashboard **out)
{
	const struct dashboard_layout *l;
	struct hms_dashboard *d;
	int err;

	l = dash_layout(o, o->layout ? o->layout : "default");
	if (!l)
		return -ENOENT;
	if (!o->self_exe || !o->socket_path)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->loop = loop;
	d->session = dash_strdup(o->session, "hms");
	d->self_exe = dash_strdup(o->self_exe, "");
	d->socket_path = dash_strdup(o->socket_path, "");
	d->tmux = dash_strdup(o->tmux, "tmux");
	d->tmux_socket = o->tmux_socket ? strdup(o->tmux_socket) : NULL;
	d->tmux_config = o->tmux_config ? strdup(o->tmux_config) : NULL;
	d->width = o->width ? o->width : DASH_DEFAULT_W;
	d->height = o->height ? o->height : DASH_DEFAULT_H;
	d->kill_on_free = o->kill_on_free;
	if (o->sources)
		d->src = *o->sources;
	snprintf(d->target, sizeof(d->target), "=%s:", d->session);
	d->on_ready = o->on_ready;
	d->ready_arg = o->ready_arg;
	d->actions = o->actions;
	err = -ENOMEM;
	if (!d->session || !d->self_exe || !d->socket_path || !d->tmux)
		goto fail;
	err = dash_copy_layout(d, l);
	if (!err && !d->actions) {
		err = actions_new(loop, &d->actions);
		d->own_actions = !err;
		if (!err)
			actions_reap_only_watched(d->actions);
	}
	err = err ?: dash_tmux_init(d);
	err = err ?: dashboard_tmux(d, 0, dash_on_has, NULL, (const char *[]){
		"has-session", "-t", d->target, NULL });
	err = err ?: dash_status_start(d, bus);
	if (err)
		goto fail;
	*out = d;
	return 0;
fail:
	dashboard_free(d);
	return err;
}

int dashboard_ready(const struct hms_dashboard *d)
{
	return d->ready;
}

void dashboard_tmux_stats(const struct hms_dashboard *d, uint64_t out[4])
{
	out[0] = d->tmux_runs;
	out[1] = d->tmux_timeouts;
	out[2] = d->tmux_dropped;
	out[3] = d->tmux_coalesced;
}

void dashboard_free(struct hms_dashboard *d)
{
	if (!d)
		return;
	dash_status_stop(d);
	if (d->attach_pid > 0 && d->actions)
		actions_unwatch(d->actions, d->attach_pid);
	if (d->session && d->kill_on_free && d->ready > 0)
		dash_tmux_close(d, (const char *[]){ "kill-session", "-t",
			d->target, NULL });
	else if (d->session && d->ready > 0)
		dash_tmux_close(d, (const char *[]){ "set-option", "-t",
			d->target, "status-right", "hms: daemon stopped ",
			NULL });
	else
		dash_tmux_close(d, NULL);
	if (d->own_actions)
		actions_free(d->actions);
	free(d->session);
	free(d->self_exe);
	free(d->socket_path);
	free(d->tmux);
	free(d->tmux_socket);
	free(d->tmux_config);
	free(d->tmux_env);
	free(d);
}

void dashboard_attach_hint(const struct hms_dashboard *d, char *buf,
			   size_t len)
{
	snprintf(buf, len, "%s%s%s attach -t %s", d->tmux,
		 d->tmux_socket ? " -L " : "",
		 d->tmux_socket ? d->tmux_socket : "", d->session);
}

static void dash_attach_exit(pid_t pid, const siginfo_t *si, void *arg)
{
	struct hms_dashboard *d = arg;

	(void)si;
	if (d->attach_pid == pid)
		d->attach_pid = 0;
	log_notice("tmux attach (pid %d) ended; the daemon goes on", (int)pid);
}

int dashboard_attach(struct hms_dashboard *d, pid_t *pid)
{
	struct actions_spawn_opts o = { .terminal = true };
	const char *argv[8];
	int n = 0, err;

	argv[n++] = d->tmux;
	if (d->tmux_socket) {
		argv[n++] = "-L";
		argv[n++] = d->tmux_socket;
	}
	argv[n++] = "attach-session";
	argv[n++] = "-t";
	argv[n++] = d->target;
	argv[n] = NULL;
	o.argv = (char *const *)argv;
	err = actions_spawn(d->actions, &o, pid);
	if (err)
		return err;
	d->attach_pid = *pid;
	return actions_watch(d->actions, *pid, dash_attach_exit, d);
}

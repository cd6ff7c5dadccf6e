/*
 * daemon_ui.c - starts the dashboard's two halves for the daemon: the
 * publisher socket (always, so `hms-ebpf view` works headless too) and the
 * tmux session (unless --no-tmux).  A failure here is reported and the
 * daemon goes on headless.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "daemon_int.h"
#include "dashboard.h"
#include "healer.h"
#include "publisher.h"

static gid_t daemon_ui_group(const char *name, const char *key)
{
	struct group *g;

	if (!name || !name[0])
		return (gid_t)-1;
	g = getgrnam(name);
	if (!g) {
		fprintf(stderr, "hms-ebpf: %s: group '%s' does not exist: "
			"only root may use the dashboard socket that way\n",
			key, name);
		return (gid_t)-1;
	}
	return g->gr_gid;
}

/* Config layouts -> dashboard layouts (the config owns the strings). */
static int daemon_ui_layouts(struct hms_daemon *d)
{
	const struct hms_config *c = d->cfg;

	d->n_layouts = 0;
	d->layouts = calloc(c->dashboard.n_layouts + 1, sizeof(*d->layouts));
	if (!d->layouts)
		return -ENOMEM;
	for (size_t i = 0; i < c->dashboard.n_layouts; i++) {
		const struct cfg_layout *l = &c->dashboard.layouts[i];
		struct dashboard_pane *p = calloc(l->n_panes + 1, sizeof(*p));

		if (!p)
			return -ENOMEM;
		for (size_t j = 0; j < l->n_panes; j++) {
			p[j].view = l->panes[j].view;
			p[j].split = l->panes[j].split;
			p[j].size_pct = l->panes[j].size_pct;
			p[j].of = -1;
		}
		d->layouts[i].name = l->name;
		d->layouts[i].panes = p;
		d->layouts[i].n_panes = l->n_panes;
		d->n_layouts++;
	}
	return 0;
}

/* The session is there (or not): say so, attach when asked. */
static void daemon_ui_ready(struct hms_dashboard *dash, int err, void *arg)
{
	struct hms_daemon *d = arg;
	char hint[256];
	pid_t pid;

	if (err) {
		fprintf(stderr, "hms-ebpf: tmux dashboard unavailable (%s): "
			"running headless\n", err == -ETIMEDOUT ?
			"tmux did not answer within its timeout" :
			err == -ECHILD ? "tmux failed" : strerror(-err));
		return;
	}
	dashboard_attach_hint(dash, hint, sizeof(hint));
	fprintf(stderr, "hms-ebpf: dashboard ready: %s\n", hint);
	if (d->o->attach && isatty(STDIN_FILENO) &&
	    dashboard_attach(dash, &pid))
		fprintf(stderr, "hms-ebpf: cannot attach to tmux\n");
}

static void daemon_ui_tmux(struct hms_daemon *d)
{
	struct dashboard_opts o = {0};
	int err;

	if (daemon_ui_layouts(d))
		return;
	o.session = d->o->session ? d->o->session : d->cfg->dashboard.session;
	o.layout = d->o->layout ? d->o->layout : d->cfg->dashboard.layout;
	o.self_exe = d->o->self_exe;
	o.socket_path = publisher_path(d->publisher);
	o.layouts = d->layouts;
	o.n_layouts = d->n_layouts;
	o.sources = &d->sources;
	o.actions = healer_actions(d->healer);
	o.on_ready = daemon_ui_ready;
	o.ready_arg = d;
	err = dashboard_new(&o, d->loop, d->bus, &d->dashboard);
	if (err)
		fprintf(stderr, "hms-ebpf: tmux dashboard unavailable (%s): "
			"running headless\n", err == -ENOENT ?
			"unknown layout" : strerror(-err));
}

void daemon_ui_start(struct hms_daemon *d)
{
	struct publisher_opts po = {0};
	int err;

	daemon_sources_init(d, &d->sources);
	po.path = d->o->socket ? d->o->socket : d->cfg->daemon.socket;
	po.socket_group = daemon_ui_group(d->cfg->daemon.socket_group,
					  "daemon.socket_group");
	po.viewer_group = daemon_ui_group(d->cfg->daemon.viewer_group,
					  "daemon.viewer_group");
	err = publisher_new(&po, d->loop, d->bus, d->pt, &d->sources,
			    &d->publisher);
	if (err) {
		fprintf(stderr, "hms-ebpf: dashboard socket %s unavailable: "
			"%s\n", po.path, strerror(-err));
		return;
	}
	if (!d->o->no_tmux)
		daemon_ui_tmux(d);
}

void daemon_ui_stop(struct hms_daemon *d)
{
	dashboard_free(d->dashboard);
	d->dashboard = NULL;
	publisher_free(d->publisher);
	d->publisher = NULL;
	for (size_t i = 0; d->layouts && i < d->n_layouts; i++)
		free((void *)d->layouts[i].panes);
	free(d->layouts);
	d->layouts = NULL;
}

// SPDX-License-Identifier: BSD-2-Clause
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
#include <sys/ioctl.h>
#include <unistd.h>
#include "config.h"
#include "daemon_int.h"
#include "dashboard.h"
#include "healer.h"
#include "log.h"
#include "publisher.h"

static gid_t daemon_ui_group(const char *name, const char *key)
{
	struct group *g;

	if (!name || !name[0])
		return (gid_t)-1;
	g = getgrnam(name);
	if (!g) {
		log_warning("%s: group '%s' does not exist: "
			    "only root may use the dashboard socket that way",
			    key, name);
		return (gid_t)-1;
	}
	return g->gr_gid;
}

/* The session is there (or not): say so, attach when asked. */
static void daemon_ui_ready(struct hms_dashboard *dash, int err, void *arg)
{
	struct hms_daemon *d = arg;
	char hint[256];
	pid_t pid;

	if (err) {
		log_warning("tmux dashboard unavailable (%s): running headless",
			    err == -ETIMEDOUT ?
			    "tmux did not answer within its timeout" :
			    err == -ECHILD ? "tmux failed" : strerror(-err));
		return;
	}
	dashboard_attach_hint(dash, hint, sizeof(hint));
	log_notice("dashboard ready: %s", hint);
	if (d->o->attach && isatty(STDIN_FILENO) &&
	    dashboard_attach(dash, &pid))
		log_warning("cannot attach to tmux");
}

static void daemon_ui_tmux(struct hms_daemon *d)
{
	struct dashboard_opts o = {0};
	int err;

	o.session = d->o->session ? d->o->session : d->cfg->dashboard.session;
	o.layout = d->o->layout ? d->o->layout : d->cfg->dashboard.layout;
	/* a new session gets the size of the terminal the daemon was started
	 * from ("default" picks its layout by it); none: 200x50 */
	for (int fd = 0; fd < 3 && !o.width; fd++) {
		struct winsize ws;

		if (isatty(fd) && !ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col &&
		    ws.ws_row) {
			o.width = ws.ws_col;
			o.height = ws.ws_row;
		}
	}
	o.self_exe = d->o->self_exe;
	o.socket_path = publisher_path(d->publisher);
	o.layouts = d->cfg->dashboard.layouts;	/* copied by dashboard_new */
	o.n_layouts = d->cfg->dashboard.n_layouts;
	o.sources = &d->sources;
	o.actions = healer_actions(d->healer);
	o.on_ready = daemon_ui_ready;
	o.ready_arg = d;
	err = dashboard_new(&o, d->loop, d->bus, &d->dashboard);
	if (err)
		log_warning("tmux dashboard unavailable (%s): running headless",
			    err == -ENOENT ? "unknown layout" : strerror(-err));
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
		log_warning("dashboard socket %s unavailable: "
			    "%s",
			    po.path, strerror(-err));
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
}

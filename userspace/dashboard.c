/* dashboard.c - the tmux session: panes from a layout, each running
 * `hms-ebpf view NAME --socket PATH`, a health summary in the status line
 * and a flash for critical events.
 *
 * tmux is run synchronously with an argv (fork/exec, never a shell) and a
 * timeout that kills it, so a wedged tmux server cannot stall the loop
 * for long; status updates are coalesced to at most two a second.  Every
 * untrusted string (comm, component, alert text) passes sanitize_tmux
 * before it becomes part of a tmux format. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "dashboard.h"
#include "dashboard_int.h"
#include "loop.h"
#include "sanitize.h"

#define DASH_TMUX_TIMEOUT_MS	3000

static const struct dashboard_pane dash_default_panes[] = {
	{ "processes", 'h', 0, -1 },
	{ "strategies", 'h', 40, 0 },
	{ "events", 'v', 45, 0 },
	{ "metrics", 'v', 45, 1 },
};

static const struct dashboard_pane dash_compact_panes[] = {
	{ "processes", 'h', 0, -1 },
	{ "events", 'v', 40, 0 },
};

static const struct dashboard_layout dash_builtin[] = {
	{ "default", dash_default_panes, 4 },
	{ "compact", dash_compact_panes, 2 },
};

static void dash_child(const char *const *argv, int out_fd)
{
	sigset_t none;
	int null = open("/dev/null", O_RDWR);

	/* the daemon blocks and ignores signals; tmux (and the server it
	 * may fork) must start with defaults */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(out_fd >= 0 ? out_fd : null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

/* Wait for pid at most ms; kill it after that.  Exit status or -errno. */
static int dash_wait(pid_t pid, int ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), status, err;
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	if (pfd >= 0 && poll(&p, 1, ms) == 0)
		kill(pid, SIGKILL);
	while ((err = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (pfd >= 0)
		close(pfd);
	if (err < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ETIMEDOUT;
}

int dashboard_tmux(const struct hms_dashboard *d, char *out, size_t outlen,
		   const char *const *args)
{
	const char *argv[64];
	int pipefd[2] = { -1, -1 }, n = 0, st;
	size_t got = 0;
	pid_t pid;

	argv[n++] = d->tmux;
	if (d->tmux_socket) {
		argv[n++] = "-L";
		argv[n++] = d->tmux_socket;
	}
	if (d->tmux_config) {
		argv[n++] = "-f";
		argv[n++] = d->tmux_config;
	}
	while (*args && n < 63)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (out && pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0)
		dash_child(argv, pipefd[1]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (pid < 0) {
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		return -errno;
	}
	if (out && outlen) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		ssize_t r;

		while (got + 1 < outlen && poll(&p, 1, DASH_TMUX_TIMEOUT_MS) > 0 &&
		       (r = read(pipefd[0], out + got, outlen - 1 - got)) > 0)
			got += r;
		out[got] = '\0';
		while (got && out[got - 1] == '\n')
			out[--got] = '\0';
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	st = dash_wait(pid, DASH_TMUX_TIMEOUT_MS);
	return st == 0 ? 0 : st < 0 ? st : -ECHILD;
}

static const struct dashboard_layout *dash_layout(
	const struct dashboard_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_layouts; i++)
		if (!strcmp(o->layouts[i].name, name))
			return &o->layouts[i];
	for (i = 0; i < sizeof(dash_builtin) / sizeof(dash_builtin[0]); i++)
		if (!strcmp(dash_builtin[i].name, name))
			return &dash_builtin[i];
	return NULL;
}

/* One pane: new-session for the first, split-window for the others. */
static int dash_pane(struct hms_dashboard *d, const struct dashboard_pane *pn,
		     const char *target, char *id, size_t idlen)
{
	char size[16], w[16], h[16];
	const char *args[24];
	int n = 0;

	if (!target) {
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
	} else {
		snprintf(size, sizeof(size), "%u%%",
			 pn->size_pct ? pn->size_pct : 50);
		args[n++] = "split-window";
		args[n++] = pn->split == 'v' ? "-v" : "-h";
		args[n++] = "-l";
		args[n++] = size;
		args[n++] = "-t";
		args[n++] = target;
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
	return dashboard_tmux(d, id, idlen, args);
}

static int dash_create(struct hms_dashboard *d,
		       const struct dashboard_layout *l)
{
	char ids[16][32];
	size_t i;
	int err;

	if (!l->n_panes || l->n_panes > 16)
		return -EINVAL;
	for (i = 0; i < l->n_panes; i++) {
		const struct dashboard_pane *pn = &l->panes[i];
		int of = pn->of >= 0 ? pn->of : (int)i - 1;

		if (i && (of < 0 || (size_t)of >= i))
			return -EINVAL;
		err = dash_pane(d, pn, i ? ids[of] : NULL, ids[i],
				sizeof(ids[i]));
		if (!err && !ids[i][0])
			err = -ECHILD;
		if (!err)
			err = dashboard_tmux(d, NULL, 0, (const char *[]){
				"select-pane", "-t", ids[i], "-T", pn->view,
				NULL });
		if (err)
			return err;
	}
	/* no program may rename the window; the summary needs room */
	dashboard_tmux(d, NULL, 0, (const char *[]){ "set-option", "-w", "-t",
		d->session, "allow-rename", "off", NULL });
	dashboard_tmux(d, NULL, 0, (const char *[]){ "set-option", "-t",
		d->session, "status-right-length", "160", NULL });
	return dashboard_tmux(d, NULL, 0, (const char *[]){ "select-pane",
		"-t", ids[0], NULL });
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
	d->width = o->width ? o->width : 200;
	d->height = o->height ? o->height : 50;
	d->kill_on_free = o->kill_on_free;
	if (o->sources)
		d->src = *o->sources;
	snprintf(d->target, sizeof(d->target), "=%s:", d->session);
	err = -ENOMEM;
	if (!d->session || !d->self_exe || !d->socket_path || !d->tmux)
		goto fail;
	if (dashboard_tmux(d, NULL, 0, (const char *[]){ "has-session", "-t",
			   d->target, NULL })) {
		err = dash_create(d, l);
		if (err)
			goto fail;
	}
	err = dash_status_start(d, bus);
	if (err)
		goto fail;
	*out = d;
	return 0;
fail:
	dashboard_free(d);
	return err;
}

void dashboard_free(struct hms_dashboard *d)
{
	if (!d)
		return;
	dash_status_stop(d);
	if (d->session && d->kill_on_free)
		dashboard_tmux(d, NULL, 0, (const char *[]){ "kill-session",
			"-t", d->target, NULL });
	free(d->session);
	free(d->self_exe);
	free(d->socket_path);
	free(d->tmux);
	free(d->tmux_socket);
	free(d->tmux_config);
	free(d);
}

void dashboard_attach_hint(const struct hms_dashboard *d, char *buf,
			   size_t len)
{
	snprintf(buf, len, "%s%s%s attach -t %s", d->tmux,
		 d->tmux_socket ? " -L " : "",
		 d->tmux_socket ? d->tmux_socket : "", d->session);
}

int dashboard_attach(const struct hms_dashboard *d, pid_t *pid)
{
	const char *argv[8];
	int n = 0;
	pid_t p;

	argv[n++] = d->tmux;
	if (d->tmux_socket) {
		argv[n++] = "-L";
		argv[n++] = d->tmux_socket;
	}
	argv[n++] = "attach-session";
	argv[n++] = "-t";
	argv[n++] = d->target;
	argv[n] = NULL;
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	*pid = p;
	return 0;
}

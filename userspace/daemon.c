// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon.c - brings the daemon up in dependency order (config, loop, bus,
 * proctable, sensors, registry, healer, dashboard), runs the one epoll
 * loop, reloads on SIGHUP and tears everything down on SIGINT/SIGTERM so
 * that none of our BPF programs stays loaded.
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include "actions.h"
#include "bus.h"
#include "config.h"
#include "daemon.h"
#include "daemon_int.h"
#include "healer.h"
#include "incidents.h"
#include "log.h"
#include "log_events.h"
#include "registry.h"
#include "registry_proc.h"
#include "event.h"
#include "loop.h"
#include "metrics.h"
#include "notify.h"
#include "plugin.h"
#include "proctable.h"
#include "safedir.h"
#include "sensors.h"

/* The Prometheus endpoint, when metrics.listen is set; a failure is
 * reported and the daemon goes on without it. */
static void daemon_metrics_start(struct hms_daemon *d)
{
	int err;

	if (!d->cfg->metrics.listen[0])
		return;
	err = metrics_new(d->cfg->metrics.listen, d->loop, d->bus,
			  d->sensors, d->pt, &d->sources, &d->metrics);
	if (err)
		log_warning("metrics.listen %s: %s: metrics "
			    "endpoint off",
			    d->cfg->metrics.listen, strerror(-err));
	else
		log_info("metrics at http://%s/metrics",
			 d->cfg->metrics.listen);
}

/* Keys a reload cannot change in a running daemon: say so by name. */
static void daemon_reload_restart_keys(const struct hms_config *old,
				       const struct hms_config *new)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "daemon.registry", offsetof(struct hms_config, daemon.registry) },
		{ "daemon.socket", offsetof(struct hms_config, daemon.socket) },
		{ "daemon.socket_group",
		  offsetof(struct hms_config, daemon.socket_group) },
		{ "daemon.viewer_group",
		  offsetof(struct hms_config, daemon.viewer_group) },
		{ "dashboard.session",
		  offsetof(struct hms_config, dashboard.session) },
		{ "dashboard.layout", offsetof(struct hms_config, dashboard.layout) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp((const char *)old + keys[i].off,
			   (const char *)new + keys[i].off))
			log_warning("reload: %s changed: it takes "
				    "effect when hms-ebpf restarts",
				    keys[i].key);
}

static void daemon_reload_apply(struct hms_daemon *d)
{
	const char *path = d->o->config_path ? d->o->config_path
					     : CONFIG_DEFAULT_PATH;
	struct hms_config *cfg = NULL;
	int err;

	err = config_load(path, &cfg, stderr);
	if (err) {
		log_error("reload of %s rejected (%s): the "
			  "old configuration stays in force",
			  path, strerror(-err));
		notify_ready(d->notify, "reload rejected: the old "
			     "configuration stays in force");
		return;
	}
	if (d->o->dry_run)
		cfg->daemon.dry_run = true;
	daemon_reload_restart_keys(d->cfg, cfg);
	log_set_level(log_level_raise(cfg->daemon.log_level, d->o->verbose));
	if (d->healer && (err = healer_reload(d->healer, cfg))) {
		log_error("healer rejected the new "
			  "configuration (%s): the old one stays in force",
			  strerror(-err));
		config_free(cfg);
		notify_ready(d->notify, "reload rejected: the old "
			     "configuration stays in force");
		return;
	}
	if (sensors_set_runq_threshold(d->sensors,
				       cfg->sensors.runq_latency_us * 1000ULL) ||
	    sensors_set_bulk_rate(d->sensors, cfg->sensors.bulk_rate_per_sec))
		log_warning("reload: the sensors kept their old "
			    "thresholds (BPF map update failed)");
	/* nothing but the healer (just reloaded) and this struct holds
	 * pointers into a config: the old one can go */
	if (strcmp(cfg->metrics.listen, d->cfg->metrics.listen)) {
		metrics_free(d->metrics);
		d->metrics = NULL;
		config_free(d->cfg);
		d->cfg = cfg;
		daemon_metrics_start(d);
	} else {
		config_free(d->cfg);
		d->cfg = cfg;
	}
	if (d->registry)
		registry_set_half_life(d->registry,
				       cfg->daemon.registry_half_life_s);
	if (d->incidents)
		incidents_reload(d->incidents, cfg);
	daemon_json_reload(d);
	if (d->plugins)		/* all unloaded, the new list loaded */
		plugins_load(d->plugins, cfg->plugins, cfg->n_plugins);
	if (d->publisher)
		publisher_changed(d->publisher, PUB_T_ALL);
	log_notice("configuration reloaded from %s", path);
	notify_ready(d->notify, "running; configuration reloaded");
}

static void daemon_reload(struct hms_daemon *d);

/* The check child's messages (FILE:LINE:COL: key: message), each line
 * through our log: errors when the file was rejected, under journald with
 * their priority (the child's stderr is a pipe, never the journal). */
static void daemon_reload_relay(int fd, int level)
{
	char buf[4096], *p, *nl;
	size_t have = 0;
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf + have,
				    sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		for (p = buf; (nl = strchr(p, '\n')); p = nl + 1) {
			*nl = '\0';
			if (!strncmp(p, "hms-ebpf: ", 10))
				p += 10;
			log_msg(level, "%s", p);
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (have == sizeof(buf) - 1) {	/* a line that long: as is */
			log_msg(level, "%s", buf);
			have = 0;
		}
	}
	if (have) {
		buf[have] = '\0';
		log_msg(level, "%s", buf);
	}
}

/* The check child ended: its verdict decides whether the file is loaded
 * here.  Its messages (FILE:LINE:COL) go to our log. */
static void daemon_reload_checked(int result, const siginfo_t *si, void *arg)
{
	struct hms_daemon *d = arg;
	const char *path = d->o->config_path ? d->o->config_path
					     : CONFIG_DEFAULT_PATH;

	(void)si;
	d->reload_hook = NULL;
	daemon_reload_relay(d->reload_fd, result ? HMS_LOG_ERROR
						 : HMS_LOG_NOTICE);
	if (d->reload_fd >= 0)
		close(d->reload_fd);
	d->reload_fd = -1;
	if (result == -ETIMEDOUT)
		log_error("reload of %s rejected: parsing did not finish "
			  "within %u s: the old configuration stays in force",
			  path, DAEMON_RELOAD_CHECK_MS / 1000);
	else if (result)
		log_error("reload of %s rejected (errors above): the old "
			  "configuration stays in force", path);
	else
		daemon_reload_apply(d);
	if (result)
		notify_ready(d->notify, "reload rejected: the old "
			     "configuration stays in force");
	if (d->reload_again) {
		d->reload_again = false;
		daemon_reload(d);
	}
}

/* A reload first parses the file in a child (`hms-ebpf --check-config`)
 * with a time limit, so that a file libfyaml cannot finish with never
 * stops the loop; only a file that child accepted is loaded here. */
static void daemon_reload(struct hms_daemon *d)
{
	const char *path = d->o->config_path ? d->o->config_path
					     : CONFIG_DEFAULT_PATH;
	char *argv[] = { (char *)d->o->self_exe, "--check-config", "--config",
			 (char *)path, NULL };
	struct actions_spawn_opts o = { .argv = argv };
	char cwd[4096];
	int p[2], err;

	o.cwd = getcwd(cwd, sizeof(cwd));	/* a relative --config */
	if (d->reload_hook) {
		d->reload_again = true;	/* once the running check ends */
		return;
	}
	log_info("SIGHUP: reloading %s", path);
	notify_reloading(d->notify);
	if (!d->o->self_exe || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		daemon_reload_apply(d);
		return;
	}
	fcntl(p[0], F_SETPIPE_SZ, 1 << 20);
	o.out.kind = ACTIONS_OUT_FD;
	o.out.fd = p[1];
	d->reload_fd = p[0];
	err = actions_hook_run(healer_actions(d->healer), &o,
			       DAEMON_RELOAD_CHECK_MS, daemon_reload_checked, d,
			       &d->reload_hook);
	close(p[1]);
	if (err) {
		close(p[0]);
		d->reload_fd = -1;
		d->reload_hook = NULL;
		log_warning("reload: cannot run the check (%s): loading %s "
			    "here", strerror(-err), path);
		daemon_reload_apply(d);
	}
}

static void daemon_on_signal(int fd, uint32_t events, void *arg)
{
	struct hms_daemon *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			daemon_json_reopen(d);
			daemon_reload(d);
		} else {
			log_notice("%s: stopping", strsignal(si.ssi_signo));
			notify_stopping(d->notify);
			loop_stop(d->loop, 0);
		}
	}
}

static void daemon_on_stop_timer(struct hms_timer *t, void *arg)
{
	struct hms_daemon *d = arg;

	(void)t;
	notify_stopping(d->notify);
	loop_stop(d->loop, 0);
}

static int daemon_signals(struct hms_daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* blocked here, before any library starts a thread (RocksDB does):
	 * threads inherit the mask, so SIGCHLD always reaches the healer's
	 * signalfd instead of being discarded in another thread */
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGCHLD);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return loop_add_fd(d->loop, d->sigfd, EPOLLIN, daemon_on_signal, d);
}

static int daemon_load_config(struct hms_daemon *d)
{
	const char *path = d->o->config_path ? d->o->config_path
					     : CONFIG_DEFAULT_PATH;
	int err;

	config_parse_deadline(CONFIG_PARSE_LIMIT_S);
	err = config_load(path, &d->cfg, stderr);
	config_parse_deadline(0);

	if (err == -EINVAL)
		log_error("%s is not valid (errors above)", path);
	else if (err)
		log_error("cannot load %s: %s", path, strerror(-err));
	return err;
}

/* The store's snapshot reached the copy: what the panes show of it. */
static void daemon_registry_loaded(void *arg)
{
	struct hms_daemon *d = arg;

	if (d->publisher)
		publisher_changed(d->publisher, PUB_T_STRATEGIES);
}

static void daemon_registry_open(struct hms_daemon *d)
{
	const char *dir = d->o->registry ? d->o->registry
					 : d->cfg->daemon.registry;
	int err;

	d->ev = calloc(DAEMON_MAX_EVIDENCE, sizeof(*d->ev));
	if (!d->ev || !dir[0])
		return;
	/* the daemon chooses from a copy in memory; the store on disk is
	 * another process's (registry_proc.h): nothing it does stops us */
	err = registry_open_mem(&d->registry);
	if (!err)
		err = regproc_new(d->loop, d->bus, d->o->self_exe, dir,
				  d->registry, &d->regproc);
	if (!err)
		registry_set_half_life(d->registry,
				       d->cfg->daemon.registry_half_life_s);
	if (err) {
		log_warning("knowledge registry %s unavailable "
			    "(%s): healing from the config's order only",
			    dir, strerror(-err));
		registry_close(d->registry);
		d->registry = NULL;
	}
}

/* One daemon per socket: a second one would heal the same services
 * twice.  The lock is "<socket>.lock", held until we exit. */
static int daemon_lock(struct hms_daemon *d)
{
	const char *sock = d->o->socket ? d->o->socket : d->cfg->daemon.socket;
	char path[300];
	const char *base;
	int dirfd, err;

	snprintf(path, sizeof(path), "%s.lock", sock);
	/* created as root: in a directory nobody else can write, never
	 * through a symlink (safedir.h) */
	err = safedir_open(path, "lock", &dirfd, &base);
	if (err) {
		if (err != -EPERM)
			log_error("cannot open the lock %s: %s", path,
				  strerror(-err));
		return err;
	}
	d->lockfd = openat(dirfd, base, O_RDWR | O_CREAT | O_NOFOLLOW |
			   O_CLOEXEC, 0600);
	err = d->lockfd < 0 ? -errno : 0;
	close(dirfd);
	if (err) {
		log_error("cannot open the lock %s: %s%s", path, strerror(-err),
			  err == -ELOOP ? " (a symlink: refused)" : "");
		return err;
	}
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) < 0) {
		log_error("another hms-ebpf is running with "
			  "the socket %s (lock %s): not starting a second one",
			  sock, path);
		return -EBUSY;
	}
	return 0;
}

static int daemon_start(struct hms_daemon *d)
{
	struct sensors_opts so;
	int err;

	if (geteuid() != 0) {
		log_error("must run as root (BPF sensors, "
			  "cgroups, the dashboard socket): run it as root");
		return -EPERM;
	}
	err = daemon_lock(d);
	err = err ?: loop_new(&d->loop);
	err = err ?: notify_new(d->loop, &d->notify);
	err = err ?: bus_new(&d->bus);
	err = err ?: daemon_signals(d);
	err = err ?: proctable_new(d->bus, &d->pt);
	if (err)
		return err;
	if ((d->o->json || d->o->json_file) && (err = daemon_json_start(d)))
		return err;
	/* the healing story, one line per failure, decision, action,
	 * outcome, state change and alert */
	if ((err = log_events_new(d->loop, d->bus, &d->log_events)))
		return err;
	/* before the sensors and the healer: sinks see every event; a
	 * plugin that cannot be loaded is logged and left out */
	if (plugins_new(d->loop, d->bus, &d->plugins))
		log_error("plugins: out of memory: running without them");
	else
		plugins_load(d->plugins, d->cfg->plugins, d->cfg->n_plugins);
	proctable_seed(d->pt);
	sensors_opts_default(&so);
	so.verbose = d->o->verbose;
	/* periodic stats only for a listener that cannot ask: --json */
	so.stats_interval_s = d->o->json || d->o->json_file ? 10 : 0;
	so.runq_threshold_ns = d->cfg->sensors.runq_latency_us * 1000ULL;
	so.bulk_rate_per_sec = d->cfg->sensors.bulk_rate_per_sec;
	err = sensors_new(&so, d->loop, d->bus, &d->sensors);
	if (err) {
		log_error("sensors failed to start: %s", strerror(-err));
		return err;
	}
	daemon_registry_open(d);
	err = incidents_new(d->cfg, d->loop, d->bus, d->registry,
			    &d->incidents);
	if (err) {
		log_error("incident log failed to start: %s",
			  strerror(-err));
		return err;
	}
	err = healer_new(d->cfg, d->loop, d->bus, d->pt, d->sensors,
			 d->registry, &d->healer);
	if (err) {
		log_error("healer failed to start: %s", strerror(-err));
		return err;
	}
	healer_set_plugins(d->healer, d->plugins);
	daemon_ui_start(d);
	regproc_on_loaded(d->regproc, daemon_registry_loaded, d);
	daemon_metrics_start(d);
	/* exited rows go 60 s after their exit, on a timer armed only
	 * while there are some */
	err = proctable_expire_start(d->pt, d->loop, 60ULL * 1000000000ULL);
	if (!err && d->o->duration_s) {
		err = loop_timer_new(d->loop, daemon_on_stop_timer, d,
				     &d->stop_timer);
		err = err ?: loop_timer_arm(d->stop_timer,
					    d->o->duration_s * 1000000000ULL,
					    0);
	}
	if (!err) {
		char status[128];

		log_notice("version %s: %d sensors attached, %d skipped; "
			   "config %s",
			   HMS_VERSION, sensors_attached(d->sensors),
			   sensors_skipped(d->sensors), d->cfg->path);
		snprintf(status, sizeof(status), "running: %d sensors "
			 "attached, %zu components", sensors_attached(d->sensors),
			 d->cfg->n_components);
		notify_ready(d->notify, status);
	}
	return err;
}

static void daemon_stop(struct hms_daemon *d)
{
	actions_hook_cancel(d->reload_hook);
	d->reload_hook = NULL;
	if (d->reload_fd >= 0)
		close(d->reload_fd);
	if (d->sensors) {
		sensors_drain(d->sensors);
		sensors_publish_stats(d->sensors);
	}
	metrics_free(d->metrics);
	daemon_ui_stop(d);
	healer_free(d->healer);
	incidents_free(d->incidents);
	regproc_free(d->regproc);	/* the store's last writes */
	registry_close(d->registry);
	plugins_free(d->plugins);	/* after the healer's last events */
	log_events_free(d->log_events);
	free(d->ev);
	sensors_free(d->sensors);
	loop_timer_free(d->stop_timer);
	loop_timer_free(d->expire_timer);
	notify_free(d->notify);
	daemon_json_stop(d);
	proctable_free(d->pt);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->lockfd >= 0)
		close(d->lockfd);
	bus_free(d->bus);
	loop_free(d->loop);
	config_free(d->cfg);
	fflush(stdout);
}

int daemon_run(const struct daemon_opts *o)
{
	struct hms_daemon d = { .o = o, .sigfd = -1, .lockfd = -1,
				.reload_fd = -1 };
	int err, status;

	if (daemon_load_config(&d))
		return 2;
	log_set_level(log_level_raise(d.cfg->daemon.log_level, o->verbose));
	if (o->dry_run)
		d.cfg->daemon.dry_run = true;
	err = daemon_start(&d);
	if (err) {
		daemon_stop(&d);
		return 1;
	}
	status = loop_run(d.loop);
	daemon_stop(&d);
	return status < 0 ? 1 : status;
}

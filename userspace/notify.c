// SPDX-License-Identifier: BSD-2-Clause
/*
 * notify.c - the systemd side of the daemon's lifecycle, through
 * libsystemd's sd_notify: READY=1 once sensors and healer run, RELOADING=1
 * then READY=1 around a SIGHUP reload, STOPPING=1 when a stop begins, and
 * WATCHDOG=1 from a timer of the one epoll loop, so that a loop stuck
 * anywhere stops the pings and systemd restarts us (WatchdogSec=).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include "loop.h"
#include "notify.h"

struct hms_notify {
	struct hms_timer *watchdog;
	unsigned long long interval_ns;
};

static void notify_on_watchdog(struct hms_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

int notify_new(struct hms_loop *loop, struct hms_notify **out)
{
	struct hms_notify *n = calloc(1, sizeof(*n));
	uint64_t usec = 0;
	int err;

	if (!n)
		return -ENOMEM;
	/* 1: the WATCHDOG_* variables are ours, children must not see them */
	if (sd_watchdog_enabled(1, &usec) > 0 && usec) {
		n->interval_ns = usec * 1000ULL / 2;
		err = loop_timer_new(loop, notify_on_watchdog, n, &n->watchdog);
		err = err ?: loop_timer_arm(n->watchdog, n->interval_ns,
					    n->interval_ns);
		if (err) {
			notify_free(n);
			return err;
		}
		sd_notify(0, "WATCHDOG=1");
	}
	*out = n;
	return 0;
}

void notify_free(struct hms_notify *n)
{
	if (!n)
		return;
	loop_timer_free(n->watchdog);
	free(n);
}

void notify_ready(struct hms_notify *n, const char *status)
{
	(void)n;
	sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "running");
}

void notify_reloading(struct hms_notify *n)
{
	struct timespec ts;

	(void)n;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* MONOTONIC_USEC lets Type=notify-reload (systemd >= 253) match
	 * this RELOADING=1 with the reload it asked for */
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading the configuration\n"
		   "MONOTONIC_USEC=%llu", (unsigned long long)ts.tv_sec *
		   1000000ULL + ts.tv_nsec / 1000);
}

void notify_stopping(struct hms_notify *n)
{
	(void)n;
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: unloading the sensors");
}

unsigned long long notify_watchdog_ns(const struct hms_notify *n)
{
	return n ? n->interval_ns : 0;
}

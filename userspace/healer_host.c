// SPDX-License-Identifier: BSD-2-Clause
/* healer_host.c - pressure of the host as a whole: the PSI triggers of
 * `host: {pressure: ...}` on /proc/pressure/{memory,cpu,io}, in the one
 * event loop like a component's.  A trigger that fires is a host-level
 * failure (mem_pressure, cpu_pressure or io_pressure of no component,
 * stored by the incident log under "host-wide") and a warning alert; there
 * is nothing to heal at this level, it says that the whole machine
 * stalls, which explains the component failures that follow.  Re-armed on
 * reload only when its trigger changed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "event.h"
#include "healer_int.h"
#include "log.h"
#include "pressure.h"

struct healer_host {
	struct hms_healer *h;
	struct pressure_trigger *trig[PRESSURE_MAX];
	struct cfg_pressure armed[PRESSURE_MAX];
};

static void host_publish(struct healer_host *hh, int r)
{
	const struct cfg_pressure *cp = &hh->armed[r];
	struct hms_ev_failure f;
	struct hms_ev_alert a;
	double avg = 0;

	pressure_read(NULL, r, cp->full, &avg, NULL);
	memset(&f, 0, sizeof(f));
	event_init(&f.hdr, HMS_EV_FAILURE, sizeof(f));
	snprintf(f.hdr.comm, sizeof(f.hdr.comm), "host");
	snprintf(f.failure, sizeof(f.failure), "%s",
		 hms_failure_name(FAIL_MEM_PRESSURE + r));
	snprintf(f.cause, sizeof(f.cause), "host %s pressure: %s stall >= "
		 "%llu ms in %llu ms (avg10 %.2f%%)",
		 pressure_resource_name(r), cp->full ? "full" : "some",
		 (unsigned long long)(cp->stall_us / 1000),
		 (unsigned long long)(cp->window_us / 1000), avg);
	bus_publish(hh->h->bus, &f.hdr);
	memset(&a, 0, sizeof(a));
	event_init(&a.hdr, HMS_EV_ALERT, sizeof(a));
	snprintf(a.component, sizeof(a.component), "%s",
		 CONFIG_HOST_COMPONENT);
	a.severity = ALERT_WARNING;
	snprintf(a.message, sizeof(a.message), "%s", f.cause);
	bus_publish(hh->h->bus, &a.hdr);
}

static void host_fired(struct pressure_trigger *t, bool gone, void *arg)
{
	struct healer_host *hh = arg;
	int r;

	for (r = 0; r < PRESSURE_MAX && hh->trig[r] != t; r++)
		;
	if (r == PRESSURE_MAX || gone)
		return;		/* /proc/pressure does not go away */
	host_publish(hh, r);
}

static bool host_same(const struct cfg_pressure *a,
		      const struct cfg_pressure *b)
{
	return a->set == b->set && a->full == b->full &&
	       a->stall_us == b->stall_us && a->window_us == b->window_us;
}

void healer_host_sync(struct hms_healer *h)
{
	const struct cfg_pressure *want = h->cfg->host.pressure;
	struct healer_host *hh = h->host;
	int r, err;

	if (!hh) {
		for (r = 0; r < PRESSURE_MAX && !want[r].set; r++)
			;
		if (r == PRESSURE_MAX)
			return;
		hh = calloc(1, sizeof(*hh));
		if (!hh) {
			log_warning("host pressure triggers: %s",
				    strerror(ENOMEM));
			return;
		}
		hh->h = h;
		h->host = hh;
	}
	for (r = 0; r < PRESSURE_MAX; r++) {
		if (host_same(&hh->armed[r], &want[r]) && (!want[r].set ||
		    pressure_trigger_alive(hh->trig[r])))
			continue;
		pressure_trigger_free(hh->trig[r]);
		hh->trig[r] = NULL;
		hh->armed[r] = want[r];
		if (!want[r].set)
			continue;
		err = pressure_trigger_new(h->loop, NULL, r, want[r].full,
					   want[r].stall_us, want[r].window_us,
					   host_fired, hh, &hh->trig[r]);
		if (err)
			log_warning("host %s pressure trigger: %s",
				    pressure_resource_name(r), strerror(-err));
	}
}

bool healer_host_armed(const struct hms_healer *h, int res)
{
	return h->host && res >= 0 && res < PRESSURE_MAX &&
	       pressure_trigger_alive(h->host->trig[res]);
}

void healer_host_free(struct hms_healer *h)
{
	if (!h || !h->host)
		return;
	for (int r = 0; r < PRESSURE_MAX; r++)
		pressure_trigger_free(h->host->trig[r]);
	free(h->host);
	h->host = NULL;
}

// SPDX-License-Identifier: BSD-2-Clause
/* dashboard_status.c - the tmux status line (components healthy /
 * degraded / gave up, and the last failure seen) and flashes for critical
 * events (a component that gave up, an OOM kill, a critical alert).
 * Status updates are coalesced by a timer and again in the tmux queue
 * (dashboard_tmux.c); flashes are rate-limited.  Nothing here waits for
 * tmux: a bus callback only queues. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "dashboard_int.h"
#include "event.h"
#include "loop.h"
#include "hms_sanitize.h"

#define DASH_STATUS_MS		500
#define DASH_FLASH_GAP_NS	500000000ull
#define DASH_KILL_SIGS	((1u << SIGHUP) | (1u << SIGINT) | (1u << SIGKILL) | \
			 (1u << SIGTERM) | (1u << SIGPIPE) | (1u << SIGUSR1) | \
			 (1u << SIGUSR2) | (1u << SIGALRM))

struct dash_count {
	unsigned int healthy, degraded, gave_up;
};

static void dash_count_state(struct dash_count *n, unsigned int state)
{
	switch (state) {
	case HEALER_GAVE_UP:
		n->gave_up++;
		break;
	case HEALER_HEALTHY:
	case HEALER_STARTING:
		n->healthy++;
		break;
	case HEALER_STOPPED:
		break;
	default:
		n->degraded++;
	}
}

static int dash_count_cb(const struct publisher_component *c, void *arg)
{
	dash_count_state(arg, c->state);
	return 0;
}

static void dash_counts(struct hms_dashboard *d, struct dash_count *n)
{
	size_t i;

	memset(n, 0, sizeof(*n));
	if (d->src.components) {
		d->src.components(d->src.ctx, dash_count_cb, n);
		return;
	}
	for (i = 0; i < d->n_comps; i++)
		dash_count_state(n, d->comps[i].state);
}

static void dash_flash(struct hms_dashboard *d, const char *raw)
{
	char msg[300];
	uint64_t now = loop_now_ns();

	snprintf(msg, sizeof(msg), "hms: ");
	sanitize_tmux(raw, strlen(raw), msg + 5, sizeof(msg) - 5);
	/* kept in a user option too, for scripts and tests: written by the
	 * status tick, so an alert storm costs one tmux run per tick */
	snprintf(d->alert, sizeof(d->alert), "%s", msg);
	d->alert_dirty = 1;
	if (now - d->last_flash_ns < DASH_FLASH_GAP_NS)
		return;
	d->last_flash_ns = now;
	if (d->ready > 0)
		dashboard_tmux(d, DASHBOARD_KEY_FLASH, NULL, NULL,
			       (const char *[]){ "display-message", "-t",
			       d->target, "-d", "5000", msg, NULL });
}

static void dash_status_set(struct hms_dashboard *d, int rc, const char *out,
			    void *arg)
{
	(void)out;
	(void)arg;
	if (!rc)
		snprintf(d->status, sizeof(d->status), "%s", d->queued);
	else
		d->queued[0] = '\0';	/* the next tick tries again */
}

static void dash_update(struct hms_dashboard *d)
{
	struct dash_count n;
	char status[sizeof(d->status)];

	dash_counts(d, &n);
	snprintf(status, sizeof(status),
		 "hms: %u healthy, %u degraded, %u gave up%s%s ", n.healthy,
		 n.degraded, n.gave_up, d->last[0] ? " | last: " : "", d->last);
	d->dirty = 0;
	if (!strcmp(status, d->queued))
		return;
	snprintf(d->queued, sizeof(d->queued), "%s", status);
	dashboard_tmux(d, DASHBOARD_KEY_STATUS, dash_status_set, NULL,
		       (const char *[]){ "set-option", "-t", d->target,
		       "status-right", status, NULL });
}

static void dash_on_timer(struct hms_timer *t, void *arg)
{
	struct hms_dashboard *d = arg;

	(void)t;
	if (d->ready <= 0)
		return;
	if (d->alert_dirty) {
		d->alert_dirty = 0;
		dashboard_tmux(d, DASHBOARD_KEY_ALERT, NULL, NULL,
			       (const char *[]){ "set-option", "-t", d->target,
			       "@hms_alert", d->alert, NULL });
	}
	if (d->dirty || d->src.components)
		dash_update(d);
}

static void dash_set_last(struct hms_dashboard *d, const char *what,
			  const char *comm, uint32_t pid, const char *cause)
{
	char raw[256];

	snprintf(raw, sizeof(raw), "%s %.*s[%u] %s", what, HMS_COMM_LEN, comm,
		 pid, cause);
	sanitize_tmux(raw, strnlen(raw, sizeof(raw)), d->last,
		      sizeof(d->last));
	d->dirty = 1;
}

static void dash_component(struct hms_dashboard *d,
			   const struct hms_ev_component *c)
{
	char msg[200];
	size_t i;

	for (i = 0; i < d->n_comps; i++)
		if (!strncmp(d->comps[i].name, c->component, HMS_NAME_LEN))
			break;
	if (i == d->n_comps && d->n_comps < DASH_MAX_COMPS)
		memcpy(d->comps[d->n_comps++].name, c->component, HMS_NAME_LEN);
	if (i < d->n_comps)
		d->comps[i].state = c->new_state;
	d->dirty = 1;
	if (c->new_state == HEALER_GAVE_UP && c->old_state != HEALER_GAVE_UP) {
		snprintf(msg, sizeof(msg), "%.*s gave up: %.*s", HMS_NAME_LEN,
			 c->component, HMS_TEXT_LEN, c->reason);
		dash_flash(d, msg);
	}
}

static void dash_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct hms_dashboard *d = arg;
	char msg[200];

	switch (ev->type) {
	case HMS_EV_EXIT: {
		const struct hms_ev_exit *e = (const void *)ev;

		/* a core-dumping signal is a crash, the others a kill */
		if (e->signal)
			dash_set_last(d, e->signal < 32 &&
				      ((1u << e->signal) & DASH_KILL_SIGS) ?
				      "killed" : "crash", ev->comm, ev->tgid,
				      event_signal_name(e->signal));
		break;
	}
	case HMS_EV_OOM: {
		const struct hms_ev_oom *e = (const void *)ev;

		dash_set_last(d, "oom", e->victim_comm, e->victim_tgid, "");
		snprintf(msg, sizeof(msg), "OOM killed %.*s[%u]", HMS_COMM_LEN,
			 e->victim_comm, e->victim_tgid);
		dash_flash(d, msg);
		break;
	}
	case HMS_EV_FAILURE: {
		const struct hms_ev_failure *e = (const void *)ev;
		char what[80];

		snprintf(what, sizeof(what), "%.*s %.*s", HMS_NAME_LEN,
			 e->failure, HMS_NAME_LEN, e->component);
		dash_set_last(d, what, ev->comm, ev->tgid, e->signal ?
			      event_signal_name(e->signal) : "");
		break;
	}
	case HMS_EV_COMPONENT_STATE:
		dash_component(d, (const void *)ev);
		break;
	case HMS_EV_ALERT: {
		const struct hms_ev_alert *e = (const void *)ev;

		if (e->severity >= 2) {
			snprintf(msg, sizeof(msg), "%.*s: %.*s", HMS_NAME_LEN,
				 e->component, HMS_TEXT_LEN, e->message);
			dash_flash(d, msg);
		}
		break;
	}
	}
}

int dash_status_start(struct hms_dashboard *d, struct hms_bus *bus)
{
	uint64_t ns = DASH_STATUS_MS * 1000000ull;
	int err;

	err = loop_timer_new(d->loop, dash_on_timer, d, &d->timer);
	if (!err)
		err = loop_timer_arm(d->timer, ns, ns);
	if (!err)
		err = bus_subscribe(bus, BUS_ALL, dash_on_event, d);
	if (err)
		return err;
	d->bus = bus;
	return 0;
}

/* The session is there: its first summary. */
void dash_status_first(struct hms_dashboard *d)
{
	dash_update(d);
}

void dash_status_stop(struct hms_dashboard *d)
{
	if (d->bus)
		bus_unsubscribe(d->bus, BUS_ALL, dash_on_event, d);
	d->bus = NULL;
	loop_timer_free(d->timer);
	d->timer = NULL;
}

const char *dashboard_status(const struct hms_dashboard *d)
{
	return d->status;
}

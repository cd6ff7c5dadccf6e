// SPDX-License-Identifier: BSD-2-Clause
/*
 * log_events.c - one log line per derived event (log_events.h), so that an
 * operator reads in the log (or `journalctl HMS_COMPONENT=api`) what
 * failed, which strategy was chosen and why, what ran and what came of it,
 * without --json.  Every string that came from outside (comm, reasons,
 * hook output, alert text) is escaped with hms_sanitize first.  Action and
 * state lines name the failure and strategy of the recovery in progress,
 * remembered per component from the failure and strategy events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "config.h"
#include "hms_names.h"
#include "hms_sanitize.h"
#include "log.h"
#include "log_events.h"
#include "log_limit.h"
#include "loop.h"

#define LE_BURST	100		/* lines per type and interval */
#define LE_MAX_COMPS	4096		/* recoveries remembered */
#define LE_NAME		(HMS_NAME_LEN * 4)	/* sanitized: \xNN each */
#define LE_TEXT		(HMS_TEXT_LEN * 4)

static const int le_types[] = {
	HMS_EV_FAILURE, HMS_EV_STRATEGY, HMS_EV_ACTION, HMS_EV_OUTCOME,
	HMS_EV_COMPONENT_STATE, HMS_EV_ALERT,
};
#define LE_NTYPES	(sizeof(le_types) / sizeof(le_types[0]))

/* the recovery in progress of one component */
struct le_comp {
	char name[HMS_NAME_LEN];
	char failure[HMS_NAME_LEN];
	char strategy[HMS_NAME_LEN];
};

struct log_events {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_timer *flush;	/* armed while lines are suppressed */
	/* per type; the last one: failures of watched processes that are
	 * no component (watch.all), so that their storm cannot hide ours */
	struct log_limit limit[LE_NTYPES + 1];
	struct le_comp *comps;
	size_t n_comps, cap_comps;
};

/* The component's memory, created when create is set and there is room. */
static struct le_comp *le_comp(struct log_events *le, const char *name,
			       int create)
{
	struct le_comp *c;

	if (!name[0])
		return NULL;
	for (size_t i = 0; i < le->n_comps; i++)
		if (!strncmp(le->comps[i].name, name, HMS_NAME_LEN))
			return &le->comps[i];
	if (!create || le->n_comps == LE_MAX_COMPS)
		return NULL;
	if (le->n_comps == le->cap_comps) {
		size_t cap = le->cap_comps ? le->cap_comps * 2 : 16;

		c = realloc(le->comps, cap * sizeof(*c));
		if (!c)
			return NULL;
		le->comps = c;
		le->cap_comps = cap;
	}
	c = &le->comps[le->n_comps++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%.*s", HMS_NAME_LEN - 1, name);
	return c;
}

/* Escape a fixed-size field of an event (maybe not NUL-terminated). */
static const char *le_esc(const char *in, size_t max, char *out, size_t len)
{
	sanitize_text(in, strnlen(in, max), out, len);
	return out;
}
#define LE_ESC(field, buf)	le_esc((field), sizeof(field), (buf), sizeof(buf))

/* Rate limit; 1 when the line may be written. */
static int le_limit_ok(struct log_events *le, size_t slot)
{
	uint64_t now = loop_now_ns();

	if (log_limit_ok(&le->limit[slot], now))
		return 1;
	if (le->flush && !loop_timer_armed(le->flush))
		loop_timer_arm(le->flush, LOG_LIMIT_INTERVAL_NS + 1000000, 0);
	return 0;
}

static void le_on_flush(struct hms_timer *t, void *arg)
{
	struct log_events *le = arg;
	uint64_t now = loop_now_ns();
	int again = 0;

	(void)t;
	for (size_t i = 0; i <= LE_NTYPES; i++) {
		log_limit_flush(&le->limit[i], now);
		again |= le->limit[i].suppressed != 0;
	}
	if (again)
		loop_timer_arm(le->flush, LOG_LIMIT_INTERVAL_NS, 0);
}

static void le_failure(struct log_events *le, const struct hms_ev_failure *f)
{
	char comp[LE_NAME], fc[LE_NAME], comm[HMS_COMM_LEN * 4],
	     cause[LE_TEXT], scomm[HMS_COMM_LEN * 4], pid[16], sender[96] = "";
	struct le_comp *c = le_comp(le, f->component, 1);

	if (!le_limit_ok(le, f->component[0] ? 0 : LE_NTYPES))
		return;
	LE_ESC(f->component, comp);
	LE_ESC(f->failure, fc);
	LE_ESC(f->hdr.comm, comm);
	LE_ESC(f->cause, cause);
	snprintf(pid, sizeof(pid), "%u", f->hdr.tgid);
	if (f->sender_tgid)
		snprintf(sender, sizeof(sender), ", sent by pid %u (%s)",
			 f->sender_tgid, LE_ESC(f->sender_comm, scomm));
	if (c) {
		snprintf(c->failure, sizeof(c->failure), "%s", f->failure);
		c->strategy[0] = '\0';
	}
	const struct log_field fl[] = {
		{ "HMS_EVENT", "failure" }, { "HMS_COMPONENT", comp },
		{ "HMS_FAILURE", fc }, { "HMS_PID", pid }, { "HMS_COMM", comm },
		{ "HMS_CAUSE", cause },
	};
	if (comp[0])
		log_fields(HMS_LOG_WARNING, fl, 6, "%s: failure %s: %s, pid %u "
			   "(%s)%s%s", comp, fc, cause[0] ? cause : "-",
			   f->hdr.tgid, comm, sender,
			   f->core_dumped ? ", core dumped" : "");
	else if (!f->hdr.tgid)	/* host: {pressure: ...} (healer_host.c) */
		log_fields(HMS_LOG_WARNING, fl, 6, "%s: failure %s: %s",
			   CONFIG_HOST_COMPONENT, fc, cause[0] ? cause : "-");
	else
		log_fields(HMS_LOG_WARNING, fl, 6, "process %s (pid %u): "
			   "failure %s: %s%s%s (watch.all)", comm, f->hdr.tgid,
			   fc, cause[0] ? cause : "-", sender,
			   f->core_dumped ? ", core dumped" : "");
}

static void le_strategy(struct log_events *le, const struct hms_ev_strategy *s)
{
	char comp[LE_NAME], fc[LE_NAME], st[LE_NAME], extra[64] = "",
	     cands[HMS_EXPLAIN_MAX * 160] = "", *p = cands;
	struct le_comp *c = le_comp(le, s->component, 1);
	size_t n = s->n_explained < HMS_EXPLAIN_MAX ? s->n_explained
						    : HMS_EXPLAIN_MAX;

	if (c) {
		snprintf(c->failure, sizeof(c->failure), "%s", s->failure);
		snprintf(c->strategy, sizeof(c->strategy), "%s", s->strategy);
	}
	if (!le_limit_ok(le, 1))
		return;
	LE_ESC(s->component, comp);
	LE_ESC(s->failure, fc);
	LE_ESC(s->strategy, st);
	if (s->factor > 0)
		snprintf(extra, sizeof(extra), ", memory x%.2f", s->factor);
	const struct log_field fl[] = {
		{ "HMS_EVENT", "strategy" }, { "HMS_COMPONENT", comp },
		{ "HMS_FAILURE", fc }, { "HMS_STRATEGY", st },
		{ "HMS_REASON", hms_choice_reason_name(s->reason) },
	};
	log_fields(HMS_LOG_NOTICE, fl, 5, "%s: failure %s: strategy %s chosen "
		   "(%s, %u candidate%s, evidence %.1f ok / %.1f failed, "
		   "delay %.0f ms%s%s)", comp, fc, st,
		   hms_choice_reason_name(s->reason), s->candidates,
		   s->candidates == 1 ? "" : "s", s->successes, s->failures,
		   s->delay_ms, extra,
		   s->param_trial ? ", parameter on trial" : "");
	if (log_get_level() < HMS_LOG_DEBUG || !n)
		return;
	for (size_t i = 0; i < n; i++) {
		char name[LE_NAME];
		int w = snprintf(p, sizeof(cands) - (size_t)(p - cands),
				 "%s%s mean %.2f [%.2f, %.2f] chosen %.0f %%",
				 i ? "; " : "", LE_ESC(s->cand[i].strategy, name),
				 s->cand[i].mean, s->cand[i].lo90,
				 s->cand[i].hi90, s->cand[i].p_choose * 100);

		if (w < 0 || (size_t)w >= sizeof(cands) - (size_t)(p - cands))
			break;
		p += w;
	}
	log_fields(HMS_LOG_DEBUG, fl, 5, "%s: failure %s: candidates: %s",
		   comp, fc, cands);
}

static void le_action(struct log_events *le, const struct hms_ev_action *a)
{
	char comp[LE_NAME], st[LE_NAME], fc[LE_NAME] = "", detail[LE_TEXT],
	     pid[16] = "", res[64], head[3 * LE_NAME + 32];
	struct le_comp *c = le_comp(le, a->component, 0);
	const char *kind = hms_action_kind_name(a->kind);
	const char *phase = hms_action_phase_name(a->phase);
	int level = HMS_LOG_INFO;

	if (!le_limit_ok(le, 2))
		return;
	LE_ESC(a->component, comp);
	LE_ESC(a->strategy, st);
	LE_ESC(a->detail, detail);
	if (c && a->strategy[0])
		LE_ESC(c->failure, fc);
	if (a->hdr.tgid)
		snprintf(pid, sizeof(pid), "%u", a->hdr.tgid);
	if (a->phase == ACTION_PHASE_SKIPPED)
		snprintf(res, sizeof(res), "skipped (dry run)");
	else if (a->phase == ACTION_PHASE_STARTED)
		snprintf(res, sizeof(res), "started");
	else if (!a->result)
		snprintf(res, sizeof(res), "finished: ok");
	else
		snprintf(res, sizeof(res), "finished: failed: %s",
			 strerror(-a->result));
	if (a->phase == ACTION_PHASE_FINISHED && a->result)
		level = HMS_LOG_WARNING;
	else if (a->phase == ACTION_PHASE_SKIPPED)
		level = HMS_LOG_NOTICE;
	if (fc[0] && st[0])
		snprintf(head, sizeof(head), "failure %s: strategy %s: ", fc,
			 st);
	else if (st[0])
		snprintf(head, sizeof(head), "strategy %s: ", st);
	else
		head[0] = '\0';
	const struct log_field fl[] = {
		{ "HMS_EVENT", "action" }, { "HMS_COMPONENT", comp },
		{ "HMS_FAILURE", fc }, { "HMS_STRATEGY", st },
		{ "HMS_ACTION", kind }, { "HMS_ACTION_PHASE", phase },
		{ "HMS_ACTION_RESULT", a->phase != ACTION_PHASE_FINISHED ? "" :
				       a->result ? "failed" : "ok" },
		{ "HMS_PID", pid },
	};
	log_fields(level, fl, 8, "%s: %saction %s %s%s%s%s%s", comp, head, kind,
		   res, pid[0] ? ", pid " : "", pid, detail[0] ? ": " : "",
		   detail);
}

static void le_outcome(struct log_events *le, const struct hms_ev_outcome *o)
{
	char comp[LE_NAME], fc[LE_NAME], st[LE_NAME], why[LE_TEXT], ms[24];
	struct le_comp *c = le_comp(le, o->component, 0);
	const char *result = hms_outcome_result_name(o->result);
	int level = o->result == HMS_OUTCOME_FAILURE ? HMS_LOG_WARNING
						     : HMS_LOG_NOTICE;

	if (c)			/* this recovery is over */
		c->failure[0] = c->strategy[0] = '\0';
	if (!le_limit_ok(le, 3))
		return;
	LE_ESC(o->component, comp);
	LE_ESC(o->failure, fc);
	LE_ESC(o->strategy, st);
	LE_ESC(o->reason, why);
	snprintf(ms, sizeof(ms), "%llu",
		 (unsigned long long)(o->recover_ns / 1000000));
	const struct log_field fl[] = {
		{ "HMS_EVENT", "outcome" }, { "HMS_COMPONENT", comp },
		{ "HMS_FAILURE", fc }, { "HMS_STRATEGY", st },
		{ "HMS_OUTCOME", result },
		{ "HMS_RECOVER_MS", o->result == HMS_OUTCOME_SUCCESS ? ms : "" },
	};
	if (o->result == HMS_OUTCOME_SUCCESS)
		log_fields(level, fl, 6, "%s: failure %s: strategy %s: result "
			   "%s, recovered in %s ms%s%s", comp, fc, st, result,
			   ms, why[0] ? ": " : "", why);
	else
		log_fields(level, fl, 6, "%s: failure %s: strategy %s: result "
			   "%s%s%s", comp, fc, st, result, why[0] ? ": " : "",
			   why);
}

static void le_state(struct log_events *le, const struct hms_ev_component *s)
{
	char comp[LE_NAME], why[LE_TEXT], fc[LE_NAME] = "", st[LE_NAME] = "",
	     pid[16] = "";
	struct le_comp *c = le_comp(le, s->component, 0);
	int level = s->new_state == HEALER_GAVE_UP ? HMS_LOG_ERROR :
		    s->new_state == HEALER_FAILED ? HMS_LOG_WARNING :
		    HMS_LOG_INFO;

	if (!le_limit_ok(le, 4))
		return;
	LE_ESC(s->component, comp);
	LE_ESC(s->reason, why);		/* "old -> new: why" */
	if (c) {
		LE_ESC(c->failure, fc);
		LE_ESC(c->strategy, st);
	}
	if (s->hdr.tgid)
		snprintf(pid, sizeof(pid), "%u", s->hdr.tgid);
	const struct log_field fl[] = {
		{ "HMS_EVENT", "component_state" }, { "HMS_COMPONENT", comp },
		{ "HMS_STATE", hms_state_name(s->new_state) },
		{ "HMS_OLD_STATE", hms_state_name(s->old_state) },
		{ "HMS_FAILURE", fc }, { "HMS_STRATEGY", st },
		{ "HMS_PID", pid },
	};
	log_fields(level, fl, 7, "%s: state %s (restarts %u)", comp, why,
		   s->restarts);
}

static void le_alert(struct log_events *le, const struct hms_ev_alert *a)
{
	char comp[LE_NAME], msg[LE_TEXT], fc[LE_NAME] = "", st[LE_NAME] = "";
	struct le_comp *c = le_comp(le, a->component, 0);
	int level = a->severity == ALERT_CRITICAL ? HMS_LOG_ERROR :
		    a->severity == ALERT_WARNING ? HMS_LOG_WARNING :
		    HMS_LOG_NOTICE;

	if (!le_limit_ok(le, 5))
		return;
	LE_ESC(a->component, comp);
	LE_ESC(a->message, msg);
	if (c) {
		LE_ESC(c->failure, fc);
		LE_ESC(c->strategy, st);
	}
	const struct log_field fl[] = {
		{ "HMS_EVENT", "alert" }, { "HMS_COMPONENT", comp },
		{ "HMS_ALERT_SEVERITY", hms_severity_name(a->severity) },
		{ "HMS_FAILURE", fc }, { "HMS_STRATEGY", st },
	};
	log_fields(level, fl, 5, "%s: alert %s: %s", comp,
		   hms_severity_name(a->severity), msg);
}

void log_events_write(struct log_events *le, const struct hms_event_hdr *ev)
{
	switch (ev->type) {
	case HMS_EV_FAILURE:
		if (ev->size >= sizeof(struct hms_ev_failure))
			le_failure(le, (const void *)ev);
		break;
	case HMS_EV_STRATEGY:
		if (ev->size >= sizeof(struct hms_ev_strategy))
			le_strategy(le, (const void *)ev);
		break;
	case HMS_EV_ACTION:
		if (ev->size >= sizeof(struct hms_ev_action))
			le_action(le, (const void *)ev);
		break;
	case HMS_EV_OUTCOME:
		if (ev->size >= sizeof(struct hms_ev_outcome))
			le_outcome(le, (const void *)ev);
		break;
	case HMS_EV_COMPONENT_STATE:
		if (ev->size >= sizeof(struct hms_ev_component))
			le_state(le, (const void *)ev);
		break;
	case HMS_EV_ALERT:
		if (ev->size >= sizeof(struct hms_ev_alert))
			le_alert(le, (const void *)ev);
		break;
	}
}

static void le_on_event(const struct hms_event_hdr *ev, void *arg)
{
	log_events_write(arg, ev);
}

int log_events_new(struct hms_loop *loop, struct hms_bus *bus,
		   struct log_events **out)
{
	static const char *const what[LE_NTYPES + 1] = {
		"log: failure lines", "log: strategy lines",
		"log: action lines", "log: outcome lines",
		"log: state lines", "log: alert lines",
		"log: failure lines of watched processes",
	};
	struct log_events *le = calloc(1, sizeof(*le));
	size_t i;
	int err = 0;

	if (!le)
		return -ENOMEM;
	le->loop = loop;
	le->bus = bus;
	for (i = 0; i <= LE_NTYPES; i++)
		log_limit_init(&le->limit[i], what[i], LE_BURST,
			       LOG_LIMIT_INTERVAL_NS);
	if (loop)
		err = loop_timer_new(loop, le_on_flush, le, &le->flush);
	for (i = 0; !err && bus && i < LE_NTYPES; i++)
		err = bus_subscribe(bus, le_types[i], le_on_event, le);
	if (err) {
		log_events_free(le);
		return err;
	}
	*out = le;
	return 0;
}

void log_events_free(struct log_events *le)
{
	if (!le)
		return;
	for (size_t i = 0; le->bus && i < LE_NTYPES; i++)
		bus_unsubscribe(le->bus, le_types[i], le_on_event, le);
	loop_timer_free(le->flush);
	free(le->comps);
	free(le);
}

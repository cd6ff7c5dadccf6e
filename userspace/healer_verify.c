// SPDX-License-Identifier: BSD-2-Clause
/* healer_verify.c - outcomes on evidence only.  After a chain the
 * verification window decides: a live process of the component for the
 * whole window (every class), a passing probe at its end (when one is
 * configured; failed probes while the service starts do not end the
 * window) and, for net and starved, the condition below its
 * threshold over the window.  No evidence is a failure, or `unverified`
 * for a chain that only tells (alert, exec hooks); a chain of alerts alone
 * is never a success, whatever happened meanwhile.  Every outcome event
 * carries its evidence.  The states a condition caused (degraded by net,
 * starved or a failing probe) clear the same way: below threshold for a
 * window, or the probe passing again. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "bus.h"
#include "event.h"
#include "healer_int.h"
#include "log.h"
#include "loop.h"
#include "registry.h"

static uint64_t verify_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t healer_cond_count(const struct hcomp *c, int fc, uint64_t since_ns,
			   uint32_t *threshold)
{
	const uint64_t *ring = NULL;
	size_t n = 0;
	uint32_t count = 0;

	*threshold = 0;
	if (fc == FAIL_NET) {
		ring = c->net_ts;
		n = c->n_net;
		*threshold = c->cc->net_threshold;
	} else if (fc == FAIL_STARVED) {
		ring = c->starve_ts;
		n = c->n_starve;
		*threshold = c->cc->starved_count;
	}
	for (size_t i = 0; i < n; i++)
		if (ring[i] >= since_ns)
			count++;
	return count;
}

/* What a strategy can do: 0 brings processes back or acts on them,
 * 1 only tells (alerts and hooks), 2 only alerts. */
static int verify_tells(const struct hcomp *c)
{
	const struct cfg_strategy *s;
	bool hook = false;

	if (c->strategy < 0)
		return 0;
	s = &c->h->cfg->strategies[c->strategy];
	for (size_t i = 0; i < s->n_actions; i++) {
		if (s->actions[i].kind == ACTION_EXEC)
			hook = true;
		else if (s->actions[i].kind != ACTION_ALERT)
			return 0;
	}
	return hook ? 1 : 2;
}

static uint32_t verify_checks(const struct hcomp *c)
{
	uint32_t k = HMS_CHECK_PROCESS;

	if (c->cc->probe.kind != PROBE_NONE)
		k |= HMS_CHECK_PROBE;
	if (c->fc == FAIL_NET || c->fc == FAIL_STARVED)
		k |= HMS_CHECK_CONDITION;
	return k;
}

/* Fill the evidence part of ev as of now. */
static void verify_eval(struct hcomp *c, struct hms_ev_outcome *ev)
{
	uint64_t now = loop_now_ns(), since;

	ev->window_ns = (uint64_t)c->cc->verify_ms * 1000000ull;
	ev->checks = verify_checks(c);
	for (size_t i = 0; i < c->n_pids; i++) {
		if (!healer_proc_alive(c->pids[i]))
			continue;
		if (ev->n_alive < HMS_OUTCOME_PIDS)
			ev->alive_pids[ev->n_alive] = (uint32_t)c->pids[i];
		ev->n_alive++;
	}
	since = c->alive_since_ns > c->verify_start_ns ? c->alive_since_ns :
		c->verify_start_ns;
	if (c->verifying && ev->n_alive && c->alive_since_ns && now > since)
		ev->alive_ns = now - since;
	if (ev->n_alive && c->alive_since_ns && ev->alive_ns >= ev->window_ns)
		ev->passed |= HMS_CHECK_PROCESS;
	ev->probe_ok = c->probe_ok;
	ev->probe_failed = c->probe_failed;
	if ((ev->checks & HMS_CHECK_PROBE) && c->probe_ok &&
	    c->probe_last == 1)
		ev->passed |= HMS_CHECK_PROBE;
	ev->cond_count = healer_cond_count(c, c->fc, c->verify_start_ns,
					   &ev->cond_threshold);
	if ((ev->checks & HMS_CHECK_CONDITION) &&
	    ev->cond_count < ev->cond_threshold)
		ev->passed |= HMS_CHECK_CONDITION;
}

void healer_outcome(struct hcomp *c, int result, const char *reason)
{
	const struct hms_config *cfg = c->h->cfg;
	struct hms_ev_outcome ev;
	uint64_t now = loop_now_ns();

	memset(&ev, 0, sizeof(ev));
	event_init(&ev.hdr, HMS_EV_OUTCOME, sizeof(ev));
	ev.hdr.tgid = (uint32_t)c->pid;
	snprintf(ev.component, sizeof(ev.component), "%s", c->cc->name);
	snprintf(ev.failure, sizeof(ev.failure), "%s",
		 config_failure_name(c->fc));
	if (c->strategy >= 0)
		snprintf(ev.strategy, sizeof(ev.strategy), "%s",
			 cfg->strategies[c->strategy].name);
	verify_eval(c, &ev);
	ev.result = (uint32_t)result;
	ev.success = result == HMS_OUTCOME_SUCCESS;
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason ? reason : "");
	c->last_success = ev.success;
	ev.recover_ns = now > c->fail_ns ? now - c->fail_ns : 0;
	bus_publish(c->h->bus, &ev.hdr);
	if (c->h->reg && !cfg->daemon.dry_run) {
		struct registry_outcome o = { .time_ns = verify_wall_ns(),
					      .success = ev.success,
					      .recover_ns = ev.recover_ns,
			.unverified = result == HMS_OUTCOME_UNVERIFIED };

		memcpy(o.component, ev.component, sizeof(o.component));
		memcpy(o.failure, ev.failure, sizeof(o.failure));
		memcpy(o.strategy, ev.strategy, sizeof(o.strategy));
		healer_registry_outcome_params(c, &o);
		if (registry_record_outcome(c->h->reg, &o))
			log_warning("registry: outcome of %s not recorded: %s",
				    o.component, registry_last_error(c->h->reg));
	}
}

void healer_verify_begin(struct hcomp *c)
{
	uint64_t now = loop_now_ns();

	c->verifying = true;
	c->verify_start_ns = now;
	c->verify_extended = false;
	c->verify_probed = false;
	c->alive_since_ns = c->n_pids ? now : 0;
	c->probe_ok = c->probe_failed = 0;
	c->probe_last = -1;
	c->probe_fails = 0;
	/* pressure classes: the window covers the action's transient and
	 * one trigger window after it (healer_pressure.c) */
	healer_arm(c, HT_VERIFY, healer_pressure_verify_ms(c));
}

void healer_verify_alive(struct hcomp *c)
{
	uint64_t left;

	if (!c->verifying || c->alive_since_ns)
		return;
	c->alive_since_ns = loop_now_ns();
	/* the window runs from the first live process on (a pressure
	 * window is measured from the action, not from a process) */
	if (c->timer_what == HT_VERIFY && !c->verify_extended &&
	    !healer_pressure_class(c->fc)) {
		left = (uint64_t)c->cc->verify_ms;
		c->verify_extended = true;
		healer_arm(c, HT_VERIFY, left);
	}
}

/* One line for the state change and the outcome. */
static void verify_reason(const struct hcomp *c,
			  const struct hms_ev_outcome *ev, char *buf,
			  size_t len)
{
	size_t o = 0;

#define ADD(...) do { int r_ = snprintf(buf + o, len - o, __VA_ARGS__); \
		      if (r_ > 0 && (size_t)r_ < len - o) o += (size_t)r_; \
		 } while (0)
	if (ev->passed & HMS_CHECK_PROCESS)
		ADD("pid %u alive %.1f s", ev->alive_pids[0],
		    ev->alive_ns / 1e9);
	else if (ev->n_alive)
		ADD("pid %u alive only %.1f of %.1f s", ev->alive_pids[0],
		    ev->alive_ns / 1e9, ev->window_ns / 1e9);
	else
		ADD("no live process");
	if (ev->checks & HMS_CHECK_PROBE && (ev->passed & HMS_CHECK_PROBE))
		ADD(", probe passing (%u ok, %u failed)", ev->probe_ok,
		    ev->probe_failed);
	else if (ev->checks & HMS_CHECK_PROBE)
		ADD(", probe not passing (%u ok, %u failed, last: %s)",
		    ev->probe_ok, ev->probe_failed, c->probe_detail);
	if (ev->checks & HMS_CHECK_CONDITION)
		ADD(", %u %s events (threshold %u)", ev->cond_count,
		    config_failure_name(c->fc), ev->cond_threshold);
#undef ADD
}

/* A pressure class is verified by the pressure itself: no new trigger
 * and the kernel's stall counter below the threshold over the window.
 * A chain that only tells is never a success. */
static void verify_pressure_done(struct hcomp *c)
{
	char why[HMS_TEXT_LEN];
	bool ok = healer_pressure_relieved(c, why, sizeof(why));
	int tells = verify_tells(c), result;

	if (ok)
		result = tells == 2 ? HMS_OUTCOME_UNVERIFIED :
			 HMS_OUTCOME_SUCCESS;
	else
		result = tells ? HMS_OUTCOME_UNVERIFIED : HMS_OUTCOME_FAILURE;
	healer_pressure_outcome(c, ok);
	healer_outcome(c, result, why);
	c->verifying = false;
	c->fc = -1;
	healer_set_state(c, ok ? HEALER_HEALTHY : HEALER_DEGRADED, why);
}

void healer_verify_done(struct hcomp *c)
{
	struct hms_ev_outcome ev;
	char why[HMS_TEXT_LEN];
	int tells, result;
	bool ok;

	if (!c->verifying)
		return;
	if (healer_pressure_class(c->fc)) {
		verify_pressure_done(c);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	verify_eval(c, &ev);
	ok = (ev.passed & ev.checks) == ev.checks;
	if (!ok && !c->verify_probed && ev.n_alive &&
	    (ev.checks & HMS_CHECK_PROBE) && !(ev.passed & HMS_CHECK_PROBE)) {
		/* the window is over and the probe has not passed yet (a
		 * service still starting fails its first probes): one
		 * probe now decides */
		c->verify_probed = true;
		c->probe_last = -1;
		healer_probe_kick(c);
		healer_arm(c, HT_VERIFY, c->cc->probe.timeout_ms + 100);
		return;
	}
	tells = verify_tells(c);
	if (ok)
		result = tells == 2 ? HMS_OUTCOME_UNVERIFIED :
			 HMS_OUTCOME_SUCCESS;
	else
		result = tells ? HMS_OUTCOME_UNVERIFIED : HMS_OUTCOME_FAILURE;
	verify_reason(c, &ev, why, sizeof(why));
	healer_outcome(c, result, why);	/* while the window is open */
	c->verifying = false;
	c->probe_fails = 0;
	c->fc = -1;
	if (ok) {
		char msg[HMS_TEXT_LEN + 16];

		snprintf(msg, sizeof(msg), "%s: %s", result ==
			 HMS_OUTCOME_SUCCESS ? "recovered" : "healthy again",
			 why);
		healer_set_state(c, HEALER_HEALTHY, msg);
		return;
	}
	healer_set_state(c, ev.n_alive ? HEALER_DEGRADED : HEALER_FAILED, why);
	if (ev.n_alive) {
		healer_clear_arm(c);
	} else if (c->cc->match == MATCH_SPAWN && !tells) {
		/* still down: try again, bounded by backoff and budget */
		struct healer_failure f = { .fc = FAIL_MISSING };

		snprintf(f.cause, sizeof(f.cause), "not running after the "
			 "recovery");
		healer_failure(c, &f);
	}
}

void healer_probe_result(struct hcomp *c, int result, const char *detail)
{
	struct healer_failure f = { .fc = FAIL_PROBE };

	c->probe_last = !result;
	/* "http 127.0.0.1:80/x: status 500": the verdict, not the target */
	snprintf(c->probe_detail, sizeof(c->probe_detail), "%s",
		 strstr(detail, ": ") ? strstr(detail, ": ") + 2 : detail);
	if (c->verifying) {
		/* evidence for the window, which decides at its end */
		if (result)
			c->probe_failed++;
		else
			c->probe_ok++;
		return;
	}
	if (!result) {
		c->probe_fails = 0;
		if (c->state == HEALER_DEGRADED && c->last.fc == FAIL_PROBE &&
		    !c->busy && !c->verifying) {
			char why[HMS_TEXT_LEN];

			snprintf(why, sizeof(why), "probe passing again: %s",
				 detail);
			healer_set_state(c, HEALER_HEALTHY, why);
		}
		return;
	}
	if (++c->probe_fails < c->cc->probe.failures || c->busy ||
	    c->stopping)
		return;
	c->probe_fails = 0;
	f.pid = (uint32_t)c->pid;
	memcpy(f.comm, c->comm, HMS_COMM_LEN);
	snprintf(f.cause, sizeof(f.cause), "%s (%u in a row)", detail,
		 c->cc->probe.failures);
	healer_failure(c, &f);
}

static uint32_t clear_window_ms(const struct hcomp *c, int fc)
{
	return fc == FAIL_NET ? c->cc->net_window_ms :
	       c->cc->starved_window_ms;
}

void healer_clear_arm(struct hcomp *c)
{
	int fc = c->last.fc;

	if (c->state != HEALER_DEGRADED || c->busy || c->verifying ||
	    (fc != FAIL_NET && fc != FAIL_STARVED) ||
	    (c->timer_what != HT_NONE && c->timer_what != HT_CLEAR))
		return;
	healer_arm(c, HT_CLEAR, clear_window_ms(c, fc));
}

/* HT_CLEAR: degraded by a condition; healthy again once it stayed below
 * threshold for a whole window. */
void healer_clear_check(struct hcomp *c)
{
	int fc = c->last.fc;
	uint64_t win, now = loop_now_ns();
	uint32_t n, thr;
	char why[HMS_TEXT_LEN];

	if (c->state != HEALER_DEGRADED || c->busy || c->verifying ||
	    (fc != FAIL_NET && fc != FAIL_STARVED))
		return;
	win = (uint64_t)clear_window_ms(c, fc) * 1000000ull;
	n = healer_cond_count(c, fc, now > win ? now - win : 0, &thr);
	if (n >= thr || !c->n_pids) {
		healer_arm(c, HT_CLEAR, clear_window_ms(c, fc));
		return;
	}
	snprintf(why, sizeof(why), "%s cleared: %u events in the last %.1f s "
		 "(threshold %u)", config_failure_name(fc), n, win / 1e9, thr);
	healer_set_state(c, HEALER_HEALTHY, why);
}

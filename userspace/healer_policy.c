// SPDX-License-Identifier: BSD-2-Clause
/* healer_policy.c - what the healer does about a failure and how it is
 * bounded: crash-loop detection, the restart budget (gave_up), strategy
 * choice (the registry when there is one, else the first candidate),
 * exponential backoff with jitter, one recovery at a time per component
 * and a global limit on running ones.  Failures are published on the bus
 * (the incident log stores them); outcomes are in healer_verify.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "bus.h"
#include "event.h"
#include "healer_int.h"
#include "log.h"
#include "loop.h"
#include "registry.h"

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

uint64_t healer_backoff_ms(const struct cfg_backoff *b, uint32_t attempt,
			   uint64_t *rng)
{
	double d = b->initial_ms * pow(b->factor, attempt);
	double j;

	if (d > b->max_ms)
		d = b->max_ms;
	if (b->jitter > 0 && rng) {
		/* uniform in [-jitter, +jitter] of the delay */
		j = (double)(rng_next(rng) >> 11) / (double)(1ull << 53);
		d += d * b->jitter * (2.0 * j - 1.0);
	}
	return d < 0 ? 0 : (uint64_t)(d + 0.5);
}

void healer_ring_push(uint64_t *ring, size_t *n, uint64_t ts)
{
	if (*n == HC_RING) {
		memmove(ring, ring + 1, (HC_RING - 1) * sizeof(*ring));
		(*n)--;
	}
	ring[(*n)++] = ts;
}

size_t healer_window_count(const uint64_t *ring, size_t n, uint64_t now,
			   uint64_t window_ns)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (ring[i] <= now && now - ring[i] < window_ns)
			count++;
	return count;
}

static void publish_failure(struct hcomp *c, const struct healer_failure *f,
			    int fc)
{
	struct hms_ev_failure ev;

	memset(&ev, 0, sizeof(ev));
	event_init(&ev.hdr, HMS_EV_FAILURE, sizeof(ev));
	if (f->ts_ns)
		ev.hdr.ts_ns = f->ts_ns;
	ev.hdr.tgid = f->pid;
	memcpy(ev.hdr.comm, f->comm, HMS_COMM_LEN);
	snprintf(ev.component, sizeof(ev.component), "%s", c->cc->name);
	snprintf(ev.failure, sizeof(ev.failure), "%s", config_failure_name(fc));
	ev.signal = f->signal;
	ev.exit_code = f->exit_code;
	ev.core_dumped = f->core_dumped;
	ev.sender_tgid = f->sender;
	memcpy(ev.sender_comm, f->sender_comm, HMS_COMM_LEN);
	healer_oom_fields(&ev, f);
	snprintf(ev.cause, sizeof(ev.cause), "%s", f->cause);
	/* stored by the incident log (incidents.c), a bus subscriber */
	bus_publish(c->h->bus, &ev.hdr);
}

/* Every candidate's posterior and chance of being chosen, for the event. */
static void explain(struct hcomp *c, int fc, const char *const *names,
		    size_t n, struct hms_ev_strategy *ev)
{
	struct registry_candidate cand[32];

	if (!c->h->reg || registry_explain(c->h->reg, c->cc->name,
					   config_failure_name(fc), names, n,
					   cand))
		return;
	ev->n_explained = n < HMS_EXPLAIN_MAX ? n : HMS_EXPLAIN_MAX;
	for (uint32_t i = 0; i < ev->n_explained; i++) {
		struct hms_ev_candidate *e = &ev->cand[i];

		memcpy(e->strategy, cand[i].strategy, sizeof(e->strategy));
		e->strategy[sizeof(e->strategy) - 1] = 0;
		e->successes = cand[i].successes;
		e->failures = cand[i].failures;
		e->mean = cand[i].mean;
		e->lo90 = cand[i].lo90;
		e->hi90 = cand[i].hi90;
		e->p_choose = cand[i].p_choose;
	}
}

/* Pick among the candidates; publishes HMS_EV_STRATEGY. */
static int choose(struct hcomp *c, int fc)
{
	const struct hms_config *cfg = c->h->cfg;
	const struct cfg_component *cc = c->cc;
	struct registry_choice ch = { .index = 0, .sample = -1,
				      .cold_start = 1,
				      .reason = REGISTRY_REASON_COLD_START };
	const char *names[32];
	size_t n = cc->n_on[fc] < 32 ? cc->n_on[fc] : 32;
	struct hms_ev_strategy ev;
	int idx, pin;

	for (size_t i = 0; i < n; i++)
		names[i] = cfg->strategies[cc->on[fc][i]].name;
	if (c->h->reg && n > 1 &&
	    registry_choose(c->h->reg, cc->name, config_failure_name(fc),
			    names, n, &ch) < 0)
		ch = (struct registry_choice){ .index = 0, .sample = -1,
					       .cold_start = 1 };
	if (n == 1)
		ch.reason = REGISTRY_REASON_ONLY;
	if (ch.index < 0 || (size_t)ch.index >= n)
		ch.index = 0;
	pin = healer_pin_of(c, fc);
	for (size_t i = 0; pin && i < n; i++)	/* the operator's pin */
		if (cc->on[fc][i] == pin - 1) {
			ch.index = (int)i;
			ch.reason = REGISTRY_REASON_OVERRIDE;
		}
	idx = cc->on[fc][ch.index];
	healer_registry_params(c, fc, idx);
	memset(&ev, 0, sizeof(ev));
	event_init(&ev.hdr, HMS_EV_STRATEGY, sizeof(ev));
	ev.hdr.tgid = (uint32_t)c->pid;
	snprintf(ev.component, sizeof(ev.component), "%s", cc->name);
	snprintf(ev.failure, sizeof(ev.failure), "%s", config_failure_name(fc));
	snprintf(ev.strategy, sizeof(ev.strategy), "%s",
		 cfg->strategies[idx].name);
	ev.successes = ch.successes;
	ev.failures = ch.failures;
	ev.sample = ch.sample;
	ev.candidates = (uint32_t)n;
	ev.cold_start = (uint32_t)ch.cold_start;
	ev.reason = (uint32_t)ch.reason;
	ev.delay_ms = c->initial_ms_used;
	ev.factor = c->factor_used;
	ev.param_trial = c->param_trial;
	explain(c, fc, names, n, &ev);
	if (ch.reason == REGISTRY_REASON_OVERRIDE) {	/* chosen for sure */
		ev.sample = -1;
		for (uint32_t i = 0; i < ev.n_explained; i++) {
			ev.cand[i].p_choose = i == (uint32_t)ch.index;
			if (i == (uint32_t)ch.index) {
				ev.successes = ev.cand[i].successes;
				ev.failures = ev.cand[i].failures;
			}
		}
	}
	bus_publish(c->h->bus, &ev.hdr);
	return idx;
}

static bool ending(int fc)
{
	return fc == FAIL_CRASH || fc == FAIL_EXIT || fc == FAIL_OOM ||
	       fc == FAIL_KILLED || fc == FAIL_MISSING || fc == FAIL_CRASH_LOOP;
}

void healer_failure(struct hcomp *c, const struct healer_failure *f)
{
	const struct cfg_component *cc = c->cc;
	uint64_t now = loop_now_ns();
	int fc = f->fc, old = c->state;

	if (fc == FAIL_OOM && f->oom_info.pid)
		c->last_oom = f->oom_info;	/* kept also when gave_up */
	if (old == HEALER_GAVE_UP && !c->verifying) {
		/* one incident for giving up, not one per repeat */
		c->gave_up_repeats++;
		return;
	}
	c->last = *f;
	snprintf(c->last_failure, sizeof(c->last_failure), "%s",
		 config_failure_name(fc));
	snprintf(c->last_cause, sizeof(c->last_cause), "%s", f->cause);
	publish_failure(c, f, fc);
	if (c->verifying) {
		/* the recovery did not hold */
		char why[HMS_TEXT_LEN];

		snprintf(why, sizeof(why), "%.12s in the verification window: %.50s",
			 config_failure_name(fc), f->cause);
		loop_timer_disarm(c->timer);
		c->timer_what = HT_NONE;
		healer_outcome(c, HMS_OUTCOME_FAILURE, why);
		c->verifying = false;
		c->fc = -1;
	}
	healer_ring_push(c->fail_ts, &c->n_fail, now);
	if (ending(fc) && healer_window_count(c->fail_ts, c->n_fail, now,
			(uint64_t)cc->crash_loop_window_ms * 1000000ull) >=
			cc->crash_loop_count) {
		struct healer_failure l = *f;

		l.fc = FAIL_CRASH_LOOP;
		publish_failure(c, &l, FAIL_CRASH_LOOP);
		if (cc->n_on[FAIL_CRASH_LOOP])
			fc = FAIL_CRASH_LOOP;
	}
	if (old == HEALER_GAVE_UP)
		return;		/* until an operator reset or a reload */
	healer_set_state(c, ending(fc) ? HEALER_FAILED : HEALER_DEGRADED,
			 f->cause);
	if (c->busy || c->paused || c->held)
		return;		/* one recovery at a time; none when held */
	if (!cc->n_on[fc]) {
		healer_alert(c, 1, "%s: %s, no strategy configured",
			     config_failure_name(fc), f->cause);
		healer_clear_arm(c);	/* healthy again when it clears */
		return;
	}
	if (healer_window_count(c->recov_ts, c->n_recov, now,
			(uint64_t)cc->budget_interval_ms * 1000000ull) >=
	    cc->budget_max) {
		healer_set_state(c, HEALER_GAVE_UP, "restart budget spent");
		healer_alert(c, 2, "gave up: %u recoveries in %u s, last %s",
			     cc->budget_max, cc->budget_interval_ms / 1000,
			     f->cause);
		return;
	}
	if (old == HEALER_HEALTHY &&
	    now - c->healthy_since_ns >= cc->backoff.reset_after_ms * 1000000ull)
		c->attempt = 0;
	healer_recover(c, fc, f->ts_ns ? f->ts_ns : now, false);
}

/* Choose a strategy for fc and schedule it: after the backoff, or at
 * once (an operator asked). */
void healer_recover(struct hcomp *c, int fc, uint64_t fail_ns, bool now)
{
	struct cfg_backoff backoff = c->cc->backoff;
	uint64_t delay;

	c->strategy = choose(c, fc);
	c->fc = fc;
	c->fail_ns = fail_ns;
	c->busy = true;
	if (c->initial_ms_used)
		backoff.initial_ms = c->initial_ms_used;
	delay = healer_backoff_ms(&backoff, c->attempt++, &c->h->rng);
	healer_arm(c, HT_BACKOFF, now ? 0 : delay);
}

void healer_release_slot(struct hcomp *c)
{
	struct hms_healer *h = c->h;

	if (!c->running)
		return;
	c->running = false;
	h->running--;
	/* hand the slot to the first component waiting for one */
	for (size_t i = 0; i < h->n_comps; i++) {
		if (h->comps[i].queued) {
			h->comps[i].queued = false;
			healer_arm(&h->comps[i], HT_BACKOFF, 0);
			break;
		}
	}
}

void healer_action_event(struct hcomp *c, int kind, uint32_t phase,
			 int result, pid_t pid, const char *detail)
{
	struct hms_ev_action ev;

	memset(&ev, 0, sizeof(ev));
	event_init(&ev.hdr, HMS_EV_ACTION, sizeof(ev));
	ev.hdr.tgid = (uint32_t)pid;
	snprintf(ev.component, sizeof(ev.component), "%s", c->cc->name);
	if (c->strategy >= 0)
		snprintf(ev.strategy, sizeof(ev.strategy), "%s",
			 c->h->cfg->strategies[c->strategy].name);
	ev.kind = (uint32_t)kind;
	ev.phase = phase;
	ev.result = result;
	ev.dry_run = c->h->cfg->daemon.dry_run;
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail ? detail : "");
	healer_pressure_action_note(c, kind, phase, result, detail);
	bus_publish(c->h->bus, &ev.hdr);
}

// SPDX-License-Identifier: BSD-2-Clause
/* healer_probe.c - each component's health probe on its interval: it runs
 * while the component has a live process and no recovery is under way
 * (during verification it runs too: its results are evidence), and its
 * verdicts go to healer_probe_result().  Probes are rebuilt with the
 * component array (start and reload) and keep no pointer into it, only
 * an index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healer_int.h"
#include "loop.h"
#include "probe.h"
#include "log.h"

struct healer_probe {
	struct hms_healer *h;
	size_t idx;
	struct hms_probe *pr;
	struct hms_timer *timer;
};

static void hprobe_done(int result, const char *detail, void *arg)
{
	struct healer_probe *hp = arg;

	if (hp->idx < hp->h->n_comps)
		healer_probe_result(&hp->h->comps[hp->idx], result, detail);
}

static bool hprobe_due(const struct hcomp *c)
{
	return c->n_pids && !c->busy && !c->stopping && !c->paused &&
	       c->state != HEALER_STOPPED && c->state != HEALER_GAVE_UP &&
	       c->state != HEALER_STARTING;
}

static void hprobe_start(struct healer_probe *hp)
{
	struct hcomp *c = &hp->h->comps[hp->idx];
	char what[64];
	int err;

	if (!hprobe_due(c) || probe_running(hp->pr))
		return;
	err = probe_start(hp->pr);
	if (err) {
		char detail[128];

		/* could not even try (no fd, no fork): a failed probe */
		probe_describe(&c->cc->probe, what, sizeof(what));
		snprintf(detail, sizeof(detail), "%s: %s", what,
			 strerror(-err));
		healer_probe_result(c, err, detail);
	}
}

static void hprobe_tick(struct hms_timer *t, void *arg)
{
	(void)t;
	hprobe_start(arg);
}

void healer_probe_kick(struct hcomp *c)
{
	struct hms_healer *h = c->h;
	size_t i = (size_t)(c - h->comps);

	if (i < h->n_probes && h->probes[i].pr)
		hprobe_start(&h->probes[i]);
}

void healer_probes_free(struct hms_healer *h)
{
	for (size_t i = 0; i < h->n_probes; i++) {
		probe_free(h->probes[i].pr);
		loop_timer_free(h->probes[i].timer);
	}
	free(h->probes);
	h->probes = NULL;
	h->n_probes = 0;
}

void healer_probes_sync(struct hms_healer *h)
{
	healer_probes_free(h);
	h->probes = calloc(h->n_comps + 1, sizeof(*h->probes));
	if (!h->probes)
		return;
	h->n_probes = h->n_comps;
	for (size_t i = 0; i < h->n_comps; i++) {
		struct healer_probe *hp = &h->probes[i];
		const struct cfg_component *cc = h->comps[i].cc;
		struct actions_spawn_opts o = {
			.env = cc->env, .user = cc->user, .group = cc->group,
			.cwd = cc->cwd,
		};
		uint64_t iv = (uint64_t)cc->probe.interval_ms * 1000000ull;

		hp->h = h;
		hp->idx = i;
		if (cc->probe.kind == PROBE_NONE)
			continue;
		if (probe_new(h->loop, h->actions, &cc->probe, &o, hprobe_done,
			      hp, &hp->pr) ||
		    loop_timer_new(h->loop, hprobe_tick, hp, &hp->timer) ||
		    loop_timer_arm(hp->timer, iv, iv)) {
			log_warning("%s: probe not started",
				    cc->name);
			probe_free(hp->pr);
			loop_timer_free(hp->timer);
			hp->pr = NULL;
			hp->timer = NULL;
		}
		healer_plugin_probe(h, i, hp->pr);
	}
}

// SPDX-License-Identifier: BSD-2-Clause
/* choose.c - the choice the healer asks for before it acts, and its
 * explanation.  One decision function (reg_decide) is used both for the
 * real choice and, run many times on a private random stream, for the
 * probability of each candidate being chosen that strategy_chosen, the
 * dashboard and `hms-registry strategies` show - so what they show is
 * how the healer chooses.  Thompson sampling over Beta posteriors of the
 * decayed evidence; a near-tie goes to the faster recovery only between
 * candidates whose success is statistically indistinguishable; a cold
 * start goes in config order.  The random source is seedable. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "hms_names.h"

/* ---- random source: xoshiro256** seeded by splitmix64 -------------- */

void reg_rng_seed(uint64_t *rng, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		rng[i] = z ^ (z >> 31);
	}
}

void registry_seed(struct hms_registry *reg, uint64_t seed)
{
	reg_rng_seed(reg->rng, seed);
}

static uint64_t reg_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

double reg_uniform(uint64_t *s)	/* in (0, 1) */
{
	uint64_t r = reg_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = reg_rotl(s[3], 45);
	return ((r >> 11) + 0.5) * 0x1.0p-53;
}

static double reg_normal(uint64_t *rng)
{
	double u = reg_uniform(rng), v = reg_uniform(rng);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Marsaglia-Tsang; a >= 1 here since posteriors are Beta(s+1, f+1). */
static double reg_gamma(uint64_t *rng, double a)
{
	double d = a - 1.0 / 3, c = 1.0 / sqrt(9 * d), x, v, u;

	for (;;) {
		do {
			x = reg_normal(rng);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = reg_uniform(rng);
		if (u < 1 - 0.0331 * x * x * x * x ||
		    log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}

double reg_beta(uint64_t *rng, double a, double b)
{
	double x = reg_gamma(rng, a), y = reg_gamma(rng, b);

	return x / (x + y);
}

/* ---- the decision --------------------------------------------------- */

struct reg_cand {
	double s, f, mean, var, med;	/* med: INFINITY when unknown */
	uint64_t seen;			/* outcomes seen, local + fleet */
	uint32_t changes;		/* changes detected on its row */
};

static void reg_cand_fill(struct hms_registry *reg, const struct reg_ev *e,
			  struct reg_cand *c)
{
	double n;

	c->s = c->f = 0;
	c->seen = e ? reg_sat_add64(e->n, e->rn) : 0;
	c->changes = e ? e->changes : 0;
	if (e)
		reg_ev_now(reg, e, &c->s, &c->f);
	n = c->s + c->f;
	c->mean = (c->s + 1) / (n + 2);
	c->var = c->mean * (1 - c->mean) / (n + 3);
	c->med = e && e->nrec ? reg_ev_median(e) : INFINITY;
}

/* Statistically indistinguishable in success: means within
 * REG_INDISTINCT standard deviations of their difference (at one, a
 * faster strategy at 0.8 took ties from one at 0.9 for 2.5 points of
 * picks more than without a speed difference; at half, 0.5). */
static int reg_indistinct(const struct reg_cand *a, const struct reg_cand *b)
{
	return fabs(a->mean - b->mean) <=
	       REG_INDISTINCT * sqrt(a->var + b->var);
}

/* Could a takes a tie from b: indistinguishable and faster. */
static int reg_tie_able(const struct reg_cand *a, const struct reg_cand *b)
{
	return reg_indistinct(a, b) && a->med < b->med;
}

/* P(l's success rate is above i's), normal approximation. */
static double reg_p_above(const struct reg_cand *l, const struct reg_cand *i)
{
	double z = (l->mean - i->mean) / sqrt(l->var + i->var);

	return 0.5 * erfc(-z / M_SQRT2);
}

/* A candidate with thin evidence that is not clearly worse than the
 * leader l: it keeps its own draws even once l is known, so one unlucky
 * start (a 0.90 strategy failing two of its first four tries) does not
 * end its trials, while one clearly worse (0/3 against 0.8) is left.
 * One seen fewer than REG_LOCK_MIN_N times is never clearly worse: with
 * a uniform prior 0/1 against 10/0 already looks 99 % worse, and one
 * unlucky first failure must not end its trials. */
static int reg_contender(const struct reg_cand *c, size_t l, size_t i)
{
	return i != l && c[i].s + c[i].f < REG_THIN_N &&
	       (c[i].seen < REG_LOCK_MIN_N ||
		reg_p_above(&c[l], &c[i]) < REG_BEATEN);
}

/* The candidate with the highest posterior mean, and whether it is
 * known to be the one to choose (normal approximation, candidates
 * independent).  It is known when
 * - it is the best with probability >= 1 - REG_CONFIDENT; or
 * - every candidate not clearly worse (see below) has REG_LOSS_MIN_N
 *   outcomes' worth, it is above each of them with probability
 *   >= REG_LOSS_P, and the expected loss of committing to it -
 *   E[max(0, p_other - p_leader)], the success rate given up if another
 *   one is better after all - is below REG_LOSS_EPS * sqrt(n / 25) for
 *   every other candidate, n the least evidence among the leader and
 *   those candidates; or
 * - the group holds REG_ENOUGH_N outcomes' worth and every candidate not
 *   clearly worse has REG_LOSS_MIN_N (a thinner one would otherwise be
 *   locked out: neither a contender nor ever drawn).
 * The second rule tells a stable world's 0.8 strategy from a 0.5 one at
 * a confidence a few dozen outcomes can give, and never fires on the
 * thin evidence of the first incidents; REG_LOSS_P keeps it from
 * committing between two candidates whose means are a fraction of a
 * standard deviation apart (0.90 vs 0.85 after fifty outcomes each
 * looks like that), which left one of them starved on a lucky or
 * unlucky start.  Those are told apart by evidence on both, until the
 * third rule: after about 300 outcomes' worth more evidence tells little
 * (0.05 apart is 1.4 standard deviations at 180 each) and exploring
 * costs heals, so the healer commits to the one the data favour.  A
 * candidate worse with probability REG_BEATEN (0.2 tried three times
 * against 0.8) needs no minimum: its loss is negligible anyway. */
static size_t reg_leader(const struct reg_cand *c, size_t n, int *known)
{
	size_t i, l = 0;
	double p = 1, pmin = 1, loss = 0, d, sd, z, pi, nmin = INFINITY;
	double tot = 0;
	int thin = 0;

	for (i = 0; i < n; i++) {
		tot += c[i].s + c[i].f;
		if (c[i].mean > c[l].mean)
			l = i;
	}
	for (i = 0; i < n; i++) {
		d = c[l].mean - c[i].mean;
		sd = sqrt(c[l].var + c[i].var);
		z = d / sd;
		pi = reg_p_above(&c[l], &c[i]);
		if (i == l || pi < REG_BEATEN) {	/* not clearly worse */
			nmin = fmin(nmin, c[i].s + c[i].f);
			thin |= c[i].s + c[i].f < REG_LOSS_MIN_N;
		}
		if (i == l)
			continue;
		p *= pi;
		pmin = fmin(pmin, pi);
		loss = fmax(loss, sd * exp(-z * z / 2) / sqrt(2 * M_PI) -
				  d * 0.5 * erfc(z / M_SQRT2));
	}
	*known = p >= 1 - REG_CONFIDENT ||
		 (!thin && (tot >= REG_ENOUGH_N ||
			    (pmin >= REG_LOSS_P &&
			     loss < REG_LOSS_EPS * sqrt(nmin / REG_LOSS_MIN_N))));
	return l;
}

/* Top-two sampling while the leader is not known and the group never
 * saw a change: an undecided choice takes the second-highest draw half
 * of the time, so outcomes are spread over the two candidates in doubt
 * instead of piling on an early leader.  It runs while the group has
 * little evidence (REG_TOP2_N: what tells a 0.5 strategy from a 0.8 one
 * by incident 100), and further, up to REG_TOP2_CLOSE_N, while the two
 * highest means are within REG_TOP2_CLOSE of each other: two close
 * strategies (0.90 vs 0.85) are then told apart on evidence split
 * between them, not on a few outcomes of the one that started badly,
 * while a world whose candidates are far apart is not held back.  After
 * a change it is off: it would keep trying the strategy that broke. */
static int reg_top2(const struct reg_cand *c, size_t n, size_t l)
{
	double tot = 0;
	size_t i, b = n;

	for (i = 0; i < n; i++) {
		if (c[i].changes)
			return 0;
		tot += c[i].s + c[i].f;
		if (i != l && (b == n || c[i].mean > c[b].mean))
			b = i;
	}
	return tot < REG_TOP2_N ||
	       (b < n && tot < REG_TOP2_CLOSE_N &&
		c[l].mean - c[b].mean < REG_TOP2_CLOSE);
}

/* What depends on the evidence alone, not on the draws: worked out once
 * per choice (and once for the REG_PROB_DRAWS decisions behind a
 * probability of choice), not once per decision. */
struct reg_plan {
	size_t leader;	/* highest posterior mean */
	int known;	/* reg_leader: the leader is the one to choose */
	int top2;	/* undecided, and top-two sampling applies */
};

static void reg_plan(const struct reg_cand *c, size_t n, struct reg_plan *pl)
{
	pl->leader = reg_leader(c, n, &pl->known);
	pl->top2 = !pl->known && reg_top2(c, n, pl->leader);
}

/* The known leader's decision: its mean counts as its draw; a contender
 * draws freely, and a candidate that could take a tie from it draws up
 * to its mean.  Returns the highest. */
static size_t reg_draw_known(uint64_t *rng, const struct reg_cand *c,
			     size_t n, size_t l, double *sample)
{
	size_t i, w = l;

	for (i = 0; i < n; i++) {
		if (i == l)
			sample[i] = c[i].mean;
		else if (reg_contender(c, l, i))
			sample[i] = reg_beta(rng, c[i].s + 1, c[i].f + 1);
		else if (reg_tie_able(&c[i], &c[l]))
			sample[i] = fmin(reg_beta(rng, c[i].s + 1, c[i].f + 1),
					 c[l].mean);
		else
			sample[i] = 0;
		if (sample[i] > sample[w])
			w = i;
	}
	return w;
}

/* One decision; sample[] receives the draws.  While the leader is not
 * yet known (pl->known), a Thompson draw decides (exploration in
 * proportion to doubt; top-two while pl->top2); once it is, the leader
 * is chosen unless a contender's draw beats it.  A near-tie among
 * indistinguishable candidates goes to the faster recovery, except for
 * a top-two try, which is a try and not a preference. */
static int reg_decide(uint64_t *rng, const struct reg_cand *c, size_t n,
		      const struct reg_plan *pl, double *sample, int *reason)
{
	size_t i, w = 0, w2 = n;
	int pick;

	*reason = REGISTRY_REASON_SAMPLED;
	if (pl->known) {
		w = reg_draw_known(rng, c, n, pl->leader, sample);
	} else {
		for (i = 0; i < n; i++) {
			sample[i] = reg_beta(rng, c[i].s + 1, c[i].f + 1);
			if (sample[i] > sample[w])
				w = i;
		}
		for (i = 0; i < n; i++)
			if (i != w && (w2 == n || sample[i] > sample[w2]))
				w2 = i;
		if (w2 < n && pl->top2 && reg_uniform(rng) >= 0.5)
			return w2;
	}
	pick = w;
	for (i = 0; i < n; i++) {
		if (i == w || sample[i] < sample[w] - REGISTRY_TIE_EPS ||
		    !reg_indistinct(&c[i], &c[w]) || !(c[i].med < c[pick].med))
			continue;
		pick = i;
		*reason = REGISTRY_REASON_TIE_RECOVERY;
	}
	return pick;
}

/* A known leader that no candidate can take from (no contender, no
 * tie): the decision is that leader, whatever the draws. */
static int reg_certain(const struct reg_cand *c, size_t n,
		       const struct reg_plan *pl, int *leader)
{
	size_t i, l = pl->leader;

	if (!pl->known)
		return 0;
	for (i = 0; i < n; i++)
		if (i != l && (reg_contender(c, l, i) ||
			       reg_tie_able(&c[i], &c[l])))
			return 0;
	*leader = l;
	return 1;
}

static int reg_cands(struct hms_registry *reg, const char *component,
		     const char *failure, const char *const *candidates,
		     size_t n, struct reg_cand *c, const struct reg_ev **ev)
{
	size_t i;
	int any = 0;

	if (!registry_name_valid(component) || !registry_failure_valid(failure))
		return reg_fail(reg, -EINVAL, "choose: bad component or failure class");
	if (!candidates || !n || n > REGISTRY_CHOOSE_MAX)
		return reg_fail(reg, -EINVAL, "choose: need 1..%d candidates",
				REGISTRY_CHOOSE_MAX);
	for (i = 0; i < n; i++) {
		if (!registry_name_valid(candidates[i]))
			return reg_fail(reg, -EINVAL, "choose: bad candidate '%s'",
					candidates[i] ? candidates[i] : "(null)");
		ev[i] = reg_ev_find(reg, component, failure, candidates[i]);
		reg_cand_fill(reg, ev[i], &c[i]);
		any |= c[i].s + c[i].f > 1e-6;
	}
	return any;
}

int registry_choose(struct hms_registry *reg, const char *component,
		    const char *failure, const char *const *candidates,
		    size_t n, struct registry_choice *out)
{
	const struct reg_ev *ev[REGISTRY_CHOOSE_MAX];
	struct reg_cand c[REGISTRY_CHOOSE_MAX];
	double sample[REGISTRY_CHOOSE_MAX];
	struct reg_plan pl;
	int any, pick, reason;

	any = reg_cands(reg, component, failure, candidates, n, c, ev);
	if (any < 0)
		return any;
	memset(out, 0, sizeof(*out));
	if (!any) {
		out->sample = -1;
		out->cold_start = 1;
		out->median_recover_ms = -1;
		out->reason = REGISTRY_REASON_COLD_START;
		return 0;
	}
	reg_plan(c, n, &pl);
	pick = reg_decide(reg->rng, c, n, &pl, sample, &reason);
	out->index = pick;
	out->successes = c[pick].s;
	out->failures = c[pick].f;
	out->sample = sample[pick];
	out->median_recover_ms = reg_ev_median(ev[pick]);
	out->reason = n == 1 ? REGISTRY_REASON_ONLY : reason;
	return 0;
}

int registry_explain(struct hms_registry *reg, const char *component,
		     const char *failure, const char *const *candidates,
		     size_t n, struct registry_candidate *out)
{
	const struct reg_ev *ev[REGISTRY_CHOOSE_MAX];
	struct reg_cand c[REGISTRY_CHOOSE_MAX];
	double sample[REGISTRY_CHOOSE_MAX], sd;
	struct reg_plan pl;
	const char *key[2] = { component, failure };
	uint64_t rng[4], seed = 0x6a09e667f3bcc909ull;
	int any, reason, k;
	size_t i;

	any = reg_cands(reg, component, failure, candidates, n, c, ev);
	if (any < 0)
		return any;
	for (i = 0; i < 2; i++)
		for (const char *p = key[i]; *p; p++)
			seed = (seed ^ (uint8_t)*p) * 0x100000001b3ull;
	reg_rng_seed(rng, seed);
	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++) {
		snprintf(out[i].strategy, sizeof(out[i].strategy), "%s",
			 candidates[i]);
		out[i].successes = c[i].s;
		out[i].failures = c[i].f;
		out[i].mean = c[i].mean;
		sd = sqrt(c[i].var);
		out[i].lo90 = fmax(0, c[i].mean - 1.645 * sd);
		out[i].hi90 = fmin(1, c[i].mean + 1.645 * sd);
		out[i].median_recover_ms = isinf(c[i].med) ? -1 : c[i].med;
	}
	if (!any) {
		out[0].p_choose = 1;
		return 0;
	}
	reg_plan(c, n, &pl);
	if (reg_certain(c, n, &pl, &k)) {	/* the decision has no randomness */
		out[k].p_choose = 1;
		return 0;
	}
	for (k = 0; k < REG_PROB_DRAWS; k++)
		out[reg_decide(rng, c, n, &pl, sample, &reason)].p_choose +=
			1.0 / REG_PROB_DRAWS;
	return 0;
}

/* The registry's reasons are the ABI's (bpf/hms_event.h), by number. */
_Static_assert((int)REGISTRY_REASON_ONLY == (int)HMS_REASON_ONLY &&
	       (int)REGISTRY_REASON_COLD_START == (int)HMS_REASON_COLD_START,
	       "registry reasons are the event ABI's numbers");
const char *registry_reason_name(int reason)
{
	return reason < 0 ? "unknown" : hms_choice_reason_name((unsigned)reason);
}

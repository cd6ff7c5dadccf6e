/* choose.c - the choice the healer asks for before it acts: Thompson
 * sampling over Beta posteriors of each candidate's decayed evidence, with
 * near-ties going to the faster recovery and a cold start in config order.
 * The random source is seedable so tests are deterministic. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- random source: xoshiro256** seeded by splitmix64 -------------- */

void registry_seed(struct hms_registry *reg, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		reg->rng[i] = z ^ (z >> 31);
	}
}

static uint64_t reg_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static double reg_uniform(struct hms_registry *reg)	/* in (0, 1) */
{
	uint64_t *s = reg->rng, r = reg_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = reg_rotl(s[3], 45);
	return ((r >> 11) + 0.5) * 0x1.0p-53;
}

static double reg_normal(struct hms_registry *reg)
{
	double u = reg_uniform(reg), v = reg_uniform(reg);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Marsaglia-Tsang; a >= 1 here since posteriors are Beta(s+1, f+1). */
static double reg_gamma(struct hms_registry *reg, double a)
{
	double d = a - 1.0 / 3, c = 1.0 / sqrt(9 * d), x, v, u;

	for (;;) {
		do {
			x = reg_normal(reg);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = reg_uniform(reg);
		if (u < 1 - 0.0331 * x * x * x * x ||
		    log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}

static double reg_beta(struct hms_registry *reg, double a, double b)
{
	double x = reg_gamma(reg, a), y = reg_gamma(reg, b);

	return x / (x + y);
}

/* ---- choice -------------------------------------------------------- */

double reg_quantile(const double *v, size_t n, double q)
{
	double tmp[REG_REC_MAX], pos;
	size_t i, j, lo;

	if (!n)
		return -1;
	n = n > REG_REC_MAX ? REG_REC_MAX : n;
	for (i = 0; i < n; i++) {	/* insertion sort: n <= 32 */
		double x = v[i];

		for (j = i; j > 0 && tmp[j - 1] > x; j--)
			tmp[j] = tmp[j - 1];
		tmp[j] = x;
	}
	pos = q * (n - 1);
	lo = (size_t)pos;
	return lo + 1 < n ? tmp[lo] + (pos - lo) * (tmp[lo + 1] - tmp[lo])
			  : tmp[lo];
}

static double reg_ev_median(const struct reg_ev *e)
{
	return e ? reg_quantile(e->rec_ms, e->nrec, 0.5) : -1;
}

#define REG_CHOOSE_MAX	64

int registry_choose(struct hms_registry *reg, const char *component,
		    const char *failure, const char *const *candidates,
		    size_t n, struct registry_choice *out)
{
	const struct reg_ev *ev[REG_CHOOSE_MAX];
	double sample[REG_CHOOSE_MAX], s[REG_CHOOSE_MAX], f[REG_CHOOSE_MAX];
	double best = -1, med, best_med = INFINITY;
	uint64_t now = reg_now(reg);
	size_t i, any = 0;
	int pick = -1;

	if (!registry_name_valid(component) || !registry_failure_valid(failure))
		return reg_fail(reg, -EINVAL, "choose: bad component or failure class");
	if (!n || n > REG_CHOOSE_MAX)
		return reg_fail(reg, -EINVAL, "choose: need 1..%d candidates",
				REG_CHOOSE_MAX);
	for (i = 0; i < n; i++) {
		struct reg_ev tmp;

		if (!registry_name_valid(candidates[i]))
			return reg_fail(reg, -EINVAL, "choose: bad candidate '%s'",
					candidates[i] ? candidates[i] : "(null)");
		ev[i] = reg_ev_find(reg, component, failure, candidates[i]);
		s[i] = f[i] = 0;
		if (ev[i]) {
			tmp = *ev[i];
			reg_ev_decay_to(reg, &tmp, now);
			s[i] = tmp.s;
			f[i] = tmp.f;
			any += ev[i]->n > 0;
		}
	}
	memset(out, 0, sizeof(*out));
	if (!any) {
		out->sample = -1;
		out->cold_start = 1;
		out->median_recover_ms = -1;
		return 0;
	}
	for (i = 0; i < n; i++) {
		sample[i] = reg_beta(reg, s[i] + 1, f[i] + 1);
		best = sample[i] > best ? sample[i] : best;
	}
	/* near-ties go to the faster recovery (unknown = slowest) */
	for (i = 0; i < n; i++) {
		if (sample[i] < best - REGISTRY_TIE_EPS)
			continue;
		med = ev[i] && ev[i]->nrec ? reg_ev_median(ev[i]) : INFINITY;
		if (pick < 0 || med < best_med ||
		    (med == best_med && sample[i] > sample[pick])) {
			pick = i;
			best_med = med;
		}
	}
	out->index = pick;
	out->successes = s[pick];
	out->failures = f[pick];
	out->sample = sample[pick];
	out->median_recover_ms = reg_ev_median(ev[pick]);
	return 0;
}

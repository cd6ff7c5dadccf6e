/* learn.c - what the registry learns: evidence per (component, failure
 * class, strategy) kept in memory and in the evidence family, updated by
 * every verified outcome with exponential time decay, and the Thompson
 * sampling choice over Beta posteriors that the healer asks before it
 * acts.  The random source is seedable so tests are deterministic. */
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

/* ---- evidence table ------------------------------------------------ */

static uint32_t reg_hash(const char *c, const char *f, const char *s)
{
	const char *parts[3] = { c, f, s };
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

struct reg_ev *reg_ev_find(struct hms_registry *reg, const char *component,
			   const char *failure, const char *strategy)
{
	size_t mask = reg->nslots - 1, h;

	if (!reg->nslots)
		return NULL;
	for (h = reg_hash(component, failure, strategy) & mask; reg->slots[h];
	     h = (h + 1) & mask) {
		struct reg_ev *e = &reg->ev[reg->slots[h] - 1];

		if (!strcmp(e->strategy, strategy) &&
		    !strcmp(e->component, component) &&
		    !strcmp(e->failure, failure))
			return e;
	}
	return NULL;
}

static int reg_ev_rehash(struct hms_registry *reg, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	size_t i, h;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < reg->nev; i++) {
		struct reg_ev *e = &reg->ev[i];

		h = reg_hash(e->component, e->failure, e->strategy) & (nslots - 1);
		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = i + 1;
	}
	free(reg->slots);
	reg->slots = slots;
	reg->nslots = nslots;
	return 0;
}

/* Insert a copy of e (not present yet); NULL on ENOMEM.  Pointers from
 * earlier finds are invalid afterwards. */
struct reg_ev *reg_ev_add(struct hms_registry *reg, const struct reg_ev *e)
{
	if (reg->nev == reg->evcap) {
		size_t cap = reg->evcap ? reg->evcap * 2 : 16;
		struct reg_ev *ev = realloc(reg->ev, cap * sizeof(*ev));

		if (!ev)
			return NULL;
		reg->ev = ev;
		reg->evcap = cap;
	}
	reg->ev[reg->nev++] = *e;
	if (reg->nev * 2 > reg->nslots) {
		if (reg_ev_rehash(reg, reg->nslots ? reg->nslots * 2 : 64)) {
			reg->nev--;
			return NULL;
		}
	} else {
		size_t mask = reg->nslots - 1;
		size_t h = reg_hash(e->component, e->failure, e->strategy) & mask;

		while (reg->slots[h])
			h = (h + 1) & mask;
		reg->slots[h] = reg->nev;
	}
	return &reg->ev[reg->nev - 1];
}

void reg_ev_free(struct hms_registry *reg)
{
	free(reg->ev);
	free(reg->slots);
	reg->ev = NULL;
	reg->slots = NULL;
	reg->nev = reg->evcap = reg->nslots = 0;
}

int reg_ev_load(struct hms_registry *reg)
{
	rocksdb_iterator_t *it;
	struct reg_ev e;
	json_t *j;
	size_t len;
	int err = 0;

	if (!reg->cf[CF_EVIDENCE])
		return 0;
	it = rocksdb_create_iterator_cf(reg->db, reg->ro, reg->cf[CF_EVIDENCE]);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it) && !err;
	     rocksdb_iter_next(it)) {
		const char *v = rocksdb_iter_value(it, &len);

		j = json_loadb(v, len, 0, NULL);
		err = reg_ev_from_json(reg, j, &e, "evidence");
		json_decref(j);
		if (!err && !reg_ev_add(reg, &e))
			err = -ENOMEM;
	}
	rocksdb_iter_destroy(it);
	return err;
}

int reg_ev_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
	       const struct reg_ev *e)
{
	char key[128], *val;
	json_t *j = reg_ev_json(e);
	size_t kl = reg_key_evidence(key, sizeof(key), e->component,
				     e->failure, e->strategy);

	val = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(j);
	if (!val)
		return -ENOMEM;
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_EVIDENCE], key, kl, val,
				  strlen(val));
	free(val);
	return 0;
}

/* ---- decay and merging --------------------------------------------- */

static double reg_decay(struct hms_registry *reg, uint64_t dt_ns)
{
	return exp2(-(dt_ns / 1e9) / reg->half_life);
}

void reg_ev_decay_to(struct hms_registry *reg, struct reg_ev *e, uint64_t t)
{
	double k;

	if (t <= e->t_ref)
		return;
	k = reg_decay(reg, t - e->t_ref);
	e->s *= k;
	e->f *= k;
	e->t_ref = t;
}

static void reg_rec_push(struct reg_ev *e, double ms)
{
	if (e->nrec == REG_REC_MAX) {
		memmove(e->rec_ms, e->rec_ms + 1, sizeof(double) * (REG_REC_MAX - 1));
		e->nrec--;
	}
	e->rec_ms[e->nrec++] = ms;
}

static struct reg_tune *reg_tune_get(struct reg_ev *e, const char *name,
				     int is_str)
{
	struct reg_tune *t;
	int i;

	for (i = 0; i < e->ntune; i++)
		if (!strcmp(e->tune[i].name, name))
			return e->tune[i].is_str == is_str ? &e->tune[i] : NULL;
	if (e->ntune == REG_TUNE_KEYS || strlen(name) >= sizeof(t->name))
		return NULL;
	t = &e->tune[e->ntune++];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->is_str = is_str;
	return t;
}

/* Add ok/fail counts for one value, evicting the least-seen when full. */
static void reg_tune_add(struct reg_tune *t, double num, const char *str,
			 double ok, double fail)
{
	struct reg_tune_val *v = NULL;
	int i, least = 0;

	for (i = 0; i < t->nvals && !v; i++)
		if (t->is_str ? !strcmp(t->vals[i].str, str) : t->vals[i].num == num)
			v = &t->vals[i];
	if (!v) {
		if (t->nvals < REG_TUNE_VALS) {
			least = t->nvals++;
		} else {
			for (i = 1; i < t->nvals; i++)
				if (t->vals[i].ok + t->vals[i].fail <
				    t->vals[least].ok + t->vals[least].fail)
					least = i;
		}
		v = &t->vals[least];
		memset(v, 0, sizeof(*v));
		v->num = num;
		if (str)
			snprintf(v->str, sizeof(v->str), "%s", str);
	}
	v->ok += ok;
	v->fail += fail;
}

void reg_ev_merge(struct hms_registry *reg, struct reg_ev *dst,
		  const struct reg_ev *src)
{
	struct reg_ev s = *src;
	int i, j;

	reg_ev_decay_to(reg, dst, s.t_ref);
	reg_ev_decay_to(reg, &s, dst->t_ref);
	dst->s += s.s;
	dst->f += s.f;
	dst->n += s.n;
	for (i = 0; i < s.nrec; i++)
		reg_rec_push(dst, s.rec_ms[i]);
	for (i = 0; i < s.ntune; i++) {
		struct reg_tune *t = reg_tune_get(dst, s.tune[i].name,
						  s.tune[i].is_str);

		for (j = 0; t && j < s.tune[i].nvals; j++)
			reg_tune_add(t, s.tune[i].vals[j].num,
				     s.tune[i].vals[j].str, s.tune[i].vals[j].ok,
				     s.tune[i].vals[j].fail);
	}
}

/* Fold the outcome o (weight w) into e. */
static void reg_ev_learn(struct hms_registry *reg, struct reg_ev *e,
			 const struct registry_outcome *o)
{
	json_t *p = o->params[0] ? json_loads(o->params, 0, NULL) : NULL, *v;
	double w = 1;
	const char *key;

	if (o->time_ns >= e->t_ref)
		reg_ev_decay_to(reg, e, o->time_ns);
	else	/* a late report counts as old evidence */
		w = reg_decay(reg, e->t_ref - o->time_ns);
	if (o->success) {
		e->s += w;
		reg_rec_push(e, o->recover_ns / 1e6);
	} else {
		e->f += w;
	}
	e->n++;
	json_object_foreach(p, key, v) {
		struct reg_tune *t = reg_tune_get(e, key, json_is_string(v));

		if (t && (json_is_number(v) || json_is_string(v)))
			reg_tune_add(t, json_number_value(v),
				     json_string_value(v), o->success,
				     !o->success);
	}
	json_decref(p);
}

int reg_ev_replay(struct hms_registry *reg, const struct registry_outcome *o)
{
	struct reg_ev *e = reg_ev_find(reg, o->component, o->failure,
				       o->strategy), fresh;

	if (!e) {
		memset(&fresh, 0, sizeof(fresh));
		if (reg_copy(fresh.component, sizeof(fresh.component), o->component) ||
		    reg_copy(fresh.failure, sizeof(fresh.failure), o->failure) ||
		    reg_copy(fresh.strategy, sizeof(fresh.strategy), o->strategy))
			return -EINVAL;
		fresh.t_ref = o->time_ns;
		e = reg_ev_add(reg, &fresh);
		if (!e)
			return -ENOMEM;
	}
	reg_ev_learn(reg, e, o);
	return 0;
}

static int reg_outcome_validate(struct hms_registry *reg,
				const struct registry_outcome *o)
{
	struct registry_strategy st;
	struct registry_incident in;

	if (!memchr(o->component, 0, sizeof(o->component)) ||
	    !registry_name_valid(o->component))
		return reg_fail(reg, -EINVAL, "outcome: component is not a valid name");
	if (!memchr(o->failure, 0, sizeof(o->failure)) ||
	    !registry_failure_valid(o->failure))
		return reg_fail(reg, -EINVAL, "outcome: failure: unknown class");
	if (!memchr(o->strategy, 0, sizeof(o->strategy)) ||
	    !registry_name_valid(o->strategy))
		return reg_fail(reg, -EINVAL, "outcome: strategy is not a valid name");
	if (!memchr(o->params, 0, sizeof(o->params)))
		return reg_fail(reg, -EINVAL, "outcome: params not terminated");
	if (!o->time_ns)
		return reg_fail(reg, -EINVAL, "outcome: time_ns is 0");
	if (o->incident_id && registry_get_incident(reg, o->incident_id, &in))
		return reg_fail(reg, -ENOENT, "outcome: incident %llu does not exist",
				(unsigned long long)o->incident_id);
	if (registry_get_strategy(reg, o->strategy, &st))
		memset(&st, 0, sizeof(st));
	return reg_params_validate(reg, o->params, st.bounds, "outcome");
}

int registry_record_outcome(struct hms_registry *reg,
			    const struct registry_outcome *o)
{
	struct reg_ev *cur, e;
	rocksdb_writebatch_t *wb;
	uint8_t key[64];
	size_t kl;
	char *val;
	int err;

	err = reg_outcome_validate(reg, o);
	if (err)
		return err;
	cur = reg_ev_find(reg, o->component, o->failure, o->strategy);
	if (cur) {
		e = *cur;
	} else {
		memset(&e, 0, sizeof(e));
		strcpy(e.component, o->component);
		strcpy(e.failure, o->failure);
		strcpy(e.strategy, o->strategy);
		e.t_ref = o->time_ns;
	}
	reg_ev_learn(reg, &e, o);
	val = reg_outcome_encode(o);
	if (!val)
		return -ENOMEM;
	kl = reg_key_outcome(key, sizeof(key), o->strategy, o->time_ns,
			     o->incident_id, reg->seq++);
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_OUTCOMES], (char *)key, kl,
				  val, strlen(val));
	free(val);
	err = reg_ev_put(reg, wb, &e);
	err = err ?: reg_write(reg, wb);
	rocksdb_writebatch_destroy(wb);
	if (err)
		return err;
	if (cur)
		*cur = e;
	else if (!reg_ev_add(reg, &e))
		return -ENOMEM;
	return 0;
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

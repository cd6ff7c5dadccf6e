/* learn.c - what the registry learns from each verified outcome:
 * evidence per (component, failure class, strategy) updated with
 * exponential time decay, per-value counts of the parameters used (for
 * tuning), and the merge of evidence from another host. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

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

	if (o->unverified)
		return 0;	/* never evidence */
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

/* An unverified outcome: the record alone, no evidence. */
static int reg_outcome_put(struct hms_registry *reg,
			   const struct registry_outcome *o)
{
	rocksdb_writebatch_t *wb;
	uint8_t key[64];
	size_t kl;
	char *val = reg_outcome_encode(o);
	int err;

	if (!val)
		return -ENOMEM;
	kl = reg_key_outcome(key, sizeof(key), o->strategy, o->time_ns,
			     o->incident_id, reg->seq++);
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(wb, reg->cf[CF_OUTCOMES], (char *)key, kl,
				  val, strlen(val));
	free(val);
	err = reg_write(reg, wb);
	rocksdb_writebatch_destroy(wb);
	return err;
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
	if (o->unverified)
		return reg_outcome_put(reg, o);
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

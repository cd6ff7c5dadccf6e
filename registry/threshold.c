// SPDX-License-Identifier: BSD-2-Clause
/* threshold.c - the stall threshold of a PSI trigger, tuned within its
 * bounds from what its alarms turned out to be.
 *
 * An alarm that was false (the pressure went away without any action,
 * or the actions that ran changed nothing, only told) says the threshold
 * is too low for this component: two in a row at the current threshold
 * move it up one step (x1.25), never above the configured bound.  A true
 * alarm (an action that changed something relieved it, or the pressure
 * stayed) keeps it and resets the run.  A missed one (an OOM kill with no
 * pressure failure before it) moves it down one step, never below the
 * configured threshold.  The state is a parameter row of its own
 * (strategy REGISTRY_THRESHOLD_STRATEGY, name "stall_us") stored with the
 * other parameters, on a grid anchored at the configured threshold: a
 * changed threshold or bound starts afresh. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

#define REG_TH_RATIO	1.25
#define REG_TH_NAME	"stall_us"

static double reg_th_value(const struct reg_param *p)
{
	double v = p->anchor * pow(p->ratio, p->answer - p->mid);

	return fmin(p->hi, fmax(p->lo, v));
}

static struct reg_param *reg_th_state(struct hms_registry *reg,
				      const char *component,
				      const char *failure, double lo,
				      double hi)
{
	struct reg_param *p, z;
	int k;

	p = reg_param_find(reg, component, failure,
			   REGISTRY_THRESHOLD_STRATEGY, REG_TH_NAME);
	if (p && !p->is_str && p->anchor == lo && p->lo == lo &&
	    p->hi == hi && p->ratio == REG_TH_RATIO)
		return p;
	memset(&z, 0, sizeof(z));
	if (reg_copy(z.component, sizeof(z.component), component) ||
	    reg_copy(z.failure, sizeof(z.failure), failure) ||
	    reg_copy(z.strategy, sizeof(z.strategy),
		     REGISTRY_THRESHOLD_STRATEGY) ||
	    reg_copy(z.name, sizeof(z.name), REG_TH_NAME))
		return NULL;
	k = (int)floor(log(hi / lo) / log(REG_TH_RATIO) + 1e-9);
	z.anchor = z.lo = lo;
	z.hi = hi;
	z.ratio = REG_TH_RATIO;
	z.mid = 0;
	z.answer = 0;
	/* one more cell when the bound is not on the grid: it is reached */
	z.ncell = 1 + k + (lo * pow(REG_TH_RATIO, k) < hi * (1 - 1e-9));
	if (z.ncell > REG_GRID_MAX)
		z.ncell = REG_GRID_MAX;
	if (p) {	/* configuration changed: learn afresh */
		*p = z;
		return p;
	}
	return reg_param_add(reg, &z);
}

static int reg_th_args(struct hms_registry *reg, const char *component,
		       const char *failure, double lo, double hi)
{
	if (!registry_name_valid(component) ||
	    !registry_failure_valid(failure) || !(lo > 0) || !(hi >= lo) ||
	    !isfinite(hi))
		return reg_fail(reg, -EINVAL, "threshold: bad arguments");
	return 0;
}

int registry_threshold_get(struct hms_registry *reg, const char *component,
			   const char *failure, double lo, double hi,
			   double *value)
{
	const struct reg_param *p;
	int err = reg_th_args(reg, component, failure, lo, hi);

	*value = lo;
	if (err)
		return err;
	p = reg_param_find(reg, component, failure,
			   REGISTRY_THRESHOLD_STRATEGY, REG_TH_NAME);
	if (p && !p->is_str && p->anchor == lo && p->lo == lo &&
	    p->hi == hi && p->ratio == REG_TH_RATIO)
		*value = reg_th_value(p);
	return 0;
}

int registry_threshold_observe(struct hms_registry *reg,
			       const char *component, const char *failure,
			       double lo, double hi, int alarm, double *value)
{
	rocksdb_writebatch_t *wb;
	struct reg_param *p, old;
	int err = reg_th_args(reg, component, failure, lo, hi);

	*value = lo;
	if (err)
		return err;
	if (reg->readonly)
		return reg_fail(reg, -EROFS, "threshold: read-only store");
	p = reg_th_state(reg, component, failure, lo, hi);
	if (!p)
		return reg_fail(reg, -ENOMEM, "threshold: no memory");
	old = *p;
	switch (alarm) {
	case REGISTRY_ALARM_FALSE:
		p->f[p->answer] += 1;
		if (++p->fails_in_row >= 2 && p->answer + 1 < p->ncell) {
			p->answer++;
			p->fails_in_row = 0;
		}
		break;
	case REGISTRY_ALARM_TRUE:
		p->s[p->answer] += 1;
		p->fails_in_row = 0;
		break;
	case REGISTRY_ALARM_MISSED:
		if (p->answer > 0)
			p->answer--;
		p->fails_in_row = 0;
		break;
	default:
		return reg_fail(reg, -EINVAL, "threshold: bad alarm %d", alarm);
	}
	p->n = reg_sat_add64(p->n, 1);
	wb = reg_batch(reg);
	err = reg_param_put(reg, wb, p);
	if (!err)
		err = reg_write(reg, wb);
	reg_batch_free(wb);
	if (err) {
		*p = old;	/* memory and store stay the same */
		return err;
	}
	*value = reg_th_value(p);
	if (reg->fwd) {	/* a copy: the store learns the same */
		struct reg_th_obs ob = { .lo = lo, .hi = hi, .alarm = alarm };

		snprintf(ob.component, sizeof(ob.component), "%s", component);
		snprintf(ob.failure, sizeof(ob.failure), "%s", failure);
		reg->fwd(REGISTRY_OP_THRESHOLD, &ob, sizeof(ob), reg->fwd_arg);
	}
	return 0;
}

/* predict.c - what the healer would most likely pick next, without
 * drawing: the candidate with the highest posterior mean of its decayed
 * evidence.  For displays (the strategies pane marks it); the healer
 * itself asks registry_choose. */
#include <errno.h>
#include "internal.h"

int registry_predict(struct hms_registry *reg, const char *component,
		     const char *failure, const char *const *candidates,
		     size_t n, int *index)
{
	uint64_t now = reg_now(reg);
	double best = -1;

	*index = 0;			/* cold start: config order */
	if (!n)
		return reg_fail(reg, -EINVAL, "predict: no candidates");
	for (size_t i = 0; i < n; i++) {
		const struct reg_ev *e = reg_ev_find(reg, component, failure,
						     candidates[i]);
		struct reg_ev tmp;
		double mean;

		if (!e)
			continue;
		tmp = *e;
		reg_ev_decay_to(reg, &tmp, now);
		mean = (tmp.s + 1) / (tmp.s + tmp.f + 2);
		if (mean > best) {
			best = mean;
			*index = (int)i;
		}
	}
	return 0;
}

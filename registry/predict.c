// SPDX-License-Identifier: BSD-2-Clause
/* predict.c - what the healer would most likely pick next, for displays:
 * the candidate with the highest probability of being chosen, as
 * registry_explain() computes it by running registry_choose()'s own
 * decision (so a display never disagrees with how the healer chooses).
 * The first candidate on cold start. */
#include <errno.h>
#include "internal.h"

int registry_predict(struct hms_registry *reg, const char *component,
		     const char *failure, const char *const *candidates,
		     size_t n, int *index)
{
	struct registry_candidate c[REGISTRY_CHOOSE_MAX];
	int err;

	*index = 0;			/* cold start: config order */
	if (!n || n > REGISTRY_CHOOSE_MAX)
		return reg_fail(reg, -EINVAL, "predict: need 1..%d candidates",
				REGISTRY_CHOOSE_MAX);
	err = registry_explain(reg, component, failure, candidates, n, c);
	if (err)
		return err;
	for (size_t i = 1; i < n; i++)
		if (c[i].p_choose > c[*index].p_choose)
			*index = (int)i;
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* log_limit.c - first lines of an interval, then a count (log_limit.h). */
#include "log_limit.h"

void log_limit_init(struct log_limit *l, const char *what,
		    unsigned int burst, uint64_t interval_ns)
{
	*l = (struct log_limit){ .what = what, .burst = burst,
				 .interval_ns = interval_ns };
}

void log_limit_flush(struct log_limit *l, uint64_t now_ns)
{
	if (!l->start_ns || now_ns - l->start_ns < l->interval_ns)
		return;
	if (l->suppressed)
		log_warning("%s: %llu more suppressed in the last %llu s",
			    l->what, (unsigned long long)l->suppressed,
			    (unsigned long long)((now_ns - l->start_ns) /
						 1000000000ull));
	l->start_ns = 0;
	l->n = 0;
	l->suppressed = 0;
}

int log_limit_ok(struct log_limit *l, uint64_t now_ns)
{
	log_limit_flush(l, now_ns);
	if (!l->start_ns)
		l->start_ns = now_ns ? now_ns : 1;
	if (l->n < l->burst) {
		l->n++;
		return 1;
	}
	l->suppressed++;
	l->suppressed_total++;
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* log_limit.h - rate limit for log lines that anyone can cause (a local
 * user connecting to the dashboard socket again and again): the first
 * `burst` lines of an interval are logged, the rest are counted, and one
 * line "WHAT: N more suppressed in the last S s" says how many when the
 * interval is over (at the next line or the next log_limit_flush, which
 * a periodic timer calls, so the count of a storm that stopped is not
 * lost). */
#ifndef HMS_LOG_LIMIT_H
#define HMS_LOG_LIMIT_H

#include <stdint.h>
#include "log.h"

struct log_limit {
	const char *what;		/* "publisher: refused panes" */
	unsigned int burst;		/* lines per interval */
	uint64_t interval_ns;
	uint64_t start_ns;		/* of this interval, 0 before the first */
	unsigned int n;			/* lines logged in it */
	uint64_t suppressed;		/* lines not logged in it */
	uint64_t suppressed_total;
};

#define LOG_LIMIT_BURST		5
#define LOG_LIMIT_INTERVAL_NS	(10 * 1000000000ull)

void log_limit_init(struct log_limit *l, const char *what,
		    unsigned int burst, uint64_t interval_ns);
/* 1 when one more line may be logged at now_ns (it counts as logged),
 * 0 when it is suppressed (counted). */
int log_limit_ok(struct log_limit *l, uint64_t now_ns);
/* Log the summary of a finished interval with suppressed lines. */
void log_limit_flush(struct log_limit *l, uint64_t now_ns);

#define log_limited(l, now_ns, level, ...)				\
	do {								\
		if (log_limit_ok((l), (now_ns)))			\
			log_msg((level), __VA_ARGS__);			\
	} while (0)

#endif

// SPDX-License-Identifier: BSD-2-Clause
/* log.c - leveled messages to stderr (see log.h).  One write per line, so
 * that lines of a message are not interleaved with a child's output. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"

static int log_level = HMS_LOG_INFO;
static int log_journal = -1;		/* -1: not decided yet */

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

void log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");

	log_journal = js && *js;
}

void log_msg(int level, const char *fmt, ...)
{
	char msg[2048], line[2200], *p, *nl;
	va_list ap;
	int n;

	if (level > log_level)
		return;
	if (log_journal < 0)
		log_init();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* every line of a message gets the prefix */
	for (p = msg; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		if (log_journal)
			n = snprintf(line, sizeof(line), "<%d>%.*s\n", level,
				     (int)(nl - p + (*nl != '\n')), p);
		else
			n = snprintf(line, sizeof(line), "hms-ebpf: %.*s\n",
				     (int)(nl - p + (*nl != '\n')), p);
		if (n >= (int)sizeof(line)) {	/* cut: keep the newline */
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
			return;
		if (!nl[1])
			break;
	}
}

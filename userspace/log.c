// SPDX-License-Identifier: BSD-2-Clause
/* log.c - leveled messages to stderr or the journal (see log.h).  One
 * write per line, so that lines of a message are not interleaved with a
 * child's output. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include "log.h"

#define LOG_MSG_MAX	2048
#define LOG_FIELDS_MAX	16

static int log_level = HMS_LOG_INFO;
static int log_journal_on = -1;		/* -1: not decided yet */

static const char *const log_names[] = {
	[HMS_LOG_ERROR] = "error",
	[HMS_LOG_WARNING] = "warning",
	[HMS_LOG_NOTICE] = "notice",
	[HMS_LOG_INFO] = "info",
	[HMS_LOG_DEBUG] = "debug",
};

static int log_clamp(int level)
{
	if (level < HMS_LOG_ERROR)
		return HMS_LOG_ERROR;
	return level > HMS_LOG_DEBUG ? HMS_LOG_DEBUG : level;
}

void log_set_level(int level)
{
	log_level = log_clamp(level);
}

int log_get_level(void)
{
	return log_level;
}

int log_level_from_name(const char *name)
{
	for (int l = HMS_LOG_ERROR; l <= HMS_LOG_DEBUG; l++)
		if (!strcmp(name, log_names[l]))
			return l;
	return -ENOENT;
}

const char *log_level_name(int level)
{
	return level >= HMS_LOG_ERROR && level <= HMS_LOG_DEBUG ?
	       log_names[level] : "unknown";
}

int log_level_raise(int level, int verbose)
{
	return log_clamp(level + (verbose > 0 ? verbose : 0));
}

/* systemd sets JOURNAL_STREAM=DEV:INO when stdout/stderr are connected
 * to the journal; a child that inherits the variable but whose stderr was
 * redirected must not believe it (systemd.exec(5)). */
void log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int n = 0;

	log_journal_on = js && sscanf(js, "%llu:%llu%n", &dev, &ino, &n) == 2 &&
			 !js[n] && !fstat(STDERR_FILENO, &st) &&
			 (unsigned long long)st.st_dev == dev &&
			 (unsigned long long)st.st_ino == ino;
}

int log_journal(void)
{
	if (log_journal_on < 0)
		log_init();
	return log_journal_on;
}

static void log_write_lines(int level, char *msg)
{
	char line[LOG_MSG_MAX + 152], *p, *nl;
	int n, journal = log_journal();

	/* every line of a message gets the prefix */
	for (p = msg; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		if (journal)
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

void log_msg(int level, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_write_lines(level, msg);
}

/* One journal entry over the native protocol; 0 or -errno. */
static int log_journal_send(int level, const struct log_field *f, size_t n,
			    const char *msg)
{
	char buf[LOG_MSG_MAX + 64 + LOG_FIELDS_MAX * 320], *p = buf;
	struct iovec iov[LOG_FIELDS_MAX + 3];
	size_t left = sizeof(buf), niov = 0;
	int len;

#define LOG_IOV(...)							\
	do {								\
		len = snprintf(p, left, __VA_ARGS__);			\
		if (len < 0 || (size_t)len >= left)			\
			return -ENOBUFS;				\
		iov[niov++] = (struct iovec){ p, (size_t)len };		\
		p += len + 1;						\
		left -= (size_t)len + 1;				\
	} while (0)

	LOG_IOV("MESSAGE=%s", msg);
	LOG_IOV("PRIORITY=%d", level);
	LOG_IOV("SYSLOG_IDENTIFIER=hms-ebpf");
	for (size_t i = 0; i < n && i < LOG_FIELDS_MAX; i++)
		if (f[i].value && f[i].value[0])
			LOG_IOV("%s=%.300s", f[i].name, f[i].value);
#undef LOG_IOV
	return sd_journal_sendv(iov, (int)niov);
}

void log_fields(int level, const struct log_field *f, size_t n,
		const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_journal() && !log_journal_send(level, f, n, msg))
		return;
	log_write_lines(level, msg);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - the daemon's log: one line per message, filtered by level.
 * Levels are the syslog priorities.  Under systemd, when stderr is the
 * journal (JOURNAL_STREAM names stderr's device and inode, as systemd.exec(5)
 * documents), each line starts with "<N>" so the journal records its
 * priority, and structured lines (log_fields) go to the journal's native
 * socket with their HMS_* fields; otherwise lines start with "hms-ebpf: ".
 * Messages carry their module's prefix ("sensors: ...") when they have
 * one; no trailing newline needed. */
#ifndef HMS_LOG_H
#define HMS_LOG_H

#include <stddef.h>

enum log_level {
	HMS_LOG_ERROR	= 3,
	HMS_LOG_WARNING	= 4,
	HMS_LOG_NOTICE	= 5,
	HMS_LOG_INFO	= 6,	/* the default: what the daemon did */
	HMS_LOG_DEBUG	= 7,	/* -v */
};

/* Messages above level are dropped; default HMS_LOG_INFO.  Clamped to
 * error..debug. */
void log_set_level(int level);
int log_get_level(void);
/* "error", "warning", "notice", "info", "debug" <-> level; -ENOENT for
 * an unknown name, "unknown" for an unknown level. */
int log_level_from_name(const char *name);
const char *log_level_name(int level);
/* The level a config's level and a count of -v give: each -v one step
 * more detail, at most debug. */
int log_level_raise(int level, int verbose);

/* Decide once how lines are written (journal or plain); also done on the
 * first message.  Tests may call it again after changing JOURNAL_STREAM
 * or stderr. */
void log_init(void);
/* 1 when stderr is the journal (lines get "<N>", log_fields goes to the
 * journal socket). */
int log_journal(void);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A structured line: the journal gets MESSAGE=, PRIORITY=,
 * SYSLOG_IDENTIFIER=hms-ebpf and every field whose value is not empty
 * (names: upper case, digits and '_', e.g. "HMS_COMPONENT"); stderr gets
 * the message alone, as log_msg writes it (also when the journal socket
 * refuses the entry). */
struct log_field {
	const char *name;
	const char *value;
};
void log_fields(int level, const struct log_field *f, size_t n,
		const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_error(...)		log_msg(HMS_LOG_ERROR, __VA_ARGS__)
#define log_warning(...)	log_msg(HMS_LOG_WARNING, __VA_ARGS__)
#define log_notice(...)		log_msg(HMS_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)		log_msg(HMS_LOG_INFO, __VA_ARGS__)
#define log_debug(...)		log_msg(HMS_LOG_DEBUG, __VA_ARGS__)

#endif

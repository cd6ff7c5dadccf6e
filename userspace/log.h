/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - the daemon's log: one line per message on stderr, filtered by
 * level.  Levels are the syslog priorities; under systemd (JOURNAL_STREAM
 * set) each line starts with "<N>" so the journal records its priority,
 * otherwise with "hms-ebpf: ".  Messages carry their module's prefix
 * ("sensors: ...") when they have one; no trailing newline needed. */
#ifndef HMS_LOG_H
#define HMS_LOG_H

enum log_level {
	HMS_LOG_ERROR	= 3,
	HMS_LOG_WARNING	= 4,
	HMS_LOG_NOTICE	= 5,
	HMS_LOG_INFO	= 6,	/* the default: what the daemon did */
	HMS_LOG_DEBUG	= 7,	/* -v */
};

/* Messages above level are dropped; default HMS_LOG_INFO. */
void log_set_level(int level);
int log_get_level(void);
/* Decide once how lines are written (journal or plain); also done on the
 * first message.  Tests may call it again after changing JOURNAL_STREAM. */
void log_init(void);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...)		log_msg(HMS_LOG_ERROR, __VA_ARGS__)
#define log_warning(...)	log_msg(HMS_LOG_WARNING, __VA_ARGS__)
#define log_notice(...)		log_msg(HMS_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)		log_msg(HMS_LOG_INFO, __VA_ARGS__)
#define log_debug(...)		log_msg(HMS_LOG_DEBUG, __VA_ARGS__)

#endif

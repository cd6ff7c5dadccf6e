// SPDX-License-Identifier: BSD-2-Clause
/* config_text.c - what a configuration file must be before libfyaml sees
 * it: at most CONFIG_MAX_BYTES of strictly valid UTF-8 without NUL bytes.
 * libfyaml loops forever on some invalid input (a '%' directive followed
 * by a byte that is not UTF-8), so nothing else reaches it; the daemon
 * also checks a reloaded file in a child with a time limit (daemon.c). */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config_int.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 with *why
 * set.  Rejects overlong forms, surrogates and code points past U+10FFFF. */
static size_t cfg_utf8_len(const unsigned char *s, size_t n, const char **why)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80) {
		*why = s[0] ? NULL : "NUL byte";
		return s[0] ? 1 : 0;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		*why = "byte that cannot start a UTF-8 sequence";
		return 0;
	}
	if (n < len) {
		*why = "UTF-8 sequence cut short by the end of the file";
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*why = "UTF-8 sequence cut short";
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
		*why = "overlong UTF-8 form";
		return 0;
	}
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		*why = "not a Unicode scalar value (surrogate or past "
		       "U+10FFFF)";
		return 0;
	}
	return len;
}

int cfg_text_check(struct cfg_ctx *c, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	struct cfg_mark m = { .line = 1, .col = 1 };
	const char *why = NULL;
	size_t i = 0, l;

	snprintf(m.path, sizeof(m.path), "(file)");
	if (len > CONFIG_MAX_BYTES) {
		m.line = 0;
		m.col = 0;
		cfg_error_at(c, &m, "%zu bytes: larger than the limit of %u "
			     "bytes", len, CONFIG_MAX_BYTES);
		return -EFBIG;
	}
	while (i < len) {
		l = cfg_utf8_len(s + i, len - i, &why);
		if (!l) {
			cfg_error_at(c, &m, "invalid text: %s (byte 0x%02x): "
				     "the configuration must be UTF-8", why,
				     s[i]);
			return -EILSEQ;
		}
		if (s[i] == '\n') {
			m.line++;
			m.col = 1;
		} else {
			m.col++;
		}
		i += l;
	}
	return 0;
}

/* The whole file (at most CONFIG_MAX_BYTES + 1 bytes read), malloc'd. */
int cfg_text_read(const char *path, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (n == cap || !buf) {
			if (buf)
				cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CONFIG_MAX_BYTES)
			break;		/* the check reports the size */
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void cfg_parse_timeout(int sig)
{
	static const char msg[] = "hms-ebpf: the configuration could not be "
				  "parsed within the time limit: rejected\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(2);
}

void config_parse_deadline(unsigned int seconds)
{
	if (seconds)
		signal(SIGALRM, cfg_parse_timeout);
	alarm(seconds);
	if (!seconds)
		signal(SIGALRM, SIG_DFL);
}

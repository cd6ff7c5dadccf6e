// SPDX-License-Identifier: BSD-2-Clause
/* actions_output.c - where a child's stdout and stderr go: /dev/null, the
 * daemon's stderr (never a terminal: a child could push input into it
 * with TIOCSTI), the journal (one stream per child, tagged with the
 * component's name) or a file the daemon opens as root, append-only,
 * never through a symlink, moved to PATH.1 when it grew too big. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include "actions.h"

#define OUTPUT_MAX_BYTES	(16ull << 20)

static int output_file_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		      O_CLOEXEC | O_NOCTTY, 0640);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int output_file(const struct actions_output *o, int *out)
{
	uint64_t max = o->max_bytes ? o->max_bytes : OUTPUT_MAX_BYTES;
	char old[PATH_MAX];
	struct stat st;
	int fd;

	if (!o->path || o->path[0] != '/')
		return -EINVAL;
	if (o->make_dir) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", o->path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0750) < 0 && errno != EEXIST)
				return -errno;
		}
	}
	fd = output_file_open(o->path);
	if (fd < 0)
		return fd;
	if (!fstat(fd, &st) && (uint64_t)st.st_size > max) {
		close(fd);
		snprintf(old, sizeof(old), "%s.1", o->path);
		if (rename(o->path, old) < 0)
			return -errno;
		fd = output_file_open(o->path);
		if (fd < 0)
			return fd;
	}
	*out = fd;
	return 0;
}

int actions_output_open(const struct actions_output *o, int *fd)
{
	int f;

	*fd = -1;
	switch (o->kind) {
	case ACTIONS_OUT_NULL:
		return 0;
	case ACTIONS_OUT_INHERIT:
		if (isatty(STDERR_FILENO))
			return 0;	/* never the daemon's terminal */
		f = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		if (f < 0)
			return errno == EBADF ? 0 : -errno;
		*fd = f;
		return 0;
	case ACTIONS_OUT_JOURNAL:
		f = sd_journal_stream_fd(o->ident ? o->ident : "hms-ebpf",
					 LOG_INFO, 0);
		if (f < 0)
			return f;
		if (f < 3) {
			int g = fcntl(f, F_DUPFD_CLOEXEC, 3);

			close(f);
			if (g < 0)
				return -errno;
			f = g;
		}
		*fd = f;
		return 0;
	case ACTIONS_OUT_FILE:
		return output_file(o, fd);
	default:
		return -EINVAL;
	}
}

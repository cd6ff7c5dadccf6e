// SPDX-License-Identifier: BSD-2-Clause
/* safedir.c - checks the directory of a file the daemon creates as root
 * (see safedir.h): owner root or us, no write for group or others (a
 * sticky directory above it is fine: nobody can rename what they do not
 * own there), and hands back an fd to it for *at() calls. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "safedir.h"

/* mkdir -p of the directories of path (not the last component). */
static int safedir_mkdirs(const char *path)
{
	char dir[PATH_MAX], *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return 0;
}

/* 0 when st may hold the daemon's files; else the reason in why. */
static int safedir_bad(const struct stat *st, int last, char *why, size_t len)
{
	if (!S_ISDIR(st->st_mode))
		snprintf(why, len, "not a directory");
	else if (st->st_uid != 0 && st->st_uid != geteuid())
		snprintf(why, len, "owned by uid %u, not root",
			 (unsigned)st->st_uid);
	else if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
		 (last || !(st->st_mode & S_ISVTX)))
		snprintf(why, len, "writable by %s (mode %04o)",
			 st->st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned)(st->st_mode & 07777));
	else
		return 0;
	return -EPERM;
}

int safedir_open(const char *path, const char *what, int *dirfd,
		 const char **base)
{
	char dir[PATH_MAX], real[PATH_MAX], why[96], *slash;
	struct stat st;
	int fd = -1, err;

	*dirfd = -1;
	slash = strrchr(path, '/');
	if (!slash || !slash[1] || snprintf(dir, sizeof(dir), "%.*s",
		(int)(slash - path), path) >= (int)sizeof(dir))
		return -EINVAL;
	if (!dir[0])
		strcpy(dir, "/");
	err = safedir_mkdirs(path);
	if (err)
		return err;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !realpath(dir, real)) {
		err = -errno;
		goto cleanup;
	}
	/* the directory itself, then each one above it */
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	err = safedir_bad(&st, 1, why, sizeof(why));
	while (!err && strcmp(real, "/")) {
		slash = strrchr(real, '/');
		slash[slash == real] = '\0';
		if (lstat(real, &st)) {
			err = -errno;
			goto cleanup;
		}
		err = safedir_bad(&st, 0, why, sizeof(why));
	}
	if (err) {
		log_error("refusing the %s %s: directory %s is %s; a local "
			  "user could plant a symlink there and have root "
			  "create its target (use a directory owned by root, "
			  "mode 0755, such as /run/hms-ebpf)",
			  what, path, real, why);
		goto cleanup;
	}
	*dirfd = fd;
	*base = strrchr(path, '/') + 1;
	return 0;
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

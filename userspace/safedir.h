/* SPDX-License-Identifier: BSD-2-Clause */
/* safedir.h - the directory of a file the daemon creates as root at a
 * path from its configuration (the dashboard socket, its lock).  If a
 * user could write that directory, they could plant a symlink under the
 * file's name and have root create, chown or chmod its target; so the
 * directory must be owned by root (or the daemon's own uid) and not
 * writable by group or others, every directory above it likewise (or
 * sticky, as /tmp), and the file is opened relative to it without
 * following a symlink. */
#ifndef HMS_SAFEDIR_H
#define HMS_SAFEDIR_H

/* Create the missing directories of path (mode 0755), check them, and
 * open the last one: *dirfd (close-on-exec) and *base, the file's name
 * in it (a pointer into path).  -EPERM with a message in the log naming
 * the directory and why (what is the file, "socket" or "lock"), -errno
 * otherwise. */
int safedir_open(const char *path, const char *what, int *dirfd,
		 const char **base);

#endif

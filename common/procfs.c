// SPDX-License-Identifier: BSD-2-Clause
/* procfs.c - parsers of /proc/PID files (see procfs.h).  Every program
 * reads /proc through here so that each file has one parser. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"

/* Read up to len-1 bytes of a small /proc file, NUL-terminated; the
 * number of bytes or -errno. */
static ssize_t procfs_slurp(pid_t pid, const char *file, char *buf,
			    size_t len)
{
	char path[64];
	ssize_t n = 0, got = 0;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	err = n < 0 && !got ? -errno : 0;
	close(fd);
	buf[got] = '\0';
	return err ? err : got;
}

int procfs_stat_parse(const char *line, struct procfs_stat *st)
{
	const char *lp = strchr(line, '('), *rp = strrchr(line, ')');
	size_t n;

	memset(st, 0, sizeof(*st));
	if (!lp || !rp || rp < lp || !rp[1] || !rp[2])
		return -EINVAL;
	n = rp - lp - 1;
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, lp + 1, n);
	st->comm[n] = '\0';
	/* after ") ": state(3) ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime(14) stime cutime cstime priority
	 * nice threads itrealvalue starttime(22) */
	if (sscanf(rp + 2, "%c %d %d %d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		   "%*d %*d %*d %*d %*d %*d %llu", &st->state, &st->ppid,
		   &st->pgrp, &st->session, &st->utime, &st->stime,
		   &st->starttime) != 7)
		return -EINVAL;
	return 0;
}

int procfs_stat_read(pid_t pid, struct procfs_stat *st)
{
	char buf[1024];
	ssize_t n = procfs_slurp(pid, "stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return procfs_stat_parse(buf, st);
}

bool procfs_stat_alive(const struct procfs_stat *st)
{
	return st->state && st->state != 'Z' && st->state != 'X' &&
	       st->state != 'x';
}

bool procfs_alive(pid_t pid)
{
	struct procfs_stat st;

	return !procfs_stat_read(pid, &st) && procfs_stat_alive(&st);
}

int procfs_status_parse(const char *text, uid_t *uid, gid_t *gid)
{
	const char *u = strstr(text, "\nUid:"), *g = strstr(text, "\nGid:");
	unsigned long uv, gv;

	if (!u || !g || sscanf(u + 5, "%lu", &uv) != 1 ||
	    sscanf(g + 5, "%lu", &gv) != 1)
		return -EINVAL;
	*uid = (uid_t)uv;
	*gid = (gid_t)gv;
	return 0;
}

int procfs_status_read(pid_t pid, uid_t *uid, gid_t *gid)
{
	char buf[4096];
	ssize_t n = procfs_slurp(pid, "status", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return procfs_status_parse(buf, uid, gid);
}

int procfs_uids_parse(const char *text, uid_t *ruid, uid_t *euid)
{
	const char *u = strstr(text, "\nUid:");
	unsigned long r, e;

	if (!u || sscanf(u + 5, "%lu %lu", &r, &e) != 2)
		return -EINVAL;
	*ruid = (uid_t)r;
	*euid = (uid_t)e;
	return 0;
}

int procfs_uids_read(pid_t pid, uid_t *ruid, uid_t *euid)
{
	char buf[4096];
	ssize_t n = procfs_slurp(pid, "status", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return procfs_uids_parse(buf, ruid, euid);
}

int procfs_cgroup_line(char *line, const char **controllers,
		       const char **path)
{
	char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;

	if (!p)
		return -EINVAL;
	p[strcspn(p, "\n")] = '\0';
	*p++ = '\0';
	*controllers = c + 1;
	*path = p;
	return 0;
}

bool procfs_cgroup_has_controller(const char *controllers, const char *ctrl)
{
	size_t n = strlen(ctrl);
	const char *p = controllers;

	while (n && p && *p) {
		if (!strncmp(p, ctrl, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* Calls cb for every line of /proc/PID/cgroup until it returns non-zero. */
static int procfs_cgroup_each(pid_t pid,
			      int (*cb)(const char *ctrls, const char *path,
					void *arg),
			      void *arg)
{
	char path[64], line[512];
	const char *ctrls, *cg;
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f))
		if (!procfs_cgroup_line(line, &ctrls, &cg))
			err = cb(ctrls, cg, arg);
	fclose(f);
	return err;
}

struct procfs_cg_want {
	const char *ctrl;
	char *v1, *uni;
	size_t v1len, unilen;
};

static int procfs_cg_pick(const char *ctrls, const char *path, void *arg)
{
	struct procfs_cg_want *w = arg;

	if (w->ctrl && w->v1len && procfs_cgroup_has_controller(ctrls, w->ctrl))
		snprintf(w->v1, w->v1len, "%s", path);
	else if (!*ctrls && w->unilen)
		snprintf(w->uni, w->unilen, "%s", path);
	return 0;
}

int procfs_cgroup_read(pid_t pid, const char *ctrl, char *v1, size_t v1len,
		       char *uni, size_t unilen)
{
	struct procfs_cg_want w = { ctrl, v1, uni, v1 ? v1len : 0,
				    uni ? unilen : 0 };

	if (w.v1len)
		v1[0] = '\0';
	if (w.unilen)
		uni[0] = '\0';
	return procfs_cgroup_each(pid, procfs_cg_pick, &w);
}

static int procfs_cg_equal(const char *ctrls, const char *path, void *arg)
{
	(void)ctrls;
	return !strcmp(path, arg);
}

bool procfs_cgroup_contains(pid_t pid, const char *path)
{
	return procfs_cgroup_each(pid, procfs_cg_equal, (void *)path) > 0;
}

int procfs_comm_read(pid_t pid, char *buf, size_t len)
{
	ssize_t n = procfs_slurp(pid, "comm", buf, len);

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int procfs_exe_read(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, len - 1);
	if (n < 0) {
		buf[0] = '\0';
		return -errno;
	}
	buf[n] = '\0';
	return n ? 0 : -ENOENT;
}

int procfs_environ_get(pid_t pid, const char *name, char *buf, size_t len)
{
	char env[8192];
	size_t nl = strlen(name);
	ssize_t n = procfs_slurp(pid, "environ", env, sizeof(env));

	buf[0] = '\0';
	if (n < 0)
		return (int)n;
	for (ssize_t i = 0; i < n; i += strlen(env + i) + 1)
		if (!strncmp(env + i, name, nl) && env[i + nl] == '=') {
			snprintf(buf, len, "%s", env + i + nl + 1);
			return 0;
		}
	return -ENOENT;
}

int procfs_statm_read(pid_t pid, unsigned long long *size,
		      unsigned long long *resident)
{
	char buf[128];
	ssize_t n = procfs_slurp(pid, "statm", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (sscanf(buf, "%llu %llu", size, resident) != 2)
		return -EINVAL;
	return 0;
}

bool procfs_has_mm(pid_t pid)
{
	unsigned long long size, resident;

	return !procfs_statm_read(pid, &size, &resident) && size != 0;
}

int procfs_boot_time(unsigned long long *btime)
{
	char line[256];
	int err = -ENOENT;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", btime) == 1)
			err = 0;
	fclose(f);
	return err;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* procfs.h - the one reader of /proc/PID files for every program: stat,
 * status (uid/gid), cgroup (v1 and v2 lines), exe, comm, environ, statm.
 * The parsers take the text so that tests can feed crafted lines (a comm
 * with spaces and ')' in it); the readers open /proc/PID/... and parse. */
#ifndef HMS_PROCFS_H
#define HMS_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROCFS_COMM_LEN	16

/* What we use of /proc/PID/stat. */
struct procfs_stat {
	char comm[PROCFS_COMM_LEN];
	char state;			/* R S D Z T t X I ... */
	int ppid, pgrp, session;
	unsigned long long utime, stime;	/* clock ticks */
	unsigned long long starttime;		/* ticks since boot */
};

/* Parse one /proc/PID/stat line; 0 or -EINVAL.  The comm is whatever is
 * between the first '(' and the last ')'. */
int procfs_stat_parse(const char *line, struct procfs_stat *st);
/* Read and parse /proc/PID/stat; 0, -errno (-ENOENT: gone) or -EINVAL. */
int procfs_stat_read(pid_t pid, struct procfs_stat *st);
/* Running or sleeping, not a zombie or dead. */
bool procfs_stat_alive(const struct procfs_stat *st);
/* pid exists and is not a zombie. */
bool procfs_alive(pid_t pid);

/* Real uid and gid from /proc/PID/status ("Uid:" and "Gid:" lines). */
int procfs_status_parse(const char *text, uid_t *uid, gid_t *gid);
int procfs_status_read(pid_t pid, uid_t *uid, gid_t *gid);
/* Real and effective uid ("Uid:" line): what adoption compares. */
int procfs_uids_parse(const char *text, uid_t *ruid, uid_t *euid);
int procfs_uids_read(pid_t pid, uid_t *ruid, uid_t *euid);

/* One /proc/PID/cgroup line "ID:CONTROLLERS:PATH" (v2: "0::PATH"), split
 * in place (line is modified); 0 or -EINVAL. */
int procfs_cgroup_line(char *line, const char **controllers,
		       const char **path);
/* Controller ctrl in a v1 comma-separated list ("cpu,cpuacct"). */
bool procfs_cgroup_has_controller(const char *controllers, const char *ctrl);
/* pid's path in the v1 hierarchy of controller ctrl (v1, when ctrl is
 * not NULL) and in the unified hierarchy (uni, may be NULL); either comes
 * back "" when pid has none.  0 or -errno. */
int procfs_cgroup_read(pid_t pid, const char *ctrl, char *v1, size_t v1len,
		       char *uni, size_t unilen);
/* pid is in cgroup path (any hierarchy). */
bool procfs_cgroup_contains(pid_t pid, const char *path);

/* /proc/PID/comm without the newline; 0 or -errno. */
int procfs_comm_read(pid_t pid, char *buf, size_t len);
/* /proc/PID/exe target; 0 or -errno. */
int procfs_exe_read(pid_t pid, char *buf, size_t len);
/* Value of NAME in /proc/PID/environ (first 8 KiB); "" and -ENOENT when
 * absent. */
int procfs_environ_get(pid_t pid, const char *name, char *buf, size_t len);
/* Total and resident size in pages from /proc/PID/statm; 0 or -errno. */
int procfs_statm_read(pid_t pid, unsigned long long *size,
		      unsigned long long *resident);
/* Still has its memory (/proc/PID/statm not all zeros): an exiting
 * process drops it before it is a zombie. */
bool procfs_has_mm(pid_t pid);
/* Boot time in Unix seconds ("btime" of /proc/stat); 0 or -errno. */
int procfs_boot_time(unsigned long long *btime);

#endif

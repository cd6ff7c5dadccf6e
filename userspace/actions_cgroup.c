// SPDX-License-Identifier: BSD-2-Clause
/* actions_cgroup.c - the resource actions: find a process's memory cgroup
 * (v1 memory controller or the unified v2 tree), raise its memory limit by
 * a factor up to a cap or set memory.high below memory.max (v2, early
 * reclaim), raise its cpu weight and lower the nice value, set its io
 * weight (v2 io.weight, else a v1 blkio weight). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include "actions.h"
#include "procfs.h"

#define CG_V1_MEM	"/sys/fs/cgroup/memory"
#define CG_V1_CPU	"/sys/fs/cgroup/cpu"

/* The unified hierarchy: /sys/fs/cgroup/unified on hybrid systems, else
 * /sys/fs/cgroup when it is cgroup2 itself. */
static const char *cg_v2_root(void)
{
	struct stat st;

	if (!stat("/sys/fs/cgroup/unified/cgroup.controllers", &st))
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

static bool cg_v1_memory(void)
{
	struct stat st;

	return !stat(CG_V1_MEM "/memory.limit_in_bytes", &st);
}

int actions_cgroup_dir(const char *cgroup, bool v2, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s%s", v2 ? cg_v2_root() : CG_V1_MEM,
			 cgroup[0] == '/' ? "" : "/", cgroup);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int actions_cgroup_of(pid_t pid, char *buf, size_t len, bool *v2)
{
	char v1[512], uni[512];
	int err = procfs_cgroup_read(pid, "memory", v1, sizeof(v1), uni, sizeof(uni));

	if (err)
		return err;
	if (v1[0] && cg_v1_memory()) {
		*v2 = false;
		snprintf(buf, len, "%s", v1);
		return 0;
	}
	if (uni[0]) {
		*v2 = true;
		snprintf(buf, len, "%s", uni);
		return 0;
	}
	return -ENOENT;
}

static int cg_read_u64(const char *path, uint64_t *v, bool *max)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*max = !strncmp(buf, "max", 3);
	*v = *max ? UINT64_MAX : strtoull(buf, NULL, 10);
	return 0;
}

static int cg_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int actions_memory_raise(const char *cgroup, bool v2, double factor,
			 uint64_t max_mb, uint64_t *old_b, uint64_t *new_b)
{
	char dir[512], file[600], val[32];
	uint64_t cur = 0, next, cap = max_mb ? max_mb << 20 : UINT64_MAX;
	bool unlimited = false;
	int err;

	err = actions_cgroup_dir(cgroup, v2, dir, sizeof(dir));
	if (err)
		return err;
	snprintf(file, sizeof(file), "%s/%s", dir,
		 v2 ? "memory.max" : "memory.limit_in_bytes");
	err = cg_read_u64(file, &cur, &unlimited);
	if (err)
		return err;
	/* v1 reports "no limit" as a huge page-rounded number */
	if (unlimited || cur >= (1ull << 62))
		return -EALREADY;
	if (cur >= cap)
		return -EDQUOT;
	next = (uint64_t)((double)cur * factor);
	if (next <= cur)
		next = cur + 4096;
	if (next > cap)
		next = cap;
	snprintf(val, sizeof(val), "%" PRIu64, next);
	err = cg_write(file, val);
	if (err)
		return err;
	if (old_b)
		*old_b = cur;
	if (new_b)
		*new_b = next;
	return 0;
}

/* The cpu cgroup of pid: v1 "cpu" controller, else the unified one. */
static int cg_cpu_dir(pid_t pid, char *buf, size_t len)
{
	char v1[400], uni[400];
	int err = procfs_cgroup_read(pid, "cpu", v1, sizeof(v1), uni, sizeof(uni));

	if (err)
		return err;
	if (v1[0] && strcmp(v1, "/"))
		snprintf(buf, len, "%s%s/cpu.shares", CG_V1_CPU, v1);
	else if (uni[0] && strcmp(uni, "/"))
		snprintf(buf, len, "%s%s/cpu.weight", cg_v2_root(), uni);
	else
		return -ENOENT;	/* never the root cgroup */
	return 0;
}

/* struct sched_attr of the kernel (uapi/linux/sched/types.h) */
struct hms_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

int actions_cpu_sched(pid_t pid, int nice, uint32_t slice_us,
		      uint32_t rt_prio)
{
	struct hms_sched_attr sa;
	char path[64];
	struct dirent *de;
	int err = -ESRCH;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.size = sizeof(sa);
		if (rt_prio) {
			sa.policy = 2;	/* SCHED_RR */
			sa.priority = rt_prio;
		} else {
			sa.policy = 0;	/* SCHED_OTHER */
			sa.nice = nice;
			sa.runtime = (uint64_t)slice_us * 1000ull;
		}
		err = syscall(SYS_sched_setattr, tid, &sa, 0) < 0 ? -errno : 0;
		if (err)
			break;
	}
	closedir(d);
	return err;
}

int actions_cpu_raise(pid_t pid, uint32_t weight, int nice)
{
	char path[600], val[32];
	int err = 0;

	if (weight && !cg_cpu_dir(pid, path, sizeof(path))) {
		/* v1 shares: 1024 is the default, like weight 100 */
		snprintf(val, sizeof(val), "%u", strstr(path, "cpu.shares") ?
			 weight * 1024 / 100 : weight);
		err = cg_write(path, val);
	}
	if (setpriority(PRIO_PROCESS, (id_t)pid, nice) < 0)
		err = -errno;
	return err;
}

/* The controllers the unified hierarchy offers ("hugetlb" on a hybrid
 * host whose memory and io are v1), for error messages. */
void actions_cgroup2_controllers(char *buf, size_t len)
{
	char path[320];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_v2_root());
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int actions_memory_high(const char *dir, double ratio, uint64_t *high_b,
			uint64_t *max_b)
{
	char file[600], val[32];
	uint64_t max = 0, high;
	bool unlimited = false;
	int err;

	if (!(ratio > 0 && ratio <= 1))
		return -EINVAL;
	snprintf(file, sizeof(file), "%s/memory.max", dir);
	err = cg_read_u64(file, &max, &unlimited);
	if (err == -ENOENT)
		return -EOPNOTSUPP;	/* no v2 memory controller there */
	if (err)
		return err;
	if (unlimited)
		return -EALREADY;	/* nothing to start reclaim below */
	high = (uint64_t)((double)max * ratio) & ~4095ull;
	if (!high)
		high = 4096;
	snprintf(val, sizeof(val), "%" PRIu64, high);
	snprintf(file, sizeof(file), "%s/memory.high", dir);
	err = cg_write(file, val);
	if (err)
		return err;
	if (high_b)
		*high_b = high;
	if (max_b)
		*max_b = max;
	return 0;
}

/* v1 blkio weight file of pid's blkio cgroup (BFQ, else CFQ), or -ENOENT. */
static int cg_blkio_weight(pid_t pid, char *buf, size_t len)
{
	static const char *const files[] = { "blkio.bfq.weight",
					     "blkio.weight" };
	char v1[400], uni[400];
	struct stat st;
	int err = procfs_cgroup_read(pid, "blkio", v1, sizeof(v1), uni,
				     sizeof(uni));

	if (err)
		return err;
	if (!v1[0])
		return -ENOENT;
	for (size_t i = 0; i < 2; i++) {
		snprintf(buf, len, "/sys/fs/cgroup/blkio%s/%s",
			 strcmp(v1, "/") ? v1 : "", files[i]);
		if (!stat(buf, &st))
			return strcmp(v1, "/") ? 0 : -EPERM;
	}
	return -ENOENT;
}

int actions_io_weight(pid_t pid, const char *dir, uint32_t weight,
		      const char **where)
{
	char file[600], val[32];
	struct stat st;

	if (!weight || weight > 10000)
		return -EINVAL;
	if (dir && dir[0]) {
		snprintf(file, sizeof(file), "%s/io.weight", dir);
		if (!stat(file, &st)) {
			*where = "io.weight";
			snprintf(val, sizeof(val), "default %u", weight);
			return cg_write(file, val);
		}
	}
	/* v1: BFQ/CFQ weights are 1..1000, default 100 like io.weight */
	if (pid > 0 && !cg_blkio_weight(pid, file, sizeof(file))) {
		*where = strstr(file, "bfq") ? "blkio.bfq.weight" :
			 "blkio.weight";
		snprintf(val, sizeof(val), "%u", weight > 1000 ? 1000 : weight);
		return cg_write(file, val);
	}
	*where = "";
	return -EOPNOTSUPP;
}

// SPDX-License-Identifier: BSD-2-Clause
/* pressure.c - PSI triggers in the one event loop.  A trigger is the
 * pressure file opened O_RDWR|O_NONBLOCK with "some|full STALL WINDOW"
 * written to it (one trigger per fd, the kernel's rule); the fd then
 * reports EPOLLPRI when the stall within the window crossed the threshold
 * (at most once per window), and EPOLLERR when its cgroup is removed.
 * Nothing here polls a file: averages are read only when asked (for the
 * verification of a pressure failure and for OOM forensics). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "loop.h"
#include "pressure.h"
#include "procfs.h"

static const char *const res_names[PRESSURE_MAX] = {
	[PRESSURE_MEMORY] = "memory", [PRESSURE_CPU] = "cpu",
	[PRESSURE_IO] = "io",
};

struct pressure_trigger {
	struct hms_loop *loop;
	int fd;
	pressure_cb cb;
	void *arg;
	uint64_t fired;
};

const char *pressure_resource_name(int res)
{
	if (res < 0 || res >= PRESSURE_MAX)
		return "unknown";
	return res_names[res];
}

bool pressure_privileged(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_SYS_RESOURCE / 32].effective &
	       (1u << (CAP_SYS_RESOURCE % 32));
}

int pressure_check(uint64_t stall_us, uint64_t window_us, bool privileged,
		   char *why, size_t len)
{
	if (window_us < PRESSURE_WINDOW_MIN_US ||
	    window_us > PRESSURE_WINDOW_MAX_US) {
		snprintf(why, len, "window must be 500ms..10s (the kernel's "
			 "limits)");
		return -EINVAL;
	}
	if (!privileged && window_us % PRESSURE_UNPRIV_STEP_US) {
		snprintf(why, len, "window must be a multiple of 2s: without "
			 "CAP_SYS_RESOURCE (this process lacks it) the kernel "
			 "refuses other windows");
		return -EINVAL;
	}
	if (!stall_us || stall_us > window_us) {
		snprintf(why, len, "stall threshold must be above 0 and at "
			 "most the window");
		return -EINVAL;
	}
	return 0;
}

const char *pressure_cgroup2_root(void)
{
	struct stat st;

	if (!stat("/sys/fs/cgroup/unified/cgroup.controllers", &st))
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

static int pressure_path(const char *dir, int res, char *buf, size_t len)
{
	int n;

	if (res < 0 || res >= PRESSURE_MAX)
		return -EINVAL;
	if (dir)
		n = snprintf(buf, len, "%s/%s.pressure", dir, res_names[res]);
	else
		n = snprintf(buf, len, "/proc/pressure/%s", res_names[res]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void pressure_on_fd(int fd, uint32_t events, void *arg)
{
	struct pressure_trigger *t = arg;

	(void)fd;
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* the cgroup is gone: stop listening, or epoll spins */
		loop_del_fd(t->loop, t->fd);
		close(t->fd);
		t->fd = -1;
		t->cb(t, true, t->arg);
		return;
	}
	if (events & EPOLLPRI) {
		t->fired++;
		t->cb(t, false, t->arg);
	}
}

int pressure_trigger_new(struct hms_loop *loop, const char *dir, int res,
			 bool full, uint64_t stall_us, uint64_t window_us,
			 pressure_cb cb, void *arg,
			 struct pressure_trigger **out)
{
	struct pressure_trigger *t;
	char path[512], spec[64];
	int err, n;

	err = pressure_path(dir, res, path, sizeof(path));
	if (err)
		return err;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* the kernel wants the terminating NUL written too */
	n = snprintf(spec, sizeof(spec), "%s %" PRIu64 " %" PRIu64,
		     full ? "full" : "some", stall_us, window_us);
	if (write(t->fd, spec, (size_t)n + 1) < 0) {
		err = -errno;
		goto cleanup;
	}
	err = loop_add_fd(loop, t->fd, EPOLLPRI, pressure_on_fd, t);
	if (err)
		goto cleanup;
	*out = t;
	return 0;
cleanup:
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return err;
}

void pressure_trigger_free(struct pressure_trigger *t)
{
	if (!t)
		return;
	if (t->fd >= 0) {
		loop_del_fd(t->loop, t->fd);
		close(t->fd);
	}
	free(t);
}

bool pressure_trigger_alive(const struct pressure_trigger *t)
{
	return t && t->fd >= 0;
}

uint64_t pressure_trigger_count(const struct pressure_trigger *t)
{
	return t ? t->fired : 0;
}

int pressure_read(const char *dir, int res, bool full, double *avg10,
		  uint64_t *total_us)
{
	char path[512], buf[256], *line;
	const char *want = full ? "full " : "some ";
	unsigned long long total;
	double a10, a60, a300;
	ssize_t n;
	int fd, err;

	err = pressure_path(dir, res, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	line = strstr(buf, want);
	if (!line || sscanf(line + 5, "avg10=%lf avg60=%lf avg300=%lf "
			    "total=%llu", &a10, &a60, &a300, &total) != 4)
		return -EIO;
	if (avg10)
		*avg10 = a10;
	if (total_us)
		*total_us = total;
	return 0;
}

int pressure_cgroup_of(int pid, char *buf, size_t len)
{
	char uni[512];
	int err = procfs_cgroup_read((pid_t)pid, NULL, NULL, 0, uni,
				     sizeof(uni)), n;

	if (err)
		return err;
	if (!uni[0] || !strcmp(uni, "/"))
		return -ENOENT;	/* none, or the root: not its own */
	n = snprintf(buf, len, "%s%s", pressure_cgroup2_root(), uni);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

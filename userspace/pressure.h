/* SPDX-License-Identifier: BSD-2-Clause */
/* pressure.h - pressure stall information (PSI): kernel triggers on a
 * cgroup v2 directory's memory.pressure, cpu.pressure and io.pressure (or
 * /proc/pressure/ for the host), each an fd the one event loop waits on
 * for EPOLLPRI, and the averages read once when something asks. */
#ifndef HMS_PRESSURE_H
#define HMS_PRESSURE_H

#include <stdbool.h>
#include <stdint.h>

enum pressure_resource {
	PRESSURE_MEMORY	= 0,
	PRESSURE_CPU	= 1,
	PRESSURE_IO	= 2,
	PRESSURE_MAX,
};

/* What the kernel accepts: window 500 ms .. 10 s, 0 < stall <= window;
 * without CAP_SYS_RESOURCE the window a multiple of 2 s. */
#define PRESSURE_WINDOW_MIN_US	500000u
#define PRESSURE_WINDOW_MAX_US	10000000u
#define PRESSURE_UNPRIV_STEP_US	2000000u

const char *pressure_resource_name(int res);	/* "memory", "cpu", "io" */

/* Does this process hold CAP_SYS_RESOURCE (effective)? */
bool pressure_privileged(void);
/* 0 when the kernel will accept the trigger for a process with or without
 * the capability, else -EINVAL with a reason in why. */
int pressure_check(uint64_t stall_us, uint64_t window_us, bool privileged,
		   char *why, size_t len);

struct hms_loop;
struct pressure_trigger;

/* Called from the loop when the trigger fired (stall >= threshold within
 * the window; the kernel reports at most once per window), or with
 * gone = true when the cgroup went away (the trigger is dead then). */
typedef void (*pressure_cb)(struct pressure_trigger *t, bool gone, void *arg);

/* dir: a cgroup v2 directory (absolute), or NULL for the host. */
int pressure_trigger_new(struct hms_loop *loop, const char *dir, int res,
			 bool full, uint64_t stall_us, uint64_t window_us,
			 pressure_cb cb, void *arg,
			 struct pressure_trigger **out);
void pressure_trigger_free(struct pressure_trigger *t);
bool pressure_trigger_alive(const struct pressure_trigger *t);
uint64_t pressure_trigger_count(const struct pressure_trigger *t);

/* The "some" or "full" line of dir's (NULL: the host's) pressure file:
 * avg10 in percent and total stall in us. */
int pressure_read(const char *dir, int res, bool full, double *avg10,
		  uint64_t *total_us);

/* The unified hierarchy's mount point. */
const char *pressure_cgroup2_root(void);
/* pid's cgroup v2 path ("0::" line of /proc/PID/cgroup), absolute
 * directory in buf; -ENOENT when none or the root cgroup. */
int pressure_cgroup_of(int pid, char *buf, size_t len);

#endif

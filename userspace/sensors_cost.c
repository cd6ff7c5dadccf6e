// SPDX-License-Identifier: BSD-2-Clause
/*
 * sensors_cost.c - what the sensors cost and measure in aggregate: the
 * kernel's per-program run time and run count (BPF_STATS_RUN_TIME, read
 * with bpf_prog_get_info_by_fd) and the host-wide run-queue histogram.
 * Kept apart from sensors.c so that no libbpf type reaches the metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sensors_int.h"
#include "sched.skel.h"

int sensors_cost_enable(struct hms_sensors *s)
{
	int fd;

	if (s->stats_fd >= 0)
		return 0;
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0)
		return fd;	/* libbpf returns -errno */
	s->stats_fd = fd;
	return 0;
}

void sensors_cost_disable(struct hms_sensors *s)
{
	if (s && s->stats_fd >= 0) {
		close(s->stats_fd);
		s->stats_fd = -1;
	}
}

int sensors_cost_enabled(const struct hms_sensors *s)
{
	char c = '0';
	int fd;

	if (s->stats_fd >= 0)
		return 1;
	fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

int sensors_prog_costs(struct hms_sensors *s, sensors_prog_cb cb, void *arg)
{
	for (int i = 0; i < 3; i++) {
		const struct sensors_fam *f = &s->fam[i];
		struct bpf_program *prog;

		if (!f->skel)
			continue;
		bpf_object__for_each_program(prog, f->obj(f->skel)) {
			struct bpf_prog_info info;
			__u32 len = sizeof(info);
			struct sensors_prog_cost c;
			int fd = bpf_program__fd(prog), err;

			if (fd < 0)
				continue;	/* not loaded (skipped) */
			memset(&info, 0, sizeof(info));
			if (bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			c.family = f->name;
			c.program = bpf_program__name(prog);
			c.run_time_ns = info.run_time_ns;
			c.run_cnt = info.run_cnt;
			err = cb(&c, arg);
			if (err)
				return err;
		}
	}
	return 0;
}

int sensors_runq_total(struct hms_sensors *s, struct sensors_runq_total *t)
{
	struct bpf_map *m;
	struct hms_runq_total *vals;
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	uint32_t zero = 0;

	memset(t, 0, sizeof(*t));
	if (!s->fam[2].skel)
		return -ENOTSUP;
	m = ((struct sched_bpf *)s->fam[2].skel)->maps.runq_total;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(m), &zero, vals) < 0) {
		err = -errno;
		goto cleanup;
	}
	for (int c = 0; c < ncpu; c++) {
		for (int i = 0; i < HMS_HIST_SLOTS; i++)
			t->slots[i] += vals[c].slots[i];
		t->count += vals[c].count;
		t->sum_ns += vals[c].sum_ns;
	}
cleanup:
	free(vals);
	return err;
}

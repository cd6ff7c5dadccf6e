// SPDX-License-Identifier: BSD-2-Clause
/*
 * sensors_synth.c - loads bpf/synth.bpf.c against the sensors' shared maps
 * so that benchmarks and tests can produce bulk records on demand through
 * the real reserve/submit path.  The daemon does not link this file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "sensors_int.h"
#include "synth.skel.h"

struct hms_synth {
	struct synth_bpf *skel;
};

int sensors_synth_new(struct hms_sensors *s, struct hms_synth **out)
{
	struct sensors_maps maps;
	struct hms_synth *y = calloc(1, sizeof(*y));
	int err = 0;

	if (!y)
		return -ENOMEM;
	y->skel = synth_bpf__open();
	if (!y->skel) {
		err = -errno;
		log_error("synth: open: %s", strerror(-err));
		goto cleanup;
	}
	maps = SENSORS_MAPS_OF(y->skel);
	err = sensors_reuse_maps(s, &maps);
	if (err) {
		log_error("synth: configure: %s", strerror(-err));
		goto cleanup;
	}
	err = synth_bpf__load(y->skel);
	if (err) {
		log_error("synth: load: %s", strerror(-err));
		goto cleanup;
	}
	*out = y;
	return 0;
cleanup:
	sensors_synth_free(y);
	return err;
}

int sensors_synth_run(struct hms_synth *y, uint32_t count, uint32_t tgid,
		      uint64_t *produced)
{
	struct hms_synth_args args = { .count = count, .tgid = tgid };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args,
		    .ctx_size_in = sizeof(args));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(y->skel->progs.hms_synth),
				     &opts);
	if (err)
		return -errno;
	/* syscall programs write their ctx back */
	if (produced)
		*produced = args.produced;
	return 0;
}

void sensors_synth_free(struct hms_synth *y)
{
	if (!y)
		return;
	synth_bpf__destroy(y->skel);
	free(y);
}

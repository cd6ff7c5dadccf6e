// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * synth.bpf.c - a synthetic producer for benchmarks and the flood test:
 * a BPF_PROG_TYPE_SYSCALL program, run on demand with BPF_PROG_TEST_RUN,
 * that writes a burst of bulk records through the same reserve/submit path
 * as the real sensors.  The daemon never loads it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hms_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct synth_loop {
	__u32 tgid;
	__u64 done;
};

static long synth_one(__u32 i, struct synth_loop *l)
{
	struct hms_ev_runq *e;

	e = hms_bulk_reserve(HMS_EV_RUNQ_LATENCY, sizeof(*e), l->tgid, 0);
	if (!e)
		return 0;
	hms_fill_hdr_raw(&e->hdr, HMS_EV_RUNQ_LATENCY, sizeof(*e));
	e->hdr.tgid = l->tgid;
	e->hdr.tid = i;
	e->latency_ns = e->hdr.ts_ns;
	e->cpu = 0;
	e->_pad = 0;
	hms_bulk_submit(e, sizeof(*e));
	l->done++;
	return 0;
}

SEC("syscall")
int hms_synth(struct hms_synth_args *args)
{
	struct synth_loop l = { .tgid = args->tgid };
	__u32 n = args->count;

	bpf_loop(n > 4096 ? 4096 : n, synth_one, &l, 0);
	args->produced = l.done;
	return 0;
}

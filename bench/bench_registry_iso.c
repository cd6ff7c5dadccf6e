// SPDX-License-Identifier: BSD-2-Clause
/* bench_registry_iso.c - what the isolated registry costs the heal path:
 * an outcome recorded the old way (registry_record_outcome on the store
 * on disk, in the daemon's process: the baseline) against the daemon's
 * way now (the same call on the in-memory copy, which learns and queues
 * the write for the store process through registry_proc.c, one
 * non-blocking sendmsg), and registry_choose on each.  The store process
 * is the real one (`hms-ebpf registry-serve`, $DAEMON or
 * .output/hms-ebpf); the loop is pumped between calls so that its
 * acknowledgements are read, outside the timed part.  Prints p50/p99 and
 * the ratio to the baseline measured in the same run; asserts nothing. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"
#include "bus.h"
#include "hms_event.h"
#include "loop.h"
#include "registry.h"
#include "registry_proc.h"

#define N	2000

static struct registry_outcome bench_outcome(int i)
{
	struct timespec ts;
	struct registry_outcome o = { .success = i % 5 != 0,
				      .recover_ns = 30000000 };

	clock_gettime(CLOCK_REALTIME, &ts);
	o.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(o.component, sizeof(o.component), "svc%d", i % 8);
	strcpy(o.failure, "crash");
	snprintf(o.strategy, sizeof(o.strategy), "s%d", i % 3);
	strcpy(o.params, "{\"delay_ms\":0}");
	return o;
}

/* Time N outcomes and N choices on reg; pump loop (if any) in between. */
static void bench_run(struct hms_registry *reg, struct hms_loop *loop,
		      uint64_t *rec, uint64_t *cho)
{
	const char *cand[] = { "s0", "s1", "s2" };

	for (int i = 0; i < N; i++) {
		struct registry_outcome o = bench_outcome(i);
		struct registry_choice c;
		uint64_t t0 = bench_now_ns();

		registry_record_outcome(reg, &o);
		rec[i] = bench_now_ns() - t0;
		t0 = bench_now_ns();
		registry_choose(reg, o.component, "crash", cand, 3, &c);
		cho[i] = bench_now_ns() - t0;
		if (loop)
			loop_run_once(loop, 0);
	}
}

int main(void)
{
	static uint64_t rec_disk[N], cho_disk[N], rec_iso[N], cho_iso[N];
	const char *daemon = getenv("DAEMON");
	char dir[] = "/tmp/hms-bench-iso-XXXXXX", d1[64], d2[64];
	char exe[PATH_MAX];
	struct hms_registry *disk = NULL, *mem = NULL;
	struct hms_regproc *rp = NULL;
	struct hms_loop *loop = NULL;
	struct hms_bus *bus = NULL;
	struct hms_ev_registry st;
	double r50, r99, c50, c99;

	if (!realpath(daemon ? daemon : ".output/hms-ebpf", exe) ||
	    !mkdtemp(dir)) {
		fprintf(stderr, "bench_registry_iso: no daemon binary or temp "
			"dir\n");
		return 1;
	}
	snprintf(d1, sizeof(d1), "%s/disk", dir);
	snprintf(d2, sizeof(d2), "%s/iso", dir);
	if (registry_open(d1, &disk) || loop_new(&loop) || bus_new(&bus) ||
	    registry_open_mem(&mem) ||
	    regproc_new(loop, bus, exe, d2, mem, &rp)) {
		fprintf(stderr, "bench_registry_iso: setup failed\n");
		return 1;
	}
	for (int i = 0; i < 200; i++)	/* the store's HELLO, snapshot */
		loop_run_once(loop, 10);
	bench_run(disk, NULL, rec_disk, cho_disk);
	bench_run(mem, loop, rec_iso, cho_iso);
	for (int i = 0; i < 500; i++) {	/* every write acknowledged */
		regproc_status(rp, &st);
		if (!st.pending)
			break;
		loop_run_once(loop, 10);
	}
	regproc_status(rp, &st);
	r50 = bench_pct(rec_disk, N, 50) / 1e3;
	r99 = bench_pct(rec_disk, N, 99) / 1e3;
	c50 = bench_pct(cho_disk, N, 50) / 1e3;
	c99 = bench_pct(cho_disk, N, 99) / 1e3;
	printf("registry, %d outcomes and choices each (us)\n", N);
	printf("  record_outcome, store in-process (baseline): p50 %8.1f  "
	       "p99 %8.1f\n", r50, r99);
	printf("  record_outcome, copy + queue (isolated):     p50 %8.1f  "
	       "p99 %8.1f  ratio p50 %.2f p99 %.2f\n",
	       bench_pct(rec_iso, N, 50) / 1e3, bench_pct(rec_iso, N, 99) / 1e3,
	       bench_pct(rec_iso, N, 50) / 1e3 / r50,
	       bench_pct(rec_iso, N, 99) / 1e3 / r99);
	printf("  choose, store in-process (baseline):         p50 %8.1f  "
	       "p99 %8.1f\n", c50, c99);
	printf("  choose, copy (isolated):                     p50 %8.1f  "
	       "p99 %8.1f  ratio p50 %.2f p99 %.2f\n",
	       bench_pct(cho_iso, N, 50) / 1e3, bench_pct(cho_iso, N, 99) / 1e3,
	       bench_pct(cho_iso, N, 50) / 1e3 / c50,
	       bench_pct(cho_iso, N, 99) / 1e3 / c99);
	printf("  store process: %llu writes stored, %llu pending, %llu lost, "
	       "state %s\n", (unsigned long long)st.stored,
	       (unsigned long long)st.pending, (unsigned long long)st.lost,
	       st.state ? "degraded" : "up");
	regproc_free(rp);
	registry_close(mem);
	registry_close(disk);
	bus_free(bus);
	loop_free(loop);
	bench_rmtree(dir);
	return 0;
}

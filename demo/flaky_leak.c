// SPDX-License-Identifier: BSD-2-Clause
/* flaky_leak.c - hms-demo-leak, the demo's service that leaks memory: it
 * allocates and touches MB_PER_S MiB every second and never frees them,
 * so that in the small memory cgroup demo/run.sh puts it in the kernel's
 * OOM killer ends it (the healer sees the `oom` failure, with the
 * cgroup's limit and peak in its cause).  Not linked with the daemon.
 *
 *   hms-demo-leak [MB_PER_S]       default 8
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long rate = argc > 1 ? atol(argv[1]) : 8;
	struct timespec tick = { 0, 100000000L };	/* 100 ms */
	size_t chunk, total = 0;

	if (rate < 1 || rate > 1024) {
		fprintf(stderr, "usage: hms-demo-leak [MB_PER_S]\n");
		return 2;
	}
	chunk = (size_t)rate * 1024 * 1024 / 10;
	printf("hms-demo-leak: pid %d, leaking %ld MiB/s\n", getpid(), rate);
	fflush(stdout);
	for (;;) {
		char *p = malloc(chunk);

		if (p) {
			memset(p, 0x5a, chunk);	/* touched: resident */
			total += chunk;
		}
		if (total % (16u << 20) < chunk) {
			printf("hms-demo-leak: %zu MiB leaked\n", total >> 20);
			fflush(stdout);
		}
		nanosleep(&tick, NULL);
	}
}

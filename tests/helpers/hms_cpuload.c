// SPDX-License-Identifier: BSD-2-Clause
/* hms_cpuload.c - CPU load for the pressure tests and bench, pinned to
 * one CPU: a hog that never sleeps, or a latency-sensitive service that
 * wakes often to do a little work (it waits in the run queue behind the
 * hog: CPU pressure in its cgroup).  Runs until killed.  Not linked with
 * the daemon.
 *
 *   hms_cpuload spin CPU
 *   hms_cpuload tick CPU WORK_US SLEEP_US
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long __attribute__((unused)) now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ull +
	       (unsigned long long)ts.tv_nsec / 1000;
}

/* Burn CPU time (not wall time) of about us microseconds. */
static void work_us(long us)
{
	struct timespec a, b;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 1000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000L +
		 (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

int main(int argc, char **argv)
{
	cpu_set_t set;

	if (argc < 3 || (strcmp(argv[1], "spin") && argc != 5)) {
		fprintf(stderr, "usage: hms_cpuload spin CPU | tick CPU "
			"WORK_US SLEEP_US\n");
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[2]), &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		perror("sched_setaffinity");
		return 3;
	}
	if (!strcmp(argv[1], "spin")) {
		volatile unsigned long x = 0;

		for (;;)
			x++;
	}
	for (;;) {
		long sl = atol(argv[4]);
		struct timespec ts = { sl / 1000000, (sl % 1000000) * 1000 };

		work_us(atol(argv[3]));
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		(void)now_us;
	}
}

// SPDX-License-Identifier: BSD-2-Clause
/* flaky_crash.c - hms-demo-crash, the demo's service that segfaults at
 * random: it works (a heartbeat line every second) for a random time
 * between MIN_S and MAX_S seconds, then writes through a null pointer.
 * Shipped for `make demo` (demo/run.sh); not linked with the daemon.
 *
 *   hms-demo-crash [MIN_S [MAX_S]]     defaults 4 and 20
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long min_s = argc > 1 ? atol(argv[1]) : 4;
	long max_s = argc > 2 ? atol(argv[2]) : 20;
	volatile int *null = NULL;
	long life;

	if (min_s < 1 || max_s < min_s) {
		fprintf(stderr, "usage: hms-demo-crash [MIN_S [MAX_S]]\n");
		return 2;
	}
	srand((unsigned)(time(NULL) ^ getpid()));
	life = min_s + rand() % (max_s - min_s + 1);
	printf("hms-demo-crash: pid %d, will crash in %ld s\n", getpid(), life);
	fflush(stdout);
	for (long s = 0; s < life; s++) {
		sleep(1);
		printf("hms-demo-crash: alive %ld s\n", s + 1);
		fflush(stdout);
	}
	*null = 42;	/* SIGSEGV, as a real bug would */
	return 1;
}

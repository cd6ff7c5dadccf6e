// SPDX-License-Identifier: BSD-2-Clause
/* hms_memhog.c - a service whose memory grows slowly, for the pressure
 * tests and bench: it keeps re-reading a data file of its own (page cache
 * it needs again and again, the working set of a real cache-heavy
 * service) while its anonymous memory grows step by step, every page
 * touched.  In a memory cgroup whose limit is near the working set the
 * file is evicted and read back over and over: reclaim and refaults, the
 * memory pressure PSI measures, before the limit is hit by anonymous
 * memory alone (the OOM kill).  Exits 0 once it reached the target and
 * read its file a few more times.  Not linked with the daemon.
 *
 *   hms_memhog FILE FILE_MB TARGET_MB STEP_MB STEP_MS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#define MB	(1024L * 1024L)

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int make_file(const char *path, long mb)
{
	static char buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	for (long i = 0; i < mb; i++) {
		memset(buf, (int)(i & 0xff) | 1, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	fsync(fd);
	close(fd);
	return 0;
}

/* Read the whole file once (the working set); a checksum keeps it real. */
static unsigned long read_file(const char *path)
{
	static char buf[256 * 1024];
	unsigned long sum = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		exit(4);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i += 4096)
			sum += (unsigned char)buf[i];
	close(fd);
	return sum;
}

int main(int argc, char **argv)
{
	long file_mb, target_mb, step_mb, step_ms, have = 0;
	volatile unsigned long sink = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: hms_memhog FILE FILE_MB TARGET_MB "
			"STEP_MB STEP_MS\n");
		return 2;
	}
	file_mb = atol(argv[2]);
	target_mb = atol(argv[3]);
	step_mb = atol(argv[4]);
	step_ms = atol(argv[5]);
	if (file_mb < 0 || target_mb < 0 || step_mb <= 0 || step_ms < 0)
		return 2;
	if (make_file(argv[1], file_mb) < 0)
		return 3;
	while (have < target_mb) {
		char *p = mmap(NULL, (size_t)(step_mb * MB),
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 5;
		for (long off = 0; off < step_mb * MB; off += 4096)
			p[off] = (char)(off >> 12) | 1;
		have += step_mb;
		sink += read_file(argv[1]);
		nap_ms(step_ms);
	}
	for (int i = 0; i < 5; i++)
		sink += read_file(argv[1]);
	unlink(argv[1]);
	return 0;
}

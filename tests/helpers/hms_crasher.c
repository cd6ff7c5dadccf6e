// SPDX-License-Identifier: BSD-2-Clause
/* hms_crasher.c - a misbehaving service for the healer's tests and bench:
 * it crashes, exits, hangs with its children, eats memory or daemonizes,
 * as argv says.  Not linked with anything of the daemon on purpose.
 *
 *   hms_crasher segv [delay_ms]        SIGSEGV by a null write
 *   hms_crasher segv-once FILE [ms]    SIGSEGV if FILE is absent (creating
 *                                      it), else run until killed
 *   hms_crasher segv-count FILE N [ms] SIGSEGV after ms while FILE has
 *                                      fewer than N lines (adding one),
 *                                      else run until killed
 *   hms_crasher exit CODE [delay_ms]
 *   hms_crasher sleep                  run until killed
 *   hms_crasher daemonize [PIDFILE]    double fork; the grandchild runs
 *   hms_crasher hang-group PIDFILE     fork a child, both ignore TERM and
 *                                      block; child pid to PIDFILE
 *   hms_crasher oom                    touch memory until killed
 *   hms_crasher touch FILE             create FILE (append a line), exit 0
 *   hms_crasher env FILE               write uid, gid, cwd and the HMS_*
 *                                      and FOO variables to FILE, exit 0
 *   hms_crasher lockout STAMP MS       a service that needs MS ms after a
 *                                      crash (STAMP holds its time, ms
 *                                      since the epoch): started (forked)
 *                                      sooner it exits 1, else it runs;
 *                                      appends the age it saw in main()
 *                                      to STAMP.log
 *   hms_crasher sigheal FILE           run until killed; SIGUSR1 creates
 *                                      FILE (it heals), SIGUSR2 does
 *                                      nothing (it does not); FILE.ready
 *                                      once both are blocked
 *   hms_crasher probe FILE [stay]      try TIOCSTI on fds 0-2 and
 *                                      /dev/tty, then write ids, session,
 *                                      open fds and the whole environment
 *                                      to FILE (renamed into place when
 *                                      complete); stay: run until killed
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Under SANITIZE=1 the crash must stay a real SIGSEGV: the sanitizers
 * neither catch it nor report the null store first. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "handle_segv=0:handle_sigbus=0:handle_abort=0:"
	       "handle_sigfpe=0:detect_leaks=0";
}

__attribute__((no_sanitize("undefined", "address"), noinline))
static void segfault(void)
{
	volatile int *volatile p = NULL;	/* opaque to the optimizer */

	*p = 1;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0)
		;
}

static void write_pid(const char *path, pid_t pid)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		exit(3);
	close(fd);
}

static int daemonize(const char *pidfile)
{
	pid_t p = fork();

	if (p < 0)
		return 1;
	if (p > 0)
		return 0;		/* the parent exits cleanly */
	setsid();
	p = fork();
	if (p < 0)
		_exit(1);
	if (p > 0)
		_exit(0);
	if (pidfile)
		write_pid(pidfile, getpid());
	for (;;)
		pause();
}

/* ms since this process was forked, from the kernel's start time (in
 * clock ticks of CLOCK_BOOTTIME, rounded down: never less than the truth):
 * what its own loading took (an ASan runtime's start-up under SANITIZE=1,
 * a loaded machine) is not time the restart waited.  -1 if unknown. */
static long long since_fork_ms(void)
{
	unsigned long long start;
	char buf[1024], *p;
	struct timespec ts;
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');		/* comm may hold spaces */
	/* after ")": state is field 3, starttime field 22 */
	if (!p || tck <= 0 || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u "
				     "%*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
				     "%*d %llu", &start) != 1)
		return -1;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
	       (long long)(start * 1000 / (unsigned long long)tck);
}

/* Push "hmspwned\n" into the terminal on fd, if it is one: 0 or errno. */
static int inject(int fd)
{
	static const char s[] = "hmspwned\n";

	for (size_t i = 0; i < sizeof(s) - 1; i++)
		if (ioctl(fd, TIOCSTI, &s[i]) < 0)
			return errno;
	return 0;
}

static int probe(const char *file, bool stay)
{
	extern char **environ;
	char tmp[4096], target[4096], path[300], fds[16384] = "";
	gid_t groups[64];
	int tty, n, rc[4];
	struct dirent *de;
	DIR *dir;
	FILE *f;

	for (int fd = 0; fd < 3; fd++)
		rc[fd] = inject(fd);
	tty = open("/dev/tty", O_RDWR | O_NOCTTY);
	rc[3] = tty < 0 ? errno : inject(tty);
	/* the open fds, before this opens its own */
	dir = opendir("/proc/self/fd");
	while (dir && (de = readdir(dir))) {
		ssize_t l;
		size_t used = strlen(fds);

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		l = readlink(path, target, sizeof(target) - 1);
		target[l > 0 ? l : 0] = '\0';
		snprintf(fds + used, sizeof(fds) - used, "fd %s %s\n",
			 de->d_name, target);
	}
	if (dir)
		closedir(dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f)
		return 3;
	fprintf(f, "uid=%u gid=%u pid=%d sid=%d pgid=%d\n",
		(unsigned)getuid(), (unsigned)getgid(), (int)getpid(),
		(int)getsid(0), (int)getpgrp());
	n = getgroups(64, groups);
	fprintf(f, "groups=");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? "," : "", (unsigned)groups[i]);
	fprintf(f, "\ndevtty=%s\n", tty < 0 ? strerror(errno) : "open");
	for (int i = 0; i < 4; i++)
		fprintf(f, "tiocsti%d=%s\n", i, rc[i] ? strerror(rc[i]) : "ok");
	if (tty >= 0)
		close(tty);
	fputs(fds, f);
	for (char **e = environ; *e; e++)
		fprintf(f, "env %s\n", *e);
	if (fclose(f) || rename(tmp, file))
		return 3;
	while (stay)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sleep";

	if (!strcmp(mode, "segv")) {
		nap_ms(argc > 2 ? atol(argv[2]) : 0);
		segfault();
		return 2;
	}
	if (!strcmp(mode, "segv-once") && argc > 2) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0644);

		if (fd >= 0) {
			close(fd);
			nap_ms(argc > 3 ? atol(argv[3]) : 0);
			segfault();
		}
		for (;;)
			pause();
	}
	if (!strcmp(mode, "segv-count") && argc > 3) {
		FILE *f = fopen(argv[2], "a+");
		int lines = 0, c;

		if (!f)
			return 3;
		rewind(f);
		while ((c = fgetc(f)) != EOF)
			lines += c == '\n';
		if (lines < atoi(argv[3])) {
			fputs("crash\n", f);
			fclose(f);
			nap_ms(argc > 4 ? atol(argv[4]) : 0);
			segfault();
		}
		fclose(f);
		for (;;)
			pause();
	}
	if (!strcmp(mode, "exit")) {
		nap_ms(argc > 3 ? atol(argv[3]) : 0);
		return argc > 2 ? atoi(argv[2]) : 1;
	}
	if (!strcmp(mode, "daemonize"))
		return daemonize(argc > 2 ? argv[2] : NULL);
	if (!strcmp(mode, "hang-group") && argc > 2) {
		pid_t p;

		signal(SIGTERM, SIG_IGN);
		p = fork();
		if (p == 0) {
			for (;;)
				pause();
		}
		write_pid(argv[2], p);
		for (;;)
			pause();
	}
	if (!strcmp(mode, "oom")) {
		for (;;) {
			char *m = malloc(1 << 20);

			if (m)
				memset(m, 1, 1 << 20);
		}
	}
	if (!strcmp(mode, "env") && argc > 2) {
		const char *vars[] = { "HMS_COMPONENT", "HMS_FAILURE", "HMS_PID",
				       "HMS_SIGNAL", "HMS_EXIT_CODE",
				       "HMS_SENDER_PID", "FOO", NULL };
		char cwd[256] = "";
		FILE *f = fopen(argv[2], "w");

		if (!f || !getcwd(cwd, sizeof(cwd)))
			return 3;
		fprintf(f, "uid=%u gid=%u cwd=%s\n", (unsigned)getuid(),
			(unsigned)getgid(), cwd);
		for (int i = 0; vars[i]; i++)
			fprintf(f, "%s=%s\n", vars[i],
				getenv(vars[i]) ? getenv(vars[i]) : "");
		fclose(f);
		return 0;
	}
	if (!strcmp(mode, "lockout") && argc > 3) {
		struct timespec ts;
		long long stamp = -1, age, forked;
		char log[512];
		FILE *f = fopen(argv[2], "r");

		if (f && fscanf(f, "%lld", &stamp) != 1)
			stamp = -1;
		if (f)
			fclose(f);
		clock_gettime(CLOCK_REALTIME, &ts);
		age = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - stamp;
		snprintf(log, sizeof(log), "%s.log", argv[2]);
		f = fopen(log, "a");
		if (f) {
			fprintf(f, "%lld\n", stamp < 0 ? -1 : age);
			fclose(f);
		}
		/* decided on the age at the fork: the time the healer
		 * waited, not what exec and the loader took after it */
		forked = since_fork_ms();
		if (stamp >= 0 && age - (forked > 0 ? forked : 0) <
				  atoll(argv[3]))
			return 1;	/* the port is still taken, say */
		for (;;)
			pause();
	}
	if (!strcmp(mode, "probe") && argc > 2)
		return probe(argv[2], argc > 3 && !strcmp(argv[3], "stay"));
	if (!strcmp(mode, "sigheal") && argc > 2) {
		char buf[4096];
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		snprintf(buf, sizeof(buf), "%s.ready", argv[2]);
		sig = open(buf, O_WRONLY | O_CREAT, 0644);
		if (sig >= 0)
			close(sig);
		for (;;) {
			if (sigwait(&set, &sig))
				return 4;
			if (sig == SIGUSR1) {
				int fd = open(argv[2], O_WRONLY | O_CREAT, 0644);

				if (fd >= 0)
					close(fd);
			}
		}
	}
	if (!strcmp(mode, "touch") && argc > 2) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd < 0 || write(fd, "x\n", 2) != 2)
			return 3;
		close(fd);
		return 0;
	}
	for (;;)
		pause();
}

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
 */
#include <fcntl.h>
#include <signal.h>
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

// SPDX-License-Identifier: BSD-2-Clause
/* hms_webd.c - a master/worker network service for the healer's tests,
 * shaped like a pre-forking web server: the master binds a loopback TCP
 * port (SO_REUSEADDR only: a port still held by an old worker makes the
 * bind fail, as with a real server), writes its pidfile, forks workers
 * that share the listening socket and answer "ok\n" to every connection,
 * and stops them on SIGTERM.  Not linked with anything of the daemon.
 *
 *   hms_webd PORT PIDFILE [option]...
 *     --workers N        workers to fork (default 2)
 *     --daemonize        fork, the parent exits 0, the child (new session)
 *                        is the master
 *     --refuse PORT:N    on SIGUSR1 a worker connects N times to PORT on
 *                        loopback (nothing listens there: refused)
 *     --worker-name      workers rename themselves (comm "webd-worker")
 *   Signals: SIGUSR2 to the master makes it crash (SIGSEGV) and leaves its
 *   workers running, holding the port; SIGTERM stops master and workers.
 *   Exit 1 when the port cannot be bound ("bind: Address already in use"
 *   on stderr), 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Under SANITIZE=1 the crash must stay a real SIGSEGV. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=0";
}

static volatile sig_atomic_t got_usr1, got_usr2, got_term;
static int refuse_port, refuse_n;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else if (sig == SIGUSR2)
		got_usr2 = 1;
	else
		got_term = 1;
}

static void refuse_connects(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_port = htons((uint16_t)refuse_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < refuse_n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			return;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			fprintf(stderr, "hms_webd: port %d answered\n",
				refuse_port);
		close(fd);
		usleep(2000);
	}
}

static void worker(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	signal(SIGTERM, SIG_DFL);
	for (;;) {
		if (got_usr1) {
			got_usr1 = 0;
			refuse_connects();
		}
		if (poll(&pfd, 1, 100) > 0) {
			int cfd = accept(lfd, NULL, NULL);

			if (cfd >= 0) {
				if (write(cfd, "ok\n", 3) < 0)
					(void)0;
				close(cfd);
			}
		}
	}
}

__attribute__((no_sanitize("undefined", "address"), noinline))
static void crash(void)
{
	volatile int *volatile p = NULL;

	*p = 1;
}

static void write_pid(const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		perror("hms_webd: pidfile");
		exit(1);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_sig };
	int nworkers = 2, daemonize = 0, lfd, one = 1;
	int worker_name = 0;
	pid_t workers[64];
	sigset_t block, old;

	if (argc < 3)
		return 2;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--workers") && i + 1 < argc)
			nworkers = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--daemonize"))
			daemonize = 1;
		else if (!strcmp(argv[i], "--refuse") && i + 1 < argc &&
			 sscanf(argv[++i], "%d:%d", &refuse_port,
				&refuse_n) == 2)
			;
		else if (!strcmp(argv[i], "--worker-name"))
			worker_name = 1;
		else
			return 2;
	}
	if (nworkers < 0 || nworkers > 64)
		return 2;
	if (daemonize) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (p > 0)
			return 0;
		setsid();
	}
	sigaction(SIGUSR1, &act, NULL);
	sigaction(SIGUSR2, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	signal(SIGCHLD, SIG_IGN);	/* workers reaped by the kernel */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("hms_webd: bind");
		return 1;
	}
	write_pid(argv[2]);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < nworkers; i++) {
		workers[i] = fork();
		if (workers[i] == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			if (worker_name)
				prctl(PR_SET_NAME, "webd-worker", 0, 0, 0);
			worker(lfd);
		}
	}
	while (!got_term) {
		if (got_usr2)
			crash();	/* the workers stay, holding the port */
		sigsuspend(&old);	/* no signal lost between check and wait */
	}
	for (int i = 0; i < nworkers; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGTERM);
	return 0;
}

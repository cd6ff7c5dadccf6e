// SPDX-License-Identifier: BSD-2-Clause
/* hms_service.c - a small service for the probe and network tests, not
 * linked with anything of the daemon:
 *
 *   hms_service http PORT CTLFILE   an HTTP/1.0 server on 127.0.0.1:PORT;
 *                                   before each answer it reads CTLFILE:
 *                                   "ok" (or no file) 200, "500" 500,
 *                                   "hang" accept and never answer,
 *                                   "closed" close the listening socket
 *                                   (connects are refused) and keep running
 *   hms_service refuse PORT N MS    N connects to 127.0.0.1:PORT (a closed
 *                                   port: each refused), MS apart, then
 *                                   run until killed; N = 0: forever
 *   hms_service absent FILE         exit 0 when FILE does not exist, else 1
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define MAX_HUNG	64

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0)
		;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void read_mode(const char *path, char *mode, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(mode, len, "ok");
	if (!f)
		return;
	if (!fgets(mode, (int)len, f))
		snprintf(mode, len, "ok");
	mode[strcspn(mode, " \r\n")] = '\0';
	fclose(f);
}

static int listen_on(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int http(int port, const char *ctl)
{
	int hung[MAX_HUNG], n_hung = 0;
	int lfd = -1;
	char mode[32], buf[1024];

	for (int i = 0; i < 100 && lfd < 0; i++) {
		lfd = listen_on(port);
		if (lfd < 0)
			nap_ms(50);	/* the old instance may still hold it */
	}
	if (lfd < 0)
		return 3;
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		const char *status;
		int c;

		read_mode(ctl, mode, sizeof(mode));
		if (!strcmp(mode, "closed")) {
			if (lfd >= 0)
				close(lfd);
			lfd = -1;
			nap_ms(100);
			continue;
		}
		if (lfd < 0 && (lfd = listen_on(port)) < 0) {
			nap_ms(100);
			continue;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		read_mode(ctl, mode, sizeof(mode));
		if (!strcmp(mode, "hang")) {
			if (n_hung == MAX_HUNG)
				close(hung[--n_hung]);
			hung[n_hung++] = c;
			continue;
		}
		(void)!read(c, buf, sizeof(buf));
		status = !strcmp(mode, "500") ? "500 Internal Server Error" :
			 "200 OK";
		snprintf(buf, sizeof(buf), "HTTP/1.0 %s\r\nContent-Length: 3"
			 "\r\nConnection: close\r\n\r\nok\n", status);
		(void)!write(c, buf, strlen(buf));
		close(c);
	}
}

static int refuse(int port, long n, long ms)
{
	for (long i = 0; !n || i < n; i++) {
		struct sockaddr_in a = loopback(port);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return 3;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			close(fd);
			return 4;	/* the port was meant to be closed */
		}
		close(fd);
		nap_ms(ms);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc > 3 && !strcmp(argv[1], "http"))
		return http(atoi(argv[2]), argv[3]);
	if (argc > 4 && !strcmp(argv[1], "refuse"))
		return refuse(atoi(argv[2]), atol(argv[3]), atol(argv[4]));
	if (argc > 2 && !strcmp(argv[1], "absent"))
		return access(argv[2], F_OK) ? 0 : 1;
	fprintf(stderr, "usage: hms_service http PORT CTLFILE | refuse PORT N "
		"MS | absent FILE\n");
	return 2;
}

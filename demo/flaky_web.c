// SPDX-License-Identifier: BSD-2-Clause
/* flaky_web.c - hms-demo-web, the demo's web server that refuses
 * connections in bursts: it answers "HTTP/1.0 200 OK" on 127.0.0.1:PORT,
 * but every UP_MIN..UP_MAX seconds it closes its listening socket for a
 * burst of BURST_S seconds (connects are refused: the health probe
 * fails), then listens again.  The healer's tcp probe sees the burst and
 * restarts it, which is quicker than waiting.  Not linked with the daemon.
 *
 *   hms-demo-web PORT [UP_MIN UP_MAX BURST_S]    defaults 8 20 15
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

static int web_listen(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 64) < 0) {
		perror("hms-demo-web: listen");
		close(fd);
		return -1;
	}
	return fd;
}

static void web_answer(int lfd)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain"
				 "\r\nContent-Length: 3\r\n\r\nok\n";
	char buf[1024];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* a probe may connect and close without a request */
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 200) > 0 && read(fd, buf, sizeof(buf)) > 0 &&
	    write(fd, ok, sizeof(ok) - 1) < 0)
		perror("hms-demo-web: write");
	close(fd);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 0;
	long up_min = argc > 4 ? atol(argv[2]) : 8;
	long up_max = argc > 4 ? atol(argv[3]) : 20;
	long burst = argc > 4 ? atol(argv[4]) : 15;
	time_t next;
	int lfd;

	if (port < 1 || port > 65535 || up_min < 1 || up_max < up_min ||
	    burst < 1) {
		fprintf(stderr, "usage: hms-demo-web PORT [UP_MIN UP_MAX "
			"BURST_S]\n");
		return 2;
	}
	srand((unsigned)(time(NULL) ^ getpid()));
	lfd = web_listen(port);
	if (lfd < 0)
		return 1;
	next = time(NULL) + up_min + rand() % (up_max - up_min + 1);
	printf("hms-demo-web: pid %d serving 127.0.0.1:%d\n", getpid(), port);
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int n = poll(&p, lfd >= 0 ? 1 : 0, 1000);

		if (n > 0)
			web_answer(lfd);
		if (time(NULL) < next)
			continue;
		if (lfd >= 0) {
			printf("hms-demo-web: refusing connections for %ld s\n",
			       burst);
			close(lfd);
			lfd = -1;
			next = time(NULL) + burst;
		} else {
			lfd = web_listen(port);
			printf("hms-demo-web: serving again\n");
			next = time(NULL) + up_min +
			       rand() % (up_max - up_min + 1);
		}
		fflush(stdout);
	}
}

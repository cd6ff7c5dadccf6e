/* view.c - the pane program: socket, terminal and keys around the pure
 * state (view_state.c) and renderers (view_render.c).
 *
 * It sleeps in poll() on the socket, the keyboard and a signalfd
 * (SIGWINCH, SIGINT, SIGTERM); every push is applied and the screen is
 * redrawn at most once per VIEW_MIN_FRAME_MS.  Colour is added only on a
 * tty.  When the daemon goes away the pane says so and retries every
 * second.  --trace FILE (or $HMS_VIEW_TRACE) appends "frame <events-seen>"
 * after every redraw so that bench/bench_dashboard.c can time a push all
 * the way to the screen. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "publisher.h"
#include "view.h"
#include "view_render.h"
#include "view_state.h"

#define VIEW_MIN_FRAME_MS	20
#define VIEW_RETRY_MS		1000

struct view {
	const char *path, *trace;
	struct view_state *st;
	struct view_ui ui;
	struct view_screen *prev;	/* last frame painted */
	int fd, sfd, tty, trace_fd, w, h, fixed_size, dirty;
	char *in;
	size_t in_len, in_cap;
	uint64_t events_seen, last_frame_ms, next_retry_ms, req_id;
	int filter_edit, was_connected;
	struct termios saved;
	int raw;
};

static uint64_t view_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void view_write(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

static void view_puts(const char *s)
{
	view_write(STDOUT_FILENO, s, strlen(s));
}

static const char *const view_sgr[VA_MAX] = {
	[VA_NORMAL] = "", [VA_HEADER] = "\033[1;7m", [VA_FOOTER] = "\033[7m",
	[VA_SELECT] = "\033[7m", [VA_FAIL] = "\033[1;31m",
	[VA_WARN] = "\033[33m", [VA_OK] = "\033[32m", [VA_DIM] = "\033[2m",
	[VA_RED] = "\033[31m", [VA_MAGENTA] = "\033[35m",
	[VA_YELLOW] = "\033[33m", [VA_CYAN] = "\033[36m",
	[VA_BLUE] = "\033[34m", [VA_GREEN] = "\033[32m",
	[VA_BOLDRED] = "\033[1;31m",
};

static void view_size(struct view *v)
{
	struct winsize ws;

	if (v->fixed_size)
		return;
	if (v->tty && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col &&
	    ws.ws_row) {
		v->w = ws.ws_col;
		v->h = ws.ws_row;
	}
}

/* Write the lines that differ from the previous frame (all of them after
 * a resize), each positioned absolutely: a pane with a few changed rows
 * costs the terminal a few rows. */
static void view_paint(struct view *v, const struct view_screen *scr)
{
	const struct view_screen *old = v->prev;
	size_t len = 0, cap = 16;
	char *buf;
	int i;

	if (old && (old->w != scr->w || old->h != scr->h))
		old = NULL;
	for (i = 0; i < scr->h; i++)
		cap += strlen(scr->lines[i].text) + 32;
	buf = malloc(cap);
	if (!buf)
		return;
	for (i = 0; i < scr->h; i++) {
		if (old && old->lines[i].attr == scr->lines[i].attr &&
		    !strcmp(old->lines[i].text, scr->lines[i].text))
			continue;
		len += sprintf(buf + len, "\033[%d;1H%s%s\033[0m", i + 1,
			       view_sgr[scr->lines[i].attr],
			       scr->lines[i].text);
	}
	view_write(STDOUT_FILENO, buf, len);
	free(buf);
}

static void view_draw(struct view *v)
{
	struct view_screen *scr;
	char *text, trace[64];
	size_t len;

	view_size(v);
	if (view_screen_new(v->w, v->h, &scr))
		return;
	view_render(v->st, &v->ui, scr);
	if (!v->tty) {
		text = view_screen_text(scr);
		if (text) {
			view_write(STDOUT_FILENO, text, strlen(text));
			view_write(STDOUT_FILENO, "\f\n", 2);
		}
		free(text);
	} else {
		view_paint(v, scr);
	}
	view_screen_free(v->prev);
	v->prev = scr;
	v->dirty = 0;
	v->last_frame_ms = view_now_ms();
	if (v->trace_fd >= 0) {
		len = snprintf(trace, sizeof(trace), "frame %llu\n",
			       (unsigned long long)v->events_seen);
		view_write(v->trace_fd, trace, len);
	}
}

static void view_send(struct view *v, json_t *req)
{
	char *s = json_dumps(req, JSON_COMPACT);

	json_decref(req);
	if (s && v->fd >= 0 && (send(v->fd, s, strlen(s), MSG_NOSIGNAL) < 0 ||
				send(v->fd, "\n", 1, MSG_NOSIGNAL) < 0))
		(void)0;	/* a dead socket shows up as EOF on read */
	free(s);
}

static void view_request(struct view *v, const char *verb)
{
	if (!v->ui.selected[0]) {
		snprintf(v->st->result, sizeof(v->st->result),
			 "%s: select a component row first", verb);
		v->st->result_ok = 0;
		v->dirty = 1;
		return;
	}
	view_send(v, json_pack("{ss ss sI}", "cmd", verb, "component",
			       v->ui.selected, "id", (json_int_t)++v->req_id));
}

static const char *view_topics(int kind)
{
	switch (kind) {
	case VIEW_PROCESSES: return "[\"procs\",\"components\"]";
	case VIEW_EVENTS: return "[\"events\"]";
	case VIEW_METRICS: return "[\"metrics\"]";
	default: return "[\"strategies\",\"components\"]";
	}
}

static void view_disconnect(struct view *v, const char *why)
{
	char copy[sizeof(v->ui.status)];
	uint64_t retry = view_now_ms() + VIEW_RETRY_MS;

	snprintf(copy, sizeof(copy), "%s", why);	/* why may be status */
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	v->in_len = 0;
	v->ui.connected = 0;
	snprintf(v->ui.status, sizeof(v->ui.status),
		 "%.50s - reconnecting to %.60s", copy, v->path);
	if (v->next_retry_ms < retry)	/* a refusal asked for longer */
		v->next_retry_ms = retry;
	v->dirty = 1;
}

static void view_connect(struct view *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *topics;

	v->next_retry_ms = view_now_ms() + VIEW_RETRY_MS;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", v->path);
	v->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (v->fd < 0 || connect(v->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		char why[96];

		snprintf(why, sizeof(why), "%s (%s)", v->was_connected ?
			 "lost the daemon" : "no daemon", strerror(errno));
		view_disconnect(v, why);
		return;
	}
	topics = json_loads(view_topics(v->ui.kind), 0, NULL);
	view_send(v, json_pack("{ss so}", "cmd", "subscribe", "topics", topics));
	v->ui.connected = 1;
	v->was_connected = 1;
	v->ui.status[0] = '\0';
	v->dirty = 1;
}

static void view_message(struct view *v, const char *line, size_t len)
{
	json_t *msg = json_loadb(line, len, 0, NULL);
	const char *type = json_string_value(json_object_get(msg, "type"));
	int ch;

	if (type && !strcmp(type, "error")) {
		snprintf(v->ui.status, sizeof(v->ui.status),
			 "refused by the daemon: %.80s",
			 json_string_value(json_object_get(msg, "message")) ?: "?");
		v->next_retry_ms = view_now_ms() + 5 * VIEW_RETRY_MS;
		v->dirty = 1;
	} else if (msg) {
		ch = view_state_apply(v->st, msg);
		if (type && !strcmp(type, "event"))
			v->events_seen++;
		if (ch > 0)
			v->dirty = 1;
	}
	json_decref(msg);
}

static void view_read(struct view *v)
{
	char *nl;
	ssize_t n;

	for (;;) {
		if (v->in_cap - v->in_len < 65536) {
			char *b = realloc(v->in, v->in_cap * 2 + 65536);

			if (!b) {
				view_disconnect(v, "out of memory");
				return;
			}
			v->in = b;
			v->in_cap = v->in_cap * 2 + 65536;
		}
		n = recv(v->fd, v->in + v->in_len, v->in_cap - v->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (!v->ui.status[0])
				view_disconnect(v, "lost the daemon");
			else
				view_disconnect(v, v->ui.status);
			return;
		}
		v->in_len += n;
	}
	{
		size_t off = 0;

		while ((nl = memchr(v->in + off, '\n', v->in_len - off))) {
			view_message(v, v->in + off, nl - (v->in + off));
			off = nl - v->in + 1;
		}
		memmove(v->in, v->in + off, v->in_len - off);
		v->in_len -= off;
	}
}

/* Filter editing in the events view: printable keys append, Enter ends,
 * Esc cancels, Backspace erases. */
static void view_filter_key(struct view *v, unsigned char k)
{
	size_t len = strlen(v->ui.filter);

	if (k == '\r' || k == '\n') {
		v->filter_edit = 0;
	} else if (k == 0x1b) {
		v->filter_edit = 0;
		v->ui.filter[0] = '\0';
	} else if ((k == 0x7f || k == 8) && len) {
		v->ui.filter[len - 1] = '\0';
	} else if (k >= 0x20 && k < 0x7f && len + 1 < sizeof(v->ui.filter)) {
		v->ui.filter[len] = k;
		v->ui.filter[len + 1] = '\0';
	}
	snprintf(v->ui.status, sizeof(v->ui.status), "%s%s",
		 v->filter_edit ? "filter (name, kind or any text): " : "",
		 v->filter_edit ? v->ui.filter : "");
}

/* Returns 1 when the pane should quit. */
static int view_keys(struct view *v)
{
	unsigned char buf[64];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf)), i;
	int page = v->h > 4 ? v->h - 4 : 1, down;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return 1;	/* the terminal went away */
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char k = buf[i];

		v->dirty = 1;
		if (v->filter_edit) {
			view_filter_key(v, k);
			continue;
		}
		/* arrows and pages: ESC [ A/B/5~/6~ */
		if (k == 0x1b && i + 2 < n && buf[i + 1] == '[') {
			k = buf[i + 2] == 'A' ? 'k' : buf[i + 2] == 'B' ? 'j' :
			    buf[i + 2] == '5' ? 'K' : buf[i + 2] == '6' ? 'J' : 0;
			i += 2 + (buf[i + 2] == '5' || buf[i + 2] == '6');
		}
		down = v->ui.kind == VIEW_PROCESSES ? 1 : -1;
		switch (k) {
		case 'q':
			return 1;
		case 0x0c:		/* ^L: repaint everything */
			view_screen_free(v->prev);
			v->prev = NULL;
			view_puts("\033[2J");
			break;
		case 'j': case 'J': case 'k': case 'K': {
			long d = (k == 'j' || k == 'k') ? 1 : page;
			size_t *pos = v->ui.kind == VIEW_PROCESSES ?
				      &v->ui.cursor : &v->ui.scroll;

			if (k == 'k' || k == 'K')
				d = -d;
			d *= down;
			*pos = d < 0 && (size_t)-d > *pos ? 0 : *pos + d;
			break;
		}
		case 'g':
			v->ui.cursor = v->ui.scroll = 0;
			break;
		case 's':
			v->ui.sort = (v->ui.sort + 1) % VIEW_SORT_MAX;
			break;
		case '/':
			if (v->ui.kind == VIEW_EVENTS ||
			    v->ui.kind == VIEW_PROCESSES) {
				v->filter_edit = 1;
				v->ui.filter[0] = '\0';
				view_filter_key(v, 0);
			}
			break;
		case 'c':
			v->ui.filter[0] = '\0';
			break;
		case 'h':
			view_request(v, "heal");
			break;
		case 'p':
			view_request(v, "pause");
			break;
		case 'r':
			view_request(v, "resume");
			break;
		case 'a':
			view_request(v, "ack");
			break;
		}
	}
	return 0;
}

static struct termios *view_saved_tty;

static void view_restore(void)
{
	if (view_saved_tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, view_saved_tty);
		view_puts("\033[0m\033[?7h\033[?25h\033[?1049l");
		view_saved_tty = NULL;
	}
}

static void view_tty_setup(struct view *v)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &v->saved))
		return;
	raw = v->saved;
	raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_iflag &= ~(IXON | ICRNL);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return;
	view_saved_tty = &v->saved;
	atexit(view_restore);
	/* alternate screen, no cursor, no autowrap (a full last column must
	 * not scroll the pane) */
	view_puts("\033[?1049h\033[?25l\033[?7l\033[2J");
}

static int view_usage(void)
{
	fprintf(stderr, "usage: hms-ebpf view processes|events|metrics|"
		"strategies [--socket PATH] [--size WxH] [--trace FILE]\n");
	return 2;
}

static int view_args(struct view *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "trace", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			v->path = optarg;
			break;
		case 'z':
			if (sscanf(optarg, "%dx%d", &v->w, &v->h) != 2 ||
			    v->w < 20 || v->h < 5 || v->w > 1000 || v->h > 1000)
				return -EINVAL;
			v->fixed_size = 1;
			break;
		case 't':
			v->trace = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind + 1 != argc)
		return -EINVAL;
	v->ui.kind = view_kind_from_name(argv[optind]);
	return v->ui.kind < 0 ? -EINVAL : 0;
}

static int view_run(struct view *v)
{
	struct pollfd pfd[3];
	uint64_t now;
	int timeout;

	for (;;) {
		now = view_now_ms();
		if (v->fd < 0 && now >= v->next_retry_ms)
			view_connect(v);
		if (v->dirty && now - v->last_frame_ms >= VIEW_MIN_FRAME_MS)
			view_draw(v);
		timeout = -1;
		if (v->dirty)
			timeout = VIEW_MIN_FRAME_MS;
		else if (v->fd < 0)
			timeout = (int)(v->next_retry_ms > now ?
					v->next_retry_ms - now : 0);
		pfd[0] = (struct pollfd){ .fd = v->sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = v->tty ? STDIN_FILENO : -1,
					  .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = v->fd, .events = POLLIN };
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			return 1;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(v->sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGWINCH)
				return 0;
			v->dirty = 1;
		}
		if ((pfd[1].revents & (POLLIN | POLLHUP)) && view_keys(v))
			return 0;
		if (v->fd >= 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
			view_read(v);
	}
}

int view_main(int argc, char **argv)
{
	struct view v = { .path = PUBLISHER_DEFAULT_PATH, .fd = -1,
			  .trace_fd = -1, .w = 80, .h = 24 };
	sigset_t mask;
	int err;

	if (view_args(&v, argc, argv))
		return view_usage();
	if (view_state_new(&v.st))
		return 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	v.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	if (!v.trace)
		v.trace = getenv("HMS_VIEW_TRACE");
	if (v.trace)
		v.trace_fd = open(v.trace, O_WRONLY | O_APPEND | O_NONBLOCK |
				  O_CLOEXEC);
	v.tty = isatty(STDOUT_FILENO);
	if (v.tty)
		view_tty_setup(&v);
	v.dirty = 1;
	err = view_run(&v);
	view_restore();
	if (v.fd >= 0)
		close(v.fd);
	if (v.sfd >= 0)
		close(v.sfd);
	if (v.trace_fd >= 0)
		close(v.trace_fd);
	free(v.in);
	view_screen_free(v.prev);
	view_state_free(v.st);
	return err;
}

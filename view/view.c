// SPDX-License-Identifier: BSD-2-Clause
/* view.c - the pane program: `hms-ebpf view NAME`.  The state
 * (view_state.c) and the renderers (view_render.c) are pure; this file is
 * the socket and the main loop, view_term.c the terminal and the keys.
 *
 * It sleeps in poll() on the socket, the keyboard and a signalfd
 * (SIGWINCH, SIGINT, SIGTERM, SIGHUP); every push is applied and the
 * screen is redrawn at most once per VIEW_MIN_FRAME_MS (pushes that come
 * while a frame waits are read just before it).  When the daemon
 * goes away the pane says so and retries every second.  With --once,
 * --json or an output that is not a terminal it draws one frame once the
 * first snapshot is there and exits (a pipe never gets frames forever).
 * --trace FILE (or $HMS_VIEW_TRACE) appends "frame <events-seen>" after
 * every redraw so that bench/bench_dashboard.c can time a push all the
 * way to the screen. */
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
#include <unistd.h>

#include "hms_proto.h"
#include "view.h"
#include "view_int.h"

static void view_send(struct view *v, json_t *req)
{
	char *s = json_dumps(req, JSON_COMPACT), *line = NULL;

	json_decref(req);
	/* one line, one send: the daemon reads whole lines anyway */
	if (s && v->fd >= 0 && asprintf(&line, "%s\n", s) > 0 &&
	    send(v->fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		(void)0;	/* a dead socket shows up as EOF on read */
	free(line);
	free(s);
}

void view_request(struct view *v, const char *verb)
{
	if (!v->ui.selected[0]) {
		snprintf(v->st->result, sizeof(v->st->result),
			 "%s: select a component row first", verb);
		v->st->result_ok = 0;
		v->dirty = 1;
		return;
	}
	view_send(v, json_pack("{ss ss sI}", HMS_PROTO_KEY_CMD, verb,
			       "component", v->ui.selected, "id",
			       (json_int_t)++v->req_id));
}

static unsigned int view_topic_bits(int kind)
{
	switch (kind) {
	case VIEW_PROCESSES:
		return (1u << HMS_TOPIC_PROCS) | (1u << HMS_TOPIC_COMPONENTS);
	case VIEW_EVENTS:
		return 1u << HMS_TOPIC_EVENTS;
	case VIEW_METRICS:
		return 1u << HMS_TOPIC_METRICS;
	default:
		return (1u << HMS_TOPIC_STRATEGIES) |
		       (1u << HMS_TOPIC_COMPONENTS);
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
	snprintf(v->ui.status, sizeof(v->ui.status), v->once ?
		 "%.50s at %.100s" : "%.50s - reconnecting to %.60s", copy,
		 v->path);
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
	topics = json_array();
	for (unsigned int t = 0; t < HMS_TOPIC_MAX; t++)
		if (view_topic_bits(v->ui.kind) & (1u << t))
			json_array_append_new(topics,
					      json_string(hms_topic_name(t)));
	view_send(v, json_pack("{ss so}", HMS_PROTO_KEY_CMD, HMS_CMD_SUBSCRIBE,
			       "topics", topics));
	v->ui.connected = 1;
	v->was_connected = 1;
	v->ui.status[0] = '\0';
	v->dirty = 1;
}

static void view_message(struct view *v, const char *line, size_t len)
{
	json_t *msg = json_loadb(line, len, 0, NULL);
	const char *type = json_string_value(json_object_get(msg, HMS_PROTO_KEY_TYPE));
	int ch;

	if (type && !strcmp(type, HMS_MSG_ERROR)) {
		snprintf(v->ui.status, sizeof(v->ui.status),
			 "refused by the daemon: %.80s",
			 json_string_value(json_object_get(msg, "message")) ?: "?");
		if (v->once)
			v->exit_code = 1;
		v->next_retry_ms = view_now_ms() + 5 * VIEW_RETRY_MS;
		v->dirty = 1;
	} else if (msg) {
		json_t *ver = json_object_get(msg, "version");

		if (type && !strcmp(type, HMS_MSG_HELLO) &&
		    json_integer_value(ver) != HMS_PROTO_VERSION)
			snprintf(v->ui.status, sizeof(v->ui.status),
				 "the daemon speaks protocol %d, this pane %d: "
				 "restart the pane", (int)json_integer_value(ver),
				 HMS_PROTO_VERSION);
		ch = view_state_apply(v->st, msg);
		if (type && !strcmp(type, HMS_MSG_EVENT))
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

static const char view_help_text[] =
"Usage: hms-ebpf view NAME [--socket PATH] [--size WxH] [--once] [--json]\n"
"                          [--ascii] [--filter TEXT] [--trace FILE]\n"
"A dashboard pane: draws view NAME from what the daemon pushes on its\n"
"socket and redraws when an update arrives.  The daemon runs these in its\n"
"tmux session; run one by hand in any terminal to watch a running daemon.\n"
"Views: processes, events, metrics, strategies.\n"
"\n"
"      --socket PATH    the daemon's socket (default " HMS_PROTO_SOCKET ")\n"
"      --size WxH       draw at this size instead of the terminal's\n"
"                       (--once to a pipe: 80x24 unless given)\n"
"      --once           draw one frame once the daemon's snapshot is there,\n"
"                       as plain text, and exit (also what happens when\n"
"                       the output is not a terminal)\n"
"      --json           print the view's data as one JSON document and\n"
"                       exit (for scripts; implies --once)\n"
"      --ascii          ASCII only: bars, graphs and marks (also with\n"
"                       TERM=dumb)\n"
"      --filter TEXT    start with this filter (processes, events; in the\n"
"                       events view a component's name: its history)\n"
"      --trace FILE     append \"frame N\" to FILE after every redraw (for\n"
"                       bench/bench_dashboard; also $HMS_VIEW_TRACE)\n"
"  -h, --help           print this help and exit\n"
"\n"
"Keys (? in a pane lists them): q quit, j/k or arrows move, J/K or\n"
"PgDn/PgUp page, g/G first/last, s sort, / filter (events: a component's\n"
"name shows its history), c clear the filter, x show exited processes,\n"
"^L repaint; on the selected component (socket_group members and root\n"
"only): R restart now, S stop, P pause healing (these three ask y/N),\n"
"T start, u resume healing, a acknowledge.\n"
"\n"
"ENVIRONMENT\n"
"  NO_COLOR     set and not empty: no colours or other attributes\n"
"  TERM=dumb    no colours, no cursor movement (whole frames), ASCII\n"
"  LC_ALL, LC_CTYPE, LANG  the first set: not UTF-8 (C, ...): ASCII\n"
"               (not inside tmux, which translates for its clients)\n"
"\n"
"EXIT STATUS\n"
"  0  quit (q, SIGINT, SIGTERM, SIGHUP, or the terminal went away), or\n"
"     --once/--json printed its frame\n"
"  1  runtime failure (--once: no daemon, refused, or no snapshot in 10 s)\n"
"  2  usage error\n";

static int view_usage(void)
{
	fprintf(stderr, "usage: hms-ebpf view processes|events|metrics|"
		"strategies [--socket PATH] [--size WxH] [--once] [--json]\n"
		"       [--ascii] [--filter TEXT] [--trace FILE]\n"
		"Try 'hms-ebpf view --help'.\n");
	return 2;
}

/* --help anywhere in the arguments: the help, nothing else. */
static int view_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static int view_args(struct view *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "trace", required_argument, NULL, 't' },
		{ "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "filter", required_argument, NULL, 'f' },
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
		case 'o':
			v->once = 1;
			break;
		case 'j':
			v->json = v->once = 1;
			break;
		case 'a':
			v->ui.ascii = 1;
			break;
		case 'f':
			snprintf(v->ui.filter, sizeof(v->ui.filter), "%s",
				 optarg);
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

/* A terminal whose locale says it is not UTF-8 (LC_ALL, LC_CTYPE or LANG
 * set to something else, e.g. C or en_US.ISO-8859-1) gets ASCII; inside
 * tmux never (tmux translates for its clients), nor when none is set. */
static int view_locale_ascii(void)
{
	const char *names[] = { "LC_ALL", "LC_CTYPE", "LANG" }, *l = NULL;

	if (getenv("TMUX"))
		return 0;
	for (int i = 0; i < 3 && !l; i++)
		if (getenv(names[i]) && getenv(names[i])[0])
			l = getenv(names[i]);
	return l && !strcasestr(l, "utf-8") && !strcasestr(l, "utf8");
}

static int view_run(struct view *v)
{
	struct pollfd pfd[3];
	uint64_t now;
	int timeout;

	uint64_t deadline = view_now_ms() + VIEW_ONCE_MS;

	for (;;) {
		now = view_now_ms();
		if (v->once) {
			if (v->fd < 0 && v->was_connected && !v->exit_code)
				v->exit_code = 1;
			if (v->fd < 0 && !v->was_connected)
				view_connect(v);
			if (v->fd < 0 || v->exit_code || now >= deadline) {
				fprintf(stderr, "hms-ebpf view: %s\n",
					v->ui.status[0] ? v->ui.status :
					"no snapshot from the daemon in time");
				return 1;
			}
			if (v->st->loaded) {
				view_draw(v);
				return 0;
			}
			timeout = (int)(deadline - now);
			goto wait;
		}
		if (v->fd < 0 && now >= v->next_retry_ms)
			view_connect(v);
		if (v->dirty && now - v->last_frame_ms >= v->min_frame_ms) {
			/* what came while the frame waited goes in it */
			if (v->fd >= 0)
				view_read(v);
			view_draw(v);
		}
		timeout = -1;
		if (v->dirty)
			timeout = (int)(v->last_frame_ms + v->min_frame_ms > now ?
					v->last_frame_ms + v->min_frame_ms - now :
					0);
		else if (v->fd < 0)
			timeout = (int)(v->next_retry_ms > now ?
					v->next_retry_ms - now : 0);
wait:
		pfd[0] = (struct pollfd){ .fd = v->sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = v->tty ? STDIN_FILENO : -1,
					  .events = POLLIN };
		/* while a frame waits for its time, pushes wait in the
		 * socket and are read all at once just before it: a busy
		 * stream wakes the pane once per frame, not once per push */
		pfd[2] = (struct pollfd){ .fd = v->dirty && timeout > 0 &&
					  !v->once ? -1 : v->fd,
					  .events = POLLIN };
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
	struct view v = { .path = HMS_PROTO_SOCKET, .fd = -1,
			  .trace_fd = -1, .w = 80, .h = 24,
			  .min_frame_ms = VIEW_MIN_FRAME_MS };
	const char *term = getenv("TERM"), *nc = getenv("NO_COLOR");
	sigset_t mask;
	int err;

	if (view_wants_help(argc, argv)) {
		fputs(view_help_text, stdout);
		return 0;
	}
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
	v.dumb = term && !strcmp(term, "dumb");
	v.no_color = v.dumb || (nc && nc[0]);
	if (view_locale_ascii())
		v.ui.ascii = 1;
	if (v.dumb) {
		v.ui.ascii = 1;
		v.min_frame_ms = VIEW_DUMB_FRAME_MS;
	}
	if (!v.tty)
		v.once = 1;	/* a pipe or a file: one frame, not forever */
	if (v.once && !v.json && v.tty && !v.fixed_size) {
		struct winsize ws;	/* --once on a terminal: its size */

		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col &&
		    ws.ws_row) {
			v.w = ws.ws_col;
			v.h = ws.ws_row;
		}
	}
	if (v.once)
		v.tty = 0;	/* plain text, no raw mode */
	if (v.tty)
		view_tty_setup(&v);
	v.dirty = 1;
	err = view_run(&v);
	if (err == 0 && v.exit_code)
		err = v.exit_code;
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

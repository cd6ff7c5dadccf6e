// SPDX-License-Identifier: BSD-2-Clause
/* view_term.c - the pane's terminal: raw mode and the alternate screen,
 * painting frames (colour only on a tty and without NO_COLOR or
 * TERM=dumb, only the lines that changed; whole plain frames on a dumb
 * terminal) and the keys (move, sort, filter, help; the acting keys are
 * capitals away from the navigation letters, and the destructive ones
 * ask y/N first). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hms_proto.h"
#include "view_int.h"

uint64_t view_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void view_write(int fd, const char *s, size_t len)
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

void view_puts(const char *s)
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
		if (v->no_color)
			len += sprintf(buf + len, "\033[%d;1H%s", i + 1,
				       scr->lines[i].text);
		else
			len += sprintf(buf + len, "\033[%d;1H%s%s\033[0m",
				       i + 1, view_sgr[scr->lines[i].attr],
				       scr->lines[i].text);
	}
	view_write(STDOUT_FILENO, buf, len);
	free(buf);
}

void view_draw(struct view *v)
{
	struct view_screen *scr;
	char *text, trace[64];
	size_t len;

	view_size(v);
	if (view_screen_new(v->w, v->h, &scr))
		return;
	view_render(v->st, &v->ui, scr);
	if (v->json) {
		text = view_json(v->st, &v->ui);
		if (text) {
			view_write(STDOUT_FILENO, text, strlen(text));
			view_write(STDOUT_FILENO, "\n", 1);
		}
		free(text);
	} else if (!v->tty || v->dumb) {
		/* plain text, one whole frame: --once, a pipe, TERM=dumb */
		text = view_screen_text(scr);
		if (text) {
			if (v->dumb && !v->once)
				view_write(STDOUT_FILENO, "\n", 1);
			view_write(STDOUT_FILENO, text, strlen(text));
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

/* An acting key: destructive verbs ask first (the answer is the next
 * key: y sends, anything else cancels). */
static void view_act_key(struct view *v, const char *verb, int ask)
{
	if (!ask || !v->ui.selected[0]) {
		view_request(v, verb);
		return;
	}
	v->confirm_verb = verb;
	snprintf(v->confirm_comp, sizeof(v->confirm_comp), "%s",
		 v->ui.selected);
	snprintf(v->ui.confirm, sizeof(v->ui.confirm), "%s %s now? y/N",
		 !strcmp(verb, HMS_VERB_HEAL) ? "restart (heal)" : verb,
		 v->confirm_comp);
}

static void view_confirm_key(struct view *v, unsigned char k)
{
	const char *verb = v->confirm_verb;

	v->confirm_verb = NULL;
	v->ui.confirm[0] = '\0';
	if (k != 'y' && k != 'Y') {
		snprintf(v->st->result, sizeof(v->st->result),
			 "%s %s: cancelled", verb, v->confirm_comp);
		v->st->result_ok = 1;
		return;
	}
	/* the row asked about, even if the table moved meanwhile */
	snprintf(v->ui.selected, sizeof(v->ui.selected), "%s",
		 v->confirm_comp);
	view_request(v, verb);
}

/* Returns 1 when the pane should quit. */
int view_keys(struct view *v)
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
		if (v->confirm_verb) {
			view_confirm_key(v, k);
			continue;
		}
		if (v->ui.help) {	/* any key closes the overlay */
			v->ui.help = 0;
			continue;
		}
		/* arrows and pages: ESC [ A/B/5~/6~ */
		if (k == 0x1b && i + 2 < n && buf[i + 1] == '[') {
			k = buf[i + 2] == 'A' ? 'k' : buf[i + 2] == 'B' ? 'j' :
			    buf[i + 2] == '5' ? 'K' : buf[i + 2] == '6' ? 'J' : 0;
			i += 2 + (buf[i + 2] == '5' || buf[i + 2] == '6');
		}
		down = v->ui.kind == VIEW_PROCESSES ||
		       v->ui.kind == VIEW_STRATEGIES ? 1 : -1;
		if (v->st->result[0] && k != 0)
			v->st->result[0] = '\0';	/* seen: keys again */
		switch (k) {
		case 'q':
			return 1;
		case '?':
			v->ui.help = 1;
			break;
		case 0x0c:		/* ^L: repaint everything */
			view_screen_free(v->prev);
			v->prev = NULL;
			if (!v->dumb)
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
		case 'G':
			v->ui.cursor = v->ui.scroll = (size_t)-1 / 2;
			if (v->ui.kind == VIEW_EVENTS)
				v->ui.scroll = 0;
			break;
		case 's':
			v->ui.sort = (v->ui.sort + 1) % VIEW_SORT_MAX;
			break;
		case 'x':
			v->ui.show_exited = !v->ui.show_exited;
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
		}
		if (v->ui.kind != VIEW_PROCESSES)
			continue;
		switch (k) {		/* on the selected component */
		case 'R':
			view_act_key(v, HMS_VERB_HEAL, 1);
			break;
		case 'S':
			view_act_key(v, HMS_VERB_STOP, 1);
			break;
		case 'P':
			view_act_key(v, HMS_VERB_PAUSE, 1);
			break;
		case 'T':
			view_act_key(v, HMS_VERB_START, 0);
			break;
		case 'u':
			view_act_key(v, HMS_VERB_RESUME, 0);
			break;
		case 'a':
			view_act_key(v, HMS_VERB_ACK, 0);
			break;
		}
	}
	return 0;
}

static struct termios *view_saved_tty;
static int view_dumb;

void view_restore(void)
{
	if (view_saved_tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, view_saved_tty);
		if (!view_dumb)
			view_puts("\033[0m\033[?7h\033[?25h\033[?1049l");
		view_saved_tty = NULL;
	}
}

void view_tty_setup(struct view *v)
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
	 * not scroll the pane); a dumb terminal knows none of it */
	if (!v->dumb)
		view_puts("\033[?1049h\033[?25l\033[?7l\033[2J");
	view_dumb = v->dumb;
}

/*
 * metrics.c - Prometheus text exposition at http://LISTEN/metrics, served
 * by libmicrohttpd without threads: its epoll fd sits in the daemon's loop
 * and MHD_run() is called when it is ready (and once a second for its
 * connection timeouts).  Counts come from the bus, the sensors' kernel
 * counters, the process table and the healer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <sys/epoll.h>
#include "bus.h"
#include "event.h"
#include "loop.h"
#include "metrics.h"
#include "proctable.h"
#include "publisher.h"
#include "sensors.h"

struct hms_metrics {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_sensors *sensors;
	struct hms_proctable *pt;
	const struct publisher_sources *src;
	struct MHD_Daemon *mhd;
	struct hms_timer *tick;
	int epfd;
	__u64 bus_events[HMS_EV_TYPE_MAX];
	uint64_t outcomes_ok, outcomes_failed, outcomes_unverified, actions;
};

struct metrics_buf {
	char *s;
	size_t len, cap;
};

static void metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->len + n < b->cap) {
			b->len += n;
			return;
		}
		char *s = realloc(b->s, b->cap * 2 + n);

		if (!s)
			return;
		b->s = s;
		b->cap = b->cap * 2 + n;
	}
}

/* Label values: backslash, quote and newline escaped; other control
 * bytes dropped. */
static void metrics_buf_label(struct metrics_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			metrics_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			metrics_buf_printf(b, "\\n");
		else if ((unsigned char)*v >= 0x20)
			metrics_buf_printf(b, "%c", *v);
	}
}

static void metrics_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct hms_metrics *m = arg;

	if (ev->type < HMS_EV_TYPE_MAX)
		m->bus_events[ev->type]++;
	if (ev->type == HMS_EV_OUTCOME) {
		const struct hms_ev_outcome *o = (const void *)ev;

		if (o->result == HMS_OUTCOME_UNVERIFIED)
			m->outcomes_unverified++;
		else if (o->success)
			m->outcomes_ok++;
		else
			m->outcomes_failed++;
	} else if (ev->type == HMS_EV_ACTION &&
		   ((const struct hms_ev_action *)ev)->phase == 0) {
		m->actions++;
	}
}

/* One counter family with a type label, for types below end. */
static void metrics_per_type(struct metrics_buf *b, const char *name,
			     const char *help, const __u64 *v,
			     unsigned int end)
{
	metrics_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help,
			   name);
	for (unsigned int t = 0; t < end; t++)
		if (event_type_name(t))
			metrics_buf_printf(b, "%s{type=\"%s\"} %llu\n", name,
					   event_type_name(t),
					   (unsigned long long)v[t]);
}

static void metrics_kernel(struct hms_metrics *m, struct metrics_buf *b)
{
	struct hms_ev_stats *st = calloc(1, sizeof(*st));

	if (!st || !m->sensors || sensors_get_stats(m->sensors, st)) {
		free(st);
		return;
	}
	metrics_per_type(b, "hms_kernel_events_total",
			 "Records written by the BPF sensors, by type.",
			 st->events, HMS_EV_STATS);
	metrics_per_type(b, "hms_kernel_drops_total",
			 "Records lost because a ring buffer was full, by type.",
			 st->drops, HMS_EV_STATS);
	metrics_buf_printf(b, "# TYPE hms_ratelimited_total counter\n"
		  "hms_ratelimited_total %llu\n"
		  "# TYPE hms_records_unknown_total counter\n"
		  "hms_records_unknown_total %llu\n"
		  "# TYPE hms_records_short_total counter\n"
		  "hms_records_short_total %llu\n",
		  (unsigned long long)st->ratelimited,
		  (unsigned long long)st->unknown,
		  (unsigned long long)st->short_records);
	free(st);
}

static int metrics_component(const struct publisher_component *c, void *arg)
{
	struct metrics_buf *b = arg;

	metrics_buf_printf(b, "hms_component_up{component=\"");
	metrics_buf_label(b, c->name);
	metrics_buf_printf(b, "\",state=\"");
	metrics_buf_label(b, c->state);
	/* up only on evidence: healthy or degraded with a live process */
	metrics_buf_printf(b, "\"} %d\nhms_component_restarts_total{component=\"",
		  c->pid && (!strcmp(c->state, "healthy") ||
			     !strcmp(c->state, "degraded")));
	metrics_buf_label(b, c->name);
	metrics_buf_printf(b, "\"} %u\n", c->restarts);
	return 0;
}

char *metrics_render(struct hms_metrics *m)
{
	struct metrics_buf b = { .s = malloc(8192), .cap = 8192 };

	if (!b.s)
		return NULL;
	b.s[0] = '\0';
	metrics_buf_printf(&b, "# HELP hms_up 1 while hms-ebpf runs.\n# TYPE hms_up "
		  "gauge\nhms_up 1\n");
	metrics_per_type(&b, "hms_events_total",
			 "Events delivered on the bus, by type.", m->bus_events,
			 HMS_EV_TYPE_MAX);
	metrics_kernel(m, &b);
	if (m->pt)
		metrics_buf_printf(&b, "# TYPE hms_processes gauge\nhms_processes "
			  "%zu\n", proctable_count(m->pt));
	metrics_buf_printf(&b, "# TYPE hms_actions_total counter\nhms_actions_total "
		  "%llu\n# TYPE hms_outcomes_total counter\n"
		  "hms_outcomes_total{result=\"success\"} %llu\n"
		  "hms_outcomes_total{result=\"failure\"} %llu\n"
		  "hms_outcomes_total{result=\"unverified\"} %llu\n",
		  (unsigned long long)m->actions,
		  (unsigned long long)m->outcomes_ok,
		  (unsigned long long)m->outcomes_failed,
		  (unsigned long long)m->outcomes_unverified);
	if (m->src && m->src->components) {
		metrics_buf_printf(&b, "# HELP hms_component_up 1 when the component "
			  "is healthy or degraded with a live process; the state is a label.\n# TYPE "
			  "hms_component_up gauge\n# TYPE "
			  "hms_component_restarts_total counter\n");
		m->src->components(m->src->ctx, metrics_component, &b);
	}
	return b.s;
}

static enum MHD_Result metrics_answer(void *cls, struct MHD_Connection *conn,
				      const char *url, const char *method,
				      const char *version, const char *data,
				      size_t *size, void **req)
{
	struct hms_metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;
	char *page = NULL;

	(void)version;
	(void)data;
	(void)size;
	(void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics")) {
		code = MHD_HTTP_NOT_FOUND;
	} else {
		page = metrics_render(m);
		if (!page)
			code = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	if (!page)
		page = strdup(code == MHD_HTTP_NOT_FOUND ? "not found: try "
			      "/metrics\n" : "unavailable\n");
	r = MHD_create_response_from_buffer(page ? strlen(page) : 0, page,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static void metrics_run(int fd, uint32_t events, void *arg)
{
	struct hms_metrics *m = arg;

	(void)fd;
	(void)events;
	MHD_run(m->mhd);
}

static void metrics_tick(struct hms_timer *t, void *arg)
{
	(void)t;
	metrics_run(-1, 0, arg);
}

static int metrics_addr(const char *listen, struct sockaddr_storage *ss)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;
	long port;
	char *end;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, colon - listen);
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ?
		       0 : -EINVAL;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -EINVAL;
}

int metrics_new(const char *listen, struct hms_loop *loop,
		struct hms_bus *bus, struct hms_sensors *sensors,
		struct hms_proctable *pt, const struct publisher_sources *src,
		struct hms_metrics **out)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct hms_metrics *m;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int err = metrics_addr(listen, &ss);

	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->bus = bus;
	m->sensors = sensors;
	m->pt = pt;
	m->src = src;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, metrics_answer, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_END);
	if (!m->mhd) {
		err = errno ? -errno : -EADDRINUSE;
		goto cleanup;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		err = -ENOTSUP;
		goto cleanup;
	}
	m->epfd = info->epoll_fd;
	err = loop_add_fd(loop, m->epfd, EPOLLIN, metrics_run, m);
	err = err ?: loop_timer_new(loop, metrics_tick, m, &m->tick);
	err = err ?: loop_timer_arm(m->tick, 1000000000ULL, 1000000000ULL);
	err = err ?: bus_subscribe(bus, BUS_ALL, metrics_on_event, m);
	if (err)
		goto cleanup;
	*out = m;
	return 0;
cleanup:
	metrics_free(m);
	return err;
}

void metrics_free(struct hms_metrics *m)
{
	if (!m)
		return;
	bus_unsubscribe(m->bus, BUS_ALL, metrics_on_event, m);
	loop_timer_free(m->tick);
	if (m->mhd) {
		loop_del_fd(m->loop, m->epfd);
		MHD_stop_daemon(m->mhd);
	}
	free(m);
}

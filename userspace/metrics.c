// SPDX-License-Identifier: BSD-2-Clause
/*
 * metrics.c - the Prometheus endpoint at http://LISTEN/metrics, served by
 * libmicrohttpd without threads: its epoll fd sits in the daemon's loop
 * and metrics_mhd.run() is called when it is ready (and once a second for its
 * connection timeouts).  The metrics module is a bus subscriber: it counts
 * failures, outcomes, actions, state changes and alerts from the events
 * themselves; metrics_render.c turns the counts into the text format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include "bus.h"
#include "event.h"
#include "hms_names.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "metrics_int.h"
#include "metrics_mhd.h"
#include "procfs.h"
#include "sensors.h"

const double metrics_dur_bounds[METRICS_DUR_BUCKETS] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
};

struct metrics_series *metrics_series_get(struct metrics_family *f,
					  const char *const *labels)
{
	struct metrics_series *s;
	size_t i;
	int k;

	for (i = 0; i < f->n; i++) {
		for (k = 0; k < METRICS_LABELS && labels[k]; k++)
			if (strncmp(f->v[i].l[k], labels[k], HMS_NAME_LEN - 1))
				break;
		if (k == METRICS_LABELS || !labels[k])
			return &f->v[i];
	}
	if (f->n >= METRICS_MAX_SERIES) {
		f->overflow++;
		return NULL;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;

		s = realloc(f->v, cap * sizeof(*s));
		if (!s)
			return NULL;
		f->v = s;
		f->cap = cap;
	}
	s = &f->v[f->n++];
	memset(s, 0, sizeof(*s));
	for (k = 0; k < METRICS_LABELS && labels[k]; k++)
		snprintf(s->l[k], HMS_NAME_LEN, "%s", labels[k]);
	return s;
}

void metrics_family_free(struct metrics_family *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static void metrics_count(struct metrics_family *f, const char *const *l)
{
	struct metrics_series *s = metrics_series_get(f, l);

	if (s)
		s->n++;
}

static void metrics_observe(struct metrics_family *f, const char *const *l,
			    double v)
{
	struct metrics_series *s = metrics_series_get(f, l);

	if (!s)
		return;
	s->n++;
	s->sum += v;
	for (int i = 0; i < METRICS_DUR_BUCKETS; i++)
		if (v <= metrics_dur_bounds[i])
			s->buckets[i]++;
}

/* Fixed-size name fields of events may lack their NUL: every one is
 * copied with a bound before use. */
static void metrics_on_failure(struct hms_metrics *m,
			       const struct hms_ev_failure *e)
{
	char comp[HMS_NAME_LEN + 1], cls[HMS_NAME_LEN + 1];

	snprintf(comp, sizeof(comp), "%.*s", HMS_NAME_LEN, e->component);
	snprintf(cls, sizeof(cls), "%.*s", HMS_NAME_LEN, e->failure);
	if (comp[0])
		metrics_count(&m->failures, (const char *[]){ comp, cls, NULL });
	else
		metrics_count(&m->host_failures, (const char *[]){ cls, NULL });
}

static void metrics_on_outcome(struct hms_metrics *m,
			       const struct hms_ev_outcome *e)
{
	char comp[HMS_NAME_LEN + 1], cls[HMS_NAME_LEN + 1];
	char strat[HMS_NAME_LEN + 1];
	/* success, failure or unverified (a chain that only told) */
	const char *result = hms_outcome_result_name(
		e->result == HMS_OUTCOME_UNVERIFIED ? HMS_OUTCOME_UNVERIFIED :
		e->success ? HMS_OUTCOME_SUCCESS : HMS_OUTCOME_FAILURE);

	snprintf(comp, sizeof(comp), "%.*s", HMS_NAME_LEN, e->component);
	snprintf(cls, sizeof(cls), "%.*s", HMS_NAME_LEN, e->failure);
	snprintf(strat, sizeof(strat), "%.*s", HMS_NAME_LEN,
		 e->strategy[0] ? e->strategy : "none");
	metrics_count(&m->recoveries,
		      (const char *[]){ comp, cls, strat, result, NULL });
	/* the time to recover exists only where a recovery happened */
	if (e->success)
		metrics_observe(&m->durations,
				(const char *[]){ comp, cls, NULL },
				e->recover_ns / 1e9);
}

static void metrics_on_action(struct hms_metrics *m,
			      const struct hms_ev_action *e)
{
	char comp[HMS_NAME_LEN + 1];
	const char *result;

	if (e->phase == ACTION_PHASE_FINISHED)
		result = e->result ? "failed" : "ok";
	else if (e->phase == ACTION_PHASE_SKIPPED)
		result = "skipped";
	else
		return;		/* started: counted when it ends */
	snprintf(comp, sizeof(comp), "%.*s", HMS_NAME_LEN, e->component);
	metrics_count(&m->actions, (const char *[]){ comp,
		      hms_action_kind_name(e->kind), result, NULL });
}

static void metrics_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct hms_metrics *m = arg;
	char comp[HMS_NAME_LEN + 1];

	if (ev->type >= HMS_EV_STATS && ev->type < HMS_EV_TYPE_MAX)
		m->derived[ev->type]++;
	switch (ev->type) {
	case HMS_EV_FAILURE:
		metrics_on_failure(m, (const void *)ev);
		break;
	case HMS_EV_OUTCOME:
		metrics_on_outcome(m, (const void *)ev);
		break;
	case HMS_EV_ACTION:
		metrics_on_action(m, (const void *)ev);
		break;
	case HMS_EV_COMPONENT_STATE: {
		const struct hms_ev_component *e = (const void *)ev;

		snprintf(comp, sizeof(comp), "%.*s", HMS_NAME_LEN,
			 e->component);
		metrics_count(&m->transitions, (const char *[]){ comp,
			      hms_state_name(e->new_state), NULL });
		break;
	}
	case HMS_EV_ALERT: {
		const struct hms_ev_alert *e = (const void *)ev;

		snprintf(comp, sizeof(comp), "%.*s", HMS_NAME_LEN,
			 e->component);
		metrics_count(&m->alerts, (const char *[]){ comp,
			      hms_severity_name(e->severity), NULL });
		break;
	}
	}
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
	r = metrics_mhd.create_response_from_buffer(page ? strlen(page) : 0, page,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	metrics_mhd.add_response_header(r, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = metrics_mhd.queue_response(conn, code, r);
	metrics_mhd.destroy_response(r);
	return ret;
}

static void metrics_run(int fd, uint32_t events, void *arg)
{
	struct hms_metrics *m = arg;

	MHD_UNSIGNED_LONG_LONG ms;

	(void)fd;
	(void)events;
	metrics_mhd.run(m->mhd);
	/* a timer only while a connection has a timeout pending: an idle
	 * endpoint costs no wakeups */
	if (metrics_mhd.get_timeout(m->mhd, &ms) == MHD_YES)
		loop_timer_arm(m->tick, ms ? ms * 1000000ULL : 1000, 0);
	else
		loop_timer_disarm(m->tick);
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

/* Unix time this process started: its start in clock ticks after boot
 * (/proc/self/stat field 22) plus the boot time (/proc/stat btime). */
static double metrics_start_time(void)
{
	struct procfs_stat st;
	unsigned long long btime;

	if (procfs_stat_read(getpid(), &st) || procfs_boot_time(&btime))
		return 0;
	return btime + (double)st.starttime / sysconf(_SC_CLK_TCK);
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
	char why[256];
	int err = metrics_addr(listen, &ss);

	if (err)
		return err;
	err = metrics_mhd_load(why, sizeof(why));
	if (err) {
		log_warning("metrics: %s", why);
		return err;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->bus = bus;
	m->sensors = sensors;
	m->pt = pt;
	m->src = src;
	m->start_time_s = metrics_start_time();
	/* the programs' run time is measured only while someone may read
	 * it; a kernel that refuses leaves run counts at 0 (and says so in
	 * hms_bpf_stats_enabled) */
	if (sensors && (err = sensors_cost_enable(sensors)))
		log_warning("BPF run-time statistics unavailable (%s): "
			    "hms_bpf_program_* stay at 0", strerror(-err));
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = metrics_mhd.start_daemon(flags, 0, NULL, NULL, metrics_answer, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_END);
	if (!m->mhd) {
		err = errno ? -errno : -EADDRINUSE;
		goto cleanup;
	}
	info = metrics_mhd.get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		err = -ENOTSUP;
		goto cleanup;
	}
	m->epfd = info->epoll_fd;
	err = loop_add_fd(loop, m->epfd, EPOLLIN, metrics_run, m);
	err = err ?: loop_timer_new(loop, metrics_tick, m, &m->tick);
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
		metrics_mhd.stop_daemon(m->mhd);
	}
	/* nobody reads the programs' cost any more: stop paying for it */
	sensors_cost_disable(m->sensors);
	metrics_family_free(&m->failures);
	metrics_family_free(&m->host_failures);
	metrics_family_free(&m->recoveries);
	metrics_family_free(&m->durations);
	metrics_family_free(&m->actions);
	metrics_family_free(&m->transitions);
	metrics_family_free(&m->alerts);
	free(m);
}

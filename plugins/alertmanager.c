/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alertmanager.c - the Alertmanager sink: every `alert` event is posted to
 * Prometheus Alertmanager's v2 API (POST URL/api/v2/alerts) so a fleet's
 * alerts reach the routing, silencing and paging operators already run.
 * Config:
 *
 *	config: {url: "http://alertmanager:9093", timeout_ms: 5000,
 *		 max_queue: 256, labels: {team: ops}}
 *
 * The HTTP runs in the daemon's epoll loop, never blocking it: libcurl's
 * multi interface tells us which sockets to watch and when to time out
 * (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION) and the plugin API's fd_watch
 * and timers give those to the loop.  No thread: nothing to lock, and the
 * daemon's signal handling stays as it is.  At most 4 posts are in flight
 * and max_queue wait; past that the oldest waiting alert is dropped and
 * counted.  Delivery is at most once: a failed post is logged, not
 * retried (Alertmanager keeps an alert until its resolve_timeout).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>
#include "hms_plugin.h"

#define AM_MAX_INFLIGHT	4

struct am_item {
	char *body;
	struct am_item *next;
};

struct am {
	const struct hms_plugin_api *api;
	struct hms_plugin_host *host;
	char url[512];
	long timeout_ms;
	size_t max_queue;
	json_t *labels;			/* extra labels, may be NULL */
	CURLM *multi;
	struct hms_plugin_timer *timer;
	struct am_item *head, *tail;	/* waiting */
	size_t queued;
	size_t inflight;
	CURL *easy[AM_MAX_INFLIGHT];	/* the posts in flight */
	struct curl_slist *hdrs;
	bool curl_inited;
	unsigned long long sent, failed, dropped;
};

static void am_pump(struct am *am);

static size_t am_discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static void am_check_done(struct am *am)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(am->multi, &left))) {
		long code = 0;
		CURL *e = m->easy_handle;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
		if (m->data.result == CURLE_OK && code >= 200 && code < 300) {
			am->sent++;
			am->api->log(am->host, HMS_PLUGIN_LOG_DEBUG, "alert "
				     "posted to %s (HTTP %ld)", am->url, code);
		} else {
			am->failed++;
			am->api->log(am->host, HMS_PLUGIN_LOG_WARNING, "alert "
				     "not delivered to %s: %s (HTTP %ld)",
				     am->url, m->data.result == CURLE_OK ?
				     "refused" : curl_easy_strerror(
					     m->data.result), code);
		}
		curl_multi_remove_handle(am->multi, e);
		curl_easy_cleanup(e);
		for (size_t i = 0; i < AM_MAX_INFLIGHT; i++)
			if (am->easy[i] == e)
				am->easy[i] = NULL;
		am->inflight--;
	}
	am_pump(am);
}

static void am_on_fd(int fd, unsigned int events, void *arg)
{
	struct am *am = arg;
	int flags = 0, running;

	if (events & HMS_PLUGIN_FD_READ)
		flags |= CURL_CSELECT_IN;
	if (events & HMS_PLUGIN_FD_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & HMS_PLUGIN_FD_ERROR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(am->multi, fd, flags, &running);
	am_check_done(am);
}

static void am_on_timer(void *arg)
{
	struct am *am = arg;
	int running;

	curl_multi_socket_action(am->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	am_check_done(am);
}

/* libcurl: watch this socket for these events (or stop). */
static int am_socket_cb(CURL *e, curl_socket_t s, int what, void *userp,
			void *socketp)
{
	struct am *am = userp;
	unsigned int ev = 0;

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= HMS_PLUGIN_FD_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= HMS_PLUGIN_FD_WRITE;
	return am->api->fd_watch(am->host, s, ev, am_on_fd, am) ? -1 : 0;
}

/* libcurl: call us back in timeout_ms (-1: no timeout wanted). */
static int am_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct am *am = userp;

	(void)multi;
	if (timeout_ms < 0)
		return am->api->timer_disarm(am->timer) ? -1 : 0;
	return am->api->timer_arm(am->timer, (uint64_t)timeout_ms) ? -1 : 0;
}

static int am_start(struct am *am, struct am_item *it)
{
	char url[600];
	size_t slot = 0;
	CURL *e;

	while (slot < AM_MAX_INFLIGHT && am->easy[slot])
		slot++;
	if (slot == AM_MAX_INFLIGHT)
		return -EBUSY;
	e = curl_easy_init();
	if (!e)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s/api/v2/alerts", am->url);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, am->timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, am->hdrs);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, it->body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, am_discard);
	if (curl_multi_add_handle(am->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return -EIO;
	}
	am->easy[slot] = e;
	am->inflight++;
	return 0;
}

static void am_pump(struct am *am)
{
	while (am->head && am->inflight < AM_MAX_INFLIGHT) {
		struct am_item *it = am->head;

		am->head = it->next;
		if (!am->head)
			am->tail = NULL;
		am->queued--;
		if (am_start(am, it)) {
			am->failed++;
			am->api->log(am->host, HMS_PLUGIN_LOG_WARNING,
				     "cannot start a post to %s", am->url);
		}
		free(it->body);
		free(it);
	}
}

/* One alert of the v2 API, as a one-element list. */
static char *am_body(struct am *am, const char *event_json)
{
	json_t *ev = json_loads(event_json, 0, NULL), *labels, *alert;
	char when[40];
	time_t now = time(NULL);
	struct tm tm;
	char *body;

	if (!ev)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	labels = json_pack("{s:s, s:s, s:s, s:s, s:s}",
			   "alertname", "HmsEbpfAlert", "job", "hms-ebpf",
			   "instance", am->api->hostname(am->host),
			   "component", json_string_value(json_object_get(
				   ev, "component")) ?: "",
			   "severity", json_string_value(json_object_get(
				   ev, "severity")) ?: "warning");
	if (labels && am->labels)
		json_object_update(labels, am->labels);	/* theirs win */
	alert = labels ? json_pack("[{s:o, s:{s:s}, s:s}]", "labels", labels,
				   "annotations", "summary",
				   json_string_value(json_object_get(
					   ev, "message")) ?: "",
				   "startsAt", json_string_value(json_object_get(
					   ev, "time")) ?: when) : NULL;
	body = alert ? json_dumps(alert, JSON_COMPACT) : NULL;
	json_decref(alert);
	json_decref(ev);
	return body;
}

static void am_sink(void *state, const struct hms_plugin_event *ev)
{
	struct am *am = state;
	struct am_item *it = calloc(1, sizeof(*it));

	if (!it || !(it->body = am_body(am, ev->json))) {
		free(it);
		am->failed++;
		return;
	}
	if (am->queued >= am->max_queue) {	/* drop the oldest */
		struct am_item *old = am->head;

		am->head = old->next;
		if (!am->head)
			am->tail = NULL;
		am->queued--;
		am->dropped++;
		free(old->body);
		free(old);
		am->api->log(am->host, HMS_PLUGIN_LOG_WARNING, "queue full "
			     "(%zu): oldest alert dropped (%llu so far)",
			     am->max_queue, am->dropped);
	}
	if (am->tail)
		am->tail->next = it;
	else
		am->head = it;
	am->tail = it;
	am->queued++;
	am_pump(am);
}

static long am_num(json_t *v, long dflt)
{
	if (!v)
		return dflt;
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	return json_is_string(v) ? strtol(json_string_value(v), NULL, 10) : -1;
}

static int am_config(struct am *am, const char *config_json)
{
	json_t *c = json_loads(config_json, 0, NULL), *labels;
	const char *url;
	int err = -EINVAL;

	if (!c)
		return -EINVAL;
	url = json_string_value(json_object_get(c, "url"));
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
	    || strlen(url) >= sizeof(am->url)) {
		am->api->log(am->host, HMS_PLUGIN_LOG_ERROR, "config.url: an "
			     "http:// or https:// URL of Alertmanager is "
			     "required");
		goto cleanup;
	}
	snprintf(am->url, sizeof(am->url), "%s", url);
	while (am->url[0] && am->url[strlen(am->url) - 1] == '/')
		am->url[strlen(am->url) - 1] = '\0';
	am->timeout_ms = am_num(json_object_get(c, "timeout_ms"), 5000);
	am->max_queue = (size_t)am_num(json_object_get(c, "max_queue"), 256);
	if (am->timeout_ms < 100 || am->timeout_ms > 60000 ||
	    am->max_queue < 1 || am->max_queue > 100000) {
		am->api->log(am->host, HMS_PLUGIN_LOG_ERROR, "config: "
			     "timeout_ms must be 100..60000 and max_queue "
			     "1..100000");
		goto cleanup;
	}
	labels = json_object_get(c, "labels");
	if (labels && !json_is_object(labels)) {
		am->api->log(am->host, HMS_PLUGIN_LOG_ERROR, "config.labels: "
			     "must be a mapping");
		goto cleanup;
	}
	if (labels) {
		const char *k;
		json_t *lv;

		json_object_foreach(labels, k, lv)
			if (!json_is_string(lv)) {
				am->api->log(am->host, HMS_PLUGIN_LOG_ERROR,
					     "config.labels.%s: must be a "
					     "string (quote it)", k);
				goto cleanup;
			}
	}
		am->labels = labels ? json_incref(labels) : NULL;
	err = 0;
cleanup:
	json_decref(c);
	return err;
}

static void am_fini(void *state)
{
	struct am *am = state;

	if (!am)
		return;
	if (am->inflight || am->queued)
		am->api->log(am->host, HMS_PLUGIN_LOG_WARNING, "unloaded with "
			     "%zu alerts in flight and %zu waiting: not "
			     "delivered", am->inflight, am->queued);
	if (am->multi) {
		for (size_t i = 0; i < AM_MAX_INFLIGHT; i++)
			if (am->easy[i]) {
				curl_multi_remove_handle(am->multi,
							 am->easy[i]);
				curl_easy_cleanup(am->easy[i]);
			}
		curl_multi_cleanup(am->multi);
	}
	while (am->head) {
		struct am_item *it = am->head;

		am->head = it->next;
		free(it->body);
		free(it);
	}
	am->api->timer_free(am->timer);
	curl_slist_free_all(am->hdrs);
	if (am->curl_inited)
		curl_global_cleanup();
	json_decref(am->labels);
	free(am);
}

static int am_init(const struct hms_plugin_api *api,
		   struct hms_plugin_host *host, const char *config_json,
		   void **state)
{
	struct am *am = calloc(1, sizeof(*am));
	int err;

	if (!am)
		return -ENOMEM;
	am->api = api;
	am->host = host;
	err = am_config(am, config_json);
	err = err ?: api->timer_new(host, am_on_timer, am, &am->timer);
	if (!err && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		err = -EIO;
	am->curl_inited = !err;
	if (!err && !(am->hdrs = curl_slist_append(NULL, "Content-Type: "
						   "application/json")))
		err = -ENOMEM;
	if (!err && !(am->multi = curl_multi_init()))
		err = -ENOMEM;
	if (!err) {
		curl_multi_setopt(am->multi, CURLMOPT_SOCKETFUNCTION,
				  am_socket_cb);
		curl_multi_setopt(am->multi, CURLMOPT_SOCKETDATA, am);
		curl_multi_setopt(am->multi, CURLMOPT_TIMERFUNCTION,
				  am_timer_cb);
		curl_multi_setopt(am->multi, CURLMOPT_TIMERDATA, am);
		err = api->subscribe(host, "alert");
	}
	if (err) {
		am_fini(am);
		return err;
	}
	api->log(host, HMS_PLUGIN_LOG_INFO, "alerts go to %s/api/v2/alerts",
		 am->url);
	*state = am;
	return 0;
}

const struct hms_plugin hms_plugin_v1 = {
	.abi_version = HMS_PLUGIN_ABI_VERSION,
	.size = sizeof(struct hms_plugin),
	.name = "alertmanager",
	.description = "alert events to Prometheus Alertmanager (API v2)",
	.init = am_init,
	.fini = am_fini,
	.sink = am_sink,
};

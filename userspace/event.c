// SPDX-License-Identifier: BSD-2-Clause
/*
 * event.c - the one place that knows each event type's size and name and
 * renders events as JSON.  The JSON here is the external format shared by
 * --json, the dashboard socket and the docs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "event.h"
#include "hms_json.h"
#include "hms_sanitize.h"
#include "loop.h"

struct event_desc {
	size_t size;
	int critical;
};

static const struct event_desc event_descs[HMS_EV_TYPE_MAX] = {
	[HMS_EV_EXEC] = { sizeof(struct hms_ev_exec), 0 },
	[HMS_EV_FORK] = { sizeof(struct hms_ev_fork), 0 },
	[HMS_EV_EXIT] = { sizeof(struct hms_ev_exit), 1 },
	[HMS_EV_SIGNAL] = { sizeof(struct hms_ev_signal), 1 },
	[HMS_EV_OOM] = { sizeof(struct hms_ev_oom), 1 },
	[HMS_EV_HANG] = { sizeof(struct hms_ev_hang), 1 },
	[HMS_EV_CONNECT_FAIL] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_SOCK_ERROR] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_TCP_RESET_RECV] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_TCP_RESET_SEND] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_TCP_RETRANSMIT] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_RUNQ_LATENCY] = { sizeof(struct hms_ev_runq), 0 },
	[HMS_EV_STATS] = { sizeof(struct hms_ev_stats), 0 },
	[HMS_EV_COMPONENT_STATE] = { sizeof(struct hms_ev_component), 0 },
	[HMS_EV_ACTION] = { sizeof(struct hms_ev_action), 0 },
	[HMS_EV_STRATEGY] = { sizeof(struct hms_ev_strategy), 0 },
	[HMS_EV_OUTCOME] = { sizeof(struct hms_ev_outcome), 0 },
	[HMS_EV_ALERT] = { sizeof(struct hms_ev_alert), 0 },
	[HMS_EV_FAILURE] = { sizeof(struct hms_ev_failure), 0 },
	[HMS_EV_REGISTRY] = { sizeof(struct hms_ev_registry), 0 },
};

size_t event_size(unsigned int type)
{
	return type < HMS_EV_TYPE_MAX ? event_descs[type].size : 0;
}

int event_is_critical(unsigned int type)
{
	return type < HMS_EV_TYPE_MAX && event_descs[type].critical;
}

int event_check(const void *data, size_t len)
{
	const struct hms_event_hdr *h = data;
	size_t want;

	if (!data || len < sizeof(*h))
		return -EINVAL;
	if (h->version != HMS_EVENT_VERSION)
		return -EPROTO;
	want = event_size(h->type);
	if (!want)
		return -ENOENT;
	/* A newer producer may append fields; never accept fewer bytes. */
	if (h->size < want || h->size > len)
		return -EINVAL;
	return 0;
}

void event_init(struct hms_event_hdr *hdr, unsigned int type, size_t size)
{
	memset(hdr, 0, size);
	hdr->version = HMS_EVENT_VERSION;
	hdr->type = type;
	hdr->size = size;
	hdr->ts_ns = loop_now_ns();
}

const char *event_signal_name(unsigned int sig)
{
	return hms_signal_name(sig);
}

const char *event_tcp_state_name(unsigned int state)
{
	return hms_tcp_state_name(state);
}

void event_addr_str(uint16_t family, const uint8_t addr[16], char *buf,
		    size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf,
		       len))
		snprintf(buf, len, "?");
}

int event_types_parse(const char *list, uint64_t bits[2], char *bad,
		      size_t badlen)
{
	const char *p = list, *end;

	while (*p) {
		char name[64];
		size_t n;
		int t;

		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		t = n && n < sizeof(name) ? event_type_from_name(name) : -ENOENT;
		if (t < 0) {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return -ENOENT;
		}
		bits[t / 64] |= 1ull << (t % 64);
		p += n + (end ? 1 : 0);
		if (end && !*p) {	/* trailing comma */
			snprintf(bad, badlen, "%s", "");
			return -ENOENT;
		}
	}
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* config_probe.c - a component's health probe: exec (an argv), tcp
 * (HOST:PORT) or http (http://HOST[:PORT]/PATH on a numeric address) with
 * its interval, timeout and failure threshold.  Addresses are numeric so
 * that running a probe never waits on a resolver in the event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config_int.h"

/* "HOST:PORT" or "[V6]:PORT" -> host, port; 0 or -EINVAL */
static int probe_hostport(const char *s, size_t n, char *host, size_t hlen,
			  uint16_t *port, uint16_t dflt)
{
	unsigned char tmp[16];
	const char *colon = NULL, *h = s, *he;
	char num[8];
	long p = dflt;
	char *end;

	if (n && s[0] == '[') {
		he = memchr(s, ']', n);
		if (!he)
			return -EINVAL;
		h = s + 1;
		if (he + 1 < s + n) {
			if (he[1] != ':')
				return -EINVAL;
			colon = he + 1;
		}
	} else {
		colon = memrchr(s, ':', n);
		he = colon ? colon : s + n;
	}
	if (colon) {
		size_t pl = (size_t)(s + n - colon - 1);

		if (!pl || pl >= sizeof(num))
			return -EINVAL;
		memcpy(num, colon + 1, pl);
		num[pl] = '\0';
		p = strtol(num, &end, 10);
		if (*end || p < 1 || p > 65535)
			return -EINVAL;
	} else if (!dflt) {
		return -EINVAL;
	}
	if (he <= h || (size_t)(he - h) >= hlen)
		return -EINVAL;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	if (inet_pton(AF_INET, host, tmp) != 1 &&
	    inet_pton(AF_INET6, host, tmp) != 1)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void probe_kind(struct cfg_ctx *c, struct fy_node *kn,
		       struct cfg_probe *p, enum cfg_probe_kind k)
{
	if (p->kind != PROBE_NONE)
		cfg_error(c, kn, "only one of exec, tcp, http, plugin");
	p->kind = k;
}

static void probe_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		      struct fy_node *v, void *obj)
{
	struct cfg_probe *p = obj;
	char buf[CONFIG_PATH_LEN];
	const char *path;

	if (!strcmp(k, "exec")) {
		probe_kind(c, kn, p, PROBE_EXEC);
		cfg_strv_free(p->argv);
		p->argv = cfg_get_strv(c, v, NULL, true);
	} else if (!strcmp(k, "tcp")) {
		probe_kind(c, kn, p, PROBE_TCP);
		if (!cfg_get_str(c, v, buf, sizeof(buf)) &&
		    probe_hostport(buf, strlen(buf), p->host, sizeof(p->host),
				   &p->port, 0))
			cfg_error(c, v, "expected ADDRESS:PORT with a numeric "
				  "address and a port 1..65535");
	} else if (!strcmp(k, "http")) {
		probe_kind(c, kn, p, PROBE_HTTP);
		if (cfg_get_str(c, v, buf, sizeof(buf)))
			return;
		path = strncmp(buf, "http://", 7) ? NULL :
		       strchr(buf + 7, '/');
		if (!path)
			path = buf + strlen(buf);
		if (strncmp(buf, "http://", 7) ||
		    probe_hostport(buf + 7, (size_t)(path - buf - 7), p->host,
				   sizeof(p->host), &p->port, 80) ||
		    strlen(path) >= sizeof(p->path) ||
		    strpbrk(path, " \r\n")) {
			cfg_error(c, v, "expected http://ADDRESS[:PORT]/PATH "
				  "with a numeric address");
			return;
		}
		snprintf(p->path, sizeof(p->path), "%s", *path ? path : "/");
	} else if (!strcmp(k, "plugin")) {
		probe_kind(c, kn, p, PROBE_PLUGIN);
		free(p->params_json);
		p->params_json = NULL;
		cfg_parse_plugin_use(c, v, true, p->plugin_kind,
				     sizeof(p->plugin_kind), &p->params_json,
				     NULL);
	} else if (!strcmp(k, "status")) {
		cfg_get_u32(c, v, 100, 599, &p->status);
	} else if (!strcmp(k, "interval_s")) {
		cfg_get_secs(c, v, 0.05, 86400, &p->interval_ms);
	} else if (!strcmp(k, "timeout_ms")) {
		cfg_get_u32(c, v, 1, 600000, &p->timeout_ms);
	} else if (!strcmp(k, "failures")) {
		cfg_get_u32(c, v, 1, 1000, &p->failures);
	} else {
		cfg_unknown(c, kn);
	}
}

void cfg_parse_probe(struct cfg_ctx *c, struct fy_node *n,
		     struct cfg_probe *p)
{
	if (!cfg_want(c, n, FYNT_MAPPING))
		return;
	cfg_each_pair(c, n, probe_key, p);
	if (p->kind == PROBE_NONE)
		cfg_error(c, n, "one of exec, tcp, http, plugin is required");
	else if (p->status && p->kind != PROBE_HTTP)
		cfg_error(c, n, "status is for http probes only");
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event_file.c - the JSON-lines event file sink: every subscribed event as
 * one line of the project's JSON (docs/events.md) appended to a file,
 * rotated by size (path -> path.1 -> ... -> path.KEEP) so the disk it
 * uses is bounded.  Config:
 *
 *	config: {path: /var/log/hms-ebpf/events.jsonl, max_bytes: 10485760,
 *		 keep: 3, events: [alert, outcome, failure]}   # events: all
 *
 * Writes go to a local file opened O_APPEND|O_NONBLOCK (a regular file
 * never makes write() wait on a reader); a failed write is counted and
 * logged once per minute, never retried in the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "hms_plugin.h"

struct efile {
	const struct hms_plugin_api *api;
	struct hms_plugin_host *host;
	char path[256];
	unsigned long long max_bytes;
	unsigned int keep;
	int fd;
	unsigned long long size;	/* of the current file */
	unsigned long long failed;	/* lines lost */
	unsigned long long last_warn_ns;
};

static int efile_open(struct efile *f)
{
	struct stat st;

	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
			      O_NOFOLLOW | O_NONBLOCK, 0640);
	if (f->fd < 0)
		return -errno;
	f->size = fstat(f->fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
	return 0;
}

/* path.N-1 -> path.N, ..., path -> path.1; the oldest goes. */
static void efile_rotate(struct efile *f)
{
	char from[300], to[300];

	close(f->fd);
	f->fd = -1;
	for (unsigned int i = f->keep; i > 0; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", f->path);
		else
			snprintf(from, sizeof(from), "%s.%u", f->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", f->path, i);
		rename(from, to);	/* a missing one is fine */
	}
	if (!f->keep)
		unlink(f->path);
	if (efile_open(f))
		f->api->log(f->host, HMS_PLUGIN_LOG_ERROR, "cannot reopen %s "
			    "after rotation: %s", f->path, strerror(errno));
}

static void efile_lost(struct efile *f, const char *why)
{
	unsigned long long now = f->api->now_ns();

	f->failed++;
	if (f->last_warn_ns && now - f->last_warn_ns < 60000000000ULL)
		return;
	f->last_warn_ns = now;
	f->api->log(f->host, HMS_PLUGIN_LOG_WARNING, "%s: %s (%llu lines "
		    "lost so far)", f->path, why, f->failed);
}

static void efile_sink(void *state, const struct hms_plugin_event *ev)
{
	struct efile *f = state;
	size_t len = strlen(ev->json);
	char *line;
	ssize_t n;

	if (f->fd >= 0 && f->size && f->size + len + 1 > f->max_bytes)
		efile_rotate(f);
	if (f->fd < 0) {
		efile_lost(f, "not open");
		return;
	}
	line = malloc(len + 1);
	if (!line) {
		efile_lost(f, "out of memory");
		return;
	}
	memcpy(line, ev->json, len);
	line[len] = '\n';
	/* one write per line: O_APPEND keeps lines whole */
	n = write(f->fd, line, len + 1);
	free(line);
	if (n < 0) {
		efile_lost(f, strerror(errno));
		return;
	}
	f->size += (unsigned long long)n;
	if ((size_t)n != len + 1)
		efile_lost(f, "short write");
}

static int efile_config(struct efile *f, const char *config_json)
{
	json_t *c = json_loads(config_json, 0, NULL), *v, *ev;
	const char *path;
	size_t i;
	int err = -EINVAL;

	if (!c)
		return -EINVAL;
	path = json_string_value(json_object_get(c, "path"));
	if (!path || path[0] != '/' || strlen(path) >= sizeof(f->path)) {
		f->api->log(f->host, HMS_PLUGIN_LOG_ERROR, "config.path: an "
			    "absolute file path is required");
		goto cleanup;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->max_bytes = 10ULL << 20;
	f->keep = 3;
	/* 4096 is a JSON number, "4096" (quoted in YAML) a string */
	if ((v = json_object_get(c, "max_bytes")))
		f->max_bytes = json_is_integer(v) ? (unsigned long long)
			json_integer_value(v) : strtoull(json_string_value(v)
							 ?: "0", NULL, 10);
	if ((v = json_object_get(c, "keep")))
		f->keep = json_is_integer(v) ? (unsigned int)
			json_integer_value(v) : (unsigned int)strtoul(
				json_string_value(v) ?: "x", NULL, 10);
	if (f->max_bytes < 4096 || f->keep > 100) {
		f->api->log(f->host, HMS_PLUGIN_LOG_ERROR, "config: max_bytes "
			    "must be >= 4096 and keep <= 100");
		goto cleanup;
	}
	ev = json_object_get(c, "events");
	if (!ev) {
		err = f->api->subscribe(f->host, "*");
		goto cleanup;
	}
	json_array_foreach(ev, i, v) {
		const char *name = json_string_value(v);

		err = name ? f->api->subscribe(f->host, name) : -EINVAL;
		if (err) {
			f->api->log(f->host, HMS_PLUGIN_LOG_ERROR, "config."
				    "events[%zu]: unknown event type %s", i,
				    name ?: "(not a string)");
			goto cleanup;
		}
	}
	err = 0;
cleanup:
	json_decref(c);
	return err;
}

static int efile_init(const struct hms_plugin_api *api,
		      struct hms_plugin_host *host, const char *config_json,
		      void **state)
{
	struct efile *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -ENOMEM;
	f->api = api;
	f->host = host;
	f->fd = -1;
	err = efile_config(f, config_json);
	if (!err && (err = efile_open(f)))
		api->log(host, HMS_PLUGIN_LOG_ERROR, "cannot open %s: %s",
			 f->path, strerror(-err));
	if (err) {
		free(f);
		return err;
	}
	*state = f;
	return 0;
}

static void efile_fini(void *state)
{
	struct efile *f = state;

	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

const struct hms_plugin hms_plugin_v1 = {
	.abi_version = HMS_PLUGIN_ABI_VERSION,
	.size = sizeof(struct hms_plugin),
	.name = "event-file",
	.description = "events as JSON lines in a file, rotated by size",
	.init = efile_init,
	.fini = efile_fini,
	.sink = efile_sink,
};

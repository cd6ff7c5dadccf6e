/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * example_action.c - the example action plugin (docs/plugins.md walks
 * through it): an action kind `mark` that appends one line
 * "COMPONENT FAILURE PID\n" to a file, e.g. a flag a deployment tool or a
 * load balancer health check reads.  Parameters {path: /abs/file} are
 * checked when the configuration is checked; running it is one append to
 * a local file, quick enough for the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "hms_plugin.h"

struct mark {
	const struct hms_plugin_api *api;
	struct hms_plugin_host *host;
	unsigned long long runs;
};

/* The path parameter, or NULL with the reason in err. */
static char *mark_path(const char *params_json, char *err, size_t errlen)
{
	json_t *p = json_loads(params_json, 0, NULL);
	const char *path = json_string_value(json_object_get(p, "path"));
	char *out = NULL;

	if (!p || !json_is_object(p))
		snprintf(err, errlen, "parameters must be a mapping");
	else if (!path)
		snprintf(err, errlen, "path: required (an absolute file path)");
	else if (path[0] != '/' || strstr(path, "/../") || strlen(path) > 255)
		snprintf(err, errlen, "path: %s is not an absolute path "
			 "without '..' of at most 255 bytes", path);
	else if (json_object_size(p) != 1)
		snprintf(err, errlen, "unknown parameter (only path)");
	else
		out = strdup(path);
	json_decref(p);
	return out;
}

static int mark_check(const char *params_json, char *err, size_t errlen)
{
	char *path = mark_path(params_json, err, errlen);

	free(path);
	return path ? 0 : -EINVAL;
}

static int mark_run(void *state, const struct hms_plugin_action_ctx *ctx,
		    const char *params_json, hms_plugin_action_done done,
		    void *token)
{
	struct mark *m = state;
	char err[256], line[160], detail[300];
	char *path = mark_path(params_json, err, sizeof(err));
	int fd, len, res = 0;

	if (!path) {
		done(token, -EINVAL, err);
		return 0;
	}
	len = snprintf(line, sizeof(line), "%s %s %u\n", ctx->component,
		       ctx->failure, ctx->main_pid);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0 || write(fd, line, (size_t)len) != len)
		res = -errno;
	if (fd >= 0)
		close(fd);
	snprintf(detail, sizeof(detail), "%s %s", res ? "cannot write" :
		 "marked", path);
	m->runs++;
	m->api->log(m->host, res ? HMS_PLUGIN_LOG_WARNING : HMS_PLUGIN_LOG_INFO,
		    "%s for %s (%s)", detail, ctx->component, ctx->failure);
	free(path);
	done(token, res, detail);
	return 0;
}

static const struct hms_plugin_action mark_actions[] = {
	{ .kind = "mark", .check = mark_check, .run = mark_run },
};

static int mark_init(const struct hms_plugin_api *api,
		     struct hms_plugin_host *host, const char *config_json,
		     void **state)
{
	struct mark *m = calloc(1, sizeof(*m));

	(void)config_json;	/* no plugin-wide settings */
	if (!m)
		return -ENOMEM;
	m->api = api;
	m->host = host;
	*state = m;
	return 0;
}

static void mark_fini(void *state)
{
	free(state);
}

const struct hms_plugin hms_plugin_v1 = {
	.abi_version = HMS_PLUGIN_ABI_VERSION,
	.size = sizeof(struct hms_plugin),
	.name = "example-action",
	.description = "action kind `mark`: append a line to a file",
	.init = mark_init,
	.fini = mark_fini,
	.actions = mark_actions,
	.n_actions = 1,
};

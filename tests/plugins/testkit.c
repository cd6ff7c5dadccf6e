/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * testkit.c - a plugin with the three hooks the healer runs, for the
 * tests of their wiring (tests/integration/test_plugins_daemon.c) and the
 * demo's learned-strategy change:
 *   action kind `touch`: params {path: /abs, fail: bool}: creates path (the
 *     marker the probe below checks) and answers later, from a loop timer,
 *     as a real asynchronous action would; fail: true answers -EIO.
 *   probe kind `file-exists`: params {path: /abs}: healthy while path
 *     exists (probe_check refuses params without an absolute path).
 *   detector class `forbidden-exec`: config {suffix: "/false"}: a process
 *     of a component that execs a file whose name ends so is a failure of
 *     that component (by its pid, else its parent's).
 * It reads events as records of bpf/hms_event.h (built with -Ibpf).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <linux/types.h>
#include "hms_event.h"
#include "hms_plugin.h"

#define TK_PENDING	8

struct tk_run {
	void *token;
	hms_plugin_action_done done;
	int result;
	char detail[96];
	struct hms_plugin_timer *t;
	struct tk *tk;
};

struct tk {
	const struct hms_plugin_api *api;
	struct hms_plugin_host *host;
	char suffix[64];
	struct tk_run runs[TK_PENDING];
};

/* params {path: "/abs", fail: bool}: the path, or NULL with err. */
static char *tk_path(const char *params_json, bool *fail, char *err,
		     size_t errlen)
{
	json_t *p = json_loads(params_json, 0, NULL);
	const char *path = json_string_value(json_object_get(p, "path"));
	char *out = NULL;

	if (fail)
		*fail = json_is_true(json_object_get(p, "fail"));
	if (!path || path[0] != '/')
		snprintf(err, errlen, "path: required, an absolute path");
	else
		out = strdup(path);
	json_decref(p);
	return out;
}

static int tk_check(const char *params_json, char *err, size_t errlen)
{
	char *path = tk_path(params_json, NULL, err, errlen);

	free(path);
	return path ? 0 : -EINVAL;
}

static void tk_answer(void *arg)
{
	struct tk_run *r = arg;
	hms_plugin_action_done done = r->done;
	void *token = r->token;

	r->done = NULL;
	done(token, r->result, r->detail);
}

static int tk_touch(void *state, const struct hms_plugin_action_ctx *ctx,
		    const char *params_json, hms_plugin_action_done done,
		    void *token)
{
	struct tk *tk = state;
	struct tk_run *r = NULL;
	char err[128];
	bool fail;
	char *path = tk_path(params_json, &fail, err, sizeof(err));
	int fd;

	if (!path)
		return -EINVAL;
	for (int i = 0; i < TK_PENDING && !r; i++)
		if (!tk->runs[i].done)
			r = &tk->runs[i];
	if (!r) {
		free(path);
		return -EBUSY;
	}
	r->result = 0;
	if (fail) {
		r->result = -EIO;
		snprintf(r->detail, sizeof(r->detail), "asked to fail");
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			r->result = -errno;
		else
			close(fd);
		snprintf(r->detail, sizeof(r->detail), "%s %.60s for %.16s",
			 r->result ? "cannot create" : "created", path,
			 ctx->component);
	}
	free(path);
	r->done = done;
	r->token = token;
	/* answered from the loop, as asynchronous work would be */
	return tk->api->timer_arm(r->t, 20);
}

static int tk_probe_check(const char *params_json, char *err, size_t errlen)
{
	return tk_check(params_json, err, errlen);
}

static int tk_probe(void *state, const char *component,
		    const char *params_json, hms_plugin_action_done done,
		    void *token)
{
	char err[128];
	char *path = tk_path(params_json, NULL, err, sizeof(err));
	bool ok;

	(void)state;
	(void)component;
	if (!path)
		return -EINVAL;
	ok = access(path, F_OK) == 0;
	free(path);
	done(token, ok ? 0 : -ENOENT, ok ? "marker present" :
	     "marker missing");
	return 0;
}

static void tk_detect(void *state, const struct hms_plugin_event *ev)
{
	struct tk *tk = state;
	const struct hms_ev_exec *e = ev->record;
	size_t n, sl = strlen(tk->suffix);
	char detail[160];

	if (ev->type != HMS_EV_EXEC || ev->size < sizeof(*e) || !sl)
		return;
	n = strnlen(e->filename, sizeof(e->filename));
	if (n < sl || memcmp(e->filename + n - sl, tk->suffix, sl))
		return;
	snprintf(detail, sizeof(detail), "pid %u ran %.100s", e->hdr.tgid,
		 e->filename);
	if (tk->api->raise_failure(tk->host, NULL, e->hdr.tgid, detail) ==
	    -ENOENT)
		tk->api->raise_failure(tk->host, NULL, e->hdr.ppid, detail);
}

static int tk_init(const struct hms_plugin_api *api,
		   struct hms_plugin_host *host, const char *config_json,
		   void **state)
{
	struct tk *tk = calloc(1, sizeof(*tk));
	json_t *c = json_loads(config_json, 0, NULL);
	const char *suffix = json_string_value(json_object_get(c, "suffix"));
	int err = 0;

	if (!tk) {
		json_decref(c);
		return -ENOMEM;
	}
	tk->api = api;
	tk->host = host;
	snprintf(tk->suffix, sizeof(tk->suffix), "%s", suffix ?: "");
	json_decref(c);
	for (int i = 0; i < TK_PENDING && !err; i++) {
		tk->runs[i].tk = tk;
		err = api->timer_new(host, tk_answer, &tk->runs[i],
				     &tk->runs[i].t);
	}
	if (!err && tk->suffix[0])
		err = api->subscribe(host, "exec");
	if (err) {
		free(tk);	/* timers: freed by the daemon */
		return err;
	}
	*state = tk;
	return 0;
}

static void tk_fini(void *state)
{
	free(state);	/* timers: freed by the daemon */
}

static const struct hms_plugin_action tk_actions[] = {
	{ .kind = "touch", .check = tk_check, .run = tk_touch },
};

const struct hms_plugin hms_plugin_v1 = {
	.abi_version = HMS_PLUGIN_ABI_VERSION,
	.size = sizeof(struct hms_plugin),
	.name = "testkit",
	.description = "test action touch, probe file-exists, detector "
		       "forbidden-exec",
	.init = tk_init,
	.fini = tk_fini,
	.detector_class = "forbidden-exec",
	.detect = tk_detect,
	.actions = tk_actions,
	.n_actions = 1,
	.probe_kind = "file-exists",
	.probe = tk_probe,
	.probe_check = tk_probe_check,
};

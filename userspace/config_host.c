// SPDX-License-Identifier: BSD-2-Clause
/* config_host.c - --check-config's checks against this host: what a valid
 * file can still name that cannot run here (a start command that does not
 * exist or is not executable, an unknown user or group, a missing cwd or
 * cgroup directory).  Separate from parsing because a config may be
 * validated on another machine (--no-host-checks). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"

#define HOST_DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:" \
				"/usr/bin:/sbin:/bin"

static const char *const host_keys[CFG_HOST_MAX] = {
	[CFG_HOST_COMMAND] = "command", [CFG_HOST_USER] = "user",
	[CFG_HOST_GROUP] = "group", [CFG_HOST_CWD] = "cwd",
	[CFG_HOST_CGROUP] = "cgroup",
};

static void host_error(const struct hms_config *cfg, size_t i,
		       enum cfg_host_key k, FILE *errs, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void host_error(const struct hms_config *cfg, size_t i,
		       enum cfg_host_key k, FILE *errs, const char *fmt, ...)
{
	const struct cfg_pos *p = &cfg->components[i].host_pos[k];
	va_list ap;

	if (!errs)
		return;
	fprintf(errs, "%s:%d:%d: components[%zu].%s: ", cfg->path,
		p->line ? p->line : 1, p->col ? p->col : 1, i, host_keys[k]);
	va_start(ap, fmt);
	vfprintf(errs, fmt, ap);
	va_end(ap);
	fputc('\n', errs);
}

/* 0 when path is a regular file with an execute bit, else -errno. */
static int host_exec_ok(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	return st.st_mode & 0111 ? 0 : -EACCES;
}

/* PATH as execvpe() in the runner sees it: the component's env first. */
static const char *host_path_var(const struct cfg_component *cc)
{
	const char *p = getenv("PATH");

	for (char **e = cc->env; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			return *e + 5;
	return p && *p ? p : HOST_DEFAULT_PATH;
}

/* Resolve argv0 like execvpe; 0 or the most telling -errno. */
static int host_find_command(const struct cfg_component *cc,
			     const char *argv0)
{
	const char *p = host_path_var(cc), *end;
	char buf[4096];
	int err = -ENOENT, e;

	if (strchr(argv0, '/'))
		return host_exec_ok(argv0);
	for (; p; p = *end ? end + 1 : NULL) {
		end = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p),
			 end == p ? "." : p, argv0);
		e = host_exec_ok(buf);
		if (!e)
			return 0;
		if (e == -EACCES)
			err = e;
	}
	return err;
}

static int host_dir_ok(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int host_check_one(const struct hms_config *cfg, size_t i, FILE *errs)
{
	const struct cfg_component *cc = &cfg->components[i];
	int n = 0, err;

	if (cc->command && cc->command[0]) {
		err = host_find_command(cc, cc->command[0]);
		if (err == -EACCES || err == -EISDIR)
			host_error(cfg, i, CFG_HOST_COMMAND, errs, "'%s' is not "
				   "an executable file", cc->command[0]);
		else if (err)
			host_error(cfg, i, CFG_HOST_COMMAND, errs, "'%s' not "
				   "found%s", cc->command[0],
				   strchr(cc->command[0], '/') ? "" :
				   " in PATH");
		n += !!err;
	}
	if (cc->user[0] && !getpwnam(cc->user)) {
		host_error(cfg, i, CFG_HOST_USER, errs, "no such user '%s'",
			   cc->user);
		n++;
	}
	if (cc->group[0] && !getgrnam(cc->group)) {
		host_error(cfg, i, CFG_HOST_GROUP, errs, "no such group '%s'",
			   cc->group);
		n++;
	}
	if (cc->cwd[0] && (err = host_dir_ok(cc->cwd))) {
		host_error(cfg, i, CFG_HOST_CWD, errs, "'%s': %s", cc->cwd,
			   strerror(-err));
		n++;
	}
	if (cc->cgroup[0] && (err = host_dir_ok(cc->cgroup))) {
		host_error(cfg, i, CFG_HOST_CGROUP, errs, "'%s': %s",
			   cc->cgroup, strerror(-err));
		n++;
	}
	return n;
}

int config_check_host(const struct hms_config *cfg, FILE *errs)
{
	int n = 0;

	for (size_t i = 0; i < cfg->n_components; i++)
		n += host_check_one(cfg, i, errs);
	return n;
}

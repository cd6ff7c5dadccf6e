// SPDX-License-Identifier: BSD-2-Clause
/*
 * prom.c - the strict exposition-format reader behind prom.h, written for
 * the tests so that a scrape is judged by rules, not by substrings.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "prom.h"

#define PROM_MAX_FAM	512

struct prom_fam {
	char name[128];
	char type[16];
	int help, samples, closed;
	/* histogram state per label set: checked in order of appearance */
	char hist_labels[512];
	double hist_last;
};

struct prom_state {
	struct prom_fam fam[PROM_MAX_FAM];
	int n;
	struct prom_fam *cur;	/* family whose samples are being read */
	char **series;
	size_t nseries;
	char *err;
	size_t errlen;
	int line;
};

static int prom_fail(struct prom_state *st, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(st->err, st->errlen, "line %d: ", st->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < st->errlen)
		vsnprintf(st->err + n, st->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int prom_name_ok(const char *s, size_t n, int label)
{
	if (!n || isdigit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    (label || s[i] != ':'))
			return 0;
	return 1;
}

static struct prom_fam *prom_fam(struct prom_state *st, const char *name,
				 size_t n, int create)
{
	for (int i = 0; i < st->n; i++)
		if (strlen(st->fam[i].name) == n &&
		    !strncmp(st->fam[i].name, name, n))
			return &st->fam[i];
	if (!create || st->n == PROM_MAX_FAM || n >= 128)
		return NULL;
	memset(&st->fam[st->n], 0, sizeof(st->fam[0]));
	memcpy(st->fam[st->n].name, name, n);
	return &st->fam[st->n++];
}

/* "# HELP name text" / "# TYPE name type"; other comments pass. */
static int prom_comment(struct prom_state *st, const char *l)
{
	int help = !strncmp(l, "# HELP ", 7), type = !strncmp(l, "# TYPE ", 7);
	const char *name = l + 7, *sp;
	struct prom_fam *f;

	if (!help && !type)
		return 0;
	sp = strchr(name, ' ');
	if (!sp || !prom_name_ok(name, sp - name, 0))
		return prom_fail(st, "bad metric name in '%s'", l);
	f = prom_fam(st, name, sp - name, 1);
	if (!f)
		return prom_fail(st, "too many families");
	if (f->samples)
		return prom_fail(st, "%s after samples of %s", help ? "HELP"
				 : "TYPE", f->name);
	if (help) {
		if (f->help++)
			return prom_fail(st, "second HELP for %s", f->name);
		if (!sp[1])
			return prom_fail(st, "empty HELP for %s", f->name);
		return 0;
	}
	if (f->type[0])
		return prom_fail(st, "second TYPE for %s", f->name);
	snprintf(f->type, sizeof(f->type), "%s", sp + 1);
	if (strcmp(f->type, "counter") && strcmp(f->type, "gauge") &&
	    strcmp(f->type, "histogram") && strcmp(f->type, "summary") &&
	    strcmp(f->type, "untyped"))
		return prom_fail(st, "unknown TYPE %s", f->type);
	return 0;
}

/* The family a sample name belongs to (histogram suffixes stripped). */
static struct prom_fam *prom_owner(struct prom_state *st, const char *name,
				   size_t n, const char **suffix)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	struct prom_fam *f;

	*suffix = "";
	for (size_t i = 0; i < 3; i++) {
		size_t sl = strlen(sfx[i]);

		if (n > sl && !strncmp(name + n - sl, sfx[i], sl) &&
		    (f = prom_fam(st, name, n - sl, 0)) &&
		    (!strcmp(f->type, "histogram") ||
		     (!strcmp(f->type, "summary") && i))) {
			*suffix = sfx[i];
			return f;
		}
	}
	return prom_fam(st, name, n, 0);
}

/* {a="b",c="d"}: valid names, escapes only \\ \" \n, no label twice. */
static int prom_labels(struct prom_state *st, const char **pp, char *le,
		       size_t lelen, char *rest, size_t restlen)
{
	const char *p = *pp;
	char seen[16][64];
	int nseen = 0;

	le[0] = rest[0] = '\0';
	if (*p != '{')
		return 0;
	p++;
	while (*p != '}') {
		const char *k = p;
		char val[512];
		size_t vn = 0, kn;

		while (*p && *p != '=')
			p++;
		kn = p - k;
		if (*p != '=' || !prom_name_ok(k, p - k, 1) || p - k >= 64)
			return prom_fail(st, "bad label name");
		for (int i = 0; i < nseen; i++)
			if (strlen(seen[i]) == (size_t)(p - k) &&
			    !strncmp(seen[i], k, p - k))
				return prom_fail(st, "label %.*s twice",
						 (int)(p - k), k);
		if (nseen < 16)
			snprintf(seen[nseen++], 64, "%.*s", (int)(p - k), k);
		if (*++p != '"')
			return prom_fail(st, "label value not quoted");
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return prom_fail(st, "bad escape \\%c",
							 *p);
			}
			if (vn < sizeof(val) - 1)
				val[vn++] = *p;
		}
		val[vn] = '\0';
		if (*p != '"')
			return prom_fail(st, "unterminated label value");
		p++;
		if (kn == 2 && !strncmp(k, "le", 2))
			snprintf(le, lelen, "%.63s", val);
		else
			snprintf(rest + strlen(rest), restlen - strlen(rest),
				 "%.*s;", (int)(p - k), k);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return prom_fail(st, "expected , or }");
	}
	*pp = p + 1;
	return 0;
}

static int prom_number(const char *s, double *v)
{
	char *end;

	if (!strcmp(s, "+Inf")) {
		*v = 1e308 * 10;
		return 0;
	}
	if (!strcmp(s, "-Inf") || !strcmp(s, "NaN")) {
		*v = 0;
		return 0;
	}
	*v = strtod(s, &end);
	return end == s || (*end && *end != ' ') ? -1 : 0;
}

static int prom_sample(struct prom_state *st, const char *l)
{
	const char *p = l, *suffix;
	char le[64], rest[1024];
	struct prom_fam *f;
	double v, bound;
	size_t n;

	while (*p && *p != '{' && *p != ' ')
		p++;
	n = p - l;
	if (!prom_name_ok(l, n, 0))
		return prom_fail(st, "bad sample name");
	f = prom_owner(st, l, n, &suffix);
	if (!f || !f->help || !f->type[0])
		return prom_fail(st, "%.*s has no HELP and TYPE before it",
				 (int)n, l);
	if (f->closed)
		return prom_fail(st, "samples of %s interleaved with another "
				 "family", f->name);
	if (st->cur && st->cur != f)
		st->cur->closed = 1;
	st->cur = f;
	f->samples++;
	if (prom_labels(st, &p, le, sizeof(le), rest, sizeof(rest)))
		return -1;
	if (*p != ' ' || prom_number(p + 1, &v))
		return prom_fail(st, "bad value");
	for (size_t i = 0; i < st->nseries; i++)
		if (!strncmp(st->series[i], l, p - l) &&
		    !st->series[i][p - l])
			return prom_fail(st, "series twice: %.*s", (int)(p - l),
					 l);
	st->series = realloc(st->series, (st->nseries + 1) * sizeof(char *));
	st->series[st->nseries++] = strndup(l, p - l);
	if (!strcmp(f->type, "counter") && v < 0)
		return prom_fail(st, "negative counter");
	if (strcmp(f->type, "histogram"))
		return 0;
	if (!strcmp(suffix, "_bucket")) {
		if (!le[0] || prom_number(le, &bound))
			return prom_fail(st, "bucket without a valid le");
		if (strcmp(f->hist_labels, rest)) {
			snprintf(f->hist_labels, sizeof(f->hist_labels), "%s",
				 rest);
			f->hist_last = 0;
		}
		if (v < f->hist_last)
			return prom_fail(st, "buckets not cumulative");
		f->hist_last = v;
	} else if (!strcmp(suffix, "_count") && v != f->hist_last) {
		return prom_fail(st, "_count %g differs from the +Inf bucket "
				 "%g", v, f->hist_last);
	} else if (!suffix[0]) {
		return prom_fail(st, "histogram sample without a suffix");
	}
	return 0;
}

int prom_check(const char *text, char *err, size_t len)
{
	struct prom_state *st = calloc(1, sizeof(*st));
	char *copy = strdup(text), *save, *l;
	int ret = 0;

	if (!st || !copy) {
		snprintf(err, len, "out of memory");
		free(st);
		free(copy);
		return -1;
	}
	st->err = err;
	st->errlen = len;
	err[0] = '\0';
	if (!*text || text[strlen(text) - 1] != '\n')
		ret = prom_fail(st, "text does not end with a newline");
	for (l = strtok_r(copy, "\n", &save); !ret && l;
	     l = strtok_r(NULL, "\n", &save)) {
		st->line++;
		ret = l[0] == '#' ? prom_comment(st, l) : prom_sample(st, l);
	}
	for (int i = 0; !ret && i < st->n; i++)
		if (!st->fam[i].help || !st->fam[i].type[0])
			ret = prom_fail(st, "%s lacks HELP or TYPE",
					st->fam[i].name);
	for (size_t i = 0; i < st->nseries; i++)
		free(st->series[i]);
	free(st->series);
	free(st);
	free(copy);
	return ret;
}

double prom_value(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

int prom_promtool(const char *text, char *out, size_t len)
{
	char in_path[] = "/tmp/hms-prom-XXXXXX";
	char out_path[] = "/tmp/hms-promout-XXXXXX";
	int in = mkstemp(in_path), o = mkstemp(out_path), st = -1;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (in < 0 || o < 0 ||
	    write(in, text, strlen(text)) != (ssize_t)strlen(text))
		goto cleanup;
	lseek(in, 0, SEEK_SET);
	pid = fork();
	if (pid == 0) {
		dup2(in, 0);
		dup2(o, 1);
		dup2(o, 2);
		execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		goto cleanup;
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	n = pread(o, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
cleanup:
	if (in >= 0)
		close(in);
	if (o >= 0)
		close(o);
	unlink(in_path);
	unlink(out_path);
	return st;
}

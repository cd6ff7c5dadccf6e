// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_manpages.c - the man pages and --help say the same thing: every
 * long option that a program's --help (or one of its commands' --help)
 * lists is in its man page's OPTIONS/COMMANDS sections and the other way
 * round; every command the usage lists answers --help with exit 0; every
 * --help and every man page has an EXIT STATUS section.  Runs the real
 * binaries (no root needed).
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

#define MAX_WORDS	128

struct words {
	char w[MAX_WORDS][48];
	int n;
};

static void words_add(struct words *s, const char *w, size_t len)
{
	if (len >= sizeof(s->w[0]))
		return;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->w[i]) == len && !strncmp(s->w[i], w, len))
			return;
	if (s->n < MAX_WORDS) {
		memcpy(s->w[s->n], w, len);
		s->w[s->n++][len] = '\0';
	}
}

static int words_has(const struct words *s, const char *w)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->w[i], w))
			return 1;
	return 0;
}

/* Every --long-option in text (not inside a word). */
static void long_options(const char *text, struct words *out)
{
	for (const char *p = text; (p = strstr(p, "--")); p += 2) {
		const char *e = p + 2;

		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
			continue;
		if (!islower((unsigned char)*e))
			continue;
		while (islower((unsigned char)*e) || isdigit((unsigned char)*e) ||
		       *e == '-')
			e++;
		words_add(out, p, e - p);
	}
}

/* stdout of argv (stderr discarded) and its exit status. */
static char *run(const char *const *argv, int *status)
{
	char path[] = "/tmp/hms-man-XXXXXX";
	int fd = mkstemp(path), st;
	pid_t pid;
	char *s;

	assert_true(fd >= 0);
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		close(2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	assert_true(waitpid(pid, &st, 0) == pid);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	s = harness_slurp(path);
	close(fd);
	unlink(path);
	return s;
}

/* Long options in the OPTIONS and COMMANDS sections of a man source,
 * with roff's \- and font escapes undone. */
static void man_options(const char *path, struct words *out, int *exit_status)
{
	char *src = harness_slurp(path), *line, *save;
	int in = 0;

	assert_true(src && *src);
	*exit_status = 0;
	for (line = strtok_r(src, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char plain[1024];
		size_t n = 0;

		if (!strncmp(line, ".SH", 3)) {
			in = strstr(line, "OPTIONS") || strstr(line, "COMMANDS");
			if (strstr(line, "EXIT STATUS"))
				*exit_status = 1;
			continue;
		}
		if (!in)
			continue;
		for (const char *p = line; *p && n < sizeof(plain) - 1; p++) {
			if (p[0] == '\\' && p[1] == '-') {
				plain[n++] = '-';
				p++;
			} else if (p[0] == '\\' && p[1] == 'f' && p[2]) {
				p += 2;
			} else {
				plain[n++] = *p;
			}
		}
		plain[n] = '\0';
		long_options(plain, out);
	}
	free(src);
}

/* Commands a help text lists: "Usage: PROG CMD" / "       PROG CMD"
 * lines, and the first words of a "Commands"/"COMMANDS" section. */
static void commands(const char *help, const char *prog, struct words *out)
{
	char *copy = strdup(help), *line, *save;
	size_t pl = strlen(prog);
	int in = 0;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = line, *e;

		if (!strncmp(p, "Usage:", 6))
			p += 6;
		while (*p == ' ')
			p++;
		if (!strncmp(p, prog, pl) && p[pl] == ' ' &&
		    islower((unsigned char)p[pl + 1])) {
			for (e = p + pl + 1; islower((unsigned char)*e) || *e == '-'; e++)
				;
			words_add(out, p + pl + 1, e - p - pl - 1);
			continue;
		}
		if (!strncasecmp(line, "commands", 8)) {
			in = 1;
			continue;
		}
		if (in && line[0] != ' ') {
			in = 0;
			continue;
		}
		if (in) {
			p = line;
			while (*p == ' ')
				p++;
			/* a command starts its line at the section's indent */
			if (p - line > 4 || !islower((unsigned char)*p))
				continue;
			for (e = p; islower((unsigned char)*e) || *e == '-'; e++)
				;
			words_add(out, p, e - p);
		}
	}
	free(copy);
}

static void check_program(const char *bin, const char *prog, const char *man)
{
	const char *argv[5] = { bin, "--help", NULL };
	struct words help = { .n = 0 }, manw = { .n = 0 }, cmds = { .n = 0 };
	int st, man_exit;
	char *text = run(argv, &st);

	assert_int_equal(st, 0);
	if (!strstr(text, "EXIT STATUS"))
		fail_msg("%s --help has no EXIT STATUS section", prog);
	long_options(text, &help);
	commands(text, prog, &cmds);
	assert_true(cmds.n > 0);
	for (int i = 0; i < cmds.n; i++) {
		char *sub;

		argv[1] = cmds.w[i];
		argv[2] = "--help";
		sub = run(argv, &st);
		if (st != 0)
			fail_msg("%s %s --help exits %d", prog, cmds.w[i], st);
		if (!strstr(sub, "EXIT STATUS"))
			fail_msg("%s %s --help has no EXIT STATUS section", prog,
				 cmds.w[i]);
		long_options(sub, &help);
		free(sub);
	}
	free(text);
	man_options(man, &manw, &man_exit);
	if (!man_exit)
		fail_msg("%s has no EXIT STATUS section", man);
	for (int i = 0; i < help.n; i++)
		if (!words_has(&manw, help.w[i]))
			fail_msg("%s: --help lists %s, %s does not", prog,
				 help.w[i], man);
	for (int i = 0; i < manw.n; i++)
		if (!words_has(&help, manw.w[i]))
			fail_msg("%s lists %s, %s --help does not", man,
				 manw.w[i], prog);
}

static const char *output_dir(void)
{
	const char *o = getenv("OUTPUT");

	return o ? o : ".output";
}

static void test_hms_ebpf(void **state)
{
	const char *d = getenv("DAEMON");
	char bin[512];

	(void)state;
	snprintf(bin, sizeof(bin), "%s/hms-ebpf", output_dir());
	check_program(d ? d : bin, "hms-ebpf", "man/hms-ebpf.8");
}

static void test_hms_registry(void **state)
{
	char bin[512];

	(void)state;
	snprintf(bin, sizeof(bin), "%s/hms-registry", output_dir());
	check_program(bin, "hms-registry", "man/hms-registry.8");
}

/* The file-format page has no options, but an EXIT STATUS section (of
 * --check-config) and the sections the configuration has. */
static void test_hms_yaml(void **state)
{
	char *s = harness_slurp("man/hms.yaml.5");
	static const char *const keys[] = { ".B daemon", ".B sensors",
		".B dashboard", ".B metrics", ".B watch", ".B strategies",
		".B components", ".SH EXIT STATUS" };

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strstr(s, keys[i]))
			fail_msg("man/hms.yaml.5 lacks '%s'", keys[i]);
	free(s);
}

/* The checker finds drift when there is some. */
static void test_detects_drift(void **state)
{
	struct words w = { .n = 0 }, c = { .n = 0 };

	(void)state;
	long_options("  -a, --alpha X  see --beta-two\nnot-an--option --9", &w);
	assert_int_equal(w.n, 2);
	assert_true(words_has(&w, "--alpha"));
	assert_true(words_has(&w, "--beta-two"));
	commands("Usage: p [OPTION]\n       p view NAME\n\nCommands:\n"
		 "  ctl VERB     x\n               continued\n\nEXIT\n", "p", &c);
	assert_int_equal(c.n, 2);
	assert_true(words_has(&c, "view"));
	assert_true(words_has(&c, "ctl"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detects_drift),
		cmocka_unit_test(test_hms_ebpf),
		cmocka_unit_test(test_hms_registry),
		cmocka_unit_test(test_hms_yaml),
	};

	return cmocka_run_group_tests_name("manpages", tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/* config_validate.c - the checks that need the whole document: strategy
 * references, duplicate component names, dependencies and their cycles,
 * start commands where a restart needs one, and the default failure
 * handling of components that list none. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include "config_int.h"

static const struct {
	const char *name;
	int sig;
} sigs[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

/* "HUP", "SIGHUP", "hup" or "1" -> 1; -EINVAL if unknown. */
int cfg_parse_signal(const char *s)
{
	char *end;
	long n;

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcasecmp(s, sigs[i].name))
			return sigs[i].sig;
	n = strtol(s, &end, 10);
	if (*s && !*end && n >= 1 && n <= 64)
		return (int)n;
	return -EINVAL;
}

static void resolve_refs(struct cfg_ctx *c)
{
	struct hms_config *cfg = c->cfg;

	for (size_t i = 0; i < c->n_refs; i++) {
		struct cfg_ref *r = &c->refs[i];
		int idx = config_strategy_index(cfg, r->name);

		if (idx < 0) {
			cfg_error_at(c, &r->mark, "unknown strategy '%s'",
				     r->name);
			continue;
		}
		if (r->pin)
			cfg->components[r->comp].pin[r->fc] = idx + 1;
		else
			cfg->components[r->comp].on[r->fc][r->slot] = idx;
	}
}

/* A pinned strategy must be one of the class's candidates. */
static void check_pins(struct cfg_ctx *c)
{
	struct hms_config *cfg = c->cfg;

	for (size_t i = 0; i < c->n_refs; i++) {
		const struct cfg_ref *r = &c->refs[i];
		const struct cfg_component *cc = &cfg->components[r->comp];
		bool found = false;

		if (!r->pin || !cc->pin[r->fc])
			continue;
		for (size_t k = 0; k < cc->n_on[r->fc]; k++)
			found |= cc->on[r->fc][k] == cc->pin[r->fc] - 1;
		if (!found)
			cfg_error_at(c, &r->mark, "strategy '%s' is not one of "
				     "the candidates for %s (on.%s)", r->name,
				     config_failure_name(r->fc),
				     config_failure_name(r->fc));
	}
}

static void check_names(struct cfg_ctx *c)
{
	struct hms_config *cfg = c->cfg;

	for (size_t i = 0; i < cfg->n_components; i++)
		if (!strcmp(cfg->components[i].name, CONFIG_HOST_COMPONENT))
			cfg_error_at(c, &c->name_marks[i], "the name '%s' is "
				     "reserved for host-wide incidents",
				     CONFIG_HOST_COMPONENT);
	for (size_t i = 0; i < cfg->n_components; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->components[i].name[0] &&
			    !strcmp(cfg->components[i].name,
				    cfg->components[j].name))
				cfg_error_at(c, &c->name_marks[i],
					     "duplicate component name '%s' "
					     "(first at line %d)",
					     cfg->components[i].name,
					     c->name_marks[j].line);
}

static void resolve_deps(struct cfg_ctx *c)
{
	struct hms_config *cfg = c->cfg;
	size_t m = 0;

	for (size_t i = 0; i < cfg->n_components; i++) {
		struct cfg_component *cc = &cfg->components[i];

		cc->dep_idx = calloc(cc->n_deps + 1, sizeof(int));
		for (size_t d = 0; d < cc->n_deps; d++, m++) {
			if (cc->dep_idx)
				cc->dep_idx[d] = -1;
			const struct cfg_component *dep;

			dep = config_component(cfg, cc->depends_on[d]);
			if (!dep)
				cfg_error_at(c, &c->dep_marks[m],
					     "unknown component '%s'",
					     cc->depends_on[d]);
			else if (dep == cc)
				cfg_error_at(c, &c->dep_marks[m],
					     "dependency cycle: %s depends on "
					     "itself", cc->name);
			else if (cc->dep_idx)
				cc->dep_idx[d] = (int)(dep - cfg->components);
		}
	}
}

/* Depth-first search; color 0 new, 1 on stack, 2 done. */
static int dfs(struct hms_config *cfg, int i, char *color, int *stack,
	       int depth, int *cyc_len)
{
	struct cfg_component *cc = &cfg->components[i];

	color[i] = 1;
	stack[depth] = i;
	for (size_t d = 0; d < cc->n_deps; d++) {
		int j = cc->dep_idx[d];

		if (j < 0 || j == (int)(cc - cfg->components))
			continue;
		if (color[j] == 1) {
			*cyc_len = depth + 1;
			stack[depth + 1] = j;
			return 1;
		}
		if (!color[j] && dfs(cfg, j, color, stack, depth + 1, cyc_len))
			return 1;
	}
	color[i] = 2;
	return 0;
}

static void check_cycles(struct cfg_ctx *c)
{
	struct hms_config *cfg = c->cfg;
	size_t n = cfg->n_components;
	char *color = calloc(n + 1, 1);
	int *stack = calloc(n + 2, sizeof(int));
	int len = 0;

	if (!color || !stack)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		char msg[256] = "";
		int start = 0;

		if (!cfg->components[i].dep_idx)
			goto cleanup;
		if (color[i] || !dfs(cfg, (int)i, color, stack, 0, &len))
			continue;
		while (stack[start] != stack[len])
			start++;
		for (int k = start; k <= len; k++) {
			size_t l = strlen(msg);

			snprintf(msg + l, sizeof(msg) - l, "%s%s",
				 k > start ? " -> " : "",
				 cfg->components[stack[k]].name);
		}
		cfg_error_at(c, &c->comp_marks[stack[start]],
			     "dependency cycle: %s", msg);
		break;
	}
cleanup:
	free(color);
	free(stack);
}

static bool uses_restart(const struct hms_config *cfg,
			 const struct cfg_component *cc)
{
	for (int f = 0; f < FAIL_MAX; f++)
		for (size_t i = 0; i < cc->n_on[f]; i++) {
			int s = cc->on[f][i];

			for (size_t a = 0; s >= 0 &&
			     a < cfg->strategies[s].n_actions; a++)
				if (cfg->strategies[s].actions[a].kind ==
				    ACTION_RESTART)
					return true;
		}
	return false;
}

/* Components without "on": restart on every process failure (and a
 * failing probe or a plugin detector's failure) when there is a command to restart with, else alert. */
static void default_on(struct cfg_ctx *c, size_t i)
{
	static const int classes[] = { FAIL_CRASH, FAIL_EXIT, FAIL_OOM,
				       FAIL_KILLED, FAIL_MISSING, FAIL_PROBE,
				       FAIL_PLUGIN };
	struct cfg_component *cc = &c->cfg->components[i];
	int s = config_strategy_index(c->cfg, cc->command ? "restart" :
				      "alert");

	for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
		cc->on[classes[k]] = calloc(1, sizeof(int));
		if (!cc->on[classes[k]])
			return;
		cc->on[classes[k]][0] = s;
		cc->n_on[classes[k]] = 1;
	}
}

static void check_commands(struct cfg_ctx *c)
{
	struct hms_config *cfg = c->cfg;

	for (size_t i = 0; i < cfg->n_components; i++) {
		struct cfg_component *cc = &cfg->components[i];

		if (!c->comp_has_on[i])
			default_on(c, i);
		if (cc->command || c->comp_has_command[i])
			continue;
		if (cc->match == MATCH_SPAWN)
			cfg_error_at(c, &c->comp_marks[i], "component '%s': "
				     "spawn needs a start command (command: "
				     "[argv...])", cc->name);
		else if (uses_restart(cfg, cc))
			cfg_error_at(c, &c->comp_marks[i], "component '%s': "
				     "a restart strategy needs a start command "
				     "(command: [argv...])", cc->name);
	}
}

static void check_dashboard(struct cfg_ctx *c)
{
	struct hms_config *cfg = c->cfg;
	struct cfg_mark m = { .line = 1, .col = 1 };

	if (!strcmp(cfg->dashboard.layout, "default") ||	/* built in */
	    !strcmp(cfg->dashboard.layout, "grid") ||
	    !strcmp(cfg->dashboard.layout, "compact"))
		return;
	for (size_t i = 0; i < cfg->dashboard.n_layouts; i++)
		if (!strcmp(cfg->dashboard.layouts[i].name,
			    cfg->dashboard.layout))
			return;
	snprintf(m.path, sizeof(m.path), "dashboard.layout");
	cfg_error_at(c, &m, "unknown layout '%s'", cfg->dashboard.layout);
}

void cfg_validate(struct cfg_ctx *c)
{
	resolve_refs(c);
	check_names(c);
	resolve_deps(c);
	check_cycles(c);
	check_commands(c);
	check_pins(c);
	check_dashboard(c);
	cfg_check_plugin_refs(c);
}

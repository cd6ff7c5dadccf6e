// SPDX-License-Identifier: BSD-2-Clause
/* hms-registry - the operator's view of the knowledge registry: stats,
 * incident queries, learned strategies, export/import of what was learned
 * between hosts, and compaction.  A thin CLI over registry/; read-only
 * commands open the store read-only so they work while the daemon runs.
 * Tables go to a terminal, --json gives JSON; exit 2 on usage errors. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hms_json.h"
#include "registry.h"
#include "hms_sanitize.h"

#define DEFAULT_DB	"/var/lib/hms-ebpf/registry"
#define EXIT_USAGE	2

struct opts {
	const char *db;
	const char *component, *failure, *out;
	uint64_t since, until;
	size_t limit;
	int json, dry_run, all;
};

#define HELP_EXIT_STATUS \
"\nEXIT STATUS\n    0 ok, 1 runtime failure, 2 usage error\n"

static const char *const help_main =
"NAME\n    hms-registry - inspect and move the hms-ebpf knowledge registry\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] COMMAND [OPTIONS]\n"
"    hms-registry COMMAND --help\n\n"
"COMMANDS\n"
"    stats        counts, schema version, host, size on disk\n"
"    query        incidents, newest first, by component/class/time\n"
"    strategies   learned evidence per component x class x strategy\n"
"    export       learned strategies and evidence as JSON\n"
"    import       validate a JSON export and merge it in one batch\n"
"    merge        combine exports of many hosts offline (no store)\n"
"    compact      compact the store on disk\n"
"    repair       drop stored rows that do not decode or validate\n\n"
"OPTIONS\n    --db DIR     the RocksDB directory (default " DEFAULT_DB ")\n"
"    -h, --help   this text\n"
HELP_EXIT_STATUS
"\nSEE ALSO\n    hms-registry(8), hms-ebpf(8), hms.yaml(5)\n";

static const char *const help_stats =
"NAME\n    hms-registry stats - summary of the store\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] stats [--json]\n\n"
"DESCRIPTION\n    Schema version, creating host and time, numbers of incidents,\n"
"    outcomes, strategies and evidence rows, and bytes on disk.  Opens the\n"
"    store read-only.\n"
HELP_EXIT_STATUS;

static const char *const help_query =
"NAME\n    hms-registry query - list incidents, newest first\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] query [--component C] [--class F]\n"
"                 [--since T] [--until T] [--limit N] [--json]\n\n"
"OPTIONS\n    --component C   only component C (uses the component+time index)\n"
"    --class F       only failure class F: crash exit oom killed hang\n"
"                    crash_loop net starved missing probe\n"
"                    mem_pressure cpu_pressure io_pressure\n"
"    --since T, --until T\n"
"                    time range, inclusive.  T is seconds since the epoch\n"
"                    (1700000000), UTC ISO 8601 (2026-11-28T07:00:00Z),\n"
"                    an age (90s, 15m, 2h, 7d: that long ago) or now\n"
"    --limit N       at most N rows (default 50, 0 = all)\n"
"    --json          one JSON array instead of a table\n"
HELP_EXIT_STATUS;

static const char *const help_strategies =
"NAME\n    hms-registry strategies - what the registry has learned\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] strategies [--component C] [--all] [--json]\n\n"
"DESCRIPTION\n    One row per component x failure class x strategy: the posterior\n"
"    mean of success with its 90 % interval, the probability that the\n"
"    strategy is chosen next among those with evidence for the same\n"
"    component and class (the healer's own decision, run many times),\n"
"    decayed successes and failures (and the part imported from other\n"
"    hosts), outcomes seen, parameter trials, changes detected, median\n"
"    time to recover and tuned parameters.  Rows whose evidence has fully\n"
"    decayed are hidden unless --all.  --json adds the registered\n"
"    strategy definitions and exact aggregates over the stored outcomes\n"
"    (unverified outcomes are shown apart and counted in neither).\n"
HELP_EXIT_STATUS;

static const char *const help_export =
"NAME\n    hms-registry export - write learned knowledge as JSON\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] export [--out FILE]\n\n"
"DESCRIPTION\n    Strategies, evidence with tuned parameters, schema version,\n"
"    host and time, to FILE or standard output.\n"
HELP_EXIT_STATUS;

static const char *const help_import =
"NAME\n    hms-registry import - merge an export into this store\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] import FILE [--dry-run]\n\n"
"DESCRIPTION\n    The whole file is validated first; if anything is wrong nothing\n"
"    is written and the message names the item and field.  Otherwise,\n"
"    per source host in the file: the same export again changes\n"
"    nothing, a newer export of that host replaces its contribution, an\n"
"    older one is skipped, and this store's own host is never taken\n"
"    back; evidence of several hosts adds up.  Unknown strategies are\n"
"    added.  One batch.  --dry-run only validates.  Needs the store\n"
"    not to be open by a running daemon.\n"
HELP_EXIT_STATUS;

static const char *const help_compact =
"NAME\n    hms-registry compact - compact the store on disk\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] compact\n\n"
"DESCRIPTION\n    Drops invalid rows first (as repair does), then compacts.\n"
HELP_EXIT_STATUS;

static const char *const help_repair =
"NAME\n    hms-registry repair - drop invalid stored rows\n\n"
"SYNOPSIS\n    hms-registry [--db DIR] repair\n\n"
"DESCRIPTION\n    Deletes every strategy, outcome, evidence, parameter or fleet row\n"
"    that does not decode or validate (open skips and reports them).\n"
HELP_EXIT_STATUS;

static const char *const help_merge =
"NAME\n    hms-registry merge - combine exports of many hosts offline\n\n"
"SYNOPSIS\n    hms-registry merge FILE... --out FILE\n\n"
"DESCRIPTION\n    Every file is validated first.  The result holds the newest\n"
"    contribution of every source host (by export time) and the\n"
"    strategies by name (the first file wins).  Importing it is the\n"
"    same as importing each file, in any order, any number of times.\n"
HELP_EXIT_STATUS;

static int usage(const char *cmd, const char *msg)
{
	fprintf(stderr, "hms-registry: %s\nTry 'hms-registry %s%s--help'.\n",
		msg, cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/* Parse T (see help_query) into CLOCK_REALTIME ns; -EINVAL if bad. */
static int parse_time(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	char *end;
	double v;
	time_t now = time(NULL);

	if (!strcmp(s, "now")) {
		*out = (uint64_t)now * 1000000000ull;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (end) {
		if (*end == ':')
			end = strptime(end + 1, "%S", &tm);
		if (!end || (*end && strcmp(end, "Z")))
			return -EINVAL;
		*out = (uint64_t)timegm(&tm) * 1000000000ull;
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	switch (*end) {
	case 0:
		*out = (uint64_t)(v * 1e9);
		return 0;
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	default: return -EINVAL;
	}
	if (end[1] || v > now)
		return -EINVAL;
	*out = (uint64_t)((now - v) * 1e9);
	return 0;
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = ns / 1000000000ull;
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03uZ",
		 (unsigned)(ns % 1000000000ull / 1000000));
}

static void san(const char *in, char *out, size_t len, size_t cols)
{
	char tmp[512];

	sanitize_str(in, tmp, sizeof(tmp));
	sanitize_fit(tmp, cols, 0, out, len);
}

/* ---- commands ------------------------------------------------------- */

static int cmd_stats(struct hms_registry *reg, struct opts *o)
{
	struct registry_stats st;
	char when[40], host[80];
	json_t *j;

	if (registry_get_stats(reg, &st))
		return 1;
	fmt_time(st.created_ns, when, sizeof(when));
	if (o->json) {
		j = json_pack("{s:i, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			      "schema_version", st.schema_version, "host", st.host,
			      "created_ns", (json_int_t)st.created_ns, "created", when,
			      "incidents", (json_int_t)st.incidents,
			      "outcomes", (json_int_t)st.outcomes,
			      "strategies", (json_int_t)st.strategies,
			      "evidence", (json_int_t)st.evidence,
			      "disk_bytes", (json_int_t)st.disk_bytes,
			      "bad_rows", (json_int_t)st.bad_rows,
			      "sources", (json_int_t)st.sources);
		hms_json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
		return 0;
	}
	san(st.host, host, sizeof(host), 63);
	printf("schema version  %u\nhost            %s\ncreated         %s\n"
	       "incidents       %llu\noutcomes        %llu\nstrategies      %llu\n"
	       "evidence rows   %llu\ndisk bytes      %llu\n"
	       "fleet sources   %llu\ninvalid rows    %llu%s\n",
	       st.schema_version, host, when, (unsigned long long)st.incidents,
	       (unsigned long long)st.outcomes, (unsigned long long)st.strategies,
	       (unsigned long long)st.evidence, (unsigned long long)st.disk_bytes,
	       (unsigned long long)st.sources, (unsigned long long)st.bad_rows,
	       st.bad_rows ? " (skipped; hms-registry repair drops them)" : "");
	return 0;
}

static int print_incident(uint64_t id, const struct registry_incident *in,
			  void *arg)
{
	char when[40], comm[64], detail[256], host[80], component[128];
	char failure[128];

	fmt_time(in->time_ns, when, sizeof(when));
	if (arg) {
		json_array_append_new(arg, json_pack(
			"{s:I, s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:i, s:b, s:i, s:s}",
			"id", (json_int_t)id, "time_ns", (json_int_t)in->time_ns,
			"time", when, "host", in->host, "component", in->component,
			"pid", (int)in->pid, "comm", in->comm, "failure", in->failure,
			"signal", in->signal, "exit_code", in->exit_code,
			"core_dumped", in->core_dumped != 0,
			"sender_pid", (int)in->sender_pid, "detail", in->detail));
		return 0;
	}
	san(in->comm, comm, sizeof(comm), 15);
	san(in->detail, detail, sizeof(detail), 60);
	san(in->host, host, sizeof(host), 12);
	san(in->component, component, sizeof(component), 31);
	san(in->failure, failure, sizeof(failure), 31);
	printf("%-24s %-12s %-12s %-10s %7u %-15s %4d %5d  %s\n", when, host,
	       component, failure, in->pid, comm, in->signal,
	       in->exit_code, detail);
	return 0;
}

static int cmd_query(struct hms_registry *reg, struct opts *o)
{
	struct registry_query q = { .component = o->component,
				    .failure = o->failure, .since_ns = o->since,
				    .until_ns = o->until, .limit = o->limit };
	json_t *arr = o->json ? json_array() : NULL;
	int n;

	if (!arr)
		printf("%-24s %-12s %-12s %-10s %7s %-15s %4s %5s  %s\n", "TIME",
		       "HOST", "COMPONENT", "CLASS", "PID", "COMM", "SIG",
		       "EXIT", "DETAIL");
	n = registry_query_incidents(reg, &q, print_incident, arr);
	if (n < 0) {
		json_decref(arr);
		return usage("query", registry_last_error(reg));
	}
	if (arr) {
		hms_json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	}
	return 0;
}

struct ev_print {
	json_t *arr;
	int all;
};

static int print_evidence(const struct registry_evidence *e, void *arg)
{
	struct ev_print *p = arg;
	char comp[64], strat[64], tuned[300], failure[64];

	if (e->decayed && !p->all)
		return 0;
	if (p->arr) {
		json_t *t = json_loads(e->tuned_params, 0, NULL);

		json_array_append_new(p->arr, json_pack(
			"{s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
			"s:f, s:I, s:I, s:i, s:f, s:f, s:b, s:o}",
			"component", e->component, "failure", e->failure,
			"strategy", e->strategy, "mean", e->mean,
			"lo90", e->lo90, "hi90", e->hi90, "p_next", e->p_next,
			"successes", e->successes, "failures", e->failures,
			"fleet_successes", e->fleet_successes,
			"fleet_failures", e->fleet_failures,
			"success_rate", e->success_rate,
			"n_outcomes", (json_int_t)e->n_outcomes,
			"trials", (json_int_t)e->trials,
			"changes", (int)e->changes,
			"median_recover_ms", e->median_recover_ms,
			"p95_recover_ms", e->p95_recover_ms,
			"decayed", e->decayed, "tuned_params",
			t ? t : json_object()));
		return 0;
	}
	san(e->component, comp, sizeof(comp), 12);
	san(e->strategy, strat, sizeof(strat), 16);
	san(e->tuned_params, tuned, sizeof(tuned), 40);
	san(e->failure, failure, sizeof(failure), 10);
	printf("%-12s %-10s %-16s %5.3f [%5.3f,%5.3f] %5.0f%% %8.2f %8.2f %8.2f %6llu %5llu %3u %9.1f  %s\n",
	       comp, failure, strat, e->mean, e->lo90, e->hi90,
	       100 * e->p_next, e->successes, e->failures,
	       e->fleet_successes + e->fleet_failures,
	       (unsigned long long)e->n_outcomes, (unsigned long long)e->trials,
	       e->changes, e->median_recover_ms, tuned);
	return 0;
}

static int add_strategy(const struct registry_strategy *s, void *arg)
{
	json_t *a = json_loads(s->actions, 0, NULL);
	json_t *p = json_loads(s->params[0] ? s->params : "{}", 0, NULL);
	json_t *b = json_loads(s->bounds[0] ? s->bounds : "{}", 0, NULL);

	json_array_append_new(arg, json_pack("{s:s, s:s, s:o, s:o, s:o}",
		"name", s->name, "failure", s->failure, "actions", a ? a : json_array(),
		"params", p ? p : json_object(), "bounds", b ? b : json_object()));
	return 0;
}

static int add_aggregate(const struct registry_aggregate *a, void *arg)
{
	json_array_append_new(arg, json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f}",
		"component", a->component, "failure", a->failure,
		"strategy", a->strategy, "count", (json_int_t)a->count,
		"successes", (json_int_t)a->successes,
		"unverified", (json_int_t)a->unverified,
		"success_rate", a->success_rate,
		"median_recover_ms", a->median_recover_ms,
		"p95_recover_ms", a->p95_recover_ms));
	return 0;
}

static int cmd_strategies(struct hms_registry *reg, struct opts *o)
{
	struct registry_query q = { .component = o->component };
	json_t *ev = o->json ? json_array() : NULL, *def, *agg, *doc;
	struct ev_print p = { ev, o->all };

	if (!ev)
		printf("%-12s %-10s %-16s %5s %-13s %6s %8s %8s %8s %6s %5s %3s %9s  %s\n",
		       "COMPONENT", "CLASS", "STRATEGY", "MEAN", "90%", "NEXT",
		       "SUCC", "FAIL", "FLEET", "N", "TRIAL", "CHG", "MED_MS",
		       "TUNED");
	if (registry_evidence_foreach(reg, o->component, print_evidence, &p) < 0)
		return 1;
	if (!ev)
		return 0;
	/* exact aggregates walk every stored outcome: only when asked */
	def = json_array();
	registry_strategy_foreach(reg, add_strategy, def);
	agg = json_array();
	registry_aggregate_foreach(reg, &q, add_aggregate, agg);
	doc = json_pack("{s:o, s:o, s:o}", "evidence", ev, "strategies", def,
			"aggregates", agg);
	hms_json_dumpf(doc, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(doc);
	return 0;
}

static int cmd_export(struct hms_registry *reg, struct opts *o)
{
	FILE *f = o->out ? fopen(o->out, "w") : stdout;
	int err;

	if (!f) {
		fprintf(stderr, "hms-registry: %s: %s\n", o->out, strerror(errno));
		return 1;
	}
	err = registry_export(reg, f);
	if (o->out && fclose(f))
		err = -errno;
	if (err)
		fprintf(stderr, "hms-registry: export: %s\n", strerror(-err));
	return err ? 1 : 0;
}

static int cmd_import(struct hms_registry *reg, struct opts *o,
		      const char *file)
{
	int n = registry_import(reg, file, o->dry_run);

	if (n < 0) {
		fprintf(stderr, "hms-registry: import: %s\nnothing was written\n",
			registry_last_error(reg));
		return 1;
	}
	fprintf(stderr, "%s %d items from %s\n",
		o->dry_run ? "valid, would import" : "imported", n, file);
	return 0;
}

static int cmd_repair(struct hms_registry *reg)
{
	int n = registry_repair(reg);

	if (n < 0) {
		fprintf(stderr, "hms-registry: repair: %s\n", registry_last_error(reg));
		return 1;
	}
	fprintf(stderr, "repair: dropped %d invalid rows\n", n);
	return 0;
}

static int cmd_merge(int argc, char **argv, const char *out)
{
	char err[600];
	FILE *f;
	int rc;

	if (!out)
		return usage("merge", "merge needs --out FILE");
	if (argc < 1)
		return usage("merge", "merge needs at least one FILE");
	f = fopen(out, "w");
	if (!f) {
		fprintf(stderr, "hms-registry: %s: %s\n", out, strerror(errno));
		return 1;
	}
	rc = registry_merge_exports((const char *const *)argv, argc, f, err,
				    sizeof(err));
	if (fclose(f) && !rc)
		rc = -EIO;
	if (rc) {
		fprintf(stderr, "hms-registry: merge: %s\nnothing was written\n",
			err);
		remove(out);
		return 1;
	}
	fprintf(stderr, "merged %d exports into %s\n", argc, out);
	return 0;
}

static int cmd_compact(struct hms_registry *reg)
{
	struct registry_stats a, b;

	if (registry_repair(reg) < 0) {
		fprintf(stderr, "hms-registry: compact: %s\n", registry_last_error(reg));
		return 1;
	}
	registry_get_stats(reg, &a);
	if (registry_compact(reg)) {
		fprintf(stderr, "hms-registry: compact: %s\n", registry_last_error(reg));
		return 1;
	}
	registry_get_stats(reg, &b);
	fprintf(stderr, "compacted: %llu -> %llu bytes\n",
		(unsigned long long)a.disk_bytes, (unsigned long long)b.disk_bytes);
	return 0;
}

/* ---- argument parsing ---------------------------------------------- */

static const struct {
	const char *name, *help;
	int rw;
} cmds[] = {
	{ "stats", help_stats, 0 }, { "query", help_query, 0 },
	{ "strategies", help_strategies, 0 }, { "export", help_export, 0 },
	{ "import", help_import, 1 }, { "compact", help_compact, 1 },
	{ "repair", help_repair, 1 }, { "merge", help_merge, -1 },
};

static int parse_sub(int argc, char **argv, const char *cmd, struct opts *o)
{
	static const struct option lo[] = {
		{ "component", 1, 0, 'c' }, { "class", 1, 0, 'f' },
		{ "since", 1, 0, 's' }, { "until", 1, 0, 'u' },
		{ "limit", 1, 0, 'n' }, { "json", 0, 0, 'j' },
		{ "out", 1, 0, 'o' }, { "dry-run", 0, 0, 'd' },
		{ "help", 0, 0, 'h' }, { "all", 0, 0, 'a' }, { 0 },
	};
	char *end;
	int c;

	optind = 0;	/* full reset of glibc getopt for the sub-argv */
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->component = optarg; break;
		case 'f': o->failure = optarg; break;
		case 'j': o->json = 1; break;
		case 'o': o->out = optarg; break;
		case 'd': o->dry_run = 1; break;
		case 'a': o->all = 1; break;
		case 's':
		case 'u':
			if (parse_time(optarg, c == 's' ? &o->since : &o->until))
				return usage(cmd, "bad time (see --help)");
			break;
		case 'n':
			o->limit = strtoul(optarg, &end, 10);
			if (*end || !*optarg || optarg[0] == '-')
				return usage(cmd, "--limit needs a number");
			break;
		case 'h': return -1;
		default: return usage(cmd, "unknown option");
		}
	}
	if (o->failure && !registry_failure_valid(o->failure))
		return usage(cmd, "--class: unknown failure class");
	if (o->component && !registry_name_valid(o->component))
		return usage(cmd, "--component: not a valid name");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", 1, 0, 'D' }, { "help", 0, 0, 'h' }, { 0 },
	};
	struct opts o = { .db = DEFAULT_DB, .limit = 50 };
	struct hms_registry *reg = NULL;
	const char *file = NULL;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		if (c == 'D')
			o.db = optarg;
		else if (c == 'h')
			return fputs(help_main, stdout), 0;
		else
			return usage(NULL, "unknown option");
	}
	if (optind >= argc)
		return usage(NULL, "missing command");
	if (!strcmp(argv[optind], "help")) {
		for (i = 0; optind + 1 < argc && i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(cmds[i].name, argv[optind + 1]))
				return fputs(cmds[i].help, stdout), 0;
		return fputs(help_main, stdout), 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, argv[optind]))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return usage(NULL, "unknown command");
	argc -= optind;
	argv += optind;
	rc = parse_sub(argc, argv, cmds[i].name, &o);
	if (rc)
		return rc < 0 ? (fputs(cmds[i].help, stdout), 0) : rc;
	if (!strcmp(cmds[i].name, "import")) {
		if (optind + 1 != argc)
			return usage("import", "import needs exactly one FILE");
		file = argv[optind];
	} else if (cmds[i].rw < 0) {
		return cmd_merge(argc - optind, argv + optind, o.out);
	} else if (optind != argc) {
		return usage(cmds[i].name, "unexpected argument");
	}
	if ((cmds[i].rw ? registry_open : registry_open_ro)(o.db, &reg))
		return 1;
	switch (i) {
	case 0: rc = cmd_stats(reg, &o); break;
	case 1: rc = cmd_query(reg, &o); break;
	case 2: rc = cmd_strategies(reg, &o); break;
	case 3: rc = cmd_export(reg, &o); break;
	case 4: rc = cmd_import(reg, &o, file); break;
	case 5: rc = cmd_compact(reg); break;
	default: rc = cmd_repair(reg); break;
	}
	registry_close(reg);
	return rc;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * event_json.c - the one JSON rendering of an event (schema_version 2,
 * docs/events.schema.json): what --json, --json-file, the dashboard
 * socket and the plugins all see.  Every event carries the same envelope
 * (schema_version, id, type, time, ts_ns, host); the processes an event
 * is about appear as role objects of one shape (process, parent, sender,
 * target) and only when known; every enum is written as its name (the
 * names table, common/hms_names.c); durations are integers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "event.h"
#include "hms_json.h"
#include "hms_sanitize.h"

/* ---- event ids: one counter, the id of the event being dispatched ---- */

static uint64_t event_seq;	/* last id given */
static uint64_t event_cur;	/* id of the event on the bus now, 0 none */

uint64_t event_id_begin(void)
{
	uint64_t prev = event_cur;

	event_cur = ++event_seq;
	return prev;
}

void event_id_end(uint64_t prev)
{
	event_cur = prev;
}

uint64_t event_id_current(void)
{
	return event_cur;
}

/* The id of the event being rendered: the caller's, the bus's when it is
 * being dispatched, else a new one (rendered outside the bus: a test). */
static uint64_t event_id(uint64_t id)
{
	return id ? id : event_cur ? event_cur : ++event_seq;
}

/* ---- host and wall-clock time ---- */

static char event_host[256];

/* gethostname() once: the host's name does not change under us often
 * enough to pay a syscall per event. */
static const char *event_hostname(void)
{
	if (!event_host[0] &&
	    gethostname(event_host, sizeof(event_host) - 1) < 0)
		snprintf(event_host, sizeof(event_host), "localhost");
	return event_host;
}

/* RFC 3339 UTC with nanoseconds of a CLOCK_MONOTONIC time: the wall clock
 * now minus how long ago it was (so a clock step shows on new events).
 * Any ts_ns (a record is untrusted) gives a valid time: before the epoch
 * is the epoch, after 9999 is the end of 9999. */
void event_time_str(uint64_t mono_ns, char *buf, size_t len)
{
	const uint64_t max_ns = 253402300799ull * 1000000000ull + 999999999ull;
	struct timespec rt, mt;
	uint64_t rt_ns, mt_ns, wall;
	time_t sec;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	rt_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	mt_ns = (uint64_t)mt.tv_sec * 1000000000ull + (uint64_t)mt.tv_nsec;
	if (mono_ns <= mt_ns)		/* the past */
		wall = rt_ns > mt_ns - mono_ns ? rt_ns - (mt_ns - mono_ns) : 0;
	else				/* a future stamp */
		wall = mono_ns - mt_ns > max_ns - rt_ns ? max_ns :
		       rt_ns + (mono_ns - mt_ns);
	if (wall > max_ns)
		wall = max_ns;
	sec = (time_t)(wall / 1000000000ull);
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec,
		 (unsigned long long)(wall % 1000000000ull));
}

/* ---- helpers ---- */

/* Copy a fixed-size, maybe unterminated char array into a JSON string.
 * jansson escapes control characters (and hms_json_dumps C1 and bidi);
 * the bytes of invalid UTF-8 become \xNN text (the sanitizer's) so the
 * JSON stays valid. */
static json_t *event_json_str(const char *s, size_t max)
{
	char buf[6 * 256 + 1];
	size_t n = strnlen(s, max);
	json_t *j;

	if (n > 256)
		n = 256;
	j = json_stringn(s, n);	/* NULL when not valid UTF-8 */
	if (j)
		return j;
	sanitize_utf8_repair(s, n, buf, sizeof(buf));
	return json_string(buf);
}

#define JSTR(o, k, field) \
	json_object_set_new(o, k, event_json_str(field, sizeof(field)))
#define JINT(o, k, v)	json_object_set_new(o, k, json_integer((json_int_t)(v)))
#define JREAL(o, k, v)	json_object_set_new(o, k, json_real(v))
#define JBOOL(o, k, v)	json_object_set_new(o, k, json_boolean(v))
#define JNAME(o, k, v)	json_object_set_new(o, k, json_string(v))

/* Nanoseconds as integer milliseconds, rounded. */
static json_int_t event_ms(uint64_t ns)
{
	return (json_int_t)((ns + 500000) / 1000000);
}

/* Milliseconds held in a double (a backoff delay) as an integer: rounded,
 * and never a float-to-integer overflow whatever the record says. */
static json_int_t event_ms_f(double ms)
{
	if (!(ms > 0))
		return 0;		/* also NaN */
	if (ms > 1e15)
		return (json_int_t)1e15;
	return (json_int_t)(ms + 0.5);
}

/* A role object: pid always, the rest when known. */
static json_t *event_role(uint32_t pid, uint32_t tid, uint32_t ppid,
			  uint64_t cgroup_id, const char *comm)
{
	json_t *r = json_object();

	JINT(r, "pid", pid);
	if (tid)
		JINT(r, "tid", tid);
	if (ppid)
		JINT(r, "ppid", ppid);
	if (comm && comm[0])
		json_object_set_new(r, "comm",
				    event_json_str(comm, HMS_COMM_LEN));
	if (cgroup_id)
		JINT(r, "cgroup_id", cgroup_id);
	return r;
}

/* The header's process as role k; nothing when the header has none. */
static void event_hdr_role(json_t *o, const char *k,
			   const struct hms_event_hdr *h)
{
	if (h->tgid)
		json_object_set_new(o, k, event_role(h->tgid, h->tid, h->ppid,
						     h->cgroup_id, h->comm));
}

static void event_signal(json_t *o, uint32_t sig)
{
	if (!sig)
		return;
	JNAME(o, "signal", hms_signal_name(sig));
	JINT(o, "signo", sig);
}

/* errno e (positive) as "ECONNREFUSED" and its number. */
static void event_errno(json_t *o, const char *k, int e)
{
	const char *n = e > 0 && e < 4096 ? strerrorname_np(e) : NULL;

	JNAME(o, k, n ? n : "unknown");
	JINT(o, "errno", e);
}

/* ---- kernel events ---- */

static json_t *event_checks(uint32_t bits)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < 3; i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string(
				hms_verify_check_name(i)));
	return a;
}

/* tcp_reset_send's reason: enum sk_rst_reason, whose first values are
 * stable; later ones differ between kernels and stay numbered. */
static void event_reset_reason(json_t *o, int r)
{
	char buf[32];

	if (r == 0)
		JNAME(o, "reset_reason", "NOT_SPECIFIED");
	else if (r == 1)
		JNAME(o, "reset_reason", "NO_SOCKET");
	else {
		snprintf(buf, sizeof(buf), "reason_%d", r);
		JNAME(o, "reset_reason", buf);
	}
}

static void event_json_net(json_t *o, const struct hms_ev_net *e)
{
	char a[INET6_ADDRSTRLEN];

	if (e->owner_known)
		event_hdr_role(o, "process", &e->hdr);
	JNAME(o, "family", e->family == AF_INET6 ? "ipv6" : "ipv4");
	event_addr_str(e->family, e->saddr, a, sizeof(a));
	JNAME(o, "saddr", a);
	event_addr_str(e->family, e->daddr, a, sizeof(a));
	JNAME(o, "daddr", a);
	JINT(o, "sport", e->sport);
	JINT(o, "dport", e->dport);
	JNAME(o, "state", hms_tcp_state_name(e->state));
	if (e->hdr.type == HMS_EV_TCP_RESET_SEND)
		event_reset_reason(o, e->error);
	else if (e->error > 0)
		event_errno(o, "error", e->error);
}

static void event_json_stats(json_t *o, const struct hms_ev_stats *e)
{
	json_t *ev = json_object(), *dr = json_object();

	for (unsigned int t = 0; t < HMS_EV_TYPE_MAX; t++) {
		const char *n = event_type_name(t);

		if (!n || t >= HMS_EV_STATS)
			continue;
		JINT(ev, n, e->events[t]);
		JINT(dr, n, e->drops[t]);
	}
	json_object_set_new(o, "events", ev);
	json_object_set_new(o, "drops", dr);
	JINT(o, "ratelimited", e->ratelimited);
	JINT(o, "unknown", e->unknown);
	JINT(o, "short_records", e->short_records);
	JINT(o, "delivered", e->delivered);
	JINT(o, "filtered", e->filtered);
}

static void event_json_exit(json_t *o, const struct hms_ev_exit *e)
{
	event_hdr_role(o, "process", &e->hdr);
	JINT(o, "exit_code", e->exit_code);
	event_signal(o, e->signal);
	JBOOL(o, "core_dumped", e->core_dumped);
	/* a crash is a signal the process raised on itself; a SIGKILL or
	 * SIGTERM (from another process or the kernel) is "killed" */
	JBOOL(o, "crash", e->signal && hms_signal_is_fault(e->signal));
	JBOOL(o, "killed", e->signal && !hms_signal_is_fault(e->signal));
}

static void event_json_signal(json_t *o, const struct hms_ev_signal *e)
{
	event_hdr_role(o, "sender", &e->hdr);	/* pid 0: the kernel */
	json_object_set_new(o, "target", event_role(e->target_tgid,
		e->target_tid, 0, e->hdr.cgroup_id, e->target_comm));
	event_signal(o, e->signal);
	JNAME(o, "si_code", hms_si_code_name(e->signal, e->code));
}

static void event_json_oom(json_t *o, const struct hms_ev_oom *e)
{
	json_t *t = event_role(e->victim_tgid, 0, 0, e->victim_cgroup_id,
			       e->victim_comm);

	JINT(t, "uid", e->uid);
	event_hdr_role(o, "process", &e->hdr);
	json_object_set_new(o, "target", t);
	JINT(o, "total_vm_kb", e->total_vm_kb);
	JINT(o, "anon_rss_kb", e->anon_rss_kb);
	JINT(o, "file_rss_kb", e->file_rss_kb);
	JINT(o, "shmem_rss_kb", e->shmem_rss_kb);
	JINT(o, "oom_score_adj", e->oom_score_adj);
}

static void event_json_kernel(json_t *o, const struct hms_event_hdr *h)
{
	switch (h->type) {
	case HMS_EV_EXEC: {
		const struct hms_ev_exec *e = (const void *)h;

		event_hdr_role(o, "process", h);
		JSTR(o, "filename", e->filename);
		JINT(o, "old_tid", e->old_tid);
		break;
	}
	case HMS_EV_FORK: {
		const struct hms_ev_fork *e = (const void *)h;

		event_hdr_role(o, "parent", h);
		json_object_set_new(o, "process", event_role(e->child_tgid,
			e->child_tid, e->is_thread ? h->ppid : h->tgid,
			h->cgroup_id, h->comm));
		JBOOL(o, "thread", e->is_thread);
		break;
	}
	case HMS_EV_EXIT:
		event_json_exit(o, (const void *)h);
		break;
	case HMS_EV_SIGNAL:
		event_json_signal(o, (const void *)h);
		break;
	case HMS_EV_OOM:
		event_json_oom(o, (const void *)h);
		break;
	case HMS_EV_HANG:
		event_hdr_role(o, "process", h);
		JINT(o, "blocked_ms",
		     event_ms(((const struct hms_ev_hang *)h)->blocked_ns));
		break;
	case HMS_EV_RUNQ_LATENCY: {
		const struct hms_ev_runq *e = (const void *)h;

		event_hdr_role(o, "process", h);
		JINT(o, "latency_us", e->latency_ns / 1000);
		JINT(o, "cpu", e->cpu);
		break;
	}
	case HMS_EV_CONNECT_FAIL: case HMS_EV_SOCK_ERROR:
	case HMS_EV_TCP_RESET_RECV: case HMS_EV_TCP_RESET_SEND:
	case HMS_EV_TCP_RETRANSMIT:
		event_json_net(o, (const void *)h);
		break;
	}
}

/* ---- derived events ---- */

/* The forensics of an OOM failure: what an operator needs for "why". */
static void event_oom_json(json_t *o, const struct hms_ev_failure *e)
{
	json_t *f = json_object();

	JINT(f, "victim_rss_kb", e->oom_rss_kb);
	if (e->oom_flags & HMS_OOM_F_CGROUP) {
		if (e->oom_cg_limit == UINT64_MAX)
			json_object_set_new(f, "cgroup_limit_bytes", json_null());
		else
			JINT(f, "cgroup_limit_bytes", e->oom_cg_limit);
		JINT(f, "cgroup_usage_bytes", e->oom_cg_usage);
		JINT(f, "cgroup_peak_bytes", e->oom_cg_peak);
	}
	if (e->oom_flags & HMS_OOM_F_PRESSURE) {
		JREAL(f, "memory_some_avg10", e->oom_mem_some_avg10 / 100.0);
		JREAL(f, "memory_full_avg10", e->oom_mem_full_avg10 / 100.0);
	}
	JBOOL(f, "mem_pressure_before", e->oom_flags & HMS_OOM_F_PRECEDED);
	if (e->oom_flags & HMS_OOM_F_PRECEDED) {
		JINT(f, "mem_pressure_ago_ms", e->oom_pressure_ago_ms);
		JSTR(f, "mem_pressure_strategy", e->oom_pressure_strategy);
	}
	json_object_set_new(o, "oom", f);
}

/* The explanation of a strategy_chosen: reason, parameters, and every
 * candidate's posterior and probability of being chosen. */
static void event_json_choice(json_t *o, const struct hms_ev_strategy *e)
{
	json_t *arr = json_array();
	uint32_t i, n = e->n_explained < HMS_EXPLAIN_MAX ? e->n_explained
							 : HMS_EXPLAIN_MAX;

	JNAME(o, "reason", hms_choice_reason_name(e->reason));
	JINT(o, "delay_ms", event_ms_f(e->delay_ms));
	JREAL(o, "factor", e->factor);
	JBOOL(o, "param_trial", e->param_trial);
	for (i = 0; i < n; i++) {
		const struct hms_ev_candidate *c = &e->cand[i];
		json_t *j = json_object();

		JSTR(j, "strategy", c->strategy);
		JREAL(j, "successes", c->successes);
		JREAL(j, "failures", c->failures);
		JREAL(j, "mean", c->mean);
		JREAL(j, "lo90", c->lo90);
		JREAL(j, "hi90", c->hi90);
		JREAL(j, "p_choose", c->p_choose);
		json_array_append_new(arr, j);
	}
	json_object_set_new(o, "explained", arr);
}

/* The evidence behind an outcome: which checks it needed and passed. */
static void event_json_outcome(json_t *o, const struct hms_ev_outcome *e)
{
	json_t *pids = json_array();

	JSTR(o, "component", e->component);
	event_hdr_role(o, "process", &e->hdr);
	JSTR(o, "failure", e->failure);
	JSTR(o, "strategy", e->strategy);
	JBOOL(o, "success", e->success);
	JINT(o, "recover_ms", event_ms(e->recover_ns));
	JNAME(o, "result", hms_outcome_result_name(e->result));
	json_object_set_new(o, "checks", event_checks(e->checks));
	json_object_set_new(o, "passed", event_checks(e->passed));
	for (uint32_t i = 0; i < e->n_alive && i < HMS_OUTCOME_PIDS; i++)
		json_array_append_new(pids, json_integer(e->alive_pids[i]));
	JINT(o, "n_alive", e->n_alive);
	json_object_set_new(o, "alive_pids", pids);
	JINT(o, "alive_ms", event_ms(e->alive_ns));
	JINT(o, "window_ms", event_ms(e->window_ns));
	JINT(o, "probe_ok", e->probe_ok);
	JINT(o, "probe_failed", e->probe_failed);
	JINT(o, "condition_count", e->cond_count);
	JINT(o, "condition_threshold", e->cond_threshold);
	JSTR(o, "reason", e->reason);
}

static void event_json_action(json_t *o, const struct hms_ev_action *e)
{
	JSTR(o, "component", e->component);
	JSTR(o, "strategy", e->strategy);
	event_hdr_role(o, "process", &e->hdr);
	JNAME(o, "kind", hms_action_kind_name(e->kind));
	JNAME(o, "phase", hms_action_phase_name(e->phase));
	if (e->result < 0)	/* -errno; INT_MIN has no negation */
		event_errno(o, "result", e->result < -4095 ? 4096 : -e->result);
	else
		JNAME(o, "result", "ok");
	JBOOL(o, "dry_run", e->dry_run);
	JSTR(o, "detail", e->detail);
}

static void event_json_failure(json_t *o, const struct hms_ev_failure *e)
{
	if (e->component[0])
		JSTR(o, "component", e->component);
	JSTR(o, "failure", e->failure);
	JSTR(o, "cause", e->cause);
	event_hdr_role(o, "process", &e->hdr);
	if (e->sender_tgid)
		json_object_set_new(o, "sender", event_role(e->sender_tgid, 0,
			0, 0, e->sender_comm));
	event_signal(o, e->signal);
	JINT(o, "exit_code", e->exit_code);
	JBOOL(o, "core_dumped", e->core_dumped);
	if (!strcmp(e->failure, "oom"))
		event_oom_json(o, e);
}

static void event_json_derived(json_t *o, const struct hms_event_hdr *h)
{
	switch (h->type) {
	case HMS_EV_STATS:
		event_json_stats(o, (const void *)h);
		break;
	case HMS_EV_COMPONENT_STATE: {
		const struct hms_ev_component *e = (const void *)h;

		JSTR(o, "component", e->component);
		event_hdr_role(o, "process", h);
		JNAME(o, "old_state", hms_state_name(e->old_state));
		JNAME(o, "new_state", hms_state_name(e->new_state));
		JINT(o, "restarts", e->restarts);
		JSTR(o, "reason", e->reason);
		break;
	}
	case HMS_EV_ACTION:
		event_json_action(o, (const void *)h);
		break;
	case HMS_EV_STRATEGY: {
		const struct hms_ev_strategy *e = (const void *)h;

		JSTR(o, "component", e->component);
		event_hdr_role(o, "process", h);
		JSTR(o, "failure", e->failure);
		JSTR(o, "strategy", e->strategy);
		JREAL(o, "successes", e->successes);
		JREAL(o, "failures", e->failures);
		JREAL(o, "sample", e->sample);
		JINT(o, "candidates", e->candidates);
		JBOOL(o, "cold_start", e->cold_start);
		event_json_choice(o, e);
		break;
	}
	case HMS_EV_OUTCOME:
		event_json_outcome(o, (const void *)h);
		break;
	case HMS_EV_ALERT: {
		const struct hms_ev_alert *e = (const void *)h;

		JSTR(o, "component", e->component);
		event_hdr_role(o, "process", h);
		JNAME(o, "severity", hms_severity_name(e->severity));
		JSTR(o, "message", e->message);
		break;
	}
	case HMS_EV_FAILURE:
		event_json_failure(o, (const void *)h);
		break;
	case HMS_EV_REGISTRY: {
		const struct hms_ev_registry *e = (const void *)h;

		event_hdr_role(o, "process", h);
		JNAME(o, "state", hms_registry_state_name(e->state));
		if (e->error)
			event_errno(o, "error", e->error);
		JINT(o, "pending", e->pending);
		JINT(o, "lost", e->lost);
		JINT(o, "stored", e->stored);
		JINT(o, "restarts", e->restarts);
		JSTR(o, "message", e->message);
		break;
	}
	}
}

json_t *event_to_json(const struct hms_event_hdr *ev)
{
	return event_to_json_id(ev, 0);
}

/* An empty object for a well-formed ev, else NULL. */
static json_t *event_json_new(const struct hms_event_hdr *ev)
{
	return event_check(ev, ev->size) ? NULL : json_object();
}

/* ev's own fields, after whatever o holds already. */
static json_t *event_json_fields(json_t *o, const struct hms_event_hdr *ev)
{
	if (ev->type < HMS_EV_STATS)
		event_json_kernel(o, ev);
	else
		event_json_derived(o, ev);
	return o;
}

json_t *event_to_json_id(const struct hms_event_hdr *ev, uint64_t id)
{
	char t[40];
	json_t *o = event_json_new(ev);

	if (!o)
		return NULL;
	JINT(o, "schema_version", HMS_JSON_SCHEMA_VERSION);
	JINT(o, "id", event_id(id));
	JNAME(o, "type", event_type_name(ev->type));
	event_time_str(ev->ts_ns, t, sizeof(t));
	JNAME(o, "time", t);
	JINT(o, "ts_ns", ev->ts_ns);
	json_object_set_new(o, "host", event_json_str(event_hostname(),
						      sizeof(event_host)));
	return event_json_fields(o, ev);
}

json_t *event_to_json_body(const struct hms_event_hdr *ev)
{
	json_t *o = event_json_new(ev);

	return o ? event_json_fields(o, ev) : NULL;
}

char *event_to_json_str(const struct hms_event_hdr *ev)
{
	return event_to_json_str_id(ev, 0);
}

char *event_to_json_str_id(const struct hms_event_hdr *ev, uint64_t id)
{
	json_t *o = event_to_json_id(ev, id);
	char *s;

	if (!o)
		return NULL;
	/* 9 significant digits: 0.1 + 0.2 is 0.3, not 0.30000000000000004 */
	s = hms_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
			   JSON_REAL_PRECISION(9));
	json_decref(o);
	return s;
}

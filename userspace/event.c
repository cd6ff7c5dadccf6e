// SPDX-License-Identifier: BSD-2-Clause
/*
 * event.c - the one place that knows each event type's size and name and
 * renders events as JSON.  The JSON here is the external format shared by
 * --json, the dashboard socket and the docs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "event.h"
#include "hms_json.h"
#include "hms_sanitize.h"
#include "loop.h"

struct event_desc {
	size_t size;
	int critical;
};

static const struct event_desc event_descs[HMS_EV_TYPE_MAX] = {
	[HMS_EV_EXEC] = { sizeof(struct hms_ev_exec), 0 },
	[HMS_EV_FORK] = { sizeof(struct hms_ev_fork), 0 },
	[HMS_EV_EXIT] = { sizeof(struct hms_ev_exit), 1 },
	[HMS_EV_SIGNAL] = { sizeof(struct hms_ev_signal), 1 },
	[HMS_EV_OOM] = { sizeof(struct hms_ev_oom), 1 },
	[HMS_EV_HANG] = { sizeof(struct hms_ev_hang), 1 },
	[HMS_EV_CONNECT_FAIL] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_SOCK_ERROR] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_TCP_RESET_RECV] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_TCP_RESET_SEND] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_TCP_RETRANSMIT] = { sizeof(struct hms_ev_net), 0 },
	[HMS_EV_RUNQ_LATENCY] = { sizeof(struct hms_ev_runq), 0 },
	[HMS_EV_STATS] = { sizeof(struct hms_ev_stats), 0 },
	[HMS_EV_COMPONENT_STATE] = { sizeof(struct hms_ev_component), 0 },
	[HMS_EV_ACTION] = { sizeof(struct hms_ev_action), 0 },
	[HMS_EV_STRATEGY] = { sizeof(struct hms_ev_strategy), 0 },
	[HMS_EV_OUTCOME] = { sizeof(struct hms_ev_outcome), 0 },
	[HMS_EV_ALERT] = { sizeof(struct hms_ev_alert), 0 },
	[HMS_EV_FAILURE] = { sizeof(struct hms_ev_failure), 0 },
	[HMS_EV_REGISTRY] = { sizeof(struct hms_ev_registry), 0 },
};

size_t event_size(unsigned int type)
{
	return type < HMS_EV_TYPE_MAX ? event_descs[type].size : 0;
}

int event_is_critical(unsigned int type)
{
	return type < HMS_EV_TYPE_MAX && event_descs[type].critical;
}

int event_check(const void *data, size_t len)
{
	const struct hms_event_hdr *h = data;
	size_t want;

	if (!data || len < sizeof(*h))
		return -EINVAL;
	if (h->version != HMS_EVENT_VERSION)
		return -EPROTO;
	want = event_size(h->type);
	if (!want)
		return -ENOENT;
	/* A newer producer may append fields; never accept fewer bytes. */
	if (h->size < want || h->size > len)
		return -EINVAL;
	return 0;
}

void event_init(struct hms_event_hdr *hdr, unsigned int type, size_t size)
{
	memset(hdr, 0, size);
	hdr->version = HMS_EVENT_VERSION;
	hdr->type = type;
	hdr->size = size;
	hdr->ts_ns = loop_now_ns();
}

static const char *const signal_names[32] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
	"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
	"SIGSYS",
};

const char *event_signal_name(unsigned int sig)
{
	if (sig < 32 && signal_names[sig])
		return signal_names[sig];
	return sig ? "SIGRT" : "none";
}

static const char *const tcp_states[] = {
	"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
	"LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE",
};

const char *event_tcp_state_name(unsigned int state)
{
	if (state < sizeof(tcp_states) / sizeof(tcp_states[0]))
		return tcp_states[state];
	return "UNKNOWN";
}

void event_addr_str(uint16_t family, const uint8_t addr[16], char *buf,
		    size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf,
		       len))
		snprintf(buf, len, "?");
}

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

static json_t *event_checks(uint32_t bits)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < 3; i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string(
				hms_verify_check_name(i)));
	return a;
}

/* The evidence behind an outcome: which checks it needed and passed. */
static void event_outcome_json(json_t *o, const struct hms_ev_outcome *e)
{
	json_t *pids = json_array();

	json_object_set_new(o, "result", json_string(
		hms_outcome_result_name(e->result)));
	json_object_set_new(o, "checks", event_checks(e->checks));
	json_object_set_new(o, "passed", event_checks(e->passed));
	for (uint32_t i = 0; i < e->n_alive && i < HMS_OUTCOME_PIDS; i++)
		json_array_append_new(pids, json_integer(e->alive_pids[i]));
	json_object_set_new(o, "n_alive", json_integer(e->n_alive));
	json_object_set_new(o, "alive_pids", pids);
	json_object_set_new(o, "alive_ms", json_real(e->alive_ns / 1e6));
	json_object_set_new(o, "window_ms", json_real(e->window_ns / 1e6));
	json_object_set_new(o, "probe_ok", json_integer(e->probe_ok));
	json_object_set_new(o, "probe_failed", json_integer(e->probe_failed));
	json_object_set_new(o, "condition_count", json_integer(e->cond_count));
	json_object_set_new(o, "condition_threshold",
			    json_integer(e->cond_threshold));
	JSTR(o, "reason", e->reason);
}

static void event_json_net(json_t *o, const struct hms_ev_net *e)
{
	char a[INET6_ADDRSTRLEN];

	json_object_set_new(o, "family", json_string(e->family == AF_INET6 ?
						     "ipv6" : "ipv4"));
	event_addr_str(e->family, e->saddr, a, sizeof(a));
	json_object_set_new(o, "saddr", json_string(a));
	event_addr_str(e->family, e->daddr, a, sizeof(a));
	json_object_set_new(o, "daddr", json_string(a));
	JINT(o, "sport", e->sport);
	JINT(o, "dport", e->dport);
	json_object_set_new(o, "state",
			    json_string(event_tcp_state_name(e->state)));
	JINT(o, "error", e->error);
	if (e->error > 0 && e->error < 200 &&
	    e->hdr.type != HMS_EV_TCP_RESET_SEND)
		json_object_set_new(o, "error_name",
				    json_string(strerrorname_np(e->error) ?
						strerrorname_np(e->error) : "?"));
	JBOOL(o, "owner_known", e->owner_known);
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

static void event_json_kernel(json_t *o, const struct hms_event_hdr *h)
{
	switch (h->type) {
	case HMS_EV_EXEC: {
		const struct hms_ev_exec *e = (const void *)h;

		JSTR(o, "filename", e->filename);
		JINT(o, "old_tid", e->old_tid);
		break;
	}
	case HMS_EV_FORK: {
		const struct hms_ev_fork *e = (const void *)h;

		JINT(o, "child_pid", e->child_tgid);
		JINT(o, "child_tid", e->child_tid);
		JBOOL(o, "thread", e->is_thread);
		break;
	}
	case HMS_EV_EXIT: {
		const struct hms_ev_exit *e = (const void *)h;

		JINT(o, "exit_code", e->exit_code);
		JINT(o, "signal", e->signal);
		if (e->signal)
			json_object_set_new(o, "signal_name",
				json_string(event_signal_name(e->signal)));
		JBOOL(o, "core_dumped", e->core_dumped);
		JBOOL(o, "crash", e->signal != 0);
		break;
	}
	case HMS_EV_SIGNAL: {
		const struct hms_ev_signal *e = (const void *)h;

		JINT(o, "signal", e->signal);
		json_object_set_new(o, "signal_name",
				    json_string(event_signal_name(e->signal)));
		JINT(o, "target_pid", e->target_tgid);
		JINT(o, "target_tid", e->target_tid);
		JSTR(o, "target_comm", e->target_comm);
		JINT(o, "si_code", e->code);
		break;
	}
	case HMS_EV_OOM: {
		const struct hms_ev_oom *e = (const void *)h;

		JINT(o, "victim_pid", e->victim_tgid);
		JSTR(o, "victim_comm", e->victim_comm);
		JINT(o, "uid", e->uid);
		JINT(o, "total_vm_kb", e->total_vm_kb);
		JINT(o, "anon_rss_kb", e->anon_rss_kb);
		JINT(o, "file_rss_kb", e->file_rss_kb);
		JINT(o, "shmem_rss_kb", e->shmem_rss_kb);
		JINT(o, "oom_score_adj", e->oom_score_adj);
		break;
	}
	case HMS_EV_HANG:
		JINT(o, "blocked_ms",
		     ((const struct hms_ev_hang *)h)->blocked_ns / 1000000);
		break;
	case HMS_EV_RUNQ_LATENCY: {
		const struct hms_ev_runq *e = (const void *)h;

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

	json_object_set_new(o, "reason",
			    json_string(hms_choice_reason_name(e->reason)));
	JREAL(o, "delay_ms", e->delay_ms);
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

static void event_json_derived(json_t *o, const struct hms_event_hdr *h)
{
	switch (h->type) {
	case HMS_EV_STATS:
		event_json_stats(o, (const void *)h);
		break;
	case HMS_EV_COMPONENT_STATE: {
		const struct hms_ev_component *e = (const void *)h;

		JSTR(o, "component", e->component);
		JINT(o, "old_state", e->old_state);
		JINT(o, "new_state", e->new_state);
		json_object_set_new(o, "old_state_name",
				    json_string(hms_state_name(e->old_state)));
		json_object_set_new(o, "new_state_name",
				    json_string(hms_state_name(e->new_state)));
		JINT(o, "restarts", e->restarts);
		JSTR(o, "reason", e->reason);
		break;
	}
	case HMS_EV_ACTION: {
		const struct hms_ev_action *e = (const void *)h;

		JSTR(o, "component", e->component);
		JSTR(o, "strategy", e->strategy);
		JINT(o, "kind", e->kind);
		json_object_set_new(o, "phase",
				    json_string(hms_action_phase_name(e->phase)));
		JINT(o, "result", e->result);
		JBOOL(o, "dry_run", e->dry_run);
		JSTR(o, "detail", e->detail);
		break;
	}
	case HMS_EV_STRATEGY: {
		const struct hms_ev_strategy *e = (const void *)h;

		JSTR(o, "component", e->component);
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
	case HMS_EV_OUTCOME: {
		const struct hms_ev_outcome *e = (const void *)h;

		JSTR(o, "component", e->component);
		JSTR(o, "failure", e->failure);
		JSTR(o, "strategy", e->strategy);
		JBOOL(o, "success", e->success);
		JREAL(o, "recover_ms", e->recover_ns / 1e6);
		event_outcome_json(o, e);
		break;
	}
	case HMS_EV_ALERT: {
		const struct hms_ev_alert *e = (const void *)h;

		JSTR(o, "component", e->component);
		json_object_set_new(o, "severity",
				    json_string(hms_severity_name(e->severity)));
		JSTR(o, "message", e->message);
		break;
	}
	case HMS_EV_FAILURE: {
		const struct hms_ev_failure *e = (const void *)h;

		JSTR(o, "component", e->component);
		JSTR(o, "failure", e->failure);
		JSTR(o, "cause", e->cause);
		JINT(o, "signal", e->signal);
		JINT(o, "exit_code", e->exit_code);
		JBOOL(o, "core_dumped", e->core_dumped);
		JINT(o, "sender_pid", e->sender_tgid);
		JSTR(o, "sender_comm", e->sender_comm);
		if (!strcmp(e->failure, "oom"))
			event_oom_json(o, e);
		break;
	}
	case HMS_EV_REGISTRY: {
		const struct hms_ev_registry *e = (const void *)h;

		json_object_set_new(o, "state", json_string(
			hms_registry_state_name(e->state)));
		json_object_set_new(o, "error", json_string(
			e->error ? strerrorname_np(e->error) ?: "?" : ""));
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
	const char *name;
	json_t *o;

	if (event_check(ev, ev->size))
		return NULL;
	name = event_type_name(ev->type);
	o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string(name));
	JINT(o, "ts_ns", ev->ts_ns);
	JINT(o, "pid", ev->tgid);
	JINT(o, "tid", ev->tid);
	JINT(o, "ppid", ev->ppid);
	JINT(o, "cgroup_id", ev->cgroup_id);
	JSTR(o, "comm", ev->comm);
	if (ev->type < HMS_EV_STATS)
		event_json_kernel(o, ev);
	else
		event_json_derived(o, ev);
	return o;
}

char *event_to_json_str(const struct hms_event_hdr *ev)
{
	json_t *o = event_to_json(ev);
	char *s;

	if (!o)
		return NULL;
	s = hms_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

// SPDX-License-Identifier: BSD-2-Clause
/* hms_names.c - names of the numbers in bpf/hms_event.h, in one place so
 * that a new state, kind or class is named once for every program. */
#include <errno.h>
#include <string.h>
#include "hms_names.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const event_type_names[HMS_EV_TYPE_MAX] = {
	[HMS_EV_EXEC] = "exec",
	[HMS_EV_FORK] = "fork",
	[HMS_EV_EXIT] = "exit",
	[HMS_EV_SIGNAL] = "signal",
	[HMS_EV_OOM] = "oom",
	[HMS_EV_HANG] = "hang",
	[HMS_EV_CONNECT_FAIL] = "connect_fail",
	[HMS_EV_SOCK_ERROR] = "sock_error",
	[HMS_EV_TCP_RESET_RECV] = "tcp_reset_recv",
	[HMS_EV_TCP_RESET_SEND] = "tcp_reset_send",
	[HMS_EV_TCP_RETRANSMIT] = "tcp_retransmit",
	[HMS_EV_RUNQ_LATENCY] = "runq_latency",
	[HMS_EV_STATS] = "stats",
	[HMS_EV_COMPONENT_STATE] = "component_state",
	[HMS_EV_ACTION] = "action",
	[HMS_EV_STRATEGY] = "strategy_chosen",
	[HMS_EV_OUTCOME] = "outcome",
	[HMS_EV_ALERT] = "alert",
	[HMS_EV_FAILURE] = "failure",
	[HMS_EV_REGISTRY] = "registry",
};

static const char *const state_names[HEALER_STATE_MAX] = {
	[HEALER_STARTING] = "starting",
	[HEALER_HEALTHY] = "healthy",
	[HEALER_DEGRADED] = "degraded",
	[HEALER_FAILED] = "failed",
	[HEALER_RECOVERING] = "recovering",
	[HEALER_GAVE_UP] = "gave_up",
	[HEALER_STOPPED] = "stopped",
};

/* worst last: what an operator must look at first */
static const int state_severity[HEALER_STATE_MAX] = {
	[HEALER_HEALTHY] = 0,
	[HEALER_STARTING] = 1,
	[HEALER_STOPPED] = 2,
	[HEALER_DEGRADED] = 3,
	[HEALER_RECOVERING] = 4,
	[HEALER_FAILED] = 5,
	[HEALER_GAVE_UP] = 6,
};

static const char *const action_kind_names[ACTION_KIND_MAX] = {
	[ACTION_RESTART] = "restart",
	[ACTION_SIGNAL] = "signal",
	[ACTION_EXEC] = "exec",
	[ACTION_MEMORY] = "memory",
	[ACTION_CPU] = "cpu",
	[ACTION_ALERT] = "alert",
	[ACTION_START] = "start",
	[ACTION_STOP] = "stop",
	[ACTION_IO] = "io",
};

static const char *const action_phase_names[ACTION_PHASE_MAX] = {
	[ACTION_PHASE_STARTED] = "started",
	[ACTION_PHASE_FINISHED] = "finished",
	[ACTION_PHASE_SKIPPED] = "skipped",
};

static const char *const severity_names[ALERT_SEVERITY_MAX] = {
	[ALERT_INFO] = "info",
	[ALERT_WARNING] = "warning",
	[ALERT_CRITICAL] = "critical",
};

static const char *const registry_state_names[HMS_REGISTRY_STATE_MAX] = {
	[HMS_REGISTRY_UP] = "up",
	[HMS_REGISTRY_DEGRADED] = "degraded",
};

static const char *const choice_reason_names[HMS_REASON_MAX] = {
	[HMS_REASON_COLD_START] = "cold_start",
	[HMS_REASON_SAMPLED] = "sampled",
	[HMS_REASON_TIE_RECOVERY] = "tie_recovery",
	[HMS_REASON_OVERRIDE] = "override",
	[HMS_REASON_ONLY] = "only_candidate",
};

static const char *const failure_names[FAIL_MAX] = {
	[FAIL_CRASH] = "crash",
	[FAIL_EXIT] = "exit",
	[FAIL_OOM] = "oom",
	[FAIL_KILLED] = "killed",
	[FAIL_HANG] = "hang",
	[FAIL_CRASH_LOOP] = "crash_loop",
	[FAIL_NET] = "net",
	[FAIL_STARVED] = "starved",
	[FAIL_MISSING] = "missing",
	[FAIL_MEM_PRESSURE] = "mem_pressure",
	[FAIL_CPU_PRESSURE] = "cpu_pressure",
	[FAIL_IO_PRESSURE] = "io_pressure",
	[FAIL_PROBE] = "probe",
};

static const char *const outcome_result_names[] = {
	[HMS_OUTCOME_FAILURE] = "failure",
	[HMS_OUTCOME_SUCCESS] = "success",
	[HMS_OUTCOME_UNVERIFIED] = "unverified",
};

/* by bit number of enum hms_verify_check */
static const char *const verify_check_names[] = {
	"process", "probe", "condition",
};

static const char *names_get(const char *const *t, size_t n, unsigned int v)
{
	return v < n && t[v] ? t[v] : "unknown";
}

static int names_find(const char *const *t, size_t n, const char *name)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (t[i] && !strcmp(t[i], name))
			return (int)i;
	return -ENOENT;
}

const char *hms_event_type_name(unsigned int type)
{
	return type < HMS_EV_TYPE_MAX ? event_type_names[type] : NULL;
}

int hms_event_type_from_name(const char *name)
{
	return names_find(event_type_names, NELEM(event_type_names), name);
}

const char *hms_state_name(unsigned int state)
{
	return names_get(state_names, NELEM(state_names), state);
}

int hms_state_from_name(const char *name)
{
	return names_find(state_names, NELEM(state_names), name);
}

int hms_state_severity(unsigned int state)
{
	return state < HEALER_STATE_MAX ? state_severity[state]
					: state_severity[HEALER_FAILED];
}

const char *hms_action_kind_name(unsigned int kind)
{
	return names_get(action_kind_names, NELEM(action_kind_names), kind);
}

int hms_action_kind_from_name(const char *name)
{
	return names_find(action_kind_names, NELEM(action_kind_names), name);
}

bool hms_action_is_chain(int kind)
{
	return (kind >= 0 && kind < ACTION_CHAIN_MAX) || kind == ACTION_IO;
}

const char *hms_action_phase_name(unsigned int phase)
{
	return names_get(action_phase_names, NELEM(action_phase_names), phase);
}

const char *hms_severity_name(unsigned int severity)
{
	return names_get(severity_names, NELEM(severity_names), severity);
}

int hms_severity_from_name(const char *name)
{
	return names_find(severity_names, NELEM(severity_names), name);
}

const char *hms_choice_reason_name(unsigned int reason)
{
	return names_get(choice_reason_names, NELEM(choice_reason_names),
			 reason);
}

const char *hms_failure_name(unsigned int fc)
{
	return names_get(failure_names, NELEM(failure_names), fc);
}

int hms_failure_from_name(const char *name)
{
	return names_find(failure_names, NELEM(failure_names), name);
}

const char *hms_outcome_result_name(unsigned int result)
{
	return names_get(outcome_result_names, NELEM(outcome_result_names),
			 result);
}

const char *hms_verify_check_name(unsigned int bit)
{
	return names_get(verify_check_names, NELEM(verify_check_names), bit);
}

const char *hms_registry_state_name(unsigned int state)
{
	return names_get(registry_state_names, NELEM(registry_state_names),
			 state);
}

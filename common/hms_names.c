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
	[ACTION_PLUGIN] = "plugin",
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
	[FAIL_PLUGIN] = "plugin",
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
	return (kind >= 0 && kind < ACTION_CHAIN_MAX) || kind == ACTION_IO ||
	       kind == ACTION_PLUGIN;
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

/* ---- kernel enums, named as the kernel spells them ---- */

static const char *const signal_names[65] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
	"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
	"SIGSYS",
	/* the kernel's SIGRTMIN is 32 (glibc reserves 32 and 33) */
	"SIGRTMIN", "SIGRTMIN+1", "SIGRTMIN+2", "SIGRTMIN+3", "SIGRTMIN+4",
	"SIGRTMIN+5", "SIGRTMIN+6", "SIGRTMIN+7", "SIGRTMIN+8", "SIGRTMIN+9",
	"SIGRTMIN+10", "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13",
	"SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMIN+16", "SIGRTMIN+17",
	"SIGRTMIN+18", "SIGRTMIN+19", "SIGRTMIN+20", "SIGRTMIN+21",
	"SIGRTMIN+22", "SIGRTMIN+23", "SIGRTMIN+24", "SIGRTMIN+25",
	"SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29",
	"SIGRTMIN+30", "SIGRTMIN+31", "SIGRTMAX",
};

const char *hms_signal_name(unsigned int sig)
{
	if (!sig)
		return "none";
	return names_get(signal_names, NELEM(signal_names), sig);
}

int hms_signal_is_fault(unsigned int sig)
{
	/* raised by the process itself: a fault, abort() or a bad syscall */
	return sig == 4 || sig == 5 || sig == 6 || sig == 7 || sig == 8 ||
	       sig == 11 || sig == 31;
}

struct code_name {
	int sig;	/* 0: any signal */
	int code;
	const char *name;
};

static const struct code_name si_code_names[] = {
	{ 0, 0, "SI_USER" }, { 0, 0x80, "SI_KERNEL" }, { 0, -1, "SI_QUEUE" },
	{ 0, -2, "SI_TIMER" }, { 0, -3, "SI_MESGQ" }, { 0, -4, "SI_ASYNCIO" },
	{ 0, -5, "SI_SIGIO" }, { 0, -6, "SI_TKILL" }, { 0, -7, "SI_DETHREAD" },
	{ 0, -60, "SI_ASYNCNL" },
	{ 4, 1, "ILL_ILLOPC" }, { 4, 2, "ILL_ILLOPN" }, { 4, 3, "ILL_ILLADR" },
	{ 4, 4, "ILL_ILLTRP" }, { 4, 5, "ILL_PRVOPC" }, { 4, 6, "ILL_PRVREG" },
	{ 4, 7, "ILL_COPROC" }, { 4, 8, "ILL_BADSTK" },
	{ 5, 1, "TRAP_BRKPT" }, { 5, 2, "TRAP_TRACE" },
	{ 7, 1, "BUS_ADRALN" }, { 7, 2, "BUS_ADRERR" }, { 7, 3, "BUS_OBJERR" },
	{ 7, 4, "BUS_MCEERR_AR" }, { 7, 5, "BUS_MCEERR_AO" },
	{ 8, 1, "FPE_INTDIV" }, { 8, 2, "FPE_INTOVF" }, { 8, 3, "FPE_FLTDIV" },
	{ 8, 4, "FPE_FLTOVF" }, { 8, 5, "FPE_FLTUND" }, { 8, 6, "FPE_FLTRES" },
	{ 8, 7, "FPE_FLTINV" }, { 8, 8, "FPE_FLTSUB" },
	{ 11, 1, "SEGV_MAPERR" }, { 11, 2, "SEGV_ACCERR" },
	{ 11, 3, "SEGV_BNDERR" }, { 11, 4, "SEGV_PKUERR" },
	{ 31, 1, "SYS_SECCOMP" },
	{ 17, 1, "CLD_EXITED" }, { 17, 2, "CLD_KILLED" }, { 17, 3, "CLD_DUMPED" },
	{ 17, 4, "CLD_TRAPPED" }, { 17, 5, "CLD_STOPPED" },
	{ 17, 6, "CLD_CONTINUED" },
};

const char *hms_si_code_name(unsigned int sig, int code)
{
	for (size_t i = 0; i < NELEM(si_code_names); i++)
		if (si_code_names[i].code == code &&
		    (!si_code_names[i].sig ||
		     si_code_names[i].sig == (int)sig) &&
		    (si_code_names[i].sig || code <= 0 || code == 0x80))
			return si_code_names[i].name;
	return "unknown";
}

static const char *const tcp_state_names[] = {
	"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
	"LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE",
};

const char *hms_tcp_state_name(unsigned int state)
{
	const char *n = names_get(tcp_state_names, NELEM(tcp_state_names),
				  state);

	return strcmp(n, "unknown") ? n : "UNKNOWN";
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* hms_names.h - the one names table for every number that crosses a
 * process boundary (bpf/hms_event.h): event types, component states,
 * action kinds and phases, alert severities, failure classes.  The same
 * names appear in --json, on the socket, in the registry, the metrics and
 * the docs; the daemon, the views, the registry and the tools all read
 * them from here.  A *_name() of an unknown number is "unknown" (never
 * NULL, except hms_event_type_name); a *_from_name() of an unknown name
 * is -ENOENT. */
#ifndef HMS_NAMES_H
#define HMS_NAMES_H

#include <stdbool.h>
#include "hms_event.h"

const char *hms_event_type_name(unsigned int type);	/* NULL if unknown */
int hms_event_type_from_name(const char *name);

const char *hms_state_name(unsigned int state);		/* "healthy" */
int hms_state_from_name(const char *name);
/* How bad a state is, for sorting and summaries: healthy 0 ... gave_up
 * highest; unknown states rank with failed. */
int hms_state_severity(unsigned int state);

const char *hms_action_kind_name(unsigned int kind);	/* "restart" */
int hms_action_kind_from_name(const char *name);
/* May the kind appear in a strategy's chain (not start, stop)? */
bool hms_action_is_chain(int kind);

const char *hms_action_phase_name(unsigned int phase);	/* "started" */

const char *hms_severity_name(unsigned int severity);	/* "warning" */
const char *hms_registry_state_name(unsigned int state);	/* "degraded" */
int hms_severity_from_name(const char *name);

/* hms_ev_strategy.reason: "cold_start", "sampled", ... */
const char *hms_choice_reason_name(unsigned int reason);

const char *hms_failure_name(unsigned int fc);		/* "crash" */
int hms_failure_from_name(const char *name);

/* enum hms_outcome_result: "success", "failure", "unverified" */
const char *hms_outcome_result_name(unsigned int result);
/* bit number of enum hms_verify_check: "process", "probe", "condition" */
const char *hms_verify_check_name(unsigned int bit);

/* Kernel enums, spelled as the kernel does: "SIGSEGV" ("SIGRTMIN+3";
 * "none" for 0), si_code "SI_USER"/"SEGV_MAPERR" (by signal; "unknown"),
 * TCP states "SYN_SENT" ("UNKNOWN"). */
const char *hms_signal_name(unsigned int sig);
/* 1 for the signals a process raises on itself (fault, abort(), bad
 * syscall): SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGSEGV SIGSYS. */
int hms_signal_is_fault(unsigned int sig);
const char *hms_si_code_name(unsigned int sig, int code);
const char *hms_tcp_state_name(unsigned int state);

#endif

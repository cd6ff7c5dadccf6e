/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prom.h - a strict reader of the Prometheus text format for tests: every
 * family has one HELP and one TYPE before its samples, samples of a family
 * are never interleaved with another's, names and labels are valid, no
 * series twice, histograms cumulative with +Inf equal to _count.  And
 * promtool's own verdict where the Debian `prometheus` package is there.
 */
#ifndef HMS_TEST_PROM_H
#define HMS_TEST_PROM_H

#include <stddef.h>

/* 0 when text passes; else -1 and a message naming the line in err. */
int prom_check(const char *text, char *err, size_t len);
/* Value of the sample written exactly as series ("name{a=\"b\"}" or a
 * bare name), or -1 when there is none. */
double prom_value(const char *text, const char *series);
/* `promtool check metrics` on text: its exit status (0 clean), 127 when
 * promtool is not installed; its output into out. */
int prom_promtool(const char *text, char *out, size_t len);

#endif

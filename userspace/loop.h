/* SPDX-License-Identifier: BSD-2-Clause */
/* loop.h - the daemon's single epoll event loop: fds and timerfd timers. */
#ifndef HMS_LOOP_H
#define HMS_LOOP_H

#include <stdint.h>

struct hms_loop;
struct hms_timer;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(struct hms_timer *t, void *arg);

int loop_new(struct hms_loop **out);
void loop_free(struct hms_loop *loop);

/* Watch fd for EPOLL* events; cb runs in the loop. */
int loop_add_fd(struct hms_loop *loop, int fd, uint32_t events,
		loop_fd_cb cb, void *arg);
int loop_del_fd(struct hms_loop *loop, int fd);

/* A timer owns a timerfd (CLOCK_MONOTONIC) registered with the loop. */
int loop_timer_new(struct hms_loop *loop, loop_timer_cb cb, void *arg,
		   struct hms_timer **out);
/* First expiry after delay_ns, then every interval_ns (0 = one shot). */
int loop_timer_arm(struct hms_timer *t, uint64_t delay_ns,
		   uint64_t interval_ns);
int loop_timer_disarm(struct hms_timer *t);
int loop_timer_armed(const struct hms_timer *t);
void loop_timer_free(struct hms_timer *t);

/* Run until loop_stop(); returns the status given to loop_stop. */
int loop_run(struct hms_loop *loop);
/* Wait at most timeout_ms (-1 forever) and dispatch what is ready. */
int loop_run_once(struct hms_loop *loop, int timeout_ms);
void loop_stop(struct hms_loop *loop, int status);
int loop_stopped(const struct hms_loop *loop);

/* CLOCK_MONOTONIC now, in ns (same clock as bpf_ktime_get_ns). */
uint64_t loop_now_ns(void);

#endif

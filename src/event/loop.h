/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The one event loop: epoll for fds, an ordered list for timers (driving epoll_wait's timeout),
 * signalfd for signals. Single-threaded by design (see docs/design.md).
 *
 * Sources may be freed from inside any callback, including their own: freed fd sources are
 * marked dead and released after the current batch of epoll events.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void (*loop_io_fn)(struct loop_io *io, uint32_t events, void *userdata);
typedef void (*loop_timer_fn)(struct loop_timer *t, void *userdata);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *userdata);

int loop_new(struct loop **ret);
struct loop *loop_free(struct loop *l);

/* Watches fd (not owned) for events (EPOLLIN/EPOLLOUT...). Returns 0 or -errno. */
int loop_add_io(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *userdata,
                struct loop_io **ret);
int loop_io_set_events(struct loop_io *io, uint32_t events);
uint32_t loop_io_get_events(const struct loop_io *io);
int loop_io_fd(const struct loop_io *io);
/* Stops watching (EPOLL_CTL_DEL) and releases the source once the current batch ends. */
void loop_io_free(struct loop_io *io);

/* One-shot timer at an absolute CLOCK_MONOTONIC time (ns). After it fired the timer is inert but
 * still owned by the caller: free it with loop_timer_free() (also allowed inside the callback). */
struct loop_timer *loop_add_timer(struct loop *l, uint64_t deadline_ns, loop_timer_fn fn,
                                  void *userdata);
void loop_timer_free(struct loop_timer *t);

/* Blocks the signal and delivers it through a signalfd. One handler per signal. */
int loop_add_signal(struct loop *l, int signo, loop_signal_fn fn, void *userdata);

/* Runs one iteration, waiting at most timeout_ms (-1: until an event or timer). */
int loop_run_once(struct loop *l, int timeout_ms);
/* Runs until loop_quit(); returns the code passed to it. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l, int code);

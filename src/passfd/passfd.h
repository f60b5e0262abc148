/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * runtime-rs's "passfd" stdio (agent.passfd_listener_port): instead of ReadStdout/WriteStdin
 * calls, each stdio stream of a process travels on a connection of its own that the host opens
 * to the agent's passfd listener before it sends CreateContainer/ExecProcess. Over vsock a
 * stream is known by its peer port (what Kata's agent does); over a unix socket by the port the
 * client announces (handshake.h). The request's stdin_port/stdout_port/stderr_port name the
 * streams the process gets (0 = none: that stream stays on ReadStdout/WriteStdin).
 *
 * Streams that arrive first wait, bounded (PASSFD_MAX_STREAMS; the oldest goes first). A stream
 * the request names but that is not there yet is waited for PASSFD_CLAIM_MS without holding the
 * request (Kata's agent holds it for 3 x 100 ms): the process starts at once, its output is
 * drained into the stdio buffer meanwhile and goes out when the stream arrives. A stream that
 * never comes leaves that stdio on the RPCs.
 *
 * Output keeps stdio.c's continuous drain: the pipe is read into the bounded per-stream buffer
 * and the buffer is written to the connection as fast as the host reads it, so a slow host never
 * makes the process's pipe fill up before that buffer is full. EOF of the pipe closes the
 * connection once everything is written; WaitProcess answers only after that (as Kata's agent
 * waits for its copy tasks), so the host has all output when it learns the exit code. A
 * connection the host closed discards the rest of that output (the process is never blocked on
 * a dead peer). EOF on the stdin connection closes the process's stdin.
 */

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

#define PASSFD_CLAIM_MS       300
#define PASSFD_HANDSHAKE_MS   5000
#define PASSFD_MAX_STREAMS    256
#define PASSFD_MAX_HANDSHAKES 64
#define PASSFD_STDIN_BUFFER   (64u << 10)

struct agent;
struct stdio;
struct passfd_io;

/* Listen address: `vsock://-1:PORT` from agent.passfd_listener_port, or any unix address
 * (--passfd-addr). NULL: off. Set before passfd_start. */
void passfd_set_address(struct agent *a, const char *addr);
int passfd_start(struct agent *a, struct agent_error **err);
void passfd_stop(struct agent *a);

/* Gives the process whose stdio is s the streams of ports[0..2] (stdin, stdout, stderr; 0 =
 * none), now or as they arrive. output_done(data) runs (from the loop, never from inside this
 * call) once no output is owed to a stream any more. NULL when the listener is off or every
 * port is 0. */
struct passfd_io *passfd_io_new(struct agent *a, struct stdio *s, const uint32_t ports[3],
                                const char *who, void (*output_done)(void *data), void *data);
/* True while output is still owed: a stream being waited for, or not yet fully written. */
bool passfd_io_output_pending(const struct passfd_io *io);
/* Detaches from the stdio and closes the streams. NULL is fine. */
void passfd_io_free(struct passfd_io *io);

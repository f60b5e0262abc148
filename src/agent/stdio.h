/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A process's stdio, relayed to ReadStdout / ReadStderr / WriteStdin / CloseStdin /
 * TtyWinResize.
 *
 * Output is drained continuously: as soon as the process writes, the agent reads the pipe (or
 * pty master) into a per-stream buffer, whether or not a ReadStdout is outstanding, so a burst
 * never meets a full pipe while the host is slow to ask. The buffer is bounded
 * (agent.stdio_buffer_size, 1 MiB by default): when it is full the agent stops reading that pipe
 * and back-pressure reaches the writer exactly as a full pipe would. Nothing is dropped or
 * reordered. The buffer is freed once it stayed empty for a second, so an idle stream costs no
 * buffer memory while a busy one does not reallocate on every read.
 *
 * Kata's semantics: a read returns at most `len` bytes and parks while nothing is buffered. The
 * first read at EOF is OK with empty data (Kata >= 3.27 stops there); every later read of that
 * stream is an INTERNAL error (Kata <= 3.26 stops only on an error). When the process exits,
 * readers wait at most STDIO_DRAIN_MS for the rest (a daemonised grandchild may hold the pipe open
 * for ever); after that window the stream is at EOF for good (sticky, unlike the Rust agent's
 * notify that only wakes readers already waiting), but never while output is still waiting in the
 * pipe or our buffer is full: the window is for a grandchild that holds the pipe, not a reason to
 * drop what the process wrote. A terminal process has one pty: stdout and stderr both read its
 * master, stdin writes to it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/list.h"
#include "event/loop.h"

#define STDIO_DRAIN_MS 500
/* All output buffers together hold at most this many per-stream buffers' worth
 * (agent.stdio_buffer_size each, 1 MiB by default: 32 MiB). A stream that would grow past it
 * stops reading its pipe (the writer blocks, as on a full pipe) until some buffer is freed. */
#define STDIO_TOTAL_BUFFERS 32
/* Largest read reply: the frame limit minus room for the envelope. */
#define STDIO_READ_MAX ((4u << 20) - 4096)

struct agent;
struct rpc_call;

struct stdio_out {
        struct stdio *owner;
        const char *name;
        int fd;
        struct loop_io *io;
        uint8_t *buf;
        size_t cap, off, len; /* a ring: len bytes from buf[off], wrapping at cap */
        bool paused;          /* buffer full: not reading */
        bool eof;             /* no more data will arrive; what is buffered is still served */
        bool eof_served;      /* a read was answered with EOF (empty data): later ones fail */
        struct list_node readers;
        struct loop_timer *drain_timer;
        struct loop_timer *idle_timer;
        struct list_node starved_node; /* on agent->stdio_starved: paused by the total bound */
        /* passfd (src/passfd/): takes the output instead of ReadStdout; called whenever the
         * buffer or the EOF state changed, it eats data with stdio_out_consumed(). */
        void (*consume)(struct stdio_out *o, void *data);
        void *consume_data;
};

struct stdio_in {
        struct stdio *owner;
        int fd;
        struct loop_io *io;
        struct list_node writers;
        bool close_pending;
};

struct stdio {
        struct agent *agent;
        bool terminal;
        size_t buffer_max; /* per output stream */
        bool exited;       /* the process was reaped */
        struct stdio_in in;
        struct stdio_out out;
        struct stdio_out err; /* unused (fd -1) for a terminal */
        int child[3];         /* the process's ends until it is spawned */
};

/* Creates pipes (or a pty sized rows x cols when terminal). pipe_size > 0 asks F_SETPIPE_SZ on
 * stdout/stderr; when the kernel refuses (EPERM above fs.pipe-max-size without
 * CAP_SYS_RESOURCE) the largest accepted size is used and a warning names `who`. */
int stdio_init(struct agent *a, struct stdio *s, bool terminal, uint32_t pipe_size, uint32_t rows,
               uint32_t cols, const char *who, struct agent_error **err);

/* Output buffer bytes held by every stream of the agent (bounded by STDIO_TOTAL_BUFFERS). */
size_t stdio_buffered_total(const struct agent *a);

/* The kernel's capacity of the process's stdout pipe (F_GETPIPE_SZ), 0 for a terminal. */
int stdio_pipe_size(const struct stdio *s);
/* The child has its copies: close ours of the child's ends and start draining. */
int stdio_start(struct stdio *s, struct agent_error **err);

/* Replies now or parks call (a ReadStdout/ReadStderr). */
int stdio_read(struct stdio *s, bool stderr_stream, struct rpc_call *call, uint32_t len,
               struct agent_error **err);
/* Writes all of data, parking while the pipe is full. Empty data closes stdin. */
int stdio_write(struct stdio *s, struct rpc_call *call, const uint8_t *data, size_t len,
                struct agent_error **err);
int stdio_close_stdin(struct stdio *s, struct agent_error **err);
int stdio_resize(struct stdio *s, uint32_t rows, uint32_t cols, struct agent_error **err);

/* For a consumer (passfd): the oldest buffered bytes that are contiguous in the ring buffer
 * (*ret points at them; 0 when none: ask again after consuming, the rest may have wrapped to
 * the start). n buffered bytes are gone; stdio_out_kick() after it wrote more. */
size_t stdio_out_peek(const struct stdio_out *o, const uint8_t **ret);
void stdio_out_consumed(struct stdio_out *o, size_t n);
void stdio_out_kick(struct stdio_out *o);
/* Hands over the process's stdin (fd, the caller closes it), or -EBUSY while WriteStdin calls
 * use it, -EPIPE once closed. WriteStdin then fails with "stdin is closed". */
int stdio_take_stdin(struct stdio *s);

/* The process was reaped: start the drain window. */
void stdio_process_exited(struct stdio *s);
/* WaitProcess: no more output will be read; buffered data is still served, then EOF. */
void stdio_finish(struct stdio *s);
/* The process is forgotten: parked readers get what is left then EOF, writers an error; every
 * fd and buffer is released. Safe to call twice. */
void stdio_done(struct stdio *s);

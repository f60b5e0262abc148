/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Errors that reach the host: an errno plus a message chain, innermost context last.
 *
 *   r = agent_error_set(err, ENOENT, "open `%s`", path);     -> "open `/x`: No such file or
 * directory" r = agent_error_wrap(err, "container `%s`", id);         -> "container `c1`: open
 * `/x`: ..."
 *
 * Both return -errno so callers can write `return agent_error_set(...)`. Leaf helpers that do not
 * talk to the host return plain -errno and never allocate an error.
 */

#include <stdarg.h>

struct agent_error {
        int errno_; /* > 0 */
        char *msg;  /* never NULL once set */
};

/* Sets *err (which must be NULL) from a format; appends strerror(errno_). Returns -errno_. */
int agent_error_set(struct agent_error **err, int errno_, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Like agent_error_set() but without the strerror() suffix: for messages that carry their own
 * reason ("field `container_id` is empty"). Returns -errno_. */
int agent_error_setf(struct agent_error **err, int errno_, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefixes context to an existing error: "ctx: old". Returns -errno_ of *err. */
int agent_error_wrap(struct agent_error **err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

struct agent_error *agent_error_free(struct agent_error *err);
void agent_error_freep(struct agent_error **err);
#define _cleanup_error_ __attribute__((cleanup(agent_error_freep)))

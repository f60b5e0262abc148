/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Scope-bound cleanup and explicit ownership moves.
 *
 * A local declared with one of the _cleanup_ attributes is released when it goes out of scope;
 * TAKE_PTR()/TAKE_FD() move ownership out (and leave NULL / -EBADF behind) so the cleanup
 * becomes a no-op on the success path.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
        free(*(void **) p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                (void) close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                (void) fclose(*f);
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#define TAKE_PTR(p)                        \
        ({                                 \
                __typeof__(p) *_pp = &(p); \
                __typeof__(p) _v = *_pp;   \
                *_pp = NULL;               \
                _v;                        \
        })

#define TAKE_FD(fd)                \
        ({                         \
                int *_pfd = &(fd); \
                int _v = *_pfd;    \
                *_pfd = -EBADF;    \
                _v;                \
        })

/* Close and reset in one step so a stale descriptor number is never reused by mistake. */
static inline int close_and_reset(int *fd)
{
        if (*fd >= 0)
                (void) close(*fd);
        *fd = -EBADF;
        return -EBADF;
}

#define ARRAY_SIZE(a)                   (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) -offsetof(type, member)))

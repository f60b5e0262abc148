/* SPDX-License-Identifier: Apache-2.0 */
#include "base/error.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int error_store(struct agent_error **err, int errno_, char *msg)
{
        if (errno_ <= 0)
                errno_ = EIO;
        if (!err) {
                free(msg);
                return -errno_;
        }
        agent_error_freep(err);
        *err = xmalloc(sizeof(**err));
        (*err)->errno_ = errno_;
        (*err)->msg = msg;
        return -errno_;
}

int agent_error_set(struct agent_error **err, int errno_, const char *fmt, ...)
{
        va_list ap;
        char *ctx, *msg;

        va_start(ap, fmt);
        ctx = xvasprintf(fmt, ap);
        va_end(ap);
        msg = xasprintf("%s: %s", ctx, strerror(errno_ > 0 ? errno_ : EIO));
        free(ctx);
        return error_store(err, errno_, msg);
}

int agent_error_setf(struct agent_error **err, int errno_, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        return error_store(err, errno_, msg);
}

int agent_error_wrap(struct agent_error **err, const char *fmt, ...)
{
        va_list ap;
        char *ctx, *msg;

        if (!err || !*err)
                return -EIO;
        va_start(ap, fmt);
        ctx = xvasprintf(fmt, ap);
        va_end(ap);
        msg = xasprintf("%s: %s", ctx, (*err)->msg);
        free(ctx);
        free((*err)->msg);
        (*err)->msg = msg;
        return -(*err)->errno_;
}

struct agent_error *agent_error_free(struct agent_error *err)
{
        if (err) {
                free(err->msg);
                free(err);
        }
        return NULL;
}

void agent_error_freep(struct agent_error **err)
{
        *err = agent_error_free(*err);
}

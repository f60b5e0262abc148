/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc/conn.h"
#include "base/cleanup.h"
#include "base/list.h"
#include "base/log.h"
#include "base/util.h"
#include "ttrpc/status.h"
#include "ttrpc.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define CONN_READ_CHUNK 65536

/* What one queued frame really costs: the item and the allocator's headers count too, so the
 * high-water mark bounds memory, not just payload bytes. */
#define WQ_ITEM_OVERHEAD 64

struct wq_item {
        struct list_node node;
        uint8_t *buf;
        size_t len;
        size_t off;
};

struct ttrpc_conn {
        struct loop *loop;
        int fd;
        bool is_socket;
        struct loop_io *io;
        struct loop_timer *close_timer;
        const struct ttrpc_conn_ops *ops;
        void *userdata;
        struct ttrpc_decoder dec;
        struct list_node wq;
        size_t wq_bytes; /* bytes still to write */
        size_t wq_cost;  /* memory held by the queue */
        bool read_paused;
        bool held; /* reading stopped from above */
        bool failed;
};

static void conn_update_events(struct ttrpc_conn *c)
{
        uint32_t ev = 0;

        if (c->failed)
                return;
        if (c->read_paused && c->wq_cost < TTRPC_CONN_WQ_LOW)
                c->read_paused = false;
        if (!c->read_paused && !c->held)
                ev |= EPOLLIN;
        if (c->wq_bytes > 0)
                ev |= EPOLLOUT;
        (void) loop_io_set_events(c->io, ev);
}

static void conn_close_cb(struct loop_timer *t, void *userdata)
{
        struct ttrpc_conn *c = userdata;

        loop_timer_free(t);
        c->close_timer = NULL;
        if (c->ops->on_close)
                c->ops->on_close(c, c->userdata);
        ttrpc_conn_free(c);
}

static void conn_fail(struct ttrpc_conn *c)
{
        if (c->failed)
                return;
        c->failed = true;
        (void) loop_io_set_events(c->io, 0);
        c->close_timer = loop_add_timer(c->loop, 0, conn_close_cb, c);
}

void ttrpc_conn_hold(struct ttrpc_conn *c, bool hold)
{
        c->held = hold;
        conn_update_events(c);
}

void ttrpc_conn_close(struct ttrpc_conn *c)
{
        conn_fail(c);
}

bool ttrpc_conn_failed(const struct ttrpc_conn *c)
{
        return c->failed;
}

size_t ttrpc_conn_queued_bytes(const struct ttrpc_conn *c)
{
        return c->wq_bytes;
}

static void wq_item_free(struct ttrpc_conn *c, struct wq_item *it)
{
        c->wq_cost -= it->len + sizeof(*it) + WQ_ITEM_OVERHEAD;
        list_del(&it->node);
        free(it->buf);
        free(it);
}

void ttrpc_conn_free(struct ttrpc_conn *c)
{
        struct list_node *n, *tmp;

        if (!c)
                return;
        list_for_each_safe(n, tmp, &c->wq) wq_item_free(c, list_entry(n, struct wq_item, node));
        loop_timer_free(c->close_timer);
        loop_io_free(c->io);
        close_and_reset(&c->fd);
        ttrpc_decoder_done(&c->dec);
        free(c);
}

/* Writes as much of the queue as the fd takes. MSG_NOSIGNAL: a vanished client must not
 * SIGPIPE the agent (PID 1 would die). */
static void conn_flush(struct ttrpc_conn *c)
{
        while (!list_empty(&c->wq)) {
                struct wq_item *it = list_first_entry(&c->wq, struct wq_item, node);
                ssize_t n;

                if (c->is_socket)
                        n = send(c->fd, it->buf + it->off, it->len - it->off, MSG_NOSIGNAL);
                else
                        n = write(c->fd, it->buf + it->off, it->len - it->off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        log_debug("ttrpc: write failed: %s", strerror(errno));
                        conn_fail(c);
                        return;
                }
                it->off += (size_t) n;
                c->wq_bytes -= (size_t) n;
                if (it->off == it->len)
                        wq_item_free(c, it);
        }
        conn_update_events(c);
}

/* Queues a complete frame (header included), taking ownership of it. */
static int conn_queue(struct ttrpc_conn *c, uint8_t *frame, size_t len)
{
        struct wq_item *it;

        if (c->failed) {
                free(frame);
                return 0;
        }
        it = xzalloc(sizeof(*it));
        it->buf = frame;
        it->len = len;
        list_add_tail(&c->wq, &it->node);
        c->wq_bytes += it->len;
        c->wq_cost += it->len + sizeof(*it) + WQ_ITEM_OVERHEAD;
        if (c->wq_cost > TTRPC_CONN_WQ_HIGH)
                c->read_paused = true;
        conn_flush(c);
        return 0;
}

int ttrpc_conn_send(struct ttrpc_conn *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                    const uint8_t *body, size_t len)
{
        size_t frame_len;
        uint8_t *frame;

        if (len > TTRPC_MESSAGE_LENGTH_MAX)
                return -EMSGSIZE;
        frame = ttrpc_frame_encode(stream_id, type, flags, body, (uint32_t) len, &frame_len);
        return conn_queue(c, frame, frame_len);
}

/* Packs Response{status, payload} straight behind its frame header: the payload is copied once,
 * into the buffer that is written to the socket. NULL when the body would exceed the limit. */
static uint8_t *response_frame(uint32_t stream_id, int code, const char *message,
                               const uint8_t *payload, size_t payload_len, size_t *ret_len)
{
        Ttrpc__Status st = TTRPC__STATUS__INIT;
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        struct ttrpc_header h = { .stream_id = stream_id, .type = TTRPC_TYPE_RESPONSE };
        size_t body;
        uint8_t *frame;

        st.code = code;
        st.message = (char *) (message ? message : "");
        resp.status = &st;
        if (payload && payload_len) {
                resp.payload.data = (uint8_t *) payload;
                resp.payload.len = payload_len;
        }
        body = ttrpc__response__get_packed_size(&resp);
        if (body > TTRPC_MESSAGE_LENGTH_MAX) {
                *ret_len = body;
                return NULL;
        }
        frame = xmalloc(TTRPC_HEADER_SIZE + body);
        h.length = (uint32_t) body;
        ttrpc_header_encode(&h, frame);
        ttrpc__response__pack(&resp, frame + TTRPC_HEADER_SIZE);
        *ret_len = TTRPC_HEADER_SIZE + body;
        return frame;
}

/* What replaces a response whose body would be `body` bytes, over the frame limit. */
static uint8_t *oversize_frame(uint32_t stream_id, size_t body, size_t *ret_len)
{
        char msg[128];

        snprintf(msg, sizeof(msg), "message length %zu exceed maximum message size of %u", body,
                 TTRPC_MESSAGE_LENGTH_MAX);
        return response_frame(stream_id, RPC_INVALID_ARGUMENT, msg, NULL, 0, ret_len);
}

int ttrpc_conn_send_response(struct ttrpc_conn *c, uint32_t stream_id, int code,
                             const char *message, const uint8_t *payload, size_t payload_len)
{
        size_t len;
        uint8_t *frame = response_frame(stream_id, code, message, payload, payload_len, &len);

        if (!frame)
                frame = oversize_frame(stream_id, len, &len);
        return conn_queue(c, frame, len);
}

int ttrpc_conn_send_response_iov(struct ttrpc_conn *c, uint32_t stream_id,
                                 const struct iovec *payload, size_t n)
{
        Ttrpc__Status st = TTRPC__STATUS__INIT;
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        struct ttrpc_header h = { .stream_id = stream_id, .type = TTRPC_TYPE_RESPONSE };
        uint8_t field[TTRPC_FIELD_HEAD_MAX];
        size_t payload_len = 0, head, field_len, body, len;
        uint8_t *frame, *p;

        for (size_t i = 0; i < n; i++)
                payload_len += payload[i].iov_len;
        if (payload_len == 0)
                return ttrpc_conn_send_response(c, stream_id, RPC_OK, "", NULL, 0);
        /* Response{status: OK} as protobuf-c packs it, then field 2 (payload) by hand: the
         * same bytes as packing the whole Response, with the payload copied only once. */
        resp.status = &st;
        head = ttrpc__response__get_packed_size(&resp);
        field_len = ttrpc_field_head(2, payload_len, field);
        body = head + field_len + payload_len;
        if (body > TTRPC_MESSAGE_LENGTH_MAX) {
                frame = oversize_frame(stream_id, body, &len);
                return conn_queue(c, frame, len);
        }
        len = TTRPC_HEADER_SIZE + body;
        frame = xmalloc(len);
        h.length = (uint32_t) body;
        ttrpc_header_encode(&h, frame);
        p = frame + TTRPC_HEADER_SIZE;
        p += ttrpc__response__pack(&resp, p);
        memcpy(p, field, field_len);
        p += field_len;
        for (size_t i = 0; i < n; i++) {
                if (payload[i].iov_len)
                        memcpy(p, payload[i].iov_base, payload[i].iov_len);
                p += payload[i].iov_len;
        }
        return conn_queue(c, frame, len);
}

/* Feeds one chunk to the decoder; may deliver several frames. */
static void conn_feed(struct ttrpc_conn *c, const uint8_t *data, size_t len)
{
        size_t off = 0;

        while (off < len && !c->failed) {
                enum ttrpc_decode_event ev;
                struct ttrpc_frame frame;

                off += ttrpc_decoder_feed(&c->dec, data + off, len - off, &ev, &frame);
                if (ev == TTRPC_DECODE_FRAME)
                        c->ops->on_frame(c, &frame, c->userdata);
                else if (ev == TTRPC_DECODE_OVERSIZE)
                        c->ops->on_oversize(c, &frame.header, c->userdata);
        }
}

static void conn_read(struct ttrpc_conn *c)
{
        uint8_t buf[CONN_READ_CHUNK];

        /* Bounded work per wake-up so one busy client cannot starve the others. */
        for (int i = 0; i < 16 && !c->failed && !c->read_paused && !c->held; i++) {
                ssize_t n = read(c->fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                conn_fail(c);
                        return;
                }
                if (n == 0) {
                        if (ttrpc_decoder_mid_frame(&c->dec))
                                log_debug("ttrpc: connection closed in the middle of a frame");
                        conn_fail(c);
                        return;
                }
                conn_feed(c, buf, (size_t) n);
                if ((size_t) n < sizeof(buf))
                        return;
        }
}

static void conn_io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct ttrpc_conn *c = userdata;

        (void) io;
        if (events & EPOLLOUT)
                conn_flush(c);
        if (events & EPOLLIN)
                conn_read(c);
        /* HUP with no data left to read: the peer is gone. */
        if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
                conn_fail(c);
}

int ttrpc_conn_new(struct loop *l, int fd, const struct ttrpc_conn_ops *ops, void *userdata,
                   struct ttrpc_conn **ret)
{
        struct ttrpc_conn *c = xzalloc(sizeof(*c));
        int type, r;
        socklen_t tl = sizeof(type);

        c->loop = l;
        c->fd = fd;
        c->ops = ops;
        c->userdata = userdata;
        c->is_socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0;
        list_init(&c->wq);
        ttrpc_decoder_init(&c->dec, TTRPC_MESSAGE_LENGTH_MAX);
        r = fd_nonblock(fd, true);
        if (r >= 0)
                r = loop_add_io(l, fd, EPOLLIN, conn_io_cb, c, &c->io);
        if (r < 0) {
                c->fd = -EBADF; /* the caller still owns fd on failure */
                ttrpc_conn_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

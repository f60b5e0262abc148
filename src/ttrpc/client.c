/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc/client.h"
#include "ttrpc/address.h"
#include "ttrpc/status.h"
#include "base/cleanup.h"
#include "base/util.h"

#include "ttrpc.pb-c.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLIENT_READ_CHUNK (64u * 1024u)
#define NSEC_PER_MSEC     1000000ull
#define NSEC_PER_SEC      1000000000ull

struct ttrpc_client {
        int fd;
        bool is_socket; /* send(MSG_NOSIGNAL) needs a socket; serial ports get write() */
        uint32_t next_id;
        struct ttrpc_decoder dec;
        /* Bytes read but not yet fed: one read() may carry the tail of one frame and the start
         * of the next, and the decoder stops after each complete frame. */
        uint8_t *rbuf;
        size_t rpos;
        size_t rlen;
        Ttrpc__KeyValue md; /* sent with every request when md.key is set */
};

void ttrpc_client_set_metadata(struct ttrpc_client *c, const char *key, const char *value)
{
        free(c->md.key);
        free(c->md.value);
        ttrpc__key_value__init(&c->md);
        /* init points both at protobuf-c's static empty string: never ours to free. */
        c->md.key = c->md.value = NULL;
        if (key) {
                c->md.key = xstrdup(key);
                c->md.value = xstrdup(value ? value : "");
        }
}

void ttrpc_status_done(struct ttrpc_status *st)
{
        if (!st)
                return;
        free(st->message);
        st->message = NULL;
        st->code = RPC_OK;
}

struct ttrpc_client *ttrpc_client_new_fd(int fd)
{
        struct ttrpc_client *c;
        struct stat st;

        if (fd < 0)
                return NULL;
        c = xzalloc(sizeof(*c));
        c->fd = fd;
        c->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
        c->next_id = 1;
        c->rbuf = xmalloc(CLIENT_READ_CHUNK);
        ttrpc_decoder_init(&c->dec, TTRPC_MESSAGE_LENGTH_MAX);
        return c;
}

int ttrpc_client_connect(const char *addr, struct ttrpc_client **ret)
{
        struct address a;
        int fd, r;

        r = address_parse(addr, &a);
        if (r < 0)
                return r;
        fd = address_connect(&a);
        if (fd < 0)
                return fd;
        *ret = ttrpc_client_new_fd(fd);
        return 0;
}

struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c)
{
        if (!c)
                return NULL;
        (void) close_and_reset(&c->fd);
        ttrpc_decoder_done(&c->dec);
        free(c->rbuf);
        free(c->md.key);
        free(c->md.value);
        free(c);
        return NULL;
}

int ttrpc_client_fd(const struct ttrpc_client *c)
{
        return c->fd;
}

uint32_t ttrpc_client_next_stream_id(struct ttrpc_client *c)
{
        uint32_t id = c->next_id;

        /* Odd ids only; after 2^31 calls the sum wraps to 1, which is odd again. */
        c->next_id += 2;
        return id;
}

/* Milliseconds left until deadline (0 = no deadline: -1, wait for ever), rounded up so poll()
 * never returns just before the deadline and spins; capped to what poll() takes. */
static int ms_left(uint64_t deadline)
{
        uint64_t now, ms;

        if (deadline == 0)
                return -1;
        now = now_ns();
        if (now >= deadline)
                return 0;
        ms = (deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
        return ms > INT_MAX ? INT_MAX : (int) ms;
}

static uint64_t deadline_after_ns(uint64_t ns)
{
        uint64_t now = now_ns();

        return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
        struct pollfd p = { .fd = fd, .events = events };

        for (;;) {
                int n = poll(&p, 1, ms_left(deadline));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0) {
                        /* Rechecked rather than trusted: poll() may wake a little early. */
                        if (ms_left(deadline) == 0)
                                return -ETIMEDOUT;
                        continue;
                }
                if (p.revents & POLLNVAL)
                        return -EBADF;
                /* POLLHUP/POLLERR: the following read()/write() reports what happened. */
                return 0;
        }
}

static int write_all(struct ttrpc_client *c, const uint8_t *buf, size_t len)
{
        while (len > 0) {
                ssize_t n;

                if (c->is_socket)
                        n = send(c->fd, buf, len, MSG_NOSIGNAL);
                else
                        n = write(c->fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                /* A non-blocking fd handed to new_fd(): wait for room. */
                                int r = wait_fd(c->fd, POLLOUT, 0);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

int ttrpc_client_send_raw(struct ttrpc_client *c, const void *buf, size_t len)
{
        return write_all(c, buf, len);
}

int ttrpc_client_send_request(struct ttrpc_client *c, uint32_t stream_id, const char *service,
                              const char *method, const uint8_t *payload, size_t payload_len,
                              int64_t timeout_ns)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        Ttrpc__KeyValue *md[1];
        _cleanup_free_ uint8_t *body = NULL;
        _cleanup_free_ uint8_t *frame = NULL;
        size_t body_len, frame_len;

        /* Checked before packing so an absurd payload is never copied. */
        if (payload_len > TTRPC_MESSAGE_LENGTH_MAX)
                return -EMSGSIZE;
        req.service = (char *) (service ? service : "");
        req.method = (char *) (method ? method : "");
        req.payload.data = (uint8_t *) payload;
        req.payload.len = payload ? payload_len : 0;
        req.timeout_nano = timeout_ns > 0 ? timeout_ns : 0;
        if (c->md.key) {
                md[0] = &c->md;
                req.metadata = md;
                req.n_metadata = 1;
        }

        body_len = ttrpc__request__get_packed_size(&req);
        if (body_len > TTRPC_MESSAGE_LENGTH_MAX)
                return -EMSGSIZE;
        body = xmalloc(body_len);
        (void) ttrpc__request__pack(&req, body);
        frame = ttrpc_frame_encode(stream_id, TTRPC_TYPE_REQUEST, 0, body, (uint32_t) body_len,
                                   &frame_len);
        return write_all(c, frame, frame_len);
}

/* Feeds buffered bytes to the decoder. 1 = a frame (or an oversize report) is in *ret. */
static int feed_buffered(struct ttrpc_client *c, struct ttrpc_frame *ret, bool *oversize)
{
        enum ttrpc_decode_event ev;

        while (c->rpos < c->rlen) {
                c->rpos +=
                        ttrpc_decoder_feed(&c->dec, c->rbuf + c->rpos, c->rlen - c->rpos, &ev, ret);
                if (ev == TTRPC_DECODE_FRAME || ev == TTRPC_DECODE_OVERSIZE) {
                        *oversize = ev == TTRPC_DECODE_OVERSIZE;
                        return 1;
                }
        }
        c->rpos = c->rlen = 0;
        return 0;
}

/* Reads one chunk into the (empty) buffer. A close, clean or mid-frame, is -ECONNRESET: either
 * way the response we wait for can no longer come. */
static int fill_buffer(struct ttrpc_client *c, uint64_t deadline)
{
        for (;;) {
                ssize_t n;
                int r;

                r = wait_fd(c->fd, POLLIN, deadline);
                if (r < 0)
                        return r;
                n = read(c->fd, c->rbuf, CLIENT_READ_CHUNK);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -ECONNRESET;
                c->rpos = 0;
                c->rlen = (size_t) n;
                return 0;
        }
}

static int recv_frame_until(struct ttrpc_client *c, uint64_t deadline, struct ttrpc_frame *ret)
{
        for (;;) {
                bool oversize = false;
                int r;

                if (feed_buffered(c, ret, &oversize) > 0)
                        return oversize ? -EMSGSIZE : 0;
                r = fill_buffer(c, deadline);
                if (r < 0)
                        return r;
        }
}

int ttrpc_client_recv_frame(struct ttrpc_client *c, int wait_ms, struct ttrpc_frame *ret)
{
        uint64_t deadline = 0;

        /* wait_ms == 0 gives a deadline of now: only what is already there is read. */
        if (wait_ms >= 0)
                deadline = deadline_after_ns((uint64_t) wait_ms * NSEC_PER_MSEC);
        return recv_frame_until(c, deadline, ret);
}

int ttrpc_response_decode(const uint8_t *body, size_t len, struct ttrpc_status *ret_status,
                          uint8_t **ret_payload, size_t *ret_payload_len)
{
        Ttrpc__Response *resp;

        resp = ttrpc__response__unpack(NULL, len, body);
        if (!resp)
                return -EBADMSG;
        ret_status->code = RPC_OK;
        ret_status->message = NULL;
        if (resp->status) {
                ret_status->code = resp->status->code;
                if (resp->status->message && resp->status->message[0])
                        ret_status->message = xstrdup(resp->status->message);
        }
        if (ret_payload) {
                *ret_payload = NULL;
                if (resp->payload.len > 0) {
                        *ret_payload = xmalloc(resp->payload.len);
                        memcpy(*ret_payload, resp->payload.data, resp->payload.len);
                }
        }
        if (ret_payload_len)
                *ret_payload_len = resp->payload.len;
        ttrpc__response__free_unpacked(resp, NULL);
        return 0;
}

/* Waits for the Response on stream_id. Frames of types this client does not know are skipped, as
 * the protocol asks; anything else on the wire is a protocol error for a unary call. */
static int wait_response(struct ttrpc_client *c, uint32_t stream_id, uint64_t deadline,
                         struct ttrpc_frame *ret)
{
        for (;;) {
                struct ttrpc_frame f = { 0 };
                int r;

                r = recv_frame_until(c, deadline, &f);
                if (r == -EMSGSIZE)
                        return f.header.stream_id == stream_id ? -EMSGSIZE : -EPROTO;
                if (r < 0)
                        return r;
                if (f.header.type != TTRPC_TYPE_REQUEST && f.header.type != TTRPC_TYPE_RESPONSE &&
                    f.header.type != TTRPC_TYPE_DATA) {
                        free(f.body);
                        continue;
                }
                if (f.header.type != TTRPC_TYPE_RESPONSE || f.header.stream_id != stream_id) {
                        free(f.body);
                        return -EPROTO;
                }
                *ret = f;
                return 0;
        }
}

int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
                          const uint8_t *payload, size_t payload_len, int64_t timeout_ns,
                          struct ttrpc_status *ret_status, uint8_t **ret_payload,
                          size_t *ret_payload_len)
{
        struct ttrpc_frame f = { 0 };
        uint64_t deadline = 0;
        uint32_t id;
        int r;

        assert(ret_status);
        if (payload_len > TTRPC_MESSAGE_LENGTH_MAX)
                return -EMSGSIZE;
        id = ttrpc_client_next_stream_id(c);
        r = ttrpc_client_send_request(c, id, service, method, payload, payload_len, timeout_ns);
        if (r < 0)
                return r;
        /* The server gives up at timeout_ns; one more second lets its DEADLINE_EXCEEDED reply
         * arrive so the caller sees the server's answer rather than a local timeout. */
        if (timeout_ns > 0)
                deadline = deadline_after_ns((uint64_t) timeout_ns + NSEC_PER_SEC);
        r = wait_response(c, id, deadline, &f);
        if (r < 0)
                return r;
        r = ttrpc_response_decode(f.body, f.header.length, ret_status, ret_payload,
                                  ret_payload_len);
        free(f.body);
        return r;
}

int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
                      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                      int64_t timeout_ns, ProtobufCMessage **ret_resp,
                      struct ttrpc_status *ret_status)
{
        _cleanup_free_ uint8_t *req_buf = NULL;
        _cleanup_free_ uint8_t *resp_buf = NULL;
        size_t req_len = 0, resp_len = 0;
        int r;

        if (ret_resp)
                *ret_resp = NULL;
        if (req) {
                req_len = protobuf_c_message_get_packed_size(req);
                if (req_len > TTRPC_MESSAGE_LENGTH_MAX)
                        return -EMSGSIZE;
                req_buf = xmalloc(req_len);
                (void) protobuf_c_message_pack(req, req_buf);
        }
        r = ttrpc_client_call_raw(c, service, method, req_buf, req_len, timeout_ns, ret_status,
                                  &resp_buf, &resp_len);
        if (r < 0)
                return r;
        if (ret_status->code != RPC_OK || !resp_desc || !ret_resp)
                return 0;
        /* Like the Go client: an OK reply whose payload does not decode fails the call. An empty
         * payload decodes to the default message. */
        *ret_resp = protobuf_c_message_unpack(resp_desc, NULL, resp_len, resp_buf);
        if (!*ret_resp) {
                ttrpc_status_done(ret_status);
                return -EBADMSG;
        }
        return 0;
}

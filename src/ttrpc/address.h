/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Agent addresses, as accepted by `agent.server_addr`, KATA_AGENT_SERVER_ADDR and --addr:
 *
 *   vsock://-1:1024        AF_VSOCK, any CID (VMADDR_CID_ANY), port 1024 (the default)
 *   vsock://CID:PORT       AF_VSOCK with an explicit CID
 *   unix:///run/x.sock     AF_UNIX path
 *   unix://@name           AF_UNIX abstract name
 *   serial:///dev/vport0p1 a character device (virtio-serial port): one long-lived stream
 *   /dev/virtio-ports/...  a bare absolute path means serial:// too
 */

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

enum address_kind {
        ADDRESS_VSOCK,
        ADDRESS_UNIX,
        ADDRESS_SERIAL,
};

struct address {
        enum address_kind kind;
        uint32_t cid;   /* vsock */
        uint32_t port;  /* vsock */
        char path[108]; /* unix (with a leading '@' for abstract) or serial device */
};

/* Returns 0, or -EINVAL for a malformed address. */
int address_parse(const char *s, struct address *ret);

/* Writes the canonical text form ("vsock://4294967295:1024" prints as "vsock://-1:1024"). */
void address_format(const struct address *a, char *buf, size_t size);

/* Builds a sockaddr for unix/vsock addresses; returns its length or -EINVAL. */
int address_sockaddr(const struct address *a, struct sockaddr_storage *ss, socklen_t *ret_len);

/* Creates a listening socket (SOCK_CLOEXEC|SOCK_NONBLOCK). A stale unix socket file at the path is
 * replaced. Returns the fd or -errno. Not for serial addresses. */
int address_listen(const struct address *a, int backlog);

/* Connects a blocking SOCK_CLOEXEC socket (unix or vsock) or opens a serial device.
 * Returns the fd or -errno. */
int address_connect(const struct address *a);

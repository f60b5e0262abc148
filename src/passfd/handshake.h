/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * How a passfd stream says which process stdio it carries.
 *
 * Over vsock nothing is sent: as in Kata's agent, a stream is known by the host-side port it
 * comes from (runtime-rs learns that port from the hypervisor's "passfd" handshake and puts it in
 * CreateContainer/ExecProcess's stdin_port/stdout_port/stderr_port). A unix socket has no peer
 * port, so a client standing in for the host (tests, a runtime on the same machine) announces
 * one: its first bytes are the port in decimal and a newline, e.g. "4099\n". Everything after
 * the newline is the stream itself.
 */

#include <stddef.h>
#include <stdint.h>

/* Longest announcement: ten digits and the newline. */
#define PASSFD_HANDSHAKE_MAX 11

/* Parses the start of a unix stream. Returns the bytes the announcement takes (newline
 * included) and sets *port; 0 when more bytes are needed; -EINVAL for anything else: a
 * non-digit, a leading zero, port 0 or above 4294967295, no newline within
 * PASSFD_HANDSHAKE_MAX bytes. */
int passfd_handshake_parse(const uint8_t *buf, size_t len, uint32_t *port);

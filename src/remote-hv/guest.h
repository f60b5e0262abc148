/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Launching a VM's guest process, in a child, without blocking the loop.
 *
 * The child joins the shim's mount namespace first: the shim unshares its own at start, and the
 * container rootfs bind mounts it makes under KATA_HOST_SHARE_DIR/<id>/ exist only there. Then:
 *  - namespace guest: a new mount namespace copied from the shim's (slave, so later rootfs
 *    mounts still arrive) with its own tmpfs at KATA_GUEST_RUN_DIR, the sandbox's share bound at
 *    KATA_GUEST_SHARE_DIR, and cata-agent listening on the VM's agent socket;
 *  - QEMU guest: QEMU, whose 9p server exports the sandbox's share (tag GUEST_SHARE_TAG) and
 *    whose `agent.channel.0` virtio-serial port has the agent socket as its host end.
 *
 * The child reports over a close-on-exec pipe: EOF when the guest program was exec'd, or one
 * record "<errno> <what failed>" before it exits 127.
 */

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "remote-hv/vm.h"

/* Where Kata's runtime shares a sandbox's files on the host, and where its guest expects them. */
#define KATA_HOST_SHARE_DIR  "/run/kata-containers/shared/sandboxes"
#define KATA_GUEST_RUN_DIR   "/run/kata-containers"
#define KATA_GUEST_SHARE_DIR "/run/kata-containers/shared/containers"
#define GUEST_SHARE_TAG      "kataShared"

#define GUEST_REPORT_MAX     512

/* ns_fd: the shim's mount namespace (not taken). On success the child's pid and the read end of
 * its report pipe (O_CLOEXEC) are returned. */
int guest_launch(const struct hv_config *cfg, const struct vm *vm, int ns_fd, pid_t *ret_pid,
                 int *ret_report, struct agent_error **err);

/* Parses one report record into errno and text (NUL-terminated in buf). Returns 0 or -EINVAL. */
int guest_parse_report(char *buf, size_t len, int *ret_errno, const char **ret_text);

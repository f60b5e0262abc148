/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Guest-wide operations the host asks for: the wall clock (SetGuestDateTime), the kernel's
 * random pool (ReseedRandomDev) and a container's termination message (GetDiagnosticData).
 * Each is a few syscalls on bounded data, quick enough for the loop.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct container;

#define SYSOPS_RNG_DEVICE "/dev/random"
/* The Rust agent's cap, which is Kubernetes' cap on termination messages. */
#define SYSOPS_TERMINATION_LOG_MAX    4096
#define SYSOPS_TERMINATION_ANNOTATION "io.kubernetes.container.terminationMessagePath"

/* settimeofday(): sec and usec exactly as the host sent them (usec in [0, 1000000)). */
int sysops_set_time(int64_t sec, int64_t usec, struct agent_error **err);

/* Writes data into device (SYSOPS_RNG_DEVICE), credits it and reseeds the CRNG. */
int sysops_reseed_rng(const char *device, const uint8_t *data, size_t len,
                      struct agent_error **err);

/* The guest path of the container's termination log: the source of the mount whose destination
 * is the terminationMessagePath annotation. Pure (fuzzable); *ret points into the spec. */
int sysops_termination_log_path(const struct container *c, const char **ret,
                                struct agent_error **err);

/* Reads at most SYSOPS_TERMINATION_LOG_MAX bytes of it (an absent file is ""), invalid UTF-8
 * replaced by U+FFFD. *ret is malloc'd and NUL-terminated. */
int sysops_read_termination_log(const struct container *c, char **ret, struct agent_error **err);

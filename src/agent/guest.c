/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/guest.h"
#include "devices/devspec.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "storage/storage.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int guest_memory_info(const char *block_size_path, const char *probe_path, bool want_block_size,
                      bool want_probe, uint64_t *ret_block_size, bool *ret_probe,
                      struct agent_error **err)
{
        uint64_t size = 0;
        bool probe = false;
        struct stat st;
        int r;

        if (want_block_size) {
                r = read_u64_file(block_size_path, 16, &size);
                if (r == -ENOENT)
                        size = 0;
                else if (r == -EINVAL || r == -ERANGE)
                        return agent_error_setf(err, EINVAL, "invalid memory block size in `%s`",
                                                block_size_path);
                else if (r < 0)
                        return agent_error_set(err, -r, "read `%s`", block_size_path);
        }
        if (want_probe) {
                if (stat(probe_path, &st) == 0)
                        probe = true;
                else if (errno != ENOENT)
                        return agent_error_set(err, errno, "stat `%s`", probe_path);
        }
        *ret_block_size = size;
        *ret_probe = probe;
        return 0;
}

const char *const *guest_storage_handlers(void)
{
        return storage_drivers();
}

const char *const *guest_device_handlers(void)
{
        return devices_handlers();
}

const char *const *guest_extra_features(void)
{
        static const char *const none[] = { NULL };
        return none;
}

bool guest_supports_seccomp(void)
{
        /* The engine applies Linux.Seccomp with libseccomp, always built in. The runtime only
         * sends seccomp profiles to agents that say so. */
        return true;
}

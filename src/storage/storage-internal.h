/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared between the storage files; not for other modules. */

#include "storage/storage.h"

#include <sys/types.h>

/* O_PATH|O_DIRECTORY descriptor of the run dir (created 0711 when missing), or -errno. */
int storage_run_dir_fd(struct agent *a);
/* Resolves path (below the run dir, already checked) without leaving the run dir (symlinks and
 * `..` stay inside it): an O_PATH descriptor, or -errno. flags: ROOTFS_OPEN_*. *ret_made (may
 * be NULL) tells whether the last component did not exist before. */
int storage_open_point(struct agent *a, const char *path, unsigned flags, bool *ret_made);
/* "/proc/self/fd/N" for mount(2) on a resolved descriptor. */
#define STORAGE_FD_PATH_MAX 32
const char *storage_fd_path(char buf[STORAGE_FD_PATH_MAX], int fd);
/* Unmounts whatever is mounted at path (resolved in the run dir) and removes the directory
 * when rmdir is set and it is empty. Logs, never fails. */
void storage_unmount_path(struct agent *a, const char *path, bool unmount, bool rmdir);
/* Removes a tree: moved aside at once (same file system), deleted by a child process so a big
 * tree never stalls the loop. */
void storage_remove_tree(struct agent *a, const char *path);

/* storage-driver.c */
int storage_driver_setup(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                         const char *owner, struct agent_error **err);
void storage_driver_teardown(struct agent *a, struct storage_entry *e);
/* Mount with the storage's options (flags, data; Kata-only and fsgid= options dropped). */
int storage_mount_options(struct agent *a, const char *source, const char *target,
                          const char *fstype, char *const *options, size_t n,
                          unsigned long extra_flags, const char *extra_data);

/* storage-watch.c */
int storage_watch_add(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                      struct agent_error **err);
void storage_watch_remove(struct agent *a, struct storage_entry *e);

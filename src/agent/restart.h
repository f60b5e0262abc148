/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A new agent on a run dir a previous instance left behind (it crashed or was killed while
 * running as a service: as PID 1 its death ends the VM). The previous instance's containers
 * cannot be adopted: their stdio pipes, sync sockets and exit statuses died with it, and the
 * runtime that drove them sees the sandbox gone. So the new agent starts clean:
 *  - processes: every process in the cgroup of a container recorded in a bundle
 *    (<run dir>/<id>/cgroup, written at create) is killed with SIGKILL and the cgroup removed;
 *  - mounts: everything mounted under <run dir>/ (bundle rootfs binds, the sandbox's ipc/uts
 *    namespace binds under sandbox/ns, storages) is detached, deepest first;
 *  - files: what is left under <run dir> is removed (sockets excepted), never crossing a
 *    mount that could not be detached (those are logged and kept). This runs before the
 *    listener exists, so its cost (a big leftover tree) delays the start, not a request.
 * Not recovered: processes that left their container's cgroup (impossible without privileges
 * the spec gives), and anything outside the run dir (the guest's /etc/resolv.conf bind).
 */

struct agent;

#define RESTART_MARKER ".cata-agent.pid"

/* Called once at start, before the listener serves anything, when the marker says a previous
 * instance did not stop cleanly (the guest's share under <run dir>/shared stays mounted). Logs
 * what it found. */
void restart_cleanup(struct agent *a);
/* Writes the marker (after restart_cleanup) / removes it (clean stop). */
void restart_mark_running(struct agent *a);
void restart_mark_stopped(struct agent *a);

/* Records a container's cgroup path in its bundle (<bundle>/cgroup) for restart_cleanup; a
 * failure is only logged (the container works, a later restart would miss its cgroup). */
void restart_note_cgroup(const char *bundle, const char *cgroup_path);
/* Removes that record (the bundle is being removed). */
void restart_forget_cgroup(const char *bundle);

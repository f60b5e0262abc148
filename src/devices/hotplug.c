/* SPDX-License-Identifier: Apache-2.0 */
/* OnlineCPUMem, MemHotplugByProbe, AddSwap, AddSwapPath, ResizeVolume. */
#include "devices/hotplug.h"
#include "agent/agent.h"
#include "agent/container.h"
#include "agent/command.h"
#include "agent/reaper.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "devices/devices.h"
#include "engine/cgroup.h"
#include "rpc/call.h"
#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif

/* One parked call waiting for a child (or a device, then a child). */
struct op {
        struct agent *a;
        struct rpc_call *call; /* NULL once its caller went away */
        struct list_node parked;
        struct devices_wait *w;
        struct command *cmd;
        const char *what; /* for messages: "online CPUs" */
        char *arg;        /* the swap device, the volume path */
        uint32_t nb_cpus;
        bool cpu_only;
        uint64_t *addrs; /* memory probe addresses */
        size_t n_addrs;
        bool child_running;
};

static void op_free(struct op *o)
{
        devices_wait_cancel(o->w);
        command_abandon(o->cmd);
        free(o->arg);
        free(o->addrs);
        free(o);
}

static void op_cancel(struct rpc_call *call, void *data)
{
        struct op *o = data;

        /* The call is parked on a list head inside the op: off it before the op goes. */
        list_del(&call->park_node);
        o->call = NULL;
        /* A running child is reaped later; its callback frees the op. */
        if (!o->child_running)
                op_free(o);
}

static int op_park(struct agent *a, struct rpc_call *call, const char *what, struct op **ret,
                   struct agent_error **err)
{
        struct op *o = xzalloc(sizeof(*o));
        int r;

        o->a = a;
        o->call = call;
        o->what = what;
        list_init(&o->parked);
        r = rpc_call_park(call, &o->parked, op_cancel, o, err);
        if (r < 0) {
                free(o);
                return r;
        }
        *ret = o;
        return 0;
}

/* Answers (when the caller is still there) and frees. */
static void op_reply(struct op *o, struct agent_error *err)
{
        if (o->call) {
                rpc_call_unpark(o->call);
                if (err)
                        rpc_call_reply_error(o->call, err);
                else
                        rpc_call_reply(o->call, NULL);
        }
        agent_error_free(err);
        op_free(o);
}

/* ---- children ---- */

typedef int (*child_fn)(struct op *o);

static void child_done(pid_t pid, int status, void *userdata);

/* Runs fn in a child; its exit status is 0 or an errno. */
static int op_fork(struct op *o, child_fn fn, reaper_fn done, struct agent_error **err)
{
        pid_t pid = fork();

        if (pid < 0)
                return agent_error_set(err, errno, "%s: fork", o->what);
        if (pid == 0)
                _exit(fn(o) & 0xff);
        o->child_running = true;
        reaper_watch(o->a, pid, done ? done : child_done, o);
        return 0;
}

static int child_errno(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return EINTR;
}

static void child_done(pid_t pid, int status, void *userdata)
{
        struct op *o = userdata;
        struct agent_error *err = NULL;
        int e = child_errno(status);

        (void) pid;
        o->child_running = false;
        if (e)
                agent_error_set(&err, e, "%s `%s`", o->what, o->arg ? o->arg : "");
        op_reply(o, err);
}

/* ---- CPUs and memory ---- */

int hotplug_count_cpus(const char *list)
{
        _cleanup_free_ char *copy = xstrdup(list);
        char *save = NULL;
        int n = 0;

        for (char *tok = strtok_r(copy, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
                char *dash = strchr(tok, '-');
                uint64_t lo, hi;

                if (dash)
                        *dash = '\0';
                if (parse_u64(tok, 10, &lo) < 0 || (dash && parse_u64(dash + 1, 10, &hi) < 0))
                        return -EINVAL;
                if (!dash)
                        hi = lo;
                if (hi < lo || hi - lo > 65535)
                        return -EINVAL;
                n += (int) (hi - lo + 1);
        }
        return n;
}

static int online_count(struct agent *a)
{
        _cleanup_free_ char *path = xasprintf("%s/devices/system/cpu/online", devices_sysfs(a));
        _cleanup_free_ char *text = NULL;

        if (read_file(path, 4096, &text, NULL) < 0)
                return -EIO;
        return hotplug_count_cpus(text);
}

/* Writes 1 to `online` of up to max offline entries named <prefix>N under dir (max < 0: all). */
static int online_some(const char *dir, const char *prefix, int max)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int done = 0;

        if (!d)
                return 0;
        while ((max < 0 || done < max) && (de = readdir(d))) {
                char path[512], c = 0;
                int fd;

                if (!startswith(de->d_name, prefix) ||
                    strspn(de->d_name + strlen(prefix), "0123456789") !=
                            strlen(de->d_name + strlen(prefix)) ||
                    !de->d_name[strlen(prefix)])
                        continue;
                snprintf(path, sizeof(path), "%s/%s/online", dir, de->d_name);
                fd = open(path, O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (read(fd, &c, 1) == 1 && c == '0' && pwrite(fd, "1", 1, 0) == 1)
                        done++;
                close(fd);
        }
        closedir(d);
        return done;
}

/* In the child: CPUs up to nb_cpus online (retrying: a hot-added CPU's directory may come
 * late), then every offline memory block. */
static int online_child(struct op *o)
{
        _cleanup_free_ char *cpus = xasprintf("%s/devices/system/cpu", devices_sysfs(o->a));
        _cleanup_free_ char *mem = xasprintf("%s/devices/system/memory", devices_sysfs(o->a));
        int want = (int) o->nb_cpus;

        for (int i = 0; want > 0 && i < HOTPLUG_CPU_RETRIES; i++) {
                int n = online_count(o->a);
                if (n < 0)
                        return EIO;
                if (n >= want)
                        break;
                (void) online_some(cpus, "cpu", want - n);
                if (online_count(o->a) >= want)
                        break;
                nanosleep(&(struct timespec){ 0, HOTPLUG_CPU_RETRY_MS * 1000000L }, NULL);
        }
        if (want > 0 && online_count(o->a) < want)
                return ETIMEDOUT;
        if (!o->cpu_only)
                (void) online_some(mem, "memory", -1);
        return 0;
}

/* The containers' cpusets follow the guest's online CPUs. */
static void follow_cpus(struct agent *a)
{
        _cleanup_free_ char *path = xasprintf("%s/devices/system/cpu/online", devices_sysfs(a));
        _cleanup_free_ char *online = NULL;

        if (read_file(path, 4096, &online, NULL) < 0)
                return;
        online[strcspn(online, "\n")] = '\0';
        for (struct list_node *n = a->containers.next; n != &a->containers; n = n->next) {
                struct container *c = list_entry(n, struct container, node);
                const Grpc__Linux *l = c->req && c->req->oci ? c->req->oci->linux : NULL;
                const char *cpus =
                        l && l->resources && l->resources->cpu ? l->resources->cpu->cpus : NULL;
                _cleanup_error_ struct agent_error *err = NULL;

                if (c->cgroup && cgroup_follow_cpus(c->cgroup, online, cpus, &err) < 0)
                        log_warn("container `%s`: cpuset after CPU hotplug: %s", c->id, err->msg);
        }
}

static void online_done(pid_t pid, int status, void *userdata)
{
        struct op *o = userdata;
        struct agent_error *err = NULL;
        int e = child_errno(status);

        (void) pid;
        o->child_running = false;
        if (e == ETIMEDOUT)
                agent_error_setf(&err, ETIMEDOUT, "failed to online %u CPU(s) after %d retries",
                                 o->nb_cpus, HOTPLUG_CPU_RETRIES);
        else if (e)
                agent_error_set(&err, e, "online CPUs and memory");
        if (!e && o->nb_cpus > 0)
                follow_cpus(o->a);
        op_reply(o, err);
}

int hotplug_online_cpu_mem(struct agent *a, struct rpc_call *call,
                           const Grpc__OnlineCPUMemRequest *req, struct agent_error **err)
{
        struct op *o;
        int r;

        /* The Rust agent answers once done whatever `wait` says; so do we. */
        if (req->nb_cpus > 4096)
                return agent_error_setf(err, EINVAL, "nb_cpus %u is out of range", req->nb_cpus);
        r = op_park(a, call, "online CPUs and memory", &o, err);
        if (r < 0)
                return r;
        o->nb_cpus = req->nb_cpus;
        o->cpu_only = req->cpu_only;
        r = op_fork(o, online_child, online_done, err);
        if (r < 0) {
                rpc_call_unpark(call);
                op_free(o);
        }
        return r;
}

static int probe_child(struct op *o)
{
        _cleanup_free_ char *path =
                xasprintf("%s/devices/system/memory/probe", devices_sysfs(o->a));
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return errno;
        for (size_t i = 0; i < o->n_addrs; i++) {
                char buf[32];
                int n = snprintf(buf, sizeof(buf), "%#" PRIX64, o->addrs[i]);
                if (pwrite(fd, buf, (size_t) n, 0) < 0)
                        return errno;
        }
        return 0;
}

int hotplug_mem_probe(struct agent *a, struct rpc_call *call,
                      const Grpc__MemHotplugByProbeRequest *req, struct agent_error **err)
{
        struct op *o;
        int r;

        if (req->n_memhotplugprobeaddr > HOTPLUG_MAX_PROBE_ADDRS)
                return agent_error_setf(err, E2BIG, "%zu probe addresses (limit %u)",
                                        req->n_memhotplugprobeaddr, HOTPLUG_MAX_PROBE_ADDRS);
        r = op_park(a, call, "memory probe", &o, err);
        if (r < 0)
                return r;
        o->n_addrs = req->n_memhotplugprobeaddr;
        o->addrs = xzalloc((o->n_addrs + 1) * sizeof(*o->addrs));
        if (o->n_addrs)
                memcpy(o->addrs, req->memhotplugprobeaddr, o->n_addrs * sizeof(*o->addrs));
        o->arg = xasprintf("%s/devices/system/memory/probe", devices_sysfs(a));
        r = op_fork(o, probe_child, NULL, err);
        if (r < 0) {
                rpc_call_unpark(call);
                op_free(o);
        }
        return r;
}

/* ---- swap ---- */

static int swapon_child(struct op *o)
{
        return swapon(o->arg, 0) < 0 ? errno : 0;
}

static int start_swapon(struct op *o, struct agent_error **err)
{
        struct stat st;

        if (stat(o->arg, &st) < 0)
                return agent_error_set(err, errno, "swap `%s`", o->arg);
        if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
                return agent_error_setf(err, EINVAL,
                                        "swap `%s` is neither a block device nor a "
                                        "file",
                                        o->arg);
        return op_fork(o, swapon_child, NULL, err);
}

static void swap_device_found(struct devices_wait *w, const struct uevent *ev, void *userdata)
{
        struct op *o = userdata;
        struct agent_error *err = NULL;

        o->w = NULL;
        if (!ev) {
                agent_error_setf(&err, ETIMEDOUT,
                                 "add swap: timed out after %llu ms waiting for %s",
                                 (unsigned long long) (o->a->config.hotplug_timeout_ns / 1000000),
                                 devices_wait_what(w));
                op_reply(o, err);
                return;
        }
        o->arg = xasprintf("/dev/%s", ev->devname);
        if (!o->call || start_swapon(o, &err) < 0)
                op_reply(o, err);
}

int hotplug_add_swap(struct agent *a, struct rpc_call *call, const Grpc__AddSwapRequest *req,
                     struct agent_error **err)
{
        _cleanup_free_ char *devpath = NULL;
        struct pci_path p;
        struct devmatch m;
        char path[PCI_PATH_STR_MAX + 1], what[PCI_PATH_STR_MAX + 32];
        struct op *o;
        int r;

        if (pci_path_from_slots(req->pcipath, req->n_pcipath, &p) < 0)
                return agent_error_setf(err, EINVAL, "add swap: invalid PCI path (%zu slots)",
                                        req->n_pcipath);
        r = pci_path_resolve(devices_sysfs(a), &p, &devpath, err);
        if (r < 0)
                return agent_error_wrap(err, "add swap");
        pci_path_format(&p, path, sizeof(path));
        snprintf(what, sizeof(what), "PCI path `%s`", path);
        if (devmatch_blk_pci(devpath, what, &m) < 0)
                return agent_error_setf(err, EINVAL, "add swap: invalid PCI path `%s`", path);
        r = op_park(a, call, "add swap", &o, err);
        if (r < 0) {
                devmatch_done(&m);
                return r;
        }
        r = devices_wait(a, &m, true, swap_device_found, o, &o->w);
        if (r < 0) {
                rpc_call_unpark(call);
                op_free(o);
                return agent_error_set(err, -r, "add swap: wait for %s", what);
        }
        return 0;
}

int hotplug_add_swap_path(struct agent *a, struct rpc_call *call,
                          const Grpc__AddSwapPathRequest *req, struct agent_error **err)
{
        struct op *o;
        int r;

        if (!req->path || req->path[0] != '/' || strlen(req->path) > STORAGE_MAX_PATH)
                return agent_error_setf(err, EINVAL, "add swap: `%s` is not an absolute path",
                                        req->path ? req->path : "");
        r = op_park(a, call, "add swap", &o, err);
        if (r < 0)
                return r;
        o->arg = xstrdup(req->path);
        r = start_swapon(o, err);
        if (r < 0) {
                rpc_call_unpark(call);
                op_free(o);
        }
        return r;
}

/* ---- ResizeVolume ---- */

static void resize_done(const struct command_result *res, void *userdata)
{
        struct op *o = userdata;
        struct agent_error *err = NULL;

        o->cmd = NULL;
        if (res->timed_out || res->status != 0) {
                _cleanup_free_ char *why = command_result_text(res);
                agent_error_setf(&err, EIO, "resize volume `%s`: %s", o->arg, why);
        }
        op_reply(o, err);
}

static const char *find_tool(const char *name, char *buf, size_t size)
{
        static const char *const dirs[] = { "/sbin", "/usr/sbin", "/bin", "/usr/bin" };

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                snprintf(buf, size, "%s/%s", dirs[i], name);
                if (access(buf, X_OK) == 0)
                        return buf;
        }
        return NULL;
}

/* The /dev node of the block device holding path, from /sys/dev/block/MAJ:MIN/uevent. */
static int backing_device(struct agent *a, dev_t dev, char **ret)
{
        _cleanup_free_ char *path =
                xasprintf("%s/dev/block/%u:%u/uevent", devices_sysfs(a), major(dev), minor(dev));
        _cleanup_free_ char *text = NULL;
        const char *name;
        size_t n;

        if (read_file(path, 8192, &text, NULL) < 0 || !(name = strstr(text, "DEVNAME=")))
                return -ENODEV;
        name += strlen("DEVNAME=");
        n = strcspn(name, "\n");
        *ret = xasprintf("/dev/%.*s", (int) n, name);
        return devices_dev_path_valid(*ret) ? 0 : -ENODEV;
}

int hotplug_resize_volume(struct agent *a, struct rpc_call *call,
                          const Grpc__ResizeVolumeRequest *req, struct agent_error **err)
{
        _cleanup_free_ char *dev = NULL;
        const char *path = req->volume_guest_path;
        char tool[64];
        struct statfs sf;
        struct stat st;
        struct op *o;
        int r;

        if (storage_path_below(path, a->run_dir) < 0)
                return agent_error_setf(err, EINVAL,
                                        "resize volume: `%s` is not a volume below `%s`",
                                        path ? path : "", a->run_dir);
        if (stat(path, &st) < 0 || statfs(path, &sf) < 0)
                return agent_error_set(err, errno, "resize volume `%s`", path);
        if (backing_device(a, st.st_dev, &dev) < 0)
                return agent_error_setf(err, ENODEV, "resize volume `%s`: not on a block device",
                                        path);
        const char *argv[3];
        if (sf.f_type == EXT4_SUPER_MAGIC) {
                argv[0] = "resize2fs";
                argv[1] = dev;
        } else if (sf.f_type == XFS_SUPER_MAGIC) {
                argv[0] = "xfs_growfs";
                argv[1] = path;
        } else {
                return agent_error_setf(err, EOPNOTSUPP,
                                        "resize volume `%s`: file system type 0x%lx cannot be "
                                        "grown (ext2/3/4 and xfs can)",
                                        path, (unsigned long) sf.f_type);
        }
        argv[2] = NULL;
        if (!find_tool(argv[0], tool, sizeof(tool)))
                return agent_error_setf(err, ENOENT, "resize volume `%s`: the guest has no `%s`",
                                        path, argv[0]);
        r = op_park(a, call, "resize volume", &o, err);
        if (r < 0)
                return r;
        o->arg = xstrdup(path);
        /* The host grew the device already; the file system follows it online. */
        struct command_spec spec = { .path = tool,
                                     .argv = argv,
                                     .out_max = 4096,
                                     .timeout_ns = HOTPLUG_RESIZE_TIMEOUT_MS * 1000000ull };
        r = command_start(a, &spec, resize_done, o, &o->cmd, err);
        if (r < 0) {
                rpc_call_unpark(call);
                op_free(o);
                return agent_error_wrap(err, "resize volume `%s`", path);
        }
        return 0;
}

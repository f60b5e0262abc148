/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driving cata-runtime through its command line ($CATA_RUNTIME_BIN) from cmocka tests: every
 * command's stdout and stderr land in files of their own under tmp (a container started by it
 * keeps writing to them), --root is tmp/root, and the test process is a child subreaper so
 * container inits orphaned by `create` come back to it.
 */
#include "runtime-cli.h"
#include "containers.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char tmp[64];    /* everything of this run: bundles, outputs, --root */
char root[128];  /* --root */
const char *bin; /* $CATA_RUNTIME_BIN */
static int n_cmd;

/* ---- running the CLI ---- */

void result_done(struct result *r)
{
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}

char *slurp(const char *path)
{
        char *text = NULL;

        if (read_file(path, 1 << 20, &text, NULL) < 0)
                return xstrdup("");
        return text;
}

/* Runs `cata-runtime --root ROOT <args>` with stdout and stderr in files of their own (a
 * container started by it keeps writing to them), stdin from /dev/null. */
struct result rt(const char *fmt, ...)
{
        _cleanup_free_ char *args = NULL, *cmd = NULL, *out = NULL, *err = NULL;
        struct result r;
        va_list ap;
        int status;

        va_start(ap, fmt);
        args = xvasprintf(fmt, ap);
        va_end(ap);
        n_cmd++;
        out = xasprintf("%s/cmd%d.out", tmp, n_cmd);
        err = xasprintf("%s/cmd%d.err", tmp, n_cmd);
        cmd = xasprintf("%s --root %s %s >%s 2>%s </dev/null", bin, root, args, out, err);
        status = system(cmd);
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.out = slurp(out);
        r.err = slurp(err);
        return r;
}

/* Asserts success and forgets the output. */
void rt_ok(const char *fmt, ...)
{
        _cleanup_free_ char *args = NULL;
        struct result r;
        va_list ap;

        va_start(ap, fmt);
        args = xvasprintf(fmt, ap);
        va_end(ap);
        r = rt("%s", args);
        if (r.code != 0)
                fail_msg("`cata-runtime %s` exited %d: %s", args, r.code, r.err);
        result_done(&r);
}

/* The output file of the n-th command (a container's stdout when that command created it). */
char *cmd_out(int n)
{
        _cleanup_free_ char *path = xasprintf("%s/cmd%d.out", tmp, n);
        return slurp(path);
}

bool wait_for_text(int n, const char *needle, int ms)
{
        for (int waited = 0; waited <= ms; waited += 20) {
                _cleanup_free_ char *out = cmd_out(n);
                if (strstr(out, needle))
                        return true;
                usleep(20000);
        }
        return false;
}

/* Reaps whatever came back to us (orphaned inits). */
void reap(void)
{
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

/* ---- bundles and state ---- */

char *bundle(const char *name, const char *config)
{
        char *dir = xasprintf("%s/%s", tmp, name);
        _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
        FILE *f;

        assert_int_equal(mkdir(dir, 0755), 0);
        if (config) {
                f = fopen(path, "w");
                assert_non_null(f);
                fputs(config, f);
                fclose(f);
        }
        return dir;
}

char *sh_bundle(const char *id, const char *script, const char *top_extra)
{
        _cleanup_free_ char *args = xasprintf("[\"sh\",\"-c\",\"%s\"]", script);
        _cleanup_free_ char *config = ct_spec(id, args, NULL, NULL, top_extra);
        return bundle(id, config);
}

json_t *state_of(const char *id)
{
        struct result r = rt("state %s", id);
        json_t *o;

        if (r.code != 0)
                fail_msg("state %s: %s", id, r.err);
        o = json_loads(r.out, 0, NULL);
        assert_non_null(o);
        result_done(&r);
        return o;
}

const char *jstr(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "";
}

char *status_of(const char *id)
{
        json_t *o = state_of(id);
        char *s = xstrdup(jstr(o, "status"));

        json_decref(o);
        return s;
}

bool wait_status(const char *id, const char *want, int ms)
{
        for (int waited = 0; waited <= ms; waited += 20) {
                _cleanup_free_ char *s = status_of(id);
                if (streq(s, want))
                        return true;
                usleep(20000);
        }
        return false;
}

bool path_exists(const char *fmt, ...)
{
        _cleanup_free_ char *path = NULL;
        va_list ap;

        va_start(ap, fmt);
        path = xvasprintf(fmt, ap);
        va_end(ap);
        return access(path, F_OK) == 0;
}

/* Nothing of the container is left: state directory, cgroup. */
void assert_gone(const char *id)
{
        struct result r = rt("state %s", id);

        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "does not exist"));
        result_done(&r);
        assert_false(path_exists("%s/%s", root, id));
        assert_false(path_exists("/sys/fs/cgroup/pids/%s/%s", ct_cgroup_parent(), id));
        assert_false(path_exists("/sys/fs/cgroup/memory/%s/%s", ct_cgroup_parent(), id));
}

int read_pid_file(const char *path)
{
        _cleanup_free_ char *text = slurp(path);
        return atoi(text);
}

void expect_create_error(const char *dir, const char *id, const char *needle)
{
        struct result r = rt("create --bundle %s %s", dir, id);

        assert_int_equal(r.code, 1);
        if (!strstr(r.err, needle))
                fail_msg("expected `%s` in `%s`", needle, r.err);
        assert_true(startswith(r.err, "cata-runtime: "));
        result_done(&r);
        assert_gone(id);
}

int rtc_setup(void **state)
{
        (void) state;
        bin = getenv("CATA_RUNTIME_BIN");
        if (!bin)
                bin = "./cata-runtime";
        /* Searchable by a user namespace's root (mkdtemp makes it 0700). */
        assert_int_equal(chmod(ct_rootfs(), 0755), 0);
        snprintf(tmp, sizeof(tmp), "/tmp/cata-rt-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        snprintf(root, sizeof(root), "%s/root", tmp);
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        return 0;
}

int rtc_teardown(void **state)
{
        _cleanup_free_ char *cmd = NULL;

        (void) state;
        reap();
        cmd = xasprintf("rm -rf '%s'", tmp);
        (void) !system(cmd);
        return 0;
}

int rtc_last(void)
{
        return n_cmd;
}

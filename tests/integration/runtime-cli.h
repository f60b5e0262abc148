/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Helpers for the tests that drive cata-runtime's command line (runtime-cli.c): run a
 * command, read its output files, make bundles on the suite's busybox rootfs, read the state.
 */

#include <jansson.h>
#include <stdbool.h>

extern char tmp[64];    /* everything of this run: bundles, outputs, --root */
extern char root[128];  /* --root */
extern const char *bin; /* $CATA_RUNTIME_BIN */

struct result {
        int code;
        char *out;
        char *err;
};

void result_done(struct result *r);
/* A file's text ("" when unreadable). */
char *slurp(const char *path);
/* Runs `cata-runtime --root ROOT <args>` with stdout and stderr in files of their own (a
 * container started by it keeps writing to them), stdin from /dev/null. */
struct result rt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Asserts success and forgets the output. */
void rt_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The output file of the n-th command (a container's stdout when that command created it). */
char *cmd_out(int n);
/* The number of the last command run. */
int rtc_last(void);
bool wait_for_text(int n, const char *needle, int ms);
/* Reaps whatever came back to us (orphaned inits). */
void reap(void);

/* tmp/<name> with config.json (when config is not NULL). malloc'd path. */
char *bundle(const char *name, const char *config);
/* A bundle running `sh -c script` (ct_spec's defaults). */
char *sh_bundle(const char *id, const char *script, const char *top_extra);
json_t *state_of(const char *id);
const char *jstr(json_t *o, const char *key);
char *status_of(const char *id);
bool wait_status(const char *id, const char *want, int ms);
bool path_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Nothing of the container is left: state directory, cgroup. */
void assert_gone(const char *id);
int read_pid_file(const char *path);
/* create fails with exit 1, a message containing needle, and nothing left behind. */
void expect_create_error(const char *dir, const char *id, const char *needle);

/* cmocka group setup/teardown: $CATA_RUNTIME_BIN, tmp, root, child subreaper. */
int rtc_setup(void **state);
int rtc_teardown(void **state);

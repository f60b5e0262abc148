/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corpus replay for fuzz targets built without libFuzzer: runs LLVMFuzzerTestOneInput on every
 * file named on the command line (directories are walked one level deep). A crash or sanitizer
 * report fails the test; the summary line is the plain "N passed, 0 failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        char *buf = NULL;
        size_t len = 0;
        int r = read_file(path, 16u << 20, &buf, &len);

        if (r < 0) {
                fprintf(stderr, "cannot read `%s`\n", path);
                return -1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *) buf, len);
        free(buf);
        return 0;
}

static int run_path(const char *path, unsigned *count)
{
        struct stat st;
        struct dirent *de;
        DIR *d;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "no corpus at `%s`\n", path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return run_file(path);
        }
        d = opendir(path);
        if (!d)
                return -1;
        while ((de = readdir(d))) {
                char *p;
                if (de->d_name[0] == '.')
                        continue;
                p = xasprintf("%s/%s", path, de->d_name);
                if (run_file(p) < 0) {
                        free(p);
                        closedir(d);
                        return -1;
                }
                (*count)++;
                free(p);
        }
        closedir(d);
        return 0;
}

int main(int argc, char **argv)
{
        unsigned count = 0;

        for (int i = 1; i < argc; i++)
                if (run_path(argv[i], &count) < 0)
                        return 1;
        if (count == 0) {
                fprintf(stderr, "empty corpus\n");
                return 1;
        }
        printf("%u passed, 0 failed\n", count);
        return 0;
}

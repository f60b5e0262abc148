/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny static program the stdio tests run inside containers (copied into the busybox rootfs).
 *
 *   burst N...     set stdout O_NONBLOCK (as Node.js does), then for each N write N bytes of the
 *                  pattern in one write loop; EAGAIN is a failure: report and exit 1
 *   gen N          write N bytes of the pattern to stdout (blocking)
 *   inter N        N numbered lines alternately to stdout and stderr
 *   pipesize       print F_GETPIPE_SZ of stdout
 *   winsize        print the terminal size of stdin as the kernel has it ("rows cols"; busybox's
 *                  stty shows 24 80 for anything from 30000 up)
 *
 * The pattern is pattern_byte(i) for the i-th byte of the whole output, so a reader can check
 * order and completeness without keeping the data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static uint8_t pattern_byte(uint64_t i)
{
        return (uint8_t) ((i * 2654435761u) >> 13);
}

static void fill(uint8_t *buf, size_t n, uint64_t off)
{
        for (size_t i = 0; i < n; i++)
                buf[i] = pattern_byte(off + i);
}

static int burst(int argc, char **argv)
{
        static uint8_t buf[1 << 16];
        uint64_t off = 0;
        int fl = fcntl(1, F_GETFL);

        if (fl < 0 || fcntl(1, F_SETFL, fl | O_NONBLOCK) < 0)
                return 2;
        for (int a = 0; a < argc; a++) {
                uint64_t n = strtoull(argv[a], NULL, 10), done = 0;
                while (done < n) {
                        size_t chunk = n - done < sizeof(buf) ? n - done : sizeof(buf);
                        ssize_t w;
                        fill(buf, chunk, off);
                        w = write(1, buf, chunk);
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0) {
                                fprintf(stderr, "burst %d: write failed after %llu bytes: %s\n", a,
                                        (unsigned long long) done, strerror(errno));
                                return 1;
                        }
                        done += (uint64_t) w;
                        off += (uint64_t) w;
                }
                /* A pause between bursts, as a real workload logs in bursts. */
                usleep(100000);
        }
        return 0;
}

static int gen(uint64_t n)
{
        static uint8_t buf[1 << 16];
        uint64_t off = 0;

        while (off < n) {
                size_t chunk = n - off < sizeof(buf) ? n - off : sizeof(buf);
                ssize_t w;
                fill(buf, chunk, off);
                w = write(1, buf, chunk);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return 1;
                off += (uint64_t) w;
        }
        return 0;
}

static int inter(unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                dprintf(i % 2 ? 2 : 1, "line %u\n", i);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "burst") == 0)
                return burst(argc - 2, argv + 2);
        if (argc == 3 && strcmp(argv[1], "gen") == 0)
                return gen(strtoull(argv[2], NULL, 10));
        if (argc == 3 && strcmp(argv[1], "inter") == 0)
                return inter((unsigned) strtoul(argv[2], NULL, 10));
        if (argc == 2 && strcmp(argv[1], "pipesize") == 0) {
                printf("%d\n", fcntl(1, F_GETPIPE_SZ));
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "winsize") == 0) {
                struct winsize ws;
                if (ioctl(0, TIOCGWINSZ, &ws) < 0)
                        return 1;
                printf("%u %u\n", ws.ws_row, ws.ws_col);
                return 0;
        }
        fprintf(stderr, "usage: cata-stdio-helper burst N...|gen N|inter N|pipesize|winsize\n");
        return 2;
}

//! udp-c-burst: Asserts that a C sender on a non-blocking BSD socket (wasi-libc) loses nothing in a burst of N numbered datagrams: on EWOULDBLOCK it waits with poll() for POLLOUT, on ENOBUFS it backs off on the clock alone, and sends the same datagram again.
//! udp-c-burst-drop: Reproduces firezone's original sender in C: a datagram that sendto() does not take at once (EWOULDBLOCK or ENOBUFS) is dropped and counted, yet the program exits 0, leaving the loss for the harness's peer to find.
/*
 * One source, two variants chosen at compile time (guest/c/programs):
 *   -DCORRECT   EWOULDBLOCK: poll() for POLLOUT (common.h's waiter: at most
 *               INSURANCE_MS a wait, the clock alone after a spurious wake-up); ENOBUFS
 *               (or ENOMEM, wasi:sockets' out-of-memory): back off on the clock,
 *               doubling from 1 ms up to 64 ms, since the socket's readiness says
 *               nothing about buffer space coming back (libuv on FreeBSD spun on POLLOUT
 *               there). Then the same datagram again.
 *   -DDROP      either answer: the datagram is gone for good (firezone#9798).
 *
 * Datagram i carries the ASCII decimal text of i, as the Rust udp-burst programs, so
 * the harness's peer (--expect-datagrams N) judges loss and duplicates.
 *
 * usage: PROGRAM ADDR --count N [--timeout-ms MS]
 */

#include "common.h"

#if defined(CORRECT) + defined(DROP) != 1
#error "define exactly one of CORRECT, DROP"
#endif

#if defined(CORRECT)
#define NAME "udp-c-burst"
#else
#define NAME "udp-c-burst-drop"
#endif

#define OPTIONS "--count N"

/* Whether a failed sendto() said "no buffer space": ENOBUFS, or ENOMEM, which is how
 * wasi-libc reports wasi:sockets' out-of-memory (wasmtime's ENOBUFS). */
static int no_buffers(void) {
    return errno == ENOBUFS || errno == ENOMEM;
}

int main(int argc, char **argv) {
    program = NAME;
    struct address to;
    int have_addr = 0, have_count = 0;
    unsigned long long count = 0, timeout = 5000;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            printf("usage: %s ADDR %s [--timeout-ms MS]\n", program, OPTIONS);
            return 0;
        } else if (strcmp(arg, "--count") == 0) {
            count = parse_number(arg, i + 1 < argc ? argv[++i] : NULL, OPTIONS);
            have_count = 1;
        } else if (strcmp(arg, "--timeout-ms") == 0) {
            timeout = parse_number(arg, i + 1 < argc ? argv[++i] : NULL, OPTIONS);
        } else if (arg[0] == '-') {
            usage("unknown option", OPTIONS);
        } else if (have_addr) {
            usage("unexpected extra argument", OPTIONS);
        } else if (parse_address(arg, &to) != 0) {
            usage("invalid ADDR: expected IP:PORT", OPTIONS);
        } else {
            have_addr = 1;
        }
    }
    if (!have_addr) {
        usage("missing ADDR (IP:PORT)", OPTIONS);
    }
    if (!have_count) {
        usage("missing --count", OPTIONS);
    }
    if (timeout == 0 || timeout > 3600000) {
        usage("--timeout-ms must be at least 1", OPTIONS);
    }
    long long timeout_ms = (long long)timeout;
    (void)timeout_ms; /* the drop variant never waits */

    int fd = socket(to.storage.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        fail("socket: %s", strerror(errno));
    }
    set_nonblocking(fd, "socket");

    unsigned long long dropped = 0, would_blocks = 0, no_buffer = 0;
    for (unsigned long long seq = 0; seq < count; seq++) {
        char payload[24];
        int len = snprintf(payload, sizeof payload, "%llu", seq);
#if defined(CORRECT)
        struct waiter waiter;
        waiter_start(&waiter, (int)timeout_ms);
#endif
        for (;;) {
            ssize_t n = sendto(fd, payload, (size_t)len, 0, (struct sockaddr *)&to.storage, to.len);
            if (n >= 0) {
                break;
            }
            if (errno == EINTR) {
                continue;
            }
            int blocked = errno == EWOULDBLOCK || errno == EAGAIN;
            if (!blocked && !no_buffers()) {
                fail("datagram %llu of %llu: sendto: %s", seq, count, strerror(errno));
            }
#if defined(CORRECT)
            int error = errno;
            if (blocked) {
                would_blocks++;
            } else {
                no_buffer++;
            }
            /* ENOBUFS: the clock alone, since readiness says nothing about buffer space. */
            if (!(blocked ? waiter_wait(&waiter, fd, POLLOUT, "sendto") : waiter_back_off(&waiter))) {
                fail("datagram %llu of %llu: not sent in %lld ms: %s", seq, count, timeout_ms,
                     strerror(error));
            }
#else
            /* The bug under test: the datagram is gone for good. */
            dropped++;
            fprintf(stderr, "%s: dropped datagram %llu: %s\n", program, seq, strerror(errno));
            break;
#endif
        }
    }
#if defined(CORRECT)
    printf("%s: sent %llu datagrams to %s with %llu retries (%llu would-block, %llu no-buffers)\n",
           program, count, to.text, would_blocks + no_buffer, would_blocks, no_buffer);
    (void)dropped;
#else
    (void)would_blocks;
    (void)no_buffer;
    printf("%s: sent %llu of %llu datagrams to %s, dropped %llu\n", program, count - dropped, count,
           to.text, dropped);
#endif
    return 0;
}

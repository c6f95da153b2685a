/* What the C programs share: arguments, errors, non-blocking sockets and waits.
 *
 * Built for wasm32-wasip2 with wasi-libc (guest/c/build.sh): BSD sockets over
 * wasi:sockets, poll() over wasi:io/poll, clocks over wasi:clocks (virtual under
 * the harness, so no wait here costs real time). */

#ifndef WOULDBLOCK_C_COMMON_H
#define WOULDBLOCK_C_COMMON_H

/* clock_gettime and nanosleep under -std=c11. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

/* The exit status of a usage error, as the Rust programs (guest/src/program.rs). */
#define EXIT_USAGE 64

/* Set by each program's main: the name in every line it prints. */
static const char *program = "c-program";

/* Prints `error: MESSAGE` to stderr and exits 1, as the Rust programs do. */
__attribute__((noreturn, format(printf, 1, 2))) static inline void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("error: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* Prints `error: MESSAGE`, the usage line, and exits EXIT_USAGE. */
__attribute__((noreturn)) static inline void usage(const char *message, const char *rest) {
    fprintf(stderr, "error: %s\nusage: %s ADDR %s [--timeout-ms MS]\n", message, program, rest);
    exit(EXIT_USAGE);
}

/* An address given as IP:PORT or [IPv6]:PORT. */
struct address {
    struct sockaddr_storage storage;
    socklen_t len;
    char text[64];
};

/* Parses `text` into `addr`; 0 on success. */
static inline int parse_address(const char *text, struct address *addr) {
    char host[48];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof host || strlen(text) >= sizeof addr->text) {
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
        return -1;
    }
    memset(addr, 0, sizeof *addr);
    strcpy(addr->text, text);
    size_t hlen = strlen(host);
    if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']') {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr->storage;
        host[hlen - 1] = '\0';
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        addr->len = sizeof *v6;
        return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr->storage;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    addr->len = sizeof *v4;
    return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? 0 : -1;
}

/* The text of a socket address, IP:PORT. */
static inline void format_address(const struct sockaddr_storage *storage, char *out, size_t size) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (storage->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)storage;
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
        snprintf(out, size, "[%s]:%u", ip, ntohs(v6->sin6_port));
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)storage;
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
        snprintf(out, size, "%s:%u", ip, ntohs(v4->sin_port));
    }
}

/* A non-negative decimal option value. */
static inline unsigned long long parse_number(const char *name, const char *value, const char *rest) {
    char *end;
    errno = 0;
    unsigned long long number = value == NULL ? 0 : strtoull(value, &end, 10);
    if (value == NULL || value[0] == '\0' || value[0] == '-' || *end != '\0' || errno != 0) {
        char message[96];
        snprintf(message, sizeof message, "%s needs a non-negative integer", name);
        usage(message, rest);
    }
    return number;
}

/* Makes `fd` non-blocking.
 *
 * The porting trap: wasi-libc's `fcntl(fd, F_SETFL, O_NONBLOCK)` answers EINVAL on a
 * socket, so a C program ported as it is fails at that line. `ioctl(fd, FIONBIO, &1)`
 * works, and so do `SOCK_NONBLOCK` in socket() and accept4(). */
static inline void set_nonblocking(int fd, const char *what) {
    int on = 1;
    if (ioctl(fd, FIONBIO, &on) != 0) {
        fail("%s: ioctl(FIONBIO): %s", what, strerror(errno));
    }
}

/* The monotonic clock in milliseconds. */
static inline long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to `timeout_ms` for `events` on `fd`: 1 when it is ready (or in error:
 * the next call says which), 0 at the timeout. */
static inline int wait_for(int fd, short events, int timeout_ms, const char *what) {
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events, .revents = 0};
        int ready = poll(&pfd, 1, timeout_ms);
        if (ready >= 0) {
            return ready > 0;
        }
        if (errno != EINTR) {
            fail("%s: poll: %s", what, strerror(errno));
        }
    }
}

/* Sleeps `ms` on the clock alone (a back-off: no socket can wake it). */
static inline void back_off(int ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* How long one poll() waits before the call is tried again anyway: the insurance
 * against a missed wake-up, which then costs this long instead of the whole timeout. */
#define INSURANCE_MS 50
/* The longest back-off on the clock. */
#define MAX_BACK_OFF_MS 64

/* Waiting on one socket without trusting any single answer of poll(): a wait lasts at
 * most INSURANCE_MS, and after a wake-up that the next call proved spurious (poll()
 * said ready, the call said EWOULDBLOCK) the program backs off on the clock alone,
 * doubling from 1 ms, so a socket that always polls ready cannot make it spin. Only
 * no progress for `timeout_ms` is a failure. */
struct waiter {
    int timeout_ms;
    long long since_ms; /* the last progress */
    int woke;           /* the last poll() said ready */
    int back_off_ms;    /* the next back-off */
};

/* Data moved: the timeout starts again, and so does the back-off. */
static inline void waiter_progressed(struct waiter *w) {
    w->since_ms = now_ms();
    w->woke = 0;
    w->back_off_ms = 1;
}

static inline void waiter_start(struct waiter *w, int timeout_ms) {
    w->timeout_ms = timeout_ms;
    waiter_progressed(w);
}

/* Backs off on the clock alone; 0 (nothing waited) once the timeout has passed. */
static inline int waiter_back_off(struct waiter *w) {
    if (now_ms() - w->since_ms >= w->timeout_ms) {
        return 0;
    }
    w->woke = 0;
    back_off(w->back_off_ms);
    w->back_off_ms = w->back_off_ms * 2 > MAX_BACK_OFF_MS ? MAX_BACK_OFF_MS : w->back_off_ms * 2;
    return 1;
}

/* After a call on `fd` answered EWOULDBLOCK: waits for `events` before the next try;
 * 0 (nothing waited) once the timeout has passed without progress. */
static inline int waiter_wait(struct waiter *w, int fd, short events, const char *what) {
    if (w->woke) {
        return waiter_back_off(w);
    }
    if (now_ms() - w->since_ms >= w->timeout_ms) {
        return 0;
    }
    w->woke = wait_for(fd, events, INSURANCE_MS, what);
    return 1;
}

#endif

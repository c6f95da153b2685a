//! tcp-c-server: Asserts that a C echo server on non-blocking BSD sockets (wasi-libc) reads each request until recv() answers 0, waiting with poll() for POLLIN whenever it answers EWOULDBLOCK, so a request that arrives in pieces is echoed whole.
//! tcp-c-server-naive: Reproduces the seed's C echo server as its author wrote it: once poll() says a connection is readable it reads until recv() answers EWOULDBLOCK, takes that for the end of the request, echoes what it has and closes.
//! tcp-c-server-patience: Reproduces the seed author's fix, a patience counter: PATIENCE EWOULDBLOCKs in a row from recv(), retried at once, are taken for the end of the request, which is still a guess about timing that a slow peer breaks.
/*
 * One source, three variants chosen at compile time (guest/c/programs):
 *   -DCORRECT      recv() == 0 (the peer closed) is the only end; EWOULDBLOCK means
 *                  "nothing yet": wait with poll(POLLIN) and read again (common.h's
 *                  waiter, as every wait here: at most INSURANCE_MS a wait, the clock
 *                  alone after a spurious wake-up).
 *   -DNAIVE        EWOULDBLOCK is the end (the seed: it only worked under Valgrind, whose
 *                  slowness let the whole request arrive before the first recv()).
 *   -DPATIENCE=N   N EWOULDBLOCKs in a row are the end, retried without waiting.
 *
 * The seed's architecture: accept a connection, read the whole request, echo it
 * byte for byte, close; N connections one after another. The harness's client
 * (--tcp-client) sends framed messages and closes its side, then checks every
 * echoed byte, so an echo of all the bytes read up to the end of stream is right.
 *
 * usage: PROGRAM ADDR [--connections N] [--timeout-ms MS]
 */

#include "common.h"

#include <unistd.h>

#if defined(CORRECT) + defined(NAIVE) + defined(PATIENCE) != 1
#error "define exactly one of CORRECT, NAIVE, PATIENCE=N"
#endif

#if defined(CORRECT)
#define NAME "tcp-c-server"
#elif defined(NAIVE)
#define NAME "tcp-c-server-naive"
#else
#define NAME "tcp-c-server-patience"
#endif

#define OPTIONS "[--connections N]"

/* Bytes asked of one recv(). */
#define CHUNK 65536

/* A growing byte buffer: the request as read so far. */
struct buffer {
    unsigned char *data;
    size_t len;
    size_t cap;
};

static void append(struct buffer *buf, const unsigned char *bytes, size_t len) {
    if (buf->len + len > buf->cap) {
        size_t cap = buf->cap ? buf->cap : CHUNK;
        while (cap < buf->len + len) {
            cap *= 2;
        }
        unsigned char *data = realloc(buf->data, cap);
        if (data == NULL) {
            fail("out of memory for a %zu-byte request", buf->len + len);
        }
        buf->data = data;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
}

/* Whether a failed call said "nothing yet". */
static int would_block(void) {
    return errno == EWOULDBLOCK || errno == EAGAIN;
}

/* Reads the request into `request`: what "the whole request" means is the variant. */
static void read_request(int fd, struct buffer *request, int timeout_ms, unsigned long long number) {
    static unsigned char chunk[CHUNK];
    struct waiter waiter;
    waiter_start(&waiter, timeout_ms);
#if !defined(CORRECT)
    /* The seed's event loop: once poll() says the connection is readable, the request
     * is read until it seems to be all there. */
    while (!wait_for(fd, POLLIN, INSURANCE_MS, "recv")) {
        if (now_ms() - waiter.since_ms >= timeout_ms) {
            fail("connection %llu: no request in %d ms", number, timeout_ms);
        }
    }
#endif
#if defined(PATIENCE)
    int misses = 0;
#endif
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n > 0) {
            append(request, chunk, (size_t)n);
            waiter_progressed(&waiter);
#if defined(PATIENCE)
            misses = 0;
#endif
            continue;
        }
        if (n == 0) {
            return; /* the peer closed its side: the end of the request */
        }
        if (errno == EINTR) {
            continue;
        }
        if (!would_block()) {
            fail("connection %llu: recv: %s", number, strerror(errno));
        }
#if defined(NAIVE)
        return; /* The bug under test: "nothing yet" taken for the end. */
#elif defined(PATIENCE)
        /* The bug under test, postponed: a few tries in a row, then the end. */
        if (++misses >= PATIENCE) {
            return;
        }
#else
        /* Nothing yet: wait for more (or the end), then read again. */
        if (!waiter_wait(&waiter, fd, POLLIN, "recv")) {
            fail("connection %llu: no progress for %d ms after %zu bytes", number, timeout_ms,
                 request->len);
        }
#endif
    }
}

/* Writes all of `buf`, waiting whenever send() takes nothing. */
static void echo(int fd, const struct buffer *buf, int timeout_ms, unsigned long long number) {
    struct waiter waiter;
    waiter_start(&waiter, timeout_ms);
    size_t sent = 0;
    while (sent < buf->len) {
        ssize_t n = send(fd, buf->data + sent, buf->len - sent, 0);
        if (n > 0) {
            sent += (size_t)n;
            waiter_progressed(&waiter);
        } else if (n == 0 || would_block()) {
            if (!waiter_wait(&waiter, fd, POLLOUT, "send")) {
                fail("connection %llu: no progress for %d ms after echoing %zu bytes", number,
                     timeout_ms, sent);
            }
        } else if (errno != EINTR) {
            fail("connection %llu: send: %s", number, strerror(errno));
        }
    }
}

int main(int argc, char **argv) {
    program = NAME;
    struct address addr;
    int have_addr = 0;
    unsigned long long connections = 1, timeout = 10000;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            printf("usage: %s ADDR %s [--timeout-ms MS]\n", program, OPTIONS);
            return 0;
        } else if (strcmp(arg, "--connections") == 0) {
            connections = parse_number(arg, i + 1 < argc ? argv[++i] : NULL, OPTIONS);
        } else if (strcmp(arg, "--timeout-ms") == 0) {
            timeout = parse_number(arg, i + 1 < argc ? argv[++i] : NULL, OPTIONS);
        } else if (arg[0] == '-') {
            usage("unknown option", OPTIONS);
        } else if (have_addr) {
            usage("unexpected extra argument", OPTIONS);
        } else if (parse_address(arg, &addr) != 0) {
            usage("invalid ADDR: expected IP:PORT", OPTIONS);
        } else {
            have_addr = 1;
        }
    }
    if (!have_addr) {
        usage("missing ADDR (IP:PORT)", OPTIONS);
    }
    if (connections == 0 || timeout == 0 || timeout > 3600000) {
        usage("--connections and --timeout-ms must be at least 1", OPTIONS);
    }
    int timeout_ms = (int)timeout;

    int listener = socket(addr.storage.ss_family, SOCK_STREAM, 0);
    if (listener < 0) {
        fail("socket: %s", strerror(errno));
    }
    set_nonblocking(listener, "listener");
    if (bind(listener, (struct sockaddr *)&addr.storage, addr.len) != 0 || listen(listener, 16) != 0) {
        fail("listen on %s: %s", addr.text, strerror(errno));
    }
    struct sockaddr_storage local;
    socklen_t local_len = sizeof local;
    char text[64];
    if (getsockname(listener, (struct sockaddr *)&local, &local_len) != 0) {
        fail("local address: %s", strerror(errno));
    }
    format_address(&local, text, sizeof text);
    printf("%s: listening on %s\n", program, text);
    fflush(stdout);

    unsigned long long bytes = 0;
    for (unsigned long long number = 1; number <= connections; number++) {
        struct waiter waiter;
        waiter_start(&waiter, timeout_ms);
        int fd;
        while ((fd = accept(listener, NULL, NULL)) < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (!would_block()) {
                fail("accept: %s", strerror(errno));
            }
            if (!waiter_wait(&waiter, listener, POLLIN, "accept")) {
                fail("no connection in %d ms: %llu of %llu accepted", timeout_ms, number - 1,
                     connections);
            }
        }
        /* An accepted socket does not inherit non-blocking mode (as on Linux). */
        set_nonblocking(fd, "connection");
        struct buffer request = {0};
        read_request(fd, &request, timeout_ms, number);
        echo(fd, &request, timeout_ms, number);
        bytes += request.len;
        free(request.data);
        close(fd);
    }
    close(listener);
    printf("%s: echoed %llu bytes on %llu connection(s)\n", program, bytes, connections);
    return 0;
}

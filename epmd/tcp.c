/*
 * tcp.c -- connect, send and receive over TCP, each bounded by a timeout.
 *
 * A plain connect() can hang for minutes when a host does not answer, and
 * a plain read() for ever when a peer accepts but never replies. Every
 * call here therefore works on a non-blocking socket and waits with
 * poll(), which takes a timeout:
 *
 *   connect:  socket() made non-blocking; connect() returns EINPROGRESS;
 *             poll() for POLLOUT (writable = the handshake finished, one
 *             way or the other); getsockopt(SO_ERROR) says which way.
 *   send:     send() what the kernel takes; on EAGAIN poll() for POLLOUT.
 *   receive:  poll() for POLLIN, then recv() what has arrived.
 *
 * Names are resolved with getaddrinfo(), which handles host names, IPv4
 * and IPv6 literals alike, and may give several addresses ("localhost" is
 * often ::1 and 127.0.0.1): each is tried in turn, so a server listening
 * on only one of them is still reached. getaddrinfo() itself cannot be
 * given a timeout; a slow resolver is the one wait not bounded here.
 *
 * This file knows nothing of EPMD; dist/ connects to nodes with it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "epmd/epmd.h"
#include "epmd/internal.h"

int64_t epmd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The deadline for a timeout (<= 0: none, shown as -1), and the time
 * left until it as poll() wants it (-1: wait for ever; 0: it has
 * passed). */
static int64_t deadline_in(int timeout_ms)
{
    return timeout_ms > 0 ? epmd_now_ms() + timeout_ms : -1;
}

static int time_left(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - epmd_now_ms();
    return left <= 0 ? 0 : (int)left;
}

/* Waits until fd is ready for `events` or the deadline passes. Returns 1
 * when ready (or in error: the next call will say which), 0 on timeout,
 * -1 on a poll() error with errno set. */
static int wait_for(int fd, short events, int64_t deadline)
{
    for (;;) {
        int left = time_left(deadline);
        if (left == 0)
            return 0;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, left);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* The text of an address, for messages. */
static void addr_text(const struct addrinfo *ai, char *out, size_t cap)
{
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)cap, NULL,
                    0, NI_NUMERICHOST) != 0)
        snprintf(out, cap, "?");
}

/* Appends ", TEXT" (or "TEXT" to an empty list) if there is room. */
static void list_add(char *list, size_t cap, const char *text)
{
    size_t n = strlen(list);
    snprintf(list + n, cap - n, "%s%s", n > 0 ? ", " : "", text);
}

/* One attempt: connect to one address within `wait_ms` (-1: no limit).
 * Returns the connected socket, or -1 with *e set to the errno that
 * explains the failure (ETIMEDOUT for our own timeout). */
static int connect_one(const struct addrinfo *ai, int wait_ms, int *e)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        *e = errno;
        return -1;
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        *e = errno;
        close(fd);
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            *e = errno;
            close(fd);
            return -1;
        }
        int64_t deadline = wait_ms < 0 ? -1 : epmd_now_ms() + wait_ms;
        int r = wait_for(fd, POLLOUT, deadline);
        if (r <= 0) {
            *e = r == 0 ? ETIMEDOUT : errno;
            close(fd);
            return -1;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr != 0) {
            *e = soerr;
            close(fd);
            return -1;
        }
    }
    /* Small messages should leave at once, not wait for Nagle. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int epmd_tcp_connect(const char *host, uint16_t port, int timeout_ms,
                     int *fd, epmd_error *err)
{
    char name[256], service[8];
    if (host == NULL || host[0] == 0)
        host = "localhost";
    /* [::1] is how people write an IPv6 address next to a port;
     * getaddrinfo wants it bare. */
    size_t hl = strlen(host);
    if (hl >= sizeof name)
        return epmd_fail(err, EPMD_ERR_RESOLVE,
                         "host name '%.40s...' is too long", host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memcpy(name, host + 1, hl - 2);
        name[hl - 2] = 0;
    } else {
        memcpy(name, host, hl + 1);
    }
    snprintf(service, sizeof service, "%u", (unsigned)port);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int gr = getaddrinfo(name, service, &hints, &res);
    if (gr != 0) {
        if (gr == EAI_MEMORY)
            return epmd_fail(err, EPMD_ERR_NOMEM, "out of memory");
        const char *why = gr == EAI_SYSTEM ? strerror(errno)
                                           : gai_strerror(gr);
        return epmd_fail(err, EPMD_ERR_RESOLVE,
                         "cannot resolve host '%s': %s", name, why);
    }

    size_t n = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
        n++;
    int64_t deadline = deadline_in(timeout_ms);
    char refused[160] = "", timed_out[160] = "", other[160] = "";
    int other_errno = 0, s = -1;
    size_t i = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next, i++) {
        /* Share the time left among the addresses still to try. */
        int wait_ms = -1;
        if (deadline >= 0) {
            int left = time_left(deadline);
            if (left == 0) {
                char a[64];
                addr_text(ai, a, sizeof a);
                list_add(timed_out, sizeof timed_out, a);
                continue;
            }
            wait_ms = left / (int)(n - i);
            if (wait_ms == 0)
                wait_ms = left;
        }
        int e = 0;
        s = connect_one(ai, wait_ms, &e);
        if (s >= 0)
            break;
        char a[64];
        addr_text(ai, a, sizeof a);
        if (e == ECONNREFUSED) {
            list_add(refused, sizeof refused, a);
        } else if (e == ETIMEDOUT) {
            list_add(timed_out, sizeof timed_out, a);
        } else {
            list_add(other, sizeof other, a);
            other_errno = e;
        }
    }
    freeaddrinfo(res);
    if (s >= 0) {
        *fd = s;
        return 0;
    }
    /* Which failure to report: a refusal is the clearest answer (nothing
     * listens there); then a timeout; then whatever else happened. An
     * address that merely does not work here (::1 with IPv6 off) should
     * not hide a refusal from the address that does. */
    if (refused[0] != 0)
        return epmd_fail(err, EPMD_ERR_REFUSED, "connection refused by %s",
                         refused);
    if (timed_out[0] != 0)
        return epmd_fail(err, EPMD_ERR_TIMEOUT,
                         "no answer from %s within %d ms", timed_out,
                         timeout_ms);
    return epmd_fail(err, EPMD_ERR_CONNECT, "cannot connect to %s: %s",
                     other[0] != 0 ? other : name,
                     strerror(other_errno != 0 ? other_errno : EIO));
}

/* The error for a failed send() or recv(). */
static int io_error(int e, const char *what, epmd_error *err)
{
    if (e == ECONNRESET || e == EPIPE)
        return epmd_fail(err, EPMD_ERR_RESET,
                         "the connection was reset while %s", what);
    return epmd_fail(err, EPMD_ERR_IO, "%s failed: %s", what, strerror(e));
}

int epmd_tcp_send(int fd, const uint8_t *buf, size_t len, int timeout_ms,
                  epmd_error *err)
{
    int64_t deadline = deadline_in(timeout_ms);
    size_t done = 0;
    while (done < len) {
        /* MSG_NOSIGNAL: a peer that closed gives EPIPE here rather than a
         * SIGPIPE that would kill the whole program. */
        ssize_t w = send(fd, buf + done, len - done, MSG_NOSIGNAL);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_for(fd, POLLOUT, deadline);
            if (r == 0)
                return epmd_fail(err, EPMD_ERR_TIMEOUT,
                                 "could not send within %d ms", timeout_ms);
            if (r < 0)
                return io_error(errno, "waiting to send", err);
            continue;
        }
        return io_error(w < 0 ? errno : EIO, "sending", err);
    }
    return 0;
}

int epmd_tcp_recv(int fd, uint8_t *buf, size_t cap, int timeout_ms,
                  size_t *got, epmd_error *err)
{
    int64_t deadline = deadline_in(timeout_ms);
    for (;;) {
        /* Wait first: then even a blocking socket cannot hang recv(). */
        int w = wait_for(fd, POLLIN, deadline);
        if (w == 0)
            return epmd_fail(err, EPMD_ERR_TIMEOUT,
                             "no reply within %d ms", timeout_ms);
        if (w < 0)
            return io_error(errno, "waiting for a reply", err);
        ssize_t r = recv(fd, buf, cap, 0);
        if (r >= 0) {
            *got = (size_t)r;
            return 0;
        }
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return io_error(errno, "receiving", err);
    }
}

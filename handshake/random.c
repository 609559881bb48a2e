/*
 * random.c -- random bytes from the kernel, for the handshake's
 * challenges and a node's creation; and wiping secrets from memory.
 *
 * getrandom(2) (Linux 3.17, glibc 2.25, musl 1.1.20) needs no file and
 * works in an empty chroot or a scratch image; /dev/urandom is the
 * fallback for older kernels.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "handshake/hs.h"

int hs_random_bytes(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        p += r;
        n -= (size_t)r;
    }
    if (n == 0)
        return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        p += r;
        n -= (size_t)r;
    }
    close(fd);
    return n == 0 ? 0 : -1;
}

void hs_wipe(void *p, size_t n)
{
    /* explicit_bzero (glibc 2.25, musl 1.1.20): a memset the compiler
     * may not leave out, as it could a memset of memory about to be
     * freed. */
    explicit_bzero(p, n);
}

/*
 * cookie.c -- where the cookie comes from, read the way erl reads it.
 *
 * A node only lets in a peer that proves it knows the node's cookie (see
 * digest.c). erl takes it from -setcookie, else from ~/.erlang.cookie, else
 * from $XDG_CONFIG_HOME/erlang/.erlang.cookie, and creates the first file
 * with a random cookie when neither exists (OTP's auth:read_cookie/0). An
 * Elixir release passes -setcookie "$RELEASE_COOKIE", taken from the
 * environment or from the release's releases/COOKIE file.
 *
 * edist looks in the same places, after what the user gives explicitly,
 * in the order hs.h lists, and applies erl's rules to the files: the file
 * must be a regular file that only its owner may read (auth:
 * check_attributes/4), and its text is parsed by auth:check_cookie/2 (see
 * hs_cookie_parse). What edist does not copy is the creation of a random
 * cookie: it could never match a running node's, so a missing cookie is
 * an error that says where edist looked and how to give one.
 *
 * The functions take the environment's values as parameters, so the unit
 * tests can try every case; the cookie itself never goes into a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "handshake/hs.h"

/* The largest cookie file read: far more than a 255-character cookie and
 * any trailing blank lines. */
#define COOKIE_FILE_MAX 65536

static int cookie_error(hs_error *err, hs_errcode code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int cookie_error(hs_error *err, hs_errcode code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        memset(err, 0, sizeof *err);
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void set_source(hs_cookie *out, const char *source)
{
    snprintf(out->source, sizeof out->source, "%s", source);
}

int hs_cookie_parse(const uint8_t *data, size_t len, const char *source,
                    hs_cookie *out, hs_error *err)
{
    size_t n = 0;
    /* Printable ASCII, space included, up to the first other byte. */
    while (n < len && data[n] >= ' ' && data[n] <= '~')
        n++;
    /* From there on only line ends and spaces, which are dropped. */
    for (size_t i = n; i < len; i++) {
        if (data[i] != '\n' && data[i] != '\r' && data[i] != ' ')
            return cookie_error(err, HS_ERR_USAGE, "the cookie in %s has a "
                                "character erl does not accept (byte %zu): only "
                                "printable ASCII, then line ends (\"Bad characters "
                                "in cookie\")", source, i + 1);
    }
    if (n == 0)
        return cookie_error(err, HS_ERR_USAGE, "the cookie in %s is empty (\"Too "
                            "short cookie string\")", source);
    if (n > HS_MAX_COOKIE)
        return cookie_error(err, HS_ERR_USAGE, "the cookie in %s has %zu "
                            "characters; a cookie is an atom, at most 255",
                            source, n);
    memcpy(out->value, data, n);
    out->value[n] = 0;
    out->len = n;
    set_source(out, source);
    return 0;
}

/* Reads `path`: 0 on success, 1 if it does not exist, -1 on an error. */
static int read_cookie_file(const char *path, int check_mode, hs_cookie *out,
                            hs_error *err)
{
    /* O_NONBLOCK: opening a FIFO must not hang before fstat says what it is. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        return cookie_error(err, HS_ERR_USAGE, "cannot read the cookie file %s: "
                            "%s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return cookie_error(err, HS_ERR_USAGE, "cannot read the cookie file %s: "
                            "%s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cookie_error(err, HS_ERR_USAGE, "the cookie file %s is not a "
                            "regular file", path);
    }
    if (check_mode && (st.st_mode & 077) != 0) {
        close(fd);
        return cookie_error(err, HS_ERR_USAGE, "the cookie file %s may be read "
                            "by others (mode %03o); erl refuses such a file "
                            "(\"must be accessible by owner only\"): chmod 400 %s",
                            path, (unsigned)(st.st_mode & 0777), path);
    }
    static const size_t cap = COOKIE_FILE_MAX;
    uint8_t buf[COOKIE_FILE_MAX];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            hs_wipe(buf, len);
            return cookie_error(err, HS_ERR_USAGE, "cannot read the cookie file "
                                "%s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap) {
            close(fd);
            hs_wipe(buf, len);
            return cookie_error(err, HS_ERR_USAGE, "the cookie file %s is larger "
                                "than %zu bytes: not a cookie", path, cap);
        }
    }
    close(fd);
    int rc = hs_cookie_parse(buf, len, path, out, err);
    hs_wipe(buf, len);
    return rc;
}

int hs_cookie_read_file(const char *path, int check_mode, hs_cookie *out,
                        hs_error *err)
{
    int rc = read_cookie_file(path, check_mode, out, err);
    if (rc == 1)
        return cookie_error(err, HS_ERR_USAGE, "the cookie file %s does not "
                            "exist", path);
    return rc;
}

/* A cookie given as a string (--cookie, RELEASE_COOKIE): taken as it is,
 * like -setcookie. */
static int literal(const char *value, const char *source, hs_cookie *out,
                   hs_error *err)
{
    size_t n = strlen(value);
    if (n == 0)
        return cookie_error(err, HS_ERR_USAGE, "the cookie given by %s is empty",
                            source);
    if (n > HS_MAX_COOKIE)
        return cookie_error(err, HS_ERR_USAGE, "the cookie given by %s has %zu "
                            "bytes; a cookie is an atom, at most 255 characters",
                            source, n);
    memcpy(out->value, value, n + 1);
    out->len = n;
    set_source(out, source);
    return 0;
}

int hs_cookie_find(const hs_cookie_env *env, hs_cookie *out, hs_error *err)
{
    memset(out, 0, sizeof *out);
    if (env->cookie != NULL)
        return literal(env->cookie, "--cookie", out, err);
    if (env->cookie_file != NULL)
        return hs_cookie_read_file(env->cookie_file, 0, out, err);
    if (env->release_cookie != NULL && env->release_cookie[0] != 0)
        return literal(env->release_cookie, "RELEASE_COOKIE", out, err);

    char home_path[4096], xdg_path[4096];
    int have_home = env->home != NULL && env->home[0] != 0;
    home_path[0] = xdg_path[0] = 0;
    if (have_home) {
        snprintf(home_path, sizeof home_path, "%s/.erlang.cookie", env->home);
        int rc = read_cookie_file(home_path, 1, out, err);
        if (rc != 1)
            return rc;
    }
    if (env->xdg_config_home != NULL && env->xdg_config_home[0] != 0)
        snprintf(xdg_path, sizeof xdg_path, "%s/erlang/.erlang.cookie",
                 env->xdg_config_home);
    else if (have_home)
        snprintf(xdg_path, sizeof xdg_path, "%s/.config/erlang/.erlang.cookie",
                 env->home);
    if (xdg_path[0] != 0) {
        int rc = read_cookie_file(xdg_path, 1, out, err);
        if (rc != 1)
            return rc;
    }
    char looked[8400];
    if (home_path[0] != 0 && xdg_path[0] != 0)
        snprintf(looked, sizeof looked, " %s or %s", home_path, xdg_path);
    else if (xdg_path[0] != 0)
        snprintf(looked, sizeof looked, " and %s ($HOME is not set)", xdg_path);
    else
        snprintf(looked, sizeof looked, " ($HOME is not set, so no cookie file)");
    return cookie_error(err, HS_ERR_USAGE, "no cookie: none given with --cookie "
                        "or --cookie-file, RELEASE_COOKIE is not set, and no file "
                        "at%s. Pass the node's cookie with --cookie COOKIE or "
                        "--cookie-file FILE (a node keeps it in ~/.erlang.cookie; "
                        "an Elixir release in releases/COOKIE)", looked);
}

void hs_cookie_clear(hs_cookie *c)
{
    hs_wipe(c, sizeof *c);
}

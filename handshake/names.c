/*
 * names.c -- node names: "alive@host", short or long, and the name edist
 * gives itself.
 *
 * A node name is an atom "alive@host". The host part decides the kind:
 * without a dot it is a short name (erl -sname), with a dot or as an IP
 * address a long one (erl -name). A node speaks to nodes of its own kind
 * only (inet_tcp_dist:splitnode/3 refuses the other kind), so edist picks
 * the kind of its own name from the node it talks to, unless the user
 * forces one.
 *
 * The rules for the parts are OTP's (net_kernel:create_name/3): the alive
 * part is letters, digits, '_' and '-'; the host has no space, '@' or
 * control character. And the whole name is an atom: at most 255 bytes.
 *
 * edist is a hidden node that comes and goes, so by default it needs a
 * name no other node has: either one the peer makes up for it (dynamic
 * names, DFLAG_NAME_ME, OTP 23 and later; see hs_config.dynamic_name), or
 * "edist_<pid>_<random>" (hs_name_unique).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "handshake/hs.h"

static int name_error(hs_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int name_error(hs_error *err, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        memset(err, 0, sizeof *err);
        err->code = HS_ERR_USAGE;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int is_address(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 ||
           inet_pton(AF_INET6, host, buf) == 1;
}

int hs_host_is_long(const char *host)
{
    return strchr(host, '.') != NULL || is_address(host);
}

static int valid_alive(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
              (c >= 'a' && c <= 'z') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int valid_host(const char *p)
{
    if (*p == 0)
        return 0;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == 0x7f || c == '@')
            return 0;
    }
    return 1;
}

int hs_name_parse(const char *text, const char *this_host, hs_name_mode mode,
                  hs_node_name *out, hs_error *err)
{
    memset(out, 0, sizeof *out);
    if (text == NULL || text[0] == 0)
        return name_error(err, "no node name given (NAME or NAME@HOST)");
    const char *at = strchr(text, '@');
    if (at != NULL && strchr(at + 1, '@') != NULL)
        return name_error(err, "'%s' has more than one '@' (a node name is "
                          "NAME@HOST)", text);
    size_t alen = at != NULL ? (size_t)(at - text) : strlen(text);
    if (!valid_alive(text, alen))
        return name_error(err, "'%s': the part before the '@' must be letters, "
                          "digits, '_' and '-', and not empty (OTP's rule)", text);

    char host[HS_MAX_NAME + 1];
    if (at != NULL) {
        if (strlen(at + 1) > HS_MAX_NAME)
            return name_error(err, "'%s' is longer than 255 bytes, the most a "
                              "node name (an atom) holds", text);
        snprintf(host, sizeof host, "%s", at + 1);
        if (!valid_host(host))
            return name_error(err, "'%s': the host after the '@' must not be "
                              "empty or hold spaces or control characters", text);
    } else {
        /* "alive" alone: a node on this host. */
        if (this_host == NULL || this_host[0] == 0)
            return name_error(err, "'%s' has no host and this host's name is "
                              "unknown: give NAME@HOST", text);
        if (strlen(this_host) > HS_MAX_NAME || !valid_host(this_host))
            return name_error(err, "this host's name cannot be used in a node "
                              "name: give %s@HOST", text);
        snprintf(host, sizeof host, "%s", this_host);
        if (mode == HS_NAMES_LONG) {
            if (!hs_host_is_long(host))
                return name_error(err, "this host's name '%s' is not fully "
                                  "qualified, so it cannot make a long name: "
                                  "give %s@HOST with HOST fully qualified or an "
                                  "IP address", host, text);
        } else {
            char *dot = strchr(host, '.');
            if (dot != NULL && !is_address(host))
                *dot = 0; /* short names use the host up to its first dot */
        }
    }

    int longnames = hs_host_is_long(host);
    if (mode == HS_NAMES_SHORT && longnames)
        return name_error(err, "'%.*s@%s' is a long name (its host has a dot "
                          "or is an address), but short names were asked for",
                          (int)alen, text, host);
    if (mode == HS_NAMES_LONG && !longnames)
        return name_error(err, "'%.*s@%s' is a short name (its host has no "
                          "dot), but long names were asked for",
                          (int)alen, text, host);
    if (alen + 1 + strlen(host) > HS_MAX_NAME)
        return name_error(err, "'%.*s@%s' is longer than 255 bytes, the most a "
                          "node name (an atom) holds", (int)alen, text, host);
    memcpy(out->alive, text, alen);
    out->alive[alen] = 0;
    snprintf(out->host, sizeof out->host, "%s", host);
    memcpy(out->full, text, alen);
    out->full[alen] = '@';
    memcpy(out->full + alen + 1, host, strlen(host) + 1);
    out->longnames = longnames;
    return 0;
}

static int is_loopback(const char *host)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char one[16] = {[15] = 1};
        return memcmp(a, one, 16) == 0;
    }
    return 0;
}

int hs_name_local_host(const hs_node_name *target, const char *this_host,
                       char *out, size_t size, hs_error *err)
{
    const char *h = this_host != NULL ? this_host : "";
    char host[HS_MAX_NAME + 1];
    if (strlen(h) > HS_MAX_NAME || (h[0] != 0 && !valid_host(h)))
        h = "";
    snprintf(host, sizeof host, "%s", h);
    if (!target->longnames) {
        if (host[0] == 0)
            return name_error(err, "this host's name is unknown, so edist cannot "
                              "make a short node name for itself: pass "
                              "--name NAME@HOST");
        char *dot = strchr(host, '.');
        if (dot != NULL && !is_address(host))
            *dot = 0;
        if (is_address(host))
            return name_error(err, "this host's name '%s' is an address, which "
                              "makes a long name, but %s has a short one: pass "
                              "--name NAME@HOST", host, target->full);
    } else if (!hs_host_is_long(host)) {
        if (!is_loopback(target->host))
            return name_error(err, "%s has a long name, but this host's name "
                              "'%s' is not fully qualified: pass --name "
                              "NAME@HOST with HOST fully qualified or this "
                              "host's IP address", target->full, host);
        /* The peer is on this machine: the loopback address is ours too. */
        snprintf(host, sizeof host, "127.0.0.1");
    }
    if (strlen(host) + 1 > size)
        return name_error(err, "no room for the host name '%s'", host);
    memcpy(out, host, strlen(host) + 1);
    return 0;
}

void hs_name_unique(char *out, size_t size, unsigned long pid, uint32_t random)
{
    snprintf(out, size, "edist_%lu_%08lx", pid, (unsigned long)random);
}

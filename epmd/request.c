/*
 * request.c -- the requests a client sends to EPMD, as bytes.
 *
 * Every request is framed the same way: a 2-byte big-endian length, then
 * that many bytes starting with the request code. EPMD drops the
 * connection without a word when it dislikes a request (a name that is
 * empty, too long, not UTF-8 or holds a NUL byte), so the encoders check
 * what EPMD would check and say so here, where the reason can still be
 * told to the person who typed the name.
 */
#include <string.h>

#include "epmd/epmd.h"
#include "epmd/internal.h"
#include "etf/etf.h"

/* What EPMD requires of a name (epmd_srv.c: verify_utf8, MAXSYMLEN, the
 * NUL checks), plus one thing it does not check but every caller gets
 * wrong once: EPMD knows only the part of a node name before the '@'. */
static int check_name(const char *name, size_t len, epmd_error *err)
{
    const uint8_t *s = (const uint8_t *)name;
    if (len == 0)
        return epmd_fail(err, EPMD_ERR_ARG, "the node name is empty");
    if (memchr(s, 0, len) != NULL)
        return epmd_fail(err, EPMD_ERR_ARG,
                         "the node name contains a NUL byte");
    if (len > EPMD_MAX_NAME_BYTES || !etf_utf8_valid(s, len) ||
        etf_utf8_count(s, len) > EPMD_MAX_NAME_CHARS) {
        if (len <= EPMD_MAX_NAME_BYTES && !etf_utf8_valid(s, len))
            return epmd_fail(err, EPMD_ERR_ARG,
                             "the node name is not valid UTF-8");
        return epmd_fail(err, EPMD_ERR_ARG,
                         "the node name is longer than %d characters",
                         EPMD_MAX_NAME_CHARS);
    }
    const char *at = memchr(name, '@', len);
    if (at != NULL)
        return epmd_fail(err, EPMD_ERR_ARG,
                         "'%.*s' is a whole node name: EPMD knows only the "
                         "part before the '@' ('%.*s')",
                         (int)(len > 200 ? 200 : len), name,
                         (int)(at - name), name);
    return 0;
}

/* Room for a request of `size` bytes? */
static int check_room(size_t size, size_t cap, epmd_error *err)
{
    if (size > cap)
        return epmd_fail(err, EPMD_ERR_ARG,
                         "the request needs %zu bytes, the buffer has %zu",
                         size, cap);
    return 0;
}

int epmd_encode_names_req(uint8_t *out, size_t cap, size_t *len,
                          epmd_error *err)
{
    if (check_room(3, cap, err) != 0)
        return -1;
    epmd_put16(out, 1);
    out[2] = EPMD_NAMES_REQ;
    *len = 3;
    return 0;
}

int epmd_encode_port2_req(const char *name, size_t name_len, uint8_t *out,
                          size_t cap, size_t *len, epmd_error *err)
{
    if (check_name(name, name_len, err) != 0 ||
        check_room(3 + name_len, cap, err) != 0)
        return -1;
    epmd_put16(out, (uint16_t)(1 + name_len));
    out[2] = EPMD_PORT2_REQ;
    memcpy(out + 3, name, name_len);
    *len = 3 + name_len;
    return 0;
}

int epmd_encode_alive2_req(const epmd_node_info *node, uint8_t *out,
                           size_t cap, size_t *len, epmd_error *err)
{
    if (check_name(node->name, node->name_len, err) != 0)
        return -1;
    if (node->extra_len > EPMD_MAX_EXTRA)
        return epmd_fail(err, EPMD_ERR_ARG,
                         "Extra is %zu bytes; EPMD takes at most %d",
                         node->extra_len, EPMD_MAX_EXTRA);
    if (node->port == 0)
        return epmd_fail(err, EPMD_ERR_ARG,
                         "port 0 cannot be registered: give the port the "
                         "node listens on");
    /* code, port, type, protocol, high, low, name length = 11 bytes; the
     * extra length 2 more. Both lengths are bounded above, so this cannot
     * overflow, and the total fits the 2-byte length field. */
    size_t body = 11 + node->name_len + 2 + node->extra_len;
    if (check_room(2 + body, cap, err) != 0)
        return -1;
    uint8_t *p = out;
    epmd_put16(p, (uint16_t)body);
    p[2] = EPMD_ALIVE2_REQ;
    epmd_put16(p + 3, node->port);
    p[5] = node->node_type;
    p[6] = node->protocol;
    epmd_put16(p + 7, node->highest_version);
    epmd_put16(p + 9, node->lowest_version);
    epmd_put16(p + 11, (uint16_t)node->name_len);
    memcpy(p + 13, node->name, node->name_len);
    p += 13 + node->name_len;
    epmd_put16(p, (uint16_t)node->extra_len);
    if (node->extra_len > 0)
        memcpy(p + 2, node->extra, node->extra_len);
    *len = 2 + body;
    return 0;
}

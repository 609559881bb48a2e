/*
 * reply.c -- EPMD's replies, from bytes.
 *
 * EPMD's replies have no length prefix: each decoder knows its reply's
 * layout and checks, field by field, that the bytes are there before it
 * reads them. Running out is not an error of the reply but a fact about
 * the read so far, reported as EPMD_ERR_TRUNCATED so that a reader can
 * read more and try again; the same decoder thus serves a client that
 * reads byte by byte and one that has the whole reply at once.
 *
 * The decoders never copy: names and Extra fields point into the bytes
 * given.
 */
#include <string.h>

#include "epmd/epmd.h"
#include "epmd/internal.h"

/* Fails with EPMD_ERR_TRUNCATED, naming what the bytes stopped inside. */
static int truncated(epmd_error *err, const char *reply, const char *field,
                     size_t have, size_t need)
{
    return epmd_fail(err, EPMD_ERR_TRUNCATED,
                     "%s stops after %zu bytes, inside %s (needs %zu)",
                     reply, have, field, need);
}

/* The first byte must be the reply's code. */
static int check_code(const uint8_t *buf, size_t len, uint8_t want,
                      const char *reply, epmd_error *err)
{
    if (len == 0)
        return epmd_fail(err, EPMD_ERR_TRUNCATED, "no bytes of %s yet",
                         reply);
    if (buf[0] != want)
        return epmd_fail(err, EPMD_ERR_BAD_REPLY,
                         "expected %s (first byte %u '%c'), got a first "
                         "byte %u: not an EPMD reply to this request",
                         reply, want, want, buf[0]);
    return 0;
}

int epmd_decode_alive2_resp(const uint8_t *buf, size_t len,
                            epmd_alive2_reply *out, size_t *used,
                            epmd_error *err)
{
    if (len == 0)
        return epmd_fail(err, EPMD_ERR_TRUNCATED,
                         "no bytes of ALIVE2_X_RESP/ALIVE2_RESP yet");
    const char *what;
    size_t size;
    if (buf[0] == EPMD_ALIVE2_X_RESP) {
        what = "ALIVE2_X_RESP";
        size = 6; /* 'v', result, [4] creation */
    } else if (buf[0] == EPMD_ALIVE2_RESP) {
        what = "ALIVE2_RESP";
        size = 4; /* 'y', result, [2] creation */
    } else {
        return epmd_fail(err, EPMD_ERR_BAD_REPLY,
                         "expected ALIVE2_X_RESP (118 'v') or ALIVE2_RESP "
                         "(121 'y'), got a first byte %u", buf[0]);
    }
    if (len < size)
        return truncated(err, what, len < 2 ? "the result" : "the creation",
                         len, size);
    out->code = buf[0];
    out->result = buf[1];
    out->creation = size == 6 ? epmd_get32(buf + 2) : epmd_get16(buf + 2);
    *used = size;
    return 0;
}

int epmd_decode_port2_resp(const uint8_t *buf, size_t len, uint8_t *result,
                           epmd_node_info *node, size_t *used,
                           epmd_error *err)
{
    static const char what[] = "PORT2_RESP";
    if (check_code(buf, len, EPMD_PORT2_RESP, what, err) != 0)
        return -1;
    if (len < 2)
        return truncated(err, what, "the result", len, 2);
    if (buf[1] != 0) {
        /* Not registered: the reply ends here. */
        *result = buf[1];
        *used = 2;
        return 0;
    }
    /* 'w', 0, [2] port, [1] type, [1] protocol, [2] high, [2] low,
     * [2] name length = 12 bytes before the name. */
    if (len < 12)
        return truncated(err, what, "the fixed fields", len, 12);
    size_t nlen = epmd_get16(buf + 10);
    size_t need = 12 + nlen + 2;
    if (len < need)
        return truncated(err, what, "the node name", len, need);
    size_t elen = epmd_get16(buf + 12 + nlen);
    need += elen;
    if (len < need)
        return truncated(err, what, "Extra", len, need);
    *result = 0;
    node->port = epmd_get16(buf + 2);
    node->node_type = buf[4];
    node->protocol = buf[5];
    node->highest_version = epmd_get16(buf + 6);
    node->lowest_version = epmd_get16(buf + 8);
    node->name = (const char *)buf + 12;
    node->name_len = nlen;
    node->extra = buf + 12 + nlen + 2;
    node->extra_len = elen;
    *used = need;
    return 0;
}

int epmd_decode_names_resp(const uint8_t *buf, size_t len,
                           epmd_names_reply *out, epmd_error *err)
{
    if (len < 4)
        return epmd_fail(err, EPMD_ERR_TRUNCATED,
                         "the NAMES reply stops after %zu bytes, inside "
                         "EPMD's port number (needs 4)", len);
    out->epmd_port = epmd_get32(buf);
    out->text = (const char *)buf + 4;
    out->text_len = len - 4;
    return 0;
}

/* Parses one line (without its newline) as erl_epmd.erl's parse_line
 * does: "name ", the name up to the first space, "at port ", a decimal
 * number. */
static int parse_line(const char *s, size_t len, epmd_name_entry *e)
{
    static const char head[] = "name ", mid[] = "at port ";
    size_t hl = sizeof head - 1, ml = sizeof mid - 1;
    if (len < hl || memcmp(s, head, hl) != 0)
        return 0;
    const char *name = s + hl;
    const char *sp = memchr(name, ' ', len - hl);
    if (sp == NULL || sp == name)
        return 0;
    const char *rest = sp + 1, *end = s + len;
    if ((size_t)(end - rest) < ml || memcmp(rest, mid, ml) != 0)
        return 0;
    rest += ml;
    if (rest == end)
        return 0;
    uint32_t port = 0;
    for (const char *p = rest; p < end; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        port = port * 10 + (uint32_t)(*p - '0');
        if (port > 65535)
            return 0;
    }
    e->name = name;
    e->name_len = (size_t)(sp - name);
    e->port = (uint16_t)port;
    return 1;
}

int epmd_names_next(const epmd_names_reply *reply, size_t *pos,
                    epmd_name_entry *entry)
{
    while (*pos < reply->text_len) {
        const char *line = reply->text + *pos;
        size_t left = reply->text_len - *pos;
        const char *nl = memchr(line, '\n', left);
        if (nl == NULL) {
            /* An unfinished last line: skipped, like erl_epmd.erl. */
            *pos = reply->text_len;
            return 0;
        }
        *pos += (size_t)(nl - line) + 1;
        if (parse_line(line, (size_t)(nl - line), entry))
            return 1;
    }
    return 0;
}

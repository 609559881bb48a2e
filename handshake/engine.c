/*
 * engine.c -- the handshake engine's frame: the 2-byte length framing, the
 * send and receive buffers, the state the caller sees, and the helpers the
 * two roles share (initiator.c and acceptor.c hold the protocol steps).
 *
 * Receiving. A handshake message is [2] Length + Length bytes. The engine
 * asks for exactly the 2 length bytes, then for exactly the body: its
 * receive room is never larger than what the current message still needs.
 * That is how it avoids reading past the last handshake message, where the
 * 4-byte framed connection begins, whatever the caller's read size.
 *
 * Sending. Messages are written whole into `out` and leave it as the caller
 * acknowledges bytes. Everything one handshake ever sends fits in it at
 * once (see the static assertion), so a caller may send late, or in
 * pieces, without the engine ever running out of room.
 *
 * Failing. hs_fail records a code and a sentence and ends the handshake;
 * bytes already queued stay queued, because a refusal (not_allowed, nok)
 * is itself a message the peer should receive before we close.
 */
#include <stdio.h>
#include <string.h>


#include "handshake/internal.h"

/* All an acceptor sends, at most: a "named:" status, a challenge (names of
 * HS_MAX_NAME bytes) and the ack; an initiator sends less (name, "false",
 * complement, reply). Each with its 2 length bytes. */
_Static_assert(sizeof(((hs_ctx *)0)->out) >=
                   (2 + 1 + 6 + 2 + HS_MAX_NAME + 4) +
                       (2 + 1 + 8 + 4 + 4 + 2 + HS_MAX_NAME) + (2 + 1 + 16),
               "hs_ctx.out too small for an acceptor's messages");
_Static_assert(sizeof(((hs_ctx *)0)->out) >=
                   (2 + 1 + 8 + 4 + 2 + HS_MAX_NAME) + (2 + 1 + 5) + (2 + 9) +
                       (2 + 21),
               "hs_ctx.out too small for an initiator's messages");

/* ---------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------- */

static int config_error(hs_ctx *hs, const char *what)
{
    hs_fail(hs, HS_ERR_USAGE, "%s", what);
    return -1;
}

int hs_init(hs_ctx *hs, hs_role role, const hs_config *cfg)
{
    memset(hs, 0, offsetof(hs_ctx, in));
    hs->in_len = 0;
    hs->in_need = 2;
    hs->out_off = hs->out_len = 0;
    hs->role = (uint8_t)role;
    hs->step = HS_FAILED_STEP; /* until the configuration is checked */
    hs->trace = cfg->trace;
    hs->trace_arg = cfg->trace_arg;
    hs->result.peer_version = 6;

    if (role != HS_INITIATOR && role != HS_ACCEPTOR)
        return config_error(hs, "hs_init: role must be HS_INITIATOR or "
                            "HS_ACCEPTOR");
    int dynamic = role == HS_INITIATOR && cfg->dynamic_name;
    if (cfg->dynamic_name && role != HS_INITIATOR)
        return config_error(hs, "only an initiator can ask for a dynamic "
                            "name");
    if (cfg->legacy_name && (role != HS_INITIATOR || dynamic))
        return config_error(hs, "a v5 'n' name is sent by an initiator with "
                            "a static name only");

    const char *name = cfg->node_name;
    if (name == NULL)
        return config_error(hs, "no node name for us "
                            "(hs_config.node_name)");
    const char *bad =
        hs_check_peer_name((const uint8_t *)name, strlen(name), dynamic);
    if (bad != NULL) {
        char shown[80];
        hs_printable((const uint8_t *)name, strlen(name), shown, sizeof shown);
        hs_fail(hs, HS_ERR_USAGE, "our node name '%s' %s%s", shown, bad,
                dynamic ? " (with a dynamic name, give the host only)" : "");
        return -1;
    }
    memcpy(hs->result.our_name, name, strlen(name) + 1);

    if (!dynamic && cfg->creation == 0)
        return config_error(hs, "our creation must not be 0 (0 means "
                            "\"unknown\" on the wire)");
    hs->result.our_creation = dynamic ? 0 : cfg->creation;

    if (cfg->cookie == NULL || cfg->cookie_len == 0)
        return config_error(hs, "no cookie");
    if (cfg->cookie_len > HS_MAX_COOKIE)
        return config_error(hs, "the cookie is longer than 255 characters, "
                            "the most an atom holds");
    memcpy(hs->cookie, cfg->cookie, cfg->cookie_len);
    hs->cookie_len = cfg->cookie_len;

    uint64_t flags = cfg->flags ? cfg->flags : HS_EDIST_FLAGS;
    if (dynamic) /* dist_util:publish_flag: a nameless node is hidden */
        flags = (flags & ~DFLAG_PUBLISHED) | DFLAG_NAME_ME;
    else
        flags &= ~DFLAG_NAME_ME;
    hs->our_flags = flags;
    hs->required = cfg->required ? cfg->required : DFLAG_DIST_MANDATORY;
    hs->dynamic = (uint8_t)dynamic;
    hs->legacy = cfg->legacy_name != 0;
    hs->alive_answer = cfg->alive_answer != 0;

    if (cfg->peer_name != NULL) {
        size_t n = strlen(cfg->peer_name);
        if (n > HS_MAX_NAME)
            return config_error(hs, "the expected peer name is longer than "
                                "255 bytes");
        memcpy(hs->expect_peer, cfg->peer_name, n + 1);
    }

    if (cfg->fixed_challenge) {
        hs->our_challenge = cfg->challenge;
    } else if (hs_challenge_random(&hs->our_challenge) != 0) {
        hs_fail(hs, HS_ERR_INTERNAL,
                "the kernel gave no random bytes for the challenge");
        return -1;
    }

    if (role == HS_INITIATOR) {
        hs_initiator_start(hs, cfg);
        hs->step = HS_I_WAIT_STATUS;
    } else {
        hs->step = HS_A_WAIT_NAME;
    }
    return 0;
}

void hs_clear(hs_ctx *hs)
{
    hs_wipe(hs, sizeof *hs);
}

/* ---------------------------------------------------------------------
 * What the caller sees
 * ------------------------------------------------------------------- */

static int wants_input(const hs_ctx *hs)
{
    switch (hs->step) {
    case HS_I_WAIT_STATUS:
    case HS_I_WAIT_CHALLENGE:
    case HS_I_WAIT_ACK:
    case HS_A_WAIT_NAME:
    case HS_A_WAIT_ALIVE_ANSWER:
    case HS_A_WAIT_COMPLEMENT:
    case HS_A_WAIT_REPLY:
        return 1;
    default:
        return 0;
    }
}

unsigned hs_state(const hs_ctx *hs)
{
    unsigned st = 0;
    if (hs->out_len > hs->out_off)
        st |= HS_SEND;
    if (hs->step == HS_DONE_STEP)
        st |= HS_DONE;
    else if (hs->step == HS_FAILED_STEP)
        st |= HS_FAILED;
    else if (hs->step == HS_A_DECIDE)
        st |= HS_DECIDE;
    else if (wants_input(hs))
        st |= HS_RECV;
    return st;
}

const uint8_t *hs_send_buf(const hs_ctx *hs, size_t *len)
{
    *len = hs->out_len - hs->out_off;
    return hs->out + hs->out_off;
}

void hs_send_ack(hs_ctx *hs, size_t n)
{
    size_t have = hs->out_len - hs->out_off;
    hs->out_off += n < have ? n : have;
    if (hs->out_off == hs->out_len)
        hs->out_off = hs->out_len = 0;
}

uint8_t *hs_recv_buf(hs_ctx *hs, size_t *len)
{
    *len = wants_input(hs) ? hs->in_need - hs->in_len : 0;
    return hs->in + hs->in_len;
}

void hs_recv_ack(hs_ctx *hs, size_t n)
{
    if (!wants_input(hs) || n > hs->in_need - hs->in_len) {
        hs_fail(hs, HS_ERR_USAGE, "hs_recv_ack: %zu bytes acknowledged, but "
                "the engine offered room for %zu", n,
                wants_input(hs) ? hs->in_need - hs->in_len : (size_t)0);
        return;
    }
    hs->in_len += n;
    if (hs->in_len < hs->in_need)
        return;
    if (hs->in_need == 2) {
        size_t body = hs_get_u16(hs->in);
        if (body == 0) {
            hs_fail(hs, HS_ERR_MALFORMED, "the peer sent an empty handshake "
                    "message (length 0); a handshake message has at least a tag");
            return;
        }
        hs->in_need = 2 + body;
        return;
    }
    /* A whole message: hand it to the role, then wait for the next. */
    size_t len = hs->in_need - 2;
    hs->in_len = 0;
    hs->in_need = 2;
    if (hs->role == HS_INITIATOR)
        hs_initiator_message(hs, hs->in + 2, len);
    else
        hs_acceptor_message(hs, hs->in + 2, len);
}

void hs_recv_eof(hs_ctx *hs)
{
    const char *mid = hs->in_len > 0 ? " in the middle of a message" : "";
    switch (hs->step) {
    case HS_I_WAIT_STATUS:
        hs_fail(hs, HS_ERR_CLOSED, "the peer closed the connection%s instead "
                "of answering our name with a status (is this port a node's "
                "distribution port? OTP 25.0 to 25.2 also close on a v5 'n' name)",
                mid);
        break;
    case HS_I_WAIT_CHALLENGE:
        hs_fail(hs, HS_ERR_CLOSED, "the peer closed the connection%s after "
                "its status, before its challenge", mid);
        break;
    case HS_I_WAIT_ACK:
        if (hs->legacy)
            hs_fail(hs, HS_ERR_COOKIE, "%s closed the connection%s after "
                    "our complement and challenge reply: it rejected our "
                    "digest (its cookie is not ours) or our high flags",
                    hs->result.peer_name, mid);
        else
            hs_fail(hs, HS_ERR_COOKIE, "%s closed the connection%s after our "
                    "challenge reply: it rejected our digest, so its cookie is not "
                    "ours (it logs \"Invalid challenge reply\")",
                    hs->result.peer_name, mid);
        break;
    case HS_A_WAIT_NAME:
        hs_fail(hs, HS_ERR_CLOSED, "the peer closed the connection%s before "
                "sending its name", mid);
        break;
    case HS_A_WAIT_ALIVE_ANSWER:
    case HS_A_WAIT_COMPLEMENT:
    case HS_A_WAIT_REPLY:
        hs_fail(hs, HS_ERR_CLOSED, "%s closed the connection%s before "
                "finishing the handshake (after our %s)", hs->result.peer_name, mid,
                hs->step == HS_A_WAIT_ALIVE_ANSWER ? "status alive" : "challenge");
        break;
    default:
        break; /* over already, or not started */
    }
}

size_t hs_feed(hs_ctx *hs, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len) {
        size_t room;
        uint8_t *p = hs_recv_buf(hs, &room);
        if (room == 0)
            break;
        size_t k = len - used < room ? len - used : room;
        memcpy(p, data + used, k);
        used += k;
        hs_recv_ack(hs, k);
    }
    return used;
}

const hs_result *hs_get_result(const hs_ctx *hs)
{
    return &hs->result;
}

const hs_error *hs_get_error(const hs_ctx *hs)
{
    return &hs->error;
}

/* ---------------------------------------------------------------------
 * Writing and reading fields
 * ------------------------------------------------------------------- */

size_t hs_msg_begin(hs_ctx *hs)
{
    size_t start = hs->out_len;
    hs_put_u16(hs, 0);
    return start;
}

void hs_msg_end(hs_ctx *hs, size_t start)
{
    size_t body = hs->out_len - start - 2;
    hs->out[start] = (uint8_t)(body >> 8);
    hs->out[start + 1] = (uint8_t)body;
}

void hs_put_bytes(hs_ctx *hs, const void *p, size_t n)
{
    /* Cannot happen (see the static assertion); refuse rather than overrun. */
    if (n > sizeof hs->out - hs->out_len)
        return;
    if (n != 0)
        memcpy(hs->out + hs->out_len, p, n);
    hs->out_len += n;
}

void hs_put_u8(hs_ctx *hs, uint8_t v)
{
    hs_put_bytes(hs, &v, 1);
}

void hs_put_u16(hs_ctx *hs, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    hs_put_bytes(hs, b, 2);
}

void hs_put_u32(hs_ctx *hs, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    hs_put_bytes(hs, b, 4);
}

void hs_put_u64(hs_ctx *hs, uint64_t v)
{
    hs_put_u32(hs, (uint32_t)(v >> 32));
    hs_put_u32(hs, (uint32_t)v);
}

uint16_t hs_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t hs_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

uint64_t hs_get_u64(const uint8_t *p)
{
    return (uint64_t)hs_get_u32(p) << 32 | hs_get_u32(p + 4);
}

/* ---------------------------------------------------------------------
 * Shared steps
 * ------------------------------------------------------------------- */

int hs_send_digest_msg(hs_ctx *hs, uint8_t tag, int with_challenge,
                       uint32_t their_challenge)
{
    uint8_t digest[16];
    if (hs_digest(hs->cookie, hs->cookie_len, their_challenge, digest) != 0) {
        hs_fail(hs, HS_ERR_INTERNAL, "cannot compute the MD5 digest");
        return -1;
    }
    size_t start = hs_msg_begin(hs);
    hs_put_u8(hs, tag);
    if (with_challenge)
        hs_put_u32(hs, hs->our_challenge);
    hs_put_bytes(hs, digest, 16);
    hs_msg_end(hs, start);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (with_challenge)
        hs_trace(hs, "-> challenge_reply 'r': our challenge %u, digest %s "
                 "(of its challenge %u)", hs->our_challenge, hex, their_challenge);
    else
        hs_trace(hs, "-> challenge_ack 'a': digest %s (of its challenge %u)",
                 hex, their_challenge);
    return 0;
}

void hs_send_status_text(hs_ctx *hs, const char *text)
{
    size_t start = hs_msg_begin(hs);
    hs_put_u8(hs, HS_TAG_STATUS);
    hs_put_bytes(hs, text, strlen(text));
    hs_msg_end(hs, start);
    hs_trace(hs, "-> status 's': %s", text);
}

uint64_t hs_missing_flags(uint64_t flags, uint64_t required)
{
    return required & ~hs_flags_expand(flags);
}

const char *hs_check_peer_name(const uint8_t *p, size_t len, int host_only)
{
    if (len == 0)
        return "is empty";
    if (len > HS_MAX_NAME)
        return "is longer than 255 bytes, the most a node name (an atom) holds";
    if (memchr(p, 0, len) != NULL)
        return "contains a NUL byte";
    const uint8_t *at = memchr(p, '@', len);
    if (host_only)
        return at == NULL ? NULL
                          : "has an '@', but a dynamic name request carries "
                            "the host only";
    if (at == NULL)
        return "has no '@' (a node name is alive@host)";
    if (memchr(at + 1, '@', len - (size_t)(at - p) - 1) != NULL)
        return "has more than one '@'";
    if (at == p)
        return "has nothing before the '@'";
    if (at == p + len - 1)
        return "has nothing after the '@'";
    return NULL;
}

/* ---------------------------------------------------------------------
 * Failure, tracing, messages
 * ------------------------------------------------------------------- */

void hs_vfail(hs_ctx *hs, hs_errcode code, const char *fmt, va_list ap)
{
    if (hs->step == HS_FAILED_STEP && hs->error.code != HS_OK)
        return; /* keep the first failure: it is the cause */
    hs->error.code = code;
    vsnprintf(hs->error.message, sizeof hs->error.message, fmt, ap);
    hs->step = HS_FAILED_STEP;
    hs_trace(hs, "!! %s", hs->error.message);
}

void hs_fail(hs_ctx *hs, hs_errcode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hs_vfail(hs, code, fmt, ap);
    va_end(ap);
}

void hs_trace(hs_ctx *hs, const char *fmt, ...)
{
    if (hs->trace == NULL)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    hs->trace(hs->trace_arg, line);
}

void hs_trace_flags(hs_ctx *hs, const char *head, uint64_t flags,
                    const char *tail)
{
    if (hs->trace == NULL)
        return;
    char names[700];
    hs_flags_format(flags, names, sizeof names);
    hs_trace(hs, "%s flags 0x%llx (%s)%s", head, (unsigned long long)flags,
             names, tail);
}

void hs_describe(const uint8_t *m, size_t len, char *out, size_t size)
{
    if (m[0] >= 0x21 && m[0] < 0x7f)
        snprintf(out, size, "a message with tag '%c' (%zu bytes)", m[0], len);
    else
        snprintf(out, size, "a message with tag byte %u (%zu bytes)", m[0], len);
}

void hs_printable(const uint8_t *p, size_t len, char *out, size_t size)
{
    size_t o = 0;
    if (size == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        char piece[5];
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
            piece[0] = (char)p[i];
            piece[1] = 0;
        } else {
            snprintf(piece, sizeof piece, "\\x%02x", p[i]);
        }
        size_t n = strlen(piece);
        if (o + n + 4 > size) { /* room for "..." and the NUL */
            if (o + 4 <= size) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(out + o, piece, n);
        o += n;
    }
    out[o] = 0;
}

const char *hs_status_name(hs_status s)
{
    switch (s) {
    case HS_STATUS_OK: return "ok";
    case HS_STATUS_OK_SIMULTANEOUS: return "ok_simultaneous";
    case HS_STATUS_NOK: return "nok";
    case HS_STATUS_NOT_ALLOWED: return "not_allowed";
    case HS_STATUS_ALIVE: return "alive";
    case HS_STATUS_NAMED: return "named:";
    default: return "";
    }
}

const char *hs_strerror(hs_errcode code)
{
    switch (code) {
    case HS_OK: return "no error";
    case HS_ERR_CLOSED: return "peer closed";
    case HS_ERR_MALFORMED: return "malformed message";
    case HS_ERR_REFUSED: return "refused by the peer";
    case HS_ERR_COOKIE: return "cookie rejected";
    case HS_ERR_FLAGS: return "missing mandatory flags";
    case HS_ERR_WRONG_NODE: return "wrong node";
    case HS_ERR_DECLINED: return "declined";
    case HS_ERR_USAGE: return "usage error";
    case HS_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

int hs_error_exit_code(const hs_error *e)
{
    if (e->code == HS_ERR_COOKIE)
        return 4;
    if (e->code == HS_ERR_REFUSED && e->status == HS_STATUS_NOT_ALLOWED)
        return 4;
    if (e->code == HS_ERR_USAGE)
        return 2;
    return 3;
}

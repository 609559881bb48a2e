/*
 * initiator.c -- the handshake of the node that connects (OTP's
 * dist_util:handshake_we_started/1), one function per message it sends or
 * receives, in the order they happen:
 *
 *   send_name ('N', or 'n' v5)  ->
 *                               <-  status ('s')
 *   [answer to alive ('s')      ->]
 *                               <-  challenge ('N', or 'n' from an old node)
 *   [complement ('c'), after 'n' ->]
 *   challenge_reply ('r')       ->
 *                               <-  challenge_ack ('a')
 *
 * Layouts (after the 2-byte length; integers big-endian):
 *   'N' name       [1]'N' [8]Flags [4]Creation [2]Nlen [Nlen]Name
 *                  Name is alive@host, or with DFLAG_NAME_ME the host only
 *                  and Creation 0
 *   'n' name (v5)  [1]'n' [2]Version=5 [4]Flags(low 32 bits) Name(the rest)
 *   status         [1]'s' Text; "named:" is followed by
 *                  [2]Nlen [Nlen]Name [4]Creation
 *   'N' challenge  [1]'N' [8]Flags [4]Challenge [4]Creation [2]Nlen [Nlen]Name
 *   'n' challenge  [1]'n' [2]Version [4]Flags [4]Challenge Name(the rest)
 *   complement     [1]'c' [4]Flags(high 32 bits) [4]Creation
 *   reply          [1]'r' [4]OurChallenge [16]MD5(cookie ++ their challenge)
 *   ack            [1]'a' [16]MD5(cookie ++ our challenge)
 * A receiver ignores bytes after the name in 'N' messages and "named:", so
 * that the format can grow.
 */
#include <stdio.h>
#include <string.h>

#include "handshake/internal.h"

/* ---- send_name ------------------------------------------------------- */

void hs_initiator_start(hs_ctx *hs, const hs_config *cfg)
{
    const char *name = cfg->node_name;
    size_t nlen = strlen(name);
    char head[400];
    size_t start = hs_msg_begin(hs);
    if (hs->legacy) {
        hs_put_u8(hs, HS_TAG_NAME_V5);
        hs_put_u16(hs, 5);
        hs_put_u32(hs, (uint32_t)hs->our_flags);
        hs_put_bytes(hs, name, nlen);
        snprintf(head, sizeof head, "-> send_name 'n' (v5): version 5, name %s,",
                 name);
        hs_trace_flags(hs, head, (uint32_t)hs->our_flags,
                       " (the high 32 bits follow in the complement)");
    } else {
        hs_put_u8(hs, HS_TAG_NAME_V6);
        hs_put_u64(hs, hs->our_flags);
        hs_put_u32(hs, hs->result.our_creation);
        hs_put_u16(hs, (uint16_t)nlen);
        hs_put_bytes(hs, name, nlen);
        if (hs->dynamic)
            snprintf(head, sizeof head, "-> send_name 'N': host %s (asking "
                     "for a dynamic name), creation 0,", name);
        else
            snprintf(head, sizeof head, "-> send_name 'N': name %s, creation %u,",
                     name, hs->result.our_creation);
        hs_trace_flags(hs, head, hs->our_flags, "");
    }
    hs_msg_end(hs, start);
}

/* ---- status ---------------------------------------------------------- */

static void recv_named(hs_ctx *hs, const uint8_t *m, size_t len)
{
    /* m = 's' "named:" [2]Nlen Name [4]Creation ... */
    if (!hs->dynamic) {
        hs_fail(hs, HS_ERR_MALFORMED, "the peer sent status named: (a dynamic "
                "name), but we did not ask for one");
        return;
    }
    if (len < 7 + 2) {
        hs_fail(hs, HS_ERR_MALFORMED, "status named: of %zu bytes ends before "
                "the name's length", len);
        return;
    }
    size_t nlen = hs_get_u16(m + 7);
    if (len - 9 < nlen || len - 9 - nlen < 4) {
        hs_fail(hs, HS_ERR_MALFORMED, "status named: claims a %zu-byte name and "
                "a creation, but only %zu bytes follow", nlen, len - 9);
        return;
    }
    const uint8_t *name = m + 9;
    char shown[300];
    hs_printable(name, nlen, shown, sizeof shown);
    const char *bad = hs_check_peer_name(name, nlen, 0);
    if (bad != NULL) {
        hs_fail(hs, HS_ERR_MALFORMED, "the name the peer gave us, '%s', %s",
                shown, bad);
        return;
    }
    /* The host must be the one we sent (dist_util:recv_status matches it). */
    const uint8_t *at = memchr(name, '@', nlen);
    size_t hlen = nlen - (size_t)(at + 1 - name);
    if (hlen != strlen(hs->result.our_name) ||
        memcmp(at + 1, hs->result.our_name, hlen) != 0) {
        hs_fail(hs, HS_ERR_MALFORMED, "the peer named us '%s', whose host is "
                "not the '%s' we sent", shown, hs->result.our_name);
        return;
    }
    memcpy(hs->result.our_name, name, nlen);
    hs->result.our_name[nlen] = 0;
    hs->result.our_creation = hs_get_u32(m + 9 + nlen);
    hs->result.status = HS_STATUS_NAMED;
    hs_trace(hs, "<- status 's': named: %s, creation %u", hs->result.our_name,
             hs->result.our_creation);
    hs->step = HS_I_WAIT_CHALLENGE;
}

static void recv_status(hs_ctx *hs, const uint8_t *m, size_t len)
{
    char what[80];
    if (m[0] != HS_TAG_STATUS) {
        hs_describe(m, len, what, sizeof what);
        hs_fail(hs, HS_ERR_MALFORMED, "expected a status ('s') after our name, "
                "got %s", what);
        return;
    }
    const char *text = (const char *)m + 1;
    size_t tlen = len - 1;
    if (tlen >= 6 && memcmp(text, "named:", 6) == 0) {
        recv_named(hs, m, len);
        return;
    }
    static const hs_status known[] = {
        HS_STATUS_OK, HS_STATUS_OK_SIMULTANEOUS, HS_STATUS_NOK,
        HS_STATUS_NOT_ALLOWED, HS_STATUS_ALIVE};
    hs_status st = HS_STATUS_NONE;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *k = hs_status_name(known[i]);
        if (strlen(k) == tlen && memcmp(k, text, tlen) == 0)
            st = known[i];
    }
    char shown[80];
    hs_printable(m + 1, tlen, shown, sizeof shown);
    if (st == HS_STATUS_NONE) {
        hs_fail(hs, HS_ERR_MALFORMED, "unknown status '%s' from the peer", shown);
        return;
    }
    hs_trace(hs, "<- status 's': %s", shown);
    hs->result.status = st;
    switch (st) {
    case HS_STATUS_NOT_ALLOWED:
        hs->error.status = st;
        hs_fail(hs, HS_ERR_REFUSED, "the peer refused us (status not_allowed): "
                "either it does not allow our name (net_kernel:allow/1), or it "
                "needs a flag we did not offer (its log says which)");
        return;
    case HS_STATUS_NOK:
        hs->error.status = st;
        hs_fail(hs, HS_ERR_REFUSED, "the peer is connecting to us at the same "
                "time and keeps its own attempt (status nok)");
        return;
    default:
        break;
    }
    if (hs->dynamic) {
        /* dist_util:recv_status: a nameless node accepts only named:. */
        hs_fail(hs, HS_ERR_MALFORMED, "the peer answered status %s to our "
                "request for a dynamic name, where named: was due", shown);
        return;
    }
    if (st == HS_STATUS_ALIVE) {
        /* The peer has a connection from a node of our name. "true": that
         * one is stale, take this one; "false": give up. */
        hs_send_status_text(hs, hs->alive_answer ? "true" : "false");
        if (!hs->alive_answer) {
            hs->error.status = st;
            hs_fail(hs, HS_ERR_REFUSED, "the peer already has a connection "
                    "from a node named %s (status alive), and we answered false",
                    hs->result.our_name);
            return;
        }
    }
    hs->step = HS_I_WAIT_CHALLENGE;
}

/* ---- challenge -------------------------------------------------------- */

static void recv_challenge(hs_ctx *hs, const uint8_t *m, size_t len)
{
    uint64_t flags;
    uint32_t challenge, creation = 0;
    const uint8_t *name;
    size_t nlen;
    char what[80];
    if (m[0] == HS_TAG_NAME_V6) {
        if (len < 19) {
            hs_fail(hs, HS_ERR_MALFORMED, "challenge 'N' of %zu bytes; it needs "
                    "at least 19 (tag, flags, challenge, creation, name length)",
                    len);
            return;
        }
        flags = hs_get_u64(m + 1);
        challenge = hs_get_u32(m + 9);
        creation = hs_get_u32(m + 13);
        nlen = hs_get_u16(m + 17);
        name = m + 19;
        if (nlen > len - 19) {
            hs_fail(hs, HS_ERR_MALFORMED, "challenge 'N' claims a %zu-byte name, "
                    "but only %zu bytes follow", nlen, len - 19);
            return;
        }
    } else if (m[0] == HS_TAG_NAME_V5) {
        /* Sent by OTP 22 and older, and by OTP 23/24 to a name message
         * without DFLAG_HANDSHAKE_23: only 32 flag bits, no creation. */
        if (len < 12) {
            hs_fail(hs, HS_ERR_MALFORMED, "challenge 'n' of %zu bytes; it needs "
                    "at least 12 (tag, version, flags, challenge, a name)", len);
            return;
        }
        flags = hs_get_u32(m + 3);
        challenge = hs_get_u32(m + 7);
        name = m + 11;
        nlen = len - 11;
        hs->result.peer_version = 5;
    } else {
        hs_describe(m, len, what, sizeof what);
        hs_fail(hs, HS_ERR_MALFORMED, "expected the challenge ('N') after the "
                "status, got %s", what);
        return;
    }
    char shown[300];
    hs_printable(name, nlen, shown, sizeof shown);
    const char *bad = hs_check_peer_name(name, nlen, 0);
    if (bad != NULL) {
        hs_fail(hs, HS_ERR_MALFORMED, "the node name in the challenge, '%s', %s",
                shown, bad);
        return;
    }
    memcpy(hs->result.peer_name, name, nlen);
    hs->result.peer_name[nlen] = 0;
    hs->result.peer_flags = flags;
    hs->result.peer_creation = creation;
    char head[400];
    if (m[0] == HS_TAG_NAME_V6)
        snprintf(head, sizeof head, "<- challenge 'N': name %s, challenge %u, "
                 "creation %u,", hs->result.peer_name, challenge, creation);
    else
        snprintf(head, sizeof head, "<- challenge 'n' (v5): version %u, "
                 "name %s, challenge %u,", hs_get_u16(m + 1),
                 hs->result.peer_name, challenge);
    hs_trace_flags(hs, head, flags, "");

    if (hs->expect_peer[0] != 0 &&
        strcmp(hs->expect_peer, hs->result.peer_name) != 0) {
        hs_fail(hs, HS_ERR_WRONG_NODE, "we wanted node %s, but the node that "
                "answered is %s (a stale EPMD entry, or the wrong port?)",
                hs->expect_peer, hs->result.peer_name);
        return;
    }
    uint64_t missing = hs_missing_flags(flags, hs->required);
    if (missing != 0) {
        char names[600];
        hs_flags_format(missing, names, sizeof names);
        hs->error.missing = missing;
        hs_fail(hs, HS_ERR_FLAGS, "%s lacks distribution flags edist needs: %s%s",
                hs->result.peer_name, names,
                m[0] == HS_TAG_NAME_V5 ? " (it answered with the pre-OTP 23 "
                "challenge 'n')" : "");
        return;
    }
    hs->result.flags = hs->our_flags & hs_flags_expand(flags);

    if (hs->legacy && m[0] == HS_TAG_NAME_V6) {
        /* After a v5 name, the flag bits that did not fit and our creation. */
        size_t start = hs_msg_begin(hs);
        hs_put_u8(hs, HS_TAG_COMPLEMENT);
        hs_put_u32(hs, (uint32_t)(hs->our_flags >> 32));
        hs_put_u32(hs, hs->result.our_creation);
        hs_msg_end(hs, start);
        char chead[100];
        snprintf(chead, sizeof chead, "-> complement 'c': creation %u, high",
                 hs->result.our_creation);
        hs_trace_flags(hs, chead, hs->our_flags & ~(uint64_t)UINT32_MAX,
                       "");
    }
    if (hs_send_digest_msg(hs, HS_TAG_REPLY, 1, challenge) != 0)
        return;
    hs->step = HS_I_WAIT_ACK;
}

/* ---- challenge_ack ------------------------------------------------------ */

static void recv_ack(hs_ctx *hs, const uint8_t *m, size_t len)
{
    char what[80];
    if (m[0] == HS_TAG_STATUS && len == 12 &&
        memcmp(m + 1, "not_allowed", 11) == 0) {
        /* After a v5 name the acceptor checks the high flags only once the
         * complement is in, and says not_allowed here. */
        hs_trace(hs, "<- status 's': not_allowed");
        hs->result.status = HS_STATUS_NOT_ALLOWED;
        hs->error.status = HS_STATUS_NOT_ALLOWED;
        hs_fail(hs, HS_ERR_REFUSED, "%s refused us (status not_allowed) after "
                "our complement: it needs a high flag we did not offer (its log "
                "says which)", hs->result.peer_name);
        return;
    }
    if (m[0] != HS_TAG_ACK || len != 17) {
        hs_describe(m, len, what, sizeof what);
        hs_fail(hs, HS_ERR_MALFORMED, "expected the challenge ack ('a', 17 "
                "bytes), got %s", what);
        return;
    }
    uint8_t want[16];
    if (hs_digest(hs->cookie, hs->cookie_len, hs->our_challenge, want) != 0) {
        hs_fail(hs, HS_ERR_INTERNAL, "cannot compute the MD5 digest");
        return;
    }
    if (!hs_digest_equal(want, m + 1)) {
        hs_trace(hs, "<- challenge_ack 'a': wrong digest");
        hs_fail(hs, HS_ERR_COOKIE, "the challenge ack of %s has the wrong "
                "digest: its cookie is not ours", hs->result.peer_name);
        return;
    }
    hs_trace(hs, "<- challenge_ack 'a': digest ok; handshake done");
    hs->step = HS_DONE_STEP;
}

void hs_initiator_message(hs_ctx *hs, const uint8_t *m, size_t len)
{
    switch (hs->step) {
    case HS_I_WAIT_STATUS:
        recv_status(hs, m, len);
        break;
    case HS_I_WAIT_CHALLENGE:
        recv_challenge(hs, m, len);
        break;
    case HS_I_WAIT_ACK:
        recv_ack(hs, m, len);
        break;
    default:
        break;
    }
}

/*
 * acceptor.c -- the handshake of the node that was connected to (OTP's
 * dist_util:handshake_other_started/1), one function per message, in order:
 *
 *                       <-  send_name ('N' v6, or 'n' v5)
 *   [mandatory flags missing: status not_allowed, end]
 *   ... the caller decides (hs_decide): OTP asks its net_kernel here ...
 *   status ('s')        ->
 *                       [<- answer to alive: "true" or "false"]
 *   challenge ('N')     ->
 *                       [<- complement ('c'), after a v5 name;
 *                           high flags missing: not_allowed, end]
 *                       <-  challenge_reply ('r')
 *   [wrong digest: close without a word, as OTP does]
 *   challenge_ack ('a') ->
 *
 * The layouts are in initiator.c's header comment. Two rules worth
 * knowing:
 *
 * - A v5 name carries only the 32 low flag bits, so before the complement
 *   only those are checked against the mandatory set; the high ones
 *   (V4_NC, and SPAWN...) after it, with not_allowed sent in place of the
 *   ack (OTP's erl_distribution_wb_SUITE missing_compulsory_dflags).
 *   Whatever the name, the challenge is always the v6 'N' one: every peer
 *   that passes the check has DFLAG_HANDSHAKE_23 and so reads 'N'.
 * - A peer that sets DFLAG_NAME_ME sends only its host and creation 0; the
 *   acceptor makes up its name and creation and sends them in "named:".
 *   Like OTP, the challenge then carries NAME_ME among our flags in place
 *   of PUBLISHED.
 */
#include <stdio.h>
#include <string.h>

#include "handshake/internal.h"

/* Refuses a peer that lacks mandatory flags, as dist_util:check_dflags
 * does: status not_allowed, then the end. Returns 1 if it refused. */
static int refuse_missing(hs_ctx *hs, uint64_t required)
{
    uint64_t missing = hs_missing_flags(hs->result.peer_flags, required);
    if (missing == 0)
        return 0;
    char names[600];
    hs_flags_format(missing, names, sizeof names);
    hs_send_status_text(hs, "not_allowed");
    hs->result.status = HS_STATUS_NOT_ALLOWED;
    hs->error.status = HS_STATUS_NOT_ALLOWED;
    hs->error.missing = missing;
    hs_fail(hs, HS_ERR_FLAGS, "refused %s with not_allowed: it cannot handle "
            "%s", hs->result.peer_name, names);
    return 1;
}

/* ---- send_name ------------------------------------------------------- */

static void recv_name(hs_ctx *hs, const uint8_t *m, size_t len)
{
    const uint8_t *name;
    size_t nlen;
    uint64_t flags;
    int dynamic = 0;
    char what[80];
    if (m[0] == HS_TAG_NAME_V6) {
        if (len < 15) {
            hs_fail(hs, HS_ERR_MALFORMED, "name 'N' of %zu bytes; it needs at "
                    "least 15 (tag, flags, creation, name length)", len);
            return;
        }
        flags = hs_get_u64(m + 1);
        hs->result.peer_creation = hs_get_u32(m + 9);
        nlen = hs_get_u16(m + 13);
        name = m + 15;
        if (nlen > len - 15) {
            hs_fail(hs, HS_ERR_MALFORMED, "name 'N' claims a %zu-byte name, but "
                    "only %zu bytes follow", nlen, len - 15);
            return;
        }
        dynamic = (flags & DFLAG_NAME_ME) != 0;
    } else if (m[0] == HS_TAG_NAME_V5) {
        if (len < 8) {
            hs_fail(hs, HS_ERR_MALFORMED, "name 'n' of %zu bytes; it needs at "
                    "least 8 (tag, version, flags, a name)", len);
            return;
        }
        flags = hs_get_u32(m + 3);
        name = m + 7;
        nlen = len - 7;
        hs->legacy = 1;
        hs->result.peer_version = 5;
    } else {
        hs_describe(m, len, what, sizeof what);
        hs_fail(hs, HS_ERR_MALFORMED, "expected the peer's name ('N' or 'n'), "
                "got %s", what);
        return;
    }
    char shown[300];
    hs_printable(name, nlen, shown, sizeof shown);
    const char *bad = hs_check_peer_name(name, nlen, dynamic);
    if (bad != NULL) {
        /* OTP closes without a status here. */
        hs_fail(hs, HS_ERR_MALFORMED, "the %s in the peer's name message, '%s', %s",
                dynamic ? "host" : "node name", shown, bad);
        return;
    }
    memcpy(hs->result.peer_name, name, nlen);
    hs->result.peer_name[nlen] = 0;
    hs->result.peer_flags = flags;
    hs->result.peer_dynamic = dynamic;

    char head[400];
    if (hs->legacy)
        snprintf(head, sizeof head, "<- send_name 'n' (v5): version %u, name %s,",
                 hs_get_u16(m + 1), hs->result.peer_name);
    else if (dynamic)
        snprintf(head, sizeof head, "<- send_name 'N': host %s (asks for a "
                 "dynamic name), creation %u,", hs->result.peer_name,
                 hs->result.peer_creation);
    else
        snprintf(head, sizeof head, "<- send_name 'N': name %s, creation %u,",
                 hs->result.peer_name, hs->result.peer_creation);
    hs_trace_flags(hs, head, flags, "");

    if (refuse_missing(hs, hs->legacy ? hs->required & UINT32_MAX : hs->required))
        return;
    if (dynamic)
        hs->our_flags = (hs->our_flags & ~DFLAG_PUBLISHED) | DFLAG_NAME_ME;
    hs->step = HS_A_DECIDE;
}

/* ---- status and challenge ---------------------------------------------- */

static void send_challenge(hs_ctx *hs)
{
    const char *name = hs->result.our_name;
    size_t nlen = strlen(name);
    size_t start = hs_msg_begin(hs);
    hs_put_u8(hs, HS_TAG_NAME_V6);
    hs_put_u64(hs, hs->our_flags);
    hs_put_u32(hs, hs->our_challenge);
    hs_put_u32(hs, hs->result.our_creation);
    hs_put_u16(hs, (uint16_t)nlen);
    hs_put_bytes(hs, name, nlen);
    hs_msg_end(hs, start);
    char head[400];
    snprintf(head, sizeof head, "-> challenge 'N': name %s, challenge %u, "
             "creation %u,", name, hs->our_challenge, hs->result.our_creation);
    hs_trace_flags(hs, head, hs->our_flags, "");
    hs->step = hs->legacy ? HS_A_WAIT_COMPLEMENT : HS_A_WAIT_REPLY;
}

int hs_decide(hs_ctx *hs, hs_status status)
{
    if (hs->step != HS_A_DECIDE) {
        hs_fail(hs, HS_ERR_USAGE, "hs_decide: the engine is not waiting for a "
                "decision");
        return -1;
    }
    if (status == HS_STATUS_NAMED || status == HS_STATUS_NONE ||
        status > HS_STATUS_NAMED) {
        hs_fail(hs, HS_ERR_USAGE, "hs_decide: not a decision (use "
                "hs_decide_named to give a name)");
        return -1;
    }
    if (hs->result.peer_dynamic && status != HS_STATUS_NOK &&
        status != HS_STATUS_NOT_ALLOWED) {
        hs_fail(hs, HS_ERR_USAGE, "hs_decide: the peer asked for a dynamic "
                "name; answer with hs_decide_named, nok or not_allowed");
        return -1;
    }
    hs->result.status = status;
    hs_send_status_text(hs, hs_status_name(status));
    switch (status) {
    case HS_STATUS_NOK:
    case HS_STATUS_NOT_ALLOWED:
        hs->error.status = status;
        hs_fail(hs, HS_ERR_DECLINED, "we turned %s away with status %s",
                hs->result.peer_name, hs_status_name(status));
        break;
    case HS_STATUS_ALIVE:
        hs->step = HS_A_WAIT_ALIVE_ANSWER;
        break;
    default:
        send_challenge(hs);
        break;
    }
    return 0;
}

int hs_decide_named(hs_ctx *hs, const char *name, uint32_t creation)
{
    if (hs->step != HS_A_DECIDE || !hs->result.peer_dynamic) {
        hs_fail(hs, HS_ERR_USAGE, "hs_decide_named: the engine is not waiting "
                "for a decision about a peer that asked for a name");
        return -1;
    }
    size_t nlen = strlen(name);
    const char *bad = hs_check_peer_name((const uint8_t *)name, nlen, 0);
    const char *at = strchr(name, '@');
    if (bad == NULL && strcmp(at + 1, hs->result.peer_name) != 0)
        bad = "does not have the host the peer sent (it would refuse it)";
    if (bad == NULL && creation == 0)
        bad = "comes with creation 0, which means \"unknown\"";
    if (bad != NULL) {
        char shown[300];
        hs_printable((const uint8_t *)name, nlen, shown, sizeof shown);
        hs_fail(hs, HS_ERR_USAGE, "hs_decide_named: the name '%s' %s", shown, bad);
        return -1;
    }
    size_t start = hs_msg_begin(hs);
    hs_put_u8(hs, HS_TAG_STATUS);
    hs_put_bytes(hs, "named:", 6);
    hs_put_u16(hs, (uint16_t)nlen);
    hs_put_bytes(hs, name, nlen);
    hs_put_u32(hs, creation);
    hs_msg_end(hs, start);
    hs_trace(hs, "-> status 's': named: %s, creation %u", name, creation);
    memcpy(hs->result.peer_name, name, nlen + 1);
    hs->result.peer_creation = creation;
    hs->result.status = HS_STATUS_NAMED;
    send_challenge(hs);
    return 0;
}

static void recv_alive_answer(hs_ctx *hs, const uint8_t *m, size_t len)
{
    char shown[80];
    if (m[0] == HS_TAG_STATUS && len == 5 && memcmp(m + 1, "true", 4) == 0) {
        hs_trace(hs, "<- status 's': true (its old connection is dead)");
        send_challenge(hs);
        return;
    }
    if (m[0] == HS_TAG_STATUS && len == 6 && memcmp(m + 1, "false", 5) == 0) {
        hs_trace(hs, "<- status 's': false");
        hs->error.status = HS_STATUS_ALIVE;
        hs_fail(hs, HS_ERR_DECLINED, "%s answered false to our alive: it keeps "
                "its old connection", hs->result.peer_name);
        return;
    }
    hs_printable(m, len, shown, sizeof shown);
    hs_fail(hs, HS_ERR_MALFORMED, "expected \"strue\" or \"sfalse\" in answer to "
            "our alive, got '%s'", shown);
}

/* ---- complement (after a v5 name) ---------------------------------------- */

static void recv_complement(hs_ctx *hs, const uint8_t *m, size_t len)
{
    char what[80];
    if (m[0] != HS_TAG_COMPLEMENT || len != 9) {
        hs_describe(m, len, what, sizeof what);
        hs_fail(hs, HS_ERR_MALFORMED, "expected the complement ('c', 9 bytes) "
                "that follows a v5 name, got %s", what);
        return;
    }
    uint64_t high = (uint64_t)hs_get_u32(m + 1) << 32;
    hs->result.peer_flags |= high;
    hs->result.peer_creation = hs_get_u32(m + 5);
    char head[100];
    snprintf(head, sizeof head, "<- complement 'c': creation %u, high",
             hs->result.peer_creation);
    hs_trace_flags(hs, head, high, "");
    if (refuse_missing(hs, hs->required))
        return;
    hs->step = HS_A_WAIT_REPLY;
}

/* ---- challenge_reply and ack ------------------------------------------------ */

static void recv_reply(hs_ctx *hs, const uint8_t *m, size_t len)
{
    char what[80];
    if (m[0] != HS_TAG_REPLY || len != 21) {
        hs_describe(m, len, what, sizeof what);
        hs_fail(hs, HS_ERR_MALFORMED, "expected the challenge reply ('r', 21 "
                "bytes), got %s", what);
        return;
    }
    uint32_t theirs = hs_get_u32(m + 1);
    uint8_t want[16];
    if (hs_digest(hs->cookie, hs->cookie_len, hs->our_challenge, want) != 0) {
        hs_fail(hs, HS_ERR_INTERNAL, "cannot compute the MD5 digest");
        return;
    }
    if (!hs_digest_equal(want, m + 5)) {
        hs_trace(hs, "<- challenge_reply 'r': its challenge %u, wrong digest",
                 theirs);
        hs_fail(hs, HS_ERR_COOKIE, "the challenge reply of %s has the wrong "
                "digest: its cookie is not ours (closing, as OTP does)",
                hs->result.peer_name);
        return;
    }
    hs_trace(hs, "<- challenge_reply 'r': its challenge %u, digest ok", theirs);
    if (hs_send_digest_msg(hs, HS_TAG_ACK, 0, theirs) != 0)
        return;
    hs->result.flags = hs->our_flags & hs_flags_expand(hs->result.peer_flags);
    hs->step = HS_DONE_STEP;
}

void hs_acceptor_message(hs_ctx *hs, const uint8_t *m, size_t len)
{
    switch (hs->step) {
    case HS_A_WAIT_NAME:
        recv_name(hs, m, len);
        break;
    case HS_A_WAIT_ALIVE_ANSWER:
        recv_alive_answer(hs, m, len);
        break;
    case HS_A_WAIT_COMPLEMENT:
        recv_complement(hs, m, len);
        break;
    case HS_A_WAIT_REPLY:
        recv_reply(hs, m, len);
        break;
    default:
        break;
    }
}

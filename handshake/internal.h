/*
 * internal.h -- what the files of handshake/ share and nobody else sees:
 * the steps of the state machine, the message writer and reader, and the
 * helpers that record a failure or print a trace line.
 */
#ifndef EDIST_HANDSHAKE_INTERNAL_H
#define EDIST_HANDSHAKE_INTERNAL_H

#include <stdarg.h>

#include "handshake/hs.h"

/* Message tags. */
#define HS_TAG_NAME_V5    'n' /* v5 send_name, and v5 challenge */
#define HS_TAG_NAME_V6    'N' /* v6 send_name, and v6 challenge */
#define HS_TAG_STATUS     's'
#define HS_TAG_COMPLEMENT 'c'
#define HS_TAG_REPLY      'r'
#define HS_TAG_ACK        'a'

/* Where the engine stands: which message it waits for next. */
enum hs_step {
    /* initiator */
    HS_I_WAIT_STATUS = 1,
    HS_I_WAIT_CHALLENGE,
    HS_I_WAIT_ACK,
    /* acceptor */
    HS_A_WAIT_NAME,
    HS_A_DECIDE,
    HS_A_WAIT_ALIVE_ANSWER,
    HS_A_WAIT_COMPLEMENT,
    HS_A_WAIT_REPLY,
    /* both */
    HS_DONE_STEP,
    HS_FAILED_STEP
};

/* Writing messages into hs->out: begin reserves the 2 length bytes, end
 * fills them in. The buffer is large enough for every message the engine
 * queues at once (checked in engine.c); hs_put_* never overrun it. */
size_t hs_msg_begin(hs_ctx *hs);
void hs_msg_end(hs_ctx *hs, size_t start);
void hs_put_u8(hs_ctx *hs, uint8_t v);
void hs_put_u16(hs_ctx *hs, uint16_t v);
void hs_put_u32(hs_ctx *hs, uint32_t v);
void hs_put_u64(hs_ctx *hs, uint64_t v);
void hs_put_bytes(hs_ctx *hs, const void *p, size_t n);

/* Reading a received message: big-endian fields, bounds checked by the
 * caller against `len` before each read. */
uint16_t hs_get_u16(const uint8_t *p);
uint32_t hs_get_u32(const uint8_t *p);
uint64_t hs_get_u64(const uint8_t *p);

/* Records the failure (code and message) and moves to HS_FAILED_STEP;
 * queued output stays, so a refusal still reaches the peer. */
void hs_fail(hs_ctx *hs, hs_errcode code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void hs_vfail(hs_ctx *hs, hs_errcode code, const char *fmt, va_list ap);

/* One trace line, if tracing is on. */
void hs_trace(hs_ctx *hs, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* One trace line "HEAD flags 0x... (NAMES)TAIL". */
void hs_trace_flags(hs_ctx *hs, const char *head, uint64_t flags,
                    const char *tail);

/* "a message with tag 'x' (N bytes)", for "expected X, got Y" errors. */
void hs_describe(const uint8_t *m, size_t len, char *out, size_t size);

/* Writes `len` bytes of a name or status from the wire into `out` (of
 * size `size`) for a message: printable ASCII as is, anything else as
 * \xNN, cut with "..." when too long. */
void hs_printable(const uint8_t *p, size_t len, char *out, size_t size);

/* Checks a node name received from the peer: 1..HS_MAX_NAME bytes, no
 * NUL, and -- unless host_only -- exactly one '@' with something on both
 * sides (dist_util:is_name_ok); with host_only (a dynamic-name request),
 * no '@' at all. Returns NULL if fine, else what is wrong. */
const char *hs_check_peer_name(const uint8_t *p, size_t len, int host_only);

/* The roles' message handlers (initiator.c, acceptor.c). */
void hs_initiator_start(hs_ctx *hs, const hs_config *cfg);
void hs_initiator_message(hs_ctx *hs, const uint8_t *m, size_t len);
void hs_acceptor_message(hs_ctx *hs, const uint8_t *m, size_t len);

/* Queue the challenge_reply / challenge_ack / send_status messages. */
int hs_send_digest_msg(hs_ctx *hs, uint8_t tag, int with_challenge,
                       uint32_t their_challenge);
void hs_send_status_text(hs_ctx *hs, const char *text);

/* The mandatory check shared by both roles: the flags in `required` that
 * `flags` lacks (after expanding DFLAG_MANDATORY_25_DIGEST). */
uint64_t hs_missing_flags(uint64_t flags, uint64_t required);

#endif

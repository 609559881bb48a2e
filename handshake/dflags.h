/*
 * dflags.h -- the distribution flags (DFLAG_*), the sets each OTP release
 * insists on, and the set edist offers.
 *
 * Two nodes tell each other what they can do with a 64-bit word of flags,
 * sent in the handshake (the name message one way, the challenge the
 * other). After the handshake both use the intersection: a feature is on
 * only if both sides set its flag. Some flags are not offers but demands:
 * a node refuses a peer that lacks one of its "mandatory" flags with the
 * status not_allowed (OTP's dist_util:check_dflags).
 *
 * Every constant carries the name and the value it has in OTP's
 * erts/emulator/beam/dist.h and lib/kernel/include/dist.hrl, so that a
 * reader can look it up there. tests/integration/handshake.test compares
 * them with the dist.hrl and erts_internal:get_dflags() of live OTP 25, 27
 * and 29 nodes.
 *
 * Every flag a node sets obliges it to understand what the peer then
 * sends; that is why edist's own set (HS_EDIST_FLAGS below) is small.
 */
#ifndef EDIST_HANDSHAKE_DFLAGS_H
#define EDIST_HANDSHAKE_DFLAGS_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------
 * The flags, bit by bit. "Internal" flags are used inside erts only and
 * never appear on the wire.
 * ------------------------------------------------------------------- */
#define DFLAG_PUBLISHED           UINT64_C(0x01)       /* visible; clear = hidden */
#define DFLAG_ATOM_CACHE          UINT64_C(0x02)       /* obsolete atom cache */
#define DFLAG_EXTENDED_REFERENCES UINT64_C(0x04)       /* 3-word references */
#define DFLAG_DIST_MONITOR        UINT64_C(0x08)       /* MONITOR_P and friends */
#define DFLAG_FUN_TAGS            UINT64_C(0x10)       /* funs have their own tag */
#define DFLAG_DIST_MONITOR_NAME   UINT64_C(0x20)       /* monitor by name */
#define DFLAG_HIDDEN_ATOM_CACHE   UINT64_C(0x40)       /* obsolete */
#define DFLAG_NEW_FUN_TAGS        UINT64_C(0x80)       /* NEW_FUN_EXT */
#define DFLAG_EXTENDED_PIDS_PORTS UINT64_C(0x100)      /* extended pids, ports */
#define DFLAG_EXPORT_PTR_TAG      UINT64_C(0x200)      /* EXPORT_EXT */
#define DFLAG_BIT_BINARIES        UINT64_C(0x400)      /* BIT_BINARY_EXT */
#define DFLAG_NEW_FLOATS          UINT64_C(0x800)      /* NEW_FLOAT_EXT */
#define DFLAG_UNICODE_IO          UINT64_C(0x1000)     /* unicode I/O requests */
#define DFLAG_DIST_HDR_ATOM_CACHE UINT64_C(0x2000)     /* header + atom cache */
#define DFLAG_SMALL_ATOM_TAGS     UINT64_C(0x4000)     /* SMALL_ATOM_EXT */
#define DFLAG_ETS_COMPRESSED      UINT64_C(0x8000)     /* internal */
#define DFLAG_UTF8_ATOMS          UINT64_C(0x10000)    /* UTF-8 atom tags */
#define DFLAG_MAP_TAG             UINT64_C(0x20000)    /* MAP_EXT */
#define DFLAG_BIG_CREATION        UINT64_C(0x40000)    /* 32-bit creations */
#define DFLAG_SEND_SENDER         UINT64_C(0x80000)    /* SEND_SENDER, not SEND */
#define DFLAG_BIG_SEQTRACE_LABELS UINT64_C(0x100000)   /* any seq_trace label */
#define DFLAG_PENDING_CONNECT     UINT64_C(0x200000)   /* internal */
#define DFLAG_EXIT_PAYLOAD        UINT64_C(0x400000)   /* PAYLOAD_EXIT etc. */
#define DFLAG_FRAGMENTS           UINT64_C(0x800000)   /* fragmented messages */
#define DFLAG_HANDSHAKE_23        UINT64_C(0x1000000)  /* the v6 'N' handshake */
#define DFLAG_UNLINK_ID           UINT64_C(0x2000000)  /* UNLINK_ID(_ACK) */
#define DFLAG_MANDATORY_25_DIGEST UINT64_C(0x4000000)  /* means the OTP 25 set */
#define DFLAG_RESERVED            UINT64_C(0xf8000000) /* kept free (32-bit v5) */
/* The 32 high bits exist only in the v6 handshake (and the 'c' complement
 * of the v5 one). */
#define DFLAG_SPAWN          (UINT64_C(0x01) << 32) /* SPAWN_REQUEST/_REPLY */
#define DFLAG_NAME_ME        (UINT64_C(0x02) << 32) /* "name me" (dynamic) */
#define DFLAG_V4_NC          (UINT64_C(0x04) << 32) /* big pids, ports, refs */
#define DFLAG_ALIAS          (UINT64_C(0x08) << 32) /* ALIAS_SEND (OTP 24) */
#define DFLAG_LOCAL_EXT      (UINT64_C(0x10) << 32) /* internal */
#define DFLAG_ALTACT_SIG     (UINT64_C(0x20) << 32) /* ALTACT_SIG_SEND (28) */
#define DFLAG_NATIVE_RECORDS (UINT64_C(0x40) << 32) /* RECORD_EXT (OTP 29) */

/* Not a distribution flag: erts reuses the bit of DFLAG_ATOM_CACHE to mean
 * "deterministic" in term_to_binary/2. Named here only so that a search
 * for it lands somewhere; hs_flag_name never returns it. (A development
 * snapshot of dist.h also had DFLAG_MULTISEND 0x8000000; no released dist.h
 * or dist.hrl of OTP 25 to 29 has it, and no release offers that bit.) */
#define DFLAG_DETERMINISTIC DFLAG_ATOM_CACHE

/* ---------------------------------------------------------------------
 * What each release demands (erts_internal:get_dflags()'s `mandatory`).
 * ------------------------------------------------------------------- */

/* Mandatory from OTP 25 on (0x1070f94). */
#define DFLAG_DIST_MANDATORY_25 (DFLAG_EXTENDED_REFERENCES | DFLAG_FUN_TAGS \
    | DFLAG_EXTENDED_PIDS_PORTS | DFLAG_UTF8_ATOMS | DFLAG_NEW_FUN_TAGS   \
    | DFLAG_BIG_CREATION | DFLAG_NEW_FLOATS | DFLAG_MAP_TAG                \
    | DFLAG_EXPORT_PTR_TAG | DFLAG_BIT_BINARIES | DFLAG_HANDSHAKE_23)

/* Added to the mandatory set in OTP 26. */
#define DFLAG_DIST_MANDATORY_26 (DFLAG_V4_NC | DFLAG_UNLINK_ID)

/* Mandatory in OTP 26, 27, 28 and 29 (0x403070f94). */
#define DFLAG_DIST_MANDATORY (DFLAG_DIST_MANDATORY_25 | DFLAG_DIST_MANDATORY_26)

/* The mandatory set of OTP release `otp` (25 to 29), or 0 for a release
 * edist has no knowledge of. A peer that lacks one of these flags is
 * refused by a node of that release with not_allowed. */
uint64_t hs_mandatory_flags(int otp);

/* DFLAG_MANDATORY_25_DIGEST is shorthand: a node that sets it may leave
 * out the eleven flags of DFLAG_DIST_MANDATORY_25. Receivers put them back
 * before they look at the flags (dist_util:expand_mandatory_25_flag), and
 * so does edist, through this function. */
uint64_t hs_flags_expand(uint64_t flags);

/* ---------------------------------------------------------------------
 * What edist offers
 * ------------------------------------------------------------------- */

/* edist is a hidden node (no DFLAG_PUBLISHED: it shows up only in
 * nodes(hidden), and global name registration leaves it alone). The
 * handshake layer alone offers exactly what every release from 26 to 29
 * refuses to do without (DFLAG_DIST_MANDATORY, which includes the OTP 25
 * set) and the digest bit that says so in one flag:
 *
 *   DFLAG_DIST_MANDATORY | DFLAG_MANDATORY_25_DIGEST  =  0x407070f94
 *
 * That is enough for `edist ping` (the handshake, ticks, one REG_SEND to
 * net_kernel and its reply). The mandatory flags are promises about terms
 * (etf/ decodes every tag they enable) and the UNLINK_ID link protocol.
 *
 * The node runtime (dist/node.c, NODE_FLAGS) adds what it implements on
 * top, each flag because edist handles what the peer then sends:
 *   DIST_MONITOR, DIST_MONITOR_NAME  monitor signals
 *   SPAWN                            SPAWN_REQUEST / SPAWN_REPLY
 *   EXIT_PAYLOAD                     PAYLOAD_EXIT* for links and monitors
 *   SEND_SENDER                      SEND_SENDER instead of SEND
 *   ALIAS, ALTACT_SIG                messages to aliases; OTP 28's
 *                                    alternative signals
 *   SMALL_ATOM_TAGS                  harmless
 *   FRAGMENTS, DIST_HDR_ATOM_CACHE   the distribution header; without them
 *                                    messages come in pass-through form
 * DFLAG_NAME_ME is added by the handshake itself when edist asks for a
 * dynamic name. */
#define HS_EDIST_FLAGS (DFLAG_DIST_MANDATORY | DFLAG_MANDATORY_25_DIGEST)

/* ---------------------------------------------------------------------
 * Names, for people
 * ------------------------------------------------------------------- */

/* The name of a single flag without the DFLAG_ prefix ("V4_NC"), as
 * dist_util:dflag2str/1 spells it, or NULL if `flag` is not exactly one
 * known bit (DFLAG_RESERVED's bits have no name). */
const char *hs_flag_name(uint64_t flag);

/* Writes `flags` as names joined by '|' ("EXTENDED_REFERENCES|FUN_TAGS"),
 * lowest bit first; a bit without a name is written "bit 45"; no flags
 * give "none". Like snprintf: writes at most `size` bytes including the
 * NUL, returns the length the whole text needs (not counting the NUL). */
size_t hs_flags_format(uint64_t flags, char *buf, size_t size);

#endif

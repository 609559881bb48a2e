/*
 * channel.h -- the message layer of one connection: the distribution
 * header, the atom cache and fragmented messages, sans I/O.
 *
 * Where this sits
 * ---------------
 * After the handshake (handshake/hs.h) a connection carries packets, each
 * behind a 4-byte big-endian length; dist_reader (dist/dist.h) cuts the
 * byte stream into them and a packet of length 0 is a tick. This layer
 * takes one packet that is not a tick and gives back the message in it, or
 * builds the packet(s) of a message to send. It owns no socket: it is fed
 * bytes and returns terms, and is given terms and appends bytes, so that
 * the same code runs over TCP, TLS, a test vector or a fuzzer.
 *
 * A message is a control tuple, whose first element is the operation
 * (DOP_SEND, DOP_REG_SEND...), and for some operations a payload term.
 *
 * The framings (protocol.md section 4)
 * ------------------------------------
 * Which one a connection uses follows from the flags the handshake agreed
 * (hs_result.flags), the same for both directions:
 *
 *   neither DFLAG_DIST_HDR_ATOM_CACHE nor DFLAG_FRAGMENTS: pass-through,
 *
 *       112 | 131 Control | [131 Payload]
 *
 *   either of them: a distribution header, and terms without their 131,
 *
 *       131 | 68 | AtomCacheRefs | Control | [Payload]          (whole)
 *       131 | 69 | SequenceId:8 | FragmentId:8 | AtomCacheRefs |
 *             Control | [start of Payload]                    (first part)
 *       131 | 70 | SequenceId:8 | FragmentId:8 | more Payload  (the rest)
 *
 * 68, 69 and 70 are OTP's DIST_HEADER, DIST_FRAG_HEADER and
 * DIST_FRAG_CONT (erts/emulator/beam/external.h).
 *
 * The atom cache. Each direction of a connection has a cache of
 * DIST_ATOM_CACHE_SIZE atoms (8 segments of 256). A header lists the
 * atoms its terms use, each either with its text (a new entry: "store it
 * in slot S") or as a bare slot number (an entry stored by an earlier
 * message); inside the terms an atom is then ATOM_CACHE_REF (82) and an
 * index into that list. A node sends the text of an atom once and one
 * byte afterwards. AtomCacheRefs, byte by byte:
 *
 *   N                       NumberOfAtomCacheRefs, 0..255; if 0, nothing
 *                           else follows
 *   Flags: N/2+1 bytes      one half-byte per ref, ref i in byte i/2,
 *                           even i in the low half, odd i in the high:
 *                           bit 3 NewCacheEntryFlag, bits 0-2
 *                           SegmentIndex; then one more half-byte (high
 *                           half of the last byte if N is odd, low half
 *                           of the extra byte if N is even) whose bit 0
 *                           is LongAtoms: the lengths below are 2 bytes,
 *                           not 1
 *   for each ref, in order: InternalSegmentIndex:1, and for a new entry
 *                           Length:1 or 2 | AtomText (UTF-8 once
 *                           DFLAG_UTF8_ATOMS is agreed, which every
 *                           release since OTP 21 insists on)
 *
 * The slot is SegmentIndex * 256 + InternalSegmentIndex. The details are
 * in dist/atom_cache.c.
 *
 * Fragments. With DFLAG_FRAGMENTS, a large message goes as a first
 * fragment (69) with the header, the whole control message and the start
 * of the payload, then continuations (70) with the rest, 64 KiB of the
 * message's bytes in each (DIST_FRAGMENT_SIZE). FragmentId
 * counts down: the first fragment carries the number of fragments, the
 * last 1. SequenceId tells apart the messages in flight on one connection
 * (erts uses the sending process's pid), and fragments of different
 * sequences may interleave. The details are in dist/fragments.c.
 *
 * What edist sends: pass-through when neither flag was agreed, else a
 * header with the message's atoms as atom-cache refs (with
 * DFLAG_DIST_HDR_ATOM_CACHE: dist/atom_cache_send.c; bench/README.md
 * says what that is worth) or none (131, 68, 0), and fragments of
 * DIST_FRAGMENT_SIZE when DFLAG_FRAGMENTS was agreed and the message is
 * larger than that. It receives everything above.
 *
 * Memory
 * ------
 * A dist_channel is a plain struct (about 70 KB: the receive and send
 * caches are 2048 slots each) that the caller allocates or embeds and
 * frees with dist_channel_release. The channel allocates the atom names
 * in its caches (at most 2048 atoms of 1020 bytes each way), the
 * messages not complete yet (bounded by dist_frag_table's limits), and
 * scratch space for the atoms of the last first fragment and for a
 * header it sends. Terms that dist_channel_recv returns live
 * in the caller's arena; a message it sends is written, and cut into
 * fragments, in the caller's buffer. No global state: one channel per
 * connection.
 *
 * Large messages without copies. A reassembled message's buffer becomes
 * the caller's arena's memory when the message is complete (the arena
 * gives it back to frags.pool, or free, with the terms). A caller that
 * reads the socket itself may also have the body of each fragment, the
 * first included, received straight into that buffer
 * (dist_channel_place), so that the bytes of a large message are written
 * once, by the kernel, and never copied by edist.
 *
 * Errors
 * ------
 * Functions return 0 (or 1) on success and -1 on failure, with a
 * dist_error: DIST_ERR_PROTOCOL for bytes that break the protocol, with
 * the rule and the byte offset; DIST_ERR_NOMEM; DIST_ERR_USAGE for a
 * caller's mistake. A protocol error means the connection must be closed,
 * as erts does ("corrupted distribution header"); the channel stays safe
 * to use and to release, but what it holds no longer matters.
 */
#ifndef EDIST_DIST_CHANNEL_H
#define EDIST_DIST_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "etf/etf.h"

/* ---------------------------------------------------------------------
 * Constants, with OTP's names where OTP has one
 * ------------------------------------------------------------------- */

/* The byte after VERSION_MAGIC (131) at the start of a packet. */
#define DIST_HEADER      68 /* 'D': a whole message */
#define DIST_FRAG_HEADER 69 /* 'E': the first fragment of a message */
#define DIST_FRAG_CONT   70 /* 'F': a further fragment */

/* The atom cache: 8 segments of 256 slots, per connection and direction
 * (ERTS_ATOM_CACHE_SIZE). */
#define DIST_ATOM_CACHE_SIZE     2048
#define DIST_ATOM_CACHE_SEGMENTS 8

/* The most refs one header can list: NumberOfAtomCacheRefs is one byte
 * (erts sends at most ERTS_MAX_INTERNAL_ATOM_CACHE_ENTRIES = 255). */
#define DIST_MAX_ATOM_CACHE_REFS 255

/* The bytes of a message (control and payload, the header aside) that erts
 * puts in one fragment (ERTS_DIST_FRAGMENT_SIZE); edist does the same. */
#define DIST_FRAGMENT_SIZE (64 * 1024)

/* 131, 69 or 70, SequenceId, FragmentId (ERTS_DIST_FRAGMENT_HEADER_SIZE). */
#define DIST_FRAGMENT_HEADER_SIZE (1 + 1 + 8 + 8)

/* Default bound on the messages being reassembled at once. */
#define DIST_DEFAULT_MAX_SEQUENCES 256

/* ---------------------------------------------------------------------
 * The channel
 * ------------------------------------------------------------------- */

/* One slot of the receive atom cache: an atom's UTF-8 text, or nothing. */
typedef struct dist_atom_slot {
    char *name;       /* malloc'ed, cap bytes; NULL: the slot is empty */
    uint16_t len;     /* bytes of text (at most ETF_MAX_ATOM_BYTES) */
    uint16_t cap;
} dist_atom_slot;

/* The atoms the peer has told us to keep. Start it as {0} (all empty). */
typedef struct dist_atom_cache {
    dist_atom_slot slot[DIST_ATOM_CACHE_SIZE];
} dist_atom_cache;

/* The send atom cache (atom_cache_send.c): the atoms we told the peer to
 * keep, slot by slot, and the refs of the message being encoded. */
typedef struct dist_atom_out {
    dist_atom_slot slot[DIST_ATOM_CACHE_SIZE];
    int16_t ref_of[DIST_ATOM_CACHE_SIZE]; /* this message: the ref that
                                             uses slot s, or -1 */
    uint16_t used[DIST_MAX_ATOM_CACHE_REFS]; /* ref i's slot */
    uint8_t fresh[DIST_MAX_ATOM_CACHE_REFS]; /* ref i is a new entry */
    const char *seen[DIST_MAX_ATOM_CACHE_REFS]; /* the text the walk saw
                                                   for ref i (the term's) */
    size_t n;                                /* refs of this message */
} dist_atom_out;

/* Terms of a message that dist_atom_out_collect looks at for atoms. */
#define DIST_ATOM_WALK 1024

/* A message whose fragments are arriving. */
typedef struct dist_frag_seq {
    uint64_t seq_id;
    uint64_t next_id;      /* the FragmentId the next fragment must carry */
    etf_atom *refs;        /* the atoms of the first fragment's header:
                              nrefs of them, their names behind them in
                              the same malloc'ed block; NULL if none */
    size_t nrefs;
    uint8_t *data;         /* control and payload bytes so far (malloc) */
    size_t len, cap;
    size_t counted;        /* what this sequence adds to `buffered` */
} dist_frag_seq;

/* The messages being reassembled on a channel. The limits are fields a
 * caller may change after dist_channel_init, before the first packet. */
typedef struct dist_frag_table {
    dist_frag_seq **seq;   /* n of them (malloc), in no order */
    size_t n, cap;
    size_t buffered;       /* bytes held by all of them (buffers allocated
                              and atom names) */
    size_t max_sequences;  /* messages in progress at once; default
                              DIST_DEFAULT_MAX_SEQUENCES */
    size_t max_message;    /* bytes of one reassembled message (control
                              and payload); default DIST_DEFAULT_MAX_PACKET */
    size_t max_buffered;   /* bytes held for all of them together; default
                              DIST_DEFAULT_MAX_PACKET */
    struct dist_pool *pool; /* where the sequences' buffers come from and
                              go back to (dist/pool.h); NULL, the
                              default: malloc and free */
} dist_frag_table;

/* The message layer of one connection. Treat the fields as private,
 * except frags.max_* and frags.pool (see dist_frag_table). */
typedef struct dist_channel {
    uint64_t flags;            /* agreed in the handshake */
    dist_atom_cache in_cache;  /* what the peer stored for its messages */
    dist_atom_out out_cache;   /* what we told the peer to store */
    etf_buf head;              /* send: scratch for a header's bytes */
    int plain_atoms;           /* send: no atom-cache refs, even with
                                  DFLAG_DIST_HDR_ATOM_CACHE (a caller may
                                  set it after dist_channel_init) */
    dist_frag_table frags;     /* its fragmented messages in progress */
    etf_arena names;           /* recv: a first fragment's atoms, until
                                  dist_frag_keep_refs copies them */
    dist_frag_seq *placing;    /* dist_channel_place: the sequence whose
                                  buffer receives the next packet's body */
    int placing_first;         /* ...opened for it: a first fragment */
    size_t placing_len;        /* and how many bytes of it */
} dist_channel;

/* Starts a channel for a connection whose handshake agreed `flags`
 * (hs_result.flags): DFLAG_DIST_HDR_ATOM_CACHE and DFLAG_FRAGMENTS decide
 * the framing, DFLAG_UTF8_ATOMS the text of cached atoms. The limits of
 * ch->frags get their defaults. Returns 0 (this cannot fail today; err is
 * there for the day it can). */
int dist_channel_init(dist_channel *ch, uint64_t flags, dist_error *err);

/* Frees what the channel holds (cached atoms, partial messages, scratch).
 * The channel may be started again with dist_channel_init. */
void dist_channel_release(dist_channel *ch);

/* Receives one packet: `pkt` holds its `len` bytes, without the 4-byte
 * length; len 0 (a tick) is not a message and gives DIST_ERR_USAGE.
 * Accepts the framing the agreed flags imply: pass-through; a 131,68
 * header, whose new atom-cache entries update the channel's receive cache
 * and whose cached ones are looked up there; a 131,69 first fragment or
 * 131,70 continuation.
 *
 * Returns 1 with *out a whole message: a control tuple whose first element
 * is an integer, and the payload if there is one. Returns 0 when the
 * packet was a fragment of a message that is not complete yet (*out is
 * untouched). Returns -1 on error: DIST_ERR_PROTOCOL, with the rule broken
 * and the byte offset (in the packet, or in the reassembled message), or
 * DIST_ERR_NOMEM.
 *
 * The terms are allocated in `a`. They may point into pkt (pass-through,
 * 131,68, and a message that fits in one 131,69: dist_channel_copies
 * says which) or into the buffer of a reassembled message, which `a`
 * takes over (etf_arena_adopt) and gives back with the terms: keep pkt
 * alive and unchanged as long as the terms. Atoms that came through the
 * atom cache are copied into `a`, so the message stays valid whatever
 * later packets do to the cache.
 * The bytes of a partial message are copied into the channel, so pkt may
 * go once this returns 0. */
int dist_channel_recv(dist_channel *ch, const uint8_t *pkt, size_t len,
                      etf_arena *a, dist_msg *out, dist_error *err);

/* Direct placement: where the body of a large packet may be received,
 * so that its bytes go from the socket to their final place with no copy
 * in between. A caller with a packet under way (its first `have` bytes
 * in `head`, `total` in all; dist_reader_pending) asks; for a
 * packet with at least DIST_PLACE_MIN bytes of message after its header,
 * either
 *   - a continuation fragment (131,70) of a sequence in progress, with
 *     the FragmentId due: the channel makes room at the end of the
 *     sequence's buffer (*keep = DIST_FRAGMENT_HEADER_SIZE), or
 *   - a first fragment (131,69) of several, for a SequenceId not in
 *     progress, whose header (the atom-cache refs included) is all in
 *     `head`: the channel opens the sequence, with a buffer, at once
 *     (*keep = the header's length),
 * (within the limits of dist_frag_table) it returns 1: the bytes from
 * offset *keep on belong at *dst, which has room for total - *keep. The
 * caller puts them there (dist_reader_divert) and,
 * once the packet is complete, passes its first *keep bytes to
 * dist_channel_recv_placed, before any other packet. Returns 0 for
 * every other packet, which then arrives whole as usual, errors
 * included: this call never fails, it only declines. */
int dist_channel_place(dist_channel *ch, const uint8_t *head, size_t have,
                       size_t total, size_t *keep, uint8_t **dst);

/* What should follow the packet being placed (dist_channel_place), so
 * that one read can take several fragments of a large message: erts
 * cuts a message into DIST_FRAGMENT_SIZE pieces, so every continuation
 * but the last is a packet of exactly DIST_AHEAD_PACKET bytes (its
 * 4-byte length, 131, 70, SequenceId, FragmentId, then the piece).
 * Returns how many such full continuations (at most max) come next
 * and fit in the room the message's buffer already has, and sets *seq
 * to their SequenceId, *id to the first one's FragmentId (the others
 * count down from it) and *dst to where its piece goes (the others
 * follow, DIST_FRAGMENT_SIZE apart). Returns 0 when nothing is being
 * placed, or none would fit. A prediction only: each packet must still
 * come through dist_channel_place and dist_channel_recv_placed, which
 * then give these same places; one that differs goes the usual way. */
#define DIST_AHEAD_PACKET (4 + DIST_FRAGMENT_HEADER_SIZE + DIST_FRAGMENT_SIZE)
size_t dist_channel_ahead(const dist_channel *ch, size_t max, uint64_t *seq,
                          uint64_t *id, uint8_t **dst);

/* The first bytes of such a continuation: its 4-byte length, 131, 70,
 * SequenceId `seq` and FragmentId `id`. A packet that starts with other
 * bytes is not the one predicted (erts interleaves the fragments of
 * messages that several processes send at once). */
#define DIST_AHEAD_HEADER (4 + DIST_FRAGMENT_HEADER_SIZE)
void dist_channel_ahead_header(uint8_t out[DIST_AHEAD_HEADER], uint64_t seq,
                               uint64_t id);

/* dist_channel_recv for a packet placed by dist_channel_place: pkt and
 * len are its first bytes, `placed` how many more went to the place the
 * channel gave. Checks the header as dist_channel_recv does. placed 0 is
 * dist_channel_recv itself; any other placed that does not answer the
 * last dist_channel_place gives DIST_ERR_USAGE. A sequence that
 * dist_channel_place opened for a first fragment is dropped again if the
 * call that follows is not for that fragment. */
int dist_channel_recv_placed(dist_channel *ch, const uint8_t *pkt,
                             size_t len, size_t placed, etf_arena *a,
                             dist_msg *out, dist_error *err);

/* The smallest body dist_channel_place places: below, a copy costs less
 * than setting one up. */
#define DIST_PLACE_MIN 4096

/* Whether dist_channel_recv keeps its own copy of this packet's bytes:
 * 1 for a piece of a message in several fragments (131,70, or 131,69
 * with a FragmentId other than 1), whose bytes go to the fragment table;
 * 0 for every other packet, whose terms would point into pkt, so that a
 * caller whose packet buffer moves on must pass a copy. Looks at the
 * framing bytes only; dist_channel_recv checks the packet. */
int dist_channel_copies(const dist_channel *ch, const uint8_t *pkt,
                        size_t len);

/* Sends one message: appends its whole packet(s) to `out`, each with its
 * 4-byte length: pass-through when neither DFLAG_DIST_HDR_ATOM_CACHE nor
 * DFLAG_FRAGMENTS was agreed, else a 131,68 header with no atom-cache refs
 * (131,68,0); and when DFLAG_FRAGMENTS was agreed and there is a payload
 * and the message (control + payload) is larger than DIST_FRAGMENT_SIZE,
 * the packets of a 131,69 first fragment and 131,70 continuations, cut
 * as OTP 25 to 29 cut theirs: the message's bytes in pieces of
 * DIST_FRAGMENT_SIZE, the first piece (which holds the whole control
 * message) behind the first fragment's header, FragmentId counting down
 * to 1. `payload` may be NULL.
 *
 * `seq_id` identifies the sending process (erts uses its pid; edist may
 * use the pid's number): the peer reassembles by it, so two messages
 * being sent at once must have different ones. It is only used for a
 * fragmented message, where it must not be 0 (erts takes SequenceId 0 as
 * "not fragmented").
 *
 * Returns 0, or -1 with out unchanged: DIST_ERR_USAGE for a term that
 * cannot be encoded, seq_id 0 for a fragmented message, or a packet over
 * the 4-byte length's 4 GiB (a length is never truncated);
 * DIST_ERR_NOMEM. */
int dist_channel_send(dist_channel *ch, const etf_term *control,
                      const etf_term *payload, uint64_t seq_id,
                      etf_buf *out, dist_error *err);

/* ---------------------------------------------------------------------
 * The layers below, for the channel and its tests
 * ------------------------------------------------------------------- */

/* The AtomCacheRefs part of a header, from pkt[*pos] (the byte
 * NumberOfAtomCacheRefs) on: stores the new entries in `cache` and looks
 * the others up there, in header order (so a ref may use a slot that an
 * earlier ref of the same header filled). On success *pos is past the
 * part, and *refs (*nrefs entries, allocated in `names`, NULL if there
 * are none) holds the atoms the terms' ATOM_CACHE_REF indexes stand for;
 * their names are copies in `names`, not pointers into the cache or pkt.
 * `flags` are the agreed ones: with DFLAG_UTF8_ATOMS the texts must be
 * valid UTF-8 of at most 255 characters, without it they are Latin-1
 * and converted to UTF-8. Returns 0, or -1: DIST_ERR_PROTOCOL (a length
 * past the packet, a cached ref to an empty slot, bad text: offsets are
 * pkt's) or DIST_ERR_NOMEM. */
int dist_atom_cache_read(dist_atom_cache *cache, uint64_t flags,
                         const uint8_t *pkt, size_t len, size_t *pos,
                         etf_arena *names, const etf_atom **refs,
                         size_t *nrefs, dist_error *err);

/* Empties every slot and frees the names. */
void dist_atom_cache_release(dist_atom_cache *cache);

/* Puts `len` bytes of atom text into a slot of either cache, growing its
 * buffer if needed. Returns 0, or -1 (DIST_ERR_NOMEM; the slot is as it
 * was). */
int dist_atom_slot_store(dist_atom_slot *slot, const void *text, size_t len,
                         dist_error *err);

/* Where the AtomCacheRefs part that starts at pkt[pos] ends, without
 * reading it into a cache: 1 with *end if all of it is within the len
 * bytes of pkt, 0 if not (cut short, or malformed: dist_atom_cache_read
 * says which). For dist_channel_place, which must know where a first
 * fragment's header ends before the packet is complete. */
int dist_atom_cache_span(const uint8_t *pkt, size_t len, size_t pos,
                         size_t *end);

/* The send atom cache, around the encoding of each message (the steps
 * are explained at the top of atom_cache_send.c). init: empty, as the
 * peer's receive cache starts; release: frees the names. collect: gives
 * the atoms of t (a control message or a payload; NULL: none) refs of
 * this message. index: for etf_atom_index, with the cache as arg.
 * header_len / header: the AtomCacheRefs part of the header, from
 * NumberOfAtomCacheRefs on (1 byte, 0, when there are no refs). done:
 * ends the message; sent 0 forgets the new entries it made. */
void dist_atom_out_init(dist_atom_out *c);
void dist_atom_out_release(dist_atom_out *c);
void dist_atom_out_collect(dist_atom_out *c, const etf_term *t);
int dist_atom_out_index(void *arg, const char *name, size_t len);
size_t dist_atom_out_header_len(const dist_atom_out *c);
void dist_atom_out_header(const dist_atom_out *c, uint8_t *dst);
void dist_atom_out_done(dist_atom_out *c, int sent);

/* Sets the limits to their defaults; the table holds nothing. */
void dist_frag_init(dist_frag_table *t);

/* The sequence in progress with this id, or NULL. */
dist_frag_seq *dist_frag_find(const dist_frag_table *t, uint64_t seq_id);

/* A first fragment (131,69) announcing `count` fragments, count > 1:
 * opens its sequence, to which dist_frag_keep_refs then gives the
 * header's atoms and dist_frag_append the bytes. Returns 0 with *out, or
 * -1: DIST_ERR_PROTOCOL if the id is in progress already or
 * max_sequences are, DIST_ERR_NOMEM. */
int dist_frag_open(dist_frag_table *t, uint64_t seq_id, uint64_t count,
                   dist_frag_seq **out, dist_error *err);

/* Copies the atoms of the first fragment's header (as dist_atom_cache_read
 * gave them) into s, counted against max_buffered. Returns 0, or -1:
 * DIST_ERR_PROTOCOL over the limit, DIST_ERR_NOMEM. */
int dist_frag_keep_refs(dist_frag_table *t, dist_frag_seq *s,
                        const etf_atom *refs, size_t nrefs,
                        dist_error *err);

/* Makes room in s's buffer for n more bytes of message, growing it by
 * the rules of dist/fragments.c. Returns 0, or -1: DIST_ERR_PROTOCOL when
 * the message would pass max_message or all sequences max_buffered,
 * DIST_ERR_NOMEM. */
int dist_frag_reserve(dist_frag_table *t, dist_frag_seq *s, size_t n,
                      dist_error *err);

/* Adds n bytes of message to s (dist_frag_reserve, then a copy). Returns
 * 0, or -1 as dist_frag_reserve. */
int dist_frag_append(dist_frag_table *t, dist_frag_seq *s,
                     const uint8_t *p, size_t n, dist_error *err);

/* Removes s from the table and frees it. */
void dist_frag_drop(dist_frag_table *t, dist_frag_seq *s);

/* Drops every sequence and frees the table (limits are kept). */
void dist_frag_release(dist_frag_table *t);

#endif

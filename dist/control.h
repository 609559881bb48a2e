/*
 * control.h -- control messages: what each message between two nodes
 * means, as typed values.
 *
 * Once the handshake is done, every non-tick packet on a distribution
 * connection carries one signal between processes: a message sent, a
 * link made or broken, a monitor, an exit signal, a spawn request. The
 * packet holds one or two terms (dist.h cuts them out of the bytes):
 *
 *     Control            a tuple {Op, ...} whose first element, an
 *                        integer, is the operation (DOP_*), and whose
 *                        other elements are the operation's fields
 *     [Payload]          a second term for some operations: the message
 *                        of a send, the exit reason of a PAYLOAD_ exit,
 *                        the argument list of a spawn request
 *
 * This file names every operation with OTP's name and value (erts's
 * dist.h), turns a received control tuple into a dist_ctl after checking
 * it the way erts checks it (dist.c, erts_net_message), builds the tuple
 * back from a dist_ctl, and prints one in a line for people.
 *
 * The rule on the receiving side is harsh: a tuple of the wrong size, a
 * field of the wrong type or an unknown operation is an "invalid
 * distribution message", and erts logs it and kills the connection. So
 * edist checks what it receives as erts does, and checks what it builds
 * before sending it.
 *
 * The operations, with their fields (see also erl_dist_protocol.md):
 *
 *   op  name                    control tuple                       payload
 *    1  LINK                    {1, FromPid, ToPid}                 -
 *    2  SEND                    {2, Unused, ToPid}                  Message
 *    3  EXIT                    {3, FromPid, ToPid, Reason}         -
 *    4  UNLINK                  {4, FromPid, ToPid}   refused since OTP 26
 *    5  NODE_LINK               {5}                   gone long ago
 *    6  REG_SEND                {6, FromPid, Unused, ToName}        Message
 *    7  GROUP_LEADER            {7, FromPid, ToPid}                 -
 *    8  EXIT2                   {8, FromPid, ToPid, Reason}         -
 *   12  SEND_TT                 {12, Unused, ToPid, Token}          Message
 *   13  EXIT_TT                 {13, FromPid, ToPid, Token, Reason} -
 *   16  REG_SEND_TT             {16, FromPid, Unused, ToName, Token} Message
 *   18  EXIT2_TT                {18, FromPid, ToPid, Token, Reason} -
 *   19  MONITOR_P               {19, FromPid, ToProc, Ref}          -
 *   20  DEMONITOR_P             {20, FromPid, ToProc, Ref}          -
 *   21  MONITOR_P_EXIT          {21, FromProc, ToPid, Ref, Reason}  -
 *   22  SEND_SENDER             {22, FromPid, ToPid}                Message
 *   23  SEND_SENDER_TT          {23, FromPid, ToPid, Token}         Message
 *   24  PAYLOAD_EXIT            {24, FromPid, ToPid}                Reason
 *   25  PAYLOAD_EXIT_TT         {25, FromPid, ToPid, Token}         Reason
 *   26  PAYLOAD_EXIT2           {26, FromPid, ToPid}                Reason
 *   27  PAYLOAD_EXIT2_TT        {27, FromPid, ToPid, Token}         Reason
 *   28  PAYLOAD_MONITOR_P_EXIT  {28, FromProc, ToPid, Ref}          Reason
 *   29  SPAWN_REQUEST           {29, ReqId, From, GroupLeader, {M, F, A},
 *                                OptList}                           ArgList
 *   30  SPAWN_REQUEST_TT        {30, ReqId, From, GroupLeader, {M, F, A},
 *                                OptList, Token}                    ArgList
 *   31  SPAWN_REPLY             {31, ReqId, To, Flags, Result}      -
 *   32  SPAWN_REPLY_TT          {32, ReqId, To, Flags, Result, Token} -
 *   33  ALIAS_SEND              {33, FromPid, Alias}                Message
 *   34  ALIAS_SEND_TT           {34, FromPid, Alias, Token}         Message
 *   35  UNLINK_ID               {35, Id, FromPid, ToPid}            -
 *   36  UNLINK_ID_ACK           {36, Id, FromPid, ToPid}            -
 *   37  ALTACT_SIG_SEND         {37, Flags, SenderPid, To[, Token]} Message
 *                                                             or Reason
 *
 * The _TT forms carry a seq_trace token (seq_trace:set_token/2 in the
 * sender); the PAYLOAD_ forms (DFLAG_EXIT_PAYLOAD) put the exit reason in
 * the payload rather than in the tuple; SEND_SENDER (DFLAG_SEND_SENDER)
 * replaces SEND's unused "cookie" slot with the sender. Which forms a
 * node sends depends on the flags agreed in the handshake.
 *
 * Memory: a decoded dist_ctl points into the control term it came from
 * (nothing is copied); keep that term, and so its arena and packet, for
 * as long as the dist_ctl. dist_ctl_encode allocates the tuple in the
 * arena it is given; the tuple points at the terms of the dist_ctl.
 */
#ifndef EDIST_DIST_CONTROL_H
#define EDIST_DIST_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "etf/etf.h"

/* ---------------------------------------------------------------------
 * Operations: enum dop of OTP's erts/emulator/beam/dist.h, same names
 * and values.
 * ------------------------------------------------------------------- */

#define DOP_LINK                    1
#define DOP_SEND                    2
#define DOP_EXIT                    3
#define DOP_UNLINK                  4  /* refused by OTP 26 and later */
#define DOP_NODE_LINK               5  /* "ancient", no longer in dist.h */
#define DOP_REG_SEND                6
#define DOP_GROUP_LEADER            7
#define DOP_EXIT2                   8
#define DOP_SEND_TT                12
#define DOP_EXIT_TT                13
#define DOP_REG_SEND_TT            16
#define DOP_EXIT2_TT               18
#define DOP_MONITOR_P              19
#define DOP_DEMONITOR_P            20
#define DOP_MONITOR_P_EXIT         21
#define DOP_SEND_SENDER            22
#define DOP_SEND_SENDER_TT         23
#define DOP_PAYLOAD_EXIT           24
#define DOP_PAYLOAD_EXIT_TT        25
#define DOP_PAYLOAD_EXIT2          26
#define DOP_PAYLOAD_EXIT2_TT       27
#define DOP_PAYLOAD_MONITOR_P_EXIT 28
#define DOP_SPAWN_REQUEST          29
#define DOP_SPAWN_REQUEST_TT       30
#define DOP_SPAWN_REPLY            31
#define DOP_SPAWN_REPLY_TT         32
#define DOP_ALIAS_SEND             33  /* deprecated in OTP 28 */
#define DOP_ALIAS_SEND_TT          34
#define DOP_UNLINK_ID              35
#define DOP_UNLINK_ID_ACK          36
#define DOP_ALTACT_SIG_SEND        37  /* OTP 28 */

/* The largest operation value edist knows. */
#define DOP_MAX DOP_ALTACT_SIG_SEND

/* SPAWN_REPLY's Flags: what the new process set up for the requester. */
#define ERTS_DIST_SPAWN_FLAG_LINK     (1 << 0)
#define ERTS_DIST_SPAWN_FLAG_MONITOR  (1 << 1)

/* ALTACT_SIG_SEND's Flags (OTP's names). To is a pid unless ALIAS (a
 * reference) or NAME (an atom) says otherwise; the payload is a message
 * unless EXIT makes the signal an exit signal with the payload as its
 * reason. Receivers ignore the bits they do not know. */
#define ERTS_DOP_ALTACT_SIG_FLG_PRIO  (1 << 0) /* a priority signal */
#define ERTS_DOP_ALTACT_SIG_FLG_TOKEN (1 << 1) /* Token after To */
#define ERTS_DOP_ALTACT_SIG_FLG_ALIAS (1 << 2) /* To is an alias (ref) */
#define ERTS_DOP_ALTACT_SIG_FLG_NAME  (1 << 3) /* To is a registered name */
#define ERTS_DOP_ALTACT_SIG_FLG_EXIT  (1 << 4) /* an exit signal */

/* The operation's name without DOP_ ("SEND", "REG_SEND"...), or NULL for
 * a value that names no operation. UNLINK and NODE_LINK have names
 * although erts refuses them. */
const char *dist_op_name(int op);

/* Whether a payload term follows the operation's control tuple: 1 yes,
 * 0 no, -1 for an operation erts does not accept (unknown, UNLINK,
 * NODE_LINK). */
int dist_op_payload(int op);

/* ---------------------------------------------------------------------
 * A control message, typed
 * ------------------------------------------------------------------- */

/* The fields of every operation side by side; each operation uses some
 * of them (the table at the top of this file). Fields an operation does
 * not use are zero: terms of type 0. */
typedef struct dist_ctl {
    int op;                /* DOP_* */
    /* The sender or source: FromPid, SenderPid, SPAWN_*'s From; for
     * MONITOR_P_EXIT the monitored process (FromProc: a pid, or the
     * atom it was monitored by); for GROUP_LEADER the new group leader.
     * Type 0 for SEND, whose slot is unused. */
    etf_term from;
    /* The receiver: ToPid; ToName (an atom) for REG_SEND; ToProc (pid or
     * atom) for MONITOR_P and DEMONITOR_P; the Alias (a reference) for
     * ALIAS_SEND; a pid, reference or atom for ALTACT_SIG_SEND as its
     * flags say; SPAWN_REPLY's To. */
    etf_term to;
    /* The monitor's reference (MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT,
     * PAYLOAD_MONITOR_P_EXIT), or the request's ReqId (SPAWN_*). */
    etf_term ref;
    /* The exit reason inside the tuple: EXIT, EXIT2, their _TT forms and
     * MONITOR_P_EXIT (the PAYLOAD_ forms carry it in the payload). */
    etf_term reason;
    /* The seq_trace token: set for the _TT forms and for ALTACT_SIG_SEND
     * with ERTS_DOP_ALTACT_SIG_FLG_TOKEN. dist_ctl_encode goes by op and
     * the flags, and does not read has_token. */
    int has_token;
    etf_term token;
    /* UNLINK_ID, UNLINK_ID_ACK: the unlink operation's Id, 1..2^64-1
     * (erts lets 0 through in an ack). */
    uint64_t id;
    /* SPAWN_REQUEST(_TT): the new process's group leader, its initial
     * call Module:Function/Arity (arity 0..255; the arguments are the
     * payload) and the spawn options (a proper list, as given to
     * erlang:spawn_opt). */
    etf_term group_leader;
    etf_atom module, function;
    unsigned arity;
    etf_term opts;
    /* SPAWN_REPLY(_TT): ERTS_DIST_SPAWN_FLAG_* (below 2^27, as erts
     * requires) and the Result: the new pid, or an error atom (badopt,
     * system_limit...). */
    unsigned spawn_flags;
    etf_term result;
    /* ALTACT_SIG_SEND: ERTS_DOP_ALTACT_SIG_FLG_*. Unknown bits are kept;
     * of a flags value wider than 64 bits (a bignum, allowed for future
     * use) the low 64 bits are kept. */
    uint64_t altact_flags;
    /* Whether a payload term goes with the message (dist_op_payload). Set
     * by dist_ctl_decode; dist_ctl_encode does not read it. */
    int has_payload;
} dist_ctl;

/* Reads a received control tuple (dist_msg.control, with
 * dist_msg.has_payload) into *out, checking what erts checks before it
 * acts on a message (erts_net_message in dist.c):
 *
 *   - the operation is one erts accepts: not an unknown value, nor
 *     NODE_LINK, nor UNLINK (OTP 26 and later kill the connection for
 *     it; OTP 25 still took it);
 *   - the tuple has the operation's size, with the _TT form's size for
 *     the _TT operations (ALTACT_SIG_SEND: at least 4 elements, or 5 with
 *     the TOKEN flag; larger tuples are accepted and the extra elements
 *     ignored, as erts promises for future extensions);
 *   - each field has the type erts requires: pids where pids are
 *     required, an atom name, references, SPAWN_REPLY flags below 2^27,
 *     an UNLINK_ID Id that is a non-zero integer of at most 64 bits
 *     (UNLINK_ID_ACK: any such integer, 0 too, as erts), a non-negative
 *     ALTACT_SIG_SEND flags integer of any size whose ALIAS and NAME bits
 *     agree with To;
 *   - a payload follows exactly when the operation has one.
 *
 * Three rules are stricter than erts, which a sender should not rely on
 * anyway (each checked against an OTP 29 node): erts answers a
 * SPAWN_REQUEST whose OptList is not a proper list with a SPAWN_REPLY
 * badopt, and spawns for an MFA arity outside 0..255 (it is only the
 * initial call's label); edist refuses both, as the BEAM has no function
 * of more than 255 arguments. And erts ignores a payload after an
 * operation that has none (it kills the connection when one is missing);
 * edist refuses both.
 *
 * What it cannot check without the connection is left to the caller:
 * erts also wants FromPid to be a pid of the sending node (for LINK,
 * EXIT, UNLINK_ID, MONITOR_P...), ToPid and SPAWN_REPLY's ReqId its own.
 *
 * Returns 0, or -1 with DIST_ERR_PROTOCOL and a message that names the
 * operation and what is wrong ("MONITOR_P: ToProc, the monitored
 * process, is a tuple, not a pid or an atom"). Terms in *out point into
 * *control. */
int dist_ctl_decode(const etf_term *control, int has_payload, dist_ctl *out,
                    dist_error *err);

/* Builds the control tuple of *c in `a` (the inverse of dist_ctl_decode;
 * SEND's and REG_SEND's unused slots get the atom '' as erts sends them)
 * and checks it as dist_ctl_decode would, so that nothing erts would
 * refuse leaves edist. The payload, if the operation has one, is the
 * caller's to send with it (dist_send). Returns 0, or -1 with
 * DIST_ERR_PROTOCOL for an operation or fields that do not make a valid
 * message (DIST_ERR_NOMEM if `a` is out of memory). */
int dist_ctl_encode(const dist_ctl *c, etf_arena *a, etf_term *control,
                    dist_error *err);

/* Writes *c as one line for people (the -v trace, `edist node`), e.g.
 *
 *   REG_SEND from <'n29@127.0.0.1'.88.0> to edist_name
 *   MONITOR_P_EXIT from victim to <'edist@127.0.0.1'.1.0>
 *       ref #Ref<'edist@127.0.0.1'.8620500.0.4> reason {shutdown,test}
 *   SPAWN_REPLY req #Ref<'edist@127.0.0.1'.8499800.0.8>
 *       to <'edist@127.0.0.1'.1.0> flags link|monitor
 *       result <'n25@127.0.0.1'.95.0>
 *
 * (one line each). Terms are in Erlang syntax; a term longer than 120
 * bytes is cut and ends in "...". Pids, ports and references show their
 * node's name: a message goes between two nodes, and both appear. The
 * payload is not part of the line.
 *
 * snprintf's contract: writes at most outlen bytes including a NUL (a
 * cut never splits a UTF-8 character) and returns the length of the
 * whole line, so a return >= outlen means it was cut. out may be NULL
 * when outlen is 0. */
size_t dist_ctl_format(const dist_ctl *c, char *out, size_t outlen);

/* The same with the printer's options: po->format (Erlang, Elixir, JSON)
 * and po->home_node, whose pids, ports and references show node 0 as that
 * node itself prints them (NULL there: all of them); the width is
 * ignored, the line is one line. */
size_t dist_ctl_format_opts(const dist_ctl *c, const etf_print_opts *po,
                            char *out, size_t outlen);

/* ---------------------------------------------------------------------
 * Constructors for the messages edist sends most
 * ------------------------------------------------------------------- */

/* REG_SEND {6, From, '', ToName}: a message to a registered name. */
dist_ctl dist_ctl_reg_send(etf_term from, etf_term to_name);

/* SEND_SENDER {22, From, To} (to a peer with DFLAG_SEND_SENDER), or SEND
 * {2, '', To} when `from` has type 0. */
dist_ctl dist_ctl_send(etf_term from, etf_term to);

/* The answer the protocol requires to a received UNLINK_ID: UNLINK_ID_ACK
 * with the same Id, From and To swapped (our pid is the unlinked one, the
 * other the unlinker). */
dist_ctl dist_ctl_unlink_id_ack(const dist_ctl *unlink_id);

#endif

/*
 * control.c -- control messages as typed values: checked on the way in as
 * erts checks them, built and checked on the way out, printed for people.
 *
 * Every operation is one row of the table below: its name, the shape of
 * its tuple (for error messages: a reader who gets one sees what was
 * expected), its size, whether a payload follows and where a _TT form
 * keeps its trace token. The decoder checks the operation, the size and
 * the payload from the row, then the types of the fields operation by
 * operation; the cases follow erts_net_message in OTP's dist.c (OTP 28),
 * group for group, so that what edist refuses is what a real node would
 * refuse, and the message says which rule was broken.
 *
 * The encoder fills a tuple from a dist_ctl and runs the decoder over it:
 * one set of rules, used both ways.
 */
#include <stdint.h>
#include <string.h>

#include "dist/control.h"
#include "dist/internal.h"

/* ---- the operations ----------------------------------------------------- */

typedef struct op_info {
    const char *name;
    const char *shape;   /* the tuple, as erl_dist_protocol.md writes it */
    uint8_t arity;       /* elements, the operation included; 0: refused */
    uint8_t token_at;    /* index of the trace token in a _TT form, or 0 */
    const char *payload; /* what the payload is, or NULL for none */
} op_info;

static const op_info ops[DOP_MAX + 1] = {
    [DOP_LINK] = {"LINK", "{1, FromPid, ToPid}", 3, 0, NULL},
    [DOP_SEND] = {"SEND", "{2, Unused, ToPid}", 3, 0, "message"},
    [DOP_EXIT] = {"EXIT", "{3, FromPid, ToPid, Reason}", 4, 0, NULL},
    [DOP_UNLINK] = {"UNLINK", "{4, FromPid, ToPid}", 0, 0, NULL},
    [DOP_NODE_LINK] = {"NODE_LINK", "{5}", 0, 0, NULL},
    [DOP_REG_SEND] = {"REG_SEND", "{6, FromPid, Unused, ToName}", 4, 0,
                      "message"},
    [DOP_GROUP_LEADER] = {"GROUP_LEADER", "{7, FromPid, ToPid}", 3, 0, NULL},
    [DOP_EXIT2] = {"EXIT2", "{8, FromPid, ToPid, Reason}", 4, 0, NULL},
    [DOP_SEND_TT] = {"SEND_TT", "{12, Unused, ToPid, TraceToken}", 4, 3,
                     "message"},
    [DOP_EXIT_TT] = {"EXIT_TT", "{13, FromPid, ToPid, TraceToken, Reason}",
                     5, 3, NULL},
    [DOP_REG_SEND_TT] = {"REG_SEND_TT",
                         "{16, FromPid, Unused, ToName, TraceToken}", 5, 4,
                         "message"},
    [DOP_EXIT2_TT] = {"EXIT2_TT", "{18, FromPid, ToPid, TraceToken, Reason}",
                      5, 3, NULL},
    [DOP_MONITOR_P] = {"MONITOR_P", "{19, FromPid, ToProc, Ref}", 4, 0, NULL},
    [DOP_DEMONITOR_P] = {"DEMONITOR_P", "{20, FromPid, ToProc, Ref}", 4, 0,
                         NULL},
    [DOP_MONITOR_P_EXIT] = {"MONITOR_P_EXIT",
                            "{21, FromProc, ToPid, Ref, Reason}", 5, 0, NULL},
    [DOP_SEND_SENDER] = {"SEND_SENDER", "{22, FromPid, ToPid}", 3, 0,
                         "message"},
    [DOP_SEND_SENDER_TT] = {"SEND_SENDER_TT",
                            "{23, FromPid, ToPid, TraceToken}", 4, 3,
                            "message"},
    [DOP_PAYLOAD_EXIT] = {"PAYLOAD_EXIT", "{24, FromPid, ToPid}", 3, 0,
                          "exit reason"},
    [DOP_PAYLOAD_EXIT_TT] = {"PAYLOAD_EXIT_TT",
                             "{25, FromPid, ToPid, TraceToken}", 4, 3,
                             "exit reason"},
    [DOP_PAYLOAD_EXIT2] = {"PAYLOAD_EXIT2", "{26, FromPid, ToPid}", 3, 0,
                           "exit reason"},
    [DOP_PAYLOAD_EXIT2_TT] = {"PAYLOAD_EXIT2_TT",
                              "{27, FromPid, ToPid, TraceToken}", 4, 3,
                              "exit reason"},
    [DOP_PAYLOAD_MONITOR_P_EXIT] = {"PAYLOAD_MONITOR_P_EXIT",
                                    "{28, FromProc, ToPid, Ref}", 4, 0,
                                    "exit reason"},
    [DOP_SPAWN_REQUEST] = {"SPAWN_REQUEST",
                           "{29, ReqId, From, GroupLeader, {Module, "
                           "Function, Arity}, OptList}",
                           6, 0, "argument list"},
    [DOP_SPAWN_REQUEST_TT] = {"SPAWN_REQUEST_TT",
                              "{30, ReqId, From, GroupLeader, {Module, "
                              "Function, Arity}, OptList, Token}",
                              7, 6, "argument list"},
    [DOP_SPAWN_REPLY] = {"SPAWN_REPLY", "{31, ReqId, To, Flags, Result}", 5,
                         0, NULL},
    [DOP_SPAWN_REPLY_TT] = {"SPAWN_REPLY_TT",
                            "{32, ReqId, To, Flags, Result, Token}", 6, 5,
                            NULL},
    [DOP_ALIAS_SEND] = {"ALIAS_SEND", "{33, FromPid, Alias}", 3, 0,
                        "message"},
    [DOP_ALIAS_SEND_TT] = {"ALIAS_SEND_TT", "{34, FromPid, Alias, Token}", 4,
                           3, "message"},
    [DOP_UNLINK_ID] = {"UNLINK_ID", "{35, Id, FromPid, ToPid}", 4, 0, NULL},
    [DOP_UNLINK_ID_ACK] = {"UNLINK_ID_ACK", "{36, Id, FromPid, ToPid}", 4, 0,
                           NULL},
    /* At least 4 elements; the TOKEN flag adds a fifth, the Token. */
    [DOP_ALTACT_SIG_SEND] = {"ALTACT_SIG_SEND",
                             "{37, Flags, SenderPid, To} or {37, Flags, "
                             "SenderPid, To, Token}",
                             4, 0, "message or exit reason"},
};

static const op_info *op_lookup(int64_t op)
{
    if (op < 0 || op > DOP_MAX || ops[op].name == NULL)
        return NULL;
    return &ops[op];
}

const char *dist_op_name(int op)
{
    const op_info *oi = op_lookup(op);
    return oi ? oi->name : NULL;
}

int dist_op_payload(int op)
{
    const op_info *oi = op_lookup(op);
    if (oi == NULL || oi->arity == 0)
        return -1;
    return oi->payload != NULL;
}

/* The operations erts refuses, with the reason; -1 always. */
static int refuse_op(int64_t op, dist_error *err)
{
    if (op == DOP_UNLINK)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "UNLINK (4): the old link protocol, which OTP 26 "
                         "and later refuse (they kill the connection); a "
                         "link is removed with UNLINK_ID and UNLINK_ID_ACK");
    if (op == DOP_NODE_LINK)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "NODE_LINK (5): an ancient operation that OTP no "
                         "longer knows (erts kills the connection for it)");
    return dist_fail(err, DIST_ERR_PROTOCOL,
                     "unknown operation %lld: erts kills the connection for "
                     "an operation it does not know",
                     (long long)op);
}

/* ---- checking fields ---------------------------------------------------- */

/* What a term is, in words, for "X is <this>, not <that>". */
static const char *type_words(const etf_term *t)
{
    switch (t->type) {
    case ETF_INTEGER:
    case ETF_BIGNUM: return "an integer";
    case ETF_FLOAT: return "a float";
    case ETF_ATOM: return "an atom";
    case ETF_TUPLE: return "a tuple";
    case ETF_NIL: return "the empty list";
    case ETF_LIST:
        return t->u.elems[t->n].type == ETF_NIL ? "a list" : "an improper list";
    case ETF_STRING: return "a string";
    case ETF_BINARY: return t->bits ? "a bitstring" : "a binary";
    case ETF_MAP: return "a map";
    case ETF_PID: return "a pid";
    case ETF_PORT: return "a port";
    case ETF_REF: return "a reference";
    case ETF_EXPORT:
    case ETF_FUN: return "a fun";
    case ETF_RECORD: return "a record";
    case ETF_LOCAL: return "a LOCAL_EXT term";
    }
    return "missing";
}

static int wrong(const op_info *oi, const char *what, const etf_term *t,
                 const char *want, dist_error *err)
{
    return dist_fail(err, DIST_ERR_PROTOCOL, "%s: %s is %s, not %s", oi->name,
                     what, type_words(t), want);
}

static int need_pid(const op_info *oi, const char *what, const etf_term *t,
                    dist_error *err)
{
    return t->type == ETF_PID ? 0 : wrong(oi, what, t, "a pid", err);
}

static int need_pid_or_atom(const op_info *oi, const char *what,
                            const etf_term *t, dist_error *err)
{
    return t->type == ETF_PID || t->type == ETF_ATOM
               ? 0
               : wrong(oi, what, t, "a pid or an atom", err);
}

static int need_atom(const op_info *oi, const char *what, const etf_term *t,
                     dist_error *err)
{
    return t->type == ETF_ATOM ? 0 : wrong(oi, what, t, "an atom", err);
}

static int need_ref(const op_info *oi, const char *what, const etf_term *t,
                    dist_error *err)
{
    return t->type == ETF_REF ? 0 : wrong(oi, what, t, "a reference", err);
}

/* Any term will do, but there must be one (a dist_ctl being encoded may
 * have left it out; a received tuple never does). */
static int need_term(const op_info *oi, const char *what, const etf_term *t,
                     dist_error *err)
{
    return t->type != 0 ? 0 : wrong(oi, what, t, "a term", err);
}

static int need_proper_list(const op_info *oi, const char *what,
                            const etf_term *t, dist_error *err)
{
    if (t->type == ETF_NIL || t->type == ETF_STRING ||
        (t->type == ETF_LIST && t->u.elems[t->n].type == ETF_NIL))
        return 0;
    return wrong(oi, what, t, "a proper list", err);
}

/* An integer 0..2^64-1 (erts's term_to_Uint64): 1 and *v, or 0. */
static int get_u64(const etf_term *t, uint64_t *v)
{
    if (t->type == ETF_INTEGER && t->u.i >= 0) {
        *v = (uint64_t)t->u.i;
        return 1;
    }
    if (t->type == ETF_BIGNUM && !(t->flags & ETF_NEGATIVE) && t->n <= 8) {
        *v = 0;
        for (uint32_t i = 0; i < t->n; i++)
            *v |= (uint64_t)t->u.bytes[i] << (8 * i);
        return 1;
    }
    return 0;
}

/* An integer of 0..2^64-1 as a term: a bignum above INT64_MAX, whose 8
 * bytes are allocated in `a`. Type 0 when out of memory. */
static etf_term u64_term(etf_arena *a, uint64_t v)
{
    if (v <= INT64_MAX)
        return etf_int((int64_t)v);
    etf_term t = {.type = ETF_BIGNUM, .n = 8};
    uint8_t *b = etf_arena_alloc(a, 8);
    if (b == NULL) {
        t.type = 0;
        return t;
    }
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    t.u.bytes = b;
    return t;
}

/* UNLINK_ID and UNLINK_ID_ACK's Id. erts takes any integer that fits in
 * 64 bits and refuses 0 for UNLINK_ID (the unlinker numbers its unlinks
 * from 1); for the ack it does not look. */
static int get_unlink_id(const op_info *oi, const etf_term *t, int nonzero,
                         uint64_t *id, dist_error *err)
{
    if (t->type != ETF_INTEGER && t->type != ETF_BIGNUM)
        return wrong(oi, "Id", t, "an integer 1..2^64-1", err);
    if (!get_u64(t, id))
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s: Id is %s, not an integer 1..2^64-1", oi->name,
                         (t->flags & ETF_NEGATIVE) || t->type == ETF_INTEGER
                             ? "negative"
                             : "wider than 64 bits");
    if (nonzero && *id == 0)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s: Id is 0, which erts refuses (ids start at 1)",
                         oi->name);
    return 0;
}

/* ALTACT_SIG_SEND's Flags: a non-negative integer of any size, of which
 * erts reads the low byte; edist keeps the low 64 bits. */
static int get_altact_flags(const op_info *oi, const etf_term *t,
                            uint64_t *flags, dist_error *err)
{
    if (t->type == ETF_INTEGER && t->u.i >= 0) {
        *flags = (uint64_t)t->u.i;
        return 0;
    }
    if (t->type == ETF_BIGNUM && !(t->flags & ETF_NEGATIVE)) {
        *flags = 0;
        for (uint32_t i = 0; i < t->n && i < 8; i++)
            *flags |= (uint64_t)t->u.bytes[i] << (8 * i);
        return 0;
    }
    if (t->type == ETF_INTEGER || t->type == ETF_BIGNUM)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s: Flags is negative, not a set of flag bits",
                         oi->name);
    return wrong(oi, "Flags", t, "an integer", err);
}

/* SPAWN_REQUEST's {Module, Function, Arity}. */
static int get_mfa(const op_info *oi, const etf_term *t, dist_ctl *out,
                   dist_error *err)
{
    if (t->type != ETF_TUPLE || t->n != 3) {
        if (t->type == ETF_TUPLE)
            return dist_fail(err, DIST_ERR_PROTOCOL,
                             "%s: the MFA is a tuple of %u elements, not "
                             "{Module, Function, Arity}",
                             oi->name, t->n);
        return wrong(oi, "the MFA", t, "a tuple {Module, Function, Arity}",
                     err);
    }
    const etf_term *m = &t->u.elems[0], *f = &t->u.elems[1],
                   *ar = &t->u.elems[2];
    if (need_atom(oi, "the MFA's Module", m, err) ||
        need_atom(oi, "the MFA's Function", f, err))
        return -1;
    if (ar->type != ETF_INTEGER)
        return wrong(oi, "the MFA's Arity", ar, "an integer 0..255", err);
    if (ar->u.i < 0 || ar->u.i > 255)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s: the MFA's Arity is %lld, not 0..255 (the most "
                         "arguments a BEAM function takes)",
                         oi->name, (long long)ar->u.i);
    out->module.name = m->u.atom;
    out->module.len = m->n;
    out->function.name = f->u.atom;
    out->function.len = f->n;
    out->arity = (unsigned)ar->u.i;
    return 0;
}

/* ---- decoding ----------------------------------------------------------- */

int dist_ctl_decode(const etf_term *control, int has_payload, dist_ctl *out,
                    dist_error *err)
{
    memset(out, 0, sizeof *out);
    if (control->type != ETF_TUPLE)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "the control message is %s, not a tuple {Op, ...}",
                         type_words(control));
    if (control->n == 0)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "the control message is {}, with no operation");
    if (control->u.elems[0].type != ETF_INTEGER)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "the control message's operation is %s, not an "
                         "integer",
                         type_words(&control->u.elems[0]));
    const etf_term *e = control->u.elems;
    int64_t op = e[0].u.i;
    const op_info *oi = op_lookup(op);
    if (oi == NULL || oi->arity == 0)
        return refuse_op(op, err);

    /* The size of the tuple. */
    if (op == DOP_ALTACT_SIG_SEND ? control->n < oi->arity
                                  : control->n != oi->arity)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s: a tuple of %u elements, where %s has %s%u: %s",
                         oi->name, control->n, oi->name,
                         op == DOP_ALTACT_SIG_SEND ? "at least " : "",
                         oi->arity, oi->shape);

    /* A payload exactly when the operation has one. */
    if (oi->payload != NULL && !has_payload)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s: no %s follows the control tuple", oi->name,
                         oi->payload);
    if (oi->payload == NULL && has_payload)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s: a second term follows the control tuple, but "
                         "%s carries none",
                         oi->name, oi->name);

    out->op = (int)op;
    out->has_payload = oi->payload != NULL;
    if (oi->token_at != 0) {
        out->has_token = 1;
        out->token = e[oi->token_at];
        if (need_term(oi, "TraceToken", &out->token, err))
            return -1;
    }

    /* The fields, in the groups of erts_net_message. Each check returns
     * -1 with the message, so a chain of them stops at the first. */
    switch (op) {
    case DOP_LINK:
    case DOP_SEND_SENDER:
    case DOP_SEND_SENDER_TT:
    case DOP_PAYLOAD_EXIT:
    case DOP_PAYLOAD_EXIT_TT:
    case DOP_PAYLOAD_EXIT2:
    case DOP_PAYLOAD_EXIT2_TT:
        out->from = e[1];
        out->to = e[2];
        if (need_pid(oi, "FromPid", &out->from, err) ||
            need_pid(oi, "ToPid", &out->to, err))
            return -1;
        return 0;

    case DOP_GROUP_LEADER:
        out->from = e[1];
        out->to = e[2];
        if (need_pid(oi, "FromPid, the new group leader,", &out->from, err) ||
            need_pid(oi, "ToPid", &out->to, err))
            return -1;
        return 0;

    case DOP_EXIT:
    case DOP_EXIT2:
    case DOP_EXIT_TT:
    case DOP_EXIT2_TT:
        out->from = e[1];
        out->to = e[2];
        /* The reason comes last: after the token in the _TT forms. */
        out->reason = e[control->n - 1];
        if (need_pid(oi, "FromPid", &out->from, err) ||
            need_pid(oi, "ToPid", &out->to, err) ||
            need_term(oi, "Reason", &out->reason, err))
            return -1;
        return 0;

    case DOP_SEND:
    case DOP_SEND_TT:
        /* e[1] is the old cookie slot: '' from erts, never checked. */
        out->to = e[2];
        if (need_term(oi, "Unused", &e[1], err) ||
            need_pid(oi, "ToPid", &out->to, err))
            return -1;
        return 0;

    case DOP_REG_SEND:
    case DOP_REG_SEND_TT:
        out->from = e[1];
        out->to = e[3];
        if (need_pid(oi, "FromPid", &out->from, err) ||
            need_term(oi, "Unused", &e[2], err) ||
            need_atom(oi, "ToName, the registered name,", &out->to, err))
            return -1;
        return 0;

    case DOP_MONITOR_P:
    case DOP_DEMONITOR_P:
        out->from = e[1];
        out->to = e[2];
        out->ref = e[3];
        if (need_pid(oi, "FromPid, the monitoring process,", &out->from,
                     err) ||
            need_pid_or_atom(oi, "ToProc, the monitored process,", &out->to,
                             err) ||
            need_ref(oi, "Ref", &out->ref, err))
            return -1;
        return 0;

    case DOP_MONITOR_P_EXIT:
    case DOP_PAYLOAD_MONITOR_P_EXIT:
        out->from = e[1];
        out->to = e[2];
        out->ref = e[3];
        if (need_pid_or_atom(oi, "FromProc, the monitored process,",
                             &out->from, err) ||
            need_pid(oi, "ToPid, the monitoring process,", &out->to, err) ||
            need_ref(oi, "Ref", &out->ref, err))
            return -1;
        if (op == DOP_MONITOR_P_EXIT) {
            out->reason = e[4];
            return need_term(oi, "Reason", &out->reason, err);
        }
        return 0;

    case DOP_SPAWN_REQUEST:
    case DOP_SPAWN_REQUEST_TT:
        out->ref = e[1];
        out->from = e[2];
        out->group_leader = e[3];
        out->opts = e[5];
        if (need_ref(oi, "ReqId", &out->ref, err) ||
            need_pid(oi, "From", &out->from, err) ||
            need_pid(oi, "GroupLeader", &out->group_leader, err) ||
            get_mfa(oi, &e[4], out, err) ||
            need_proper_list(oi, "OptList", &out->opts, err))
            return -1;
        return 0;

    case DOP_SPAWN_REPLY:
    case DOP_SPAWN_REPLY_TT:
        out->ref = e[1];
        out->to = e[2];
        out->result = e[4];
        if (need_ref(oi, "ReqId", &out->ref, err) ||
            need_pid(oi, "To", &out->to, err))
            return -1;
        if (e[3].type != ETF_INTEGER)
            return wrong(oi, "Flags", &e[3], "an integer", err);
        /* erts: a small integer below 1 << 27 (a negative one reads as a
         * huge unsigned value). */
        if (e[3].u.i < 0 || e[3].u.i >= (1 << 27))
            return dist_fail(err, DIST_ERR_PROTOCOL,
                             "%s: Flags is %lld, not 0..2^27-1", oi->name,
                             (long long)e[3].u.i);
        out->spawn_flags = (unsigned)e[3].u.i;
        return need_pid_or_atom(oi, "Result (the new pid or an error)",
                                &out->result, err);

    case DOP_ALIAS_SEND:
    case DOP_ALIAS_SEND_TT:
        out->from = e[1];
        out->to = e[2];
        if (need_pid(oi, "FromPid", &out->from, err) ||
            need_ref(oi, "Alias", &out->to, err))
            return -1;
        return 0;

    case DOP_UNLINK_ID:
    case DOP_UNLINK_ID_ACK:
        out->from = e[2];
        out->to = e[3];
        if (get_unlink_id(oi, &e[1], op == DOP_UNLINK_ID, &out->id, err) ||
            need_pid(oi, "FromPid", &out->from, err) ||
            need_pid(oi, "ToPid", &out->to, err))
            return -1;
        return 0;

    case DOP_ALTACT_SIG_SEND: {
        uint64_t f = 0;
        if (get_altact_flags(oi, &e[1], &f, err))
            return -1;
        out->altact_flags = f;
        out->from = e[2];
        out->to = e[3];
        if (need_pid(oi, "SenderPid", &out->from, err))
            return -1;
        if (f & ERTS_DOP_ALTACT_SIG_FLG_TOKEN) {
            if (control->n < 5)
                return dist_fail(err, DIST_ERR_PROTOCOL,
                                 "%s: the TOKEN flag is set but the tuple "
                                 "has %u elements, no Token",
                                 oi->name, control->n);
            out->has_token = 1;
            out->token = e[4];
            if (need_term(oi, "Token", &out->token, err))
                return -1;
        }
        /* Elements after these are for future extensions: ignored. */
        if (f & ERTS_DOP_ALTACT_SIG_FLG_ALIAS) {
            if (f & ERTS_DOP_ALTACT_SIG_FLG_NAME)
                return dist_fail(err, DIST_ERR_PROTOCOL,
                                 "%s: both the ALIAS and the NAME flag are "
                                 "set; To cannot be both",
                                 oi->name);
            return need_ref(oi, "To (the ALIAS flag is set)", &out->to, err);
        }
        if (f & ERTS_DOP_ALTACT_SIG_FLG_NAME)
            return need_atom(oi, "To (the NAME flag is set)", &out->to, err);
        return need_pid(oi, "To (neither ALIAS nor NAME is set)", &out->to,
                        err);
    }
    }
    /* Not reached: every operation of the table has a case above. */
    return refuse_op(op, err);
}

/* ---- encoding ----------------------------------------------------------- */

int dist_ctl_encode(const dist_ctl *c, etf_arena *a, etf_term *control,
                    dist_error *err)
{
    const op_info *oi = op_lookup(c->op);
    if (oi == NULL || oi->arity == 0)
        return refuse_op(c->op, err);

    uint32_t n = oi->arity;
    uint32_t token_at = oi->token_at;
    if (c->op == DOP_ALTACT_SIG_SEND &&
        (c->altact_flags & ERTS_DOP_ALTACT_SIG_FLG_TOKEN)) {
        n = 5;
        token_at = 4;
    }
    etf_term t = etf_tuple(a, n);
    if (t.u.elems == NULL)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    etf_term *e = t.u.elems;
    for (uint32_t i = 0; i < n; i++)
        e[i] = (etf_term){0};
    e[0] = etf_int(c->op);
    if (token_at != 0)
        e[token_at] = c->token;

    switch (c->op) {
    case DOP_SEND:
    case DOP_SEND_TT:
        e[1] = etf_atom_z("");
        e[2] = c->to;
        break;
    case DOP_REG_SEND:
    case DOP_REG_SEND_TT:
        e[1] = c->from;
        e[2] = etf_atom_z("");
        e[3] = c->to;
        break;
    case DOP_EXIT:
    case DOP_EXIT2:
    case DOP_EXIT_TT:
    case DOP_EXIT2_TT:
        e[1] = c->from;
        e[2] = c->to;
        e[n - 1] = c->reason;
        break;
    case DOP_MONITOR_P:
    case DOP_DEMONITOR_P:
    case DOP_MONITOR_P_EXIT:
    case DOP_PAYLOAD_MONITOR_P_EXIT:
        e[1] = c->from;
        e[2] = c->to;
        e[3] = c->ref;
        if (c->op == DOP_MONITOR_P_EXIT)
            e[4] = c->reason;
        break;
    case DOP_SPAWN_REQUEST:
    case DOP_SPAWN_REQUEST_TT: {
        etf_term mfa = etf_tuple(a, 3);
        if (mfa.u.elems == NULL)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        /* A name left NULL stays missing, for the check to name it. */
        mfa.u.elems[0] = c->module.name == NULL
                             ? (etf_term){0}
                             : etf_atom_n(c->module.name, c->module.len);
        mfa.u.elems[1] = c->function.name == NULL
                             ? (etf_term){0}
                             : etf_atom_n(c->function.name, c->function.len);
        mfa.u.elems[2] = etf_int(c->arity);
        e[1] = c->ref;
        e[2] = c->from;
        e[3] = c->group_leader;
        e[4] = mfa;
        e[5] = c->opts;
        break;
    }
    case DOP_SPAWN_REPLY:
    case DOP_SPAWN_REPLY_TT:
        e[1] = c->ref;
        e[2] = c->to;
        e[3] = etf_int(c->spawn_flags);
        e[4] = c->result;
        break;
    case DOP_UNLINK_ID:
    case DOP_UNLINK_ID_ACK:
        e[1] = u64_term(a, c->id);
        if (e[1].type == 0)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        e[2] = c->from;
        e[3] = c->to;
        break;
    case DOP_ALTACT_SIG_SEND:
        e[1] = u64_term(a, c->altact_flags);
        if (e[1].type == 0)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        e[2] = c->from;
        e[3] = c->to;
        break;
    default: /* {Op, FromPid, ToPid[, Token]}, and ALIAS_SEND's Alias */
        e[1] = c->from;
        e[2] = c->to;
        break;
    }

    /* The same rules as for what we receive. */
    dist_ctl check;
    if (dist_ctl_decode(&t, oi->payload != NULL, &check, err) != 0)
        return -1;
    *control = t;
    return 0;
}

/* ---- constructors ------------------------------------------------------- */

dist_ctl dist_ctl_reg_send(etf_term from, etf_term to_name)
{
    dist_ctl c = {0};
    c.op = DOP_REG_SEND;
    c.from = from;
    c.to = to_name;
    c.has_payload = 1;
    return c;
}

dist_ctl dist_ctl_send(etf_term from, etf_term to)
{
    dist_ctl c = {0};
    c.op = from.type == 0 ? DOP_SEND : DOP_SEND_SENDER;
    c.from = from;
    c.to = to;
    c.has_payload = 1;
    return c;
}

dist_ctl dist_ctl_unlink_id_ack(const dist_ctl *unlink_id)
{
    dist_ctl c = {0};
    c.op = DOP_UNLINK_ID_ACK;
    c.id = unlink_id->id;
    c.from = unlink_id->to;
    c.to = unlink_id->from;
    return c;
}

/* ---- printing ----------------------------------------------------------- */

/* Longest text of one term in a line; longer ones are cut. */
#define TERM_TEXT_MAX 120

/* Appends " label term", the term cut to TERM_TEXT_MAX bytes. */
static void put_term(etf_buf *b, const char *label, const etf_term *t,
                     const etf_print_opts *po)
{
    etf_buf_putc(b, ' ');
    if (label != NULL) {
        etf_buf_puts(b, label);
        etf_buf_putc(b, ' ');
    }
    if (t->type == 0) {
        etf_buf_putc(b, '?');
        return;
    }
    size_t start = b->len;
    etf_print(t, po, b);
    if (b->failed || b->len - start <= TERM_TEXT_MAX)
        return;
    size_t cut = start + TERM_TEXT_MAX - 3;
    while (cut > start && (b->data[cut] & 0xC0) == 0x80)
        cut--; /* not inside a UTF-8 character */
    b->len = cut;
    etf_buf_puts(b, "...");
}

/* Flag names joined by '|', unknown bits in hex, "0" for none. */
static void put_flags(etf_buf *b, uint64_t flags, const char *const *names,
                      unsigned nnames)
{
    etf_buf_puts(b, " flags ");
    if (flags == 0) {
        etf_buf_putc(b, '0');
        return;
    }
    const char *sep = "";
    for (unsigned i = 0; i < nnames; i++) {
        if (flags & ((uint64_t)1 << i)) {
            etf_buf_printf(b, "%s%s", sep, names[i]);
            sep = "|";
        }
    }
    uint64_t rest = nnames < 64 ? flags >> nnames << nnames : 0;
    if (rest != 0)
        etf_buf_printf(b, "%s0x%llx", sep, (unsigned long long)rest);
}

static const char *const spawn_flag_names[] = {"link", "monitor"};
static const char *const altact_flag_names[] = {"prio", "token", "alias",
                                                "name", "exit"};

static void format_line(const dist_ctl *c, const etf_print_opts *po,
                        etf_buf *b)
{
    const char *name = dist_op_name(c->op);
    if (name != NULL)
        etf_buf_puts(b, name);
    else
        etf_buf_printf(b, "operation %d", c->op);

    switch (c->op) {
    case DOP_SEND:
    case DOP_SEND_TT:
        put_term(b, "to", &c->to, po);
        break;
    case DOP_GROUP_LEADER:
        put_term(b, "leader", &c->from, po);
        put_term(b, "for", &c->to, po);
        break;
    case DOP_MONITOR_P:
    case DOP_DEMONITOR_P:
    case DOP_MONITOR_P_EXIT:
    case DOP_PAYLOAD_MONITOR_P_EXIT:
        put_term(b, "from", &c->from, po);
        put_term(b, "to", &c->to, po);
        put_term(b, "ref", &c->ref, po);
        if (c->op == DOP_MONITOR_P_EXIT)
            put_term(b, "reason", &c->reason, po);
        break;
    case DOP_EXIT:
    case DOP_EXIT2:
    case DOP_EXIT_TT:
    case DOP_EXIT2_TT:
        put_term(b, "from", &c->from, po);
        put_term(b, "to", &c->to, po);
        put_term(b, "reason", &c->reason, po);
        break;
    case DOP_SPAWN_REQUEST:
    case DOP_SPAWN_REQUEST_TT: {
        put_term(b, "req", &c->ref, po);
        put_term(b, "from", &c->from, po);
        put_term(b, "leader", &c->group_leader, po);
        etf_term m = {0}, f = {0};
        if (c->module.name != NULL)
            m = etf_atom_n(c->module.name, c->module.len);
        if (c->function.name != NULL)
            f = etf_atom_n(c->function.name, c->function.len);
        put_term(b, NULL, &m, po);
        etf_buf_putc(b, ':');
        if (f.type != 0)
            etf_print(&f, po, b);
        else
            etf_buf_putc(b, '?');
        etf_buf_printf(b, "/%u", c->arity);
        put_term(b, "opts", &c->opts, po);
        break;
    }
    case DOP_SPAWN_REPLY:
    case DOP_SPAWN_REPLY_TT:
        put_term(b, "req", &c->ref, po);
        put_term(b, "to", &c->to, po);
        put_flags(b, c->spawn_flags, spawn_flag_names, 2);
        put_term(b, "result", &c->result, po);
        break;
    case DOP_UNLINK_ID:
    case DOP_UNLINK_ID_ACK:
        etf_buf_printf(b, " id %llu", (unsigned long long)c->id);
        put_term(b, "from", &c->from, po);
        put_term(b, "to", &c->to, po);
        break;
    case DOP_ALTACT_SIG_SEND:
        put_flags(b, c->altact_flags, altact_flag_names, 5);
        put_term(b, "from", &c->from, po);
        put_term(b, "to", &c->to, po);
        break;
    case DOP_NODE_LINK:
        break;
    default:
        if (name != NULL) { /* {Op, From, To}: links, sends, aliases */
            put_term(b, "from", &c->from, po);
            put_term(b, "to", &c->to, po);
        }
        break;
    }
    if (c->has_token)
        put_term(b, "token", &c->token, po);
}

size_t dist_ctl_format_opts(const dist_ctl *c, const etf_print_opts *po,
                            char *out, size_t outlen)
{
    etf_print_opts one_line = *po;
    one_line.width = 0;
    etf_buf b = {0};
    format_line(c, &one_line, &b);

    const char *text = (const char *)b.data;
    size_t len = b.len;
    if (b.failed || text == NULL) {
        text = "(out of memory)";
        len = strlen(text);
    }
    if (outlen > 0) {
        size_t n = len < outlen - 1 ? len : outlen - 1;
        while (n > 0 && n < len && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* not inside a UTF-8 character */
        memcpy(out, text, n);
        out[n] = '\0';
    }
    etf_buf_release(&b);
    return len;
}

size_t dist_ctl_format(const dist_ctl *c, char *out, size_t outlen)
{
    /* A home node no real node is called: every pid shows its node. */
    static const etf_atom nowhere = {"", 0};
    etf_print_opts po = {0};
    po.format = ETF_FORMAT_ERLANG;
    po.home_node = &nowhere;
    return dist_ctl_format_opts(c, &po, out, outlen);
}

/*
 * flags.c -- the distribution flags by name, and the mandatory set of each
 * OTP release.
 *
 * The table below is the one place that pairs a DFLAG_* value with its
 * name; `-v` output and error messages ("the peer lacks V4_NC|UNLINK_ID")
 * go through it. The names are those of OTP's dist_util:dflag2str/1.
 */
#include <stdio.h>
#include <string.h>

#include "handshake/dflags.h"

static const struct {
    uint64_t flag;
    const char *name;
} flag_names[] = {
    {DFLAG_PUBLISHED, "PUBLISHED"},
    {DFLAG_ATOM_CACHE, "ATOM_CACHE"},
    {DFLAG_EXTENDED_REFERENCES, "EXTENDED_REFERENCES"},
    {DFLAG_DIST_MONITOR, "DIST_MONITOR"},
    {DFLAG_FUN_TAGS, "FUN_TAGS"},
    {DFLAG_DIST_MONITOR_NAME, "DIST_MONITOR_NAME"},
    {DFLAG_HIDDEN_ATOM_CACHE, "HIDDEN_ATOM_CACHE"},
    {DFLAG_NEW_FUN_TAGS, "NEW_FUN_TAGS"},
    {DFLAG_EXTENDED_PIDS_PORTS, "EXTENDED_PIDS_PORTS"},
    {DFLAG_EXPORT_PTR_TAG, "EXPORT_PTR_TAG"},
    {DFLAG_BIT_BINARIES, "BIT_BINARIES"},
    {DFLAG_NEW_FLOATS, "NEW_FLOATS"},
    {DFLAG_UNICODE_IO, "UNICODE_IO"},
    {DFLAG_DIST_HDR_ATOM_CACHE, "DIST_HDR_ATOM_CACHE"},
    {DFLAG_SMALL_ATOM_TAGS, "SMALL_ATOM_TAGS"},
    {DFLAG_ETS_COMPRESSED, "ETS_COMPRESSED"},
    {DFLAG_UTF8_ATOMS, "UTF8_ATOMS"},
    {DFLAG_MAP_TAG, "MAP_TAG"},
    {DFLAG_BIG_CREATION, "BIG_CREATION"},
    {DFLAG_SEND_SENDER, "SEND_SENDER"},
    {DFLAG_BIG_SEQTRACE_LABELS, "BIG_SEQTRACE_LABELS"},
    {DFLAG_PENDING_CONNECT, "PENDING_CONNECT"},
    {DFLAG_EXIT_PAYLOAD, "EXIT_PAYLOAD"},
    {DFLAG_FRAGMENTS, "FRAGMENTS"},
    {DFLAG_HANDSHAKE_23, "HANDSHAKE_23"},
    {DFLAG_UNLINK_ID, "UNLINK_ID"},
    {DFLAG_MANDATORY_25_DIGEST, "MANDATORY_25_DIGEST"},
    {DFLAG_SPAWN, "SPAWN"},
    {DFLAG_NAME_ME, "NAME_ME"},
    {DFLAG_V4_NC, "V4_NC"},
    {DFLAG_ALIAS, "ALIAS"},
    {DFLAG_LOCAL_EXT, "LOCAL_EXT"},
    {DFLAG_ALTACT_SIG, "ALTACT_SIG"},
    {DFLAG_NATIVE_RECORDS, "NATIVE_RECORDS"},
};

const char *hs_flag_name(uint64_t flag)
{
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if (flag_names[i].flag == flag)
            return flag_names[i].name;
    return NULL;
}

/* Appends `text` at offset *len of buf, as far as it fits, and counts
 * its whole length: the snprintf contract, piece by piece. */
static void append(char *buf, size_t size, size_t *len, const char *text)
{
    size_t n = strlen(text);
    if (*len + 1 < size) {
        size_t room = size - 1 - *len;
        size_t k = n < room ? n : room;
        memcpy(buf + *len, text, k);
        buf[*len + k] = 0;
    }
    *len += n;
}

size_t hs_flags_format(uint64_t flags, char *buf, size_t size)
{
    size_t len = 0;
    if (size != 0)
        buf[0] = 0;
    if (flags == 0) {
        append(buf, size, &len, "none");
        return len;
    }
    for (int bit = 0; bit < 64; bit++) {
        uint64_t f = UINT64_C(1) << bit;
        if ((flags & f) == 0)
            continue;
        char unnamed[16];
        const char *name = hs_flag_name(f);
        if (name == NULL) {
            snprintf(unnamed, sizeof unnamed, "bit %d", bit);
            name = unnamed;
        }
        if (len != 0)
            append(buf, size, &len, "|");
        append(buf, size, &len, name);
    }
    return len;
}

uint64_t hs_mandatory_flags(int otp)
{
    if (otp == 25)
        return DFLAG_DIST_MANDATORY_25;
    if (otp >= 26 && otp <= 29)
        return DFLAG_DIST_MANDATORY;
    return 0;
}

uint64_t hs_flags_expand(uint64_t flags)
{
    if (flags & DFLAG_MANDATORY_25_DIGEST)
        flags |= DFLAG_DIST_MANDATORY_25;
    return flags;
}

/*
 * ref.c -- the references our node makes (make_ref/0 on our side).
 *
 * A reference is the node's name, its creation and a few 32-bit words
 * that make it unique on that node. OTP's own are three words, the first
 * of 18 bits (NEWER_REFERENCE_EXT carries up to five); edist makes the
 * same shape from a counter, with the clock in the last word so that two
 * runs of edist under the same name and creation do not repeat each
 * other's references.
 */
#include <string.h>

#include "dist/internal.h"

void dist_ref_fill(etf_ref *r, const etf_atom *node, uint32_t creation,
                   uint32_t counter)
{
    memset(r, 0, sizeof *r);
    r->node = *node;
    r->creation = creation;
    r->len = 3;
    r->id[0] = counter & 0x3FFFF;
    r->id[1] = counter >> 18;
    r->id[2] = (uint32_t)dist_now_ms();
}

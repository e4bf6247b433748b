/* The vocabulary's lookups.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "kinds.h"

#include <string.h>

#define CL_SLUG_ROW(id, slug, expert, about) slug,
static const char *const cause_slugs[] = {NULL, CL_CAUSES(CL_SLUG_ROW)};
#undef CL_SLUG_ROW
#define CL_EXPERT_ROW(id, slug, expert, about) CL_EXPERT_##expert,
static const cl_expert cause_experts[] = {CL_EXPERT_VERDICT, CL_CAUSES(CL_EXPERT_ROW)};
#undef CL_EXPERT_ROW

#define CL_ABOUT_LOSS 0
#define CL_ABOUT_SETUP 1
#define CL_ABOUT_ROW(id, slug, expert, about) CL_ABOUT_##about,
static const unsigned char cause_setup[] = {0, CL_CAUSES(CL_ABOUT_ROW)};
#undef CL_ABOUT_ROW

int cl_cause_is_setup(cl_cause cause) { return cause < CL_CAUSE_COUNT && cause_setup[cause]; }

const char *cl_cause_slug(cl_cause cause) { return cause < CL_CAUSE_COUNT ? cause_slugs[cause] : NULL; }

cl_expert cl_cause_expert(cl_cause cause) { return cause < CL_CAUSE_COUNT ? cause_experts[cause] : CL_EXPERT_VERDICT; }

void cl_numbers_merge(cl_numbers *dst, const cl_numbers *src)
{
    uint32_t has = src->has;
    dst->has |= has;
#define CL_MERGE_ROW(id, member, ...)                                                                                  \
    if (has & CL_HAS_##id)                                                                                             \
        dst->member = src->member;
    CL_NUMBERS(CL_MERGE_ROW)
#undef CL_MERGE_ROW
}

int cl_numbers_equal(const cl_numbers *a, const cl_numbers *b)
{
    cl_numbers x, y;
    memset(&x, 0, sizeof(x));
    memset(&y, 0, sizeof(y));
    cl_numbers_merge(&x, a);
    cl_numbers_merge(&y, b);
    return memcmp(&x, &y, sizeof(x)) == 0;
}

/* The finding builder.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "finding.h"

#include <stdarg.h>
#include <string.h>

const char *cl_duration(double s, char *buf, size_t len)
{
    if (s < 1)
        g_snprintf(buf, len, "%.0f ms", s * 1000);
    else if (s < 10)
        g_snprintf(buf, len, "%.2f s", s);
    else if (s < 100)
        g_snprintf(buf, len, "%.1f s", s);
    else if (s < 3600)
        g_snprintf(buf, len, "%.0f s", s);
    else
        g_snprintf(buf, len, "%.0f s (%.1f h)", s, s / 3600);
    return buf;
}

void cl_finding_begin(cl_finding *f, cl_cause cause, uint8_t confidence)
{
    memset(f, 0, sizeof(*f));
    f->cause = cause;
    f->confidence = confidence;
    f->summary = cl_text_new();
    f->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
}

void cl_finding_say(cl_finding *f, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    cl_text_vadd(f->summary, format, ap);
    va_end(ap);
}

void cl_finding_say_frames(cl_finding *f, const GArray *frames)
{
    cl_text_add_frames(f->summary, (const uint32_t *)(const void *)frames->data, frames->len);
}

void cl_finding_evidence(cl_finding *f, uint32_t frame)
{
    if (frame)
        g_array_append_val(f->evidence, frame);
}

void cl_finding_evidence_frames(cl_finding *f, const GArray *frames)
{
    g_array_append_vals(f->evidence, frames->data, frames->len);
}

/* A TCP connection that never got established did not die: an unanswered SYN, a refused or cancelled attempt,
 * a half-open scan. It gets no verdict of a lost connection, only one of its set-up; an established one none of
 * those. */
static bool cause_fits(const cl_conv *conv, cl_cause cause)
{
    bool existed = conv->tuple.proto != 6 || conv->established;
    return cl_cause_is_setup(cause) ? !existed : existed;
}

void cl_finding_propose(cl_ctx *x, cl_conv *conv, cl_finding *f)
{
    if (cause_fits(conv, f->cause) && cl_verdict_offer(x->verdicts, conv, f))
        cl_verdict_show(x->verdicts, conv, &x->frame);
    cl_text_free(f->summary);
    g_array_free(f->evidence, TRUE);
    f->summary = NULL;
    f->evidence = NULL;
}

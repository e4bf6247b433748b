/* The finding builder.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "finding.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* `value` with `decimals` digits after the point, as printf's "%.Nf" writes it: the product with 10^decimals is
 * exact in long double's 64-bit mantissa (a double's 53 bits times at most 100's 7), and nearbyintl rounds it
 * half to even in the current rounding mode, as printf does. About a tenth of g_snprintf's cost. False where
 * that does not hold (a narrower long double, a negative, huge or non-finite value): printf is asked then. */
static bool put_fixed(double value, unsigned decimals, char **at, const char *end)
{
#if LDBL_MANT_DIG >= 64
    if (!isfinite(value) || signbit(value) || value >= 1e15)
        return false;
    long double scaled = (long double)value * (decimals == 2 ? 100.0L : decimals == 1 ? 10.0L : 1.0L);
    uint64_t n = (uint64_t)nearbyintl(scaled);
    char digits[24]; /* below 10^17: at most 17 digits, the point and 2 more */
    size_t d = sizeof(digits);
    for (unsigned i = 0; i < decimals; i++) {
        digits[--d] = (char)('0' + n % 10);
        n /= 10;
    }
    if (decimals)
        digits[--d] = '.';
    do {
        digits[--d] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    size_t len = sizeof(digits) - d;
    if ((size_t)(end - *at) <= len)
        return false;
    memcpy(*at, digits + d, len);
    *at += len;
    return true;
#else
    (void)value, (void)decimals, (void)at, (void)end;
    return false;
#endif
}

static bool put_str(const char *text, char **at, const char *end)
{
    size_t len = strlen(text);
    if ((size_t)(end - *at) <= len)
        return false;
    memcpy(*at, text, len);
    *at += len;
    return true;
}

/* The duration written by hand; false when printf must write it. */
static bool duration_by_hand(double s, char *buf, size_t len)
{
    char *at = buf;
    const char *end = buf + len;
    bool ok;
    if (s < 1)
        ok = put_fixed(s * 1000, 0, &at, end) && put_str(" ms", &at, end);
    else if (s < 10)
        ok = put_fixed(s, 2, &at, end) && put_str(" s", &at, end);
    else if (s < 100)
        ok = put_fixed(s, 1, &at, end) && put_str(" s", &at, end);
    else if (s < 3600)
        ok = put_fixed(s, 0, &at, end) && put_str(" s", &at, end);
    else
        ok = put_fixed(s, 0, &at, end) && put_str(" s (", &at, end) && put_fixed(s / 3600, 1, &at, end) &&
             put_str(" h)", &at, end);
    if (ok)
        *at = '\0';
    return ok;
}

const char *cl_duration(double s, char *buf, size_t len)
{
    if (duration_by_hand(s, buf, len))
        return buf;
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

/* A sentence kept as what it says and formatted only when someone reads it. Most sentences connlost writes
 * are never read: a verdict is reworded on every lost datagram or retransmission and only the last wording
 * is shown, and a plain tshark -r draws none of them. A cl_text holds each piece as its printf format (a
 * string literal, which lives as long as the plugin) and a copy of its arguments, strings included, the way
 * the kernel's trace_printk keeps binary arguments for its reader (vbin_printf, bstr_printf): recording a
 * piece costs a copy of its arguments, formatting it a printf call per conversion, and only on reading.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_TEXT_H
#define CONNLOST_TEXT_H

#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

typedef GByteArray cl_text;

cl_text *cl_text_new(void);
void cl_text_free(cl_text *t);           /* NULL: nothing */
cl_text *cl_text_copy(const cl_text *t); /* NULL for NULL */
/* The same text, shared (NULL for NULL): a verdict's sentence shown on a frame and kept for the report without
 * a copy. A shared text is never added to again; cl_text_free lets go of one holder's share. */
cl_text *cl_text_share(cl_text *t);
/* Appends a piece. `format` must be a string literal: the text keeps the pointer. Its conversions are printf's
 * d i u o x X c e E f F g G a A s p with the lengths hh h l ll q j z t (L for the floating ones), '*' widths and
 * precisions, %% and %m; wide characters (%lc, %ls) and %n are not kept (a warning in the tests' output). */
void cl_text_add(cl_text *t, const char *format, ...) G_GNUC_PRINTF(2, 3);
void cl_text_vadd(cl_text *t, const char *format, va_list ap) G_GNUC_PRINTF(2, 0);
/* Appends the pieces of `more` (NULL: nothing): the two sentences written one after the other. */
void cl_text_append(cl_text *t, const cl_text *more);
/* Appends frame numbers, ", " between them. */
void cl_text_add_frames(cl_text *t, const uint32_t *frames, unsigned n);
/* Same pieces with the same arguments: the same sentence. */
bool cl_text_equal(const cl_text *a, const cl_text *b);
/* The sentence, formatted: appended to `out`, or as a new string to g_free (NULL for NULL). */
void cl_text_write(const cl_text *t, GString *out);
char *cl_text_string(const cl_text *t);
/* A number in decimal, appended: what "%u" gives, for a tenth of g_string_append_printf's cost. */
void cl_string_append_uint(GString *out, unsigned value);
/* What it keeps, for the caps. */
static inline size_t cl_text_bytes(const cl_text *t) { return t ? sizeof(*t) + t->len : 0; }

#endif

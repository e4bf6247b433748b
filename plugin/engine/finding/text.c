/* Sentences kept unformatted. A text is a run of pieces; a piece is its format's address followed by its
 * arguments in the format's order, each copied as its own bytes (a string with its terminating NUL). The
 * format says where a piece ends, so nothing else is stored. A list of frames is a piece of its own: the address
 * of FRAMES, the count, the numbers.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "text.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The values a conversion takes, copied as they are: kind, C type (as va_arg reads it) and the plain conversion
 * used for one too long to copy (never in connlost's formats). Strings are not here: they are copied with their
 * NUL. */
#define CL_TEXT_VALUES(X)                                                                                              \
    X(ARG_INT, int, "%d") /* and what promotes to it: %c, %hd, %hhu */                                                 \
    X(ARG_LONG, long, "%ld")                                                                                           \
    X(ARG_LLONG, long long, "%lld")                                                                                    \
    X(ARG_SIZE, size_t, "%zu")                                                                                         \
    X(ARG_INTMAX, intmax_t, "%jd")                                                                                     \
    X(ARG_PTRDIFF, ptrdiff_t, "%td")                                                                                   \
    X(ARG_DOUBLE, double, "%g")                                                                                        \
    X(ARG_LDOUBLE, long double, "%Lg")                                                                                 \
    X(ARG_POINTER, void *, "%p")

/* What a conversion takes from the arguments, after the ints of its '*' width and precision. */
#define CL_TEXT_KIND(kind, type, plain) kind,
typedef enum {
    ARG_NONE, /* "%%" or a conversion connlost does not use: formatted as it stands */
    CL_TEXT_VALUES(CL_TEXT_KIND) ARG_STRING,
} arg_kind;
#undef CL_TEXT_KIND

typedef struct {
    const char *start; /* at the '%' */
    size_t len;        /* up to and with the conversion character */
    unsigned stars;    /* '*' width and precision: ints before the value */
    arg_kind kind;
} spec;

/* The longest conversion formatted: '%', flags, two numbers, a length and the conversion. */
#define SPEC_MAX 48

static arg_kind integer_kind(const char *length, size_t n)
{
    if (n == 0 || length[0] == 'h')
        return ARG_INT;
    if (length[0] == 'z')
        return ARG_SIZE;
    if (length[0] == 'j')
        return ARG_INTMAX;
    if (length[0] == 't')
        return ARG_PTRDIFF;
    if (length[0] == 'q' || (n == 2 && length[1] == 'l'))
        return ARG_LLONG;
    return length[0] == 'l' ? ARG_LONG : ARG_NONE;
}

static arg_kind kind_of(char conversion, const char *length, size_t n)
{
    switch (conversion) {
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X':
        return integer_kind(length, n);
    case 'c':
        return n ? ARG_NONE : ARG_INT;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
        return n == 0 ? ARG_DOUBLE : n == 1 && *length == 'L' ? ARG_LDOUBLE : ARG_NONE;
    case 's':
        return n ? ARG_NONE : ARG_STRING;
    case 'p':
        return ARG_POINTER;
    default: /* %m takes nothing; wide characters and %n are never used: printed as they stand */
        return ARG_NONE;
    }
}

static bool is_flag(char c) { return c == '-' || c == '+' || c == ' ' || c == '#' || c == '0' || c == '\''; }

static bool is_length(char c)
{
    return c == 'h' || c == 'l' || c == 'L' || c == 'q' || c == 'j' || c == 'z' || c == 't';
}

static const char *skip_digits(const char *p)
{
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

/* The conversion that starts at `p` (a '%'); returns where the text goes on after it. */
static const char *read_spec(const char *p, spec *s)
{
    s->start = p++;
    s->stars = 0;
    s->kind = ARG_NONE;
    if (*p == '%') {
        s->len = 2;
        return p + 1;
    }
    while (is_flag(*p))
        p++;
    s->stars += *p == '*';
    p = *p == '*' ? p + 1 : skip_digits(p);
    if (*p == '.') {
        p++;
        s->stars += *p == '*';
        p = *p == '*' ? p + 1 : skip_digits(p);
    }
    const char *length = p;
    while (is_length(*p))
        p++;
    if (!*p) { /* a format cut short: printed as it stands */
        s->stars = 0;
        s->len = (size_t)(p - s->start);
        return p;
    }
    s->kind = kind_of(*p, length, (size_t)(p - length));
    p++;
    s->len = (size_t)(p - s->start);
    return p;
}

/* A piece's bytes are gathered here and appended once: a GByteArray append per argument cost more than the
 * copying (about 180 instructions each). A longer piece goes out in several appends. */
typedef struct {
    cl_text *t;
    size_t n;
    guint8 buf[256];
} piece;

static void piece_put(piece *pc, const void *bytes, size_t len)
{
    if (pc->n + len > sizeof(pc->buf)) {
        g_byte_array_append(pc->t, pc->buf, (guint)pc->n);
        pc->n = 0;
        if (len > sizeof(pc->buf)) {
            g_byte_array_append(pc->t, bytes, (guint)len);
            return;
        }
    }
    memcpy(pc->buf + pc->n, bytes, len);
    pc->n += len;
}

static void put_arg(piece *pc, arg_kind kind, va_list *ap)
{
    switch (kind) {
#define CL_TEXT_PUT(kind, type, plain)                                                                                 \
    case kind: {                                                                                                       \
        type value = va_arg(*ap, type);                                                                                \
        piece_put(pc, &value, sizeof(value));                                                                          \
        break;                                                                                                         \
    }
        CL_TEXT_VALUES(CL_TEXT_PUT)
#undef CL_TEXT_PUT
    case ARG_STRING: {
        const char *str = va_arg(*ap, const char *);
        if (!str)
            str = "(null)";
        piece_put(pc, str, strlen(str) + 1);
        break;
    }
    case ARG_NONE:
        break;
    }
}

/* Marks a piece that is a list of frames: no format is at its address. */
static const char FRAMES[] = "frames";

cl_text *cl_text_new(void) { return g_byte_array_new(); }

void cl_text_add_frames(cl_text *t, const uint32_t *frames, unsigned n)
{
    const char *mark = FRAMES;
    g_byte_array_append(t, (const guint8 *)&mark, sizeof(mark));
    g_byte_array_append(t, (const guint8 *)&n, sizeof(n));
    g_byte_array_append(t, (const guint8 *)frames, n * (guint)sizeof(*frames));
}

void cl_text_append(cl_text *t, const cl_text *more)
{
    if (more)
        g_byte_array_append(t, more->data, more->len);
}

void cl_text_free(cl_text *t)
{
    if (t)
        g_byte_array_unref(t);
}

cl_text *cl_text_share(cl_text *t) { return t ? g_byte_array_ref(t) : NULL; }

cl_text *cl_text_copy(const cl_text *t)
{
    if (!t)
        return NULL;
    cl_text *c = g_byte_array_sized_new(t->len);
    g_byte_array_append(c, t->data, t->len);
    return c;
}

void cl_text_vadd(cl_text *t, const char *format, va_list ap)
{
    va_list args;
    va_copy(args, ap);
    piece pc = {.t = t, .n = 0};
    piece_put(&pc, &format, sizeof(format));
    for (const char *p = strchr(format, '%'); p; p = strchr(p, '%')) {
        spec s;
        p = read_spec(p, &s);
        for (unsigned i = 0; i < s.stars; i++)
            put_arg(&pc, ARG_INT, &args);
        if (s.kind == ARG_NONE && s.start[1] != '%' && s.start[s.len - 1] != 'm')
            g_warning("connlost: a text piece with a conversion it cannot keep: %.*s", (int)s.len, s.start);
        put_arg(&pc, s.kind, &args);
    }
    g_byte_array_append(t, pc.buf, (guint)pc.n);
    va_end(args);
}

void cl_text_add(cl_text *t, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    cl_text_vadd(t, format, ap);
    va_end(ap);
}

bool cl_text_equal(const cl_text *a, const cl_text *b)
{
    if (a == b || !a || !b)
        return a == b;
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Reads a value of `type` at `*at` and moves past it. */
#define TAKE(type, at, var)                                                                                            \
    type var;                                                                                                          \
    memcpy(&var, *(at), sizeof(var));                                                                                  \
    *(at) += sizeof(var)

/* The plain conversion of a kind, for one too long to copy (never in connlost's formats). */
static const char *plain(arg_kind kind)
{
#define CL_TEXT_PLAIN(kind, type, plain) [kind] = plain,
    static const char *const conversions[] = {[ARG_NONE] = "", CL_TEXT_VALUES(CL_TEXT_PLAIN)[ARG_STRING] = "%s"};
#undef CL_TEXT_PLAIN
    return conversions[kind];
}
/* The conversion `s` with its '*' replaced by the recorded ints, into `out` (SPEC_MAX bytes). */
static void resolve_stars(const spec *s, const guint8 **at, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (s->start[i] != '*') {
            out[n++] = s->start[i];
        } else {
            TAKE(int, at, star);
            n += (size_t)g_snprintf(out + n, SPEC_MAX - n, "%d", star);
        }
        if (n >= SPEC_MAX - 12) {
            g_strlcpy(out, plain(s->kind), SPEC_MAX);
            return;
        }
    }
    out[n] = '\0';
}

/* Formats one recorded argument with its conversion. The format is the program's own (a literal of the piece),
 * taken apart and given back one conversion at a time. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void write_arg(const spec *s, const guint8 **at, GString *out)
{
    char conv[SPEC_MAX];
    resolve_stars(s, at, conv);
    switch (s->kind) {
#define CL_TEXT_WRITE(kind, type, plain)                                                                               \
    case kind: {                                                                                                       \
        TAKE(type, at, v);                                                                                             \
        g_string_append_printf(out, conv, v);                                                                          \
        break;                                                                                                         \
    }
        CL_TEXT_VALUES(CL_TEXT_WRITE)
#undef CL_TEXT_WRITE
    case ARG_STRING: {
        const char *str = (const char *)*at;
        *at += strlen(str) + 1;
        if (strcmp(conv, "%s") == 0)
            g_string_append(out, str);
        else
            g_string_append_printf(out, conv, str);
        break;
    }
    case ARG_NONE:
        g_string_append_len(out, s->start[1] == '%' ? "%" : s->start, s->start[1] == '%' ? 1 : (gssize)s->len);
        break;
    }
}
#pragma GCC diagnostic pop

static void write_frames(const guint8 **at, GString *out)
{
    TAKE(unsigned, at, n);
    for (unsigned i = 0; i < n; i++) {
        TAKE(uint32_t, at, frame);
        if (i)
            g_string_append(out, ", ");
        cl_string_append_uint(out, frame);
    }
}

void cl_text_write(const cl_text *t, GString *out)
{
    if (!t)
        return;
    const guint8 *at = t->data, *end = t->data + t->len;
    while (at + sizeof(const char *) <= end) {
        TAKE(const char *, &at, format);
        if (format == FRAMES) {
            write_frames(&at, out);
            continue;
        }
        const char *p = format;
        for (const char *pct = strchr(p, '%'); pct; pct = strchr(p, '%')) {
            g_string_append_len(out, p, pct - p);
            spec s;
            p = read_spec(pct, &s);
            write_arg(&s, &at, out);
        }
        g_string_append(out, p);
    }
}

void cl_string_append_uint(GString *out, unsigned value)
{
    char digits[12];
    size_t n = sizeof(digits);
    do {
        digits[--n] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    g_string_append_len(out, digits + n, (gssize)(sizeof(digits) - n));
}

char *cl_text_string(const cl_text *t)
{
    if (!t)
        return NULL;
    GString *s = g_string_sized_new(t->len + 64);
    cl_text_write(t, s);
    return g_string_free(s, FALSE);
}

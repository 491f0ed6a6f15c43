#include "fuzz-json.h"

#include <string.h>

/* A recursive-descent reader of RFC 8259's grammar that only says whether
 * the text is JSON; depth is bounded as GVariant's nesting is. */
typedef struct {
    const char *p, *end;
    const char *why;
} Reader;

static bool value(Reader *r, int depth);

static void skip_space(Reader *r)
{
    while (r->p < r->end && strchr(" \t\n\r", *r->p) && *r->p)
        r->p++;
}

static bool fail(Reader *r, const char *why)
{
    if (!r->why)
        r->why = why;
    return false;
}

static bool literal(Reader *r, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return fail(r, "an unknown word");
    r->p += n;
    return true;
}

static bool string(Reader *r)
{
    if (r->p >= r->end || *r->p != '"')
        return fail(r, "a string does not start with '\"'");
    for (r->p++; r->p < r->end; r->p++) {
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            r->p++;
            return true;
        }
        if (c < 0x20)
            return fail(r, "a raw control character in a string");
        if (c != '\\')
            continue;
        if (++r->p >= r->end)
            break;
        if (*r->p == 'u') {
            for (int i = 1; i <= 4; i++)
                if (r->p + i >= r->end || !g_ascii_isxdigit(r->p[i]))
                    return fail(r, "a bad \\u escape");
            r->p += 4;
        } else if (!*r->p || !strchr("\"\\/bfnrt", *r->p)) {
            return fail(r, "an unknown escape");
        }
    }
    return fail(r, "an unterminated string");
}

static bool digits(Reader *r)
{
    const char *start = r->p;

    while (r->p < r->end && g_ascii_isdigit(*r->p))
        r->p++;
    return r->p > start || fail(r, "a number without digits");
}

static bool number(Reader *r)
{
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (!digits(r))
        return false;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!digits(r))
            return false;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (!digits(r))
            return false;
    }
    return true;
}

static bool members(Reader *r, int depth, char close, bool object)
{
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return true;
    }
    for (;;) {
        skip_space(r);
        if (object) {
            if (!string(r))
                return false;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':')
                return fail(r, "a member without ':'");
            r->p++;
        }
        if (!value(r, depth + 1))
            return false;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return true;
        }
        return fail(r, "a list or object not closed");
    }
}

static bool value(Reader *r, int depth)
{
    if (depth > 200)
        return fail(r, "nested too deep");
    skip_space(r);
    if (r->p >= r->end)
        return fail(r, "a value is missing");
    switch (*r->p) {
    case '{':
        return members(r, depth, '}', true);
    case '[':
        return members(r, depth, ']', false);
    case '"':
        return string(r);
    case 't':
        return literal(r, "true");
    case 'f':
        return literal(r, "false");
    case 'n':
        return literal(r, "null");
    default:
        return number(r);
    }
}

bool fuzz_json_is_valid(const char *text, size_t len, const char **why)
{
    Reader r = {.p = text, .end = text + len};

    if (!g_utf8_validate(text, (gssize)len, NULL)) {
        *why = "not UTF-8";
        return false;
    }
    if (!value(&r, 0)) {
        *why = r.why;
        return false;
    }
    skip_space(&r);
    if (r.p != r.end) {
        *why = "text after the value";
        return false;
    }
    return true;
}

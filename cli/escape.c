/* Text from the daemon made safe for a terminal. Names, descriptions, ISO
 * paths and error messages come from cirrinad, and with --host from another
 * machine: printed raw, an escape sequence in one could retitle the
 * window, move the cursor or hide what follows. Like systemd's
 * utf8_escape_non_printable(), control characters and bytes that are not
 * UTF-8 are written as \xNN (line breaks and tabs as \n, \r and \t);
 * everything else stays as it is. */
#include <string.h>

#include "ctl.h"

/* C0, DEL and C1: the characters a terminal acts on instead of showing. */
static bool is_control(gunichar c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

static void append_bytes_escaped(GString *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(out, "\\x%02x", (unsigned char)p[i]);
}

char *escape_text(const char *s, EscapeFlags flags)
{
    GString *out = g_string_sized_new(strlen(s));
    const char *p = s, *end = s + strlen(s);

    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            /* Not UTF-8 (or cut short): this byte, then go on. */
            append_bytes_escaped(out, p, 1);
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);
        if (c == '\n' && (flags & ESCAPE_KEEP_NEWLINES))
            g_string_append_c(out, '\n');
        else if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\r')
            g_string_append(out, "\\r");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else if (is_control(c))
            append_bytes_escaped(out, p, (size_t)(next - p));
        else
            g_string_append_len(out, p, next - p);
        p = next;
    }
    return g_string_free(out, FALSE);
}

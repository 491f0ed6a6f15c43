/* What cirrinactl writes of the values a daemon sends (cli/value.c):
 * json_write() for --json, format_value() for people. The values are any
 * GVariant of a type D-Bus can carry: what comes off the bus is the
 * daemon's to choose.
 *
 * Input: a GVariant type string, a NUL byte, then the value's bytes in
 * GVariant's serialization, normal form or not. An input whose type is not
 * one D-Bus can carry is read as an a{sv} (a GetAll reply).
 *
 * What must hold: no crash, leak or undefined behaviour; the --json text
 * is one JSON value in UTF-8, whatever the strings hold; neither it nor
 * the text for people, as escape_text() makes it before printing, holds a
 * control character a terminal would act on (C0 but the JSON's line
 * breaks, DEL, C1). */
#include <string.h>

#include "ctl.h"
#include "fuzz-common.h"
#include "fuzz-json.h"

/* C0 (but allowed), DEL and C1 (U+0080 to U+009F, C2 80 to C2 9F in UTF-8). */
static void check_no_control(const char *what, const char *text, const char *allowed)
{
    FUZZ_CHECK(g_utf8_validate(text, -1, NULL), "%s is not UTF-8: %s", what, text);
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        FUZZ_CHECK((c >= 0x20 || strchr(allowed, (int)c)) && !(c >= 0x7f && c <= 0x9f),
                   "%s holds the control character U+%04X: %s", what, c, text);
    }
}

static void check_shown(const char *text)
{
    g_autofree char *shown = escape_text(text, 0);
    g_autofree char *lines = escape_text(text, ESCAPE_KEEP_NEWLINES);

    check_no_control("the text for people", shown, "");
    check_no_control("the multi-line text for people", lines, "\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Ctl ctl; /* no bus: object paths are shown as they are */
    const uint8_t *nul = memchr(data, '\0', size);
    g_autofree char *type = nul ? g_strndup((const char *)data, (gsize)(nul - data)) : NULL;
    const uint8_t *body = nul ? nul + 1 : data;

    fuzz_init_logging();
    /* Only what can come over D-Bus: a signature of one complete type (no
     * maybe types), nested no deeper than D-Bus allows (64). */
    if (!type || strlen(type) > 64 || !g_variant_is_signature(type) ||
        !g_variant_type_string_is_valid(type)) {
        g_free(type);
        type = g_strdup("a{sv}");
    }
    g_autoptr(GVariant) value = fuzz_variant(type, body, size - (size_t)(body - data));
    g_autoptr(GString) json = g_string_new(NULL);
    const char *why = NULL;

    json_write(json, value, 0);
    FUZZ_CHECK(fuzz_json_is_valid(json->str, json->len, &why), "%s: %s", why, json->str);
    g_autofree char *text = format_value(&ctl, "Name", value);
    g_autofree char *size_text = format_value(&ctl, "Size", value);
    FUZZ_CHECK(text && size_text, "format_value gave nothing");
    check_no_control("the JSON text", json->str, "\n");
    check_shown(text);
    check_shown(size_text);
    fuzz_note("%s -> %s", type, json->str);
    return 0;
}

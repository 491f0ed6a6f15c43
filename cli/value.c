/* Values: KEY=VALUE settings typed after the property's D-Bus type, and
 * values written for people (tables) and for scripts (JSON). The syntax
 * people read is the one they type: sizes, names, "0:1,1:3", "name:/dir:ro". */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ctl.h"

/* --- what a key refers to --- */

static bool is_size_key(const char *key)
{
    static const char *const keys[] = {"Memory", "Size", "Allocated", "HostMemory"};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* The kind of object an "o" or "ao" property names. */
static int referenced_kind(const char *key)
{
    static const struct {
        const char *key;
        Kind kind;
    } map[] = {
        {"Switch", KIND_SWITCH}, {"Disks", KIND_DISK},    {"ISOs", KIND_ISO},
        {"VM", KIND_VM},         {"AttachedTo", KIND_VM}, {"NICs", KIND_NIC},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (strcmp(key, map[i].key) == 0)
            return (int)map[i].kind;
    return -1;
}

/* Keys the API takes that are not properties (see the XML's comments). */
static const char *extra_key_type(Kind kind, const char *key)
{
    if (kind == KIND_VM && strcmp(key, "DisplayPassword") == 0)
        return "s";
    return NULL;
}

/* --- parsing --- */

static int bad_value(const char *key, const char *text, const char *what)
{
    return fail(EXIT_USAGE, "%s=%s: %s", key, text, what);
}

int parse_size(const char *text, uint64_t *ret)
{
    static const struct {
        const char *suffix;
        uint64_t factor;
    } units[] = {
        {"", 1},           {"B", 1},
        {"K", 1ULL << 10}, {"KiB", 1ULL << 10},
        {"M", 1ULL << 20}, {"MiB", 1ULL << 20},
        {"G", 1ULL << 30}, {"GiB", 1ULL << 30},
        {"T", 1ULL << 40}, {"TiB", 1ULL << 40},
    };
    const char *p = text;
    uint64_t whole = 0;
    uint64_t frac = 0, frac_div = 1;

    if (!g_ascii_isdigit(*p))
        return -EINVAL;
    for (; g_ascii_isdigit(*p); p++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return -ERANGE;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p))
            return -EINVAL;
        for (; g_ascii_isdigit(*p); p++) {
            if (frac_div >= 1000000) /* 6 digits: frac * factor stays in 64 bits */
                return -EINVAL;
            frac = frac * 10 + (uint64_t)(*p - '0');
            frac_div *= 10;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
        if (g_ascii_strcasecmp(p, units[i].suffix) != 0)
            continue;
        uint64_t f = units[i].factor;
        /* A fraction must come out as whole bytes: 1.5G yes, 0.3K no. */
        if ((frac * f) % frac_div != 0)
            return -EDOM;
        uint64_t extra = frac * f / frac_div;
        if (whole > UINT64_MAX / f || whole * f > UINT64_MAX - extra)
            return -ERANGE;
        *ret = whole * f + extra;
        return 0;
    }
    return -EINVAL;
}

static bool parse_bool(const char *text, gboolean *ret)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "y"};
    static const char *const no[] = {"false", "no", "off", "0", "n"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(text, yes[i]) == 0) {
            *ret = TRUE;
            return true;
        }
        if (g_ascii_strcasecmp(text, no[i]) == 0) {
            *ret = FALSE;
            return true;
        }
    }
    return false;
}

static bool is_none(const char *text)
{
    return !*text || strcmp(text, "/") == 0 || strcmp(text, "-") == 0 ||
           g_ascii_strcasecmp(text, "none") == 0;
}

/* An object named by name, UUID or path; "none" is "/". */
static int parse_reference(Ctl *ctl, const char *key, const char *text, char **path)
{
    int kind = referenced_kind(key);

    if (is_none(text) || (kind == KIND_SWITCH && g_ascii_strcasecmp(text, "nat") == 0)) {
        *path = g_strdup("/");
        return 0;
    }
    if (text[0] == '/') {
        if (!g_variant_is_object_path(text))
            return bad_value(key, text, "not an object path");
        *path = g_strdup(text);
        return 0;
    }
    if (kind < 0 || kind == KIND_NIC)
        return bad_value(key, text, "expected an object path");
    return ctl_lookup(ctl, (Kind)kind, text, path);
}

static int parse_unsigned(const char *key, const char *text, guint64 max, guint64 *ret)
{
    g_autoptr(GError) error = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, 0, max, ret, &error)) {
        g_autofree char *what =
            g_strdup_printf("expected a whole number from 0 to %" G_GUINT64_FORMAT, max);
        return bad_value(key, text, what);
    }
    return 0;
}

static int parse_signed(const char *key, const char *text, gint64 min, gint64 max, gint64 *ret)
{
    g_autoptr(GError) error = NULL;
    if (!g_ascii_string_to_signed(text, 10, min, max, ret, &error)) {
        g_autofree char *what = g_strdup_printf(
            "expected a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, min, max);
        return bad_value(key, text, what);
    }
    return 0;
}

/* Comma-separated items; "" is an empty list. */
static char **split_list(const char *text)
{
    if (!*text)
        return g_new0(char *, 1);
    return g_strsplit(text, ",", -1);
}

int parse_value(Ctl *ctl, const char *key, const char *type, const char *text, GVariant **ret)
{
    guint64 u = 0;
    gint64 s = 0;
    int r;

    /* Strings, names and paths in lists and shares too go out as D-Bus
     * strings, which are UTF-8. */
    if (!g_utf8_validate(text, -1, NULL))
        return bad_value(key, "...", "not valid UTF-8");
    if (strcmp(type, "s") == 0) {
        *ret = g_variant_new_string(text);
    } else if (strcmp(type, "b") == 0) {
        gboolean b;
        if (!parse_bool(text, &b))
            return bad_value(key, text, "expected yes or no (true, false, on, off, 1, 0)");
        *ret = g_variant_new_boolean(b);
    } else if (strcmp(type, "y") == 0) {
        if ((r = parse_unsigned(key, text, G_MAXUINT8, &u)))
            return r;
        *ret = g_variant_new_byte((guint8)u);
    } else if (strcmp(type, "q") == 0) {
        if ((r = parse_unsigned(key, text, G_MAXUINT16, &u)))
            return r;
        *ret = g_variant_new_uint16((guint16)u);
    } else if (strcmp(type, "u") == 0) {
        if ((r = parse_unsigned(key, text, G_MAXUINT32, &u)))
            return r;
        *ret = g_variant_new_uint32((guint32)u);
    } else if (strcmp(type, "t") == 0) {
        if (is_size_key(key)) {
            r = parse_size(text, &u);
            if (r == -EDOM)
                return bad_value(key, text, "not a whole number of bytes");
            if (r < 0)
                return bad_value(key, text,
                                 "expected a size in bytes, or with a suffix K, M, G or T "
                                 "(powers of 1024)");
        } else if ((r = parse_unsigned(key, text, G_MAXUINT64, &u)))
            return r;
        *ret = g_variant_new_uint64(u);
    } else if (strcmp(type, "n") == 0) {
        if ((r = parse_signed(key, text, G_MININT16, G_MAXINT16, &s)))
            return r;
        *ret = g_variant_new_int16((gint16)s);
    } else if (strcmp(type, "i") == 0) {
        if ((r = parse_signed(key, text, G_MININT32, G_MAXINT32, &s)))
            return r;
        *ret = g_variant_new_int32((gint32)s);
    } else if (strcmp(type, "x") == 0) {
        if ((r = parse_signed(key, text, G_MININT64, G_MAXINT64, &s)))
            return r;
        *ret = g_variant_new_int64(s);
    } else if (strcmp(type, "o") == 0) {
        g_autofree char *path = NULL;
        if ((r = parse_reference(ctl, key, text, &path)))
            return r;
        *ret = g_variant_new_object_path(path);
    } else if (strcmp(type, "ao") == 0 || strcmp(type, "as") == 0) {
        g_auto(GStrv) items = split_list(text);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE(type));
        for (char **i = items; *i; i++) {
            g_autofree char *path = NULL;
            if (type[1] == 's') {
                g_variant_builder_add(&b, "s", *i);
                continue;
            }
            if ((r = parse_reference(ctl, key, g_strstrip(*i), &path))) {
                g_variant_builder_clear(&b);
                return r;
            }
            g_variant_builder_add(&b, "o", path);
        }
        *ret = g_variant_builder_end(&b);
    } else if (strcmp(type, "a(uu)") == 0) {
        g_auto(GStrv) items = split_list(text);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE(type));
        for (char **i = items; *i; i++) {
            g_auto(GStrv) pair = g_strsplit(*i, ":", -1);
            guint64 a, c;
            g_autoptr(GError) e1 = NULL, e2 = NULL;
            if (g_strv_length(pair) != 2 ||
                !g_ascii_string_to_unsigned(pair[0], 10, 0, G_MAXUINT32, &a, &e1) ||
                !g_ascii_string_to_unsigned(pair[1], 10, 0, G_MAXUINT32, &c, &e2)) {
                g_variant_builder_clear(&b);
                return bad_value(key, text, "expected pairs A:B separated by commas, e.g. 0:1,1:3");
            }
            g_variant_builder_add(&b, "(uu)", (guint32)a, (guint32)c);
        }
        *ret = g_variant_builder_end(&b);
    } else if (strcmp(type, "a(ssb)") == 0) {
        g_auto(GStrv) items = split_list(text);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE(type));
        for (char **i = items; *i; i++) {
            const char *colon = strchr(*i, ':');
            if (!colon || colon == *i || !colon[1]) {
                g_variant_builder_clear(&b);
                return bad_value(key, text, "expected NAME:/DIRECTORY[:ro] separated by commas");
            }
            g_autofree char *name = g_strndup(*i, colon - *i);
            g_autofree char *dir = g_strdup(colon + 1);
            gboolean ro = FALSE;
            if (g_str_has_suffix(dir, ":ro") || g_str_has_suffix(dir, ":rw")) {
                ro = g_str_has_suffix(dir, ":ro");
                dir[strlen(dir) - 3] = '\0';
            }
            g_variant_builder_add(&b, "(ssb)", name, dir, ro);
        }
        *ret = g_variant_builder_end(&b);
    } else {
        /* Anything else in GVariant text format, e.g. [1, 2] or 'x'. */
        g_autoptr(GError) error = NULL;
        if (!g_variant_type_string_is_valid(type))
            return bad_value(key, text, "has a type this cirrinactl cannot write");
        GVariant *v = g_variant_parse(G_VARIANT_TYPE(type), text, NULL, NULL, &error);
        if (!v)
            return bad_value(key, text, error->message);
        *ret = v;
    }
    return 0;
}

/* KEY=VALUE arguments as an a{sv} of the kind's properties. path: the
 * object being changed, if any (its introspection gives the types). */
int parse_settings(Ctl *ctl, Kind kind, const char *path, char **args, int n, GVariant **ret)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));

    for (int i = 0; i < n; i++) {
        const char *eq = strchr(args[i], '=');
        if (!eq || eq == args[i]) {
            g_variant_builder_clear(&b);
            return usage_error("expected a setting KEY=VALUE, got '%s'", args[i]);
        }
        g_autofree char *key = g_strndup(args[i], eq - args[i]);
        /* Keys go into the a{sv} as D-Bus strings, which are UTF-8. */
        if (!g_utf8_validate(key, -1, NULL)) {
            g_variant_builder_clear(&b);
            return usage_error("the key of setting %d is not valid UTF-8", i + 1);
        }
        if (g_hash_table_contains(seen, key)) {
            g_variant_builder_clear(&b);
            return fail(EXIT_USAGE, "%s is given more than once", key);
        }
        const char *type = api_property_type(ctl, kinds[kind].interface, path, key);
        if (!type)
            type = extra_key_type(kind, key);
        GVariant *value = NULL;
        /* A key that is no property goes as a string: cirrinad names it
         * in its answer. */
        int r = parse_value(ctl, key, type ? type : "s", eq + 1, &value);
        if (r) {
            g_variant_builder_clear(&b);
            return r;
        }
        /* Floating, or a full reference for types read by
         * g_variant_parse(): taken either way. */
        g_autoptr(GVariant) owned = g_variant_take_ref(value);
        g_variant_builder_add(&b, "{sv}", key, owned);
        g_hash_table_add(seen, g_steal_pointer(&key));
    }
    *ret = g_variant_ref_sink(g_variant_builder_end(&b));
    return 0;
}

/* --- for people --- */

char *format_size(uint64_t bytes)
{
    static const char units[] = "KMGT";
    for (int i = 3; i >= 0; i--) {
        uint64_t f = 1ULL << (10 * (i + 1));
        if (bytes < f)
            continue;
        if (bytes % f == 0)
            return g_strdup_printf("%" PRIu64 "%c", bytes / f, units[i]);
        return g_strdup_printf("%.1f%c", (double)bytes / (double)f, units[i]);
    }
    return g_strdup_printf("%" PRIu64, bytes);
}

static char *describe(Ctl *ctl, const char *path)
{
    char *d = ctl_describe_path(ctl, path);
    return d ? d : g_strdup("-");
}

char *format_value(Ctl *ctl, const char *key, GVariant *v)
{
    const char *t = g_variant_get_type_string(v);

    if (strcmp(t, "v") == 0) {
        g_autoptr(GVariant) inner = g_variant_get_variant(v);
        return format_value(ctl, key, inner);
    }
    if (strcmp(t, "b") == 0)
        return g_strdup(g_variant_get_boolean(v) ? "yes" : "no");
    if (strcmp(t, "t") == 0 && is_size_key(key))
        return format_size(g_variant_get_uint64(v));
    if (strcmp(t, "s") == 0)
        return g_strdup(g_variant_get_string(v, NULL));
    if (strcmp(t, "o") == 0)
        return describe(ctl, g_variant_get_string(v, NULL));
    if (strcmp(t, "ao") == 0 || strcmp(t, "as") == 0) {
        g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
        size_t n = g_variant_n_children(v);
        for (size_t i = 0; i < n; i++) {
            g_autoptr(GVariant) child = g_variant_get_child_value(v, i);
            const char *item = g_variant_get_string(child, NULL);
            g_ptr_array_add(parts, t[1] == 'o' ? describe(ctl, item) : g_strdup(item));
        }
        g_ptr_array_add(parts, NULL);
        return g_strjoinv(",", (char **)parts->pdata);
    }
    if (strcmp(t, "a(uu)") == 0) {
        GString *out = g_string_new(NULL);
        GVariantIter iter;
        guint32 a, b;
        g_variant_iter_init(&iter, v);
        while (g_variant_iter_next(&iter, "(uu)", &a, &b))
            g_string_append_printf(out, "%s%u:%u", out->len ? "," : "", a, b);
        return g_string_free(out, FALSE);
    }
    if (strcmp(t, "a(ssb)") == 0) {
        GString *out = g_string_new(NULL);
        GVariantIter iter;
        const char *name, *dir;
        gboolean ro;
        g_variant_iter_init(&iter, v);
        while (g_variant_iter_next(&iter, "(&s&sb)", &name, &dir, &ro))
            g_string_append_printf(out, "%s%s:%s%s", out->len ? "," : "", name, dir,
                                   ro ? ":ro" : "");
        return g_string_free(out, FALSE);
    }
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
        return g_strdup_printf("%" PRIu32, g_variant_get_uint32(v));
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
        return g_strdup_printf("%" PRIu64, g_variant_get_uint64(v));
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
        return g_strdup_printf("%" PRId32, g_variant_get_int32(v));
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
        return g_strdup_printf("%" PRId64, g_variant_get_int64(v));
    return g_variant_print(v, FALSE);
}

/* --- for scripts --- */

void json_write_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            /* Valid JSON either way; escaped, the control characters (C1
             * too: U+0080 to U+009F, C2 80 to C2 9F in UTF-8) cannot reach
             * a terminal that shows the JSON. */
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);
            else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
                g_string_append_printf(out, "\\u%04x", *++p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

static bool is_scalar(GVariant *v)
{
    return g_variant_is_of_type(v, G_VARIANT_TYPE_BASIC);
}

static void newline(GString *out, int indent)
{
    g_string_append_c(out, '\n');
    for (int i = 0; i < indent; i++)
        g_string_append(out, "  ");
}

/* Pretty JSON, as Python's json.dumps(indent=2) writes it, but lists of
 * plain values on one line. D-Bus structs are lists; dictionaries objects. */
void json_write(GString *out, GVariant *v, int indent)
{
    const GVariantType *type = g_variant_get_type(v);

    if (g_variant_type_is_variant(type)) {
        g_autoptr(GVariant) inner = g_variant_get_variant(v);
        json_write(out, inner, indent);
        return;
    }
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
        g_string_append(out, g_variant_get_boolean(v) ? "true" : "false");
        return;
    }
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ||
        g_variant_is_of_type(v, G_VARIANT_TYPE_OBJECT_PATH) ||
        g_variant_is_of_type(v, G_VARIANT_TYPE_SIGNATURE)) {
        json_write_string(out, g_variant_get_string(v, NULL));
        return;
    }
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE)) {
        double d = g_variant_get_double(v);
        if (!isfinite(d)) {
            g_string_append(out, "null");
            return;
        }
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append(out, g_ascii_dtostr(buf, sizeof buf, d));
        return;
    }
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_BYTE)) {
        g_string_append_printf(out, "%u", g_variant_get_byte(v));
        return;
    }
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_HANDLE)) {
        g_string_append(out, "null");
        return;
    }
    if (is_scalar(v)) { /* the integers */
        g_autofree char *text = g_variant_print(v, FALSE);
        g_string_append(out, text);
        return;
    }

    size_t n = g_variant_n_children(v);
    bool dict =
        g_variant_type_is_array(type) && g_variant_type_is_dict_entry(g_variant_type_element(type));
    if (n == 0) {
        g_string_append(out, dict ? "{}" : "[]");
        return;
    }
    if (dict) {
        g_string_append_c(out, '{');
        for (size_t i = 0; i < n; i++) {
            g_autoptr(GVariant) entry = g_variant_get_child_value(v, i);
            g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
            g_autoptr(GVariant) value = g_variant_get_child_value(entry, 1);
            newline(out, indent + 1);
            if (g_variant_is_of_type(key, G_VARIANT_TYPE_STRING) ||
                g_variant_is_of_type(key, G_VARIANT_TYPE_OBJECT_PATH))
                json_write_string(out, g_variant_get_string(key, NULL));
            else {
                g_autofree char *text = g_variant_print(key, FALSE);
                json_write_string(out, text);
            }
            g_string_append(out, ": ");
            json_write(out, value, indent + 1);
            if (i + 1 < n)
                g_string_append_c(out, ',');
        }
        newline(out, indent);
        g_string_append_c(out, '}');
        return;
    }
    bool flat = true;
    for (size_t i = 0; i < n && flat; i++) {
        g_autoptr(GVariant) child = g_variant_get_child_value(v, i);
        flat = is_scalar(child);
    }
    g_string_append_c(out, '[');
    for (size_t i = 0; i < n; i++) {
        g_autoptr(GVariant) child = g_variant_get_child_value(v, i);
        if (flat)
            g_string_append(out, i ? ", " : "");
        else
            newline(out, indent + 1);
        json_write(out, child, indent + 1);
        if (!flat && i + 1 < n)
            g_string_append_c(out, ',');
    }
    if (!flat)
        newline(out, indent);
    g_string_append_c(out, ']');
}

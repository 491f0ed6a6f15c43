/* cirrinactl's KEY=VALUE settings (cli/value.c: parse_settings(),
 * parse_value(), parse_size()), typed after the API's built-in XML, and
 * how the values are written back for people (format_value()) and for
 * scripts (json_write()). No bus: a name where an object path is expected
 * fails as with no daemon.
 *
 * Input: byte 0 picks the kind (VM, switch, disk, ISO, NIC); the rest is
 * up to 16 arguments separated by NUL bytes ("Memory=2G").
 *
 * What must hold: no crash, leak or undefined behaviour; accepted settings
 * are an a{sv} of the arguments' keys, in order, each value of its
 * property's type; written back for people and parsed again, booleans,
 * numbers, CPU pins, strings and whole sizes ("2G") give the same value;
 * the --json text is JSON. */
#include <string.h>

#include "ctl.h"
#include "fuzz-common.h"
#include "fuzz-json.h"

#define MAX_ARGS 16

static Ctl *ctl(void)
{
    static Ctl c; /* no bus: built-in types; names of objects fail */
    return &c;
}

static bool round_trips(const char *type, const char *key, const char *text)
{
    if (strcmp(type, "t") == 0 && (strcmp(key, "Memory") == 0 || strcmp(key, "Size") == 0))
        return !strchr(text, '.'); /* "1.5G" is rounded for people */
    return strchr("bynqiuxts", type[0]) && type[1] == '\0' ? true : strcmp(type, "a(uu)") == 0;
}

static void check_value(Kind kind, const char *key, GVariant *value)
{
    const char *type = api_property_type(ctl(), kinds[kind].interface, NULL, key);
    g_autofree char *text = format_value(ctl(), key, value);
    GVariant *again = NULL;

    if (!type) /* DisplayPassword, or a key that is no property: sent as a string */
        type = "s";
    FUZZ_CHECK(strcmp(g_variant_get_type_string(value), type) == 0, "%s is a '%s', not a '%s'", key,
               g_variant_get_type_string(value), type);
    if (!round_trips(type, key, text))
        return;
    int r = parse_value(ctl(), key, type, text, &again);
    FUZZ_CHECK(r == 0, "%s=%s, as written for people, does not parse again", key, text);
    g_variant_take_ref(again);
    g_autofree char *a = g_variant_print(value, TRUE);
    g_autofree char *b = g_variant_print(again, TRUE);
    FUZZ_CHECK(g_variant_equal(value, again), "%s: %s is written '%s', which reads as %s", key, a,
               text, b);
    g_variant_unref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GVariant) settings = NULL;

    fuzz_init_logging();
    if (size < 1)
        return 0;
    Kind kind = (Kind)(data[0] % N_KINDS);
    for (size_t i = 1; i < size && args->len < MAX_ARGS;) {
        const uint8_t *nul = memchr(data + i, '\0', size - i);
        size_t len = nul ? (size_t)(nul - (data + i)) : size - i;
        g_ptr_array_add(args, g_strndup((const char *)data + i, len));
        i += len + 1;
    }
    if (parse_settings(ctl(), kind, NULL, (char **)args->pdata, (int)args->len, &settings) != 0)
        return 0;

    FUZZ_CHECK(g_variant_is_of_type(settings, G_VARIANT_TYPE_VARDICT), "not an a{sv}");
    FUZZ_CHECK(g_variant_n_children(settings) == args->len, "%zu settings from %u arguments",
               g_variant_n_children(settings), args->len);
    for (guint i = 0; i < args->len; i++) {
        const char *key;
        g_autoptr(GVariant) value = NULL;
        g_variant_get_child(settings, i, "{&sv}", &key, &value);
        const char *arg = args->pdata[i];
        FUZZ_CHECK(strncmp(arg, key, strlen(key)) == 0 && arg[strlen(key)] == '=',
                   "setting %u is %s, from the argument '%s'", i, key, arg);
        check_value(kind, key, value);
    }
    g_autoptr(GString) json = g_string_new(NULL);
    const char *why = NULL;
    json_write(json, settings, 0);
    FUZZ_CHECK(fuzz_json_is_valid(json->str, json->len, &why), "%s: %s", why, json->str);
    fuzz_note("%s", json->str);
    return 0;
}

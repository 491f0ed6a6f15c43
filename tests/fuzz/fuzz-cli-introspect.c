/* What cirrinactl learns from a daemon's introspection XML (cli/api.c,
 * included here to reach its parser), and what it then does with the
 * types it read: parsing KEY=VALUE settings of those types, and checking
 * method signatures. The XML is the daemon's to write (or that of whatever
 * owns the name): outside input.
 *
 * Input: the XML text.
 *
 * What must hold: no crash, leak or undefined behaviour; only org.cirrina
 * interfaces are kept, each property with a name and a type; settings of
 * whatever type the XML claims parse or are refused with a message. */
#include "../../cli/api.c"

#include "fuzz-common.h"

static const char *const values[] = {"0", "yes", "1G", "", "a,b", "0:1", "x:/y:ro", "[1, 2]"};

/* NAME=VALUE as `cirrinactl KIND create/set` reads it, with the type
 * the XML gave NAME. */
static void check_setting(Ctl *ctl, const char *iface, const char *name, const char *value)
{
    g_autofree char *arg = g_strdup_printf("%s=%s", name, value);
    char *args[] = {arg, NULL};
    g_autoptr(GVariant) settings = NULL;
    GVariant *v = NULL;

    for (int k = 0; k < N_KINDS; k++)
        if (strcmp(kinds[k].interface, iface) == 0 &&
            parse_settings(ctl, (Kind)k, NULL, args, 1, &settings) == 0) {
            g_autoptr(GVariant) got = NULL;
            g_variant_get_child(settings, 0, "{&sv}", NULL, &got);
            g_autofree char *text = format_value(ctl, name, got);
            FUZZ_CHECK(text, "format_value gave nothing");
        }
    /* Properties of other interfaces (the Manager's) are parsed alone. */
    if (parse_value(ctl, name, g_hash_table_lookup(iface_info(ctl, iface, NULL)->properties, name),
                    value, &v) == 0)
        g_variant_unref(g_variant_take_ref(v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = g_strndup((const char *)data, size);
    Ctl ctl = {0}; /* no bus */
    GHashTableIter ifaces;
    const char *iface;
    IfaceInfo *info;

    fuzz_init_logging();
    ctl.idl[0] = new_table();
    parse_xml(xml, ctl.idl[0]);
    g_hash_table_iter_init(&ifaces, ctl.idl[0]);
    while (g_hash_table_iter_next(&ifaces, (gpointer *)&iface, (gpointer *)&info)) {
        GHashTableIter props;
        const char *name, *type;
        FUZZ_CHECK(g_str_has_prefix(iface, "org.cirrina."), "kept the interface %s", iface);
        g_hash_table_iter_init(&props, info->properties);
        while (g_hash_table_iter_next(&props, (gpointer *)&name, (gpointer *)&type)) {
            FUZZ_CHECK(name && type, "a property without a name or type");
            /* What `cirrinactl ... set NAME=VALUE` does with the type. */
            const char *learned = api_property_type(&ctl, iface, "/org/cirrina/vm/x", name);
            FUZZ_CHECK(learned && strcmp(learned, type) == 0, "%s's type is lost", name);
            for (size_t i = 0; i < G_N_ELEMENTS(values); i++)
                check_setting(&ctl, iface, name, values[i]);
        }
        api_require_method(&ctl, "Fuzzing", iface, "/org/cirrina/vm/x", "Update", "a{sv}");
    }
    fuzz_note("%u interfaces", g_hash_table_size(ctl.idl[0]));
    g_hash_table_unref(ctl.idl[0]);
    if (ctl.idl[1])
        g_hash_table_unref(ctl.idl[1]);
    return 0;
}

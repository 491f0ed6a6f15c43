/* The API's types: what the running daemon says about itself
 * (Introspect), or, where no object of a kind exists yet to ask, the XML
 * of dbus/ this cirrinactl was built with (cli-api.h, made by meson). */
#include <string.h>

#include "cli-api.h"
#include "ctl.h"

typedef struct {
    GHashTable *properties; /* name -> D-Bus type */
    GHashTable *methods;    /* name -> input signature */
} IfaceInfo;

static void iface_info_free(gpointer p)
{
    IfaceInfo *info = p;
    g_hash_table_unref(info->properties);
    g_hash_table_unref(info->methods);
    g_free(info);
}

/* The value of attribute attr in the tag starting at tag (up to '>'). */
static char *tag_attr(const char *tag, const char *attr)
{
    const char *end = strchr(tag, '>');
    g_autofree char *needle = g_strdup_printf(" %s=\"", attr);
    const char *p = g_strstr_len(tag, end ? end - tag : -1, needle);
    if (!p)
        return NULL;
    p += strlen(needle);
    const char *q = strchr(p, '"');
    return q ? g_strndup(p, q - p) : NULL;
}

static char *strip_comments(const char *xml)
{
    GString *out = g_string_new(NULL);
    const char *p = xml;
    const char *c;

    while ((c = strstr(p, "<!--"))) {
        g_string_append_len(out, p, c - p);
        const char *e = strstr(c + 4, "-->");
        if (!e)
            return g_string_free(out, FALSE);
        p = e + 3;
    }
    g_string_append(out, p);
    return g_string_free(out, FALSE);
}

/* Adds the org.cirrina interfaces of an introspection document to table. */
static void parse_xml(const char *xml_text, GHashTable *table)
{
    g_autofree char *xml = strip_comments(xml_text);
    const char *p = xml;

    while ((p = strstr(p, "<interface "))) {
        g_autofree char *name = tag_attr(p, "name");
        const char *end = strstr(p, "</interface>");
        if (!end)
            end = p + strlen(p);
        if (!name || !g_str_has_prefix(name, "org.cirrina.")) {
            p = end;
            continue;
        }
        IfaceInfo *info = g_new0(IfaceInfo, 1);
        info->properties = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        info->methods = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        for (const char *q = p; (q = strstr(q, "<property ")) && q < end; q++) {
            char *pname = tag_attr(q, "name");
            char *ptype = tag_attr(q, "type");
            if (pname && ptype)
                g_hash_table_replace(info->properties, pname, ptype);
            else {
                g_free(pname);
                g_free(ptype);
            }
        }
        for (const char *q = p; (q = strstr(q, "<method ")) && q < end; q++) {
            char *mname = tag_attr(q, "name");
            const char *mend = strstr(q, "</method>");
            const char *self_closed = strstr(q, "/>");
            const char *gt = strchr(q, '>');
            GString *sig = g_string_new(NULL);
            /* <method name="X"/> has no arguments. */
            if (!(self_closed && gt && self_closed + 1 == gt) && mend && mend < end) {
                for (const char *a = q; (a = strstr(a, "<arg ")) && a < mend; a++) {
                    g_autofree char *type = tag_attr(a, "type");
                    g_autofree char *dir = tag_attr(a, "direction");
                    if (type && (!dir || strcmp(dir, "in") == 0))
                        g_string_append(sig, type);
                }
            }
            if (mname)
                g_hash_table_replace(info->methods, mname, g_string_free(sig, FALSE));
            else
                g_string_free(sig, TRUE);
        }
        g_hash_table_replace(table, g_steal_pointer(&name), info);
        p = end;
    }
}

static GHashTable *new_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, iface_info_free);
}

static GHashTable *builtin(Ctl *ctl)
{
    if (!ctl->idl[1]) {
        static const char *const docs[] = {API_XML_MANAGER, API_XML_VM,   API_XML_NIC,
                                           API_XML_SWITCH,  API_XML_DISK, API_XML_ISO};
        ctl->idl[1] = new_table();
        for (size_t i = 0; i < G_N_ELEMENTS(docs); i++)
            parse_xml(docs[i], ctl->idl[1]);
    }
    return ctl->idl[1];
}

static char *introspect(Ctl *ctl, const char *path)
{
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    const char *xml;

    if (sd_bus_call_method(ctl->bus, CIRRINA_BUS_NAME, path, "org.freedesktop.DBus.Introspectable",
                           "Introspect", &error, &reply, "") < 0 ||
        sd_bus_message_read(reply, "s", &xml) < 0)
        return NULL;
    return g_strdup(xml);
}

/* Introspects path into the live table; true if it held iface. */
static bool learn(Ctl *ctl, const char *path, const char *iface)
{
    if (!ctl->idl[0])
        ctl->idl[0] = new_table();
    if (g_hash_table_contains(ctl->idl[0], iface))
        return true;
    g_autofree char *xml = introspect(ctl, path);
    if (xml)
        parse_xml(xml, ctl->idl[0]);
    return g_hash_table_contains(ctl->idl[0], iface);
}

/* Some object of a kind to ask, when the command names none: the first
 * child node of the kind's folder. */
static char *some_object(Ctl *ctl, const char *iface)
{
    for (int k = 0; k < N_KINDS; k++) {
        if (strcmp(kinds[k].interface, iface) != 0 || k == KIND_NIC)
            continue;
        g_autofree char *xml = introspect(ctl, kinds[k].prefix);
        const char *p = xml;
        while (p && (p = strstr(p, "<node "))) {
            g_autofree char *name = tag_attr(p, "name");
            if (name && *name)
                return g_strdup_printf("%s/%s", kinds[k].prefix, name);
            p++;
        }
    }
    return NULL;
}

static IfaceInfo *iface_info(Ctl *ctl, const char *iface, const char *path)
{
    if (ctl->idl[0] && g_hash_table_contains(ctl->idl[0], iface))
        return g_hash_table_lookup(ctl->idl[0], iface);
    if (strcmp(iface, IFACE_MANAGER) == 0)
        path = CIRRINA_PATH;
    g_autofree char *found = path ? NULL : some_object(ctl, iface);
    if ((path || found) && learn(ctl, path ? path : found, iface))
        return g_hash_table_lookup(ctl->idl[0], iface);
    return g_hash_table_lookup(builtin(ctl), iface);
}

/* The D-Bus type of a property, or NULL for a key that is not one. */
const char *api_property_type(Ctl *ctl, const char *iface, const char *path, const char *name)
{
    IfaceInfo *info = iface_info(ctl, iface, path);
    const char *type = info ? g_hash_table_lookup(info->properties, name) : NULL;

    /* A daemon older than this client may lack a property: the built-in
     * type still tells how to write what the user meant. */
    if (!type) {
        IfaceInfo *b = g_hash_table_lookup(builtin(ctl), iface);
        type = b ? g_hash_table_lookup(b->properties, name) : NULL;
    }
    return type;
}

/* 0 when the daemon's object at path has method taking in_signature, or
 * when introspection cannot tell (the call itself will); otherwise says
 * why not and returns EXIT_FAILURE. */
int api_require_method(Ctl *ctl, const char *what, const char *iface, const char *path,
                       const char *method, const char *in_signature)
{
    if (!learn(ctl, path, iface))
        return 0;
    IfaceInfo *info = g_hash_table_lookup(ctl->idl[0], iface);
    const char *sig = g_hash_table_lookup(info->methods, method);
    if (!sig)
        return fail(EXIT_FAILURE, "%s is not supported by this cirrinad (it has no %s.%s)", what,
                    iface, method);
    if (strcmp(sig, in_signature) != 0)
        return fail(EXIT_FAILURE,
                    "%s: this cirrinad's %s.%s takes (%s), this cirrinactl knows (%s); use a "
                    "cirrinactl of the same version",
                    what, iface, method, sig, in_signature);
    return 0;
}

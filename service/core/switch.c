/* The switch kind: a virtual switch that NICs join. */
#include <net/if.h>
#include <string.h>

#include "core/errors.h"
#include "core/object.h"
#include "core/registry.h"

static const char *const switch_types[] = {"bridge", "netgraph", NULL};

/* Host interface names: IFNAMSIZ less the NUL, and no path-like names. */
static bool check_uplink(const Field *f, GVariant *value, GError **error)
{
    const char *s = g_variant_get_string(value, NULL);

    if (s[0] == '\0' || name_is_valid(s, IFNAMSIZ - 1))
        return true;
    g_autofree char *shown = g_strescape(s, NULL);
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                "%s='%.64s' is not a host interface name (1 to %d characters from "
                "[A-Za-z0-9._-], starting with a letter or digit)",
                f->name, shown, IFNAMSIZ - 1);
    return false;
}

static const Field switch_fields[] = {
    FIELD_STR("UUID", "s", offsetof(CirObject, uuid), FIELD_CONST, "uuid"),
    FIELD_STR("Name", "s", offsetof(CirObject, name), 0, "name"),
    FIELD_STR("Description", "s", offsetof(CirSwitch, description), FIELD_WRITABLE, "description",
              .check = field_check_description),
    FIELD_STR("Type", "s", offsetof(CirSwitch, type), FIELD_CREATE_ONLY, "type",
              .choices = switch_types),
    FIELD_STR("Uplink", "s", offsetof(CirSwitch, uplink), FIELD_WRITABLE, "uplink",
              .check = check_uplink),
    FIELD_STR("Interface", "s", offsetof(CirSwitch, interface), FIELD_CONST, "interface"),
};

static void switch_init(CirObject *obj)
{
    CirSwitch *sw = (CirSwitch *)obj;

    sw->description = g_strdup("");
    sw->type = g_strdup("bridge");
    sw->uplink = g_strdup("");
    sw->interface = g_strdup("");
}

static bool interface_is_taken(Registry *reg, const char *name)
{
    g_autoptr(GPtrArray) all = registry_list(reg, KIND_SWITCH);

    if (if_nametoindex(name) != 0)
        return true;
    for (guint i = 0; i < all->len; i++)
        if (strcmp(((CirSwitch *)all->pdata[i])->interface, name) == 0)
            return true;
    return false;
}

static bool switch_validate(Registry *reg, CirObject *obj, const CirObject *old,
                            GHashTable *changes, GError **error)
{
    CirSwitch *sw = (CirSwitch *)obj;

    if (strcmp(sw->type, "netgraph") == 0 && strcmp(registry_paths(reg)->host_os, "freebsd") != 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                    "Type='netgraph' switches exist only on FreeBSD; this host runs %s",
                    registry_paths(reg)->host_os);
        return false;
    }
    /* A host interface joins one bridge at most. Whether it exists and can
     * be an uplink is the host's to say (core/network.c). */
    g_autoptr(GPtrArray) all = registry_list(reg, KIND_SWITCH);
    for (guint i = 0; sw->uplink[0] && i < all->len; i++) {
        const CirSwitch *other = all->pdata[i];
        if (strcmp(other->base.uuid, sw->base.uuid) != 0 &&
            strcmp(other->uplink, sw->uplink) == 0) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY,
                        "Uplink: '%s' is the uplink of the switch '%s' already", sw->uplink,
                        other->base.name);
            return false;
        }
    }
    if (old)
        return true;
    /* The daemon names the kernel interface, never the client, and picks a
     * name that neither the host nor another switch uses. */
    const char *prefix = strcmp(sw->type, "netgraph") == 0 ? "cirng" : "cirbr";
    for (unsigned n = 0; n < 10000; n++) {
        g_autofree char *name = g_strdup_printf("%s%u", prefix, n);
        if (!interface_is_taken(reg, name)) {
            g_free(sw->interface);
            sw->interface = g_steal_pointer(&name);
            return true;
        }
    }
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "No free interface name for a switch");
    return false;
}

static GVariant *switch_get_derived(Registry *reg, const CirObject *obj, const Field *f)
{
    g_assert_not_reached();
}

const ObjectClass switch_class = {
    .kind = KIND_SWITCH,
    .label = "switch",
    .table = "switches",
    .size = sizeof(CirSwitch),
    .name_max = OBJECT_NAME_MAX,
    .fields = switch_fields,
    .n_fields = G_N_ELEMENTS(switch_fields),
    .init = switch_init,
    .validate = switch_validate,
    .get_derived = switch_get_derived,
};

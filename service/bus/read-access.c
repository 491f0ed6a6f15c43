/* Reading the objects needs org.cirrina.vm.read.
 *
 * sd-bus answers Properties.Get/GetAll and ObjectManager.GetManagedObjects
 * itself, synchronously: a property getter cannot wait for polkit. So a bus
 * filter sees those calls first. Trusted callers (root, the session's own
 * user) and connections polkit allowed within the last READ_ALLOW_SECONDS
 * go on to sd-bus, except GetManagedObjects, which is answered here for
 * them too (faster than sd-bus's walk over thousands of objects); for any
 * other the call is held while polkit is asked and, once allowed, answered
 * here with what sd-bus would have answered, and the connection is
 * remembered. Introspect and Peer stay open: they show the API and the
 * objects' paths (UUIDs), never their settings; so do the Manager's host
 * facts (Version, Hypervisor, HostCPUs, HostMemory). */
#include <string.h>

#include "bus/object.h"

#define READ_ALLOW_SECONDS 60
#define READ_ALLOW_MAX     4096

#define PROPERTIES_IFACE     "org.freedesktop.DBus.Properties"
#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"

typedef struct {
    Daemon *d;
    GHashTable *allowed; /* unique bus name -> expiry (gint64, monotonic usec) */
} ReadAccess;

static ReadAccess read_access;

static bool recently_allowed(const char *sender)
{
    gpointer expiry;

    if (!sender || !g_hash_table_lookup_extended(read_access.allowed, sender, NULL, &expiry))
        return false;
    if (*(gint64 *)expiry > g_get_monotonic_time())
        return true;
    g_hash_table_remove(read_access.allowed, sender);
    return false;
}

static void remember_allowed(const char *sender)
{
    gint64 *expiry = g_new(gint64, 1);

    /* Unique names are never reused; a full table just starts over. */
    if (g_hash_table_size(read_access.allowed) >= READ_ALLOW_MAX)
        g_hash_table_remove_all(read_access.allowed);
    *expiry = g_get_monotonic_time() + READ_ALLOW_SECONDS * G_USEC_PER_SEC;
    g_hash_table_insert(read_access.allowed, g_strdup(sender), expiry);
}

static int append_standard_interfaces(sd_bus_message *reply)
{
    static const char *const standard[] = {"org.freedesktop.DBus.Peer",
                                           "org.freedesktop.DBus.Introspectable", PROPERTIES_IFACE};
    int r = 0;

    for (size_t i = 0; r >= 0 && i < G_N_ELEMENTS(standard); i++)
        r = sd_bus_message_append(reply, "{sa{sv}}", standard[i], 0);
    return r;
}

static int answer_managed_objects(sd_bus_message *reply)
{
    g_autoptr(GPtrArray) all = bus_all_objects();
    int r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");

    for (guint i = 0; r >= 0 && i < all->len; i++) {
        CirObject *obj = all->pdata[i];
        g_autofree char *path = bus_object_path(read_access.d->reg, obj);
        r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
        if (r >= 0)
            r = sd_bus_message_append(reply, "o", path);
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
        if (r >= 0)
            r = append_standard_interfaces(reply);
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
        if (r >= 0)
            r = sd_bus_message_append(reply, "s", bus_object_interface(obj->kind));
        if (r >= 0)
            r = bus_append_all_properties(reply, obj);
        for (int level = 0; r >= 0 && level < 3; level++)
            r = sd_bus_message_close_container(reply);
    }
    if (r >= 0)
        r = bus_job_append_managed(reply);
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* GetManagedObjects for a caller allowed to read, answered here rather
 * than by sd-bus: its walk looks each object up again by path, once per
 * vtable under the prefix, and goes through the vtable for each property,
 * where this takes the registry's objects as they are. The same answer. */
static int reply_managed_objects(sd_bus_message *m)
{
    g_autoptr(sd_bus_message) reply = NULL;
    int r = sd_bus_message_new_method_return(m, &reply);

    if (r >= 0)
        r = answer_managed_objects(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    if (r < 0)
        sd_bus_reply_method_errno(m, r, NULL);
    return 1; /* answered */
}

/* Runs once polkit allowed the read: answers as sd-bus would. */
static int answer_read(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    g_autoptr(sd_bus_message) reply = NULL;
    const char *member = sd_bus_message_get_member(m);
    const char *iface = NULL, *property = NULL;
    CirObject *obj = NULL;
    int r;

    remember_allowed(sd_bus_message_get_sender(m));
    r = sd_bus_message_new_method_return(m, &reply);
    if (r < 0)
        return r;
    if (strcmp(member, "GetManagedObjects") == 0) {
        r = answer_managed_objects(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
    }

    r = strcmp(member, "Get") == 0 ? sd_bus_message_read(m, "ss", &iface, &property)
                                   : sd_bus_message_read(m, "s", &iface);
    if (r < 0)
        return r;
    if (bus_job_is_path(sd_bus_message_get_path(m))) {
        r = bus_job_answer_read(reply, sd_bus_message_get_path(m), iface, property, error);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
    }
    obj = bus_object_from_path(read_access.d->reg, sd_bus_message_get_path(m));
    if (!obj)
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.",
                                 sd_bus_message_get_path(m));
    if (strcmp(iface, bus_object_interface(obj->kind)) != 0) {
        /* As sd-bus answers: the standard interfaces have no properties. */
        if (strncmp(iface, "org.freedesktop.DBus.", 21) != 0)
            return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                     "Unknown interface '%s'.", iface);
        if (property)
            return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY,
                                     "Unknown interface %s or property %s.", iface, property);
        r = sd_bus_message_append(reply, "a{sv}", 0);
    } else if (property) {
        r = bus_append_property(reply, obj, property, true);
        if (r == -ENOENT)
            return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property '%s'.",
                                     property);
    } else {
        r = bus_append_all_properties(reply, obj);
    }
    return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int read_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    const char *iface = sd_bus_message_get_interface(m);
    const char *member = sd_bus_message_get_member(m);
    const char *path = sd_bus_message_get_path(m);
    bool props, managed;
    uint8_t type;

    if (sd_bus_message_get_type(m, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL || !iface ||
        !member || !path || !g_str_has_prefix(path, CIRRINA_PATH))
        return 0;
    props = strcmp(iface, PROPERTIES_IFACE) == 0 &&
            (strcmp(member, "Get") == 0 || strcmp(member, "GetAll") == 0);
    managed = strcmp(iface, OBJECT_MANAGER_IFACE) == 0 &&
              strcmp(member, "GetManagedObjects") == 0 && strcmp(path, CIRRINA_PATH) == 0;
    if (!(props && strcmp(path, CIRRINA_PATH) != 0) && !managed)
        return 0;
    if (auth_sender_is_trusted(read_access.d->auth, m) ||
        recently_allowed(sd_bus_message_get_sender(m))) {
        /* With arguments, it goes on to sd-bus's "unknown method". */
        if (managed && sd_bus_message_has_signature(m, ""))
            return reply_managed_objects(m);
        return 0;
    }

    int r = auth_check(read_access.d->auth, m, "org.cirrina.vm.read", NULL, answer_read, NULL, NULL,
                       &error);
    if (sd_bus_error_is_set(&error))
        sd_bus_reply_method_error(m, &error);
    else if (r < 0)
        sd_bus_reply_method_errno(m, r, NULL);
    return 1; /* held, or answered */
}

int bus_read_access_register(Daemon *d)
{
    read_access.d = d;
    if (!read_access.allowed)
        read_access.allowed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return sd_bus_add_filter(d->bus, NULL, read_filter, NULL);
}

#include "bus/object.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus/convert.h"
#include "core/errors.h"

/* sd-bus hands property getters and find callbacks only the object they
 * are about; the one daemon of this process is kept here for them. */
static Daemon *bus_daemon;
static const char *interfaces[N_KINDS];
static sd_bus_vtable *vtables[N_KINDS];
static const ObjectKind kinds[N_KINDS] = {KIND_VM, KIND_NIC, KIND_SWITCH, KIND_DISK, KIND_ISO};

static const char *const prefixes[N_KINDS] = {
    [KIND_VM] = CIRRINA_PATH "/vm",         [KIND_NIC] = CIRRINA_PATH "/vm",
    [KIND_SWITCH] = CIRRINA_PATH "/switch", [KIND_DISK] = CIRRINA_PATH "/disk",
    [KIND_ISO] = CIRRINA_PATH "/iso",
};

/* --- paths --- */

char *bus_object_path(Registry *reg, const CirObject *obj)
{
    char *path = NULL;
    int r;

    /* A NIC's path is its VM's, then /nic/<n> in plain digits. */
    const char *uuid = obj->kind == KIND_NIC ? ((const CirNIC *)obj)->vm : obj->uuid;
    r = sd_bus_path_encode(prefixes[obj->kind], uuid, &path);
    if (r < 0)
        g_error("Out of memory encoding an object path");
    if (obj->kind == KIND_NIC) {
        char *vm_path = path;
        path = g_strdup_printf("%s/nic/%u", vm_path, ((const CirNIC *)obj)->index);
        free(vm_path);
    }
    return path; /* malloc'd, as GLib's allocator is */
}

static CirObject *nic_from_path(Registry *reg, const char *path)
{
    const char *sep = g_strrstr(path, "/nic/");
    guint64 index;

    if (!sep || !g_ascii_isdigit(sep[5]) ||
        !g_ascii_string_to_unsigned(sep + 5, 10, 0, G_MAXUINT32, &index, NULL))
        return NULL;
    g_autofree char *vm_path = g_strndup(path, (gsize)(sep - path));
    g_autofree char *vm = NULL;
    if (sd_bus_path_decode(vm_path, prefixes[KIND_VM], &vm) <= 0 || strchr(vm, '/'))
        return NULL;
    GPtrArray *nics = registry_vm_nics(reg, vm);
    for (guint i = 0; nics && i < nics->len; i++)
        if (((CirNIC *)nics->pdata[i])->index == index)
            return nics->pdata[i];
    return NULL;
}

/* The UUID that path names under the prefix of kind, or NULL. */
static char *path_uuid(const char *path, ObjectKind kind)
{
    g_autofree char *id = NULL;

    if (sd_bus_path_decode(path, prefixes[kind], &id) <= 0 || strchr(id, '/'))
        return NULL;
    return g_steal_pointer(&id);
}

CirObject *bus_object_from_path(Registry *reg, const char *path)
{
    CirObject *nic = nic_from_path(reg, path);

    if (nic)
        return nic;
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        if (k == KIND_NIC)
            continue;
        g_autofree char *uuid = path_uuid(path, k);
        if (uuid)
            return registry_lookup(reg, k, uuid);
    }
    return NULL;
}

/* --- values --- */

static int path_to_ref(Registry *reg, const Field *f, const char *path, bool none_allowed,
                       char **uuid, sd_bus_error *error)
{
    const ObjectClass *c = object_class(f->ref_kind);

    if (none_allowed && strcmp(path, "/") == 0) {
        *uuid = g_strdup("");
        return 0;
    }
    g_autofree char *id = path_uuid(path, f->ref_kind);
    if (!id)
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                 "%s: '%s' is not the path of a %s%s", f->name, path, c->label,
                                 none_allowed ? " (nor \"/\" for none)" : "");
    if (!registry_lookup(reg, f->ref_kind, id))
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_NOT_FOUND,
                                 "%s: the %s %s does not exist", f->name, c->label, path);
    *uuid = g_steal_pointer(&id);
    return 0;
}

/* The bus value of a setting as the model holds it: paths become UUIDs. */
static int value_from_bus(Registry *reg, const Field *f, GVariant *value, GVariant **out,
                          sd_bus_error *error)
{
    int r;

    if (strcmp(f->dbus_type, "o") == 0) {
        g_autofree char *uuid = NULL;
        r = path_to_ref(reg, f, g_variant_get_string(value, NULL), true, &uuid, error);
        if (r < 0)
            return r;
        *out = g_variant_new_string(uuid);
    } else if (strcmp(f->dbus_type, "ao") == 0) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
        for (gsize i = 0; i < g_variant_n_children(value); i++) {
            g_autofree char *uuid = NULL;
            const char *path;
            g_variant_get_child(value, i, "&o", &path);
            r = path_to_ref(reg, f, path, false, &uuid, error);
            if (r < 0) {
                g_variant_builder_clear(&b);
                return r;
            }
            g_variant_builder_add(&b, "s", uuid);
        }
        *out = g_variant_builder_end(&b);
    } else {
        *out = g_variant_ref(value);
    }
    return 0;
}

static const Field *settable_field(const ObjectClass *c, const char *key)
{
    const Field *f = object_class_find_field(c, key);

    if (!f || (f->flags & FIELD_DERIVED) ||
        ((f->flags & FIELD_HIDDEN) && !(f->flags & FIELD_WRITABLE)))
        return NULL;
    return f;
}

int bus_read_changes(sd_bus_message *m, ObjectKind kind, GHashTable **changes, sd_bus_error *error)
{
    const ObjectClass *c = object_class(kind);
    g_autoptr(GHashTable) table =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
    int r;

    r = sd_bus_message_enter_container(m, 'a', "{sv}");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *key, *contents;
        g_autoptr(GVariant) value = NULL;
        GVariant *converted = NULL;

        r = sd_bus_message_read_basic(m, 's', &key);
        if (r < 0)
            return r;
        const Field *f = settable_field(c, key);
        if (!f) {
            g_autofree char *shown = g_strescape(key, NULL);
            return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                     "Unknown key '%.64s' for a %s", shown, c->label);
        }
        if (g_hash_table_contains(table, key))
            return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                     "The key %s is given twice", key);
        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
            return r;
        if (strcmp(contents, f->dbus_type) != 0)
            return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                     "%s must be of type '%s', not '%s'", f->name, f->dbus_type,
                                     contents);
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
            return r;
        r = bus_read_gvariant(m, &value);
        if (r <= 0)
            return r < 0 ? r : -EBADMSG;
        g_variant_ref_sink(value);
        r = sd_bus_message_exit_container(m);
        if (r < 0)
            return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
            return r;
        r = value_from_bus(bus_daemon->reg, f, value, &converted, error);
        if (r < 0)
            return r;
        g_hash_table_insert(table, g_strdup(key), g_variant_take_ref(converted));
    }
    if (r < 0)
        return r;
    r = sd_bus_message_exit_container(m);
    if (r < 0)
        return r;
    *changes = g_steal_pointer(&table);
    return 0;
}

int bus_read_options(sd_bus_message *m, const char *const *keys, const char *const *types,
                     GHashTable **options, sd_bus_error *error)
{
    g_autoptr(GHashTable) table =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
    int r;

    r = sd_bus_message_enter_container(m, 'a', "{sv}");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *key, *contents;
        GVariant *value;
        size_t i;

        r = sd_bus_message_read_basic(m, 's', &key);
        if (r < 0)
            return r;
        for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
            ;
        if (!keys[i]) {
            g_autofree char *shown = g_strescape(key, NULL);
            return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                     "Unknown option '%.64s'", shown);
        }
        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
            return r;
        if (strcmp(contents, types[i]) != 0)
            return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                     "The option %s must be of type '%s', not '%s'", key, types[i],
                                     contents);
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r >= 0)
            r = bus_read_gvariant(m, &value);
        if (r <= 0)
            return r < 0 ? r : -EBADMSG;
        g_hash_table_insert(table, g_strdup(key), g_variant_ref_sink(value));
        r = sd_bus_message_exit_container(m);
        if (r >= 0)
            r = sd_bus_message_exit_container(m);
        if (r < 0)
            return r;
    }
    if (r < 0)
        return r;
    r = sd_bus_message_exit_container(m);
    if (r < 0)
        return r;
    *options = g_steal_pointer(&table);
    return 0;
}

int bus_reply_object_path(sd_bus_message *m, Registry *reg, const CirObject *obj)
{
    g_autofree char *path = bus_object_path(reg, obj);
    return sd_bus_reply_method_return(m, "o", path);
}

/* --- authorization --- */

const char *bus_manage_action(ObjectKind kind)
{
    switch (kind) {
    case KIND_VM:
    case KIND_NIC:
        return "org.cirrina.vm.manage";
    case KIND_SWITCH:
        return "org.cirrina.switch.manage";
    case KIND_DISK:
    case KIND_ISO:
        return "org.cirrina.storage.manage";
    default:
        g_assert_not_reached();
    }
}

typedef struct {
    BusMethod method;
} PendingMethod;

static int run_method(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    const PendingMethod *p = userdata;
    const char *path = sd_bus_message_get_path(m);
    CirObject *obj = NULL;

    /* Jobs are not objects of the model: their methods find them. */
    if (strcmp(path, CIRRINA_PATH) != 0 && !bus_job_is_path(path)) {
        obj = bus_object_from_path(bus_daemon->reg, path);
        if (!obj)
            return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_NOT_FOUND,
                                     "The object %s no longer exists", path);
    }
    return p->method(bus_daemon, m, obj, error);
}

/* What polkit rules see of the object a call is about. */
static GPtrArray *auth_details(sd_bus_message *m)
{
    static const char *const creates[][2] = {{"CreateVM", "vm"},     {"CreateSwitch", "switch"},
                                             {"CreateDisk", "disk"}, {"RegisterISO", "iso"},
                                             {"ImportDisk", "disk"}, {"ImportISO", "iso"}};
    GPtrArray *d = g_ptr_array_new_with_free_func(g_free);
    const char *path = sd_bus_message_get_path(m);
    CirObject *obj = bus_object_from_path(bus_daemon->reg, path);

    if (obj && obj->kind == KIND_NIC)
        obj = registry_lookup(bus_daemon->reg, KIND_VM, ((CirNIC *)obj)->vm);
    if (obj && obj->kind == KIND_VM) {
        g_ptr_array_add(d, g_strdup("vm"));
        g_ptr_array_add(d, g_strdup(obj->name));
        g_ptr_array_add(d, g_strdup("vm.uuid"));
        g_ptr_array_add(d, g_strdup(obj->uuid));
        g_ptr_array_add(d, g_strdup("group"));
        g_ptr_array_add(d, g_strdup(((CirVM *)obj)->group));
    } else if (obj) {
        g_ptr_array_add(d, g_strdup(obj->kind == KIND_SWITCH ? "switch"
                                    : obj->kind == KIND_DISK ? "disk"
                                                             : "iso"));
        g_ptr_array_add(d, g_strdup(obj->name));
    } else if (strcmp(path, CIRRINA_PATH) == 0) {
        /* Create*: the name the new object would have. */
        const char *member = sd_bus_message_get_member(m), *name = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(creates); i++)
            if (strcmp(member, creates[i][0]) == 0 && sd_bus_message_read(m, "s", &name) >= 0) {
                g_ptr_array_add(d, g_strdup(creates[i][1]));
                g_ptr_array_add(d, g_strdup(name));
            }
        sd_bus_message_rewind(m, true);
    }
    g_ptr_array_add(d, NULL);
    return d;
}

int bus_run_authorized(sd_bus_message *m, const char *action, BusMethod method, sd_bus_error *error)
{
    PendingMethod *p = g_new(PendingMethod, 1);
    g_autoptr(GPtrArray) details = auth_details(m);

    p->method = method;
    return auth_check(bus_daemon->auth, m, action, (const char *const *)details->pdata, run_method,
                      p, g_free, error);
}

/* --- the shared methods --- */

/* Takes the outcome first: arguments have no evaluation order in C. */
static int reply_or_error(sd_bus_message *m, bool ok, GError **gerror, sd_bus_error *error)
{
    return ok ? sd_bus_reply_method_return(m, NULL) : bus_error_from_gerror(error, *gerror);
}

static int update_object(Daemon *d, sd_bus_message *m, CirObject *obj, sd_bus_error *error)
{
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) gerror = NULL;
    int r = bus_read_changes(m, obj->kind, &changes, error);

    if (r < 0)
        return r;
    return reply_or_error(m, registry_update(d->reg, obj, changes, &gerror), &gerror, error);
}

static int rename_object(Daemon *d, sd_bus_message *m, CirObject *obj, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    const char *name;
    int r = sd_bus_message_read(m, "s", &name);

    if (r < 0)
        return r;
    return reply_or_error(m, registry_rename(d->reg, obj, name, &gerror), &gerror, error);
}

static int delete_object(Daemon *d, sd_bus_message *m, CirObject *obj, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;

    return reply_or_error(m, registry_delete(d->reg, obj, false, &gerror), &gerror, error);
}

int bus_method_update(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(((CirObject *)userdata)->kind), update_object,
                              error);
}

int bus_method_rename(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(((CirObject *)userdata)->kind), rename_object,
                              error);
}

int bus_method_delete(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(((CirObject *)userdata)->kind), delete_object,
                              error);
}

const sd_bus_vtable bus_named_object_methods[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Update", "a{sv}", "", bus_method_update, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Rename", "s", "", bus_method_rename, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Delete", "", "", bus_method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* --- vtables and callbacks --- */

static int object_get_property(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *error)
{
    return bus_append_property(reply, userdata, property, false);
}

const char *bus_object_interface(ObjectKind kind)
{
    return interfaces[kind];
}

/* A visible field by name. sd-bus hands getters the vtable's own name
 * pointer, which is the Field's, so a pointer match finds it without
 * comparing strings; other callers fall back to the names. */
static const Field *visible_field(const ObjectClass *c, const char *property)
{
    const Field *f = NULL;

    for (size_t i = 0; !f && i < c->n_fields; i++)
        if (c->fields[i].name == property)
            f = &c->fields[i];
    if (!f)
        f = object_class_find_field(c, property);
    return f && !(f->flags & FIELD_HIDDEN) ? f : NULL;
}

/* A reference (an object's UUID, "" for none) as its object's path, "/"
 * for none or a missing object. */
static int append_ref(sd_bus_message *reply, ObjectKind kind, const char *uuid)
{
    CirObject *obj = uuid && uuid[0] ? registry_lookup(bus_daemon->reg, kind, uuid) : NULL;
    g_autofree char *path = obj ? bus_object_path(bus_daemon->reg, obj) : NULL;

    return sd_bus_message_append_basic(reply, 'o', path ? path : "/");
}

/* A value of the model as the bus shows it: references (UUIDs in the
 * model) as object paths. */
static int append_model_value(sd_bus_message *reply, const Field *f, GVariant *value)
{
    int r;

    if (strcmp(f->dbus_type, "o") == 0)
        return append_ref(reply, f->ref_kind, g_variant_get_string(value, NULL));
    if (strcmp(f->dbus_type, "ao") != 0)
        return bus_append_gvariant(reply, value);
    r = sd_bus_message_open_container(reply, 'a', "o");
    for (gsize i = 0; r >= 0 && i < g_variant_n_children(value); i++) {
        const char *uuid;
        g_variant_get_child(value, i, "&s", &uuid);
        r = append_ref(reply, f->ref_kind, uuid);
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* The field's bus value. Scalars are written straight from the struct into
 * the message: listing every object calls this once per property, and a
 * GVariant for each cost allocations, reference counts and UTF-8 checks.
 * Arrays and derived fields (few) go through their GVariant. */
static int append_field(sd_bus_message *reply, const CirObject *obj, const Field *f)
{
    const char *p = field_storage(obj, f);

    if (f->flags & FIELD_DERIVED) {
        g_autoptr(GVariant) value = g_variant_take_ref(object_get(bus_daemon->reg, obj, f));
        return append_model_value(reply, f, value);
    }
    switch (f->storage) {
    case STORAGE_STRING: {
        const char *s = *(char *const *)p;
        if (f->dbus_type[0] == 'o')
            return append_ref(reply, f->ref_kind, s);
        return sd_bus_message_append_basic(reply, f->dbus_type[0], s ? s : "");
    }
    case STORAGE_UINT32:
        return sd_bus_message_append_basic(reply, 'u', p);
    case STORAGE_UINT64:
        return sd_bus_message_append_basic(reply, 't', p);
    case STORAGE_BOOL: {
        int b = *(const int *)p != 0;
        return sd_bus_message_append_basic(reply, 'b', &b);
    }
    case STORAGE_VARIANT: {
        GVariant *value = *(GVariant *const *)p;
        if (value)
            return append_model_value(reply, f, value);
        /* Unset: an empty array (most of a VM's lists). */
        int r = sd_bus_message_open_container(reply, 'a', f->dbus_type + 1);
        return r < 0 ? r : sd_bus_message_close_container(reply);
    }
    }
    g_assert_not_reached();
}

static int append_field_as_variant(sd_bus_message *reply, const CirObject *obj, const Field *f)
{
    int r = sd_bus_message_open_container(reply, 'v', f->dbus_type);

    if (r >= 0)
        r = append_field(reply, obj, f);
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

int bus_append_property(sd_bus_message *reply, const CirObject *obj, const char *property,
                        bool as_variant)
{
    const Field *f = visible_field(object_class(obj->kind), property);

    if (!f)
        return -ENOENT;
    return as_variant ? append_field_as_variant(reply, obj, f) : append_field(reply, obj, f);
}

int bus_append_all_properties(sd_bus_message *reply, const CirObject *obj)
{
    const ObjectClass *c = object_class(obj->kind);
    int r = sd_bus_message_open_container(reply, 'a', "{sv}");

    for (size_t i = 0; r >= 0 && i < c->n_fields; i++) {
        const Field *f = &c->fields[i];
        if (f->flags & FIELD_HIDDEN)
            continue;
        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
            r = sd_bus_message_append_basic(reply, 's', f->name);
        if (r >= 0)
            r = append_field_as_variant(reply, obj, f);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

GPtrArray *bus_all_objects(void)
{
    GPtrArray *all = g_ptr_array_new();

    for (ObjectKind k = 0; k < N_KINDS; k++) {
        g_autoptr(GPtrArray) some = registry_list(bus_daemon->reg, k);
        g_ptr_array_extend(all, some, NULL, NULL);
    }
    return all;
}

static int object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **found, sd_bus_error *error)
{
    const ObjectKind *kind = userdata;
    CirObject *obj;

    /* The VM and NIC vtables share the prefix: each looks for its own kind
     * only, rather than trying every kind for every object listed. */
    if (*kind == KIND_NIC) {
        obj = nic_from_path(bus_daemon->reg, path);
    } else {
        g_autofree char *uuid = path_uuid(path, *kind);
        obj = uuid ? registry_lookup(bus_daemon->reg, *kind, uuid) : NULL;
    }
    if (!obj)
        return 0;
    *found = obj;
    return 1;
}

static void add_paths(GPtrArray *paths, ObjectKind kind)
{
    g_autoptr(GPtrArray) all = registry_list(bus_daemon->reg, kind);

    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(paths, bus_object_path(bus_daemon->reg, all->pdata[i]));
}

/* sd-bus lists every enumerated path below the one asked about, so for
 * Introspect (asked at any level) this returns only the direct children,
 * with each VM's "nic" folder as a node of its own; for the ObjectManager
 * (asked at the root) it returns every object. */
static int object_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                            sd_bus_error *error)
{
    const ObjectKind *kind = userdata;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(free);
    GPtrArray *paths = g_ptr_array_new();
    bool everything = strcmp(prefix, CIRRINA_PATH) == 0, nic_folder = false;
    size_t n = strlen(prefix);

    add_paths(all, *kind);
    if (*kind == KIND_VM)
        add_paths(all, KIND_NIC);
    for (guint i = 0; i < all->len; i++) {
        const char *path = all->pdata[i];
        const char *rest = strncmp(path, prefix, n) == 0 ? path + n : NULL;

        if (everything || (rest && rest[0] == '/' && !strchr(rest + 1, '/')))
            g_ptr_array_add(paths, g_strdup(path));
        else if (rest && g_str_has_prefix(rest, "/nic/") && !nic_folder) {
            g_ptr_array_add(paths, g_strconcat(prefix, "/nic", NULL));
            nic_folder = true;
        }
    }
    g_ptr_array_add(paths, NULL);
    *nodes = (char **)g_ptr_array_free(paths, FALSE);
    return 0;
}

static sd_bus_vtable *vtable_build(const ObjectClass *c, const sd_bus_vtable *methods)
{
    size_t n_methods = 0, n = 0;

    while (methods[1 + n_methods].type != _SD_BUS_VTABLE_END)
        n_methods++;
    sd_bus_vtable *vt = g_new0(sd_bus_vtable, n_methods + c->n_fields + 2);
    vt[n++] = methods[0];
    for (size_t i = 0; i < n_methods; i++)
        vt[n++] = methods[1 + i];
    for (size_t i = 0; i < c->n_fields; i++) {
        const Field *f = &c->fields[i];
        if (f->flags & FIELD_HIDDEN)
            continue;
        uint64_t flags = (f->flags & FIELD_CONST)       ? SD_BUS_VTABLE_PROPERTY_CONST
                         : (f->flags & FIELD_NO_SIGNAL) ? 0
                                                        : SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;
        vt[n++] =
            (sd_bus_vtable)SD_BUS_PROPERTY(f->name, f->dbus_type, object_get_property, 0, flags);
    }
    vt[n] = methods[1 + n_methods];
    return vt;
}

int bus_object_register(Daemon *d, ObjectKind kind, const char *interface,
                        const sd_bus_vtable *methods)
{
    int r;

    interfaces[kind] = interface;
    vtables[kind] = vtable_build(object_class(kind), methods);
    r = sd_bus_add_fallback_vtable(d->bus, NULL, prefixes[kind], interface, vtables[kind],
                                   object_find, (void *)&kinds[kind]);
    if (r < 0 || kind == KIND_NIC)
        return r;
    return sd_bus_add_node_enumerator(d->bus, NULL, prefixes[kind], object_enumerate,
                                      (void *)&kinds[kind]);
}

/* --- signals --- */

static void on_added(void *data, const CirObject *obj)
{
    Daemon *d = data;
    g_autofree char *path = bus_object_path(d->reg, obj);
    int r = sd_bus_emit_object_added(d->bus, path);

    if (r < 0)
        g_warning("Failed to announce %s: %s", path, g_strerror(-r));
}

static void on_changed(void *data, const CirObject *obj, const char *const *properties)
{
    Daemon *d = data;
    g_autofree char *path = bus_object_path(d->reg, obj);
    int r = sd_bus_emit_properties_changed_strv(d->bus, path, interfaces[obj->kind],
                                                (char **)properties);

    if (r < 0)
        g_warning("Failed to announce changes of %s: %s", path, g_strerror(-r));
}

static void on_removed(void *data, const CirObject *obj)
{
    Daemon *d = data;
    g_autofree char *path = bus_object_path(d->reg, obj);
    int r = sd_bus_emit_object_removed(d->bus, path);

    if (r < 0)
        g_warning("Failed to announce the removal of %s: %s", path, g_strerror(-r));
}

static const RegistryObserver bus_observer = {
    .added = on_added,
    .changed = on_changed,
    .removed = on_removed,
};

void bus_objects_init(Daemon *d)
{
    bus_daemon = d;
    registry_set_observer(d->reg, &bus_observer, d);
}

void bus_objects_finish(void)
{
    if (bus_daemon)
        registry_set_observer(bus_daemon->reg, NULL, NULL);
    for (ObjectKind k = 0; k < N_KINDS; k++)
        g_clear_pointer(&vtables[k], g_free);
    bus_daemon = NULL;
}

#include "core/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/zvol.h"

struct Registry {
    Store *store;
    char *disk_dir;
    char *iso_dir;
    char *host_os;
    char *zfs_dataset;
    RegistryPaths paths;
    GHashTable *objects[N_KINDS]; /* UUID -> CirObject, borrowed: freed on delete */
    GHashTable *names[N_KINDS];   /* name -> CirObject */
    GHashTable *pending[N_KINDS]; /* names of objects being made (registry_prepare) */
    GHashTable *disk_owner;       /* disk UUID -> VM UUID */
    GHashTable *vm_nics;          /* VM UUID -> GPtrArray of CirNIC, by index */
    const RegistryObserver *observer;
    void *observer_data;
    const RegistryEffects *effects[N_KINDS];
    void *effects_data[N_KINDS];
};

Registry *registry_new(Store *store, const RegistryPaths *paths)
{
    Registry *reg = g_new0(Registry, 1);

    reg->store = store;
    reg->disk_dir = g_strdup(paths->disk_dir);
    reg->iso_dir = g_strdup(paths->iso_dir);
    reg->host_os = g_strdup(paths->host_os);
    reg->zfs_dataset = g_strdup(paths->zfs_dataset ? paths->zfs_dataset : "");
    reg->paths = (RegistryPaths){reg->disk_dir, reg->iso_dir, reg->host_os, reg->zfs_dataset};
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        reg->objects[k] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        reg->names[k] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        reg->pending[k] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
    reg->disk_owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    reg->vm_nics =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    return reg;
}

void registry_free(Registry *reg)
{
    if (!reg)
        return;
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        GHashTableIter iter;
        CirObject *obj;
        g_hash_table_iter_init(&iter, reg->objects[k]);
        while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&obj))
            object_free(obj);
        g_hash_table_unref(reg->objects[k]);
        g_hash_table_unref(reg->names[k]);
        g_hash_table_unref(reg->pending[k]);
    }
    g_hash_table_unref(reg->disk_owner);
    g_hash_table_unref(reg->vm_nics);
    g_free(reg->disk_dir);
    g_free(reg->iso_dir);
    g_free(reg->host_os);
    g_free(reg->zfs_dataset);
    g_free(reg);
}

void registry_set_observer(Registry *reg, const RegistryObserver *observer, void *data)
{
    reg->observer = observer;
    reg->observer_data = data;
}

void registry_set_effects(Registry *reg, ObjectKind kind, const RegistryEffects *effects,
                          void *data)
{
    reg->effects[kind] = effects;
    reg->effects_data[kind] = data;
}

static bool effects_apply(Registry *reg, ObjectKind kind, const CirObject *old, CirObject *next,
                          GError **error)
{
    const RegistryEffects *fx = reg->effects[kind];
    return !fx || fx->apply(reg->effects_data[kind], old, next, error);
}

static void effects_undo(Registry *reg, ObjectKind kind, const CirObject *old,
                         const CirObject *next)
{
    const RegistryEffects *fx = reg->effects[kind];
    if (fx)
        fx->undo(reg->effects_data[kind], old, next);
}

const RegistryPaths *registry_paths(Registry *reg)
{
    return &reg->paths;
}

static bool disk_is_zvol(const CirObject *disk)
{
    return disk && strcmp(((const CirDisk *)disk)->format, "zvol") == 0;
}

char *registry_disk_path(Registry *reg, const char *disk_uuid)
{
    if (disk_is_zvol(registry_lookup(reg, KIND_DISK, disk_uuid)))
        return zvol_device(reg->zfs_dataset, disk_uuid);
    g_autofree char *file = g_strconcat(disk_uuid, ".img", NULL);
    return g_build_filename(reg->disk_dir, file, NULL);
}

char *registry_iso_path(Registry *reg, const char *iso_uuid)
{
    g_autofree char *file = g_strconcat(iso_uuid, ".iso", NULL);
    return g_build_filename(reg->iso_dir, file, NULL);
}

bool registry_iso_is_owned(Registry *reg, const CirObject *iso)
{
    g_autofree char *own = registry_iso_path(reg, iso->uuid);
    return strcmp(((const CirISO *)iso)->path, own) == 0;
}

#define PARTIAL_SUFFIX ".partial"

static char *file_path(Registry *reg, ObjectKind kind, const char *uuid)
{
    return kind == KIND_DISK ? registry_disk_path(reg, uuid) : registry_iso_path(reg, uuid);
}

char *registry_partial_path(Registry *reg, const CirObject *obj)
{
    g_autofree char *path = file_path(reg, obj->kind, obj->uuid);
    return g_strconcat(path, PARTIAL_SUFFIX, NULL);
}

/* --- indexes --- */

static gint nic_compare(gconstpointer a, gconstpointer b)
{
    const CirNIC *x = *(CirNIC *const *)a, *y = *(CirNIC *const *)b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void index_add(Registry *reg, CirObject *obj)
{
    g_hash_table_insert(reg->objects[obj->kind], g_strdup(obj->uuid), obj);
    if (obj->name)
        g_hash_table_insert(reg->names[obj->kind], g_strdup(obj->name), obj);
    if (obj->kind == KIND_VM) {
        CirVM *vm = (CirVM *)obj;
        for (gsize i = 0; vm->disks && i < g_variant_n_children(vm->disks); i++) {
            const char *disk;
            g_variant_get_child(vm->disks, i, "&s", &disk);
            g_hash_table_insert(reg->disk_owner, g_strdup(disk), g_strdup(obj->uuid));
        }
    } else if (obj->kind == KIND_NIC) {
        CirNIC *nic = (CirNIC *)obj;
        GPtrArray *nics = g_hash_table_lookup(reg->vm_nics, nic->vm);
        if (!nics) {
            nics = g_ptr_array_new();
            g_hash_table_insert(reg->vm_nics, g_strdup(nic->vm), nics);
        }
        g_ptr_array_add(nics, nic);
        g_ptr_array_sort(nics, nic_compare);
    }
}

static void index_remove(Registry *reg, CirObject *obj)
{
    g_hash_table_remove(reg->objects[obj->kind], obj->uuid);
    if (obj->name)
        g_hash_table_remove(reg->names[obj->kind], obj->name);
    if (obj->kind == KIND_VM) {
        CirVM *vm = (CirVM *)obj;
        for (gsize i = 0; vm->disks && i < g_variant_n_children(vm->disks); i++) {
            const char *disk;
            g_variant_get_child(vm->disks, i, "&s", &disk);
            g_hash_table_remove(reg->disk_owner, disk);
        }
    } else if (obj->kind == KIND_NIC) {
        CirNIC *nic = (CirNIC *)obj;
        GPtrArray *nics = g_hash_table_lookup(reg->vm_nics, nic->vm);
        if (nics) {
            g_ptr_array_remove(nics, nic);
            if (nics->len == 0)
                g_hash_table_remove(reg->vm_nics, nic->vm);
        }
    }
}

const char *registry_disk_owner(Registry *reg, const char *disk_uuid)
{
    return g_hash_table_lookup(reg->disk_owner, disk_uuid);
}

GPtrArray *registry_vm_nics(Registry *reg, const char *vm_uuid)
{
    return g_hash_table_lookup(reg->vm_nics, vm_uuid);
}

/* --- lookups --- */

CirObject *registry_lookup(Registry *reg, ObjectKind kind, const char *uuid)
{
    return g_hash_table_lookup(reg->objects[kind], uuid);
}

CirObject *registry_lookup_name(Registry *reg, ObjectKind kind, const char *name)
{
    return g_hash_table_lookup(reg->names[kind], name);
}

CirObject *registry_find(Registry *reg, ObjectKind kind, const char *name_or_uuid, GError **error)
{
    CirObject *obj = registry_lookup_name(reg, kind, name_or_uuid);

    /* UUIDs are case-insensitive on input; ours are lower case. */
    if (!obj && g_uuid_string_is_valid(name_or_uuid)) {
        g_autofree char *lower = g_ascii_strdown(name_or_uuid, -1);
        obj = registry_lookup(reg, kind, lower);
    }
    if (!obj) {
        g_autofree char *shown = g_strescape(name_or_uuid, NULL);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND,
                    "There is no %s with the name or UUID '%.64s'", object_class(kind)->label,
                    shown);
    }
    return obj;
}

GPtrArray *registry_list(Registry *reg, ObjectKind kind)
{
    GPtrArray *all = g_ptr_array_sized_new(g_hash_table_size(reg->objects[kind]));
    GHashTableIter iter;
    gpointer obj;

    g_hash_table_iter_init(&iter, reg->objects[kind]);
    while (g_hash_table_iter_next(&iter, NULL, &obj))
        g_ptr_array_add(all, obj);
    return all;
}

/* Partial files are what a daemon killed while making or deleting a disk
 * or ISO left behind: removed, unless the object is stored (made: only the
 * rename into place was missing; being deleted: its row is still there, so
 * the file goes back). */
static void recover_partial_files(Registry *reg, ObjectKind kind)
{
    const char *dir = kind == KIND_DISK ? reg->disk_dir : reg->iso_dir;
    const char *ext = kind == KIND_DISK ? ".img" PARTIAL_SUFFIX : ".iso" PARTIAL_SUFFIX;
    g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
    const char *name;

    while (listing && (name = g_dir_read_name(listing))) {
        if (!g_str_has_suffix(name, ext))
            continue;
        g_autofree char *uuid = g_strndup(name, strlen(name) - strlen(ext));
        g_autofree char *partial = g_build_filename(dir, name, NULL);
        g_autofree char *final = file_path(reg, kind, uuid);
        CirObject *obj = registry_lookup(reg, kind, uuid);
        if (obj && !g_file_test(final, G_FILE_TEST_EXISTS) &&
            (kind == KIND_DISK || registry_iso_is_owned(reg, obj)) && rename(partial, final) == 0) {
            g_message("Moved %s into place: its %s '%s' was stored", partial,
                      object_class(kind)->label, obj->name);
        } else if (unlink(partial) == 0) {
            g_message("Removed %s, left by a change of a %s that did not finish", partial,
                      object_class(kind)->label);
        } else {
            g_warning("Failed to remove %s: %s", partial, g_strerror(errno));
        }
    }
}

static bool commit_change(Registry *reg, CirObject *obj, CirObject *next, GError **error);

/* Resize sets the image's size, then stores it: a daemon killed in between
 * leaves an image whose size the database does not know. The image is what
 * the guest will see, so the stored Size follows it (the resize happened). */
static void recover_disk_sizes(Registry *reg)
{
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, reg->objects[KIND_DISK]);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        CirObject *obj = value;
        struct stat st;
        g_autofree char *path = registry_disk_path(reg, obj->uuid);
        if (disk_is_zvol(obj) || stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
            (uint64_t)st.st_size == ((CirDisk *)obj)->size)
            continue;
        g_autoptr(CirObject) next = object_copy(obj);
        g_autoptr(GError) error = NULL;
        ((CirDisk *)next)->size = (uint64_t)st.st_size;
        if (commit_change(reg, obj, next, &error))
            g_message("Stored the size of the disk '%s' as its image's, %" G_GUINT64_FORMAT
                      " bytes: a resize did not finish",
                      obj->name, (uint64_t)st.st_size);
        else
            g_warning("Failed to store the size of the disk '%s': %s", obj->name, error->message);
    }
}

bool registry_load(Registry *reg, GError **error)
{
    /* Referenced kinds first, so references resolve as objects arrive. */
    static const ObjectKind order[] = {KIND_SWITCH, KIND_DISK, KIND_ISO, KIND_VM, KIND_NIC};

    for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
        g_autoptr(GPtrArray) loaded = g_ptr_array_new();
        if (!store_load(reg->store, order[i], loaded, error)) {
            for (guint j = 0; j < loaded->len; j++)
                object_free(loaded->pdata[j]);
            return false;
        }
        for (guint j = 0; j < loaded->len; j++)
            index_add(reg, loaded->pdata[j]);
    }
    recover_partial_files(reg, KIND_DISK);
    recover_partial_files(reg, KIND_ISO);
    recover_disk_sizes(reg);
    return true;
}

/* --- notifications --- */

static void notify_added(Registry *reg, const CirObject *obj)
{
    if (reg->observer)
        reg->observer->added(reg->observer_data, obj);
}

static void notify_removed(Registry *reg, const CirObject *obj)
{
    if (reg->observer)
        reg->observer->removed(reg->observer_data, obj);
}

static void notify_changed(Registry *reg, const CirObject *obj, const char *property)
{
    const char *props[] = {property, NULL};

    if (reg->observer && obj)
        reg->observer->changed(reg->observer_data, obj, props);
}

/* Property values as a client sees them, to tell what a change changed. */
static GPtrArray *snapshot(Registry *reg, const CirObject *obj)
{
    const ObjectClass *c = object_class(obj->kind);
    GPtrArray *values = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);

    for (size_t i = 0; i < c->n_fields; i++)
        g_ptr_array_add(values, g_variant_take_ref(object_get(reg, obj, &c->fields[i])));
    return values;
}

static void notify_differences(Registry *reg, const CirObject *obj, GPtrArray *before)
{
    const ObjectClass *c = object_class(obj->kind);
    g_autoptr(GPtrArray) after = snapshot(reg, obj);
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    for (size_t i = 0; i < c->n_fields; i++) {
        const Field *f = &c->fields[i];
        if (f->flags & (FIELD_HIDDEN | FIELD_NO_SIGNAL))
            continue;
        if (!g_variant_equal(before->pdata[i], after->pdata[i]))
            g_ptr_array_add(names, (char *)f->name);
    }
    g_ptr_array_add(names, NULL);
    if (names->len > 1 && reg->observer)
        reg->observer->changed(reg->observer_data, obj, (const char *const *)names->pdata);
}

/* Disks whose AttachedTo differs between two lists of a VM's disks. */
static void notify_disk_owners(Registry *reg, GVariant *before, GVariant *after)
{
    g_autoptr(GHashTable) touched = g_hash_table_new(g_str_hash, g_str_equal);
    GVariant *lists[] = {before, after};

    for (size_t l = 0; l < 2; l++)
        for (gsize i = 0; lists[l] && i < g_variant_n_children(lists[l]); i++) {
            const char *disk;
            g_variant_get_child(lists[l], i, "&s", &disk);
            g_hash_table_add(touched, (char *)disk);
        }
    for (size_t l = 0; l < 2; l++)
        for (gsize i = 0; lists[l] && i < g_variant_n_children(lists[l]); i++) {
            const char *disk;
            g_variant_get_child(lists[l], i, "&s", &disk);
            /* Announced only when it belongs to exactly one of the lists. */
            bool in_other = false;
            for (gsize j = 0; lists[1 - l] && j < g_variant_n_children(lists[1 - l]); j++) {
                const char *other;
                g_variant_get_child(lists[1 - l], j, "&s", &other);
                in_other |= strcmp(disk, other) == 0;
            }
            if (!in_other)
                notify_changed(reg, registry_lookup(reg, KIND_DISK, disk), "AttachedTo");
        }
}

/* --- changes --- */

bool registry_vm_is_active(const CirObject *vm)
{
    return vm && strcmp(((const CirVM *)vm)->state, "stopped") != 0;
}

/* The VM whose running state guards obj: itself, a NIC's VM, a disk's VM. */
static CirObject *guarding_vm(Registry *reg, const CirObject *obj)
{
    switch (obj->kind) {
    case KIND_VM:
        return (CirObject *)obj;
    case KIND_NIC:
        return registry_lookup(reg, KIND_VM, ((const CirNIC *)obj)->vm);
    case KIND_DISK: {
        const char *owner = registry_disk_owner(reg, obj->uuid);
        return owner ? registry_lookup(reg, KIND_VM, owner) : NULL;
    }
    default:
        return NULL;
    }
}

/* Hardware of a running VM does not change under it: such changes are
 * refused (Busy) rather than kept pending, so what a client reads is what
 * runs. changes NULL: the whole object (delete, add). */
static bool check_not_running(Registry *reg, const CirObject *obj, GHashTable *changes,
                              GError **error)
{
    CirObject *vm = guarding_vm(reg, obj);
    const ObjectClass *c = object_class(obj->kind);

    if (!registry_vm_is_active(vm))
        return true;
    if (changes) {
        GHashTableIter iter;
        const char *key;
        g_hash_table_iter_init(&iter, changes);
        while (g_hash_table_iter_next(&iter, (gpointer *)&key, NULL)) {
            const Field *f = object_class_find_field(c, key);
            if (f && !(f->flags & FIELD_LIVE)) {
                g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY,
                            "%s of %s %s cannot change while the VM '%s' is %s; stop it first", key,
                            strchr("AEIOU", c->label[0]) ? "an" : "a", c->label, vm->name,
                            ((CirVM *)vm)->state);
                return false;
            }
        }
        return true;
    }
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY,
                obj == vm
                    ? "The VM '%s' is %s; stop it first"
                    : "The hardware of the VM '%s' cannot change while it is %s; stop it first",
                vm->name, ((CirVM *)vm)->state);
    return false;
}

static bool apply_changes(Registry *reg, CirObject *obj, GHashTable *changes, bool creating,
                          bool trusted, GError **error)
{
    const ObjectClass *c = object_class(obj->kind);
    GHashTableIter iter;
    const char *key;
    GVariant *value;

    g_hash_table_iter_init(&iter, changes);
    while (g_hash_table_iter_next(&iter, (gpointer *)&key, (gpointer *)&value)) {
        const Field *f = object_class_find_field(c, key);
        if (!f || (f->flags & FIELD_DERIVED && !trusted)) {
            g_autofree char *shown = g_strescape(key, NULL);
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "Unknown key '%.64s' for a %s", shown, c->label);
            return false;
        }
        FieldFlags allowed = creating ? (FIELD_WRITABLE | FIELD_CREATE_ONLY) : FIELD_WRITABLE;
        if (!trusted && !(f->flags & allowed)) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        (f->flags & FIELD_CREATE_ONLY) ? "%s can only be set when the %s is created"
                                                       : "%s of a %s cannot be set by a client",
                        f->name, c->label);
            return false;
        }
        if (!field_validate(f, value, error))
            return false;
        field_set(obj, f, g_variant_ref(value));
    }
    return true;
}

static bool check_name_free(Registry *reg, ObjectKind kind, const char *name, GError **error)
{
    const ObjectClass *c = object_class(kind);

    if (!check_object_name(c->label, name, c->name_max, error))
        return false;
    /* Get* take a name or a UUID: a name must not pass for a UUID. */
    if (g_uuid_string_is_valid(name)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Invalid %s name '%s': a name may not be a UUID", c->label, name);
        return false;
    }
    if (registry_lookup_name(reg, kind, name)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_EXISTS, "%s %s named '%s' already exists",
                    strchr("AEIOU", c->label[0]) ? "An" : "A", c->label, name);
        return false;
    }
    if (g_hash_table_contains(reg->pending[kind], name)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_EXISTS,
                    "%s %s named '%s' is being made (an import or a clone)",
                    strchr("AEIOU", c->label[0]) ? "An" : "A", c->label, name);
        return false;
    }
    return true;
}

/* A raw disk's image is made under its partial name and moved into place
 * once the disk is stored: a daemon killed in between leaves a partial
 * file that the next start removes, or moves into place if the disk was
 * stored (recover_partial_files). */
static bool disk_file_create(Registry *reg, CirDisk *disk, GError **error)
{
    if (disk_is_zvol(&disk->base))
        return zvol_create(reg->zfs_dataset, disk->base.uuid, disk->size, error);
    g_autofree char *path = registry_disk_path(reg, disk->base.uuid);
    g_autofree char *partial = registry_partial_path(reg, &disk->base);
    int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0 || ftruncate(fd, (off_t)disk->size) < 0) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(partial);
        }
        g_set_error(error, CIRRINA_ERROR,
                    e == EFBIG ? CIRRINA_ERROR_NOT_SUPPORTED : CIRRINA_ERROR_FAILED,
                    "Failed to create the disk image %s of %" G_GUINT64_FORMAT " bytes: %s", path,
                    disk->size, g_strerror(e));
        return false;
    }
    close(fd);
    return true;
}

/* Whether deleting obj removes a file of the daemon's: a raw disk's image,
 * an imported ISO. */
static bool owns_file(Registry *reg, const CirObject *obj)
{
    return (obj->kind == KIND_DISK && !disk_is_zvol(obj)) ||
           (obj->kind == KIND_ISO && registry_iso_is_owned(reg, obj));
}

static void files_put_back(Registry *reg, CirObject *const *objs, guint n)
{
    for (guint i = 0; i < n; i++) {
        if (!owns_file(reg, objs[i]))
            continue;
        g_autofree char *partial = registry_partial_path(reg, objs[i]);
        g_autofree char *final = file_path(reg, objs[i]->kind, objs[i]->uuid);
        if (rename(partial, final) < 0 && errno != ENOENT)
            g_warning("Failed to move %s back to %s: %s", partial, final, g_strerror(errno));
    }
}

/* The files of objects about to be deleted go under their partial names
 * before the rows go: a daemon killed in between finds the object with a
 * partial file (moved back) or neither (the file removed) when it starts
 * again, never a file without its object (recover_partial_files). */
static bool files_set_aside(Registry *reg, CirObject *const *objs, guint n, GError **error)
{
    for (guint i = 0; i < n; i++) {
        if (!owns_file(reg, objs[i]))
            continue;
        g_autofree char *partial = registry_partial_path(reg, objs[i]);
        g_autofree char *final = file_path(reg, objs[i]->kind, objs[i]->uuid);
        if (rename(final, partial) < 0 && errno != ENOENT) {
            int e = errno;
            files_put_back(reg, objs, i);
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                        "Failed to move %s aside to delete it: %s", final, g_strerror(e));
            return false;
        }
    }
    return true;
}

static bool save_once(Registry *reg, CirObject *const *objs, size_t n, CirObject *const *deletes,
                      size_t n_deletes, GError **error)
{
    if (!store_begin(reg->store, error))
        return false;
    for (size_t i = 0; i < n_deletes; i++)
        if (!store_delete(reg->store, deletes[i], error))
            goto fail;
    for (size_t i = 0; i < n; i++)
        if (!store_save(reg->store, objs[i], error))
            goto fail;
    return store_commit(reg->store, error);
fail:
    store_rollback(reg->store);
    return false;
}

static bool save_in_transaction(Registry *reg, CirObject *const *objs, size_t n,
                                CirObject *const *deletes, size_t n_deletes, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (save_once(reg, objs, n, deletes, n_deletes, &local))
        return true;
    /* Deleting is how a user frees a full disk: a deletion may use the
     * store's reserve. */
    if (n == 0 && n_deletes > 0 && store_use_reserve(reg->store)) {
        g_clear_error(&local);
        if (save_once(reg, objs, n, deletes, n_deletes, &local))
            return true;
    }
    g_propagate_error(error, g_steal_pointer(&local));
    return false;
}

static CirObject *create_object(Registry *reg, ObjectKind kind, const char *name,
                                GHashTable *changes, GHashTable *trusted, CirObject *parent,
                                GError **error)
{
    const ObjectClass *c = object_class(kind);

    if (c->name_max && !check_name_free(reg, kind, name, error))
        return NULL;
    g_autoptr(CirObject) obj = object_new(kind);
    if (c->name_max)
        obj->name = g_strdup(name);
    if (kind == KIND_NIC) {
        CirNIC *nic = (CirNIC *)obj;
        if (!check_not_running(reg, parent, NULL, error))
            return NULL;
        GPtrArray *siblings = registry_vm_nics(reg, parent->uuid);
        if (siblings && siblings->len >= VM_MAX_NICS) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "The VM '%s' has %u NICs already; at most %d are allowed", parent->name,
                        siblings->len, VM_MAX_NICS);
            return NULL;
        }
        g_free(nic->vm);
        nic->vm = g_strdup(parent->uuid);
        nic->index = siblings && siblings->len
                         ? ((CirNIC *)siblings->pdata[siblings->len - 1])->index + 1
                         : 0;
    }
    if ((trusted && !apply_changes(reg, obj, trusted, true, true, error)) ||
        !apply_changes(reg, obj, changes, true, false, error) ||
        !c->validate(reg, obj, NULL, changes, error) || !effects_apply(reg, kind, NULL, obj, error))
        return NULL;
    if (kind == KIND_DISK && !disk_file_create(reg, (CirDisk *)obj, error))
        return NULL;
    if (!save_in_transaction(reg, &obj, 1, NULL, 0, error)) {
        effects_undo(reg, kind, NULL, obj);
        if (kind == KIND_DISK && disk_is_zvol(obj)) {
            g_autoptr(GError) undo = NULL;
            if (!zvol_destroy(reg->zfs_dataset, obj->uuid, &undo))
                g_warning("%s", undo->message);
        } else if (kind == KIND_DISK) {
            g_autofree char *partial = registry_partial_path(reg, obj);
            unlink(partial);
        }
        return NULL;
    }
    if (kind == KIND_DISK && !disk_is_zvol(obj)) {
        g_autofree char *partial = registry_partial_path(reg, obj);
        g_autofree char *path = registry_disk_path(reg, obj->uuid);
        if (rename(partial, path) < 0) {
            int e = errno;
            if (!save_in_transaction(reg, NULL, 0, &obj, 1, NULL))
                g_warning("Failed to forget the disk '%s' whose file could not be moved",
                          obj->name);
            unlink(partial);
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to move %s to %s: %s",
                        partial, path, g_strerror(e));
            return NULL;
        }
    }

    CirObject *added = g_steal_pointer(&obj);
    index_add(reg, added);
    notify_added(reg, added);
    if (kind == KIND_NIC)
        notify_changed(reg, parent, "NICs");
    if (kind == KIND_VM)
        notify_disk_owners(reg, NULL, ((CirVM *)added)->disks);
    return added;
}

CirObject *registry_create(Registry *reg, ObjectKind kind, const char *name, GHashTable *changes,
                           CirObject *parent, GError **error)
{
    g_return_val_if_fail((kind == KIND_NIC) == (parent != NULL), NULL);
    return create_object(reg, kind, name, changes, NULL, parent, error);
}

CirObject *registry_register_iso(Registry *reg, const char *name, const char *path,
                                 GHashTable *changes, GError **error)
{
    g_autoptr(GHashTable) trusted =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    g_autofree char *shown = g_strescape(path, NULL);
    struct stat st;

    if (!g_path_is_absolute(path) || strlen(path) > 4096) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The ISO path '%.128s' is not an absolute path", shown);
        return NULL;
    }
    /* Opened read-only, never written: registering does not touch the file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, CIRRINA_ERROR,
                    e == ENOENT ? CIRRINA_ERROR_NOT_FOUND : CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Cannot open the ISO '%.128s': %s", shown, g_strerror(e));
        return NULL;
    }
    int r = fstat(fd, &st);
    close(fd);
    if (r < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The ISO path '%.128s' is not a regular file", shown);
        return NULL;
    }
    g_hash_table_insert(trusted, "Path", g_variant_ref_sink(g_variant_new_string(path)));
    g_hash_table_insert(trusted, "Size",
                        g_variant_ref_sink(g_variant_new_uint64((uint64_t)st.st_size)));
    return create_object(reg, KIND_ISO, name, changes, trusted, NULL, error);
}

CirObject *registry_prepare(Registry *reg, ObjectKind kind, const char *name, GHashTable *changes,
                            GHashTable *trusted, GError **error)
{
    g_return_val_if_fail(kind == KIND_DISK || kind == KIND_ISO, NULL);
    if (!check_name_free(reg, kind, name, error))
        return NULL;
    g_autoptr(CirObject) obj = object_new(kind);
    obj->name = g_strdup(name);
    if (kind == KIND_ISO) {
        CirISO *iso = (CirISO *)obj;
        g_free(iso->path);
        iso->path = registry_iso_path(reg, obj->uuid);
    }
    if ((trusted && !apply_changes(reg, obj, trusted, true, true, error)) ||
        (changes && !apply_changes(reg, obj, changes, true, false, error)))
        return NULL;
    g_hash_table_add(reg->pending[kind], g_strdup(name));
    return g_steal_pointer(&obj);
}

void registry_discard(Registry *reg, CirObject *obj)
{
    if (!obj)
        return;
    g_autofree char *partial = registry_partial_path(reg, obj);
    if (unlink(partial) < 0 && errno != ENOENT)
        g_warning("Failed to remove %s: %s", partial, g_strerror(errno));
    g_hash_table_remove(reg->pending[obj->kind], obj->name);
    object_free(obj);
}

CirObject *registry_adopt(Registry *reg, CirObject *obj, GHashTable *trusted, GError **error)
{
    g_autoptr(GHashTable) none = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree char *partial = registry_partial_path(reg, obj);
    g_autofree char *final = file_path(reg, obj->kind, obj->uuid);

    if ((trusted && !apply_changes(reg, obj, trusted, true, true, error)) ||
        !object_class(obj->kind)->validate(reg, obj, NULL, none, error) ||
        !save_in_transaction(reg, &obj, 1, NULL, 0, error)) {
        registry_discard(reg, obj);
        return NULL;
    }
    /* Stored: a daemon killed from here on finishes the rename when it
     * starts again (see recover_partial_files). */
    if (rename(partial, final) < 0) {
        int e = errno;
        if (!save_in_transaction(reg, NULL, 0, &obj, 1, NULL))
            g_warning("Failed to forget the %s '%s' whose file could not be moved",
                      object_class(obj->kind)->label, obj->name);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to move %s to %s: %s",
                    partial, final, g_strerror(e));
        registry_discard(reg, obj);
        return NULL;
    }
    g_hash_table_remove(reg->pending[obj->kind], obj->name);
    index_add(reg, obj);
    notify_added(reg, obj);
    return obj;
}

/* Replaces obj's values with those of next, keeping obj's address (the bus
 * and the indexes point at it); next receives the old values. */
static void swap_values(Registry *reg, CirObject *obj, CirObject *next)
{
    size_t size = object_class(obj->kind)->size;
    g_autofree void *tmp = g_malloc(size);

    index_remove(reg, obj);
    memcpy(tmp, obj, size);
    memcpy(obj, next, size);
    memcpy(next, tmp, size);
    index_add(reg, obj);
}

static bool commit_change(Registry *reg, CirObject *obj, CirObject *next, GError **error)
{
    if (!save_in_transaction(reg, &next, 1, NULL, 0, error))
        return false;

    g_autoptr(GPtrArray) before = snapshot(reg, obj);
    swap_values(reg, obj, next);
    notify_differences(reg, obj, before);
    if (obj->kind == KIND_VM)
        notify_disk_owners(reg, ((CirVM *)next)->disks, ((CirVM *)obj)->disks);
    return true;
}

bool registry_update(Registry *reg, CirObject *obj, GHashTable *changes, GError **error)
{
    g_autoptr(CirObject) next = object_copy(obj);

    if (!check_not_running(reg, obj, changes, error) ||
        !apply_changes(reg, next, changes, false, false, error) ||
        !object_class(obj->kind)->validate(reg, next, obj, changes, error) ||
        !effects_apply(reg, obj->kind, obj, next, error))
        return false;
    if (commit_change(reg, obj, next, error))
        return true;
    effects_undo(reg, obj->kind, obj, next);
    return false;
}

bool registry_resize_disk(Registry *reg, CirObject *obj, uint64_t size, bool force, GError **error)
{
    CirDisk *disk = (CirDisk *)obj;
    const Field *f = object_class_find_field(object_class(KIND_DISK), "Size");
    g_autoptr(GHashTable) changes =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    GVariant *value = g_variant_ref_sink(g_variant_new_uint64(size));
    uint64_t old_size = disk->size;

    g_return_val_if_fail(obj->kind == KIND_DISK, false);
    g_hash_table_insert(changes, "Size", value);
    if (!check_not_running(reg, obj, changes, error) || !field_validate(f, value, error))
        return false;
    if (size < old_size && !force) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Size=%" G_GUINT64_FORMAT " would shrink the disk '%s' from %" G_GUINT64_FORMAT
                    " bytes and lose what lies beyond; pass the option Force=true to do so",
                    size, obj->name, old_size);
        return false;
    }
    if (size == old_size)
        return true;
    if (disk_is_zvol(obj)) {
        if (!zvol_resize(reg->zfs_dataset, obj->uuid, size, error))
            return false;
        g_autoptr(CirObject) grown = object_copy(obj);
        ((CirDisk *)grown)->size = size;
        if (commit_change(reg, obj, grown, error))
            return true;
        g_autoptr(GError) undo = NULL;
        if (size > old_size && !zvol_resize(reg->zfs_dataset, obj->uuid, old_size, &undo))
            g_warning("%s", undo->message);
        return false;
    }

    g_autofree char *path = registry_disk_path(reg, obj->uuid);
    if (truncate(path, (off_t)size) < 0) {
        int e = errno;
        g_set_error(error, CIRRINA_ERROR,
                    e == EFBIG ? CIRRINA_ERROR_NOT_SUPPORTED : CIRRINA_ERROR_FAILED,
                    "Failed to resize the disk image %s to %" G_GUINT64_FORMAT " bytes: %s", path,
                    size, g_strerror(e));
        return false;
    }
    g_autoptr(CirObject) next = object_copy(obj);
    ((CirDisk *)next)->size = size;
    if (!commit_change(reg, obj, next, error)) {
        /* Growing is undone; what a forced shrink cut off is gone. */
        if (truncate(path, (off_t)MAX(old_size, size)) < 0)
            g_warning("Failed to put the size of %s back: %s", path, g_strerror(errno));
        return false;
    }
    return true;
}

bool registry_rename(Registry *reg, CirObject *obj, const char *name, GError **error)
{
    if (g_strcmp0(obj->name, name) == 0)
        return true;
    if (!check_name_free(reg, obj->kind, name, error))
        return false;
    g_autoptr(CirObject) next = object_copy(obj);
    g_free(next->name);
    next->name = g_strdup(name);
    return commit_change(reg, obj, next, error);
}

static bool check_unused(Registry *reg, CirObject *obj, GError **error)
{
    const char *user = NULL;

    if (obj->kind == KIND_DISK) {
        const char *owner = registry_disk_owner(reg, obj->uuid);
        if (owner)
            user = registry_lookup(reg, KIND_VM, owner)->name;
    } else if (obj->kind == KIND_ISO) {
        g_autoptr(GPtrArray) vms = registry_list(reg, KIND_VM);
        for (guint i = 0; !user && i < vms->len; i++) {
            CirVM *vm = vms->pdata[i];
            for (gsize j = 0; vm->isos && j < g_variant_n_children(vm->isos); j++) {
                const char *iso;
                g_variant_get_child(vm->isos, j, "&s", &iso);
                if (strcmp(iso, obj->uuid) == 0)
                    user = vm->base.name;
            }
        }
    } else if (obj->kind == KIND_SWITCH) {
        g_autoptr(GPtrArray) nics = registry_list(reg, KIND_NIC);
        for (guint i = 0; !user && i < nics->len; i++)
            if (strcmp(((CirNIC *)nics->pdata[i])->sw, obj->uuid) == 0)
                user = registry_lookup(reg, KIND_VM, ((CirNIC *)nics->pdata[i])->vm)->name;
    }
    if (user) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY, "The %s '%s' is used by the VM '%s'",
                    object_class(obj->kind)->label, obj->name, user);
        return false;
    }
    return true;
}

static void remove_object(Registry *reg, CirObject *obj)
{
    notify_removed(reg, obj);
    index_remove(reg, obj);
    object_free(obj);
}

bool registry_delete(Registry *reg, CirObject *obj, bool delete_disks, GError **error)
{
    g_autoptr(GPtrArray) deletes = g_ptr_array_new();
    g_autoptr(GPtrArray) nics = NULL;
    g_autoptr(GVariant) disks = NULL;

    if ((obj->kind == KIND_VM || obj->kind == KIND_NIC) &&
        !check_not_running(reg, obj, NULL, error))
        return false;
    if (!check_unused(reg, obj, error) || !effects_apply(reg, obj->kind, obj, NULL, error))
        return false;
    g_ptr_array_add(deletes, obj);
    if (obj->kind == KIND_VM) {
        CirVM *vm = (CirVM *)obj;
        GPtrArray *own = registry_vm_nics(reg, obj->uuid);
        nics = own ? g_ptr_array_copy(own, NULL, NULL) : g_ptr_array_new();
        disks = vm->disks ? g_variant_ref(vm->disks) : NULL;
        /* Rows of the VM go first: its vm_disks rows release the disks. */
        for (gsize i = 0; delete_disks && disks && i < g_variant_n_children(disks); i++) {
            const char *uuid;
            g_variant_get_child(disks, i, "&s", &uuid);
            g_ptr_array_add(deletes, registry_lookup(reg, KIND_DISK, uuid));
        }
    }
    if (!files_set_aside(reg, (CirObject *const *)deletes->pdata, deletes->len, error)) {
        effects_undo(reg, obj->kind, obj, NULL);
        return false;
    }
    if (!save_in_transaction(reg, NULL, 0, (CirObject *const *)deletes->pdata, deletes->len,
                             error)) {
        files_put_back(reg, (CirObject *const *)deletes->pdata, deletes->len);
        effects_undo(reg, obj->kind, obj, NULL);
        return false;
    }

    /* Committed: now the files, then memory and signals. An imported ISO
     * is the daemon's own file; a registered one stays. */
    for (guint i = 0; i < deletes->len; i++) {
        CirObject *gone = deletes->pdata[i];
        if (gone->kind == KIND_DISK && disk_is_zvol(gone)) {
            g_autoptr(GError) zfs_error = NULL;
            if (!zvol_destroy(reg->zfs_dataset, gone->uuid, &zfs_error))
                g_warning("Failed to destroy the volume of disk '%s': %s", gone->name,
                          zfs_error->message);
        } else if (owns_file(reg, gone)) {
            g_autofree char *partial = registry_partial_path(reg, gone);
            if (unlink(partial) < 0 && errno != ENOENT)
                g_warning("Failed to remove the image %s: %s", partial, g_strerror(errno));
        }
    }
    if (obj->kind == KIND_NIC) {
        CirObject *vm = registry_lookup(reg, KIND_VM, ((CirNIC *)obj)->vm);
        remove_object(reg, obj);
        notify_changed(reg, vm, "NICs");
        return true;
    }
    for (guint i = 0; nics && i < nics->len; i++)
        remove_object(reg, nics->pdata[i]);
    remove_object(reg, obj);
    for (guint i = 1; i < deletes->len; i++)
        remove_object(reg, deletes->pdata[i]);
    if (disks && !delete_disks)
        notify_disk_owners(reg, disks, NULL);
    return true;
}

bool registry_set_state(Registry *reg, CirObject *vm, const char *state, const char *exit_reason,
                        GError **error)
{
    g_autoptr(CirObject) next = object_copy(vm);
    CirVM *v = (CirVM *)next;

    g_free(v->state);
    v->state = g_strdup(state);
    if (exit_reason) {
        g_free(v->exit_reason);
        v->exit_reason = g_strdup(exit_reason);
    }
    return commit_change(reg, vm, next, error);
}

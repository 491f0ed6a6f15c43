/* The registry: every object in memory, and the only way to change them.
 *
 * Each change is validated as a whole, written to the store in one
 * transaction, and only then made visible in memory and announced to the
 * observer (the bus layer), so a failed call changes nothing. */
#pragma once

#include "core/object.h"
#include "store/store.h"

typedef struct {
    void (*added)(void *data, const CirObject *obj);
    void (*changed)(void *data, const CirObject *obj, const char *const *properties);
    /* Called while the object is still findable, before it is freed. */
    void (*removed)(void *data, const CirObject *obj);
} RegistryObserver;

typedef struct {
    const char *disk_dir;
    const char *iso_dir;
    const char *host_os; /* "linux", "freebsd": what switch types and formats exist */
} RegistryPaths;

Registry *registry_new(Store *store, const RegistryPaths *paths);
void registry_free(Registry *reg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Registry, registry_free)

/* Loads every object from the store. */
bool registry_load(Registry *reg, GError **error);
void registry_set_observer(Registry *reg, const RegistryObserver *observer, void *data);

CirObject *registry_lookup(Registry *reg, ObjectKind kind, const char *uuid);
CirObject *registry_lookup_name(Registry *reg, ObjectKind kind, const char *name);
/* By name or by UUID; a NotFound error otherwise. */
CirObject *registry_find(Registry *reg, ObjectKind kind, const char *name_or_uuid, GError **error);
/* Every object of a kind, unordered; the array holds borrowed pointers. */
GPtrArray *registry_list(Registry *reg, ObjectKind kind);

/* changes: property name -> GVariant of the field's core type (see
 * field_core_type). parent: the owning VM for NICs, else NULL. */
CirObject *registry_create(Registry *reg, ObjectKind kind, const char *name, GHashTable *changes,
                           CirObject *parent, GError **error);
/* Registers an existing image by absolute path, read-only: the file is
 * opened to check it, never written. */
CirObject *registry_register_iso(Registry *reg, const char *name, const char *path,
                                 GHashTable *changes, GError **error);
bool registry_update(Registry *reg, CirObject *obj, GHashTable *changes, GError **error);
bool registry_rename(Registry *reg, CirObject *obj, const char *name, GError **error);
/* For VMs, delete_disks also deletes the disks they use. */
bool registry_delete(Registry *reg, CirObject *obj, bool delete_disks, GError **error);

/* The runtime state of a VM ("stopped", "starting", "running",
 * "stopping") and, when not NULL, why it last stopped (stored). */
bool registry_set_state(Registry *reg, CirObject *vm, const char *state, const char *exit_reason,
                        GError **error);
bool registry_vm_is_active(const CirObject *vm);

/* Relations the model keeps indexed. */
const char *registry_disk_owner(Registry *reg, const char *disk_uuid);
GPtrArray *registry_vm_nics(Registry *reg, const char *vm_uuid);
const RegistryPaths *registry_paths(Registry *reg);
char *registry_disk_path(Registry *reg, const char *disk_uuid);

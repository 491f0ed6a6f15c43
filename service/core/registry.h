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

/* Host side effects of changes to objects of one kind (core/network.c:
 * switches and their bridges). apply runs once a change is validated and
 * before it is stored (old NULL: creation, next NULL: deletion) and may
 * complete next (a kernel name taken meanwhile); a refusal fails the
 * change. undo reverts apply when storing fails. Renames have none; disks
 * and ISOs keep their files themselves. */
typedef struct {
    bool (*apply)(void *data, const CirObject *old, CirObject *next, GError **error);
    void (*undo)(void *data, const CirObject *old, const CirObject *next);
} RegistryEffects;

typedef struct {
    const char *disk_dir;
    const char *iso_dir;
    const char *host_os;     /* "linux", "freebsd": what switch types and formats exist */
    const char *zfs_dataset; /* where Format=zvol disks live; NULL or "": none */
} RegistryPaths;

Registry *registry_new(Store *store, const RegistryPaths *paths);
void registry_free(Registry *reg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Registry, registry_free)

/* Loads every object from the store. */
bool registry_load(Registry *reg, GError **error);
void registry_set_observer(Registry *reg, const RegistryObserver *observer, void *data);
void registry_set_effects(Registry *reg, ObjectKind kind, const RegistryEffects *effects,
                          void *data);

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

/* --- files of disks and ISOs that the daemon makes (imports, clones) ---
 *
 * A disk's or imported ISO's file is named after its UUID. While its data
 * arrives it has a partial name beside the final one; the object is
 * stored only once the data is complete, and then the file is renamed.
 * registry_load() removes partial files that a killed daemon left behind
 * (or finishes the rename when the object had been stored). */

/* Where an imported ISO's file lives. */
char *registry_iso_path(Registry *reg, const char *iso_uuid);
/* Whether the ISO's file is the daemon's own (imported), deleted with it;
 * a registered file is never touched. */
bool registry_iso_is_owned(Registry *reg, const CirObject *iso);
/* The name the file of a disk or ISO being made has until it is stored. */
char *registry_partial_path(Registry *reg, const CirObject *obj);

/* A new disk or ISO, checked as registry_create checks one (name, changes
 * as from a client, trusted as set by the daemon), but not stored: its
 * name is taken until registry_adopt or registry_discard, which take it.
 * An ISO's Path is its file in the ISO directory. */
CirObject *registry_prepare(Registry *reg, ObjectKind kind, const char *name, GHashTable *changes,
                            GHashTable *trusted, GError **error);
/* Stores a prepared object once its file is complete at its partial path,
 * with the daemon's final values (trusted: Size, SHA256), and moves the
 * file into place. Takes obj; on failure the file is removed. */
CirObject *registry_adopt(Registry *reg, CirObject *obj, GHashTable *trusted, GError **error);
/* Drops a prepared object and its partial file. */
void registry_discard(Registry *reg, CirObject *obj);

/* Grows (or, with force, shrinks) a disk's image; Busy while its VM runs. */
bool registry_resize_disk(Registry *reg, CirObject *disk, uint64_t size, bool force,
                          GError **error);

/* Unit tests of the registry (service/core/registry.c and each kind's
 * whole-object checks): every change goes through registry_*(), as the bus
 * layer makes it, with a recording observer standing in for D-Bus. */
#include <sys/stat.h>
#include <unistd.h>

#include "core/registry.h"
#include "store/store.h"
#include "test-common.h"

/* --- an observer that records what it is told --- */

typedef enum { EV_ADDED, EV_CHANGED, EV_REMOVED } EventType;

typedef struct {
    EventType type;
    ObjectKind kind;
    char *uuid;
    char **props; /* EV_CHANGED only */
} Event;

static void event_free(Event *ev)
{
    g_free(ev->uuid);
    g_strfreev(ev->props);
    g_free(ev);
}

typedef struct {
    TmpDir *tmp;
    char *db_path;
    char *disk_dir;
    char *iso_dir;
    RegistryPaths paths;
    Store *store;
    Registry *reg;
    GPtrArray *events;
} Env;

static Event *record(Env *env, EventType type, const CirObject *obj)
{
    Event *ev = g_new0(Event, 1);

    ev->type = type;
    ev->kind = obj->kind;
    ev->uuid = g_strdup(obj->uuid);
    g_ptr_array_add(env->events, ev);
    /* Whatever the observer is told about is findable at that moment. */
    g_assert_true(registry_lookup(env->reg, obj->kind, obj->uuid) == obj);
    return ev;
}

static void on_added(void *data, const CirObject *obj)
{
    record(data, EV_ADDED, obj);
}

static void on_changed(void *data, const CirObject *obj, const char *const *properties)
{
    Event *ev = record(data, EV_CHANGED, obj);
    const ObjectClass *c = object_class(obj->kind);

    g_assert_nonnull(properties);
    g_assert_nonnull(properties[0]);
    ev->props = g_strdupv((char **)properties);
    /* Only real, visible properties are announced. */
    for (const char *const *p = properties; *p; p++) {
        const Field *f = object_class_find_field(c, *p);
        g_assert_nonnull(f);
        g_assert_false(f->flags & FIELD_HIDDEN);
    }
}

static void on_removed(void *data, const CirObject *obj)
{
    record(data, EV_REMOVED, obj);
}

static const RegistryObserver observer = {on_added, on_changed, on_removed};

/* --- the environment: a store and a registry in a temp dir --- */

static void env_open(Env *env)
{
    g_autoptr(GError) error = NULL;

    env->store = store_open(env->db_path, &error);
    g_assert_no_error(error);
    env->reg = registry_new(env->store, &env->paths);
    g_assert_true(registry_load(env->reg, &error));
    g_assert_no_error(error);
    registry_set_observer(env->reg, &observer, env);
}

static void env_close(Env *env)
{
    g_clear_pointer(&env->reg, registry_free);
    g_clear_pointer(&env->store, store_close);
}

static Env *env_new(void)
{
    Env *env = g_new0(Env, 1);

    env->tmp = tmp_dir_new();
    env->db_path = tmp_path(env->tmp, "cirrina.db");
    env->disk_dir = tmp_path(env->tmp, "disks");
    env->iso_dir = tmp_path(env->tmp, "isos");
    g_assert_cmpint(g_mkdir(env->disk_dir, 0700), ==, 0);
    g_assert_cmpint(g_mkdir(env->iso_dir, 0700), ==, 0);
    env->paths = (RegistryPaths){env->disk_dir, env->iso_dir, "linux"};
    env->events = g_ptr_array_new_with_free_func((GDestroyNotify)event_free);
    env_open(env);
    return env;
}

/* Drops the registry and the store, and loads everything again. */
static void env_reopen(Env *env)
{
    env_close(env);
    env_open(env);
}

static void env_free(Env *env)
{
    env_close(env);
    g_ptr_array_unref(env->events);
    g_free(env->db_path);
    g_free(env->disk_dir);
    g_free(env->iso_dir);
    tmp_dir_free(env->tmp);
    g_free(env);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Env, env_free)

/* --- events --- */

static void events_clear(Env *env)
{
    g_ptr_array_set_size(env->events, 0);
}

static void assert_no_events(Env *env)
{
    for (guint i = 0; i < env->events->len; i++) {
        Event *ev = env->events->pdata[i];
        g_autofree char *props = ev->props ? g_strjoinv(",", ev->props) : g_strdup("");
        g_test_message("unexpected event %d on %s %s [%s]", ev->type, object_class(ev->kind)->label,
                       ev->uuid, props);
    }
    g_assert_cmpuint(env->events->len, ==, 0);
}

static guint count_events(Env *env, EventType type, const CirObject *obj)
{
    guint n = 0;

    for (guint i = 0; i < env->events->len; i++) {
        Event *ev = env->events->pdata[i];
        if (ev->type == type && (!obj || strcmp(ev->uuid, obj->uuid) == 0))
            n++;
    }
    return n;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *sorted_list(char **strv)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();

    for (char **p = strv; p && *p; p++)
        g_ptr_array_add(sorted, *p);
    g_ptr_array_sort(sorted, compare_strings);
    g_ptr_array_add(sorted, NULL);
    return g_strjoinv(",", (char **)sorted->pdata);
}

/* Asserts that obj got exactly one "changed" call, listing exactly the
 * given properties (in any order). Pass the uuid, as the object itself may
 * be gone. */
static void assert_changed_uuid(Env *env, const char *uuid, ...)
{
    g_autoptr(GPtrArray) expected = g_ptr_array_new();
    Event *found = NULL;
    va_list ap;

    va_start(ap, uuid);
    for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *))
        g_ptr_array_add(expected, (char *)p);
    va_end(ap);
    g_ptr_array_add(expected, NULL);

    for (guint i = 0; i < env->events->len; i++) {
        Event *ev = env->events->pdata[i];
        if (ev->type == EV_CHANGED && strcmp(ev->uuid, uuid) == 0) {
            g_assert_null(found); /* one call per change */
            found = ev;
        }
    }
    g_assert_nonnull(found);
    g_autofree char *want = sorted_list((char **)expected->pdata);
    g_autofree char *got = sorted_list(found->props);
    g_assert_cmpstr(got, ==, want);
}
#define assert_changed(env, obj, ...) assert_changed_uuid(env, (obj)->uuid, __VA_ARGS__, NULL)

/* --- making changes --- */

static CirObject *create(Env *env, ObjectKind kind, const char *name, GHashTable *changes,
                         CirObject *parent)
{
    g_autoptr(GHashTable) owned = changes ? changes : changes_new();
    g_autoptr(GError) error = NULL;
    CirObject *obj = registry_create(env->reg, kind, name, owned, parent, &error);

    g_assert_no_error(error);
    g_assert_nonnull(obj);
    return obj;
}

static GError *create_fails(Env *env, ObjectKind kind, const char *name, GHashTable *changes,
                            CirObject *parent)
{
    g_autoptr(GHashTable) owned = changes ? changes : changes_new();
    GError *error = NULL;

    g_assert_null(registry_create(env->reg, kind, name, owned, parent, &error));
    g_assert_nonnull(error);
    return error;
}

static CirObject *create_vm(Env *env, const char *name)
{
    return create(env, KIND_VM, name, NULL, NULL);
}

static CirObject *create_disk(Env *env, const char *name, guint64 size)
{
    return create(env, KIND_DISK, name, changes_of("Size", g_variant_new_uint64(size), NULL), NULL);
}

static CirObject *create_switch(Env *env, const char *name)
{
    return create(env, KIND_SWITCH, name, NULL, NULL);
}

static CirObject *add_nic(Env *env, CirObject *vm, GHashTable *changes)
{
    return create(env, KIND_NIC, NULL, changes, vm);
}

static CirObject *register_iso(Env *env, const char *name, const char *contents)
{
    g_autofree char *file = g_strconcat(name, ".iso", NULL);
    g_autofree char *path = g_build_filename(env->iso_dir, file, NULL);
    g_autoptr(GHashTable) changes = changes_new();
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, contents, -1, NULL));
    CirObject *iso = registry_register_iso(env->reg, name, path, changes, &error);
    g_assert_no_error(error);
    return iso;
}

static void update(Env *env, CirObject *obj, GHashTable *changes)
{
    g_autoptr(GHashTable) owned = changes;
    g_autoptr(GError) error = NULL;

    g_assert_true(registry_update(env->reg, obj, owned, &error));
    g_assert_no_error(error);
}

static GError *update_fails(Env *env, CirObject *obj, GHashTable *changes)
{
    g_autoptr(GHashTable) owned = changes;
    GError *error = NULL;

    g_assert_false(registry_update(env->reg, obj, owned, &error));
    g_assert_nonnull(error);
    return error;
}

static GVariant *uuids_of(CirObject *const *objs, size_t n)
{
    g_autoptr(GPtrArray) uuids = g_ptr_array_new();

    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(uuids, objs[i]->uuid);
    return g_variant_new_strv((const char *const *)uuids->pdata, (gssize)uuids->len);
}

static void attach_disks(Env *env, CirObject *vm, CirObject *const *disks, size_t n)
{
    update(env, vm, changes_of("Disks", uuids_of(disks, n), NULL));
}

/* Any field's value as a client sees it (derived ones included). */
static GVariant *value_of(Env *env, const CirObject *obj, const char *name)
{
    return g_variant_take_ref(object_get(env->reg, obj, find_field(obj->kind, name)));
}

static char *printed(Env *env, const CirObject *obj, const char *name)
{
    g_autoptr(GVariant) v = value_of(env, obj, name);
    return g_variant_print(v, FALSE);
}

static char *string_of(Env *env, const CirObject *obj, const char *name)
{
    g_autoptr(GVariant) v = value_of(env, obj, name);
    return g_variant_dup_string(v, NULL);
}

/* Every field, derived ones included, printed: to compare before/after. */
static char *describe(Env *env, const CirObject *obj)
{
    const ObjectClass *c = object_class(obj->kind);
    g_autoptr(GString) out = g_string_new(NULL);

    g_string_append_printf(out, "%s %s name=%s\n", c->label, obj->uuid,
                           obj->name ? obj->name : "(none)");
    for (size_t i = 0; i < c->n_fields; i++) {
        g_autoptr(GVariant) v = g_variant_take_ref(object_get(env->reg, obj, &c->fields[i]));
        g_autofree char *s = g_variant_print(v, TRUE);
        g_string_append_printf(out, "  %s=%s\n", c->fields[i].name, s);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Everything in the registry, ordered by kind and UUID. */
static char *describe_all(Env *env)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (ObjectKind k = 0; k < N_KINDS; k++) {
        g_autoptr(GPtrArray) all = registry_list(env->reg, k);
        g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < all->len; i++)
            g_ptr_array_add(texts, describe(env, all->pdata[i]));
        g_ptr_array_sort(texts, compare_strings);
        for (guint i = 0; i < texts->len; i++)
            g_string_append(out, texts->pdata[i]);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static guint count_kind(Env *env, ObjectKind kind)
{
    g_autoptr(GPtrArray) all = registry_list(env->reg, kind);
    return all->len;
}

static char *disk_file(Env *env, const CirObject *disk)
{
    return registry_disk_path(env->reg, disk->uuid);
}

/* --- VMs --- */

static void test_vm_create(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create(env, KIND_VM, "web",
                           changes_of("Description", g_variant_new_string("Web server"), "Memory",
                                      g_variant_new_uint64(2 * TEST_GiB), "Autostart",
                                      g_variant_new_boolean(TRUE), NULL),
                           NULL);

    g_assert_cmpstr(vm->name, ==, "web");
    g_assert_true(g_uuid_string_is_valid(vm->uuid));
    g_assert_cmpuint(count_events(env, EV_ADDED, vm), ==, 1);
    g_assert_cmpuint(env->events->len, ==, 1);
    g_assert_cmpuint(get_uint(vm, "Memory"), ==, 2 * TEST_GiB);
    g_assert_cmpuint(get_uint(vm, "Autostart"), ==, 1);
    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 1);
    g_assert_true(registry_lookup(env->reg, KIND_VM, vm->uuid) == vm);
    g_assert_true(registry_lookup_name(env->reg, KIND_VM, "web") == vm);

    /* It was stored. */
    g_autofree char *before = describe(env, vm);
    g_autofree char *uuid = g_strdup(vm->uuid);
    env_reopen(env);
    CirObject *back = registry_lookup(env->reg, KIND_VM, uuid);
    g_assert_nonnull(back);
    g_autofree char *after = describe(env, back);
    g_assert_cmpstr(after, ==, before);
}

static void test_vm_create_invalid_name(void)
{
    g_autoptr(Env) env = env_new();
    const char *const bad[] = {
        "", "/", "..", ".vm", "my vm", "caf\xc3\xa9", "abcdefghijklmnopqrstuvwxyz789012" /* 32 */};

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = create_fails(env, KIND_VM, bad[i], NULL, NULL);
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    }
    create(env, KIND_VM, "abcdefghijklmnopqrstuvwxyz78901" /* 31 */, NULL, NULL);
    g_assert_cmpuint(count_kind(env, KIND_VM), ==, 1);
    g_assert_cmpuint(env->events->len, ==, 1);
}

static void test_vm_create_duplicate_name(void)
{
    g_autoptr(Env) env = env_new();
    create_vm(env, "dup");
    events_clear(env);

    g_autoptr(GError) error = create_fails(env, KIND_VM, "dup", NULL, NULL);
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_EXISTS);
    assert_error_mentions(error, "'dup'");
    assert_no_events(env);
    g_assert_cmpuint(count_kind(env, KIND_VM), ==, 1);

    /* Names are per kind. */
    create_disk(env, "dup", TEST_MiB);
    create_switch(env, "dup");
}

static void test_vm_create_bad_keys(void)
{
    g_autoptr(Env) env = env_new();
    struct {
        const char *key;
        GVariant *value;
        const char *mentions;
    } cases[] = {
        {"NoSuchKey", g_variant_new_string("x"), "Unknown key 'NoSuchKey'"},
        {"NICs", g_variant_new_strv(NULL, 0), "Unknown key 'NICs'"}, /* derived */
        {"DisplayPasswordSet", g_variant_new_boolean(TRUE), "Unknown key"},
        {"State", g_variant_new_string("running"), "State"},
        {"UUID", g_variant_new_string("00000000-0000-4000-8000-000000000000"), "UUID"},
        {"Name", g_variant_new_string("other"), "Name"},
        {"ExitReason", g_variant_new_string("crash"), "ExitReason"},
        {"Memory", g_variant_new_uint32(1024), "type"},
        {"Memory", g_variant_new_uint64(12345), "Memory"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("key %s", cases[i].key);
        g_autoptr(GError) error =
            create_fails(env, KIND_VM, "vm", changes_of(cases[i].key, cases[i].value, NULL), NULL);
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
        assert_error_mentions(error, cases[i].mentions);
    }
    assert_no_events(env);
    g_assert_cmpuint(count_kind(env, KIND_VM), ==, 0);
    env_reopen(env);
    g_assert_cmpuint(count_kind(env, KIND_VM), ==, 0);
}

static void test_vm_update(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    events_clear(env);

    update(env, vm,
           changes_of("Description", g_variant_new_string("new"), "Memory",
                      g_variant_new_uint64(4 * TEST_GiB), NULL));
    assert_changed(env, vm, "Description", "Memory");
    g_assert_cmpuint(env->events->len, ==, 1);
    g_assert_true(registry_lookup(env->reg, KIND_VM, vm->uuid) == vm); /* same address */
    g_autofree char *description = get_string(vm, "Description");
    g_assert_cmpstr(description, ==, "new");

    g_autofree char *uuid = g_strdup(vm->uuid);
    env_reopen(env);
    vm = registry_lookup(env->reg, KIND_VM, uuid);
    g_assert_cmpuint(get_uint(vm, "Memory"), ==, 4 * TEST_GiB);
}

static void test_vm_update_same_value_is_silent(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    events_clear(env);

    update(env, vm, changes_of("Memory", g_variant_new_uint64(get_uint(vm, "Memory")), NULL));
    update(env, vm, changes_new());
    assert_no_events(env);
}

static void test_vm_update_password(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    events_clear(env);

    /* The password is write-only: only DisplayPasswordSet is announced. */
    update(env, vm, changes_of("DisplayPassword", g_variant_new_string("s3cret"), NULL));
    assert_changed(env, vm, "DisplayPasswordSet");
    g_autofree char *set = printed(env, vm, "DisplayPasswordSet");
    g_assert_cmpstr(set, ==, "true");

    events_clear(env);
    update(env, vm, changes_of("DisplayPassword", g_variant_new_string("other"), NULL));
    assert_no_events(env); /* still set: nothing a client can see changed */
}

static void test_vm_rename(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "old");
    g_autofree char *uuid = g_strdup(vm->uuid);
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_true(registry_rename(env->reg, vm, "new", &error));
    g_assert_no_error(error);
    assert_changed(env, vm, "Name");
    g_assert_cmpuint(env->events->len, ==, 1);
    g_assert_cmpstr(vm->uuid, ==, uuid); /* a rename never moves an object */
    g_assert_true(registry_lookup_name(env->reg, KIND_VM, "new") == vm);
    g_assert_null(registry_lookup_name(env->reg, KIND_VM, "old"));

    /* The old name is free again. */
    create_vm(env, "old");

    env_reopen(env);
    vm = registry_lookup(env->reg, KIND_VM, uuid);
    g_assert_cmpstr(vm->name, ==, "new");
}

static void test_vm_rename_errors(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *a = create_vm(env, "a");
    create_vm(env, "b");
    g_autofree char *before = describe_all(env);
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_false(registry_rename(env->reg, a, "b", &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_EXISTS);
    g_clear_error(&error);
    g_assert_false(registry_rename(env->reg, a, "../b", &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(registry_rename(env->reg, a, "", &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    /* Renaming to the current name is a no-op. */
    g_assert_true(registry_rename(env->reg, a, "a", &error));
    g_assert_no_error(error);

    assert_no_events(env);
    g_autofree char *after = describe_all(env);
    g_assert_cmpstr(after, ==, before);
}

/* --- CPU topology --- */

static void test_vm_cpus_alone_sets_sockets(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm =
        create(env, KIND_VM, "vm", changes_of("CPUs", g_variant_new_uint32(4), NULL), NULL);

    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 4);
    g_assert_cmpuint(get_uint(vm, "Sockets"), ==, 4);
    g_assert_cmpuint(get_uint(vm, "Cores"), ==, 1);
    g_assert_cmpuint(get_uint(vm, "Threads"), ==, 1);

    /* Also on update, resetting an earlier topology. */
    update(env, vm,
           changes_of("Sockets", g_variant_new_uint32(1), "Cores", g_variant_new_uint32(2),
                      "Threads", g_variant_new_uint32(2), NULL));
    events_clear(env);
    update(env, vm, changes_of("CPUs", g_variant_new_uint32(6), NULL));
    g_assert_cmpuint(get_uint(vm, "Sockets"), ==, 6);
    g_assert_cmpuint(get_uint(vm, "Cores"), ==, 1);
    g_assert_cmpuint(get_uint(vm, "Threads"), ==, 1);
    assert_changed(env, vm, "CPUs", "Sockets", "Cores", "Threads");

    update(env, vm, changes_of("CPUs", g_variant_new_uint32(256), NULL));
    g_assert_cmpuint(get_uint(vm, "Sockets"), ==, 256);
}

static void test_vm_topology_alone_sets_cpus(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm =
        create(env, KIND_VM, "vm",
               changes_of("Sockets", g_variant_new_uint32(2), "Cores", g_variant_new_uint32(4),
                          "Threads", g_variant_new_uint32(2), NULL),
               NULL);

    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 16);
    events_clear(env);
    update(env, vm, changes_of("Cores", g_variant_new_uint32(1), NULL));
    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 4);
    g_assert_cmpuint(get_uint(vm, "Sockets"), ==, 2);
    assert_changed(env, vm, "CPUs", "Cores");

    /* CPUs given along with a matching topology is fine too. */
    update(env, vm,
           changes_of("CPUs", g_variant_new_uint32(8), "Sockets", g_variant_new_uint32(4), NULL));
    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 8);
}

static void test_vm_topology_mismatch_fails(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    g_autofree char *before = describe(env, vm);
    events_clear(env);

    g_autoptr(GError) error = update_fails(
        env, vm,
        changes_of("CPUs", g_variant_new_uint32(4), "Sockets", g_variant_new_uint32(3), NULL));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(error, "CPUs=4 does not match Sockets=3");
    assert_no_events(env);
    g_autofree char *after = describe(env, vm);
    g_assert_cmpstr(after, ==, before);

    g_autoptr(GError) error2 = create_fails(
        env, KIND_VM, "vm2",
        changes_of("CPUs", g_variant_new_uint32(2), "Threads", g_variant_new_uint32(4), NULL),
        NULL);
    g_assert_error(error2, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(count_kind(env, KIND_VM), ==, 1);
}

static void test_vm_topology_over_256_fails(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    g_autofree char *before = describe(env, vm);

    g_autoptr(GError) error = update_fails(env, vm,
                                           changes_of("Sockets", g_variant_new_uint32(16), "Cores",
                                                      g_variant_new_uint32(16), "Threads",
                                                      g_variant_new_uint32(2), NULL));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(error, "512");
    g_autofree char *after = describe(env, vm);
    g_assert_cmpstr(after, ==, before);

    /* 256 exactly is allowed. */
    update(
        env, vm,
        changes_of("Sockets", g_variant_new_uint32(16), "Cores", g_variant_new_uint32(16), NULL));
    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 256);
}

static void test_vm_cpu_pins(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm =
        create(env, KIND_VM, "vm",
               changes_of("CPUs", g_variant_new_uint32(2), "CPUPins",
                          g_variant_new_parsed("[(uint32 0, uint32 3), (1, 1023)]"), NULL),
               NULL);
    g_autofree char *pins = printed(env, vm, "CPUPins");
    g_assert_cmpstr(pins, ==, "[(0, 3), (1, 1023)]");

    struct {
        const char *pins;
        const char *mentions;
    } bad[] = {
        {"[(uint32 2, uint32 0)]", "virtual CPU 2 does not exist"},
        {"[(uint32 0, uint32 1024)]", "host CPU 1024"},
        {"[(uint32 1, uint32 0), (1, 2)]", "pinned twice"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error =
            update_fails(env, vm, changes_of("CPUPins", g_variant_new_parsed(bad[i].pins), NULL));
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
        assert_error_mentions(error, bad[i].mentions);
    }
    /* Fewer CPUs than pins refer to. */
    g_autoptr(GError) error =
        update_fails(env, vm, changes_of("CPUs", g_variant_new_uint32(1), NULL));
    assert_error_mentions(error, "virtual CPU 1");
    g_autofree char *still = printed(env, vm, "CPUPins");
    g_assert_cmpstr(still, ==, "[(0, 3), (1, 1023)]");
}

/* A failed update leaves every field, stored and derived, as it was, in
 * memory and in the store, and tells the observer nothing. */
static void test_vm_failed_update_changes_nothing(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    CirObject *other_disk = create_disk(env, "other-disk", TEST_MiB);
    CirObject *vm = create(env, KIND_VM, "vm",
                           changes_of("Description", g_variant_new_string("before"), "CPUs",
                                      g_variant_new_uint32(2), NULL),
                           NULL);
    CirObject *other = create_vm(env, "other");
    attach_disks(env, vm, &disk, 1);
    attach_disks(env, other, &other_disk, 1);
    add_nic(env, vm, NULL);
    g_autofree char *before = describe_all(env);
    events_clear(env);

    /* Each has valid changes mixed with one that fails, checked at a
     * different stage. */
    GHashTable *failing[] = {
        changes_of("Description", g_variant_new_string("after"), "Memory",
                   g_variant_new_uint64(31 * TEST_MiB), NULL),
        changes_of("Description", g_variant_new_string("after"), "Bogus", g_variant_new_string("x"),
                   NULL),
        changes_of("Memory", g_variant_new_uint64(8 * TEST_GiB), "CPUs", g_variant_new_uint32(4),
                   "Cores", g_variant_new_uint32(3), NULL),
        changes_of("Description", g_variant_new_string("after"), "Disks",
                   uuids_of((CirObject *[]){disk, other_disk}, 2), NULL),
        changes_of("Description", g_variant_new_string("after"), "Disks",
                   g_variant_new_strv((const char *[]){"00000000-0000-4000-8000-00000000dead"}, 1),
                   NULL),
        changes_of("Description", g_variant_new_string("after"), "CPUPins",
                   g_variant_new_parsed("[(uint32 5, uint32 0)]"), NULL),
        changes_of("Description", g_variant_new_string("bad\x01"), NULL),
        changes_of("Autostart", g_variant_new_boolean(TRUE), "State",
                   g_variant_new_string("running"), NULL),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(failing); i++) {
        g_autoptr(GError) error = update_fails(env, vm, failing[i]);
        g_test_message("failed as expected: %s", error->message);
        g_autofree char *after = describe_all(env);
        g_assert_cmpstr(after, ==, before);
    }
    assert_no_events(env);

    env_reopen(env);
    g_autofree char *reloaded = describe_all(env);
    g_assert_cmpstr(reloaded, ==, before);
}

static void test_vm_lists_checked(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    CirObject *disks[VM_MAX_DISKS + 1];
    CirObject *isos[VM_MAX_ISOS + 1];

    for (size_t i = 0; i < G_N_ELEMENTS(disks); i++) {
        g_autofree char *name = g_strdup_printf("disk%zu", i);
        disks[i] = create_disk(env, name, 512);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(isos); i++) {
        g_autofree char *name = g_strdup_printf("iso%zu", i);
        isos[i] = register_iso(env, name, "CD001");
    }

    attach_disks(env, vm, disks, VM_MAX_DISKS);
    update(env, vm, changes_of("ISOs", uuids_of(isos, VM_MAX_ISOS), NULL));

    g_autoptr(GError) e1 =
        update_fails(env, vm, changes_of("Disks", uuids_of(disks, VM_MAX_DISKS + 1), NULL));
    g_assert_error(e1, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_autoptr(GError) e2 =
        update_fails(env, vm, changes_of("ISOs", uuids_of(isos, VM_MAX_ISOS + 1), NULL));
    g_assert_error(e2, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_autoptr(GError) e3 = update_fails(
        env, vm, changes_of("Disks", uuids_of((CirObject *[]){disks[0], disks[0]}, 2), NULL));
    g_assert_error(e3, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(e3, "twice");
    g_autoptr(GError) e4 = update_fails(
        env, vm, changes_of("ISOs", g_variant_new_strv((const char *[]){disks[0]->uuid}, 1), NULL));
    g_assert_error(e4, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND); /* a disk is not an ISO */
}

static void test_vm_delete(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *sw = create_switch(env, "lan");
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    CirObject *iso = register_iso(env, "iso", "CD001");
    CirObject *vm = create_vm(env, "vm");
    attach_disks(env, vm, &disk, 1);
    update(env, vm, changes_of("ISOs", uuids_of(&iso, 1), NULL));
    CirObject *nic0 = add_nic(env, vm, changes_of("Switch", g_variant_new_string(sw->uuid), NULL));
    CirObject *nic1 = add_nic(env, vm, NULL);
    g_autofree char *vm_uuid = g_strdup(vm->uuid);
    g_autofree char *nic0_uuid = g_strdup(nic0->uuid);
    g_autofree char *nic1_uuid = g_strdup(nic1->uuid);
    g_autofree char *image = disk_file(env, disk);
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_true(registry_delete(env->reg, vm, false, &error));
    g_assert_no_error(error);

    /* The NICs go first, then the VM; the disk stays and is detached. */
    g_assert_cmpuint(env->events->len, ==, 4);
    Event **ev = (Event **)env->events->pdata;
    g_assert_cmpint(ev[0]->type, ==, EV_REMOVED);
    g_assert_cmpint(ev[1]->type, ==, EV_REMOVED);
    g_assert_cmpint(ev[0]->kind, ==, KIND_NIC);
    g_assert_cmpint(ev[1]->kind, ==, KIND_NIC);
    g_assert_cmpstr(ev[0]->uuid, ==, nic0_uuid);
    g_assert_cmpstr(ev[1]->uuid, ==, nic1_uuid);
    g_assert_cmpint(ev[2]->type, ==, EV_REMOVED);
    g_assert_cmpstr(ev[2]->uuid, ==, vm_uuid);
    assert_changed(env, disk, "AttachedTo");

    g_assert_null(registry_lookup(env->reg, KIND_VM, vm_uuid));
    g_assert_null(registry_lookup(env->reg, KIND_NIC, nic0_uuid));
    g_assert_null(registry_vm_nics(env->reg, vm_uuid));
    g_assert_null(registry_disk_owner(env->reg, disk->uuid));
    g_assert_true(g_file_test(image, G_FILE_TEST_IS_REGULAR));

    /* What the VM used can go now. */
    g_assert_true(registry_delete(env->reg, sw, false, &error));
    g_assert_true(registry_delete(env->reg, iso, false, &error));
    g_assert_no_error(error);

    env_reopen(env);
    g_assert_cmpuint(count_kind(env, KIND_VM), ==, 0);
    g_assert_cmpuint(count_kind(env, KIND_NIC), ==, 0);
    g_assert_cmpuint(count_kind(env, KIND_DISK), ==, 1);
}

static void test_vm_delete_with_disks(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *d1 = create_disk(env, "d1", TEST_MiB);
    CirObject *d2 = create_disk(env, "d2", TEST_MiB);
    CirObject *spare = create_disk(env, "spare", TEST_MiB);
    CirObject *iso = register_iso(env, "iso", "CD001");
    CirObject *vm = create_vm(env, "vm");
    CirObject *const both[] = {d2, d1};
    attach_disks(env, vm, both, 2);
    update(env, vm, changes_of("ISOs", uuids_of(&iso, 1), NULL));
    add_nic(env, vm, NULL);
    g_autofree char *f1 = disk_file(env, d1);
    g_autofree char *f2 = disk_file(env, d2);
    g_autofree char *fspare = disk_file(env, spare);
    g_autofree char *d1_uuid = g_strdup(d1->uuid);
    g_autofree char *iso_uuid = g_strdup(iso->uuid);
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_true(registry_delete(env->reg, vm, true, &error));
    g_assert_no_error(error);

    g_assert_false(g_file_test(f1, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(f2, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(fspare, G_FILE_TEST_EXISTS));
    g_assert_null(registry_lookup(env->reg, KIND_DISK, d1_uuid));
    g_assert_true(registry_lookup(env->reg, KIND_DISK, spare->uuid) == spare);
    g_assert_nonnull(registry_lookup(env->reg, KIND_ISO, iso_uuid)); /* ISOs are not disks */
    /* NIC, VM and both disks removed; nothing left to announce changes on. */
    g_assert_cmpuint(count_events(env, EV_REMOVED, NULL), ==, 4);
    g_assert_cmpuint(count_events(env, EV_CHANGED, NULL), ==, 0);

    env_reopen(env);
    g_assert_cmpuint(count_kind(env, KIND_DISK), ==, 1);
    g_assert_cmpuint(count_kind(env, KIND_ISO), ==, 1);
}

/* --- disks --- */

static void test_disk_create_sparse(void)
{
    g_autoptr(Env) env = env_new();
    guint64 size = 64 * TEST_MiB;
    CirObject *disk = create_disk(env, "data", size);
    g_autofree char *path = disk_file(env, disk);
    g_autofree char *shown_path = string_of(env, disk, "Path");
    g_autofree char *expected_name = g_strconcat(disk->uuid, ".img", NULL);
    g_autofree char *expected_path = g_build_filename(env->disk_dir, expected_name, NULL);
    g_autofree char *attached = string_of(env, disk, "AttachedTo");
    GStatBuf st;

    g_assert_cmpstr(path, ==, expected_path);
    g_assert_cmpstr(shown_path, ==, expected_path);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpuint(st.st_size, ==, size);
    g_assert_cmpuint((guint64)st.st_blocks * 512, <, size / 16); /* sparse */
    g_assert_cmpuint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpuint(get_uint(disk, "Size"), ==, size);
    g_autoptr(GVariant) allocated = value_of(env, disk, "Allocated");
    g_assert_cmpuint(g_variant_get_uint64(allocated), ==, (guint64)st.st_blocks * 512);
    g_assert_cmpstr(attached, ==, "");
    g_assert_cmpuint(count_events(env, EV_ADDED, disk), ==, 1);
}

static guint count_files(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

static void test_disk_create_errors(void)
{
    g_autoptr(Env) env = env_new();
    struct {
        GHashTable *changes;
        int code;
        const char *mentions;
    } cases[] = {
        {changes_new(), CIRRINA_ERROR_INVALID_ARGUMENT, "Size is required"},
        {changes_of("Size", g_variant_new_uint64(511), NULL), CIRRINA_ERROR_INVALID_ARGUMENT,
         "Size"},
        {changes_of("Size", g_variant_new_uint64(1000), NULL), CIRRINA_ERROR_INVALID_ARGUMENT,
         "512"},
        {changes_of("Size", g_variant_new_uint64(16 * TEST_TiB + 512), NULL),
         CIRRINA_ERROR_INVALID_ARGUMENT, "Size"},
        {changes_of("Size", g_variant_new_uint64(TEST_MiB), "Format", g_variant_new_string("zvol"),
                    NULL),
         CIRRINA_ERROR_NOT_SUPPORTED, "zvol"},
        {changes_of("Size", g_variant_new_uint64(TEST_MiB), "Format", g_variant_new_string("qcow2"),
                    NULL),
         CIRRINA_ERROR_INVALID_ARGUMENT, "Format"},
        {changes_of("Size", g_variant_new_uint64(TEST_MiB), "AttachedTo", g_variant_new_string(""),
                    NULL),
         CIRRINA_ERROR_INVALID_ARGUMENT, "Unknown key"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = create_fails(env, KIND_DISK, "disk", cases[i].changes, NULL);
        g_assert_error(error, CIRRINA_ERROR, cases[i].code);
        assert_error_mentions(error, cases[i].mentions);
    }
    assert_no_events(env);
    g_assert_cmpuint(count_kind(env, KIND_DISK), ==, 0);
    g_assert_cmpuint(count_files(env->disk_dir), ==, 0); /* no image left behind */
}

static void test_disk_size_create_only(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    events_clear(env);

    g_autoptr(GError) error =
        update_fails(env, disk, changes_of("Size", g_variant_new_uint64(2 * TEST_MiB), NULL));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(error, "only be set when the disk is created");
    g_autoptr(GError) error2 =
        update_fails(env, disk, changes_of("Format", g_variant_new_string("raw"), NULL));
    g_assert_error(error2, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(get_uint(disk, "Size"), ==, TEST_MiB);

    update(env, disk,
           changes_of("Bus", g_variant_new_string("nvme"), "ReadOnly", g_variant_new_boolean(TRUE),
                      NULL));
    assert_changed(env, disk, "Bus", "ReadOnly");
}

static void test_disk_attach_detach(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    CirObject *vm = create_vm(env, "vm");
    events_clear(env);

    attach_disks(env, vm, &disk, 1);
    assert_changed(env, vm, "Disks");
    assert_changed(env, disk, "AttachedTo");
    g_assert_cmpuint(env->events->len, ==, 2);
    g_autofree char *owner = string_of(env, disk, "AttachedTo");
    g_assert_cmpstr(owner, ==, vm->uuid);
    g_assert_cmpstr(registry_disk_owner(env->reg, disk->uuid), ==, vm->uuid);

    /* Reordering keeps the disk attached: no AttachedTo change. */
    CirObject *second = create_disk(env, "second", TEST_MiB);
    attach_disks(env, vm, (CirObject *[]){disk, second}, 2);
    events_clear(env);
    attach_disks(env, vm, (CirObject *[]){second, disk}, 2);
    assert_changed(env, vm, "Disks");
    g_assert_cmpuint(env->events->len, ==, 1);

    events_clear(env);
    attach_disks(env, vm, NULL, 0);
    assert_changed(env, vm, "Disks");
    assert_changed(env, disk, "AttachedTo");
    assert_changed(env, second, "AttachedTo");
    g_autofree char *none = string_of(env, disk, "AttachedTo");
    g_assert_cmpstr(none, ==, "");
    g_assert_null(registry_disk_owner(env->reg, disk->uuid));
}

static void test_disk_attach_at_create(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    events_clear(env);

    CirObject *vm = create(env, KIND_VM, "vm", changes_of("Disks", uuids_of(&disk, 1), NULL), NULL);
    g_assert_cmpuint(count_events(env, EV_ADDED, vm), ==, 1);
    assert_changed(env, disk, "AttachedTo");
    g_assert_cmpstr(registry_disk_owner(env->reg, disk->uuid), ==, vm->uuid);
}

static void test_disk_attach_busy(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    CirObject *a = create_vm(env, "a");
    CirObject *b = create_vm(env, "b");
    attach_disks(env, a, &disk, 1);
    g_autofree char *before = describe_all(env);
    events_clear(env);

    g_autoptr(GError) error = update_fails(env, b, changes_of("Disks", uuids_of(&disk, 1), NULL));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    assert_error_mentions(error, "'a'");
    g_autoptr(GError) error2 =
        create_fails(env, KIND_VM, "c", changes_of("Disks", uuids_of(&disk, 1), NULL), NULL);
    g_assert_error(error2, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);

    assert_no_events(env);
    g_autofree char *after = describe_all(env);
    g_assert_cmpstr(after, ==, before);
}

static void test_disk_delete_attached_busy(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    CirObject *vm = create_vm(env, "vm");
    g_autofree char *image = disk_file(env, disk);
    g_autoptr(GError) error = NULL;
    attach_disks(env, vm, &disk, 1);
    events_clear(env);

    g_assert_false(registry_delete(env->reg, disk, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    assert_error_mentions(error, "'vm'");
    assert_no_events(env);
    g_assert_true(registry_lookup(env->reg, KIND_DISK, disk->uuid) == disk);
    g_assert_true(g_file_test(image, G_FILE_TEST_IS_REGULAR));
}

static void test_disk_delete(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    g_autofree char *image = disk_file(env, disk);
    g_autofree char *uuid = g_strdup(disk->uuid);
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_true(registry_delete(env->reg, disk, false, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(env->events->len, ==, 1);
    g_assert_cmpint(((Event *)env->events->pdata[0])->type, ==, EV_REMOVED);
    g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
    g_assert_null(registry_lookup(env->reg, KIND_DISK, uuid));
    g_assert_null(registry_lookup_name(env->reg, KIND_DISK, "disk"));
    env_reopen(env);
    g_assert_cmpuint(count_kind(env, KIND_DISK), ==, 0);
}

static void test_disk_rename(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    g_autofree char *path_before = string_of(env, disk, "Path");
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_true(registry_rename(env->reg, disk, "root", &error));
    g_assert_no_error(error);
    assert_changed(env, disk, "Name");
    g_autofree char *path_after = string_of(env, disk, "Path");
    g_assert_cmpstr(path_after, ==, path_before); /* files are named by UUID */
    g_assert_true(g_file_test(path_after, G_FILE_TEST_IS_REGULAR));
}

/* --- ISOs --- */

static void test_iso_register(void)
{
    g_autoptr(Env) env = env_new();
    g_autofree char *path = g_build_filename(env->iso_dir, "install.iso", NULL);
    g_autoptr(GHashTable) changes =
        changes_of("Description", g_variant_new_string("Installer"), NULL);
    g_autoptr(GError) error = NULL;
    GStatBuf before, after;

    g_assert_true(g_file_set_contents(path, "CD001 pretend this is an ISO image", -1, NULL));
    g_assert_cmpint(g_chmod(path, 0444), ==, 0);
    g_assert_cmpint(g_stat(path, &before), ==, 0);
    CirObject *iso = registry_register_iso(env->reg, "install", path, changes, &error);
    g_assert_no_error(error);
    g_assert_cmpint(g_stat(path, &after), ==, 0);

    g_autofree char *shown = get_string(iso, "Path");
    g_assert_cmpstr(shown, ==, path);
    g_assert_cmpuint(get_uint(iso, "Size"), ==, before.st_size);
    g_autofree char *description = get_string(iso, "Description");
    g_assert_cmpstr(description, ==, "Installer");
    g_assert_cmpuint(count_events(env, EV_ADDED, iso), ==, 1);
    /* Registering does not touch the file. */
    g_assert_cmpint(after.st_mtime, ==, before.st_mtime);
    g_assert_cmpint(after.st_size, ==, before.st_size);

    /* Path and Size are the daemon's to set. */
    g_autoptr(GError) e1 =
        update_fails(env, iso, changes_of("Path", g_variant_new_string("/etc/shadow"), NULL));
    g_assert_error(e1, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_autoptr(GError) e2 =
        update_fails(env, iso, changes_of("Size", g_variant_new_uint64(1), NULL));
    g_assert_error(e2, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_autoptr(GHashTable) sneaky = changes_of("Path", g_variant_new_string("/etc/shadow"), NULL);
    g_assert_null(registry_register_iso(env->reg, "sneaky", path, sneaky, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
}

static void test_iso_register_errors(void)
{
    g_autoptr(Env) env = env_new();
    g_autofree char *missing = g_build_filename(env->iso_dir, "missing.iso", NULL);
    g_autoptr(GHashTable) changes = changes_new();
    g_autoptr(GError) error = NULL;

    g_assert_null(registry_register_iso(env->reg, "missing", missing, changes, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_null(registry_register_iso(env->reg, "relative", "isos/x.iso", changes, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_null(registry_register_iso(env->reg, "dir", env->iso_dir, changes, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);

    register_iso(env, "taken", "CD001");
    g_autofree char *again = g_build_filename(env->iso_dir, "taken.iso", NULL);
    g_assert_null(registry_register_iso(env->reg, "taken", again, changes, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_EXISTS);
    g_assert_cmpuint(count_kind(env, KIND_ISO), ==, 1);
}

static void test_iso_delete_used_busy(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *iso = register_iso(env, "iso", "CD001");
    CirObject *a = create_vm(env, "a");
    CirObject *b = create_vm(env, "b");
    g_autoptr(GError) error = NULL;

    /* Unlike disks, one ISO serves many VMs. */
    update(env, a, changes_of("ISOs", uuids_of(&iso, 1), NULL));
    update(env, b, changes_of("ISOs", uuids_of(&iso, 1), NULL));
    events_clear(env);

    g_assert_false(registry_delete(env->reg, iso, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    g_clear_error(&error);
    update(env, a, changes_of("ISOs", g_variant_new_strv(NULL, 0), NULL));
    g_assert_false(registry_delete(env->reg, iso, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    assert_error_mentions(error, "'b'");
    g_clear_error(&error);
    update(env, b, changes_of("ISOs", g_variant_new_strv(NULL, 0), NULL));
    g_assert_true(registry_delete(env->reg, iso, false, &error));
    g_assert_no_error(error);
}

/* --- switches --- */

static void test_switch_create(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *a = create(env, KIND_SWITCH, "a",
                          changes_of("Uplink", g_variant_new_string("eth0"), NULL), NULL);
    CirObject *b = create_switch(env, "b");
    g_autofree char *ia = get_string(a, "Interface");
    g_autofree char *ib = get_string(b, "Interface");
    g_autofree char *type = get_string(a, "Type");

    g_assert_cmpstr(type, ==, "bridge");
    g_assert_true(g_str_has_prefix(ia, "cirbr"));
    g_assert_true(g_str_has_prefix(ib, "cirbr"));
    g_assert_cmpstr(ia, !=, ib);

    /* The daemon names the interface, never the client. */
    g_autoptr(GError) error = create_fails(
        env, KIND_SWITCH, "c", changes_of("Interface", g_variant_new_string("eth0"), NULL), NULL);
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);

    g_autofree char *uuid = g_strdup(a->uuid);
    env_reopen(env);
    CirObject *back = registry_lookup(env->reg, KIND_SWITCH, uuid);
    g_autofree char *iback = get_string(back, "Interface");
    g_assert_cmpstr(iback, ==, ia);
}

static void test_switch_netgraph_not_supported(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(GError) error = create_fails(
        env, KIND_SWITCH, "ng", changes_of("Type", g_variant_new_string("netgraph"), NULL), NULL);

    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED);
    assert_error_mentions(error, "linux");
    g_assert_cmpuint(count_kind(env, KIND_SWITCH), ==, 0);
}

static void test_switch_update(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *sw = create_switch(env, "lan");
    events_clear(env);

    update(env, sw, changes_of("Uplink", g_variant_new_string("eth1"), NULL));
    assert_changed(env, sw, "Uplink");
    g_autoptr(GError) e1 =
        update_fails(env, sw, changes_of("Type", g_variant_new_string("bridge"), NULL));
    g_assert_error(e1, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_autoptr(GError) e2 =
        update_fails(env, sw, changes_of("Uplink", g_variant_new_string("../eth0"), NULL));
    g_assert_error(e2, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_autofree char *uplink = get_string(sw, "Uplink");
    g_assert_cmpstr(uplink, ==, "eth1");
}

static void test_switch_delete_used_busy(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *sw = create_switch(env, "lan");
    CirObject *vm = create_vm(env, "vm");
    CirObject *nic = add_nic(env, vm, changes_of("Switch", g_variant_new_string(sw->uuid), NULL));
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_false(registry_delete(env->reg, sw, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    assert_error_mentions(error, "'vm'");
    assert_no_events(env);
    g_clear_error(&error);

    /* Moving the NIC to user-mode NAT frees the switch. */
    update(env, nic, changes_of("Switch", g_variant_new_string(""), NULL));
    assert_changed(env, nic, "Switch");
    g_assert_true(registry_delete(env->reg, sw, false, &error));
    g_assert_no_error(error);
}

/* --- NICs --- */

static char *nics_of(Env *env, CirObject *vm)
{
    return printed(env, vm, "NICs");
}

static void test_nic_add(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *sw = create_switch(env, "lan");
    CirObject *vm = create_vm(env, "vm");
    events_clear(env);

    CirObject *nic = add_nic(env, vm,
                             changes_of("Switch", g_variant_new_string(sw->uuid), "Model",
                                        g_variant_new_string("e1000"), NULL));
    g_assert_null(nic->name);
    g_assert_cmpuint(count_events(env, EV_ADDED, nic), ==, 1);
    assert_changed(env, vm, "NICs");
    g_assert_cmpuint(env->events->len, ==, 2);
    g_autofree char *owner = get_string(nic, "VM");
    g_assert_cmpstr(owner, ==, vm->uuid);
    g_autofree char *list = nics_of(env, vm);
    g_autofree char *expected = g_strdup_printf("['%s']", nic->uuid);
    g_assert_cmpstr(list, ==, expected);

    /* A NIC's VM and index are not for clients to set. */
    g_autoptr(GError) e1 =
        update_fails(env, nic, changes_of("VM", g_variant_new_string(vm->uuid), NULL));
    g_assert_error(e1, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_autoptr(GError) e2 =
        create_fails(env, KIND_NIC, NULL, changes_of("Index", g_variant_new_uint32(5), NULL), vm);
    g_assert_error(e2, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
}

static void test_nic_index_order(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    CirObject *nics[3];
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(nics); i++) {
        nics[i] = add_nic(env, vm, NULL);
        g_assert_cmpuint(get_uint(nics[i], "Index"), ==, i);
    }
    /* Removing one in the middle keeps the others' indexes; a new one goes
     * after the last. */
    g_assert_true(registry_delete(env->reg, nics[1], false, &error));
    g_assert_no_error(error);
    CirObject *next = add_nic(env, vm, NULL);
    g_assert_cmpuint(get_uint(next, "Index"), ==, 3);
    g_autofree char *list = nics_of(env, vm);
    g_autofree char *expected =
        g_strdup_printf("['%s', '%s', '%s']", nics[0]->uuid, nics[2]->uuid, next->uuid);
    g_assert_cmpstr(list, ==, expected);

    env_reopen(env);
    vm = registry_lookup_name(env->reg, KIND_VM, "vm");
    g_autofree char *reloaded = nics_of(env, vm);
    g_assert_cmpstr(reloaded, ==, expected);
}

static bool mac_is_valid(const char *mac)
{
    g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new_string(mac));
    return field_validate(find_field(KIND_NIC, "MAC"), v, NULL);
}

static void test_nic_mac_generated(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    CirObject *other = create_vm(env, "other");
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (int i = 0; i < VM_MAX_NICS; i++) {
        CirObject *nic = add_nic(env, i % 2 ? other : vm, NULL);
        g_autofree char *mac = get_string(nic, "MAC");
        g_assert_true(g_str_has_prefix(mac, "0e:c1:"));
        g_assert_cmpuint(strlen(mac), ==, 17);
        g_assert_true(mac_is_valid(mac));
        g_assert_true(g_hash_table_add(seen, g_steal_pointer(&mac)));
    }
}

/* The same VM UUID and index give the same MAC, on any host, whenever:
 * pinned here against a VM of known UUID. */
static void test_nic_mac_stable(void)
{
    g_autoptr(Env) env = env_new();
    const char *known = "5f0c6a3e-6c1d-4b7a-9a51-0d6f3c2b9e01";
    g_autoptr(GError) error = NULL;

    {
        g_autoptr(CirObject) vm = object_new(KIND_VM);
        g_free(vm->uuid);
        vm->uuid = g_strdup(known);
        set_value(vm, "Name", g_variant_new_string("known"));
        g_assert_true(store_save(env->store, vm, &error));
        g_assert_no_error(error);
    }
    env_reopen(env);
    CirObject *vm = registry_lookup(env->reg, KIND_VM, known);
    g_assert_nonnull(vm);

    CirObject *nic0 = add_nic(env, vm, NULL);
    CirObject *nic1 = add_nic(env, vm, NULL);
    g_autofree char *mac0 = get_string(nic0, "MAC");
    g_autofree char *mac1 = get_string(nic1, "MAC");
    g_assert_cmpstr(mac0, ==, "0e:c1:2c:35:1b:48");
    g_assert_cmpstr(mac1, ==, "0e:c1:a4:73:55:13");

    /* Removed and added again at the same index: the same address. */
    g_assert_true(registry_delete(env->reg, nic1, false, &error));
    g_assert_no_error(error);
    CirObject *again = add_nic(env, vm, NULL);
    g_autofree char *mac_again = get_string(again, "MAC");
    g_assert_cmpuint(get_uint(again, "Index"), ==, 1);
    g_assert_cmpstr(mac_again, ==, mac1);
}

static void test_nic_mac_explicit(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    CirObject *nic =
        add_nic(env, vm, changes_of("MAC", g_variant_new_string("52:54:00:ab:cd:ef"), NULL));
    g_autofree char *mac = get_string(nic, "MAC");
    g_assert_cmpstr(mac, ==, "52:54:00:ab:cd:ef");
    events_clear(env);

    const char *const bad[] = {"01:00:5e:00:00:01", "00:00:00:00:00:00", "", "52:54:00:ab:cd"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error =
            update_fails(env, nic, changes_of("MAC", g_variant_new_string(bad[i]), NULL));
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    }
    assert_no_events(env);
    update(env, nic, changes_of("MAC", g_variant_new_string("0e:c1:00:00:00:02"), NULL));
    assert_changed(env, nic, "MAC");
}

static void test_nic_at_most_8(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");

    for (int i = 0; i < VM_MAX_NICS; i++)
        add_nic(env, vm, NULL);
    events_clear(env);

    g_autoptr(GError) error = create_fails(env, KIND_NIC, NULL, NULL, vm);
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(error, "at most 8");
    assert_no_events(env);
    g_assert_cmpuint(registry_vm_nics(env->reg, vm->uuid)->len, ==, VM_MAX_NICS);
    g_assert_cmpuint(count_kind(env, KIND_NIC), ==, VM_MAX_NICS);

    /* The limit is per VM. */
    CirObject *other = create_vm(env, "other");
    add_nic(env, other, NULL);
}

static void test_nic_switch_checked(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    events_clear(env);

    g_autoptr(GError) e1 = create_fails(
        env, KIND_NIC, NULL,
        changes_of("Switch", g_variant_new_string("00000000-0000-4000-8000-000000000000"), NULL),
        vm);
    g_assert_error(e1, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND);
    /* A UUID of another kind is no switch either. */
    g_autoptr(GError) e2 = create_fails(
        env, KIND_NIC, NULL, changes_of("Switch", g_variant_new_string(disk->uuid), NULL), vm);
    g_assert_error(e2, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND);
    assert_no_events(env);
    g_assert_null(registry_vm_nics(env->reg, vm->uuid));
}

static void test_nic_update(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *sw = create_switch(env, "lan");
    CirObject *vm = create_vm(env, "vm");
    CirObject *nic = add_nic(env, vm, NULL);
    events_clear(env);

    update(env, nic, changes_of("Switch", g_variant_new_string(sw->uuid), NULL));
    assert_changed(env, nic, "Switch");
    events_clear(env);
    update(env, nic,
           changes_of("RateLimitIn", g_variant_new_uint64(8000), "RateLimitOut",
                      g_variant_new_uint64(16000), NULL));
    assert_changed(env, nic, "RateLimitIn", "RateLimitOut");
    events_clear(env);
    g_autoptr(GError) error =
        update_fails(env, nic, changes_of("RateLimitIn", g_variant_new_uint64(7999), NULL));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_no_events(env);
    g_assert_cmpuint(get_uint(nic, "RateLimitIn"), ==, 8000);
}

static void test_nic_delete(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    CirObject *nic = add_nic(env, vm, NULL);
    g_autofree char *uuid = g_strdup(nic->uuid);
    g_autoptr(GError) error = NULL;
    events_clear(env);

    g_assert_true(registry_delete(env->reg, nic, false, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(env->events->len, ==, 2);
    g_assert_cmpint(((Event *)env->events->pdata[0])->type, ==, EV_REMOVED);
    g_assert_cmpstr(((Event *)env->events->pdata[0])->uuid, ==, uuid);
    assert_changed(env, vm, "NICs");
    g_autofree char *list = nics_of(env, vm);
    g_assert_cmpstr(list, ==, "[]");
    g_assert_null(registry_lookup(env->reg, KIND_NIC, uuid));

    env_reopen(env);
    g_assert_cmpuint(count_kind(env, KIND_NIC), ==, 0);
}

/* --- a running VM --- */

static void set_state(Env *env, CirObject *vm, const char *state, const char *exit_reason)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(registry_set_state(env->reg, vm, state, exit_reason, &error));
    g_assert_no_error(error);
}

static void test_vm_set_state(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    g_autofree char *uuid = g_strdup(vm->uuid);
    events_clear(env);

    g_assert_false(registry_vm_is_active(vm));
    set_state(env, vm, "running", NULL);
    assert_changed(env, vm, "State");
    g_assert_true(registry_vm_is_active(vm));
    g_assert_true(registry_lookup(env->reg, KIND_VM, uuid) == vm);

    events_clear(env);
    set_state(env, vm, "stopped", "poweroff");
    assert_changed(env, vm, "State", "ExitReason");
    g_assert_false(registry_vm_is_active(vm));

    /* ExitReason is stored; State lives in memory only. */
    set_state(env, vm, "running", NULL);
    env_reopen(env);
    vm = registry_lookup(env->reg, KIND_VM, uuid);
    g_autofree char *state = get_string(vm, "State");
    g_autofree char *reason = get_string(vm, "ExitReason");
    g_assert_cmpstr(state, ==, "stopped");
    g_assert_cmpstr(reason, ==, "poweroff");
}

/* Hardware of a running VM does not change under it (Busy); what may
 * change while it runs (FIELD_LIVE) still does. */
static void test_vm_running_refuses_hardware_changes(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *disk = create_disk(env, "disk", TEST_MiB);
    CirObject *vm = create_vm(env, "vm");
    attach_disks(env, vm, &disk, 1);
    CirObject *nic = add_nic(env, vm, NULL);
    set_state(env, vm, "running", NULL);
    g_autofree char *before = describe_all(env);
    g_autoptr(GError) error = NULL;
    events_clear(env);

    GHashTable *hardware[] = {
        changes_of("Memory", g_variant_new_uint64(2 * TEST_GiB), NULL),
        changes_of("CPUs", g_variant_new_uint32(2), NULL),
        changes_of("Disks", g_variant_new_strv(NULL, 0), NULL),
        changes_of("Description", g_variant_new_string("live"), "Memory",
                   g_variant_new_uint64(2 * TEST_GiB), NULL),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(hardware); i++) {
        g_autoptr(GError) e = update_fails(env, vm, hardware[i]);
        g_assert_error(e, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
        assert_error_mentions(e, "running");
    }
    g_autoptr(GError) e_nic =
        update_fails(env, nic, changes_of("Model", g_variant_new_string("e1000"), NULL));
    g_assert_error(e_nic, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    g_autoptr(GError) e_disk =
        update_fails(env, disk, changes_of("Bus", g_variant_new_string("nvme"), NULL));
    g_assert_error(e_disk, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    g_autoptr(GError) e_add = create_fails(env, KIND_NIC, NULL, NULL, vm);
    g_assert_error(e_add, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    g_assert_false(registry_delete(env->reg, nic, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    g_clear_error(&error);
    g_assert_false(registry_delete(env->reg, vm, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    g_clear_error(&error);

    assert_no_events(env);
    g_autofree char *after = describe_all(env);
    g_assert_cmpstr(after, ==, before);

    /* Descriptions and autostart settings may change at any time. */
    update(env, vm,
           changes_of("Description", g_variant_new_string("live"), "Autostart",
                      g_variant_new_boolean(TRUE), NULL));
    assert_changed(env, vm, "Description", "Autostart");
    update(env, disk, changes_of("Description", g_variant_new_string("live"), NULL));

    /* Once stopped, everything may change again. */
    set_state(env, vm, "stopped", NULL);
    update(env, vm, changes_of("Memory", g_variant_new_uint64(2 * TEST_GiB), NULL));
    g_assert_true(registry_delete(env->reg, vm, false, &error));
    g_assert_no_error(error);
}

/* --- loading, finding --- */

static void test_load_same_objects(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *sw = create_switch(env, "lan");
    CirObject *d1 = create_disk(env, "root", 8 * TEST_MiB);
    CirObject *d2 = create_disk(env, "data", TEST_MiB);
    CirObject *iso = register_iso(env, "installer", "CD001");
    CirObject *vm = create(env, KIND_VM, "vm",
                           changes_of("Description", g_variant_new_string("all of it"), "Sockets",
                                      g_variant_new_uint32(2), "Cores", g_variant_new_uint32(2),
                                      "Memory", g_variant_new_uint64(3 * TEST_GiB), "CPUPins",
                                      g_variant_new_parsed("[(uint32 3, uint32 0)]"), "Shares",
                                      g_variant_new_parsed("[('data', '/srv/data', true)]"),
                                      "DisplayPassword", g_variant_new_string("pw"), NULL),
                           NULL);
    attach_disks(env, vm, (CirObject *[]){d2, d1}, 2);
    update(env, vm, changes_of("ISOs", uuids_of(&iso, 1), NULL));
    add_nic(env, vm, changes_of("Switch", g_variant_new_string(sw->uuid), NULL));
    add_nic(env, vm, changes_of("Model", g_variant_new_string("e1000"), NULL));
    create_vm(env, "idle");
    g_autofree char *before = describe_all(env);

    env_reopen(env);
    g_autofree char *after = describe_all(env);
    g_assert_cmpstr(after, ==, before);
    g_assert_nonnull(registry_lookup_name(env->reg, KIND_DISK, "root"));
    g_assert_cmpuint(count_kind(env, KIND_NIC), ==, 2);
}

static void test_find(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *vm = create_vm(env, "vm");
    g_autoptr(GError) error = NULL;

    g_assert_true(registry_find(env->reg, KIND_VM, "vm", &error) == vm);
    g_assert_true(registry_find(env->reg, KIND_VM, vm->uuid, &error) == vm);
    g_assert_no_error(error);
    g_assert_null(registry_find(env->reg, KIND_VM, "nope", &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_null(registry_find(env->reg, KIND_DISK, "vm", &error)); /* per kind */
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND);
}

/* registry_find() (Manager.GetDisk and friends) takes a name or a UUID:
 * another object must not be able to take a UUID as its name and so
 * answer for that UUID. */
static void test_find_uuid_not_shadowed_by_name(void)
{
    g_autoptr(Env) env = env_new();
    CirObject *victim = create_disk(env, "victim", TEST_MiB);
    g_autoptr(GHashTable) changes = changes_of("Size", g_variant_new_uint64(TEST_MiB), NULL);
    g_autoptr(GError) error = NULL;

    /* Names that are UUIDs are refused, which keeps lookups unambiguous. */
    CirObject *shadow = registry_create(env->reg, KIND_DISK, victim->uuid, changes, NULL, &error);
    g_assert_null(shadow);
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    CirObject *found = registry_find(env->reg, KIND_DISK, victim->uuid, &error);
    g_assert_no_error(error);
    g_assert_true(found == victim);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/registry/vm/create", test_vm_create);
    g_test_add_func("/registry/vm/create-invalid-name", test_vm_create_invalid_name);
    g_test_add_func("/registry/vm/create-duplicate-name", test_vm_create_duplicate_name);
    g_test_add_func("/registry/vm/create-bad-keys", test_vm_create_bad_keys);
    g_test_add_func("/registry/vm/update", test_vm_update);
    g_test_add_func("/registry/vm/update-same-value-is-silent",
                    test_vm_update_same_value_is_silent);
    g_test_add_func("/registry/vm/update-password", test_vm_update_password);
    g_test_add_func("/registry/vm/rename", test_vm_rename);
    g_test_add_func("/registry/vm/rename-errors", test_vm_rename_errors);
    g_test_add_func("/registry/vm/cpus-alone-sets-sockets", test_vm_cpus_alone_sets_sockets);
    g_test_add_func("/registry/vm/topology-alone-sets-cpus", test_vm_topology_alone_sets_cpus);
    g_test_add_func("/registry/vm/topology-mismatch-fails", test_vm_topology_mismatch_fails);
    g_test_add_func("/registry/vm/topology-over-256-fails", test_vm_topology_over_256_fails);
    g_test_add_func("/registry/vm/cpu-pins", test_vm_cpu_pins);
    g_test_add_func("/registry/vm/failed-update-changes-nothing",
                    test_vm_failed_update_changes_nothing);
    g_test_add_func("/registry/vm/lists-checked", test_vm_lists_checked);
    g_test_add_func("/registry/vm/delete", test_vm_delete);
    g_test_add_func("/registry/vm/delete-with-disks", test_vm_delete_with_disks);

    g_test_add_func("/registry/disk/create-sparse", test_disk_create_sparse);
    g_test_add_func("/registry/disk/create-errors", test_disk_create_errors);
    g_test_add_func("/registry/disk/size-create-only", test_disk_size_create_only);
    g_test_add_func("/registry/disk/attach-detach", test_disk_attach_detach);
    g_test_add_func("/registry/disk/attach-at-create", test_disk_attach_at_create);
    g_test_add_func("/registry/disk/attach-busy", test_disk_attach_busy);
    g_test_add_func("/registry/disk/delete-attached-busy", test_disk_delete_attached_busy);
    g_test_add_func("/registry/disk/delete", test_disk_delete);
    g_test_add_func("/registry/disk/rename", test_disk_rename);

    g_test_add_func("/registry/iso/register", test_iso_register);
    g_test_add_func("/registry/iso/register-errors", test_iso_register_errors);
    g_test_add_func("/registry/iso/delete-used-busy", test_iso_delete_used_busy);

    g_test_add_func("/registry/switch/create", test_switch_create);
    g_test_add_func("/registry/switch/netgraph-not-supported", test_switch_netgraph_not_supported);
    g_test_add_func("/registry/switch/update", test_switch_update);
    g_test_add_func("/registry/switch/delete-used-busy", test_switch_delete_used_busy);

    g_test_add_func("/registry/nic/add", test_nic_add);
    g_test_add_func("/registry/nic/index-order", test_nic_index_order);
    g_test_add_func("/registry/nic/mac-generated", test_nic_mac_generated);
    g_test_add_func("/registry/nic/mac-stable", test_nic_mac_stable);
    g_test_add_func("/registry/nic/mac-explicit", test_nic_mac_explicit);
    g_test_add_func("/registry/nic/at-most-8", test_nic_at_most_8);
    g_test_add_func("/registry/nic/switch-checked", test_nic_switch_checked);
    g_test_add_func("/registry/nic/update", test_nic_update);
    g_test_add_func("/registry/nic/delete", test_nic_delete);

    g_test_add_func("/registry/running/set-state", test_vm_set_state);
    g_test_add_func("/registry/running/refuses-hardware-changes",
                    test_vm_running_refuses_hardware_changes);

    g_test_add_func("/registry/load/same-objects", test_load_same_objects);
    g_test_add_func("/registry/find/by-name-or-uuid", test_find);
    g_test_add_func("/registry/find/uuid-not-shadowed-by-name",
                    test_find_uuid_not_shadowed_by_name);

    return g_test_run();
}

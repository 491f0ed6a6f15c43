/* Unit tests of the SQLite store (service/store/): opening and migrating,
 * saving and loading every kind, deleting, transactions, and the committed
 * schema-v1 fixture. */
#include <sqlite3.h>
#include <stdio.h>

#include "core/registry.h"
#include "store/schema.h"
#include "store/store.h"
#include "test-common.h"

/* --- helpers --- */

static Store *open_store(const char *path)
{
    g_autoptr(GError) error = NULL;
    Store *store = store_open(path, &error);

    g_assert_no_error(error);
    g_assert_nonnull(store);
    return store;
}

/* A second connection of our own, to look at what the store wrote. */
static sqlite3 *peek_open(const char *path)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        g_error("Cannot open %s: %s", path, sqlite3_errmsg(db));
    return db;
}

static char *peek_text(const char *path, const char *sql)
{
    sqlite3 *db = peek_open(path);
    sqlite3_stmt *st = NULL;
    char *result;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        g_error("%s: %s", sql, sqlite3_errmsg(db));
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    result = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return result;
}

static gint64 peek_int(const char *path, const char *sql)
{
    g_autofree char *text = peek_text(path, sql);
    return g_ascii_strtoll(text, NULL, 10);
}

static gint64 count_rows(const char *path, const char *table)
{
    g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM %s", table);
    return peek_int(path, sql);
}

/* Every row of a table as text, in a stable order. */
static char *dump_table(const char *path, const char *table)
{
    g_autofree char *sql = g_strdup_printf("SELECT * FROM %s ORDER BY 1, 2", table);
    g_autoptr(GString) out = g_string_new(NULL);
    sqlite3 *db = peek_open(path);
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        g_error("%s: %s", sql, sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            int type = sqlite3_column_type(st, i);
            g_string_append_printf(out, "%s%s=%s:%s", i ? " " : "", sqlite3_column_name(st, i),
                                   type == SQLITE_INTEGER ? "int"
                                   : type == SQLITE_NULL  ? "null"
                                                          : "text",
                                   type == SQLITE_NULL ? ""
                                                       : (const char *)sqlite3_column_text(st, i));
        }
        g_string_append_c(out, '\n');
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static GPtrArray *load_all(Store *store, ObjectKind kind)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *objects = g_ptr_array_new_with_free_func((GDestroyNotify)object_free);

    g_assert_true(store_load(store, kind, objects, &error));
    g_assert_no_error(error);
    return objects;
}

static const CirObject *find_loaded(GPtrArray *objects, const char *uuid)
{
    for (guint i = 0; i < objects->len; i++)
        if (strcmp(((CirObject *)objects->pdata[i])->uuid, uuid) == 0)
            return objects->pdata[i];
    g_error("No object %s was loaded", uuid);
}

static void save(Store *store, const CirObject *obj)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(store_save(store, obj, &error));
    g_assert_no_error(error);
}

static void save_all(Store *store, CirObject *const *objs, size_t n)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(store_begin(store, &error));
    for (size_t i = 0; i < n; i++)
        save(store, objs[i]);
    g_assert_true(store_commit(store, &error));
    g_assert_no_error(error);
}

static CirObject *new_named(ObjectKind kind, const char *name)
{
    CirObject *obj = object_new(kind);

    set_value(obj, "Name", g_variant_new_string(name));
    return obj;
}

/* A disk, an ISO, a switch, a VM using them and a NIC of that VM: every
 * kind with a non-default value in every stored field. */
typedef struct {
    CirObject *disk, *disk2, *iso, *sw, *vm, *nic;
} World;

static void world_free(World *w)
{
    object_free(w->disk);
    object_free(w->disk2);
    object_free(w->iso);
    object_free(w->sw);
    object_free(w->vm);
    object_free(w->nic);
    g_free(w);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

static World *world_new(void)
{
    World *w = g_new0(World, 1);

    w->disk = object_new(KIND_DISK);
    fill_disk(w->disk);
    w->disk2 = object_new(KIND_DISK);
    fill_disk(w->disk2);
    set_value(w->disk2, "Name", g_variant_new_string("disk-filled-2"));
    w->iso = object_new(KIND_ISO);
    fill_iso(w->iso);
    w->sw = object_new(KIND_SWITCH);
    fill_switch(w->sw);
    w->vm = object_new(KIND_VM);
    const char *const disks[] = {w->disk2->uuid, w->disk->uuid, NULL};
    const char *const isos[] = {w->iso->uuid, NULL};
    fill_vm(w->vm, disks, isos);
    w->nic = object_new(KIND_NIC);
    fill_nic(w->nic, w->vm->uuid, w->sw->uuid);
    return w;
}

static void world_save(World *w, Store *store)
{
    CirObject *const order[] = {w->disk, w->disk2, w->iso, w->sw, w->vm, w->nic};
    save_all(store, order, G_N_ELEMENTS(order));
}

/* Saves everything, reopens the database and checks that one kind loads
 * back field for field (State lives in memory only). */
static void check_roundtrip(ObjectKind kind)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(World) w = world_new();
    CirObject *const all[] = {w->disk, w->disk2, w->iso, w->sw, w->vm, w->nic};

    {
        g_autoptr(Store) store = open_store(path);
        world_save(w, store);
    }
    g_autoptr(Store) store = open_store(path);
    g_autoptr(GPtrArray) loaded = load_all(store, kind);
    guint expected = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        if (all[i]->kind != kind)
            continue;
        expected++;
        const CirObject *back = find_loaded(loaded, all[i]->uuid);
        assert_fields_equal(all[i], back, FIELD_NOT_STORED);
        g_assert_cmpstr(back->name, ==, all[i]->name);
    }
    g_assert_cmpuint(loaded->len, ==, expected);
}

/* --- opening --- */

static void test_open_pragmas(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autofree char *mode = peek_text(path, "PRAGMA journal_mode");

    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpstr(mode, ==, "wal");
    g_assert_cmpint(store_schema_version(store), ==, schema_latest_version());
    g_assert_cmpint(peek_int(path, "PRAGMA user_version"), ==, schema_latest_version());
    g_assert_cmpint(schema_latest_version(), >=, 1);
    for (ObjectKind k = 0; k < N_KINDS; k++)
        g_assert_cmpint(count_rows(path, object_class(k)->table), ==, 0);
}

/* foreign_keys is a setting of each connection: it shows only in what the
 * store's own connection refuses. */
static void test_open_foreign_keys_on(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(CirObject) orphan = object_new(KIND_NIC);
    g_autoptr(CirObject) vm = new_named(KIND_VM, "vm");
    g_autoptr(GError) error = NULL;

    /* A NIC of a VM that does not exist. */
    set_value(orphan, "VM", g_variant_new_string("00000000-0000-4000-8000-000000000000"));
    set_value(orphan, "MAC", g_variant_new_string("0e:c1:00:00:00:01"));
    g_assert_false(store_save(store, orphan, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    assert_error_mentions(error, "FOREIGN KEY");
    g_clear_error(&error);

    /* A VM listing a disk that does not exist. */
    const char *const missing[] = {"00000000-0000-4000-8000-000000000001", NULL};
    set_value(vm, "Disks", strv_value(missing));
    g_assert_false(store_save(store, vm, &error));
    assert_error_mentions(error, "FOREIGN KEY");
    g_assert_cmpint(count_rows(path, "nics"), ==, 0);
    g_assert_cmpint(count_rows(path, "vm_disks"), ==, 0);
}

static void test_open_reopen(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(CirObject) sw = new_named(KIND_SWITCH, "lan");

    {
        g_autoptr(Store) store = open_store(path);
        save(store, sw);
    }
    g_autoptr(Store) store = open_store(path);
    g_autoptr(GPtrArray) switches = load_all(store, KIND_SWITCH);

    g_assert_cmpint(store_schema_version(store), ==, schema_latest_version());
    g_assert_cmpuint(switches->len, ==, 1);
    assert_fields_equal(sw, switches->pdata[0], 0);
}

static void test_open_bad_path(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = g_build_filename(tmp->path, "no-such-dir", "cirrina.db", NULL);
    g_autoptr(GError) error = NULL;
    Store *store = store_open(path, &error);

    g_assert_null(store);
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    assert_error_mentions(error, path);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

static void test_open_not_a_database(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) junk = g_string_new(NULL);

    for (int i = 0; i < 400; i++)
        g_string_append(junk, "this is not an SQLite database\n");
    g_assert_true(g_file_set_contents(path, junk->str, (gssize)junk->len, NULL));

    g_assert_null(store_open(path, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    assert_error_mentions(error, "not a database");

    g_autoptr(GBytes) after = read_file_bytes(path);
    g_autoptr(GBytes) before = g_bytes_new_static(junk->str, junk->len);
    g_assert_true(g_bytes_equal(before, after));
}

/* A database of a newer cirrinad: refused, with both versions named, and
 * not changed by a single byte (a downgrade must not damage it). */
static void check_newer_version(bool wal)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    int newer = schema_latest_version() + 1;
    g_autofree char *sql = g_strdup_printf(
        "%s CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('from the future'); "
        "PRAGMA user_version = %d;",
        wal ? "PRAGMA journal_mode = WAL;" : "", newer);
    g_autoptr(GError) error = NULL;

    {
        sqlite3 *db = NULL;
        g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
        sqlite3_close(db);
    }
    g_autoptr(GBytes) before = read_file_bytes(path);

    g_assert_null(store_open(path, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    g_autofree char *mentions_newer = g_strdup_printf("schema version %d", newer);
    g_autofree char *mentions_known = g_strdup_printf("(%d)", schema_latest_version());
    assert_error_mentions(error, mentions_newer);
    assert_error_mentions(error, mentions_known);
    assert_error_mentions(error, "newer");

    g_autoptr(GBytes) after = read_file_bytes(path);
    g_assert_cmpint(peek_int(path, "PRAGMA user_version"), ==, newer);
    g_assert_cmpint(count_rows(path, "future"), ==, 1);
    if (!g_bytes_equal(before, after)) {
        const guint8 *a = g_bytes_get_data(before, NULL), *b = g_bytes_get_data(after, NULL);
        gsize n = MIN(g_bytes_get_size(before), g_bytes_get_size(after)), i = 0;
        while (i < n && a[i] == b[i])
            i++;
        g_test_message("sizes %zu and %zu; first difference at byte %zu", g_bytes_get_size(before),
                       g_bytes_get_size(after), i);
        g_assert_true(g_bytes_equal(before, after));
    }
}

static void test_open_newer_version_rollback_journal(void)
{
    check_newer_version(false);
}

static void test_open_newer_version_wal(void)
{
    check_newer_version(true);
}

/* --- saving and loading --- */

static void test_roundtrip_vm(void)
{
    check_roundtrip(KIND_VM);
}

static void test_roundtrip_nic(void)
{
    check_roundtrip(KIND_NIC);
}

static void test_roundtrip_switch(void)
{
    check_roundtrip(KIND_SWITCH);
}

static void test_roundtrip_disk(void)
{
    check_roundtrip(KIND_DISK);
}

static void test_roundtrip_iso(void)
{
    check_roundtrip(KIND_ISO);
}

static void test_roundtrip_defaults(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(CirObject) vm = new_named(KIND_VM, "plain");
    g_autoptr(CirObject) nic = object_new(KIND_NIC);

    /* Empty lists, and a NIC on user-mode NAT: its Switch is SQL NULL. */
    set_value(nic, "VM", g_variant_new_string(vm->uuid));
    save(store, vm);
    save(store, nic);
    g_assert_cmpint(peek_int(path, "SELECT count(*) FROM nics WHERE switch_uuid IS NULL"), ==, 1);

    g_autoptr(GPtrArray) vms = load_all(store, KIND_VM);
    g_autoptr(GPtrArray) nics = load_all(store, KIND_NIC);
    assert_fields_equal(vm, find_loaded(vms, vm->uuid), 0);
    assert_fields_equal(nic, find_loaded(nics, nic->uuid), 0);
}

static GVariant *uuid_list(CirObject *const *objs, size_t n)
{
    g_autoptr(GPtrArray) uuids = g_ptr_array_new();

    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(uuids, objs[i]->uuid);
    return g_variant_new_strv((const char *const *)uuids->pdata, (gssize)uuids->len);
}

static void assert_list(const CirObject *obj, const char *field, CirObject *const *objs, size_t n)
{
    g_autoptr(GVariant) expected = g_variant_ref_sink(uuid_list(objs, n));
    g_autoptr(GVariant) got = get_value(obj, field);
    g_autofree char *e = g_variant_print(expected, FALSE);
    g_autofree char *g = g_variant_print(got, FALSE);

    g_assert_cmpstr(g, ==, e);
}

static void test_roundtrip_list_order(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(CirObject) vm = new_named(KIND_VM, "ordered");
    g_autoptr(CirObject) other = new_named(KIND_VM, "other");
    CirObject *disks[5], *isos[4];

    for (size_t i = 0; i < G_N_ELEMENTS(disks); i++) {
        g_autofree char *name = g_strdup_printf("disk%zu", i);
        disks[i] = new_named(KIND_DISK, name);
        set_value(disks[i], "Size", g_variant_new_uint64(TEST_GiB));
        save(store, disks[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(isos); i++) {
        g_autofree char *name = g_strdup_printf("iso%zu", i);
        isos[i] = new_named(KIND_ISO, name);
        save(store, isos[i]);
    }
    /* Not the order of creation, nor of UUIDs: the boot order. */
    CirObject *const boot[] = {disks[3], disks[0], disks[4], disks[1]};
    CirObject *const cds[] = {isos[2], isos[0], isos[3]};
    CirObject *const other_cds[] = {isos[3], isos[1]}; /* ISOs may be shared */
    set_value(vm, "Disks", uuid_list(boot, G_N_ELEMENTS(boot)));
    set_value(vm, "ISOs", uuid_list(cds, G_N_ELEMENTS(cds)));
    set_value(other, "Disks", uuid_list(&disks[2], 1));
    set_value(other, "ISOs", uuid_list(other_cds, G_N_ELEMENTS(other_cds)));
    save(store, vm);
    save(store, other);

    {
        g_autoptr(GPtrArray) vms = load_all(store, KIND_VM);
        assert_list(find_loaded(vms, vm->uuid), "Disks", boot, G_N_ELEMENTS(boot));
        assert_list(find_loaded(vms, vm->uuid), "ISOs", cds, G_N_ELEMENTS(cds));
        assert_list(find_loaded(vms, other->uuid), "Disks", &disks[2], 1);
        assert_list(find_loaded(vms, other->uuid), "ISOs", other_cds, G_N_ELEMENTS(other_cds));
    }

    /* Saving again with a new order replaces the list. */
    CirObject *const reordered[] = {disks[1], disks[3]};
    set_value(vm, "Disks", uuid_list(reordered, G_N_ELEMENTS(reordered)));
    set_value(vm, "ISOs", g_variant_new_strv(NULL, 0));
    save(store, vm);
    {
        g_autoptr(GPtrArray) vms = load_all(store, KIND_VM);
        assert_list(find_loaded(vms, vm->uuid), "Disks", reordered, G_N_ELEMENTS(reordered));
        assert_list(find_loaded(vms, vm->uuid), "ISOs", NULL, 0);
        assert_list(find_loaded(vms, other->uuid), "Disks", &disks[2], 1);
    }
    g_assert_cmpint(count_rows(path, "vm_disks"), ==, 3);
    g_assert_cmpint(count_rows(path, "vm_isos"), ==, 2);

    for (size_t i = 0; i < G_N_ELEMENTS(disks); i++)
        object_free(disks[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(isos); i++)
        object_free(isos[i]);
}

static void test_save_updates_in_place(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(CirObject) disk = new_named(KIND_DISK, "data");

    set_value(disk, "Size", g_variant_new_uint64(TEST_GiB));
    save(store, disk);
    set_value(disk, "Name", g_variant_new_string("data-renamed"));
    set_value(disk, "Bus", g_variant_new_string("nvme"));
    save(store, disk);

    g_autoptr(GPtrArray) disks = load_all(store, KIND_DISK);
    g_assert_cmpuint(disks->len, ==, 1);
    assert_fields_equal(disk, disks->pdata[0], 0);
    g_assert_cmpint(count_rows(path, "disks"), ==, 1);
}

/* Saving a VM again (an update) must not drop rows that hang off it. */
static void test_save_update_keeps_children(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(World) w = world_new();

    world_save(w, store);
    set_value(w->vm, "Description", g_variant_new_string("updated"));
    save(store, w->vm);
    g_assert_cmpint(count_rows(path, "nics"), ==, 1);
    g_assert_cmpint(count_rows(path, "vm_disks"), ==, 2);
    g_assert_cmpint(count_rows(path, "vm_isos"), ==, 1);
}

static void test_save_duplicate_name_fails(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(CirObject) a = new_named(KIND_ISO, "same");
    g_autoptr(CirObject) b = new_named(KIND_ISO, "same");
    g_autoptr(GError) error = NULL;

    save(store, a);
    g_assert_false(store_save(store, b, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    assert_error_mentions(error, "UNIQUE");
    g_assert_cmpint(count_rows(path, "isos"), ==, 1);
}

/* --- deleting --- */

static void test_delete(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(CirObject) keep = new_named(KIND_SWITCH, "keep");
    g_autoptr(CirObject) gone = new_named(KIND_SWITCH, "gone");
    g_autoptr(GError) error = NULL;

    set_value(gone, "Interface", g_variant_new_string("cirbr1")); /* the column is UNIQUE */
    save(store, keep);
    save(store, gone);
    g_assert_true(store_delete(store, gone, &error));
    g_assert_no_error(error);

    g_autoptr(GPtrArray) switches = load_all(store, KIND_SWITCH);
    g_assert_cmpuint(switches->len, ==, 1);
    g_assert_cmpstr(((CirObject *)switches->pdata[0])->uuid, ==, keep->uuid);

    /* Deleting what is not there is not an error. */
    g_assert_true(store_delete(store, gone, &error));
    g_assert_no_error(error);
}

static void test_delete_vm_cascades(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(World) w = world_new();
    g_autoptr(GError) error = NULL;

    world_save(w, store);
    g_assert_true(store_delete(store, w->vm, &error));
    g_assert_no_error(error);

    /* Its NICs and list rows go with it; the disks, ISO and switch stay. */
    g_assert_cmpint(count_rows(path, "vms"), ==, 0);
    g_assert_cmpint(count_rows(path, "nics"), ==, 0);
    g_assert_cmpint(count_rows(path, "vm_disks"), ==, 0);
    g_assert_cmpint(count_rows(path, "vm_isos"), ==, 0);
    g_assert_cmpint(count_rows(path, "disks"), ==, 2);
    g_assert_cmpint(count_rows(path, "isos"), ==, 1);
    g_assert_cmpint(count_rows(path, "switches"), ==, 1);
}

static void test_delete_restricted(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(World) w = world_new();
    CirObject *const used[] = {w->disk, w->iso, w->sw};

    world_save(w, store);
    for (size_t i = 0; i < G_N_ELEMENTS(used); i++) {
        g_autoptr(GError) error = NULL;
        g_test_message("deleting the %s in use", object_class(used[i]->kind)->label);
        g_assert_false(store_delete(store, used[i], &error));
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
        assert_error_mentions(error, "FOREIGN KEY");
    }
    g_assert_cmpint(count_rows(path, "disks"), ==, 2);
    g_assert_cmpint(count_rows(path, "isos"), ==, 1);
    g_assert_cmpint(count_rows(path, "switches"), ==, 1);
}

/* --- transactions --- */

static void test_rollback_leaves_nothing(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(World) w = world_new();
    CirObject *const order[] = {w->disk, w->disk2, w->iso, w->sw, w->vm, w->nic};
    g_autoptr(GError) error = NULL;

    g_assert_true(store_begin(store, &error));
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
        save(store, order[i]);
    store_rollback(store);

    for (ObjectKind k = 0; k < N_KINDS; k++) {
        g_autoptr(GPtrArray) objs = load_all(store, k);
        g_assert_cmpuint(objs->len, ==, 0);
        g_assert_cmpint(count_rows(path, object_class(k)->table), ==, 0);
    }
    g_assert_cmpint(count_rows(path, "vm_disks"), ==, 0);
    g_assert_cmpint(count_rows(path, "vm_isos"), ==, 0);

    /* Rolling back with no transaction open is harmless, and the store
     * still works afterwards. */
    store_rollback(store);
    world_save(w, store);
    g_assert_cmpint(count_rows(path, "vms"), ==, 1);
}

static void test_rollback_keeps_old_values(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(World) w = world_new();
    g_autoptr(GError) error = NULL;

    world_save(w, store);
    g_autoptr(CirObject) changed = object_copy(w->vm);
    set_value(changed, "Memory", g_variant_new_uint64(TEST_GiB));
    set_value(changed, "Disks", g_variant_new_strv(NULL, 0));
    g_assert_true(store_begin(store, &error));
    save(store, changed);
    g_assert_true(store_delete(store, w->nic, &error));
    store_rollback(store);

    g_autoptr(GPtrArray) vms = load_all(store, KIND_VM);
    assert_fields_equal(w->vm, find_loaded(vms, w->vm->uuid), FIELD_NOT_STORED);
    g_assert_cmpint(count_rows(path, "nics"), ==, 1);
}

static void test_commit_visible_to_others(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(CirObject) iso = new_named(KIND_ISO, "visible");
    g_autoptr(GError) error = NULL;

    g_assert_true(store_begin(store, &error));
    save(store, iso);
    /* Not before the commit... */
    g_assert_cmpint(count_rows(path, "isos"), ==, 0);
    g_assert_true(store_commit(store, &error));
    g_assert_no_error(error);
    /* ...and at once after it. */
    g_assert_cmpint(count_rows(path, "isos"), ==, 1);
}

static void test_begin_twice_fails(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = tmp_path(tmp, "cirrina.db");
    g_autoptr(Store) store = open_store(path);
    g_autoptr(GError) error = NULL;

    g_assert_true(store_begin(store, &error));
    g_assert_false(store_begin(store, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    store_rollback(store);
}

/* --- the schema-v1 fixture --- */

#define FIX_VM     "5f0c6a3e-6c1d-4b7a-9a51-0d6f3c2b9e01"
#define FIX_DISK   "8d2e4b1a-3f5c-4e6d-8a7b-9c0d1e2f3a02"
#define FIX_ISO    "c3a1f2e4-5b6d-4c7e-9f80-a1b2c3d4e503"
#define FIX_SWITCH "e7f8a9b0-c1d2-4e3f-8a4b-5c6d7e8f9004"
#define FIX_NIC    "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c05"

/* Copies the fixture into tmp (it is never opened in place: opening may
 * migrate it). NULL, with the test skipped, when its folder is unknown. */
static char *copy_fixture(const TmpDir *tmp, const char *name)
{
    const char *dir = g_getenv("CIRRINA_FIXTURES");
    g_autoptr(GError) error = NULL;

    if (!dir) {
        g_test_skip("CIRRINA_FIXTURES is not set (run the tests with meson test)");
        return NULL;
    }
    g_autofree char *src = g_build_filename(dir, name, NULL);
    g_autofree char *dst = tmp_path(tmp, name);
    g_autoptr(GBytes) bytes = read_file_bytes(src);
    g_file_set_contents(dst, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes),
                        &error);
    g_assert_no_error(error);
    return g_steal_pointer(&dst);
}

static void assert_str_field(const CirObject *obj, const char *field, const char *expected)
{
    g_autofree char *got = get_string(obj, field);
    g_assert_cmpstr(got, ==, expected);
}

static void assert_printed(const CirObject *obj, const char *field, const char *expected)
{
    g_autoptr(GVariant) v = get_value(obj, field);
    g_autofree char *got = g_variant_print(v, FALSE);
    g_assert_cmpstr(got, ==, expected);
}

static void test_fixture_schema_v1_loads(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = copy_fixture(tmp, "schema-v1.db");
    if (!path)
        return;

    g_assert_cmpint(peek_int(path, "PRAGMA user_version"), ==, 1);
    g_autoptr(Store) store = open_store(path);
    g_assert_cmpint(store_schema_version(store), ==, schema_latest_version());

    g_autoptr(GPtrArray) vms = load_all(store, KIND_VM);
    g_autoptr(GPtrArray) disks = load_all(store, KIND_DISK);
    g_autoptr(GPtrArray) isos = load_all(store, KIND_ISO);
    g_autoptr(GPtrArray) switches = load_all(store, KIND_SWITCH);
    g_autoptr(GPtrArray) nics = load_all(store, KIND_NIC);
    g_assert_cmpuint(vms->len, ==, 1);
    g_assert_cmpuint(disks->len, ==, 1);
    g_assert_cmpuint(isos->len, ==, 1);
    g_assert_cmpuint(switches->len, ==, 1);
    g_assert_cmpuint(nics->len, ==, 1);

    const CirObject *vm = find_loaded(vms, FIX_VM);
    g_assert_cmpstr(vm->name, ==, "debian");
    assert_str_field(vm, "Description", "Fixture VM for schema 1");
    assert_str_field(vm, "Group", "lab");
    assert_str_field(vm, "State", "stopped");
    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 2);
    g_assert_cmpuint(get_uint(vm, "Sockets"), ==, 1);
    g_assert_cmpuint(get_uint(vm, "Cores"), ==, 2);
    g_assert_cmpuint(get_uint(vm, "Threads"), ==, 1);
    assert_printed(vm, "CPUPins", "[(0, 2), (1, 3)]");
    g_assert_cmpuint(get_uint(vm, "Memory"), ==, 2 * TEST_GiB);
    g_assert_cmpuint(get_uint(vm, "Autostart"), ==, 1);
    g_assert_cmpuint(get_uint(vm, "AutostartDelay"), ==, 15);
    assert_str_field(vm, "RestartPolicy", "on-failure");
    g_assert_cmpuint(get_uint(vm, "DisplayWidth"), ==, 1280);
    g_assert_cmpuint(get_uint(vm, "DisplayHeight"), ==, 800);
    assert_str_field(vm, "DisplayPassword", "vncpass");
    g_assert_cmpuint(get_uint(vm, "Sound"), ==, 0);
    g_assert_cmpuint(get_uint(vm, "RNG"), ==, 1);
    assert_printed(vm, "Shares", "[('data', '/srv/data', false)]");
    assert_printed(vm, "Disks", "['" FIX_DISK "']");
    assert_printed(vm, "ISOs", "['" FIX_ISO "']");

    const CirObject *disk = find_loaded(disks, FIX_DISK);
    g_assert_cmpstr(disk->name, ==, "debian-root");
    g_assert_cmpuint(get_uint(disk, "Size"), ==, 8 * TEST_GiB);
    assert_str_field(disk, "Format", "raw");
    assert_str_field(disk, "Bus", "virtio-blk");
    g_assert_cmpuint(get_uint(disk, "Direct"), ==, 1);

    const CirObject *iso = find_loaded(isos, FIX_ISO);
    g_assert_cmpstr(iso->name, ==, "debian-12.7.0-amd64-netinst");
    g_assert_cmpuint(get_uint(iso, "Size"), ==, 661651456);
    assert_str_field(iso, "Path", "/var/lib/cirrina/isos/debian-12.7.0-amd64-netinst.iso");
    assert_str_field(iso, "SHA256",
                     "8fde79cfc6b20a696200fc5c15219cf6d721e8feb367e9e0e33a79d1cb68fa83");

    const CirObject *sw = find_loaded(switches, FIX_SWITCH);
    g_assert_cmpstr(sw->name, ==, "lan");
    assert_str_field(sw, "Type", "bridge");
    assert_str_field(sw, "Uplink", "eth0");
    assert_str_field(sw, "Interface", "cirbr0");

    const CirObject *nic = find_loaded(nics, FIX_NIC);
    g_assert_null(nic->name);
    assert_str_field(nic, "VM", FIX_VM);
    g_assert_cmpuint(get_uint(nic, "Index"), ==, 0);
    assert_str_field(nic, "Model", "virtio-net");
    assert_str_field(nic, "MAC", "0e:c1:2c:35:1b:48");
    assert_str_field(nic, "Switch", FIX_SWITCH);
    g_assert_cmpuint(get_uint(nic, "RateLimitIn"), ==, 0);
    g_assert_cmpuint(get_uint(nic, "RateLimitOut"), ==, 1000000);

    /* What version 1 wrote passes today's checks. */
    GPtrArray *all[] = {vms, disks, isos, switches, nics};
    for (size_t a = 0; a < G_N_ELEMENTS(all); a++)
        for (guint i = 0; i < all[a]->len; i++) {
            const CirObject *obj = all[a]->pdata[i];
            const ObjectClass *c = object_class(obj->kind);
            for (size_t j = 0; j < c->n_fields; j++) {
                const Field *f = &c->fields[j];
                if (f->flags & FIELD_DERIVED)
                    continue;
                g_autoptr(GVariant) v = g_variant_take_ref(field_get(obj, f));
                g_autoptr(GError) error = NULL;
                g_test_message("%s.%s", c->label, f->name);
                field_validate(f, v, &error);
                g_assert_no_error(error);
            }
        }
}

/* The registry builds its relations from the fixture. */
static void test_fixture_schema_v1_registry(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *path = copy_fixture(tmp, "schema-v1.db");
    if (!path)
        return;
    g_autofree char *disk_dir = tmp_path(tmp, "disks");
    g_autofree char *iso_dir = tmp_path(tmp, "isos");
    RegistryPaths paths = {disk_dir, iso_dir, "linux"};
    g_autoptr(GError) error = NULL;
    g_autoptr(Store) store = open_store(path);
    g_autoptr(Registry) reg = registry_new(store, &paths);

    g_assert_true(registry_load(reg, &error));
    g_assert_no_error(error);
    CirObject *vm = registry_find(reg, KIND_VM, "debian", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(vm->uuid, ==, FIX_VM);
    g_assert_cmpstr(registry_disk_owner(reg, FIX_DISK), ==, FIX_VM);
    GPtrArray *nics = registry_vm_nics(reg, FIX_VM);
    g_assert_nonnull(nics);
    g_assert_cmpuint(nics->len, ==, 1);
    g_assert_cmpstr(((CirObject *)nics->pdata[0])->uuid, ==, FIX_NIC);
    g_assert_nonnull(registry_lookup(reg, KIND_SWITCH, FIX_SWITCH));
    g_assert_nonnull(registry_lookup(reg, KIND_ISO, FIX_ISO));
}

/* While the schema is at version 1, the fixture's rows are exactly what
 * the current writer makes of the same objects: the hand-written SQL did
 * not invent a format. */
static void test_fixture_schema_v1_rows_as_written(void)
{
    static const char *const tables[] = {"switches", "disks",    "isos",   "vms",
                                         "nics",     "vm_disks", "vm_isos"};
    static const ObjectKind order[] = {KIND_SWITCH, KIND_DISK, KIND_ISO, KIND_VM, KIND_NIC};
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *fixture = copy_fixture(tmp, "schema-v1.db");
    if (!fixture)
        return;
    if (schema_latest_version() != 1) {
        g_test_skip("The schema has moved on from version 1");
        return;
    }
    g_autofree char *fresh = tmp_path(tmp, "rewritten.db");
    {
        g_autoptr(Store) from = open_store(fixture);
        g_autoptr(Store) to = open_store(fresh);
        g_autoptr(GError) error = NULL;
        g_assert_true(store_begin(to, &error));
        for (size_t k = 0; k < G_N_ELEMENTS(order); k++) {
            g_autoptr(GPtrArray) objs = load_all(from, order[k]);
            for (guint i = 0; i < objs->len; i++)
                save(to, objs->pdata[i]);
        }
        g_assert_true(store_commit(to, &error));
    }
    for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
        g_autofree char *a = dump_table(fixture, tables[t]);
        g_autofree char *b = dump_table(fresh, tables[t]);
        g_test_message("table %s", tables[t]);
        g_assert_cmpstr(a, ==, b);
    }
}

/* --- making the fixture (see tests/data/fixtures/make-schema-v1.sql) --- */

static int make_schema_v1_db(const char *path)
{
    g_autofree char *sql =
        g_strdup_printf("PRAGMA journal_mode = WAL; BEGIN; %s PRAGMA user_version = 1; COMMIT;",
                        schema_migration(1));
    sqlite3 *db = NULL;
    char *msg = NULL;

    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "%s exists already\n", path);
        return 1;
    }
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", path, msg ? msg : sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    const char *make = g_getenv("CIRRINA_MAKE_SCHEMA_V1_DB");

    if (make)
        return make_schema_v1_db(make);

    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/store/open/pragmas", test_open_pragmas);
    g_test_add_func("/store/open/foreign-keys-on", test_open_foreign_keys_on);
    g_test_add_func("/store/open/reopen", test_open_reopen);
    g_test_add_func("/store/open/bad-path", test_open_bad_path);
    g_test_add_func("/store/open/not-a-database", test_open_not_a_database);
    g_test_add_func("/store/open/newer-version-rollback-journal",
                    test_open_newer_version_rollback_journal);
    g_test_add_func("/store/open/newer-version-wal", test_open_newer_version_wal);

    g_test_add_func("/store/roundtrip/vm", test_roundtrip_vm);
    g_test_add_func("/store/roundtrip/nic", test_roundtrip_nic);
    g_test_add_func("/store/roundtrip/switch", test_roundtrip_switch);
    g_test_add_func("/store/roundtrip/disk", test_roundtrip_disk);
    g_test_add_func("/store/roundtrip/iso", test_roundtrip_iso);
    g_test_add_func("/store/roundtrip/defaults", test_roundtrip_defaults);
    g_test_add_func("/store/roundtrip/list-order", test_roundtrip_list_order);

    g_test_add_func("/store/save/updates-in-place", test_save_updates_in_place);
    g_test_add_func("/store/save/update-keeps-children", test_save_update_keeps_children);
    g_test_add_func("/store/save/duplicate-name-fails", test_save_duplicate_name_fails);

    g_test_add_func("/store/delete/one", test_delete);
    g_test_add_func("/store/delete/vm-cascades", test_delete_vm_cascades);
    g_test_add_func("/store/delete/restricted", test_delete_restricted);

    g_test_add_func("/store/transaction/rollback-leaves-nothing", test_rollback_leaves_nothing);
    g_test_add_func("/store/transaction/rollback-keeps-old-values", test_rollback_keeps_old_values);
    g_test_add_func("/store/transaction/commit-visible", test_commit_visible_to_others);
    g_test_add_func("/store/transaction/begin-twice-fails", test_begin_twice_fails);

    g_test_add_func("/store/fixture/schema-v1-loads", test_fixture_schema_v1_loads);
    g_test_add_func("/store/fixture/schema-v1-registry", test_fixture_schema_v1_registry);
    g_test_add_func("/store/fixture/schema-v1-rows-as-written",
                    test_fixture_schema_v1_rows_as_written);

    return g_test_run();
}

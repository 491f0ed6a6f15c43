#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/errors.h"
#include "store/schema.h"

/* Room kept next to the database for deletions on a full file system (see
 * store_use_reserve). */
#define RESERVE_SUFFIX "-reserve"
#define RESERVE_BYTES  (256 * 1024)

struct Store {
    sqlite3 *db;
    sqlite3_stmt *upsert[N_KINDS];
    sqlite3_stmt *remove[N_KINDS];
    char *reserve_path;
    bool reserve_held; /* the reserve file holds its room */
    bool last_full;    /* the last failure was SQLITE_FULL */
};

static void note_failure(Store *store)
{
    store->last_full = (sqlite3_errcode(store->db) & 0xff) == SQLITE_FULL;
}

static bool set_sqlite_error(Store *store, GError **error, const char *what)
{
    note_failure(store);
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to %s: %s", what,
                sqlite3_errmsg(store->db));
    return false;
}

static bool store_exec(Store *store, const char *sql, GError **error)
{
    char *msg = NULL;

    if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        note_failure(store);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Database error: %s",
                    msg ? msg : sqlite3_errmsg(store->db));
        sqlite3_free(msg);
        return false;
    }
    return true;
}

/* Takes the reserve's room on the file system, when there is room (no
 * error otherwise: tried again after the next commit). */
static void reserve_take(Store *store)
{
    int fd = open(store->reserve_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        return;
    int r = posix_fallocate(fd, 0, RESERVE_BYTES);
    close(fd);
    store->reserve_held = r == 0;
    /* A partly allocated reserve would only take room: none rather. */
    if (r != 0)
        unlink(store->reserve_path);
}

bool store_use_reserve(Store *store)
{
    if (!store->last_full || !store->reserve_held)
        return false;
    store->reserve_held = false;
    if (unlink(store->reserve_path) < 0) {
        g_warning("Failed to remove %s: %s", store->reserve_path, g_strerror(errno));
        return false;
    }
    g_warning("The file system of the database is full: its reserve of %d KiB is given up so "
              "that a deletion can free room",
              RESERVE_BYTES / 1024);
    return true;
}

static bool field_is_column(const Field *f)
{
    return f->column && !(f->flags & (FIELD_DERIVED | FIELD_NOT_STORED)) &&
           strcmp(f->dbus_type, "ao") != 0;
}

static bool field_is_join(const Field *f)
{
    return f->column && !(f->flags & FIELD_DERIVED) && strcmp(f->dbus_type, "ao") == 0;
}

int store_schema_version(Store *store)
{
    g_autoptr(sqlite3_stmt) st = NULL;

    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return -1;
    return sqlite3_column_int(st, 0);
}

static bool store_check_version(Store *store, GError **error)
{
    int version = store_schema_version(store);

    if (version < 0)
        return set_sqlite_error(store, error, "read the schema version");
    if (version > schema_latest_version()) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                    "The database has schema version %d, newer than this cirrinad knows (%d); "
                    "refusing to touch it",
                    version, schema_latest_version());
        return false;
    }
    return true;
}

static bool store_migrate(Store *store, GError **error)
{
    int version = store_schema_version(store);

    if (!store_check_version(store, error))
        return false;
    for (int v = version + 1; v <= schema_latest_version(); v++) {
        g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d;", v);
        g_autoptr(GError) local = NULL;
        if (!store_exec(store, "BEGIN IMMEDIATE;", error))
            return false;
        if (!store_exec(store, schema_migration(v), &local) || !store_exec(store, bump, &local) ||
            !store_exec(store, "COMMIT;", &local)) {
            store_exec(store, "ROLLBACK;", NULL);
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                        "Migrating the database to schema version %d failed: %s", v,
                        local->message);
            return false;
        }
    }
    return true;
}

/* Statements built once from the Field tables. */
static bool store_prepare(Store *store, GError **error)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        const ObjectClass *c = object_class(k);
        g_autoptr(GString) cols = g_string_new(NULL);
        g_autoptr(GString) vals = g_string_new(NULL);
        g_autoptr(GString) sets = g_string_new(NULL);
        unsigned n = 0;

        for (size_t i = 0; i < c->n_fields; i++) {
            const Field *f = &c->fields[i];
            if (!field_is_column(f))
                continue;
            n++;
            g_string_append_printf(cols, "%s%s", n > 1 ? ", " : "", f->column);
            g_string_append_printf(vals, "%s?%u", n > 1 ? ", " : "", n);
            if (strcmp(f->column, "uuid") != 0)
                g_string_append_printf(sets, "%s%s = excluded.%s", sets->len ? ", " : "", f->column,
                                       f->column);
        }
        g_autofree char *upsert =
            g_strdup_printf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (uuid) DO UPDATE SET %s",
                            c->table, cols->str, vals->str, sets->str);
        g_autofree char *remove = g_strdup_printf("DELETE FROM %s WHERE uuid = ?1", c->table);
        if (sqlite3_prepare_v3(store->db, upsert, -1, SQLITE_PREPARE_PERSISTENT, &store->upsert[k],
                               NULL) != SQLITE_OK ||
            sqlite3_prepare_v3(store->db, remove, -1, SQLITE_PREPARE_PERSISTENT, &store->remove[k],
                               NULL) != SQLITE_OK)
            return set_sqlite_error(store, error, "prepare statements");
    }
    return true;
}

Store *store_open(const char *path, GError **error)
{
    g_autoptr(Store) store = g_new0(Store, 1);

    if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to open database %s: %s",
                    path, store->db ? sqlite3_errmsg(store->db) : "out of memory");
        return NULL;
    }
    sqlite3_busy_timeout(store->db, 5000);
    /* Refuse a newer database before anything writes to it (journal_mode
     * = WAL rewrites the header). synchronous = FULL: a change is on disk
     * before the caller hears it succeeded, so not even a power cut loses
     * an acknowledged change (NORMAL only survives a crash of the daemon;
     * FULL costs one fsync of the WAL per commit, about 65 µs here). */
    if (!store_check_version(store, error) ||
        !store_exec(store,
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                    "PRAGMA foreign_keys = ON;",
                    error) ||
        !store_migrate(store, error) || !store_prepare(store, error))
        return NULL;
    /* An in-memory database (tests, fuzzers) has no file system to fill. */
    if (strcmp(path, ":memory:") != 0) {
        store->reserve_path = g_strconcat(path, RESERVE_SUFFIX, NULL);
        reserve_take(store);
    }
    return g_steal_pointer(&store);
}

void store_close(Store *store)
{
    if (!store)
        return;
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        sqlite3_finalize(store->upsert[k]);
        sqlite3_finalize(store->remove[k]);
    }
    sqlite3_close(store->db);
    g_free(store->reserve_path);
    g_free(store);
}

bool store_begin(Store *store, GError **error)
{
    return store_exec(store, "BEGIN IMMEDIATE;", error);
}

bool store_commit(Store *store, GError **error)
{
    if (store_exec(store, "COMMIT;", error)) {
        if (!store->reserve_held && store->reserve_path)
            reserve_take(store);
        return true;
    }
    store_rollback(store);
    return false;
}

void store_rollback(Store *store)
{
    if (!sqlite3_get_autocommit(store->db))
        store_exec(store, "ROLLBACK;", NULL);
}

static int bind_field(sqlite3_stmt *st, int i, const CirObject *obj, const Field *f)
{
    g_autoptr(GVariant) v = g_variant_take_ref(field_get(obj, f));

    switch (f->storage) {
    case STORAGE_STRING: {
        const char *s = g_variant_get_string(v, NULL);
        /* An empty reference is SQL NULL, so foreign keys can check it. */
        if (s[0] == '\0' && strcmp(f->dbus_type, "o") == 0)
            return sqlite3_bind_null(st, i);
        return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    }
    case STORAGE_UINT32:
        return sqlite3_bind_int64(st, i, g_variant_get_uint32(v));
    case STORAGE_UINT64:
        return sqlite3_bind_int64(st, i, (sqlite3_int64)g_variant_get_uint64(v));
    case STORAGE_BOOL:
        return sqlite3_bind_int(st, i, g_variant_get_boolean(v));
    case STORAGE_VARIANT: {
        g_autofree char *text = g_variant_print(v, FALSE);
        return sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
    }
    }
    g_assert_not_reached();
}

static bool store_save_join(Store *store, const CirObject *obj, const Field *f, GError **error)
{
    g_autofree char *del = g_strdup_printf("DELETE FROM %s WHERE owner = ?1", f->column);
    g_autofree char *ins =
        g_strdup_printf("INSERT INTO %s (owner, ref, position) VALUES (?1, ?2, ?3)", f->column);
    g_autoptr(sqlite3_stmt) st_del = NULL;
    g_autoptr(sqlite3_stmt) st_ins = NULL;
    g_autoptr(GVariant) list = g_variant_take_ref(field_get(obj, f));

    if (sqlite3_prepare_v2(store->db, del, -1, &st_del, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(store->db, ins, -1, &st_ins, NULL) != SQLITE_OK)
        return set_sqlite_error(store, error, "prepare a list update");
    sqlite3_bind_text(st_del, 1, obj->uuid, -1, SQLITE_STATIC);
    if (sqlite3_step(st_del) != SQLITE_DONE)
        return set_sqlite_error(store, error, "update a list");
    for (gsize i = 0; i < g_variant_n_children(list); i++) {
        const char *ref;
        g_variant_get_child(list, i, "&s", &ref);
        sqlite3_reset(st_ins);
        sqlite3_bind_text(st_ins, 1, obj->uuid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st_ins, 2, ref, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st_ins, 3, (sqlite3_int64)i);
        if (sqlite3_step(st_ins) != SQLITE_DONE)
            return set_sqlite_error(store, error, "update a list");
    }
    return true;
}

bool store_save(Store *store, const CirObject *obj, GError **error)
{
    const ObjectClass *c = object_class(obj->kind);
    sqlite3_stmt *st = store->upsert[obj->kind];
    int n = 0;

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    for (size_t i = 0; i < c->n_fields; i++)
        if (field_is_column(&c->fields[i]))
            bind_field(st, ++n, obj, &c->fields[i]);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        return set_sqlite_error(store, error, "save an object");
    for (size_t i = 0; i < c->n_fields; i++)
        if (field_is_join(&c->fields[i]) && !store_save_join(store, obj, &c->fields[i], error))
            return false;
    return true;
}

bool store_delete(Store *store, const CirObject *obj, GError **error)
{
    sqlite3_stmt *st = store->remove[obj->kind];

    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, obj->uuid, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        return set_sqlite_error(store, error, "delete an object");
    return true;
}

static GVariant *column_value(sqlite3_stmt *st, int col, const Field *f, GError **error)
{
    const char *text = (const char *)sqlite3_column_text(st, col);

    switch (f->storage) {
    case STORAGE_STRING:
        return g_variant_new_string(text ? text : "");
    case STORAGE_UINT32:
        return g_variant_new_uint32((uint32_t)sqlite3_column_int64(st, col));
    case STORAGE_UINT64:
        return g_variant_new_uint64((uint64_t)sqlite3_column_int64(st, col));
    case STORAGE_BOOL:
        return g_variant_new_boolean(sqlite3_column_int(st, col) != 0);
    case STORAGE_VARIANT:
        return g_variant_parse(field_core_type(f), text ? text : "", NULL, NULL, error);
    }
    g_assert_not_reached();
}

static bool store_load_join(Store *store, const Field *f, GHashTable *by_uuid, GError **error)
{
    g_autofree char *sql =
        g_strdup_printf("SELECT owner, ref FROM %s ORDER BY owner, position", f->column);
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GHashTable) lists =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    int r;

    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return set_sqlite_error(store, error, "load lists");
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *owner = (const char *)sqlite3_column_text(st, 0);
        GPtrArray *list = g_hash_table_lookup(lists, owner);
        if (!list) {
            list = g_ptr_array_new_with_free_func(g_free);
            g_hash_table_insert(lists, g_strdup(owner), list);
        }
        g_ptr_array_add(list, g_strdup((const char *)sqlite3_column_text(st, 1)));
    }
    if (r != SQLITE_DONE)
        return set_sqlite_error(store, error, "load lists");

    GHashTableIter iter;
    const char *owner;
    GPtrArray *list;
    g_hash_table_iter_init(&iter, lists);
    while (g_hash_table_iter_next(&iter, (gpointer *)&owner, (gpointer *)&list)) {
        CirObject *obj = g_hash_table_lookup(by_uuid, owner);
        if (obj)
            field_set(obj, f,
                      g_variant_new_strv((const char *const *)list->pdata, (gssize)list->len));
    }
    return true;
}

bool store_load(Store *store, ObjectKind kind, GPtrArray *objects, GError **error)
{
    const ObjectClass *c = object_class(kind);
    g_autoptr(GString) cols = g_string_new(NULL);
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GHashTable) by_uuid = g_hash_table_new(g_str_hash, g_str_equal);
    int r;

    for (size_t i = 0; i < c->n_fields; i++)
        if (field_is_column(&c->fields[i]))
            g_string_append_printf(cols, "%s%s", cols->len ? ", " : "", c->fields[i].column);
    g_autofree char *sql = g_strdup_printf("SELECT %s FROM %s", cols->str, c->table);
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return set_sqlite_error(store, error, "load objects");
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        CirObject *obj = object_new(kind);
        int col = 0;
        g_ptr_array_add(objects, obj);
        for (size_t i = 0; i < c->n_fields; i++) {
            const Field *f = &c->fields[i];
            if (!field_is_column(f))
                continue;
            GVariant *v = column_value(st, col++, f, error);
            if (!v)
                return false;
            field_set(obj, f, v);
        }
        g_hash_table_insert(by_uuid, obj->uuid, obj);
    }
    if (r != SQLITE_DONE)
        return set_sqlite_error(store, error, "load objects");
    for (size_t i = 0; i < c->n_fields; i++)
        if (field_is_join(&c->fields[i]) && !store_load_join(store, &c->fields[i], by_uuid, error))
            return false;
    return true;
}

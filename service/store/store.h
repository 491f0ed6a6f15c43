/* The store: SQLite in WAL mode with foreign keys on. It writes and reads
 * objects by their Field tables; the registry decides what to write and
 * groups each change into one transaction. */
#pragma once

#include <sqlite3.h>

#include "core/object.h"

typedef struct Store Store;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* Opens (creating if needed) the database and brings its schema up to
 * date; a failed migration leaves the file untouched. */
Store *store_open(const char *path, GError **error);
void store_close(Store *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Store, store_close)

int store_schema_version(Store *store);

bool store_begin(Store *store, GError **error);
bool store_commit(Store *store, GError **error);
void store_rollback(Store *store);

/* In WAL mode even a DELETE needs room to write, yet deleting is how a user
 * frees a full disk. So the store keeps a little room aside (a file next to
 * the database, taken again after a commit once there is room): after a
 * failure because the file system is full, this gives it up and returns
 * true, and the caller may retry a deletion once. False: no reserve, or the
 * failure was not a full file system. */
bool store_use_reserve(Store *store);

/* Inserts or updates one object, with its join-table lists. */
bool store_save(Store *store, const CirObject *obj, GError **error);
bool store_delete(Store *store, const CirObject *obj, GError **error);
/* Every stored object of a kind, appended to objects (which owns them). */
bool store_load(Store *store, ObjectKind kind, GPtrArray *objects, GError **error);

/* Fields: the typed properties of every object kind, described once.
 *
 * Each kind (VM, NIC, switch, disk, ISO) is a struct that starts with
 * CirObject, plus a table of Field entries that says, for each property, its
 * D-Bus type, where it lives in the struct, whether a client may set it, its
 * range or choices, and its SQL column. The bus layer builds vtables and
 * parses a{sv} from these tables, the store builds its statements from them,
 * and validation checks them: one description, no copies. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    KIND_VM,
    KIND_NIC,
    KIND_SWITCH,
    KIND_DISK,
    KIND_ISO,
    N_KINDS,
} ObjectKind;

typedef struct {
    ObjectKind kind;
    char *uuid;
    char *name; /* NULL for NICs, which have no name */
} CirObject;

typedef enum {
    FIELD_WRITABLE = 1 << 0,    /* accepted in Create and Update */
    FIELD_CREATE_ONLY = 1 << 1, /* accepted in Create only */
    FIELD_CONST = 1 << 2,       /* never changes after creation */
    FIELD_HIDDEN = 1 << 3,      /* write-only: not a D-Bus property */
    FIELD_DERIVED = 1 << 4,     /* computed by the registry, not stored */
    FIELD_NOT_STORED = 1 << 5,  /* lives in memory only (e.g. State) */
    FIELD_NO_SIGNAL = 1 << 6,   /* changes without PropertiesChanged */
    FIELD_LIVE = 1 << 7,        /* may change while the VM runs */
} FieldFlags;

/* How a value is held in the struct. */
typedef enum {
    STORAGE_STRING,  /* char *, owned */
    STORAGE_UINT32,  /* uint32_t */
    STORAGE_UINT64,  /* uint64_t */
    STORAGE_BOOL,    /* int (sd-bus's boolean), 0 or 1 */
    STORAGE_VARIANT, /* GVariant *, owned, of the field's core type */
} FieldStorage;

typedef struct Field Field;
typedef bool (*FieldCheck)(const Field *f, GVariant *value, GError **error);

struct Field {
    const char *name;      /* D-Bus property name and a{sv} key */
    const char *dbus_type; /* its D-Bus signature ("o"/"ao" for references) */
    FieldStorage storage;
    size_t offset;
    FieldFlags flags;
    const char *column;         /* SQL column, NULL for derived fields */
    ObjectKind ref_kind;        /* for "o"/"ao": the kind referred to */
    uint64_t min, max;          /* for integers: inclusive range */
    const char *const *choices; /* for enumerated strings: NULL-terminated */
    FieldCheck check;           /* extra check of one value */
};

/* The GVariant type a field has inside the model: references are object
 * UUIDs, so "o" is held as "s" and "ao" as "as". */
const GVariantType *field_core_type(const Field *f);

/* Where the field's value lives in obj (its storage's C type): for
 * readers that need no GVariant, such as the bus writing a listing. */
static inline const void *field_storage(const CirObject *obj, const Field *f)
{
    return (const char *)obj + f->offset;
}

GVariant *field_get(const CirObject *obj, const Field *f);
void field_set(CirObject *obj, const Field *f, GVariant *value);
void field_clear(CirObject *obj, const Field *f);

/* Checks one value against the field's type, range, choices and check. */
bool field_validate(const Field *f, GVariant *value, GError **error);

/* Checks for names of objects, descriptions and strings that are names of
 * things (groups, interfaces). */
bool name_is_valid(const char *name, size_t max_len);
bool check_object_name(const char *what, const char *name, size_t max_len, GError **error);
bool field_check_description(const Field *f, GVariant *value, GError **error);
bool field_check_group(const Field *f, GVariant *value, GError **error);

#define FIELD_STR(n, type, off, fl, col, ...)                                                      \
    {                                                                                              \
        .name = n, .dbus_type = type, .storage = STORAGE_STRING, .offset = off, .flags = fl,       \
        .column = col, __VA_ARGS__                                                                 \
    }
#define FIELD_U32(n, off, fl, col, lo, hi)                                                         \
    {                                                                                              \
        .name = n, .dbus_type = "u", .storage = STORAGE_UINT32, .offset = off, .flags = fl,        \
        .column = col, .min = lo, .max = hi                                                        \
    }
#define FIELD_U64(n, off, fl, col, lo, hi, ...)                                                    \
    {                                                                                              \
        .name = n, .dbus_type = "t", .storage = STORAGE_UINT64, .offset = off, .flags = fl,        \
        .column = col, .min = lo, .max = hi, __VA_ARGS__                                           \
    }
#define FIELD_BOOL(n, off, fl, col)                                                                \
    {                                                                                              \
        .name = n, .dbus_type = "b", .storage = STORAGE_BOOL, .offset = off, .flags = fl,          \
        .column = col                                                                              \
    }
#define FIELD_VAR(n, type, off, fl, col, ...)                                                      \
    {                                                                                              \
        .name = n, .dbus_type = type, .storage = STORAGE_VARIANT, .offset = off, .flags = fl,      \
        .column = col, __VA_ARGS__                                                                 \
    }

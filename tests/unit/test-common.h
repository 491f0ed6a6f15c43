/* Helpers shared by the unit tests: temporary directories, change tables as
 * the bus layer builds them, and field-by-field comparisons of objects.
 *
 * Header-only (static inline functions), because tests/unit/meson.build builds each
 * test program from one source file. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "core/errors.h"
#include "core/field.h"
#include "core/object.h"

#define TEST_MiB (G_GUINT64_CONSTANT(1) << 20)
#define TEST_GiB (G_GUINT64_CONSTANT(1) << 30)
#define TEST_TiB (G_GUINT64_CONSTANT(1) << 40)

/* --- temporary directories --- */

static inline void rm_rf(const char *path)
{
    GStatBuf st;

    if (g_lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

/* A directory of its own for one test, removed with everything in it. */
typedef struct {
    char *path;
} TmpDir;

static inline TmpDir *tmp_dir_new(void)
{
    g_autoptr(GError) error = NULL;
    TmpDir *tmp = g_new0(TmpDir, 1);

    tmp->path = g_dir_make_tmp("cirrina-unit-XXXXXX", &error);
    g_assert_no_error(error);
    return tmp;
}

static inline void tmp_dir_free(TmpDir *tmp)
{
    if (!tmp)
        return;
    rm_rf(tmp->path);
    g_free(tmp->path);
    g_free(tmp);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TmpDir, tmp_dir_free)

static inline char *tmp_path(const TmpDir *tmp, const char *name)
{
    return g_build_filename(tmp->path, name, NULL);
}

static inline GBytes *read_file_bytes(const char *path)
{
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    gsize len = 0;

    g_file_get_contents(path, &data, &len, &error);
    g_assert_no_error(error);
    return g_bytes_new_take(data, len);
}

/* --- change tables, as bus_read_changes() builds them: owned keys, sunk
 * values of the field's core type --- */

static inline GHashTable *changes_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
}

static inline void changes_put(GHashTable *changes, const char *key, GVariant *value)
{
    g_hash_table_insert(changes, g_strdup(key), g_variant_ref_sink(value));
}

/* changes_of("Key", value, "Key", value, ..., NULL); values may be floating. */
static inline GHashTable *changes_of(const char *first_key, ...)
{
    GHashTable *changes = changes_new();
    va_list ap;

    va_start(ap, first_key);
    for (const char *key = first_key; key; key = va_arg(ap, const char *))
        changes_put(changes, key, va_arg(ap, GVariant *));
    va_end(ap);
    return changes;
}

/* --- fields --- */

static inline const Field *find_field(ObjectKind kind, const char *name)
{
    const Field *f = object_class_find_field(object_class(kind), name);

    if (!f)
        g_error("The %s kind has no field %s", object_class(kind)->label, name);
    return f;
}

/* field_get() returns a floating value for plain fields and a full
 * reference for GVariant-held ones: take ownership of either. */
static inline GVariant *get_value(const CirObject *obj, const char *name)
{
    return g_variant_take_ref(field_get(obj, find_field(obj->kind, name)));
}

static inline char *get_string(const CirObject *obj, const char *name)
{
    g_autoptr(GVariant) v = get_value(obj, name);
    return g_variant_dup_string(v, NULL);
}

static inline guint64 get_uint(const CirObject *obj, const char *name)
{
    g_autoptr(GVariant) v = get_value(obj, name);

    if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
        return g_variant_get_uint32(v);
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
        return g_variant_get_boolean(v);
    return g_variant_get_uint64(v);
}

/* Sets a field directly (no validation); value may be floating. */
static inline void set_value(CirObject *obj, const char *name, GVariant *value)
{
    field_set(obj, find_field(obj->kind, name), value);
}

static inline GVariant *strv_value(const char *const *strv)
{
    return g_variant_new_strv(strv, -1);
}

/* Asserts that every field of a and b, other than those with any of the
 * skip flags, holds an equal value; a failure names the field. */
static inline void assert_fields_equal(const CirObject *a, const CirObject *b, FieldFlags skip)
{
    const ObjectClass *c = object_class(a->kind);

    g_assert_cmpint(a->kind, ==, b->kind);
    for (size_t i = 0; i < c->n_fields; i++) {
        const Field *f = &c->fields[i];
        if (f->flags & (skip | FIELD_DERIVED))
            continue;
        g_autoptr(GVariant) va = g_variant_take_ref(field_get(a, f));
        g_autoptr(GVariant) vb = g_variant_take_ref(field_get(b, f));
        if (!g_variant_equal(va, vb)) {
            g_autofree char *pa = g_variant_print(va, TRUE);
            g_autofree char *pb = g_variant_print(vb, TRUE);
            g_autofree char *sa = g_strdup_printf("%s %s=%s", c->label, f->name, pa);
            g_autofree char *sb = g_strdup_printf("%s %s=%s", c->label, f->name, pb);
            g_assert_cmpstr(sa, ==, sb);
            g_assert_not_reached(); /* equal prints of unequal values */
        }
    }
}

static inline void assert_error_mentions(const GError *error, const char *text)
{
    g_assert_nonnull(error);
    if (!strstr(error->message, text))
        g_error("The error '%s' does not mention '%s'", error->message, text);
}

/* --- objects with a non-default value in every stored field --- */

/* Every field that fill_*() sets, per kind, must differ from object_new()'s
 * default, so a column lost on the way to SQL and back shows up. */
static inline void fill_vm(CirObject *obj, const char *const *disks, const char *const *isos)
{
    const char *const none[] = {NULL};

    set_value(obj, "Name", g_variant_new_string("vm-filled"));
    set_value(
        obj, "Description",
        g_variant_new_string("Line one\n\tTabbed, \"double\" and 'single' quotes, caf\xc3\xa9"));
    set_value(obj, "Group", g_variant_new_string("ops"));
    set_value(obj, "State", g_variant_new_string("running"));
    set_value(obj, "ExitReason", g_variant_new_string("poweroff"));
    set_value(obj, "CPUs", g_variant_new_uint32(8));
    set_value(obj, "Sockets", g_variant_new_uint32(2));
    set_value(obj, "Cores", g_variant_new_uint32(2));
    set_value(obj, "Threads", g_variant_new_uint32(2));
    set_value(obj, "CPUPins", g_variant_new_parsed("[(uint32 0, uint32 4), (1, 5), (7, 1023)]"));
    set_value(obj, "Memory", g_variant_new_uint64(3 * TEST_GiB));
    set_value(obj, "MemoryWired", g_variant_new_boolean(TRUE));
    set_value(obj, "Autostart", g_variant_new_boolean(TRUE));
    set_value(obj, "AutostartDelay", g_variant_new_uint32(3600));
    set_value(obj, "RestartPolicy", g_variant_new_string("on-failure"));
    set_value(obj, "Clock", g_variant_new_string("localtime"));
    set_value(obj, "IgnoreUnknownMSRs", g_variant_new_boolean(FALSE));
    set_value(obj, "VMExitOnHLT", g_variant_new_boolean(FALSE));
    set_value(obj, "Display", g_variant_new_string("none"));
    set_value(obj, "DisplayWidth", g_variant_new_uint32(3840));
    set_value(obj, "DisplayHeight", g_variant_new_uint32(2160));
    set_value(obj, "DisplayWait", g_variant_new_boolean(TRUE));
    set_value(obj, "DisplayVGA", g_variant_new_string("off"));
    set_value(obj, "DisplayPassword", g_variant_new_string("s3cret!"));
    set_value(obj, "Tablet", g_variant_new_boolean(FALSE));
    set_value(obj, "Sound", g_variant_new_boolean(TRUE));
    set_value(obj, "RNG", g_variant_new_boolean(TRUE));
    set_value(obj, "SerialPorts", g_variant_new_uint32(4));
    set_value(obj, "Shares",
              g_variant_new_parsed("[('data', '/srv/data', true), ('src', "
                                   "'/home/me/it\\'s \"src\"', false)]"));
    set_value(obj, "Disks", strv_value(disks ? disks : none));
    set_value(obj, "ISOs", strv_value(isos ? isos : none));
}

static inline void fill_nic(CirObject *obj, const char *vm_uuid, const char *switch_uuid)
{
    set_value(obj, "VM", g_variant_new_string(vm_uuid));
    set_value(obj, "Index", g_variant_new_uint32(7));
    set_value(obj, "Model", g_variant_new_string("e1000"));
    set_value(obj, "MAC", g_variant_new_string("0e:c1:de:ad:be:ef"));
    set_value(obj, "Switch", g_variant_new_string(switch_uuid));
    set_value(obj, "RateLimitIn", g_variant_new_uint64(8000));
    set_value(obj, "RateLimitOut", g_variant_new_uint64(G_GUINT64_CONSTANT(100000000000)));
}

static inline void fill_switch(CirObject *obj)
{
    set_value(obj, "Name", g_variant_new_string("switch-filled"));
    set_value(obj, "Description", g_variant_new_string("Uplinked\tswitch"));
    set_value(obj, "Type", g_variant_new_string("netgraph"));
    set_value(obj, "Uplink", g_variant_new_string("em0"));
    set_value(obj, "Interface", g_variant_new_string("cirng3"));
}

static inline void fill_disk(CirObject *obj)
{
    set_value(obj, "Name", g_variant_new_string("disk-filled"));
    set_value(obj, "Description", g_variant_new_string("Root disk"));
    set_value(obj, "Size", g_variant_new_uint64(16 * TEST_TiB));
    set_value(obj, "Format", g_variant_new_string("zvol"));
    set_value(obj, "Bus", g_variant_new_string("nvme"));
    set_value(obj, "NoCache", g_variant_new_boolean(TRUE));
    set_value(obj, "Direct", g_variant_new_boolean(TRUE));
    set_value(obj, "ReadOnly", g_variant_new_boolean(TRUE));
}

static inline void fill_iso(CirObject *obj)
{
    set_value(obj, "Name", g_variant_new_string("iso-filled"));
    set_value(obj, "Description", g_variant_new_string("Installer"));
    /* The whole unsigned range survives SQLite's signed 64-bit integers. */
    set_value(obj, "Size", g_variant_new_uint64(G_MAXUINT64));
    set_value(obj, "Path", g_variant_new_string("/var/lib/cirrina/isos/debian-12.iso"));
    set_value(
        obj, "SHA256",
        g_variant_new_string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

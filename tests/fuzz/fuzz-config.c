/* The a{sv} settings of every object kind, through the path of Create*,
 * RegisterISO, AddNIC, Update and Rename: a D-Bus message made from the
 * input, read by bus_read_changes() (bus/object.c), applied by the
 * registry with each field's checks and the kind's whole-object check,
 * stored in SQLite; then the object is deleted again.
 *
 * Input: a GVariant "(ysa{sv}sa{sv})", in whatever form:
 *   y       what to make: y % 5 is 0 CreateVM, 1 CreateSwitch,
 *           2 CreateDisk, 3 RegisterISO, 4 AddNIC (on the fixture VM);
 *           (y / 5) % 2 picks the host: 0 Linux, 1 FreeBSD
 *   s       the name
 *   a{sv}   its settings
 *   s       a new name (Rename; NICs have none)
 *   a{sv}   settings for Update
 *
 * What must hold: no crash, leak or undefined behaviour; every refusal is
 * a model error whose message can go over D-Bus; a refused Update or
 * Rename changes nothing; what is accepted passes its checks again, is
 * stored as it is held, and its path leads back to it; an Update leaves
 * the values it was given; and every input leaves the model as it was. */
#include <string.h>

#include "bus/errors.h"
#include "core/errors.h"
#include "fuzz-common.h"
#include "fuzz-model.h"

typedef struct {
    ObjectKind kind;
    const char *member;
} Op;

static const Op ops[] = {
    {KIND_VM, "CreateVM"},     {KIND_SWITCH, "CreateSwitch"}, {KIND_DISK, "CreateDisk"},
    {KIND_ISO, "RegisterISO"}, {KIND_NIC, "AddNIC"},
};

/* A model error, as the bus would send it back. */
static void check_refusal(sd_bus_message *call, const GError *error)
{
    g_auto(sd_bus_error) bus_error = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;

    FUZZ_CHECK(error && error->domain == CIRRINA_ERROR, "a refusal without a model error");
    fuzz_note("refused: %s", error->message);
    bus_error_from_gerror(&bus_error, error);
    int r = sd_bus_message_new_method_error(call, &reply, &bus_error);
    FUZZ_CHECK(r >= 0, "the error '%s' cannot be sent: %s", error->message, g_strerror(-r));
    sd_bus_message_unref(reply);
}

static void check_bus_refusal(sd_bus_message *call, int r, const sd_bus_error *bus_error)
{
    sd_bus_message *reply = NULL;

    FUZZ_CHECK(r < 0, "bus_read_changes failed with %d", r);
    fuzz_note("refused by the bus layer: %s",
              bus_error->message ? bus_error->message : g_strerror(-r));
    if (!sd_bus_error_is_set(bus_error))
        return; /* sd-bus's own -errno: it answers InvalidArgs */
    r = sd_bus_message_new_method_error(call, &reply, bus_error);
    FUZZ_CHECK(r >= 0, "the error '%s' cannot be sent: %s", bus_error->message, g_strerror(-r));
    sd_bus_message_unref(reply);
}

static bool objects_equal(const CirObject *a, const CirObject *b)
{
    const ObjectClass *c = object_class(a->kind);

    if (g_strcmp0(a->uuid, b->uuid) != 0 || g_strcmp0(a->name, b->name) != 0)
        return false;
    for (size_t i = 0; i < c->n_fields; i++) {
        const Field *f = &c->fields[i];
        if (f->flags & FIELD_DERIVED)
            continue;
        g_autoptr(GVariant) x = g_variant_take_ref(field_get(a, f));
        g_autoptr(GVariant) y = g_variant_take_ref(field_get(b, f));
        if (!g_variant_equal(x, y))
            return false;
    }
    return true;
}

/* Reads the a{sv} at the start of msg's arguments (after skip, a
 * signature of arguments before it) as the bus layer does. */
static GHashTable *read_changes(sd_bus_message *msg, const char *skip, ObjectKind kind)
{
    g_auto(sd_bus_error) bus_error = SD_BUS_ERROR_NULL;
    GHashTable *changes = NULL;

    if (skip && sd_bus_message_skip(msg, skip) < 0)
        return NULL;
    int r = bus_read_changes(msg, kind, &changes, &bus_error);
    if (r < 0) {
        check_bus_refusal(msg, r, &bus_error);
        return NULL;
    }
    return changes;
}

static void check_updated(CirObject *obj, GHashTable *changes)
{
    const ObjectClass *c = object_class(obj->kind);
    GHashTableIter iter;
    const char *key;
    GVariant *given;

    g_hash_table_iter_init(&iter, changes);
    while (g_hash_table_iter_next(&iter, (gpointer *)&key, (gpointer *)&given)) {
        const Field *f = object_class_find_field(c, key);
        /* An empty MAC asks for the generated one. */
        if (strcmp(key, "MAC") == 0 && g_variant_get_string(given, NULL)[0] == '\0')
            continue;
        g_autoptr(GVariant) now = g_variant_take_ref(field_get(obj, f));
        g_autofree char *a = g_variant_print(given, TRUE);
        g_autofree char *b = g_variant_print(now, TRUE);
        FUZZ_CHECK(g_variant_equal(given, now), "Update gave %s=%s, the %s holds %s", key, a,
                   c->label, b);
    }
}

static void update(FuzzModel *m, CirObject *obj, GVariant *settings)
{
    g_autoptr(GVariant) args = g_variant_ref_sink(g_variant_new_tuple(&settings, 1));
    g_autoptr(sd_bus_message) msg = fuzz_model_message(m, "Update", args);
    g_autoptr(GHashTable) changes = msg ? read_changes(msg, NULL, obj->kind) : NULL;
    g_autoptr(GError) error = NULL;

    if (!changes)
        return;
    g_autoptr(CirObject) before = object_copy(obj);
    if (!registry_update(m->reg, obj, changes, &error)) {
        check_refusal(msg, error);
        FUZZ_CHECK(objects_equal(before, obj), "a refused Update changed the %s (%s)",
                   object_class(obj->kind)->label, error->message);
        return;
    }
    fuzz_note("updated");
    fuzz_model_check_object(m, obj);
    check_updated(obj, changes);
}

static void rename_object(FuzzModel *m, CirObject *obj, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *old = g_strdup(obj->name);

    if (!registry_rename(m->reg, obj, name, &error)) {
        FUZZ_CHECK(error && error->domain == CIRRINA_ERROR, "Rename failed without an error");
        FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL), "the message is not UTF-8");
        FUZZ_CHECK(strcmp(obj->name, old) == 0, "a refused Rename renamed '%s' to '%s'", old,
                   obj->name);
        FUZZ_CHECK(registry_find(m->reg, obj->kind, old, NULL) == obj, "'%s' is lost", old);
        return;
    }
    fuzz_note("renamed to '%s'", name);
    FUZZ_CHECK(strcmp(obj->name, name) == 0, "renamed to '%s', not '%s'", obj->name, name);
    FUZZ_CHECK(registry_find(m->reg, obj->kind, name, NULL) == obj, "'%s' is not found", name);
    fuzz_model_check_object(m, obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GVariant) input = fuzz_variant("(ysa{sv}sa{sv})", data, size);
    g_autoptr(GVariant) settings = g_variant_get_child_value(input, 2);
    g_autoptr(GVariant) new_settings = g_variant_get_child_value(input, 4);
    g_autoptr(GError) error = NULL;
    const char *name, *new_name;
    guint8 selector;

    g_variant_get_child(input, 0, "y", &selector);
    g_variant_get_child(input, 1, "&s", &name);
    g_variant_get_child(input, 3, "&s", &new_name);
    const Op *op = &ops[selector % G_N_ELEMENTS(ops)];
    FuzzModel *m = fuzz_model((selector / G_N_ELEMENTS(ops)) % 2 ? "freebsd" : "linux");
    g_autofree char *iso_path = g_build_filename(m->files_dir, "registered.iso", NULL);
    g_autoptr(GVariant) args = NULL;
    const char *skip = NULL;

    if (op->kind == KIND_NIC) {
        args = g_variant_new_tuple(&settings, 1);
    } else if (op->kind == KIND_ISO) {
        GVariant *items[] = {g_variant_new_string(name), g_variant_new_string(iso_path), settings};
        args = g_variant_new_tuple(items, 3);
        skip = "ss";
        if (!g_file_test(iso_path, G_FILE_TEST_EXISTS))
            g_file_set_contents(iso_path, "CD001", -1, NULL);
    } else {
        GVariant *items[] = {g_variant_new_string(name), settings};
        args = g_variant_new_tuple(items, 2);
        skip = "s";
    }
    g_variant_ref_sink(args);

    g_autoptr(sd_bus_message) msg = fuzz_model_message(m, op->member, args);
    g_autoptr(GHashTable) changes = msg ? read_changes(msg, skip, op->kind) : NULL;
    if (!changes) {
        fuzz_model_check_clean(m);
        return 0;
    }
    CirObject *obj;
    if (op->kind == KIND_NIC)
        obj = registry_create(m->reg, KIND_NIC, NULL, changes,
                              registry_lookup(m->reg, KIND_VM, FIX_VM), &error);
    else if (op->kind == KIND_ISO)
        obj = registry_register_iso(m->reg, name, iso_path, changes, &error);
    else
        obj = registry_create(m->reg, op->kind, name, changes, NULL, &error);
    if (!obj) {
        check_refusal(msg, error);
        fuzz_model_check_clean(m);
        return 0;
    }

    fuzz_note("created the %s '%s'", object_class(obj->kind)->label, obj->name ? obj->name : "");
    fuzz_model_check_object(m, obj);
    update(m, obj, new_settings);
    if (op->kind != KIND_NIC)
        rename_object(m, obj, new_name);
    fuzz_model_delete(m, obj);
    fuzz_model_check_clean(m);
    return 0;
}

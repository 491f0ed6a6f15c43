#include "fuzz-plan.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fuzz-common.h"

#define MAX_DISKS 20 /* a few more than a VM may have, to reach that check */
#define MAX_ISOS  6
#define MAX_NICS  10

/* Makes an object through the bus layer's reading and the registry. */
static CirObject *make(FuzzModel *m, ObjectKind kind, const char *member, GVariant *args,
                       const char *skip, CirObject *parent, const char *iso_path)
{
    g_autoptr(sd_bus_message) msg = fuzz_model_message(m, member, g_variant_ref_sink(args));
    g_auto(sd_bus_error) bus_error = SD_BUS_ERROR_NULL;
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) error = NULL;
    const char *name = NULL;
    CirObject *obj;

    g_variant_unref(args);
    if (!msg || (skip && sd_bus_message_read(msg, "s", &name) < 0) ||
        (iso_path && sd_bus_message_skip(msg, "s") < 0) ||
        bus_read_changes(msg, kind, &changes, &bus_error) < 0)
        return NULL;
    if (kind == KIND_ISO)
        obj = registry_register_iso(m->reg, name, iso_path, changes, &error);
    else
        obj = registry_create(m->reg, kind, name, changes, parent, &error);
    if (!obj)
        fuzz_note("%s refused: %s", member, error->message);
    return obj;
}

/* Takes settings, floating or not. */
static CirObject *make_named(FuzzModel *m, ObjectKind kind, const char *member, const char *name,
                             GVariant *settings)
{
    g_autoptr(GVariant) owned = g_variant_take_ref(settings);
    GVariant *items[] = {g_variant_new_string(name), owned};
    return make(m, kind, member, g_variant_new_tuple(items, 2), "s", NULL, NULL);
}

/* A file name from the input: one path element, or a made-up one. */
static char *iso_file_name(const char *given, unsigned i)
{
    if (!given[0] || strchr(given, '/') || strcmp(given, ".") == 0 || strcmp(given, "..") == 0 ||
        strlen(given) > 200)
        return g_strdup_printf("image%u.iso", i);
    return g_strdup(given);
}

/* The VM's settings with Disks and ISOs replaced by what was made. */
static GVariant *vm_settings(FuzzVm *vm, GVariant *given)
{
    GVariantBuilder b, disks, isos;
    GVariantIter iter;
    const char *key;
    GVariant *value;

    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_iter_init(&iter, given);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        if (strcmp(key, "Disks") != 0 && strcmp(key, "ISOs") != 0)
            g_variant_builder_add(&b, "{sv}", key, value);
        if (strcmp(key, "Shares") == 0 && g_variant_is_of_type(value, G_VARIANT_TYPE("a(ssb)"))) {
            GVariantIter shares;
            const char *path;
            g_variant_iter_init(&shares, value);
            while (g_variant_iter_next(&shares, "(&s&sb)", NULL, &path, NULL))
                g_ptr_array_add(vm->shares, g_strdup(path));
        }
        g_variant_unref(value);
    }
    g_variant_builder_init(&disks, G_VARIANT_TYPE_OBJECT_PATH_ARRAY);
    for (guint i = 0; i < vm->disks->len; i++) {
        g_autofree char *path = bus_object_path(vm->m->reg, vm->disks->pdata[i]);
        g_variant_builder_add(&disks, "o", path);
    }
    g_variant_builder_init(&isos, G_VARIANT_TYPE_OBJECT_PATH_ARRAY);
    for (guint i = 0; i < vm->isos->len; i++) {
        g_autofree char *path = bus_object_path(vm->m->reg, vm->isos->pdata[i]);
        g_variant_builder_add(&isos, "o", path);
    }
    g_variant_builder_add(&b, "{sv}", "Disks", g_variant_builder_end(&disks));
    g_variant_builder_add(&b, "{sv}", "ISOs", g_variant_builder_end(&isos));
    return g_variant_builder_end(&b);
}

void fuzz_vm_make(FuzzVm *vm, const char *host_os, const uint8_t *data, size_t size)
{
    g_autoptr(GVariant) input = fuzz_variant("(sa{sv}aa{sv}a(sa{sv})aa{sv})", data, size);
    g_autoptr(GVariant) settings = g_variant_get_child_value(input, 1);
    g_autoptr(GVariant) disks = g_variant_get_child_value(input, 2);
    g_autoptr(GVariant) isos = g_variant_get_child_value(input, 3);
    g_autoptr(GVariant) nics = g_variant_get_child_value(input, 4);
    const char *name;

    *vm = (FuzzVm){
        .m = fuzz_model(host_os),
        .disks = g_ptr_array_new(),
        .isos = g_ptr_array_new(),
        .shares = g_ptr_array_new_with_free_func(g_free),
    };
    FuzzModel *m = vm->m;
    g_variant_get_child(input, 0, "&s", &name);

    for (gsize i = 0; i < g_variant_n_children(disks) && i < MAX_DISKS; i++) {
        g_autofree char *disk_name = g_strdup_printf("disk%zu", i);
        CirObject *disk =
            make_named(m, KIND_DISK, "CreateDisk", disk_name, g_variant_get_child_value(disks, i));
        if (disk)
            g_ptr_array_add(vm->disks, disk);
    }
    for (gsize i = 0; i < g_variant_n_children(isos) && i < MAX_ISOS; i++) {
        g_autoptr(GVariant) iso_settings = NULL;
        g_autofree char *iso_name = g_strdup_printf("iso%zu", i);
        const char *given;
        g_variant_get_child(isos, i, "(&s@a{sv})", &given, &iso_settings);
        g_autofree char *file = iso_file_name(given, (unsigned)i);
        g_autofree char *dir = g_build_filename(m->files_dir, iso_name, NULL);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        if (g_mkdir_with_parents(dir, 0700) < 0 || !g_file_set_contents(path, "CD001", 5, NULL))
            continue; /* a name the file system refuses */
        GVariant *items[] = {g_variant_new_string(iso_name), g_variant_new_string(path),
                             iso_settings};
        CirObject *iso =
            make(m, KIND_ISO, "RegisterISO", g_variant_new_tuple(items, 3), "s", NULL, path);
        if (iso)
            g_ptr_array_add(vm->isos, iso);
        else
            g_unlink(path);
    }
    vm->vm = make_named(m, KIND_VM, "CreateVM", name, vm_settings(vm, settings));
    for (gsize i = 0; vm->vm && i < g_variant_n_children(nics) && i < MAX_NICS; i++) {
        GVariant *nic_settings = g_variant_get_child_value(nics, i);
        make(m, KIND_NIC, "AddNIC", g_variant_new_tuple(&nic_settings, 1), NULL, vm->vm, NULL);
        g_variant_unref(nic_settings);
    }
}

void fuzz_vm_clear(FuzzVm *vm)
{
    FuzzModel *m = vm->m;

    /* The VM first: it holds the disks (its NICs go with it). */
    if (vm->vm)
        fuzz_model_delete(m, vm->vm);
    for (guint i = 0; i < vm->isos->len; i++) {
        g_autofree char *path = g_strdup(((CirISO *)vm->isos->pdata[i])->path);
        fuzz_model_delete(m, vm->isos->pdata[i]);
        FUZZ_CHECK(g_file_test(path, G_FILE_TEST_EXISTS), "deleting a registered ISO removed %s",
                   path);
        g_unlink(path);
    }
    for (guint i = 0; i < vm->disks->len; i++)
        fuzz_model_delete(m, vm->disks->pdata[i]);
    g_ptr_array_unref(vm->disks);
    g_ptr_array_unref(vm->isos);
    g_ptr_array_unref(vm->shares);
    fuzz_model_check_clean(m);
}

bool fuzz_path_is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    if (strncmp(path, dir, n) != 0 || path[n] != '/' || !path[n + 1])
        return false;
    g_auto(GStrv) parts = g_strsplit(path + n + 1, "/", -1);
    for (char **p = parts; *p; p++)
        if (!**p || strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
            return false;
    return true;
}

static bool tables_equal(GHashTable *a, GHashTable *b)
{
    GHashTableIter iter;
    gpointer key, value;

    if (g_hash_table_size(a) != g_hash_table_size(b))
        return false;
    g_hash_table_iter_init(&iter, a);
    while (g_hash_table_iter_next(&iter, &key, &value))
        if (g_strcmp0(value, g_hash_table_lookup(b, key)) != 0)
            return false;
    return true;
}

void fuzz_check_plan_is_pure(FuzzVm *vm, const char *hypervisor, const HvPlan *plan)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(HvPlan) again = lifecycle_plan(vm->m->lc, vm->vm, hypervisor, &error);

    FUZZ_CHECK(again, "the plan failed when made again: %s", error->message);
    FUZZ_CHECK(again->argv->len == plan->argv->len, "argv changed in length");
    for (guint i = 0; i < plan->argv->len; i++)
        FUZZ_CHECK(strcmp(plan->argv->pdata[i], again->argv->pdata[i]) == 0,
                   "argument %u changed: '%s' then '%s'", i, (char *)plan->argv->pdata[i],
                   (char *)again->argv->pdata[i]);
    FUZZ_CHECK(tables_equal(plan->files, again->files), "the files changed");
    FUZZ_CHECK(tables_equal(plan->copies, again->copies), "the copies changed");
}

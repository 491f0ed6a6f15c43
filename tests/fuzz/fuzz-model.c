#include "fuzz-model.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus/convert.h"
#include "fuzz-common.h"
#include "hv/runner.h"
#include "net/net.h"

/* Host commands (ip, ifconfig, zfs, bhyvectl) are never run: they
 * "succeed". */
static bool run_nothing(const char *const *argv, void *data, GError **error)
{
    return true;
}

/* The host has the uplink candidates eth0 and em0 and nothing else, on
 * every machine the harness runs on. */
static NetIfStatus probe_fixed_host(const char *name, char **master)
{
    if (master)
        *master = NULL;
    return strcmp(name, "eth0") == 0 || strcmp(name, "em0") == 0 ? NET_IF_UPLINK : NET_IF_ABSENT;
}

static char *make_dir(const char *parent, const char *name)
{
    char *dir = g_build_filename(parent, name, NULL);

    if (g_mkdir_with_parents(dir, 0700) < 0)
        fuzz_fail(__FILE__, __LINE__, "mkdir", "%s: %s", dir, g_strerror(errno));
    return dir;
}

static void write_file(const char *path, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    FUZZ_CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "%s: %s", path, g_strerror(errno));
    close(fd);
}

static CirObject *fixture(ObjectKind kind, const char *uuid, const char *name)
{
    CirObject *obj = object_new(kind);

    g_free(obj->uuid);
    obj->uuid = g_strdup(uuid);
    obj->name = g_strdup(name);
    return obj;
}

static CirObject *fixture_switch(const char *uuid, const char *name, const char *type,
                                 const char *interface)
{
    CirObject *obj = fixture(KIND_SWITCH, uuid, name);
    CirSwitch *sw = (CirSwitch *)obj;

    g_free(sw->type);
    sw->type = g_strdup(type);
    g_free(sw->interface);
    sw->interface = g_strdup(interface);
    return obj;
}

static CirObject *fixture_disk(FuzzModel *m, const char *uuid, const char *name, const char *bus)
{
    CirObject *obj = fixture(KIND_DISK, uuid, name);
    CirDisk *disk = (CirDisk *)obj;
    g_autofree char *file = g_strconcat(uuid, ".img", NULL);
    g_autofree char *path = g_build_filename(m->disk_dir, file, NULL);

    disk->size = 1 << 20;
    g_free(disk->bus);
    disk->bus = g_strdup(bus);
    write_file(path, disk->size);
    return obj;
}

/* The fixtures go into the database the way a restarted daemon finds its
 * objects, so they keep their UUIDs. */
static void add_fixtures(FuzzModel *m, const char *host_os)
{
    g_autoptr(GPtrArray) objs = g_ptr_array_new_with_free_func((GDestroyNotify)object_free);
    g_autoptr(GError) error = NULL;

    g_ptr_array_add(objs, fixture_switch(FIX_SWITCH, "fix-switch", "bridge", "cirbr900"));
    if (strcmp(host_os, "freebsd") == 0)
        g_ptr_array_add(objs, fixture_switch(FIX_SWITCH_NG, "fix-ng", "netgraph", "cirng900"));
    g_ptr_array_add(objs, fixture_disk(m, FIX_DISK_VIRTIO, "fix-virtio", "virtio-blk"));
    g_ptr_array_add(objs, fixture_disk(m, FIX_DISK_NVME, "fix-nvme", "nvme"));
    g_ptr_array_add(objs, fixture_disk(m, FIX_DISK_AHCI, "fix-ahci", "ahci-hd"));

    CirObject *iso = fixture(KIND_ISO, FIX_ISO, "fix-iso");
    g_free(((CirISO *)iso)->path);
    ((CirISO *)iso)->path = g_build_filename(m->files_dir, "fixture.iso", NULL);
    ((CirISO *)iso)->size = 2048;
    write_file(((CirISO *)iso)->path, 2048);
    g_ptr_array_add(objs, iso);
    g_ptr_array_add(objs, fixture(KIND_VM, FIX_VM, "fix-vm"));
    CirObject *nic = fixture(KIND_NIC, FIX_NIC, NULL);
    g_free(((CirNIC *)nic)->vm);
    ((CirNIC *)nic)->vm = g_strdup(FIX_VM);
    g_free(((CirNIC *)nic)->mac);
    ((CirNIC *)nic)->mac = g_strdup("0e:c1:00:00:00:01");
    g_ptr_array_add(objs, nic);

    FUZZ_CHECK(store_begin(m->store, &error), "%s", error->message);
    for (guint i = 0; i < objs->len; i++) {
        CirObject *obj = objs->pdata[i];
        FUZZ_CHECK(store_save(m->store, obj, &error), "%s", error->message);
        m->n_fixtures[obj->kind]++;
    }
    FUZZ_CHECK(store_commit(m->store, &error), "%s", error->message);
    FUZZ_CHECK(registry_load(m->reg, &error), "%s", error->message);
}

static FuzzModel *model_new(const char *host_os)
{
    FuzzModel *m = g_new0(FuzzModel, 1);
    g_autoptr(GError) error = NULL;
    int sv[2];

    m->dir = make_dir(fuzz_tmp_dir(), host_os);
    m->disk_dir = make_dir(m->dir, "disks");
    m->iso_dir = make_dir(m->dir, "isos");
    m->run_dir = make_dir(m->dir, "run");
    m->state_dir = make_dir(m->dir, "state");
    m->files_dir = make_dir(m->dir, "files");

    host_runner_set(run_nothing, NULL);
    net_host_probe_set(probe_fixed_host);

    m->store = store_open(":memory:", &error);
    FUZZ_CHECK(m->store, "%s", error->message);
    const RegistryPaths paths = {
        .disk_dir = m->disk_dir,
        .iso_dir = m->iso_dir,
        .host_os = host_os,
        .zfs_dataset = strcmp(host_os, "freebsd") == 0 ? "zroot/cirrina" : NULL,
    };
    m->reg = registry_new(m->store, &paths);
    add_fixtures(m, host_os);
    m->net = network_new(m->reg, host_os);
    const LifecycleConfig config = {
        .run_dir = m->run_dir,
        .state_dir = m->state_dir,
        .hypervisor = strcmp(host_os, "freebsd") == 0 ? "bhyve" : "qemu",
        .uefi_code = "/usr/share/OVMF/OVMF_CODE_4M.fd",
        .uefi_vars = "/usr/share/OVMF/OVMF_VARS_4M.fd",
        .qemu_binary = "qemu-system-x86_64",
        .accelerator = "tcg",
        .network = m->net,
    };
    m->lc = lifecycle_new(m->reg, &config);

    /* An sd_bus on one end of a socket pair, never connected to a bus:
     * sd-bus makes messages only on a started bus. */
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    FUZZ_CHECK(sd_bus_new(&m->bus) >= 0 && sd_bus_set_fd(m->bus, sv[0], sv[0]) >= 0 &&
                   sd_bus_start(m->bus) >= 0,
               "sd_bus_start");
    m->daemon = (Daemon){.bus = m->bus, .reg = m->reg, .lifecycle = m->lc, .network = m->net};
    /* bus/object.c reads references through the daemon's registry; its
     * signals would only pile up on a bus that never sends. */
    bus_objects_init(&m->daemon);
    registry_set_observer(m->reg, NULL, NULL);
    return m;
}

FuzzModel *fuzz_model(const char *host_os)
{
    static FuzzModel *linux_model, *freebsd_model;
    FuzzModel **slot = strcmp(host_os, "freebsd") == 0 ? &freebsd_model : &linux_model;

    fuzz_init_logging();
    if (!*slot)
        *slot = model_new(host_os);
    /* bus/object.c knows one daemon: the model in use. */
    bus_objects_init(&(*slot)->daemon);
    registry_set_observer((*slot)->reg, NULL, NULL);
    return *slot;
}

sd_bus_message *fuzz_model_message(FuzzModel *m, const char *member, GVariant *args)
{
    static uint64_t cookie;
    sd_bus_message *msg = NULL;
    int r = sd_bus_message_new_method_call(m->bus, &msg, "org.cirrina", CIRRINA_PATH,
                                           "org.cirrina.Manager", member);

    FUZZ_CHECK(r >= 0, "sd_bus_message_new_method_call: %s", g_strerror(-r));
    for (gsize i = 0; r >= 0 && i < g_variant_n_children(args); i++) {
        g_autoptr(GVariant) arg = g_variant_get_child_value(args, i);
        r = bus_append_gvariant(msg, arg);
    }
    if (r >= 0)
        r = sd_bus_message_seal(msg, ++cookie, 0);
    if (r >= 0)
        r = sd_bus_message_rewind(msg, true);
    if (r < 0)
        return sd_bus_message_unref(msg);
    return msg;
}

void fuzz_model_check_clean(FuzzModel *m)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        g_autoptr(GPtrArray) all = registry_list(m->reg, k);
        FUZZ_CHECK(all->len == m->n_fixtures[k], "%u %ss are left, not the %u fixtures", all->len,
                   object_class(k)->label, m->n_fixtures[k]);
    }
}

void fuzz_model_delete(FuzzModel *m, CirObject *obj)
{
    g_autoptr(GError) error = NULL;
    ObjectKind kind = obj->kind;
    g_autofree char *uuid = g_strdup(obj->uuid);

    FUZZ_CHECK(registry_delete(m->reg, obj, false, &error), "deleting the %s: %s",
               object_class(kind)->label, error->message);
    FUZZ_CHECK(!registry_lookup(m->reg, kind, uuid), "a deleted %s is still there",
               object_class(kind)->label);
}

static GVariant *value_of(const CirObject *obj, const Field *f)
{
    return g_variant_take_ref(field_get(obj, f));
}

static CirObject *stored_copy(FuzzModel *m, const CirObject *obj)
{
    g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func((GDestroyNotify)object_free);
    g_autoptr(GError) error = NULL;

    FUZZ_CHECK(store_load(m->store, obj->kind, loaded, &error), "%s", error->message);
    for (guint i = 0; i < loaded->len; i++)
        if (strcmp(((CirObject *)loaded->pdata[i])->uuid, obj->uuid) == 0)
            return g_ptr_array_steal_index(loaded, i);
    return NULL;
}

void fuzz_model_check_object(FuzzModel *m, CirObject *obj)
{
    const ObjectClass *c = object_class(obj->kind);
    g_autoptr(GHashTable) none = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(CirObject) again = object_copy(obj);
    g_autoptr(CirObject) stored = stored_copy(m, obj);
    g_autoptr(GError) error = NULL;

    FUZZ_CHECK(stored, "the %s %s is not in the database", c->label, obj->uuid);
    FUZZ_CHECK(c->validate(m->reg, again, obj, none, &error),
               "the %s does not pass its own check again: %s", c->label, error->message);
    for (size_t i = 0; i < c->n_fields; i++) {
        const Field *f = &c->fields[i];
        if (f->flags & FIELD_DERIVED)
            continue;
        g_autoptr(GVariant) value = value_of(obj, f);
        g_autoptr(GVariant) checked = value_of(again, f);
        FUZZ_CHECK(g_variant_equal(value, checked), "%s changes when checked again", f->name);
        if (f->flags & (FIELD_WRITABLE | FIELD_CREATE_ONLY))
            FUZZ_CHECK(field_validate(f, value, &error), "the %s holds a %s it refuses: %s",
                       c->label, f->name, error->message);
        if (!(f->flags & FIELD_NOT_STORED)) {
            g_autoptr(GVariant) kept = value_of(stored, f);
            g_autofree char *a = g_variant_print(value, TRUE);
            g_autofree char *b = g_variant_print(kept, TRUE);
            FUZZ_CHECK(g_variant_equal(value, kept), "%s is %s in memory but %s in the database",
                       f->name, a, b);
        }
    }
    g_autofree char *path = bus_object_path(m->reg, obj);
    FUZZ_CHECK(g_variant_is_object_path(path), "'%s' is not an object path", path);
    FUZZ_CHECK(bus_object_from_path(m->reg, path) == obj, "%s does not lead back to its %s", path,
               c->label);
    if (obj->name) {
        FUZZ_CHECK(registry_find(m->reg, obj->kind, obj->name, NULL) == obj, "'%s' is not found",
                   obj->name);
        g_autofree char *upper = g_ascii_strup(obj->uuid, -1);
        FUZZ_CHECK(registry_find(m->reg, obj->kind, upper, NULL) == obj, "%s is not found", upper);
    }
}

/* Disks of Format=zvol, as a FreeBSD host would make them: the registry
 * with host_os "freebsd" and a ZFS dataset, every zfs(8) command recorded
 * by the host command runner instead of run. */
#include <string.h>

#include "core/errors.h"
#include "core/registry.h"
#include "hv/runner.h"
#include "test-common.h"

typedef struct {
    TmpDir *tmp;
    Store *store;
    Registry *reg;
    GPtrArray *commands; /* char *: each argv joined with spaces */
    bool fail_next;      /* the next command fails, as zfs would */
} Env;

static bool record(const char *const *argv, void *data, GError **error)
{
    Env *env = data;

    g_ptr_array_add(env->commands, g_strjoinv(" ", (char **)argv));
    if (env->fail_next) {
        env->fail_next = false;
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                    "'%s' failed: cannot create 'zroot/cirrina/x': out of space", argv[0]);
        return false;
    }
    return true;
}

static Env *env_new(const char *host_os, const char *dataset)
{
    Env *env = g_new0(Env, 1);
    g_autoptr(GError) error = NULL;

    env->tmp = tmp_dir_new();
    g_autofree char *db = tmp_path(env->tmp, "cirrina.db");
    g_autofree char *disks = tmp_path(env->tmp, "disks");
    g_autofree char *isos = tmp_path(env->tmp, "isos");
    g_mkdir(disks, 0700);
    g_mkdir(isos, 0700);
    env->store = store_open(db, &error);
    g_assert_no_error(error);
    const RegistryPaths paths = {disks, isos, host_os, dataset};
    env->reg = registry_new(env->store, &paths);
    env->commands = g_ptr_array_new_with_free_func(g_free);
    host_runner_set(record, env);
    return env;
}

static void env_free(Env *env)
{
    host_runner_set(NULL, NULL);
    registry_free(env->reg);
    store_close(env->store);
    g_ptr_array_unref(env->commands);
    tmp_dir_free(env->tmp);
    g_free(env);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Env, env_free)

static CirObject *create_zvol(Env *env, const char *name, guint64 size, GError **error)
{
    g_autoptr(GHashTable) changes = changes_of("Size", g_variant_new_uint64(size), "Format",
                                               g_variant_new_string("zvol"), NULL);
    return registry_create(env->reg, KIND_DISK, name, changes, NULL, error);
}

static void assert_commands(Env *env, const char *const *expected)
{
    g_ptr_array_add(env->commands, NULL);
    g_assert_cmpstrv((const char *const *)env->commands->pdata, expected);
    g_ptr_array_set_size(env->commands, env->commands->len - 1);
    g_ptr_array_set_size(env->commands, 0);
}

static void test_life_of_a_zvol(void)
{
    g_autoptr(Env) env = env_new("freebsd", "zroot/cirrina");
    g_autoptr(GError) error = NULL;
    CirObject *disk = create_zvol(env, "db", TEST_GiB, &error);

    g_assert_no_error(error);
    g_autofree char *name = g_strconcat("zroot/cirrina/", disk->uuid, NULL);
    g_autofree char *create =
        g_strconcat("zfs create -s -V 1073741824 -o volmode=dev ", name, NULL);
    assert_commands(env, (const char *const[]){create, NULL});

    /* bhyve and the tests see the volume's device, not a file. */
    g_autofree char *path = registry_disk_path(env->reg, disk->uuid);
    g_autofree char *device = g_strconcat("/dev/zvol/", name, NULL);
    g_assert_cmpstr(path, ==, device);

    g_assert_true(registry_resize_disk(env->reg, disk, 2 * TEST_GiB, false, &error));
    g_autofree char *grow = g_strconcat("zfs set volsize=2147483648 ", name, NULL);
    assert_commands(env, (const char *const[]){grow, NULL});
    g_assert_cmpuint(get_uint(disk, "Size"), ==, 2 * TEST_GiB);

    /* Shrinking without Force: refused before any command. */
    g_assert_false(registry_resize_disk(env->reg, disk, TEST_GiB, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    assert_commands(env, (const char *const[]){NULL});

    g_autofree char *uuid = g_strdup(disk->uuid);
    g_assert_true(registry_delete(env->reg, disk, false, &error));
    g_autofree char *destroy = g_strconcat("zfs destroy ", name, NULL);
    assert_commands(env, (const char *const[]){destroy, NULL});
    g_assert_null(registry_lookup(env->reg, KIND_DISK, uuid));
}

static void test_failed_zfs_create_leaves_nothing(void)
{
    g_autoptr(Env) env = env_new("freebsd", "zroot/cirrina");
    g_autoptr(GError) error = NULL;

    env->fail_next = true;
    g_assert_null(create_zvol(env, "db", TEST_GiB, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    assert_error_mentions(error, "out of space");
    g_assert_null(registry_lookup_name(env->reg, KIND_DISK, "db"));
    g_assert_cmpuint(env->commands->len, ==, 1);
}

static void test_zvol_needs_freebsd_and_a_dataset(void)
{
    g_autoptr(GError) error = NULL;
    {
        g_autoptr(Env) env = env_new("linux", "zroot/cirrina");
        g_assert_null(create_zvol(env, "db", TEST_GiB, &error));
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED);
        g_clear_error(&error);
        g_assert_cmpuint(env->commands->len, ==, 0);
    }
    {
        g_autoptr(Env) env = env_new("freebsd", "");
        g_assert_null(create_zvol(env, "db", TEST_GiB, &error));
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED);
        assert_error_mentions(error, "ZFSDataset");
        g_assert_cmpuint(env->commands->len, ==, 0);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/zvol/life-of-a-zvol", test_life_of_a_zvol);
    g_test_add_func("/zvol/failed-zfs-create-leaves-nothing",
                    test_failed_zfs_create_leaves_nothing);
    g_test_add_func("/zvol/needs-freebsd-and-a-dataset", test_zvol_needs_freebsd_and_a_dataset);
    return g_test_run();
}

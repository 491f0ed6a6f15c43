/* Unit tests of storage work without D-Bus: the data movers
 * (service/core/copy.c), the registry's prepared objects, partial files and
 * Resize (service/core/registry.c), and jobs run to their end on a main
 * loop (service/core/job.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "core/copy.h"
#include "core/job.h"
#include "core/registry.h"
#include "store/store.h"
#include "test-common.h"

#define MiB TEST_MiB

/* --- data --- */

/* n bytes of a pattern that differs from block to block (no zeros). */
static guchar *pattern(size_t n, unsigned seed)
{
    guchar *p = g_malloc(n);

    for (size_t i = 0; i < n; i++)
        p[i] = (guchar)(1 + (i * 7 + i / 4096 + seed) % 251);
    return p;
}

static void write_at(int fd, const void *data, size_t len, off_t offset)
{
    g_assert_cmpint(pwrite(fd, data, len, offset), ==, (ssize_t)len);
}

static char *sha256_of(const void *data, size_t len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

static GBytes *contents(const char *path)
{
    return read_file_bytes(path);
}

static guint64 allocated(const char *path)
{
    GStatBuf st;

    g_assert_cmpint(g_stat(path, &st), ==, 0);
    return (guint64)st.st_blocks * 512;
}

/* --- copy_run --- */

static int open_new(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

static void test_copy_file_keeps_holes(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *src_path = tmp_path(tmp, "src");
    g_autofree char *dst_path = tmp_path(tmp, "dst");
    g_autofree guchar *a = pattern(MiB, 1), *b = pattern(MiB + 100, 2);
    int src = open_new(src_path), dst = open_new(dst_path);
    g_autoptr(GError) error = NULL;

    write_at(src, a, MiB, 0);
    write_at(src, b, MiB + 100, 40 * MiB); /* a hole between */
    for (int hash = 0; hash <= 1; hash++) {
        g_assert_cmpint(ftruncate(dst, 0), ==, 0);
        Copy c = {.src = src, .dst = dst, .max = G_MAXUINT64, .hash = hash};
        g_assert_true(copy_run(&c, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(c.size, ==, 41 * MiB + 100);
        g_assert_cmpuint(copy_progress(&c), ==, c.size);
        g_assert_cmpstr(c.method, ==, hash ? "read/write" : "copy_file_range");
        g_assert_cmpint(ftruncate(dst, (off_t)c.size), ==, 0);
        g_autoptr(GBytes) x = contents(src_path), y = contents(dst_path);
        g_assert_true(g_bytes_equal(x, y));
        g_assert_cmpuint(allocated(dst_path), <, 8 * MiB);
        if (hash) {
            g_autofree char *expected = sha256_of(g_bytes_get_data(x, NULL), g_bytes_get_size(x));
            g_assert_cmpstr(c.sha256, ==, expected);
        }
    }
    close(src);
    close(dst);
}

static void test_copy_file_checks_length(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *src_path = tmp_path(tmp, "src");
    g_autofree char *dst_path = tmp_path(tmp, "dst");
    g_autofree guchar *a = pattern(MiB, 3);
    int src = open_new(src_path), dst = open_new(dst_path);
    g_autoptr(GError) error = NULL;

    write_at(src, a, MiB, 0);
    Copy c = {.src = src, .dst = dst, .max = G_MAXUINT64, .expected = 2 * MiB};
    g_assert_false(copy_run(&c, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    c = (Copy){.src = src, .dst = dst, .max = MiB - 1};
    g_assert_false(copy_run(&c, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    close(src);
    close(dst);
}

typedef struct {
    int fd;
    GBytes *data;
} Writer;

static gpointer write_and_close(gpointer data)
{
    Writer *w = data;
    gsize len;
    const guchar *p = g_bytes_get_data(w->data, &len);

    while (len > 0) {
        ssize_t n = write(w->fd, p, MIN(len, 100000)); /* odd pieces */
        if (n <= 0)
            break;
        p += n;
        len -= (gsize)n;
    }
    close(w->fd);
    return NULL;
}

/* Copies data through a pipe fed by a thread. */
static bool copy_through_pipe(Copy *c, GBytes *data, GError **error)
{
    int fds[2];

    g_assert_cmpint(pipe(fds), ==, 0);
    Writer w = {fds[1], data};
    GThread *t = g_thread_new("writer", write_and_close, &w);
    c->src = fds[0];
    bool ok = copy_run(c, error);
    close(fds[0]); /* the writer may still be blocked on a refused copy */
    g_thread_join(t);
    return ok;
}

static void test_copy_pipe_makes_holes_of_zeros(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *dst_path = tmp_path(tmp, "dst");
    size_t len = 20 * MiB + 333;
    g_autofree guchar *buf = g_malloc0(len);
    g_autofree guchar *a = pattern(MiB, 4);
    g_autoptr(GError) error = NULL;
    int dst = open_new(dst_path);

    memcpy(buf, a, MiB);
    memcpy(buf + len - MiB, a, MiB);
    g_autoptr(GBytes) data = g_bytes_new(buf, len);
    Copy c = {.dst = dst, .max = G_MAXUINT64, .hash = true, .expected = len};
    g_assert_true(copy_through_pipe(&c, data, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(c.size, ==, len);
    g_assert_cmpint(ftruncate(dst, (off_t)len), ==, 0);
    g_autoptr(GBytes) got = contents(dst_path);
    g_assert_true(g_bytes_equal(got, data));
    g_assert_cmpuint(allocated(dst_path), <, 4 * MiB);
    g_autofree char *expected = sha256_of(buf, len);
    g_assert_cmpstr(c.sha256, ==, expected);
    close(dst);
}

static void test_copy_pipe_checks_length(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *dst_path = tmp_path(tmp, "dst");
    g_autofree guchar *a = pattern(3 * MiB, 5);
    g_autoptr(GBytes) data = g_bytes_new(a, 3 * MiB);
    g_autoptr(GBytes) none = g_bytes_new(NULL, 0);
    g_autoptr(GError) error = NULL;
    int dst = open_new(dst_path);
    const struct {
        uint64_t expected, max;
        GBytes *data;
        const char *mentions;
    } cases[] = {
        {4 * MiB, G_MAXUINT64, data, "announced"}, /* shorter */
        {MiB, G_MAXUINT64, data, "longer"},        /* longer */
        {0, 2 * MiB, data, "most allowed"},        /* over the limit */
        {0, G_MAXUINT64, none, "no data"},         /* nothing at all */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Copy c = {.dst = dst, .max = cases[i].max, .expected = cases[i].expected};
        g_assert_false(copy_through_pipe(&c, cases[i].data, &error));
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
        assert_error_mentions(error, cases[i].mentions);
        g_clear_error(&error);
    }
    close(dst);
}

static gpointer run_copy(gpointer data)
{
    GError *error = NULL;

    copy_run(data, &error);
    return error;
}

static void test_copy_cancel_ends_a_wait(void)
{
    g_autoptr(TmpDir) tmp = tmp_dir_new();
    g_autofree char *dst_path = tmp_path(tmp, "dst");
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    int fds[2], dst = open_new(dst_path);

    /* A writer that never writes nor closes: only the cancel ends it. */
    g_assert_cmpint(pipe(fds), ==, 0);
    Copy c = {.src = fds[0], .dst = dst, .max = G_MAXUINT64, .cancel = cancel};
    GThread *t = g_thread_new("copy", run_copy, &c);
    g_usleep(100000);
    g_cancellable_cancel(cancel);
    g_autoptr(GError) error = g_thread_join(t);
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED);
    close(fds[0]);
    close(fds[1]);
    close(dst);
}

static void test_sha256(void)
{
    char hex[65];
    g_autoptr(Sha256) h = sha256_new();

    sha256_update(h, "abc", 3);
    sha256_finish(h, hex);
    g_assert_cmpstr(hex, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    g_assert_true(sha256_hex_is_valid(hex));
    g_assert_true(
        sha256_hex_is_valid("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    g_assert_false(sha256_hex_is_valid("ba7816bf"));
    g_assert_false(sha256_hex_is_valid(""));
    hex[10] = 'g';
    g_assert_false(sha256_hex_is_valid(hex));
}

/* --- the registry: prepared objects, partial files, Resize --- */

typedef struct {
    TmpDir *tmp;
    char *db_path, *disk_dir, *iso_dir;
    RegistryPaths paths;
    Store *store;
    Registry *reg;
} Env;

static void env_open(Env *env)
{
    g_autoptr(GError) error = NULL;

    env->store = store_open(env->db_path, &error);
    g_assert_no_error(error);
    env->reg = registry_new(env->store, &env->paths);
    g_assert_true(registry_load(env->reg, &error));
    g_assert_no_error(error);
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
    env_open(env);
    return env;
}

static void env_free(Env *env)
{
    env_close(env);
    g_free(env->db_path);
    g_free(env->disk_dir);
    g_free(env->iso_dir);
    tmp_dir_free(env->tmp);
    g_free(env);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Env, env_free)

static guint count_files(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

static GHashTable *size_table(guint64 size)
{
    return changes_of("Size", g_variant_new_uint64(size), NULL);
}

static void write_partial(Env *env, CirObject *obj, guint64 size)
{
    g_autofree char *partial = registry_partial_path(env->reg, obj);
    int fd = open_new(partial);
    g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
    close(fd);
}

static void test_prepare_adopt_discard(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) changes = changes_of("Bus", g_variant_new_string("nvme"), NULL);

    CirObject *disk = registry_prepare(env->reg, KIND_DISK, "new", changes, NULL, &error);
    g_assert_no_error(error);
    g_assert_null(registry_lookup_name(env->reg, KIND_DISK, "new"));
    /* The name is taken meanwhile. */
    g_autoptr(GHashTable) size = size_table(MiB);
    g_assert_null(registry_create(env->reg, KIND_DISK, "new", size, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_EXISTS);
    assert_error_mentions(error, "being made");
    g_clear_error(&error);
    g_assert_null(registry_prepare(env->reg, KIND_DISK, "new", NULL, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_EXISTS);
    g_clear_error(&error);

    write_partial(env, disk, 4 * MiB);
    g_autofree char *uuid = g_strdup(disk->uuid);
    g_autoptr(GHashTable) trusted = size_table(4 * MiB);
    CirObject *stored = registry_adopt(env->reg, disk, trusted, &error);
    g_assert_no_error(error);
    g_assert_nonnull(stored);
    g_assert_true(registry_lookup_name(env->reg, KIND_DISK, "new") == stored);
    g_assert_cmpuint(((CirDisk *)stored)->size, ==, 4 * MiB);
    g_assert_cmpstr(((CirDisk *)stored)->bus, ==, "nvme");
    g_autofree char *path = registry_disk_path(env->reg, uuid);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpuint(count_files(env->disk_dir), ==, 1);

    /* Discarded: the name is free again, the partial file gone. */
    CirObject *other = registry_prepare(env->reg, KIND_DISK, "other", NULL, NULL, &error);
    g_assert_no_error(error);
    write_partial(env, other, MiB);
    registry_discard(env->reg, other);
    g_assert_cmpuint(count_files(env->disk_dir), ==, 1);
    g_autoptr(GHashTable) size2 = size_table(MiB);
    g_assert_nonnull(registry_create(env->reg, KIND_DISK, "other", size2, NULL, &error));
    g_assert_no_error(error);

    /* A bad setting fails at once; a bad final value at adoption. */
    g_autoptr(GHashTable) bad = changes_of("Bus", g_variant_new_string("scsi"), NULL);
    g_assert_null(registry_prepare(env->reg, KIND_DISK, "bad", bad, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    CirObject *odd = registry_prepare(env->reg, KIND_DISK, "odd", NULL, NULL, &error);
    write_partial(env, odd, 1000);
    g_autoptr(GHashTable) odd_size = size_table(1000);
    g_assert_null(registry_adopt(env->reg, odd, odd_size, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(count_files(env->disk_dir), ==, 2); /* new and other */
    g_assert_null(registry_lookup_name(env->reg, KIND_DISK, "odd"));
}

static void test_partial_files_recovered_at_load(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(GError) error = NULL;

    /* A partial file of an object that was never stored: removed. */
    CirObject *lost = registry_prepare(env->reg, KIND_ISO, "lost", NULL, NULL, &error);
    write_partial(env, lost, MiB);
    g_autofree char *lost_partial = registry_partial_path(env->reg, lost);
    /* One whose object was stored but not yet moved: moved. */
    CirObject *kept = registry_prepare(env->reg, KIND_DISK, "kept", NULL, NULL, &error);
    write_partial(env, kept, MiB);
    g_autofree char *kept_uuid = g_strdup(kept->uuid);
    g_autoptr(GHashTable) trusted = size_table(MiB);
    CirObject *stored = registry_adopt(env->reg, kept, trusted, &error);
    g_assert_no_error(error);
    g_autofree char *final = registry_disk_path(env->reg, kept_uuid);
    g_autofree char *kept_partial = registry_partial_path(env->reg, stored);
    g_assert_cmpint(g_rename(final, kept_partial), ==, 0);
    /* The daemon "dies" here: lost is never discarded (its object is
     * freed without its file). */
    object_free(lost);

    env_close(env);
    env_open(env);
    g_assert_false(g_file_test(lost_partial, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(kept_partial, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(final, G_FILE_TEST_IS_REGULAR));
    g_assert_nonnull(registry_lookup_name(env->reg, KIND_DISK, "kept"));
    g_assert_null(registry_lookup_name(env->reg, KIND_ISO, "lost"));
    g_assert_cmpuint(count_files(env->iso_dir), ==, 0);
}

static void test_resize(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) size = size_table(64 * MiB);
    CirObject *disk = registry_create(env->reg, KIND_DISK, "d", size, NULL, &error);
    g_autofree char *path = registry_disk_path(env->reg, disk->uuid);
    GStatBuf st;

    g_assert_true(registry_resize_disk(env->reg, disk, 128 * MiB, false, &error));
    g_assert_no_error(error);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_size, ==, 128 * MiB);
    g_assert_false(registry_resize_disk(env->reg, disk, 32 * MiB, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(error, "Force");
    g_clear_error(&error);
    g_assert_false(registry_resize_disk(env->reg, disk, 1000, true, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_true(registry_resize_disk(env->reg, disk, 32 * MiB, true, &error));
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_size, ==, 32 * MiB);

    /* Busy while its VM runs. */
    g_autoptr(GHashTable) vm_changes =
        changes_of("Disks", g_variant_new_strv((const char *const[]){disk->uuid, NULL}, -1), NULL);
    CirObject *vm = registry_create(env->reg, KIND_VM, "vm", vm_changes, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(registry_set_state(env->reg, vm, "running", NULL, &error));
    g_assert_false(registry_resize_disk(env->reg, disk, 64 * MiB, false, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);
    g_clear_error(&error);

    env_close(env);
    env_open(env);
    disk = registry_lookup_name(env->reg, KIND_DISK, "d");
    g_assert_cmpuint(((CirDisk *)disk)->size, ==, 32 * MiB);
}

/* --- jobs --- */

typedef struct {
    GMainLoop *loop;
    CirObject *obj;
    GError *error;
    guint added, changed, removed, done;
    GPtrArray *states;
} Outcome;

static void on_added(void *data, const Job *job)
{
    ((Outcome *)data)->added++;
}

static void on_changed(void *data, const Job *job, const char *const *properties)
{
    Outcome *o = data;

    o->changed++;
    if (g_strv_contains(properties, "State"))
        g_ptr_array_add(o->states, g_strdup(job_state(job)));
}

static void on_removed(void *data, const Job *job)
{
    ((Outcome *)data)->removed++;
}

static const JobObserver observer = {on_added, on_changed, on_removed};

static void on_done(CirObject *obj, const GError *error, void *data)
{
    Outcome *o = data;

    o->done++;
    o->obj = obj;
    o->error = error ? g_error_copy(error) : NULL;
    g_main_loop_quit(o->loop);
}

static const JobCallbacks callbacks = {.done = on_done};

static void outcome_init(Outcome *o)
{
    *o = (Outcome){.loop = g_main_loop_new(NULL, FALSE),
                   .states = g_ptr_array_new_with_free_func(g_free)};
}

static void outcome_clear(Outcome *o)
{
    g_main_loop_unref(o->loop);
    g_clear_error(&o->error);
    g_ptr_array_unref(o->states);
}

static void test_job_import_iso_from_file(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(Jobs) jobs = jobs_new(env->reg);
    g_autoptr(GError) error = NULL;
    g_autofree char *src_path = tmp_path(env->tmp, "src.iso");
    g_autofree guchar *data = pattern(3 * MiB + 5, 6);
    Outcome o;

    outcome_init(&o);
    jobs_set_observer(jobs, &observer, &o);
    g_assert_true(g_file_set_contents(src_path, (char *)data, 3 * MiB + 5, NULL));
    int fd = open(src_path, O_RDONLY | O_CLOEXEC);
    g_autoptr(GHashTable) changes = changes_of("Description", g_variant_new_string("x"), NULL);
    Job *job = jobs_import(jobs, KIND_ISO, "iso", fd, changes, 0, NULL, &callbacks, &o, &error);
    close(fd); /* the job has its own */
    g_assert_no_error(error);
    g_assert_nonnull(job);
    g_assert_cmpstr(job_kind(job), ==, "import-iso");
    g_assert_cmpstr(job_target(job), ==, "iso");
    g_assert_cmpuint(job_bytes_total(job), ==, 3 * MiB + 5);
    g_main_loop_run(o.loop);
    g_assert_no_error(o.error);
    g_assert_nonnull(o.obj);
    CirISO *iso = (CirISO *)o.obj;
    g_autofree char *expected = sha256_of(data, 3 * MiB + 5);
    g_assert_cmpstr(iso->sha256, ==, expected);
    g_assert_cmpuint(iso->size, ==, 3 * MiB + 5);
    g_assert_true(registry_iso_is_owned(env->reg, o.obj));
    g_assert_cmpuint(o.added, ==, 1);
    g_assert_cmpuint(o.removed, ==, 1);
    g_assert_cmpuint(o.states->len, ==, 1);
    g_assert_cmpstr(o.states->pdata[0], ==, "completed");
    g_autoptr(GPtrArray) left = jobs_list(jobs);
    g_assert_cmpuint(left->len, ==, 0);
    /* Deleting it removes the daemon's file. */
    g_autofree char *path = g_strdup(iso->path);
    g_assert_true(registry_delete(env->reg, o.obj, false, &error));
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    outcome_clear(&o);
}

static void test_job_sha256_mismatch_keeps_nothing(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(Jobs) jobs = jobs_new(env->reg);
    g_autoptr(GError) error = NULL;
    g_autofree char *src_path = tmp_path(env->tmp, "src.img");
    g_autofree guchar *data = pattern(MiB, 7);
    Outcome o;

    outcome_init(&o);
    g_assert_true(g_file_set_contents(src_path, (char *)data, MiB, NULL));
    int fd = open(src_path, O_RDONLY | O_CLOEXEC);
    g_autofree char *wrong = g_strnfill(64, 'a');
    g_assert_nonnull(
        jobs_import(jobs, KIND_DISK, "disk", fd, NULL, 0, wrong, &callbacks, &o, &error));
    close(fd);
    g_main_loop_run(o.loop);
    g_assert_null(o.obj);
    g_assert_error(o.error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(o.error, "SHA-256");
    g_assert_cmpuint(count_files(env->disk_dir), ==, 0);
    g_assert_null(registry_lookup_name(env->reg, KIND_DISK, "disk"));
    outcome_clear(&o);
}

static void test_job_cancel_and_shutdown(void)
{
    g_autoptr(Env) env = env_new();
    Jobs *jobs = jobs_new(env->reg);
    g_autoptr(GError) error = NULL;
    int fds[2], more[2];
    Outcome o;

    outcome_init(&o);
    jobs_set_observer(jobs, &observer, &o);
    g_assert_cmpint(pipe(fds), ==, 0);
    Job *job =
        jobs_import(jobs, KIND_DISK, "slow", fds[0], NULL, 8 * MiB, NULL, &callbacks, &o, &error);
    g_assert_no_error(error);
    close(fds[0]);
    g_assert_cmpuint(job_bytes_total(job), ==, 8 * MiB);
    g_assert_true(job_is_open_ended(job) == false);
    job_cancel(job);
    g_main_loop_run(o.loop);
    g_assert_error(o.error, CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED);
    g_assert_cmpuint(o.states->len, ==, 2);
    g_assert_cmpstr(o.states->pdata[0], ==, "cancelling");
    g_assert_cmpstr(o.states->pdata[1], ==, "cancelled");
    g_assert_cmpuint(count_files(env->disk_dir), ==, 0);
    close(fds[1]);

    /* Jobs still running when the daemon stops end too, at once. */
    g_clear_error(&o.error);
    o.done = 0;
    g_assert_cmpint(pipe(more), ==, 0);
    g_assert_nonnull(
        jobs_import(jobs, KIND_ISO, "stopped", more[0], NULL, 0, NULL, &callbacks, &o, &error));
    close(more[0]);
    jobs_free(jobs);
    g_assert_cmpuint(o.done, ==, 1);
    g_assert_error(o.error, CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED);
    assert_error_mentions(o.error, "shutting down");
    g_assert_cmpuint(count_files(env->iso_dir), ==, 0);
    close(more[1]);
    outcome_clear(&o);
}

static void test_job_clone_disk(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(Jobs) jobs = jobs_new(env->reg);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) changes = changes_of("Size", g_variant_new_uint64(32 * MiB), "Bus",
                                               g_variant_new_string("ahci-hd"), NULL);
    CirObject *disk = registry_create(env->reg, KIND_DISK, "src", changes, NULL, &error);
    g_autofree char *src_path = registry_disk_path(env->reg, disk->uuid);
    g_autofree guchar *data = pattern(MiB, 8);
    Outcome o;

    outcome_init(&o);
    int fd = open(src_path, O_WRONLY | O_CLOEXEC);
    write_at(fd, data, MiB, 10 * MiB);
    close(fd);
    g_autoptr(GHashTable) overrides = changes_of("ReadOnly", g_variant_new_boolean(TRUE), NULL);
    Job *job = jobs_clone_disk(jobs, disk, "copy", overrides, &callbacks, &o, &error);
    g_assert_no_error(error);
    g_assert_true(jobs_disk_is_read(jobs, disk->uuid));
    g_assert_cmpstr(job_kind(job), ==, "clone-disk");
    g_main_loop_run(o.loop);
    g_assert_no_error(o.error);
    CirDisk *copy = (CirDisk *)o.obj;
    g_assert_cmpuint(copy->size, ==, 32 * MiB);
    g_assert_cmpstr(copy->bus, ==, "ahci-hd");
    g_assert_true(copy->readonly);
    g_autofree char *copy_path = registry_disk_path(env->reg, o.obj->uuid);
    g_autoptr(GBytes) a = contents(src_path), b = contents(copy_path);
    g_assert_true(g_bytes_equal(a, b));
    g_assert_cmpuint(allocated(copy_path), <, 8 * MiB);
    g_assert_false(jobs_disk_is_read(jobs, disk->uuid));
    outcome_clear(&o);
}

static void test_job_refusals(void)
{
    g_autoptr(Env) env = env_new();
    g_autoptr(Jobs) jobs = jobs_new(env->reg);
    g_autoptr(GError) error = NULL;
    int fds[2];

    g_assert_cmpint(pipe(fds), ==, 0);
    /* Not a readable fd, bad SHA256, Size over 16 TiB, a bad name. */
    g_assert_null(
        jobs_import(jobs, KIND_DISK, "x", fds[1], NULL, 0, NULL, &callbacks, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_null(
        jobs_import(jobs, KIND_DISK, "x", fds[0], NULL, 0, "12", &callbacks, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_null(jobs_import(jobs, KIND_DISK, "x", fds[0], NULL, (UINT64_C(16) << 40) + 512, NULL,
                              &callbacks, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_null(
        jobs_import(jobs, KIND_ISO, "a/b", fds[0], NULL, 0, NULL, &callbacks, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    int dir = open(env->disk_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_null(jobs_import(jobs, KIND_ISO, "dir", dir, NULL, 0, NULL, &callbacks, NULL, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    assert_error_mentions(error, "directory");
    close(dir);
    close(fds[0]);
    close(fds[1]);
    g_autoptr(GPtrArray) left = jobs_list(jobs);
    g_assert_cmpuint(left->len, ==, 0);
    g_assert_cmpuint(count_files(env->disk_dir) + count_files(env->iso_dir), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN); /* writers of refused copies see EPIPE */
    g_test_add_func("/storage/copy/file-keeps-holes", test_copy_file_keeps_holes);
    g_test_add_func("/storage/copy/file-checks-length", test_copy_file_checks_length);
    g_test_add_func("/storage/copy/pipe-makes-holes-of-zeros", test_copy_pipe_makes_holes_of_zeros);
    g_test_add_func("/storage/copy/pipe-checks-length", test_copy_pipe_checks_length);
    g_test_add_func("/storage/copy/cancel-ends-a-wait", test_copy_cancel_ends_a_wait);
    g_test_add_func("/storage/copy/sha256", test_sha256);
    g_test_add_func("/storage/registry/prepare-adopt-discard", test_prepare_adopt_discard);
    g_test_add_func("/storage/registry/partial-files-recovered",
                    test_partial_files_recovered_at_load);
    g_test_add_func("/storage/registry/resize", test_resize);
    g_test_add_func("/storage/job/import-iso-from-file", test_job_import_iso_from_file);
    g_test_add_func("/storage/job/sha256-mismatch", test_job_sha256_mismatch_keeps_nothing);
    g_test_add_func("/storage/job/cancel-and-shutdown", test_job_cancel_and_shutdown);
    g_test_add_func("/storage/job/clone-disk", test_job_clone_disk);
    g_test_add_func("/storage/job/refusals", test_job_refusals);
    return g_test_run();
}

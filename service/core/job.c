/* Jobs: imports and clones in worker threads (see job.h). */
#include "core/job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/copy.h"
#include "core/errors.h"

typedef enum {
    JOB_IMPORT_DISK,
    JOB_IMPORT_ISO,
    JOB_CLONE_DISK,
} JobKind;

static const char *const kind_names[] = {
    [JOB_IMPORT_DISK] = "import-disk",
    [JOB_IMPORT_ISO] = "import-iso",
    [JOB_CLONE_DISK] = "clone-disk",
};

struct Jobs {
    Registry *reg;
    GHashTable *jobs; /* id -> Job, owned */
    guint next_id;
    guint tick;  /* progress announcements, while jobs run */
    GMutex lock; /* Job.finished_idle, set by workers */
    const JobObserver *observer;
    void *observer_data;
};

struct Job {
    Jobs *jobs;
    guint id;
    JobKind kind;
    char *state;
    char *target;      /* the name of the object being made */
    CirObject *obj;    /* prepared, not stored; its file at its partial path */
    char *source_disk; /* a clone's source, by UUID */
    uint64_t total;    /* BytesTotal */
    uint64_t shown;    /* BytesDone last announced */
    uint64_t size;     /* the new object's Size, once copied */
    bool open_ended;
    bool awaiting_commit;
    char *expected_sha256;
    Copy copy;
    GCancellable *cancel;
    GThread *thread;
    GError *error;       /* the worker's outcome */
    guint finished_idle; /* under Jobs.lock */
    JobCallbacks callbacks;
    void *data;
};

Jobs *jobs_new(Registry *reg)
{
    Jobs *jobs = g_new0(Jobs, 1);

    jobs->reg = reg;
    jobs->jobs = g_hash_table_new(NULL, NULL);
    jobs->next_id = 1;
    g_mutex_init(&jobs->lock);
    return jobs;
}

void jobs_set_observer(Jobs *jobs, const JobObserver *observer, void *data)
{
    jobs->observer = observer;
    jobs->observer_data = data;
}

Job *jobs_lookup(Jobs *jobs, guint id)
{
    return g_hash_table_lookup(jobs->jobs, GUINT_TO_POINTER(id));
}

static gint job_compare(gconstpointer a, gconstpointer b)
{
    guint x = (*(Job *const *)a)->id, y = (*(Job *const *)b)->id;
    return x < y ? -1 : x > y;
}

GPtrArray *jobs_list(Jobs *jobs)
{
    GPtrArray *all = g_ptr_array_sized_new(g_hash_table_size(jobs->jobs));
    GHashTableIter iter;
    gpointer job;

    g_hash_table_iter_init(&iter, jobs->jobs);
    while (g_hash_table_iter_next(&iter, NULL, &job))
        g_ptr_array_add(all, job);
    g_ptr_array_sort(all, job_compare);
    return all;
}

bool jobs_disk_is_read(Jobs *jobs, const char *disk_uuid)
{
    GHashTableIter iter;
    Job *job;

    g_hash_table_iter_init(&iter, jobs->jobs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job))
        if (job->source_disk && strcmp(job->source_disk, disk_uuid) == 0)
            return true;
    return false;
}

/* --- what a job shows --- */

guint job_id(const Job *job)
{
    return job->id;
}

const char *job_kind(const Job *job)
{
    return kind_names[job->kind];
}

const char *job_target(const Job *job)
{
    return job->target;
}

const char *job_state(const Job *job)
{
    return job->state;
}

uint64_t job_bytes_done(const Job *job)
{
    return copy_progress(&job->copy);
}

uint64_t job_bytes_total(const Job *job)
{
    return job->total;
}

double job_progress(const Job *job)
{
    if (job->total == 0)
        return 0.0;
    return MIN(1.0, (double)job_bytes_done(job) / (double)job->total);
}

bool job_is_open_ended(const Job *job)
{
    return job->open_ended;
}

static void notify(Job *job, const char *first, ...)
{
    const char *props[5] = {first};
    va_list ap;
    size_t n = 1;

    va_start(ap, first);
    while (n < G_N_ELEMENTS(props) - 1 && (props[n] = va_arg(ap, const char *)))
        n++;
    va_end(ap);
    props[n] = NULL;
    if (job->jobs->observer)
        job->jobs->observer->changed(job->jobs->observer_data, job, props);
}

static void set_state(Job *job, const char *state)
{
    g_free(job->state);
    job->state = g_strdup(state);
}

/* Progress, at most every JOB_PROGRESS_INTERVAL_MS, only when it moved. */
static gboolean tick(gpointer data)
{
    Jobs *jobs = data;
    GHashTableIter iter;
    Job *job;

    g_hash_table_iter_init(&iter, jobs->jobs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job)) {
        uint64_t done = job_bytes_done(job);
        if (done != job->shown) {
            job->shown = done;
            notify(job, "BytesDone", "Progress", NULL);
        }
    }
    return G_SOURCE_CONTINUE;
}

/* --- start and end --- */

static void job_free(Job *job)
{
    if (job->copy.src >= 0)
        close(job->copy.src);
    if (job->copy.dst >= 0)
        close(job->copy.dst);
    registry_discard(job->jobs->reg, job->obj);
    g_clear_object(&job->cancel);
    g_clear_error(&job->error);
    g_free(job->state);
    g_free(job->target);
    g_free(job->source_disk);
    g_free(job->expected_sha256);
    g_free(job);
}

/* Takes the job off the list and frees it. */
static void job_forget(Job *job)
{
    Jobs *jobs = job->jobs;

    if (jobs->observer)
        jobs->observer->removed(jobs->observer_data, job);
    g_hash_table_remove(jobs->jobs, GUINT_TO_POINTER(job->id));
    if (g_hash_table_size(jobs->jobs) == 0 && jobs->tick) {
        g_source_remove(jobs->tick);
        jobs->tick = 0;
    }
    job_free(job);
}

/* Ends a job: its final state announced, done called, the job gone. */
static void job_end(Job *job, CirObject *obj, const GError *error)
{
    if (obj) {
        set_state(job, "completed");
        job->total = job->copy.size;
        job->shown = job->copy.size;
        notify(job, "State", "BytesDone", "BytesTotal", "Progress", NULL);
    } else {
        set_state(job, g_error_matches(error, CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED) ? "cancelled"
                                                                                      : "failed");
        notify(job, "State", NULL);
    }
    g_message("Job %u (%s '%s') %s%s%s", job->id, job_kind(job), job->target, job->state,
              error ? ": " : "", error ? error->message : "");
    /* Nothing is left of a failed job by the time its caller hears of it
     * (who may retry at once on a disk that was full). */
    registry_discard(job->jobs->reg, g_steal_pointer(&job->obj));
    job->callbacks.done(obj, error, job->data);
    job_forget(job);
}

void job_abort(Job *job, const GError *error)
{
    job_end(job, NULL, error);
}

void job_commit(Job *job)
{
    Registry *reg = job->jobs->reg;
    g_autoptr(GHashTable) trusted =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    g_autoptr(GError) error = NULL;

    job->awaiting_commit = false;
    g_hash_table_insert(trusted, "Size", g_variant_ref_sink(g_variant_new_uint64(job->size)));
    if (job->kind == JOB_IMPORT_ISO)
        g_hash_table_insert(trusted, "SHA256",
                            g_variant_ref_sink(g_variant_new_string(job->copy.sha256)));
    /* adopt takes the object, stored or not. */
    CirObject *obj = registry_adopt(reg, g_steal_pointer(&job->obj), trusted, &error);
    job_end(job, obj, error);
}

static gboolean worker_finished(gpointer data)
{
    Job *job = data;
    GError *error;

    g_mutex_lock(&job->jobs->lock);
    job->finished_idle = 0;
    g_mutex_unlock(&job->jobs->lock);
    g_thread_join(g_steal_pointer(&job->thread));
    close(job->copy.src);
    close(job->copy.dst);
    job->copy.src = job->copy.dst = -1;

    if (!job->error && g_cancellable_is_cancelled(job->cancel))
        g_set_error(&job->error, CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED, "Cancelled");
    if (!job->error && job->expected_sha256 && strcmp(job->expected_sha256, job->copy.sha256) != 0)
        g_set_error(&job->error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The data's SHA-256 is %s, not the %s expected (SHA256): nothing was kept",
                    job->copy.sha256, job->expected_sha256);
    if (job->error) {
        error = g_steal_pointer(&job->error);
        if (error->code == CIRRINA_ERROR_CANCELLED) {
            g_clear_error(&error);
            g_set_error(&error, CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED,
                        "The %s of '%s' was cancelled: nothing was kept",
                        job->kind == JOB_CLONE_DISK ? "clone" : "import", job->target);
        }
        job_end(job, NULL, error);
        g_error_free(error);
        return G_SOURCE_REMOVE;
    }
    if (job->callbacks.copied) {
        job->awaiting_commit = true;
        job->callbacks.copied(job, job->data);
    } else {
        job_commit(job);
    }
    return G_SOURCE_REMOVE;
}

static gpointer worker(gpointer data)
{
    Job *job = data;
    GError *error = NULL;

    if (copy_run(&job->copy, &error)) {
        /* Disks: a whole number of sectors (zeros added); a clone has its
         * source's size whatever its file holds. */
        job->size = job->kind == JOB_IMPORT_ISO    ? job->copy.size
                    : job->kind == JOB_IMPORT_DISK ? (job->copy.size + 511) / 512 * 512
                                                   : job->size;
        if (ftruncate(job->copy.dst, (off_t)job->size) < 0 || fdatasync(job->copy.dst) < 0)
            g_set_error(&error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                        "Failed to complete the image: %s", g_strerror(errno));
    }
    job->error = error;
    g_mutex_lock(&job->jobs->lock);
    job->finished_idle = g_idle_add(worker_finished, job);
    g_mutex_unlock(&job->jobs->lock);
    return NULL;
}

/* Takes obj and src; starts the worker. */
static Job *job_start(Jobs *jobs, JobKind kind, CirObject *obj, int src, uint64_t total,
                      const JobCallbacks *callbacks, void *data, GError **error)
{
    Registry *reg = jobs->reg;
    g_autofree char *partial = registry_partial_path(reg, obj);
    int dst = -1;

    /* A thread and two fds each: a bound, so no client can pile them up. */
    if (g_hash_table_size(jobs->jobs) >= JOBS_MAX) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY,
                    "%d imports and clones are running already; start this one when one has "
                    "ended",
                    JOBS_MAX);
        close(src);
        registry_discard(reg, obj);
        return NULL;
    }
    dst = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (dst < 0) {
        int e = errno;
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to create %s: %s", partial,
                    g_strerror(e));
        close(src);
        registry_discard(reg, obj);
        return NULL;
    }
    Job *job = g_new0(Job, 1);
    job->jobs = jobs;
    job->id = jobs->next_id++;
    job->kind = kind;
    job->state = g_strdup("running");
    job->target = g_strdup(obj->name);
    job->obj = obj;
    job->total = total;
    job->cancel = g_cancellable_new();
    job->callbacks = *callbacks;
    job->data = data;
    job->copy = (Copy){
        .src = src,
        .dst = dst,
        .max = kind == JOB_IMPORT_DISK ? DISK_SIZE_MAX : G_MAXUINT64,
        .hash = kind == JOB_IMPORT_ISO,
        .cancel = job->cancel,
    };
    g_hash_table_insert(jobs->jobs, GUINT_TO_POINTER(job->id), job);
    if (!jobs->tick)
        jobs->tick = g_timeout_add(JOB_PROGRESS_INTERVAL_MS, tick, jobs);
    if (jobs->observer)
        jobs->observer->added(jobs->observer_data, job);
    return job;
}

static bool job_run(Job *job, GError **error)
{
    g_autofree char *name = g_strdup_printf("cirrina-job-%u", job->id);

    job->thread = g_thread_try_new(name, worker, job, error);
    return job->thread != NULL;
}

/* Ends a job that never ran, without calling done (the caller answers). */
static void job_drop(Job *job)
{
    job_forget(job);
}

static bool check_source(int fd, ObjectKind kind, uint64_t size, GError **error)
{
    const char *what = kind == KIND_DISK ? "ImportDisk" : "ImportISO";
    struct stat st;
    int flags;

    if (fstat(fd, &st) < 0 || (flags = fcntl(fd, F_GETFL)) < 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The fd cannot be used: %s", g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The fd is %s; %s reads a pipe or a regular file",
                    S_ISDIR(st.st_mode)    ? "a directory"
                    : S_ISSOCK(st.st_mode) ? "a socket"
                    : S_ISCHR(st.st_mode)  ? "a character device"
                    : S_ISBLK(st.st_mode)  ? "a block device"
                                           : "of an unknown type",
                    what);
        return false;
    }
    if ((flags & O_ACCMODE) == O_WRONLY) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The fd is open for writing only; %s reads it", what);
        return false;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The file is empty: there is no data to import");
        return false;
    }
    if (S_ISREG(st.st_mode) && size && (uint64_t)st.st_size != size) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Size=%" G_GUINT64_FORMAT
                    " was announced, but the file holds %" G_GUINT64_FORMAT " bytes",
                    size, (uint64_t)st.st_size);
        return false;
    }
    return true;
}

Job *jobs_import(Jobs *jobs, ObjectKind kind, const char *name, int fd, GHashTable *changes,
                 uint64_t size, const char *sha256, const JobCallbacks *callbacks, void *data,
                 GError **error)
{
    uint64_t max = kind == KIND_DISK ? DISK_SIZE_MAX : G_MAXUINT64;
    struct stat st;

    g_return_val_if_fail(kind == KIND_DISK || kind == KIND_ISO, NULL);
    if (sha256 && !sha256_hex_is_valid(sha256)) {
        g_autofree char *shown = g_strescape(sha256, NULL);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "SHA256='%.80s' is not a SHA-256 in hex (64 digits)", shown);
        return NULL;
    }
    if (size > max) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Size=%" G_GUINT64_FORMAT " is out of range: at most %" G_GUINT64_FORMAT
                    " bytes",
                    size, max);
        return NULL;
    }
    if (!check_source(fd, kind, size, error))
        return NULL;
    CirObject *obj = registry_prepare(jobs->reg, kind, name, changes, NULL, error);
    if (!obj)
        return NULL;
    int src = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (src < 0 || fstat(src, &st) < 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to take the fd: %s",
                    g_strerror(errno));
        if (src >= 0)
            close(src);
        registry_discard(jobs->reg, obj);
        return NULL;
    }
    bool file = S_ISREG(st.st_mode);
    Job *job = job_start(jobs, kind == KIND_DISK ? JOB_IMPORT_DISK : JOB_IMPORT_ISO, obj, src,
                         file ? (uint64_t)st.st_size : size, callbacks, data, error);
    if (!job)
        return NULL;
    job->copy.expected = file ? 0 : size;
    job->copy.hash = job->copy.hash || sha256;
    job->open_ended = !file && size == 0;
    job->expected_sha256 = sha256 ? g_ascii_strdown(sha256, -1) : NULL;
    if (!job_run(job, error)) {
        job_drop(job);
        return NULL;
    }
    g_message("Job %u: importing %s '%s' from a %s%s", job->id, object_class(kind)->label, name,
              file ? "file" : "pipe", job->open_ended ? " of unknown length" : "");
    return job;
}

Job *jobs_clone_disk(Jobs *jobs, CirObject *disk, const char *name, GHashTable *changes,
                     const JobCallbacks *callbacks, void *data, GError **error)
{
    const CirDisk *source = (const CirDisk *)disk;
    const char *owner = registry_disk_owner(jobs->reg, disk->uuid);
    CirObject *vm = owner ? registry_lookup(jobs->reg, KIND_VM, owner) : NULL;
    g_autoptr(GHashTable) trusted =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);

    if (registry_vm_is_active(vm)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY,
                    "The disk '%s' is used by the VM '%s', which is %s: stop it first, so "
                    "the copy is consistent",
                    disk->name, vm->name, ((CirVM *)vm)->state);
        return NULL;
    }
    /* The source's settings; the client's changes apply over them. */
    static const char *const copied[] = {"Description", "Format", "Bus",
                                         "NoCache",     "Direct", "ReadOnly"};
    for (size_t i = 0; i < G_N_ELEMENTS(copied); i++) {
        const Field *f = object_class_find_field(object_class(KIND_DISK), copied[i]);
        g_hash_table_insert(trusted, (char *)copied[i], g_variant_ref_sink(field_get(disk, f)));
    }
    CirObject *obj = registry_prepare(jobs->reg, KIND_DISK, name, changes, trusted, error);
    if (!obj)
        return NULL;
    g_autofree char *path = registry_disk_path(jobs->reg, disk->uuid);
    int src = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (src < 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to open %s: %s", path,
                    g_strerror(errno));
        registry_discard(jobs->reg, obj);
        return NULL;
    }
    Job *job = job_start(jobs, JOB_CLONE_DISK, obj, src, source->size, callbacks, data, error);
    if (!job)
        return NULL;
    job->size = source->size;
    job->source_disk = g_strdup(disk->uuid);
    job->copy.try_reflink = true;
    if (!job_run(job, error)) {
        job_drop(job);
        return NULL;
    }
    g_message("Job %u: cloning the disk '%s' as '%s'", job->id, disk->name, name);
    return job;
}

void job_cancel(Job *job)
{
    if (job->awaiting_commit) {
        g_autoptr(GError) error =
            g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED,
                        "The import of '%s' was cancelled: nothing was kept", job->target);
        job_abort(job, error);
        return;
    }
    if (g_cancellable_is_cancelled(job->cancel))
        return;
    g_cancellable_cancel(job->cancel);
    set_state(job, "cancelling");
    notify(job, "State", NULL);
}

void jobs_free(Jobs *jobs)
{
    if (!jobs)
        return;
    g_autoptr(GPtrArray) all = jobs_list(jobs);
    for (guint i = 0; i < all->len; i++) {
        Job *job = all->pdata[i];
        g_autoptr(GError) error =
            g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED,
                        "cirrinad is shutting down: the %s of '%s' was "
                        "cancelled and nothing was kept",
                        job->kind == JOB_CLONE_DISK ? "clone" : "import", job->target);
        g_cancellable_cancel(job->cancel);
        if (job->thread)
            g_thread_join(g_steal_pointer(&job->thread));
        g_mutex_lock(&jobs->lock);
        if (job->finished_idle)
            g_source_remove(job->finished_idle);
        job->finished_idle = 0;
        g_mutex_unlock(&jobs->lock);
        job_end(job, NULL, error);
    }
    if (jobs->tick)
        g_source_remove(jobs->tick);
    g_hash_table_unref(jobs->jobs);
    g_mutex_clear(&jobs->lock);
    g_free(jobs);
}

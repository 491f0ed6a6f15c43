/* Jobs: storage work that takes time (imports, clones), done by a worker
 * thread while the daemon serves everyone else.
 *
 * A job makes a new disk or ISO: the object is prepared (its name taken,
 * its settings checked) when the job starts, its file filled under a
 * partial name by the worker, and the object stored only once the data is
 * complete and verified; a job that fails or is cancelled leaves no file
 * and no row. Each job is visible while it runs (kind, target, bytes,
 * state), announced through an observer as the registry's objects are,
 * and ends by calling its done callback once. No D-Bus here: bus/job.c
 * shows jobs as org.cirrina.Job objects. */
#pragma once

#include "core/registry.h"

typedef struct Jobs Jobs;
typedef struct Job Job;

typedef struct {
    void (*added)(void *data, const Job *job);
    void (*changed)(void *data, const Job *job, const char *const *properties);
    /* Called while the job is still findable, before it is freed. */
    void (*removed)(void *data, const Job *job);
} JobObserver;

typedef struct {
    /* Optional: the data is complete and checked. The job then waits for
     * job_commit() or job_abort() (e.g. to ask whether the caller is still
     * there), which may be called from here. */
    void (*copied)(Job *job, void *data);
    /* The job ended: the new object, or NULL and why. Called once. */
    void (*done)(CirObject *obj, const GError *error, void *data);
} JobCallbacks;

/* How often, at most, progress is announced. */
#define JOB_PROGRESS_INTERVAL_MS 100
/* Jobs running at once, at most; more are refused with Busy. */
#define JOBS_MAX 16

Jobs *jobs_new(Registry *reg);
/* Cancels every job, waits for its worker, and ends it (done is called
 * with CIRRINA_ERROR_CANCELLED): nothing is left of them. */
void jobs_free(Jobs *jobs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Jobs, jobs_free)
void jobs_set_observer(Jobs *jobs, const JobObserver *observer, void *data);

Job *jobs_lookup(Jobs *jobs, guint id);
/* Every running job, by id; borrowed pointers. */
GPtrArray *jobs_list(Jobs *jobs);
/* Whether a job reads the disk (a clone's source). */
bool jobs_disk_is_read(Jobs *jobs, const char *disk_uuid);

/* Imports the data of fd (a pipe or a regular file, read whole; fd is
 * duplicated, the caller keeps its own) as a new disk or ISO. changes: the
 * new object's settings, as from a client. size: the bytes announced, 0
 * if unknown (the data must then end with the pipe). sha256: the expected
 * SHA-256 in hex, or NULL. A disk's Size is the data's length rounded up
 * to a multiple of 512; an ISO's SHA256 is always computed. */
Job *jobs_import(Jobs *jobs, ObjectKind kind, const char *name, int fd, GHashTable *changes,
                 uint64_t size, const char *sha256, const JobCallbacks *callbacks, void *data,
                 GError **error);
/* Copies a disk (settings and contents; changes override the settings)
 * as a new disk named name: a reflink where the file system can, else
 * copy_file_range, holes kept. Busy while the disk's VM runs. */
Job *jobs_clone_disk(Jobs *jobs, CirObject *disk, const char *name, GHashTable *changes,
                     const JobCallbacks *callbacks, void *data, GError **error);

/* Stops the job; it ends with CIRRINA_ERROR_CANCELLED once its worker has
 * stopped. */
void job_cancel(Job *job);
/* After JobCallbacks.copied: store the object, or drop everything. */
void job_commit(Job *job);
void job_abort(Job *job, const GError *error);

guint job_id(const Job *job);
/* "import-disk", "import-iso", "clone-disk" */
const char *job_kind(const Job *job);
/* The name of the object being made. */
const char *job_target(const Job *job);
/* "running", "cancelling"; at the end "completed", "failed", "cancelled". */
const char *job_state(const Job *job);
uint64_t job_bytes_done(const Job *job);
/* 0 while unknown (a pipe without an announced size). */
uint64_t job_bytes_total(const Job *job);
/* 0 to 1; 0 while the total is unknown. */
double job_progress(const Job *job);
/* Whether only the end of a pipe tells where the data ends: no size was
 * announced, so a writer that died looks like a shorter image. */
bool job_is_open_ended(const Job *job);

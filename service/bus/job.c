/* org.cirrina.Job at /org/cirrina/job/<n>: storage work in progress
 * (imports, clones), shown while it runs; and the calls that started it,
 * answered when it ends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus/object.h"
#include "core/errors.h"

#define JOB_PREFIX    CIRRINA_PATH "/job"
#define JOB_INTERFACE "org.cirrina.Job"

static Daemon *job_daemon;

static const struct {
    const char *name;
    const char *type;
} job_properties[] = {
    {"Kind", "s"},     {"Object", "s"},    {"State", "s"},
    {"Progress", "d"}, {"BytesDone", "t"}, {"BytesTotal", "t"},
};

/* --- paths --- */

static char *job_path(const Job *job)
{
    return g_strdup_printf(JOB_PREFIX "/%u", job_id(job));
}

bool bus_job_is_path(const char *path)
{
    return g_str_has_prefix(path, JOB_PREFIX "/");
}

static Job *job_from_path(const char *path)
{
    guint64 id;

    if (!job_daemon || !bus_job_is_path(path))
        return NULL;
    path += strlen(JOB_PREFIX "/");
    if (!g_ascii_isdigit(path[0]) || !g_ascii_string_to_unsigned(path, 10, 1, G_MAXUINT, &id, NULL))
        return NULL;
    return jobs_lookup(job_daemon->jobs, (guint)id);
}

/* --- properties --- */

static int append_property(sd_bus_message *reply, const Job *job, const char *property)
{
    if (strcmp(property, "Kind") == 0)
        return sd_bus_message_append(reply, "s", job_kind(job));
    if (strcmp(property, "Object") == 0)
        return sd_bus_message_append(reply, "s", job_target(job));
    if (strcmp(property, "State") == 0)
        return sd_bus_message_append(reply, "s", job_state(job));
    if (strcmp(property, "Progress") == 0)
        return sd_bus_message_append(reply, "d", job_progress(job));
    if (strcmp(property, "BytesDone") == 0)
        return sd_bus_message_append(reply, "t", job_bytes_done(job));
    if (strcmp(property, "BytesTotal") == 0)
        return sd_bus_message_append(reply, "t", job_bytes_total(job));
    return -ENOENT;
}

static int append_property_variant(sd_bus_message *reply, const Job *job, size_t i)
{
    int r = sd_bus_message_open_container(reply, 'v', job_properties[i].type);

    if (r >= 0)
        r = append_property(reply, job, job_properties[i].name);
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int append_all_properties(sd_bus_message *reply, const Job *job)
{
    int r = sd_bus_message_open_container(reply, 'a', "{sv}");

    for (size_t i = 0; r >= 0 && i < G_N_ELEMENTS(job_properties); i++) {
        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
            r = sd_bus_message_append(reply, "s", job_properties[i].name);
        if (r >= 0)
            r = append_property_variant(reply, job, i);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int job_get_property(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
    return append_property(reply, userdata, property);
}

int bus_job_append_managed(sd_bus_message *reply)
{
    static const char *const standard[] = {"org.freedesktop.DBus.Peer",
                                           "org.freedesktop.DBus.Introspectable",
                                           "org.freedesktop.DBus.Properties"};
    g_autoptr(GPtrArray) all = jobs_list(job_daemon->jobs);
    int r = 0;

    for (guint i = 0; r >= 0 && i < all->len; i++) {
        g_autofree char *path = job_path(all->pdata[i]);
        r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
        if (r >= 0)
            r = sd_bus_message_append(reply, "o", path);
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
        for (size_t s = 0; r >= 0 && s < G_N_ELEMENTS(standard); s++)
            r = sd_bus_message_append(reply, "{sa{sv}}", standard[s], 0);
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
        if (r >= 0)
            r = sd_bus_message_append(reply, "s", JOB_INTERFACE);
        if (r >= 0)
            r = append_all_properties(reply, all->pdata[i]);
        for (int level = 0; r >= 0 && level < 3; level++)
            r = sd_bus_message_close_container(reply);
    }
    return r;
}

int bus_job_answer_read(sd_bus_message *reply, const char *path, const char *iface,
                        const char *property, sd_bus_error *error)
{
    Job *job = job_from_path(path);
    int r;

    if (!job)
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.", path);
    if (strcmp(iface, JOB_INTERFACE) != 0) {
        if (strncmp(iface, "org.freedesktop.DBus.", 21) != 0)
            return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                     "Unknown interface '%s'.", iface);
        if (property)
            return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY,
                                     "Unknown interface %s or property %s.", iface, property);
        return sd_bus_message_append(reply, "a{sv}", 0);
    }
    if (!property)
        return append_all_properties(reply, job);
    for (size_t i = 0; i < G_N_ELEMENTS(job_properties); i++)
        if (strcmp(property, job_properties[i].name) == 0) {
            r = append_property_variant(reply, job, i);
            return r;
        }
    return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property '%s'.",
                             property);
}

/* --- calls answered when their job ends --- */

typedef struct {
    Daemon *d;
    sd_bus_message *m;
    char *sender;
    sd_bus_slot *slot;  /* asking the bus whether the caller is still there */
    sd_bus_slot *watch; /* open-ended imports: the caller leaving the bus ... */
    sd_bus_slot *probe; /* ... or having left before the watch was in place */
    Job *job;
} PendingCall;

static void pending_free(PendingCall *p)
{
    sd_bus_slot_unref(p->slot);
    sd_bus_slot_unref(p->watch);
    sd_bus_slot_unref(p->probe);
    sd_bus_message_unref(p->m);
    g_free(p->sender);
    g_free(p);
}

static void call_done(CirObject *obj, const GError *gerror, void *data)
{
    PendingCall *p = data;
    int r;

    if (obj) {
        r = bus_reply_object_path(p->m, p->d->reg, obj);
    } else {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        bus_error_from_gerror(&error, gerror);
        r = sd_bus_reply_method_error(p->m, &error);
    }
    if (r < 0)
        g_debug("Cannot answer %s: %s", sd_bus_message_get_member(p->m), g_strerror(-r));
    pending_free(p);
}

static int caller_checked(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    PendingCall *p = userdata;

    p->slot = sd_bus_slot_unref(p->slot);
    if (sd_bus_message_is_method_error(reply, NULL)) {
        g_autoptr(GError) error = g_error_new(
            CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
            "The caller left the bus before the import of '%s' completed: the pipe's end may be "
            "a writer that died, so nothing was kept (announce Size to import without waiting "
            "for the answer)",
            job_target(p->job));
        job_abort(p->job, error);
    } else {
        job_commit(p->job);
    }
    return 0;
}

/* A pipe of unknown length ends when its writer closes it, or dies: only
 * commit if the caller is still there to wait for the answer. */
static void call_copied(Job *job, void *data)
{
    PendingCall *p = data;
    int r;

    if (!job_is_open_ended(job) || !p->sender) {
        job_commit(job);
        return;
    }
    p->job = job;
    r = sd_bus_call_method_async(p->d->bus, &p->slot, "org.freedesktop.DBus",
                                 "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                                 caller_checked, p, "s", p->sender);
    if (r < 0) {
        g_autoptr(GError) error =
            g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                        "Failed to check that the caller is still there: %s", g_strerror(-r));
        job_abort(job, error);
    }
}

static const JobCallbacks call_callbacks = {
    .copied = call_copied,
    .done = call_done,
};

/* An open-ended import whose caller has left could never be kept (see
 * call_copied): it is cancelled at once rather than when its writer, who
 * may live on, closes the pipe. Once the data is in, the check that
 * call_copied started ends it instead. */
static void caller_left(PendingCall *p)
{
    if (p->slot)
        return;
    g_message("Job %u: the caller %s left the bus; the import of '%s' could not be kept, so it "
              "is cancelled",
              job_id(p->job), p->sender, job_target(p->job));
    job_cancel(p->job);
}

static int caller_gone_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *name, *old_owner, *new_owner;

    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && !new_owner[0])
        caller_left(userdata);
    return 0;
}

static int caller_probed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    PendingCall *p = userdata;

    p->probe = sd_bus_slot_unref(p->probe);
    if (sd_bus_message_is_method_error(reply, NULL))
        caller_left(p);
    return 0;
}

static int watch_installed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    PendingCall *p = userdata;

    if (sd_bus_message_is_method_error(reply, NULL) ||
        sd_bus_call_method_async(p->d->bus, &p->probe, "org.freedesktop.DBus",
                                 "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                                 caller_probed, p, "s", p->sender) < 0)
        g_debug("Job %u: cannot watch its caller %s", job_id(p->job), p->sender);
    return 0;
}

static void watch_caller(PendingCall *p)
{
    g_autofree char *match =
        g_strdup_printf("type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                        p->sender);
    int r =
        sd_bus_add_match_async(p->d->bus, &p->watch, match, caller_gone_signal, watch_installed, p);

    if (r < 0)
        g_debug("Job %u: cannot watch its caller %s: %s", job_id(p->job), p->sender,
                g_strerror(-r));
}

static PendingCall *pending_new(Daemon *d, sd_bus_message *m)
{
    PendingCall *p = g_new0(PendingCall, 1);

    p->d = d;
    p->m = sd_bus_message_ref(m);
    p->sender = g_strdup(sd_bus_message_get_sender(m));
    return p;
}

int bus_job_import(Daemon *d, sd_bus_message *m, ObjectKind kind, const char *name, int fd,
                   GHashTable *options, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    GVariant *value;
    g_autoptr(GVariant) size = NULL, sha256 = NULL;

    /* What describes the data; the rest are the new object's settings. */
    if ((value = g_hash_table_lookup(options, "Size")))
        size = g_variant_ref(value);
    if ((value = g_hash_table_lookup(options, "SHA256")))
        sha256 = g_variant_ref(value);
    g_hash_table_remove(options, "Size");
    g_hash_table_remove(options, "SHA256");
    if (size && g_variant_get_uint64(size) == 0)
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                 "Size=0: an import needs data; leave Size out when the length "
                                 "is not known");
    PendingCall *p = pending_new(d, m);
    Job *job = jobs_import(d->jobs, kind, name, fd, options, size ? g_variant_get_uint64(size) : 0,
                           sha256 ? g_variant_get_string(sha256, NULL) : NULL, &call_callbacks, p,
                           &gerror);
    if (!job) {
        pending_free(p);
        return bus_error_from_gerror(error, gerror);
    }
    p->job = job;
    if (job_is_open_ended(job) && p->sender)
        watch_caller(p);
    return 1;
}

int bus_job_clone_disk(Daemon *d, sd_bus_message *m, CirObject *disk, const char *name,
                       GHashTable *options, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    PendingCall *p = pending_new(d, m);
    Job *job = jobs_clone_disk(d->jobs, disk, name, options, &call_callbacks, p, &gerror);

    if (!job) {
        pending_free(p);
        return bus_error_from_gerror(error, gerror);
    }
    return 1;
}

/* --- methods --- */

static int cancel_job(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    Job *job = job_from_path(sd_bus_message_get_path(m));

    if (!job)
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_NOT_FOUND, "The job %s has ended",
                                 sd_bus_message_get_path(m));
    job_cancel(job);
    return sd_bus_reply_method_return(m, NULL);
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_DISK), cancel_job, error);
}

static const sd_bus_vtable job_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Kind", "s", job_get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Object", "s", job_get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("State", "s", job_get_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Progress", "d", job_get_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BytesDone", "t", job_get_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BytesTotal", "t", job_get_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_METHOD("Cancel", "", "", method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* --- registration and signals --- */

static int job_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                    void **found, sd_bus_error *error)
{
    Job *job = job_from_path(path);

    if (!job)
        return 0;
    *found = job;
    return 1;
}

static int job_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                         sd_bus_error *error)
{
    g_autoptr(GPtrArray) all = jobs_list(job_daemon->jobs);
    char **paths = g_new0(char *, all->len + 1);

    for (guint i = 0; i < all->len; i++)
        paths[i] = job_path(all->pdata[i]);
    *nodes = paths;
    return 0;
}

static void on_added(void *data, const Job *job)
{
    Daemon *d = data;
    g_autofree char *path = job_path(job);
    int r = sd_bus_emit_object_added(d->bus, path);

    if (r < 0)
        g_warning("Failed to announce %s: %s", path, g_strerror(-r));
}

static void on_changed(void *data, const Job *job, const char *const *properties)
{
    Daemon *d = data;
    g_autofree char *path = job_path(job);
    int r = sd_bus_emit_properties_changed_strv(d->bus, path, JOB_INTERFACE, (char **)properties);

    if (r < 0)
        g_warning("Failed to announce changes of %s: %s", path, g_strerror(-r));
}

static void on_removed(void *data, const Job *job)
{
    Daemon *d = data;
    g_autofree char *path = job_path(job);
    int r = sd_bus_emit_object_removed(d->bus, path);

    if (r < 0)
        g_warning("Failed to announce the end of %s: %s", path, g_strerror(-r));
}

static const JobObserver bus_job_observer = {
    .added = on_added,
    .changed = on_changed,
    .removed = on_removed,
};

int bus_job_register(Daemon *d)
{
    int r;

    job_daemon = d;
    jobs_set_observer(d->jobs, &bus_job_observer, d);
    r = sd_bus_add_fallback_vtable(d->bus, NULL, JOB_PREFIX, JOB_INTERFACE, job_vtable, job_find,
                                   NULL);
    if (r < 0)
        return r;
    return sd_bus_add_node_enumerator(d->bus, NULL, JOB_PREFIX, job_enumerate, NULL);
}

/* CirrinaImport: streams a file into cirrinad through a pipe, with progress and cancel. */
#include "cirrina-import.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>

/* What the pump reads and writes at a time: a pipe's worth (the pipe is
 * enlarged to this where the system allows). */
#define CHUNK_SIZE (1024 * 1024)
/* Progress notifications this often (ms) while the data flows. */
#define PROGRESS_INTERVAL 100

/* The copy from the file into the pipe, run in a worker thread: the main
 * loop may be busy drawing (a software-rendered frame takes tens of ms)
 * and the daemon must not wait for it. Shared with the main thread: done,
 * under lock. */
typedef struct {
    GInputStream *input;
    GOutputStream *output; /* the pipe's write end, non-blocking */
    GMutex lock;
    guint64 done;
} Pump;

static void pump_free(Pump *pump)
{
    g_object_unref(pump->input);
    g_object_unref(pump->output);
    g_mutex_clear(&pump->lock);
    g_free(pump);
}

struct _CirrinaImport {
    GObject parent_instance;

    CirrinaClient *client;
    CirrinaImportKind kind;
    char *name;
    GFile *file;
    GVariant *options;

    CirrinaImportState state;
    guint64 bytes_done;
    guint64 bytes_total;
    gboolean started;
    gboolean call_sent;
    gboolean finished;

    GCancellable *io_cancellable; /* the pump */
    GInputStream *input;          /* until the pump takes it */
    Pump *pump;                   /* while it runs */
    guint progress_timer;

    char *object_path;
    GError *error;
};

G_DEFINE_FINAL_TYPE(CirrinaImport, cirrina_import, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_BYTES_DONE,
    PROP_BYTES_TOTAL,
    PROP_FRACTION,
    PROP_STATE,
    N_PROPS,
};
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *method_name(CirrinaImportKind kind)
{
    return kind == CIRRINA_IMPORT_DISK ? "ImportDisk" : "ImportISO";
}

static const char *job_kind(CirrinaImportKind kind)
{
    return kind == CIRRINA_IMPORT_DISK ? "import-disk" : "import-iso";
}

static void set_state(CirrinaImport *self, CirrinaImportState state)
{
    if (self->state == state)
        return;
    self->state = state;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATE]);
}

static void notify_progress(CirrinaImport *self)
{
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BYTES_DONE]);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_FRACTION]);
}

static void stop_progress_timer(CirrinaImport *self)
{
    g_clear_handle_id(&self->progress_timer, g_source_remove);
}

static void finish(CirrinaImport *self, CirrinaImportState state)
{
    if (self->finished)
        return;
    self->finished = TRUE;
    /* Whatever still reads or writes has no more purpose. */
    g_cancellable_cancel(self->io_cancellable);
    stop_progress_timer(self);
    notify_progress(self);
    set_state(self, state);
    g_signal_emit(self, signals[SIGNAL_FINISHED], 0);
}

static void fail(CirrinaImport *self, GError *error)
{
    if (self->error == NULL)
        self->error = error;
    else
        g_error_free(error);
    finish(self, CIRRINA_IMPORT_STATE_FAILED);
}

static void take_progress(CirrinaImport *self)
{
    guint64 done;

    g_mutex_lock(&self->pump->lock);
    done = self->pump->done;
    g_mutex_unlock(&self->pump->lock);
    if (done != self->bytes_done) {
        self->bytes_done = done;
        notify_progress(self);
    }
}

static gboolean on_progress_timer(gpointer user_data)
{
    CirrinaImport *self = user_data;

    if (self->pump != NULL)
        take_progress(self);
    return G_SOURCE_CONTINUE;
}

/* In the worker: file -> pipe until the end, an error or the cancel;
 * always closes the pipe, which tells the daemon the data ended (short
 * after an error or a cancel, so that the import fails). */
static void pump_run(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Pump *pump = task_data;
    g_autofree guint8 *buffer = g_malloc(CHUNK_SIZE);
    g_autoptr(GError) error = NULL;

    for (;;) {
        gssize n = g_input_stream_read(pump->input, buffer, CHUNK_SIZE, cancellable, &error);
        gsize written = 0;

        if (n <= 0)
            break;
        /* The stream polls the pipe and the cancellable: a daemon that
         * stops reading cannot hold the thread past a cancel. */
        gboolean ok = g_output_stream_write_all(pump->output, buffer, (gsize)n, &written,
                                                cancellable, &error);
        g_mutex_lock(&pump->lock);
        pump->done += written;
        g_mutex_unlock(&pump->lock);
        if (!ok)
            break;
    }
    g_output_stream_close(pump->output, NULL, NULL);
    if (error != NULL)
        g_task_return_error(task, g_steal_pointer(&error));
    else
        g_task_return_boolean(task, TRUE);
}

static void on_pump_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    CirrinaImport *self = CIRRINA_IMPORT(source);
    g_autoptr(GError) error = NULL;
    gboolean complete = g_task_propagate_boolean(G_TASK(result), &error);

    take_progress(self);
    self->pump = NULL; /* the task frees it */
    stop_progress_timer(self);
    if (complete) {
        if (self->state == CIRRINA_IMPORT_STATE_RUNNING)
            set_state(self, CIRRINA_IMPORT_STATE_FINISHING);
        return;
    }
    /* Cancelled, or the daemon stopped reading (a broken pipe): the
     * answer to the call tells the outcome. A file we could not read is
     * ours to explain; the daemon then fails the short import. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) || self->finished)
        return;
    g_prefix_error(&error, "Could not read %s: ", g_file_peek_path(self->file));
    fail(self, g_steal_pointer(&error));
}

static void start_pump(CirrinaImport *self, GOutputStream *output)
{
    g_autoptr(GTask) task = g_task_new(self, self->io_cancellable, on_pump_done, NULL);
    Pump *pump = g_new0(Pump, 1);

    pump->input = g_steal_pointer(&self->input);
    pump->output = output;
    g_mutex_init(&pump->lock);
    self->pump = pump;
    g_task_set_task_data(task, pump, (GDestroyNotify)pump_free);
    g_task_run_in_thread(task, pump_run);
    self->progress_timer = g_timeout_add(PROGRESS_INTERVAL, on_progress_timer, self);
}

static void on_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaImport) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_with_fds_finish(source, NULL, result, &error);

    if (reply != NULL) {
        g_variant_get(reply, "(o)", &self->object_path);
        self->bytes_done = self->bytes_total;
        finish(self, CIRRINA_IMPORT_STATE_COMPLETED);
        return;
    }
    /* After a cancel the daemon answers Cancelled (the job's Cancel) or
     * InvalidArgument (the data ended short): both are the cancel. */
    if (self->state == CIRRINA_IMPORT_STATE_CANCELLING) {
        finish(self, CIRRINA_IMPORT_STATE_CANCELLED);
        return;
    }
    fail(self, g_steal_pointer(&error));
}

/* The a{sv} of the call: the caller's options with Size added, so that the
 * job knows its total and a short stream fails instead of being kept. */
static GVariant *call_options(CirrinaImport *self)
{
    GVariantBuilder builder;
    GVariantIter iter;
    const char *key;
    GVariant *value;

    g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
    if (self->options != NULL) {
        g_variant_iter_init(&iter, self->options);
        while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
            if (g_strcmp0(key, "Size") != 0)
                g_variant_builder_add(&builder, "{sv}", key, value);
            g_variant_unref(value);
        }
    }
    g_variant_builder_add(&builder, "{sv}", "Size", g_variant_new_uint64(self->bytes_total));
    return g_variant_builder_end(&builder);
}

static void start_call(CirrinaImport *self)
{
    g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
    g_autoptr(GError) error = NULL;
    GOutputStream *output;
    int fds[2];

    if (!g_unix_open_pipe(fds, FD_CLOEXEC, &error)) {
        fail(self, g_steal_pointer(&error));
        return;
    }
#ifdef F_SETPIPE_SZ
    /* A larger pipe: fewer wake-ups on both sides. Best effort. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, CHUNK_SIZE);
#endif
    /* Non-blocking, so that the pump's writes wait in poll() together with
     * the cancellable: a cancel always gets through. */
    if (!g_unix_set_fd_nonblocking(fds[1], TRUE, &error) ||
        g_unix_fd_list_append(fd_list, fds[0], &error) < 0) {
        close(fds[0]);
        close(fds[1]);
        fail(self, g_steal_pointer(&error));
        return;
    }
    close(fds[0]); /* the list holds its own copy */
    output = g_unix_output_stream_new(fds[1], TRUE);

    CirrinaManager *manager = cirrina_client_get_manager(self->client);
    if (manager == NULL) {
        g_object_unref(output);
        fail(self, g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "Not connected to cirrinad"));
        return;
    }
    /* No cancellable: even a cancelled import waits for the daemon's
     * answer, which says that nothing was kept. */
    self->call_sent = TRUE;
    cirrina_proxy_call_with_fds(manager, method_name(self->kind),
                                g_variant_new("(sh@a{sv})", self->name, 0, call_options(self)),
                                fd_list, NULL, on_reply, g_object_ref(self));
    start_pump(self, output);
}

static void on_info(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaImport) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GFileInfo) info =
        g_file_input_stream_query_info_finish(G_FILE_INPUT_STREAM(source), result, &error);

    if (self->state == CIRRINA_IMPORT_STATE_CANCELLING) {
        finish(self, CIRRINA_IMPORT_STATE_CANCELLED);
        return;
    }
    if (info == NULL) {
        fail(self, g_steal_pointer(&error));
        return;
    }
    if (g_file_info_get_file_type(info) != G_FILE_TYPE_REGULAR) {
        fail(self, g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s is not a file",
                               g_file_peek_path(self->file)));
        return;
    }
    self->bytes_total = (guint64)g_file_info_get_size(info);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BYTES_TOTAL]);
    notify_progress(self);
    start_call(self);
}

static void on_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaImport) self = user_data;
    g_autoptr(GError) error = NULL;
    GFileInputStream *input = g_file_read_finish(G_FILE(source), result, &error);

    if (self->state == CIRRINA_IMPORT_STATE_CANCELLING) {
        g_clear_object(&input);
        finish(self, CIRRINA_IMPORT_STATE_CANCELLED);
        return;
    }
    if (input == NULL) {
        fail(self, g_steal_pointer(&error));
        return;
    }
    self->input = G_INPUT_STREAM(input);
    g_file_input_stream_query_info_async(
        input, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
        G_PRIORITY_DEFAULT, NULL, on_info, g_object_ref(self));
}

void cirrina_import_start(CirrinaImport *self)
{
    g_return_if_fail(CIRRINA_IS_IMPORT(self));
    g_return_if_fail(!self->started);

    self->started = TRUE;
    /* A daemon that stops reading must give us EPIPE, not kill the app. */
    signal(SIGPIPE, SIG_IGN);
    g_file_read_async(self->file, G_PRIORITY_DEFAULT, NULL, on_opened, g_object_ref(self));
}

static void on_job_cancelled(GObject *source, GAsyncResult *result, gpointer user_data)
{
    /* A job that already ended answers with an error: the import's own
     * answer is what counts. */
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, NULL);
}

/* The daemon's Job for this import: the one of our kind making our name
 * (names are unique per kind, also among running jobs). */
static GDBusProxy *find_job(CirrinaImport *self)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);
    GDBusProxy *found = NULL;

    if (manager == NULL)
        return NULL;
    GList *objects = g_dbus_object_manager_get_objects(manager);
    for (GList *l = objects; l != NULL && found == NULL; l = l->next) {
        g_autoptr(GDBusInterface) job = g_dbus_object_get_interface(l->data, "org.cirrina.Job");
        if (job == NULL)
            continue;
        g_autoptr(GVariant) kind = g_dbus_proxy_get_cached_property(G_DBUS_PROXY(job), "Kind");
        g_autoptr(GVariant) object = g_dbus_proxy_get_cached_property(G_DBUS_PROXY(job), "Object");
        if (kind != NULL && object != NULL &&
            g_strcmp0(g_variant_get_string(kind, NULL), job_kind(self->kind)) == 0 &&
            g_strcmp0(g_variant_get_string(object, NULL), self->name) == 0)
            found = G_DBUS_PROXY(g_steal_pointer(&job));
    }
    g_list_free_full(objects, g_object_unref);
    return found;
}

void cirrina_import_cancel(CirrinaImport *self)
{
    g_return_if_fail(CIRRINA_IS_IMPORT(self));

    if (self->finished || self->state == CIRRINA_IMPORT_STATE_CANCELLING)
        return;
    set_state(self, CIRRINA_IMPORT_STATE_CANCELLING);
    if (!self->started) {
        finish(self, CIRRINA_IMPORT_STATE_CANCELLED);
        return;
    }
    /* Stops the pump, which closes the pipe. */
    g_cancellable_cancel(self->io_cancellable);
    if (!self->call_sent)
        return; /* on_opened/on_info end it */

    g_autoptr(GDBusProxy) job = find_job(self);
    if (job != NULL)
        cirrina_proxy_call(job, "Cancel", NULL, NULL, on_job_cancelled, NULL);
}

CirrinaImport *cirrina_import_new(CirrinaClient *client, CirrinaImportKind kind, const char *name,
                                  GFile *file, GVariant *options)
{
    CirrinaImport *self;

    g_return_val_if_fail(CIRRINA_IS_CLIENT(client), NULL);
    g_return_val_if_fail(name != NULL, NULL);
    g_return_val_if_fail(G_IS_FILE(file), NULL);

    self = g_object_new(CIRRINA_TYPE_IMPORT, NULL);
    self->client = g_object_ref(client);
    self->kind = kind;
    self->name = g_strdup(name);
    self->file = g_object_ref(file);
    if (options != NULL)
        self->options = g_variant_ref_sink(options);
    return self;
}

CirrinaImportKind cirrina_import_get_kind(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), CIRRINA_IMPORT_DISK);
    return self->kind;
}

const char *cirrina_import_get_name(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), NULL);
    return self->name;
}

GFile *cirrina_import_get_file(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), NULL);
    return self->file;
}

guint64 cirrina_import_get_bytes_done(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), 0);
    return self->bytes_done;
}

guint64 cirrina_import_get_bytes_total(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), 0);
    return self->bytes_total;
}

double cirrina_import_get_fraction(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), 0.0);
    if (self->state == CIRRINA_IMPORT_STATE_COMPLETED)
        return 1.0;
    if (self->bytes_total == 0)
        return 0.0;
    return MIN(1.0, (double)self->bytes_done / (double)self->bytes_total);
}

CirrinaImportState cirrina_import_get_state(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), CIRRINA_IMPORT_STATE_FAILED);
    return self->state;
}

gboolean cirrina_import_is_finished(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), TRUE);
    return self->finished;
}

const char *cirrina_import_get_object_path(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), NULL);
    return self->object_path;
}

const GError *cirrina_import_get_error(CirrinaImport *self)
{
    g_return_val_if_fail(CIRRINA_IS_IMPORT(self), NULL);
    return self->error;
}

static void cirrina_import_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
    CirrinaImport *self = CIRRINA_IMPORT(object);

    switch (prop_id) {
    case PROP_BYTES_DONE:
        g_value_set_uint64(value, self->bytes_done);
        break;
    case PROP_BYTES_TOTAL:
        g_value_set_uint64(value, self->bytes_total);
        break;
    case PROP_FRACTION:
        g_value_set_double(value, cirrina_import_get_fraction(self));
        break;
    case PROP_STATE:
        g_value_set_int(value, self->state);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_import_dispose(GObject *object)
{
    CirrinaImport *self = CIRRINA_IMPORT(object);

    g_cancellable_cancel(self->io_cancellable);
    stop_progress_timer(self);
    g_clear_object(&self->input);
    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_import_parent_class)->dispose(object);
}

static void cirrina_import_finalize(GObject *object)
{
    CirrinaImport *self = CIRRINA_IMPORT(object);

    g_clear_object(&self->io_cancellable);
    g_clear_object(&self->file);
    g_clear_pointer(&self->options, g_variant_unref);
    g_free(self->name);
    g_free(self->object_path);
    g_clear_error(&self->error);
    G_OBJECT_CLASS(cirrina_import_parent_class)->finalize(object);
}

static void cirrina_import_class_init(CirrinaImportClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = cirrina_import_get_property;
    object_class->dispose = cirrina_import_dispose;
    object_class->finalize = cirrina_import_finalize;

    properties[PROP_BYTES_DONE] =
        g_param_spec_uint64("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_BYTES_TOTAL] =
        g_param_spec_uint64("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_FRACTION] =
        g_param_spec_double("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_STATE] =
        g_param_spec_int("state", NULL, NULL, CIRRINA_IMPORT_STATE_RUNNING,
                         CIRRINA_IMPORT_STATE_CANCELLED, CIRRINA_IMPORT_STATE_RUNNING,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    signals[SIGNAL_FINISHED] = g_signal_new("finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void cirrina_import_init(CirrinaImport *self)
{
    self->io_cancellable = g_cancellable_new();
    self->state = CIRRINA_IMPORT_STATE_RUNNING;
}

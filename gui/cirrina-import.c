/* CirrinaImport: streams a file into cirrinad through a pipe, with progress and cancel. */
#include "cirrina-import.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>

/* Big enough that the main loop is not woken for every few kilobytes, small
 * enough that progress moves smoothly and little memory is used. */
#define CHUNK_SIZE (1024 * 1024)
/* Progress notifications at most this often (µs). */
#define NOTIFY_INTERVAL (100 * 1000)

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
    gint64 last_notify;
    gboolean started;
    gboolean call_sent;
    gboolean finished;

    GCancellable *io_cancellable; /* reading the file, writing the pipe */
    GInputStream *input;
    GOutputStream *output; /* the pipe's write end; NULL once closed */
    GBytes *chunk;         /* being written */

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

static void notify_progress(CirrinaImport *self, gboolean force)
{
    gint64 now = g_get_monotonic_time();

    if (!force && now - self->last_notify < NOTIFY_INTERVAL)
        return;
    self->last_notify = now;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BYTES_DONE]);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_FRACTION]);
}

static void finish(CirrinaImport *self, CirrinaImportState state)
{
    if (self->finished)
        return;
    self->finished = TRUE;
    /* Whatever still reads or writes has no more purpose. */
    g_cancellable_cancel(self->io_cancellable);
    notify_progress(self, TRUE);
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

/* Closing the write end tells the daemon the data ended: complete after
 * the last chunk, short (so the import fails) after a cancel. */
static void close_output(CirrinaImport *self)
{
    if (self->output == NULL)
        return;
    g_output_stream_close(self->output, NULL, NULL);
    g_clear_object(&self->output);
}

static void read_next(CirrinaImport *self);

static void on_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaImport) self = user_data;
    g_autoptr(GError) error = NULL;
    gsize written = 0;

    g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, &written, &error);
    g_clear_pointer(&self->chunk, g_bytes_unref);
    self->bytes_done += written;
    if (error != NULL || g_cancellable_is_cancelled(self->io_cancellable)) {
        /* Cancelled, or the daemon stopped reading (a broken pipe): its
         * answer to the call tells why. */
        close_output(self);
        return;
    }
    notify_progress(self, FALSE);
    read_next(self);
}

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaImport) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes =
        g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, &error);

    if (g_cancellable_is_cancelled(self->io_cancellable)) {
        close_output(self);
        return;
    }
    if (bytes == NULL) {
        /* The daemon sees the data end short and fails the import; the
         * user learns why from here. */
        g_prefix_error(&error, "Could not read %s: ", g_file_peek_path(self->file));
        close_output(self);
        fail(self, g_steal_pointer(&error));
        return;
    }
    if (g_bytes_get_size(bytes) == 0) {
        close_output(self);
        notify_progress(self, TRUE);
        if (self->state == CIRRINA_IMPORT_STATE_RUNNING)
            set_state(self, CIRRINA_IMPORT_STATE_FINISHING);
        return;
    }
    self->chunk = g_steal_pointer(&bytes);
    g_output_stream_write_all_async(self->output, g_bytes_get_data(self->chunk, NULL),
                                    g_bytes_get_size(self->chunk), G_PRIORITY_DEFAULT,
                                    self->io_cancellable, on_written, g_object_ref(self));
}

static void read_next(CirrinaImport *self)
{
    g_input_stream_read_bytes_async(self->input, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                    self->io_cancellable, on_read, g_object_ref(self));
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
    int fds[2];

    if (!g_unix_open_pipe(fds, FD_CLOEXEC, &error)) {
        fail(self, g_steal_pointer(&error));
        return;
    }
#ifdef F_SETPIPE_SZ
    /* A larger pipe: fewer wake-ups on both sides. Best effort. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, CHUNK_SIZE);
#endif
    /* Non-blocking, so that GIO writes it from the main loop when it has
     * room instead of blocking a thread. */
    if (!g_unix_set_fd_nonblocking(fds[1], TRUE, &error) ||
        g_unix_fd_list_append(fd_list, fds[0], &error) < 0) {
        close(fds[0]);
        close(fds[1]);
        fail(self, g_steal_pointer(&error));
        return;
    }
    close(fds[0]); /* the list holds its own copy */
    self->output = g_unix_output_stream_new(fds[1], TRUE);

    CirrinaManager *manager = cirrina_client_get_manager(self->client);
    if (manager == NULL) {
        close_output(self);
        fail(self, g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "Not connected to cirrinad"));
        return;
    }
    /* No cancellable: even a cancelled import waits for the daemon's
     * answer, which says that nothing was kept. */
    self->call_sent = TRUE;
    cirrina_proxy_call_with_fds(manager, method_name(self->kind),
                                g_variant_new("(sh@a{sv})", self->name, 0, call_options(self)),
                                fd_list, NULL, on_reply, g_object_ref(self));
    read_next(self);
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
    notify_progress(self, TRUE);
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
    /* Stops reading and writing; the pending operation's callback closes
     * the pipe (a stream cannot be closed while an operation is pending). */
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
    close_output(self);
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
    g_clear_pointer(&self->chunk, g_bytes_unref);
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

/* CirrinaSerialTerminal: a VTE terminal joined to a console socket. See the
 * header for what it does; here: the connection (reads fed into VTE, typed
 * text queued and written in order), the skipping of replayed output on
 * reattach, and following a VM's State. */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include <unistd.h>

#include "cirrina-client.h"
#include "cirrina-serial-terminal.h"

#define READ_CHUNK (64 * 1024)
/* The end of the guest's output kept to recognise it in a History replay. */
#define SEEN_TAIL_MAX 4096
/* Searched for first; the rest of the kept end confirms a match. */
#define FINGERPRINT_MAX 256
/* Stop waiting for the replay to reach what was seen after this much
 * quiet (the daemon sends the History at once). */
#define RESYNC_QUIET_MS 300
/* Reattaching after the console closed while the VM still runs (the daemon
 * restarted): how often, and how many times without output in between. */
#define REOPEN_DELAY_MS 1000
#define REOPEN_MAX      10

struct _CirrinaSerialTerminal {
    GtkWidget parent_instance;

    VteTerminal *vte;
    GtkWidget *scrollbar;

    /* The connection; cancel cancels its reads and writes. */
    GIOStream *stream;
    GCancellable *cancel;
    GByteArray *out_queue; /* typed, not yet written */
    gboolean writing;

    /* What the guest wrote last (fed into VTE), and, while resyncing after
     * a reattach, the replay gathered so far. */
    GByteArray *seen_tail;
    GByteArray *resync;
    guint resync_timeout;

    /* Following a VM. */
    CirrinaVM *vm;
    char *port;
    gulong state_handler;
    GCancellable *open_cancel; /* set while OpenConsole is in flight */
    guint reopen_source;
    guint reopen_count;
};

G_DEFINE_FINAL_TYPE(CirrinaSerialTerminal, cirrina_serial_terminal, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_ATTACHED, PROP_PORT, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_DISCONNECTED, SIGNAL_ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

static void start_read(CirrinaSerialTerminal *self);
static void maybe_open(CirrinaSerialTerminal *self);

/* --- output: the guest's bytes into VTE --- */

static void remember_seen(CirrinaSerialTerminal *self, const guint8 *data, gsize len)
{
    if (len >= SEEN_TAIL_MAX) {
        g_byte_array_set_size(self->seen_tail, 0);
        g_byte_array_append(self->seen_tail, data + len - SEEN_TAIL_MAX, SEEN_TAIL_MAX);
        return;
    }
    gsize keep = MIN(self->seen_tail->len, SEEN_TAIL_MAX - len);
    g_byte_array_remove_range(self->seen_tail, 0, self->seen_tail->len - (guint)keep);
    g_byte_array_append(self->seen_tail, data, (guint)len);
}

static void show(CirrinaSerialTerminal *self, const guint8 *data, gsize len)
{
    if (len == 0)
        return;
    vte_terminal_feed(self->vte, (const char *)data, (gssize)len);
    remember_seen(self, data, len);
}

/* Where what was seen ends in buf (the offset just after it), or -1: the
 * first place where the last FINGERPRINT_MAX seen bytes occur, confirmed by
 * as much of the seen end as buf holds before it. */
static gssize find_seen_end(CirrinaSerialTerminal *self, const guint8 *buf, gsize len)
{
    const guint8 *seen = self->seen_tail->data;
    gsize seen_len = self->seen_tail->len;
    gsize fp_len = MIN(seen_len, FINGERPRINT_MAX);
    const guint8 *fp = seen + seen_len - fp_len;

    for (gsize from = 0; from + fp_len <= len;) {
        const guint8 *hit = memmem(buf + from, len - from, fp, fp_len);
        if (!hit)
            return -1;
        gsize end = (gsize)(hit - buf) + fp_len;
        gsize context = MIN(end, seen_len);
        if (memcmp(buf + end - context, seen + seen_len - context, context) == 0)
            return (gssize)end;
        from = (gsize)(hit - buf) + 1;
    }
    return -1;
}

/* Ends resyncing: shows what the replay holds after what was seen (all of
 * it if what was seen is not in it: the replay starts later). */
static void resync_finish(CirrinaSerialTerminal *self)
{
    if (!self->resync)
        return;
    g_autoptr(GByteArray) buf = g_steal_pointer(&self->resync);
    g_clear_handle_id(&self->resync_timeout, g_source_remove);
    gssize end = find_seen_end(self, buf->data, buf->len);
    gsize from = end < 0 ? 0 : (gsize)end;
    show(self, buf->data + from, buf->len - from);
}

static gboolean resync_quiet(gpointer data)
{
    CirrinaSerialTerminal *self = data;

    self->resync_timeout = 0;
    resync_finish(self);
    return G_SOURCE_REMOVE;
}

static void received(CirrinaSerialTerminal *self, const guint8 *data, gsize len)
{
    if (!self->resync) {
        show(self, data, len);
        return;
    }
    g_byte_array_append(self->resync, data, (guint)len);
    gssize end = find_seen_end(self, self->resync->data, self->resync->len);
    if (end >= 0 || self->resync->len >= CIRRINA_SERIAL_TERMINAL_HISTORY) {
        resync_finish(self);
        return;
    }
    g_clear_handle_id(&self->resync_timeout, g_source_remove);
    self->resync_timeout = g_timeout_add(RESYNC_QUIET_MS, resync_quiet, self);
}

/* --- the connection --- */

static void close_connection(CirrinaSerialTerminal *self)
{
    resync_finish(self);
    if (self->cancel)
        g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
    if (self->stream)
        g_io_stream_close(self->stream, NULL, NULL);
    g_clear_object(&self->stream);
    g_byte_array_set_size(self->out_queue, 0);
    self->writing = FALSE;
}

static void reopen_later(CirrinaSerialTerminal *self);

/* The console closed (the VM stopped, or the daemon went away). */
static void lost(CirrinaSerialTerminal *self)
{
    close_connection(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ATTACHED]);
    g_signal_emit(self, signals[SIGNAL_DISCONNECTED], 0);
    reopen_later(self);
}

static void on_read(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes =
        g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* detached: self may be gone */
    CirrinaSerialTerminal *self = data;
    if (!bytes || g_bytes_get_size(bytes) == 0) {
        /* ECONNRESET and the like end the console as EOF does. */
        if (error)
            g_debug("Console %s closed: %s", self->port ? self->port : "", error->message);
        lost(self);
        return;
    }
    gsize len;
    const guint8 *buf = g_bytes_get_data(bytes, &len);
    self->reopen_count = 0;
    received(self, buf, len);
    start_read(self);
}

static void start_read(CirrinaSerialTerminal *self)
{
    GInputStream *in = g_io_stream_get_input_stream(self->stream);
    g_input_stream_read_bytes_async(in, READ_CHUNK, G_PRIORITY_DEFAULT, self->cancel, on_read,
                                    self);
}

static void write_next(CirrinaSerialTerminal *self);

static void on_written(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    gssize n = g_output_stream_write_bytes_finish(G_OUTPUT_STREAM(source), result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    CirrinaSerialTerminal *self = data;
    self->writing = FALSE;
    if (n < 0) {
        /* The read side sees the end too and reports it. */
        g_debug("Cannot write to the console: %s", error->message);
        g_byte_array_set_size(self->out_queue, 0);
        return;
    }
    g_byte_array_remove_range(self->out_queue, 0, (guint)n);
    write_next(self);
}

static void write_next(CirrinaSerialTerminal *self)
{
    if (self->writing || !self->stream || self->out_queue->len == 0)
        return;
    GOutputStream *out = g_io_stream_get_output_stream(self->stream);
    g_autoptr(GBytes) chunk = g_bytes_new(self->out_queue->data, self->out_queue->len);
    self->writing = TRUE;
    g_output_stream_write_bytes_async(out, chunk, G_PRIORITY_DEFAULT, self->cancel, on_written,
                                      self);
}

/* What the user typed (or pasted): to the guest, in order. */
static void on_commit(VteTerminal *vte, const char *text, guint size, gpointer data)
{
    CirrinaSerialTerminal *self = data;

    (void)vte;
    if (!self->stream)
        return;
    g_byte_array_append(self->out_queue, (const guint8 *)text, size);
    write_next(self);
}

void cirrina_serial_terminal_attach(CirrinaSerialTerminal *self, int fd)
{
    g_autoptr(GError) error = NULL;

    g_return_if_fail(CIRRINA_IS_SERIAL_TERMINAL(self));
    g_return_if_fail(fd >= 0);

    close_connection(self);
    g_autoptr(GSocket) socket = g_socket_new_from_fd(fd, &error);
    if (!socket) {
        close(fd);
        g_signal_emit(self, signals[SIGNAL_ERROR], 0, error);
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ATTACHED]);
        return;
    }
    self->stream = G_IO_STREAM(g_socket_connection_factory_create_connection(socket));
    self->cancel = g_cancellable_new();
    /* Something was shown before: the replay that opens this connection
     * repeats its end, which is skipped. */
    if (self->seen_tail->len > 0)
        self->resync = g_byte_array_new();
    start_read(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ATTACHED]);
}

void cirrina_serial_terminal_detach(CirrinaSerialTerminal *self)
{
    g_return_if_fail(CIRRINA_IS_SERIAL_TERMINAL(self));

    gboolean was_attached = self->stream != NULL;
    close_connection(self);
    if (was_attached)
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ATTACHED]);
}

gboolean cirrina_serial_terminal_get_attached(CirrinaSerialTerminal *self)
{
    g_return_val_if_fail(CIRRINA_IS_SERIAL_TERMINAL(self), FALSE);
    return self->stream != NULL;
}

/* --- following a VM --- */

static gboolean vm_running(CirrinaSerialTerminal *self)
{
    return self->vm && g_strcmp0(cirrina_vm_get_state(self->vm), "running") == 0;
}

static void on_opened(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_with_fds_finish(source, &fds, result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    CirrinaSerialTerminal *self = data;
    g_clear_object(&self->open_cancel);
    if (!reply) {
        /* Stopped again before the call arrived: the next start retries. */
        if (!vm_running(self))
            return;
        g_signal_emit(self, signals[SIGNAL_ERROR], 0, error);
        return;
    }
    gint32 handle = -1;
    g_variant_get(reply, "(h)", &handle);
    int fd = -1;
    if (fds)
        fd = g_unix_fd_list_get(fds, handle, &error);
    else
        g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED, "cirrinad sent no socket");
    if (fd < 0) {
        g_signal_emit(self, signals[SIGNAL_ERROR], 0, error);
        return;
    }
    cirrina_serial_terminal_attach(self, fd);
}

static void maybe_open(CirrinaSerialTerminal *self)
{
    if (self->stream || self->open_cancel || !vm_running(self))
        return;
    GVariantBuilder options;
    g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&options, "{sv}", "History",
                          g_variant_new_uint64(CIRRINA_SERIAL_TERMINAL_HISTORY));
    self->open_cancel = g_cancellable_new();
    cirrina_proxy_call_with_fds(self->vm, "OpenConsole",
                                g_variant_new("(sa{sv})", self->port, &options), NULL,
                                self->open_cancel, on_opened, self);
}

static gboolean reopen_now(gpointer data)
{
    CirrinaSerialTerminal *self = data;

    self->reopen_source = 0;
    maybe_open(self);
    return G_SOURCE_REMOVE;
}

/* After the console closed: if the VM still runs (the daemon restarted and
 * took it back), try again a little later; a stop ends it here and the next
 * State change to running opens it. */
static void reopen_later(CirrinaSerialTerminal *self)
{
    if (!vm_running(self) || self->reopen_source || self->reopen_count >= REOPEN_MAX)
        return;
    self->reopen_count++;
    self->reopen_source = g_timeout_add(REOPEN_DELAY_MS, reopen_now, self);
}

static void on_state(GObject *vm, GParamSpec *pspec, gpointer data)
{
    CirrinaSerialTerminal *self = data;

    (void)vm;
    (void)pspec;
    if (vm_running(self)) {
        self->reopen_count = 0;
        maybe_open(self);
    }
}

static void unfollow(CirrinaSerialTerminal *self)
{
    if (self->open_cancel)
        g_cancellable_cancel(self->open_cancel);
    g_clear_object(&self->open_cancel);
    g_clear_handle_id(&self->reopen_source, g_source_remove);
    if (self->vm)
        g_clear_signal_handler(&self->state_handler, self->vm);
    g_clear_object(&self->vm);
}

void cirrina_serial_terminal_follow(CirrinaSerialTerminal *self, CirrinaVM *vm, const char *port)
{
    g_return_if_fail(CIRRINA_IS_SERIAL_TERMINAL(self));
    g_return_if_fail(vm == NULL || CIRRINA_IS_VM(vm));

    unfollow(self);
    cirrina_serial_terminal_detach(self);
    if (g_strcmp0(self->port, port) != 0) {
        g_free(self->port);
        self->port = g_strdup(port ? port : "com1");
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PORT]);
    }
    if (!vm)
        return;
    self->vm = g_object_ref(vm);
    self->state_handler = g_signal_connect(vm, "notify::state", G_CALLBACK(on_state), self);
    self->reopen_count = 0;
    maybe_open(self);
}

const char *cirrina_serial_terminal_get_port(CirrinaSerialTerminal *self)
{
    g_return_val_if_fail(CIRRINA_IS_SERIAL_TERMINAL(self), NULL);
    return self->port;
}

VteTerminal *cirrina_serial_terminal_get_vte(CirrinaSerialTerminal *self)
{
    g_return_val_if_fail(CIRRINA_IS_SERIAL_TERMINAL(self), NULL);
    return self->vte;
}

/* --- the widget --- */

static gboolean grab_focus(GtkWidget *widget)
{
    CirrinaSerialTerminal *self = CIRRINA_SERIAL_TERMINAL(widget);
    return gtk_widget_grab_focus(GTK_WIDGET(self->vte));
}

static void get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    CirrinaSerialTerminal *self = CIRRINA_SERIAL_TERMINAL(object);

    switch (id) {
    case PROP_ATTACHED:
        g_value_set_boolean(value, self->stream != NULL);
        break;
    case PROP_PORT:
        g_value_set_string(value, self->port);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dispose(GObject *object)
{
    CirrinaSerialTerminal *self = CIRRINA_SERIAL_TERMINAL(object);

    unfollow(self);
    close_connection(self);
    g_clear_handle_id(&self->resync_timeout, g_source_remove);
    g_clear_pointer(&self->resync, g_byte_array_unref);
    if (self->vte) {
        gtk_widget_unparent(GTK_WIDGET(self->vte));
        gtk_widget_unparent(self->scrollbar);
        self->vte = NULL;
        self->scrollbar = NULL;
    }
    G_OBJECT_CLASS(cirrina_serial_terminal_parent_class)->dispose(object);
}

static void finalize(GObject *object)
{
    CirrinaSerialTerminal *self = CIRRINA_SERIAL_TERMINAL(object);

    g_byte_array_unref(self->out_queue);
    g_byte_array_unref(self->seen_tail);
    g_free(self->port);
    G_OBJECT_CLASS(cirrina_serial_terminal_parent_class)->finalize(object);
}

static void cirrina_serial_terminal_class_init(CirrinaSerialTerminalClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = get_property;
    object_class->dispose = dispose;
    object_class->finalize = finalize;
    widget_class->grab_focus = grab_focus;

    props[PROP_ATTACHED] = g_param_spec_boolean("attached", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_PORT] =
        g_param_spec_string("port", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);

    /* The console closed (EOF or an error on the socket). */
    signals[SIGNAL_DISCONNECTED] =
        g_signal_new("disconnected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    /* Opening the console failed (the GError, for cirrina_window_show_error). */
    signals[SIGNAL_ERROR] = g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BOX_LAYOUT);
    gtk_widget_class_set_css_name(widget_class, "cirrina-serial-terminal");
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void cirrina_serial_terminal_init(CirrinaSerialTerminal *self)
{
    self->out_queue = g_byte_array_new();
    self->seen_tail = g_byte_array_new();
    self->port = g_strdup("com1");

    self->vte = VTE_TERMINAL(vte_terminal_new());
    gtk_widget_set_hexpand(GTK_WIDGET(self->vte), TRUE);
    gtk_widget_set_vexpand(GTK_WIDGET(self->vte), TRUE);
    vte_terminal_set_scrollback_lines(self->vte, CIRRINA_SERIAL_TERMINAL_SCROLLBACK);
    vte_terminal_set_scroll_on_output(self->vte, TRUE);
    vte_terminal_set_scroll_on_keystroke(self->vte, TRUE);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->vte), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Serial console", -1);
    g_signal_connect(self->vte, "commit", G_CALLBACK(on_commit), self);
    gtk_widget_set_parent(GTK_WIDGET(self->vte), GTK_WIDGET(self));

    GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(self->vte));
    self->scrollbar = gtk_scrollbar_new(GTK_ORIENTATION_VERTICAL, vadjustment);
    gtk_widget_set_parent(self->scrollbar, GTK_WIDGET(self));
}

CirrinaSerialTerminal *cirrina_serial_terminal_new(void)
{
    return g_object_new(CIRRINA_TYPE_SERIAL_TERMINAL, NULL);
}

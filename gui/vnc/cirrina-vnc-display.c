/* CirrinaVncDisplay: the connection (gvnc's VncConnection and its signals)
 * and the drawing. Input is in cirrina-vnc-input.c, the clipboard in
 * cirrina-vnc-clipboard.c, the pixels in framebuffer.c. */
#include "cirrina-vnc-display-private.h"
#include "geometry.h"

#ifdef __FreeBSD__
#include <dev/evdev/input-event-codes.h>
#else
#include <linux/input-event-codes.h>
#endif
#include <math.h>
#include <unistd.h>

/* Smallest size asked for when scaling: the picture can shrink that far. */
#define MIN_SCALED_SIZE 64

enum {
    PROP_0,
    PROP_SCALE_TO_FIT,
    PROP_PASSWORD,
    PROP_CONNECTED,
    PROP_WIDTH,
    PROP_HEIGHT,
    N_PROPS,
};
static GParamSpec *props[N_PROPS];

enum {
    SIGNAL_CONNECTED,
    SIGNAL_DISCONNECTED,
    SIGNAL_DESKTOP_RESIZE,
    SIGNAL_ERROR,
    SIGNAL_AUTH_CREDENTIAL,
    N_SIGNALS,
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(CirrinaVncDisplay, cirrina_vnc_display, GTK_TYPE_WIDGET)

/* ---- Connection ---------------------------------------------------------- */

static void shutdown_once_started(VncConnection *conn, gpointer unused)
{
    vnc_connection_shutdown(conn);
}

/* Drop the connection and everything shown from it. server_gone: gvnc has
 * already closed it (its "vnc-disconnected"). */
static void end_connection(CirrinaVncDisplay *self, gboolean server_gone)
{
    VncConnection *conn;

    if (!self->conn)
        return;
    if (!server_gone)
        cirrina_vnc_display_release_input(self);
    cirrina_vnc_clipboard_stop(self);
    g_array_set_size(self->held_keys, 0);
    self->button_mask = 0;

    conn = g_steal_pointer(&self->conn);
    g_signal_handlers_disconnect_by_data(conn, self);
    if (server_gone) {
        /* Nothing to stop. */
    } else if (self->conn_started) {
        vnc_connection_shutdown(conn);
    } else {
        /* gvnc takes the fd in an idle callback; shut down before that and
         * it would neither close the fd nor drop its own reference. Let it
         * start, then stop it. */
        g_signal_connect(conn, "vnc-connected", G_CALLBACK(shutdown_once_started), NULL);
    }
    g_object_unref(conn);

    g_clear_handle_id(&self->update_request_id, g_source_remove);
    g_clear_pointer(&self->fb, cirrina_vnc_framebuffer_free);
    g_clear_object(&self->remote_cursor);
    gtk_widget_set_cursor(GTK_WIDGET(self), NULL);
    self->conn_started = FALSE;
    self->credential_pending = FALSE;

    g_object_freeze_notify(G_OBJECT(self));
    if (self->initialized) {
        self->initialized = FALSE;
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTED]);
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_WIDTH]);
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_HEIGHT]);
    }
    gtk_widget_queue_resize(GTK_WIDGET(self));
    g_object_thaw_notify(G_OBJECT(self));
    g_signal_emit(self, signals[SIGNAL_DISCONNECTED], 0);
}

static void fail(CirrinaVncDisplay *self, const char *message)
{
    g_signal_emit(self, signals[SIGNAL_ERROR], 0, message);
    end_connection(self, FALSE);
}

static void request_update(CirrinaVncDisplay *self, gboolean incremental)
{
    vnc_connection_framebuffer_update_request(self->conn, incremental, 0, 0,
                                              vnc_connection_get_width(self->conn),
                                              vnc_connection_get_height(self->conn));
}

static gboolean request_update_idle(gpointer data)
{
    CirrinaVncDisplay *self = data;

    self->update_request_id = 0;
    if (self->conn)
        request_update(self, TRUE);
    return G_SOURCE_REMOVE;
}

/* A new framebuffer for the server's current size and pixel format. */
static void replace_framebuffer(CirrinaVncDisplay *self, const VncPixelFormat *remote_format)
{
    int width = vnc_connection_get_width(self->conn);
    int height = vnc_connection_get_height(self->conn);

    g_clear_pointer(&self->fb, cirrina_vnc_framebuffer_free);
    self->fb = cirrina_vnc_framebuffer_new(width, height, remote_format);
    vnc_connection_set_framebuffer(self->conn, cirrina_vnc_framebuffer_get_vnc(self->fb));
    gtk_widget_queue_resize(GTK_WIDGET(self));
}

static void on_vnc_connected(VncConnection *conn, gpointer data)
{
    CirrinaVncDisplay *self = data;

    self->conn_started = TRUE;
}

static void on_vnc_initialized(VncConnection *conn, gpointer data)
{
    CirrinaVncDisplay *self = data;
    /* The socket is local (QEMU's unix socket, bhyve on 127.0.0.1), so
     * bandwidth is free: raw first costs neither side compression time. */
    gint32 encodings[] = {
        VNC_CONNECTION_ENCODING_RAW,
        VNC_CONNECTION_ENCODING_COPY_RECT,
        VNC_CONNECTION_ENCODING_HEXTILE,
        VNC_CONNECTION_ENCODING_ZRLE,
        VNC_CONNECTION_ENCODING_EXT_KEY_EVENT,
        VNC_CONNECTION_ENCODING_EXTENDED_DESKTOP_RESIZE,
        VNC_CONNECTION_ENCODING_DESKTOP_RESIZE,
        VNC_CONNECTION_ENCODING_WMVi,
        VNC_CONNECTION_ENCODING_LAST_RECT,
        /* Not POINTER_CHANGE: for a VM without a tablet, QEMU would then read
         * our absolute positions as offsets from 0x7fff; without it, QEMU
         * turns them into movements. */
        VNC_CONNECTION_ENCODING_ALPHA_CURSOR,
        VNC_CONNECTION_ENCODING_RICH_CURSOR,
    };

    /* Ask for our own format, so gvnc only copies pixels. */
    if (!vnc_connection_set_pixel_format(conn, cirrina_vnc_framebuffer_local_format()) ||
        !vnc_connection_set_encodings(conn, G_N_ELEMENTS(encodings), encodings)) {
        fail(self, "The VNC server did not accept the display settings");
        return;
    }
    replace_framebuffer(self, vnc_connection_get_pixel_format(conn));
    request_update(self, FALSE);

    self->initialized = TRUE;
    g_object_freeze_notify(G_OBJECT(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTED]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_WIDTH]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_HEIGHT]);
    g_object_thaw_notify(G_OBJECT(self));
    cirrina_vnc_clipboard_start(self);
    g_signal_emit(self, signals[SIGNAL_CONNECTED], 0);
}

static void on_vnc_framebuffer_update(VncConnection *conn, int x, int y, int width, int height,
                                      gpointer data)
{
    CirrinaVncDisplay *self = data;

    if (!self->fb)
        return;
    /* The texture is made when the next frame is drawn (or asked for), and
     * the next update is asked for once the main loop has caught up: many
     * rectangles, one texture, one request. */
    cirrina_vnc_framebuffer_invalidate(self->fb);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    if (!self->update_request_id)
        self->update_request_id =
            g_idle_add_full(G_PRIORITY_DEFAULT_IDLE + 10, request_update_idle, self, NULL);
}

static void on_vnc_desktop_resize(VncConnection *conn, int width, int height, gpointer data)
{
    CirrinaVncDisplay *self = data;

    replace_framebuffer(self, vnc_connection_get_pixel_format(conn));
    request_update(self, FALSE);
    g_object_freeze_notify(G_OBJECT(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_WIDTH]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_HEIGHT]);
    g_object_thaw_notify(G_OBJECT(self));
    g_signal_emit(self, signals[SIGNAL_DESKTOP_RESIZE], 0, width, height);
}

static void on_vnc_pixel_format_changed(VncConnection *conn, VncPixelFormat *format, gpointer data)
{
    CirrinaVncDisplay *self = data;

    replace_framebuffer(self, format);
    request_update(self, FALSE);
}

static void on_vnc_cursor_changed(VncConnection *conn, VncCursor *cursor, gpointer data)
{
    CirrinaVncDisplay *self = data;
    int width = cursor ? vnc_cursor_get_width(cursor) : 0;
    int height = cursor ? vnc_cursor_get_height(cursor) : 0;

    g_clear_object(&self->remote_cursor);
    if (width > 0 && height > 0) {
        /* gvnc gives the shape as RGBA bytes, not premultiplied. */
        g_autoptr(GBytes) bytes =
            g_bytes_new(vnc_cursor_get_data(cursor), (gsize)width * height * 4);
        g_autoptr(GdkTexture) texture =
            gdk_memory_texture_new(width, height, GDK_MEMORY_R8G8B8A8, bytes, width * 4);

        self->remote_cursor = gdk_cursor_new_from_texture(texture, vnc_cursor_get_hotx(cursor),
                                                          vnc_cursor_get_hoty(cursor), NULL);
    } else {
        /* The guest hides its pointer. */
        self->remote_cursor = gdk_cursor_new_from_name("none", NULL);
    }
    gtk_widget_set_cursor(GTK_WIDGET(self), self->remote_cursor);
}

static void on_vnc_server_cut_text(VncConnection *conn, const char *text, gpointer data)
{
    cirrina_vnc_clipboard_from_server(data, text);
}

/* GValueArray is deprecated, but it is what gvnc's signals carry. */
G_GNUC_BEGIN_IGNORE_DEPRECATIONS

static void on_vnc_auth_choose_type(VncConnection *conn, GValueArray *types, gpointer data)
{
    CirrinaVncDisplay *self = data;
    /* What QEMU and bhyve offer: none, or the VNC password challenge. */
    static const guint wanted[] = {VNC_CONNECTION_AUTH_NONE, VNC_CONNECTION_AUTH_VNC};

    for (gsize w = 0; w < G_N_ELEMENTS(wanted); w++)
        for (guint i = 0; i < types->n_values; i++)
            if ((guint)g_value_get_enum(&types->values[i]) == wanted[w]) {
                vnc_connection_set_auth_type(conn, wanted[w]);
                return;
            }
    fail(self, "The VNC server asks for an authentication Cirrina does not support");
}

static void on_vnc_auth_credential(VncConnection *conn, GValueArray *credentials, gpointer data)
{
    CirrinaVncDisplay *self = data;

    for (guint i = 0; i < credentials->n_values; i++)
        if (g_value_get_enum(&credentials->values[i]) != VNC_CONNECTION_CREDENTIAL_PASSWORD) {
            fail(self, "The VNC server asks for credentials other than a password");
            return;
        }
    if (self->password) {
        vnc_connection_set_credential(conn, VNC_CONNECTION_CREDENTIAL_PASSWORD, self->password);
        return;
    }
    /* gvnc waits until a password is set. */
    self->credential_pending = TRUE;
    g_signal_emit(self, signals[SIGNAL_AUTH_CREDENTIAL], 0);
}

G_GNUC_END_IGNORE_DEPRECATIONS

static void on_vnc_auth_failure(VncConnection *conn, const char *reason, gpointer data)
{
    g_autofree char *message = g_strdup_printf("VNC authentication failed: %s", reason);

    /* gvnc closes the connection next. */
    g_signal_emit(data, signals[SIGNAL_ERROR], 0, message);
}

static void on_vnc_error(VncConnection *conn, const char *message, gpointer data)
{
    g_signal_emit(data, signals[SIGNAL_ERROR], 0, message);
}

static void on_vnc_disconnected(VncConnection *conn, gpointer data)
{
    end_connection(data, TRUE);
}

gboolean cirrina_vnc_display_open_fd(CirrinaVncDisplay *self, int fd)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), FALSE);
    g_return_val_if_fail(fd >= 0, FALSE);

    if (self->conn) {
        close(fd);
        return FALSE;
    }
    self->conn = vnc_connection_new();
    g_signal_connect(self->conn, "vnc-connected", G_CALLBACK(on_vnc_connected), self);
    g_signal_connect(self->conn, "vnc-initialized", G_CALLBACK(on_vnc_initialized), self);
    g_signal_connect(self->conn, "vnc-framebuffer-update", G_CALLBACK(on_vnc_framebuffer_update),
                     self);
    g_signal_connect(self->conn, "vnc-desktop-resize", G_CALLBACK(on_vnc_desktop_resize), self);
    g_signal_connect(self->conn, "vnc-pixel-format-changed",
                     G_CALLBACK(on_vnc_pixel_format_changed), self);
    g_signal_connect(self->conn, "vnc-cursor-changed", G_CALLBACK(on_vnc_cursor_changed), self);
    g_signal_connect(self->conn, "vnc-server-cut-text", G_CALLBACK(on_vnc_server_cut_text), self);
    g_signal_connect(self->conn, "vnc-auth-choose-type", G_CALLBACK(on_vnc_auth_choose_type), self);
    g_signal_connect(self->conn, "vnc-auth-credential", G_CALLBACK(on_vnc_auth_credential), self);
    g_signal_connect(self->conn, "vnc-auth-failure", G_CALLBACK(on_vnc_auth_failure), self);
    g_signal_connect(self->conn, "vnc-error", G_CALLBACK(on_vnc_error), self);
    g_signal_connect(self->conn, "vnc-disconnected", G_CALLBACK(on_vnc_disconnected), self);
    /* Shared: another viewer of the same VM stays connected. */
    vnc_connection_set_shared(self->conn, TRUE);
    return vnc_connection_open_fd(self->conn, fd);
}

void cirrina_vnc_display_close(CirrinaVncDisplay *self)
{
    g_return_if_fail(CIRRINA_IS_VNC_DISPLAY(self));
    end_connection(self, FALSE);
}

/* ---- Drawing ------------------------------------------------------------- */

static void cirrina_vnc_display_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                        int *minimum, int *natural, int *minimum_baseline,
                                        int *natural_baseline)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(widget);
    int size = 0;

    if (self->fb)
        size = orientation == GTK_ORIENTATION_HORIZONTAL
                   ? cirrina_vnc_framebuffer_get_width(self->fb)
                   : cirrina_vnc_framebuffer_get_height(self->fb);
    *natural = size;
    *minimum = self->scale_to_fit ? MIN(size, MIN_SCALED_SIZE) : size;
}

static void cirrina_vnc_display_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(widget);
    int width = gtk_widget_get_width(widget);
    int height = gtk_widget_get_height(widget);
    const GdkRGBA black = {0, 0, 0, 1};
    CirrinaVncLayout layout;

    gtk_snapshot_append_color(snapshot, &black, &GRAPHENE_RECT_INIT(0, 0, width, height));
    if (!self->fb)
        return;
    cirrina_vnc_layout_compute(&layout, width, height, cirrina_vnc_framebuffer_get_width(self->fb),
                               cirrina_vnc_framebuffer_get_height(self->fb), self->scale_to_fit);
    graphene_rect_t bounds = GRAPHENE_RECT_INIT(layout.x, layout.y, layout.width, layout.height);
    GdkTexture *texture = cirrina_vnc_framebuffer_get_texture(self->fb);
#if GTK_CHECK_VERSION(4, 10, 0)
    /* Whole-number scales keep pixels square and text sharp; others blend. */
    GskScalingFilter filter = layout.scale >= 1 && layout.scale == floor(layout.scale)
                                  ? GSK_SCALING_FILTER_NEAREST
                                  : GSK_SCALING_FILTER_LINEAR;
    gtk_snapshot_append_scaled_texture(snapshot, texture, filter, &bounds);
#else
    /* GTK 4.8 scales textures linearly. */
    gtk_snapshot_append_texture(snapshot, texture, &bounds);
#endif
}

/* ---- Public API ---------------------------------------------------------- */

GtkWidget *cirrina_vnc_display_new(void)
{
    return g_object_new(CIRRINA_TYPE_VNC_DISPLAY, NULL);
}

static guint keyval_of_linux_code(CirrinaVncDisplay *self, guint linux_code)
{
    g_autofree guint *keyvals = NULL;
    int n = 0;

    /* The unshifted symbol of that key in the local layout: what a server
     * without scancodes (keysyms only) gets. */
    if (!gdk_display_map_keycode(gtk_widget_get_display(GTK_WIDGET(self)), linux_code + 8, NULL,
                                 &keyvals, &n) ||
        n == 0)
        return 0;
    return keyvals[0];
}

void cirrina_vnc_display_send_keys(CirrinaVncDisplay *self, const guint *keycodes, gsize n)
{
    g_return_if_fail(CIRRINA_IS_VNC_DISPLAY(self));

    if (!self->initialized)
        return;
    for (gsize i = 0; i < n; i++)
        cirrina_vnc_display_send_key(self, keycodes[i], keyval_of_linux_code(self, keycodes[i]),
                                     TRUE);
    for (gsize i = n; i > 0; i--)
        cirrina_vnc_display_send_key(self, keycodes[i - 1],
                                     keyval_of_linux_code(self, keycodes[i - 1]), FALSE);
}

void cirrina_vnc_display_send_ctrl_alt_del(CirrinaVncDisplay *self)
{
    static const guint keys[] = {KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE};

    cirrina_vnc_display_send_keys(self, keys, G_N_ELEMENTS(keys));
}

GdkTexture *cirrina_vnc_display_get_texture(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), NULL);

    return self->fb ? g_object_ref(cirrina_vnc_framebuffer_get_texture(self->fb)) : NULL;
}

gboolean cirrina_vnc_display_save_screenshot(CirrinaVncDisplay *self, const char *png_path,
                                             GError **error)
{
    g_autoptr(GdkTexture) texture = cirrina_vnc_display_get_texture(self);
    g_autoptr(GBytes) png = NULL;

    if (!texture) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    "There is no virtual machine screen to save");
        return FALSE;
    }
    png = gdk_texture_save_to_png_bytes(texture);
    return g_file_set_contents(png_path, g_bytes_get_data(png, NULL), g_bytes_get_size(png), error);
}

void cirrina_vnc_display_set_scale_to_fit(CirrinaVncDisplay *self, gboolean scale_to_fit)
{
    g_return_if_fail(CIRRINA_IS_VNC_DISPLAY(self));

    scale_to_fit = !!scale_to_fit;
    if (self->scale_to_fit == scale_to_fit)
        return;
    self->scale_to_fit = scale_to_fit;
    gtk_widget_queue_resize(GTK_WIDGET(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SCALE_TO_FIT]);
}

gboolean cirrina_vnc_display_get_scale_to_fit(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), TRUE);
    return self->scale_to_fit;
}

void cirrina_vnc_display_set_password(CirrinaVncDisplay *self, const char *password)
{
    g_return_if_fail(CIRRINA_IS_VNC_DISPLAY(self));

    g_free(self->password);
    self->password = g_strdup(password);
    if (self->password && self->credential_pending && self->conn) {
        self->credential_pending = FALSE;
        vnc_connection_set_credential(self->conn, VNC_CONNECTION_CREDENTIAL_PASSWORD,
                                      self->password);
    }
}

gboolean cirrina_vnc_display_get_connected(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), FALSE);
    return self->initialized;
}

int cirrina_vnc_display_get_width(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), 0);
    return self->fb ? cirrina_vnc_framebuffer_get_width(self->fb) : 0;
}

int cirrina_vnc_display_get_height(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), 0);
    return self->fb ? cirrina_vnc_framebuffer_get_height(self->fb) : 0;
}

/* ---- GObject ------------------------------------------------------------- */

static void cirrina_vnc_display_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    switch (prop_id) {
    case PROP_SCALE_TO_FIT:
        g_value_set_boolean(value, self->scale_to_fit);
        break;
    case PROP_CONNECTED:
        g_value_set_boolean(value, self->initialized);
        break;
    case PROP_WIDTH:
        g_value_set_int(value, cirrina_vnc_display_get_width(self));
        break;
    case PROP_HEIGHT:
        g_value_set_int(value, cirrina_vnc_display_get_height(self));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vnc_display_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    switch (prop_id) {
    case PROP_SCALE_TO_FIT:
        cirrina_vnc_display_set_scale_to_fit(self, g_value_get_boolean(value));
        break;
    case PROP_PASSWORD:
        cirrina_vnc_display_set_password(self, g_value_get_string(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vnc_display_dispose(GObject *object)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    end_connection(self, FALSE);
    G_OBJECT_CLASS(cirrina_vnc_display_parent_class)->dispose(object);
}

static void cirrina_vnc_display_finalize(GObject *object)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    g_array_unref(self->held_keys);
    g_free(self->password);
    g_free(self->clipboard_last);
    G_OBJECT_CLASS(cirrina_vnc_display_parent_class)->finalize(object);
}

static void cirrina_vnc_display_class_init(CirrinaVncDisplayClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = cirrina_vnc_display_get_property;
    object_class->set_property = cirrina_vnc_display_set_property;
    object_class->dispose = cirrina_vnc_display_dispose;
    object_class->finalize = cirrina_vnc_display_finalize;
    widget_class->measure = cirrina_vnc_display_measure;
    widget_class->snapshot = cirrina_vnc_display_snapshot;

    props[PROP_SCALE_TO_FIT] =
        g_param_spec_boolean("scale-to-fit", NULL, NULL, TRUE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    props[PROP_PASSWORD] = g_param_spec_string("password", NULL, NULL, NULL,
                                               G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_CONNECTED] = g_param_spec_boolean("connected", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_WIDTH] = g_param_spec_int("width", NULL, NULL, 0, G_MAXINT, 0,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_HEIGHT] = g_param_spec_int("height", NULL, NULL, 0, G_MAXINT, 0,
                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);

    signals[SIGNAL_CONNECTED] =
        g_signal_new("connected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 0);
    signals[SIGNAL_DISCONNECTED] =
        g_signal_new("disconnected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_DESKTOP_RESIZE] =
        g_signal_new("desktop-resize", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
    signals[SIGNAL_ERROR] = g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    signals[SIGNAL_AUTH_CREDENTIAL] =
        g_signal_new("auth-credential", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);

    gtk_widget_class_set_css_name(widget_class, "cirrina-vnc-display");
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void cirrina_vnc_display_init(CirrinaVncDisplay *self)
{
    self->scale_to_fit = TRUE;
    gtk_widget_set_focusable(GTK_WIDGET(self), TRUE);
    gtk_widget_set_focus_on_click(GTK_WIDGET(self), TRUE);
    gtk_widget_set_overflow(GTK_WIDGET(self), GTK_OVERFLOW_HIDDEN);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Virtual machine display", -1);
    cirrina_vnc_display_init_input(self);
}

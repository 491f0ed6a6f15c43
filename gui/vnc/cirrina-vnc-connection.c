/* CirrinaVncDisplay's connection: gvnc's VncConnection on the fd, its
 * handshake (authentication, pixel format, encodings) and what it reports
 * (pictures, resizes, cursor, clipboard, errors, the end). */
#include "cirrina-vnc-display-private.h"

#include <unistd.h>

static void shutdown_once_started(VncConnection *conn, gpointer unused)
{
    vnc_connection_shutdown(conn);
}

void cirrina_vnc_connection_end(CirrinaVncDisplay *self, gboolean server_gone)
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

    /* Before the handshake ended, nothing was shown: nothing changes. */
    if (self->initialized) {
        self->initialized = FALSE;
        cirrina_vnc_display_state_changed(self);
    }
    g_signal_emit(self, cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_DISCONNECTED], 0);
}

static void fail(CirrinaVncDisplay *self, const char *message)
{
    g_signal_emit(self, cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_ERROR], 0, message);
    cirrina_vnc_connection_end(self, FALSE);
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
    cirrina_vnc_display_state_changed(self);
    cirrina_vnc_clipboard_start(self);
    g_signal_emit(self, cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_CONNECTED], 0);
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
    cirrina_vnc_display_state_changed(self);
    g_signal_emit(self, cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_DESKTOP_RESIZE], 0, width,
                  height);
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
        /* gvnc makes each pixel a native-endian word A<<24 | R<<16 | G<<8 | B
         * on little-endian hosts, B<<24 | G<<16 | R<<8 | A on big-endian
         * ones: bytes B, G, R, A either way, alpha 0 or 255, not
         * premultiplied. */
        g_autoptr(GBytes) bytes =
            g_bytes_new(vnc_cursor_get_data(cursor), (gsize)width * height * 4);
        g_autoptr(GdkTexture) texture =
            gdk_memory_texture_new(width, height, GDK_MEMORY_B8G8R8A8, bytes, width * 4);

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
    g_signal_emit(self, cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_AUTH_CREDENTIAL], 0);
}

G_GNUC_END_IGNORE_DEPRECATIONS

static void on_vnc_auth_failure(VncConnection *conn, const char *reason, gpointer data)
{
    g_autofree char *message = g_strdup_printf("VNC authentication failed: %s", reason);

    /* gvnc closes the connection next. */
    g_signal_emit(data, cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_ERROR], 0, message);
}

static void on_vnc_error(VncConnection *conn, const char *message, gpointer data)
{
    g_signal_emit(data, cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_ERROR], 0, message);
}

static void on_vnc_disconnected(VncConnection *conn, gpointer data)
{
    cirrina_vnc_connection_end(data, TRUE);
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
    cirrina_vnc_connection_end(self, FALSE);
}

void cirrina_vnc_connection_answer_credential(CirrinaVncDisplay *self)
{
    if (self->password && self->credential_pending && self->conn) {
        self->credential_pending = FALSE;
        vnc_connection_set_credential(self->conn, VNC_CONNECTION_CREDENTIAL_PASSWORD,
                                      self->password);
    }
}

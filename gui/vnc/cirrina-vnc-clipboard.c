/* CirrinaVncDisplay's clipboard: text the VM cuts lands on the local
 * clipboard; text copied locally goes to the VM. VNC carries Latin-1. */
#include "cirrina-vnc-display-private.h"

static void on_text_read(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = gdk_clipboard_read_text_finish(GDK_CLIPBOARD(source), result, &error);
    g_autoptr(CirrinaVncDisplay) self = data;
    g_autofree char *latin1 = NULL;
    gsize length = 0;

    /* Cancelled: the connection this was for has ended. */
    if (!text || !self->initialized || g_strcmp0(text, self->clipboard_last) == 0)
        return;
    latin1 = g_convert_with_fallback(text, -1, "ISO-8859-1", "UTF-8", "?", NULL, &length, NULL);
    if (!latin1)
        return;
    vnc_connection_client_cut_text(self->conn, latin1, length);
    g_free(self->clipboard_last);
    self->clipboard_last = g_steal_pointer(&text);
}

static void on_clipboard_changed(GdkClipboard *clipboard, gpointer data)
{
    CirrinaVncDisplay *self = data;
    GdkContentFormats *formats = gdk_clipboard_get_formats(clipboard);

    if (!gdk_content_formats_contain_gtype(formats, G_TYPE_STRING) &&
        !gdk_content_formats_contain_mime_type(formats, "text/plain;charset=utf-8") &&
        !gdk_content_formats_contain_mime_type(formats, "text/plain"))
        return;
    gdk_clipboard_read_text_async(clipboard, self->clipboard_cancel, on_text_read,
                                  g_object_ref(self));
}

void cirrina_vnc_clipboard_start(CirrinaVncDisplay *self)
{
    self->clipboard = gtk_widget_get_clipboard(GTK_WIDGET(self));
    self->clipboard_cancel = g_cancellable_new();
    g_signal_connect(self->clipboard, "changed", G_CALLBACK(on_clipboard_changed), self);
    /* What was copied before connecting is pasteable in the VM too. */
    on_clipboard_changed(self->clipboard, self);
}

void cirrina_vnc_clipboard_stop(CirrinaVncDisplay *self)
{
    if (!self->clipboard)
        return;
    g_cancellable_cancel(self->clipboard_cancel);
    g_clear_object(&self->clipboard_cancel);
    g_signal_handlers_disconnect_by_data(self->clipboard, self);
    self->clipboard = NULL;
    g_clear_pointer(&self->clipboard_last, g_free);
}

void cirrina_vnc_clipboard_from_server(CirrinaVncDisplay *self, const char *latin1_text)
{
    g_autofree char *text = g_convert(latin1_text, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);

    if (!text || !self->clipboard || g_strcmp0(text, self->clipboard_last) == 0)
        return;
    g_free(self->clipboard_last);
    self->clipboard_last = g_strdup(text);
    gdk_clipboard_set_text(self->clipboard, text);
}

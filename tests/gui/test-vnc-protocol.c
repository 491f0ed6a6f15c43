/* CirrinaVncDisplay against the RFB test server (vnc-test-server.c): the
 * password challenge, a server without QEMU's extended key event (bhyve),
 * pixels and alpha, clipboard both ways, desktop resize; and real X input
 * (XTest in Xvfb) through GTK's event controllers: click to focus, pointer
 * position through the scaling, buttons, wheel and keys. */
#include <gtk/gtk.h>
#include <linux/input-event-codes.h>
#include <string.h>
#ifdef HAVE_XTEST
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <gdk/x11/gdkx.h>
#endif

#include "geometry.h"
#include "vnc-test-server.h"
#include "vnc-test-util.h"

typedef struct {
    VncFixture f;
    VncTestServer *server;
    int fd; /* the display's end, until opened */
} ServerFixture;

static void server_setup(ServerFixture *sf, gconstpointer data)
{
    sf->server = vnc_test_server_new(data, &sf->fd);
    vnc_fixture_init(&sf->f);
}

static void server_teardown(ServerFixture *sf, gconstpointer data)
{
    vnc_fixture_clear(&sf->f);
    /* The display hung up: the server's thread ends. */
    g_clear_pointer(&sf->server, vnc_test_server_free);
}

typedef struct {
    VncTestServer *server;
    const char *line;
    int from;
} LineWait;

static gboolean has_line(gpointer data)
{
    LineWait *w = data;

    return vnc_test_server_find(w->server, w->line, w->from) >= 0;
}

/* Wait for the server to get that message after position from of its log;
 * where it is. */
static int wait_for_line_after(ServerFixture *sf, const char *line, int from)
{
    LineWait w = {sf->server, line, from};

    if (!vnc_test_wait_for(has_line, &w, VNC_TEST_TIMEOUT)) {
        g_autofree char *log = vnc_test_server_get_log(sf->server);
        g_error("The server did not get \"%s\"; it got:\n%s", line, log);
    }
    return vnc_test_server_find(sf->server, line, from);
}

static int wait_for_line(ServerFixture *sf, const char *line)
{
    return wait_for_line_after(sf, line, 0);
}

/* (x, y) of the texture, as cairo's ARGB32. */
static guint32 pixel_at(GdkTexture *texture, int x, int y)
{
    int width = gdk_texture_get_width(texture);
    g_autofree guint32 *pixels = g_new(guint32, (gsize)width * gdk_texture_get_height(texture));

    gdk_texture_download(texture, (guchar *)pixels, width * 4);
    return pixels[(gsize)y * width + x];
}

typedef struct {
    CirrinaVncDisplay *display;
    int width, height;
} PictureWait;

static gboolean has_picture(gpointer data)
{
    PictureWait *w = data;
    g_autoptr(GdkTexture) texture = cirrina_vnc_display_get_texture(w->display);

    return texture && gdk_texture_get_width(texture) == w->width &&
           gdk_texture_get_height(texture) == w->height &&
           pixel_at(texture, 0, 0) == (0xff000000 | VNC_TEST_SERVER_LEFT_RGB);
}

/* Wait for the server's picture, width x height, to be shown; it. */
static GdkTexture *wait_for_picture(ServerFixture *sf, int width, int height)
{
    PictureWait w = {sf->f.self, width, height};

    g_assert_true(vnc_test_wait_for(has_picture, &w, VNC_TEST_TIMEOUT));
    return cirrina_vnc_display_get_texture(sf->f.self);
}

static const VncTestServerOptions password_no_ext_key = {
    .width = 64, .height = 48, .password = TRUE, .ext_key_event = FALSE};
static const VncTestServerOptions plain = {.width = 64, .height = 48};
static const VncTestServerOptions qemu_like = {.width = 320, .height = 240, .ext_key_event = TRUE};

static gboolean auth_was_asked(gpointer data)
{
    return ((VncFixture *)data)->auth_asked > 0;
}

static void test_password_asked(ServerFixture *sf, gconstpointer data)
{
    g_autofree char *log = NULL;

    /* No password yet: the display asks, and waits. */
    g_assert_true(cirrina_vnc_display_open_fd(sf->f.self, sf->fd));
    g_assert_true(vnc_test_wait_for(auth_was_asked, &sf->f, VNC_TEST_TIMEOUT));
    vnc_test_spin(300);
    g_assert_false(cirrina_vnc_display_get_connected(sf->f.self));
    log = vnc_test_server_get_log(sf->server);
    g_assert_null(strstr(log, "auth "));

    /* The app fetched it (GetDisplayPassword): the challenge is answered. */
    g_object_set(sf->f.display, "password", "secret", NULL);
    vnc_fixture_wait_connected(&sf->f);
    g_clear_pointer(&log, g_free);
    log = vnc_test_server_get_log(sf->server);
    g_assert_nonnull(strstr(log, "auth "));
    g_assert_cmpint(sf->f.auth_asked, ==, 1);
    g_assert_cmpuint(sf->f.errors->len, ==, 0);
}

static void test_keysyms(ServerFixture *sf, gconstpointer data)
{
    g_autoptr(GdkTexture) texture = NULL;
    g_autofree char *log = NULL;
    g_autofree char *encodings = NULL;
    const char *line;
    int at;

    /* A password set beforehand is used without asking. */
    cirrina_vnc_display_set_password(sf->f.self, "secret");
    vnc_fixture_open(&sf->f, sf->fd);
    g_assert_cmpint(sf->f.auth_asked, ==, 0);
    wait_for_line(sf, G_BYTE_ORDER == G_LITTLE_ENDIAN ? "pixel-format 32 24 0 16 8 0"
                                                      : "pixel-format 32 24 1 16 8 0");

    /* The picture, sent with its padding byte 0, is opaque, in its colours
     * (wait_for_picture() checks the left). */
    texture = wait_for_picture(sf, 64, 48);
    g_assert_cmphex(pixel_at(texture, 63, 47), ==, 0xff000000 | VNC_TEST_SERVER_RIGHT_RGB);

    /* Encodings: QEMU's key event, resizes; not the pointer-type change,
     * which makes QEMU read absolute positions as offsets when the VM has no
     * tablet. (Sent before the picture was asked for.) */
    log = vnc_test_server_get_log(sf->server);
    line = strstr(log, "\nencodings ");
    g_assert_nonnull(line);
    encodings = g_strndup(line, strchr(line + 1, '\n') - line + 1);
    g_assert_nonnull(strstr(encodings, " -258 "));
    g_assert_nonnull(strstr(encodings, " -223 "));
    g_assert_null(strstr(encodings, " -257 "));

    /* No extended key event (bhyve): keysyms. */
    g_assert_true(cirrina_vnc_display_process_key(sf->f.self, KEY_A + 8, GDK_KEY_a, TRUE));
    g_assert_true(cirrina_vnc_display_process_key(sf->f.self, KEY_A + 8, GDK_KEY_a, FALSE));
    wait_for_line_after(sf, "key 0 0x61", wait_for_line(sf, "key 1 0x61"));

    /* Shift+A, Shift let go first: A is released as the A it was pressed
     * as, not as a. */
    cirrina_vnc_display_process_key(sf->f.self, KEY_LEFTSHIFT + 8, GDK_KEY_Shift_L, TRUE);
    cirrina_vnc_display_process_key(sf->f.self, KEY_A + 8, GDK_KEY_A, TRUE);
    cirrina_vnc_display_process_key(sf->f.self, KEY_LEFTSHIFT + 8, GDK_KEY_Shift_L, FALSE);
    cirrina_vnc_display_process_key(sf->f.self, KEY_A + 8, GDK_KEY_a, FALSE);
    wait_for_line_after(sf, "key 0 0x41", wait_for_line(sf, "key 1 0x41"));

    /* Combos get keysyms from the local keymap. */
    cirrina_vnc_display_send_ctrl_alt_del(sf->f.self);
    at = wait_for_line(sf, "key 1 0xffe3");
    at = wait_for_line_after(sf, "key 1 0xffe9", at);
    at = wait_for_line_after(sf, "key 1 0xffff", at);
    at = wait_for_line_after(sf, "key 0 0xffff", at);
    at = wait_for_line_after(sf, "key 0 0xffe9", at);
    wait_for_line_after(sf, "key 0 0xffe3", at);

    g_assert_cmpuint(sf->f.errors->len, ==, 0);
}

typedef struct {
    GdkClipboard *clipboard;
    const char *want;
    gboolean reading;
    char *text;
} ClipboardWait;

static void on_clipboard_read(GObject *source, GAsyncResult *result, gpointer data)
{
    ClipboardWait *w = data;

    g_free(w->text);
    w->text = gdk_clipboard_read_text_finish(GDK_CLIPBOARD(source), result, NULL);
    w->reading = FALSE;
}

static gboolean clipboard_has(gpointer data)
{
    ClipboardWait *w = data;

    if (g_strcmp0(w->text, w->want) == 0)
        return TRUE;
    /* Only when there is text: GTK 4.8 leaks a failed read. */
    if (!w->reading &&
        gdk_content_formats_contain_gtype(gdk_clipboard_get_formats(w->clipboard), G_TYPE_STRING)) {
        w->reading = TRUE;
        gdk_clipboard_read_text_async(w->clipboard, NULL, on_clipboard_read, w);
    }
    return FALSE;
}

static void test_clipboard(ServerFixture *sf, gconstpointer data)
{
    GdkClipboard *clipboard = gtk_widget_get_clipboard(sf->f.display);
    ClipboardWait w = {clipboard, "h\xc3\xa9llo", FALSE, NULL};
    g_autofree char *log = NULL;
    gboolean read;

    vnc_fixture_open(&sf->f, sf->fd);

    /* The VM cuts "héllo" (Latin-1 on the wire): it is on our clipboard. */
    vnc_test_server_send_cut_text(sf->server, "h\xe9llo");
    read = vnc_test_wait_for(clipboard_has, &w, VNC_TEST_TIMEOUT);
    /* Let a read still under way finish before w goes. */
    while (w.reading)
        g_main_context_iteration(NULL, TRUE);
    g_free(w.text);
    g_assert_true(read);

    /* We copy "wörld": the VM gets it, in Latin-1. */
    gdk_clipboard_set_text(clipboard, "w\xc3\xb6rld");
    wait_for_line(sf, "cut 77f6726c64");

    /* The VM's own text was not sent back to it. */
    log = vnc_test_server_get_log(sf->server);
    g_assert_null(strstr(log, "cut 68e96c6c6f"));
}

static gboolean was_resized(gpointer data)
{
    return ((VncFixture *)data)->resized_width != 0;
}

static void test_desktop_resize(ServerFixture *sf, gconstpointer data)
{
    g_autoptr(GdkTexture) texture = NULL;

    vnc_fixture_open(&sf->f, sf->fd);
    g_assert_cmpint(cirrina_vnc_display_get_width(sf->f.self), ==, 64);
    g_assert_cmpint(cirrina_vnc_display_get_height(sf->f.self), ==, 48);

    /* The guest changes resolution: signal, properties, a new picture. */
    vnc_test_server_resize(sf->server, 100, 80);
    g_assert_true(vnc_test_wait_for(was_resized, &sf->f, VNC_TEST_TIMEOUT));
    g_assert_cmpint(sf->f.resized_width, ==, 100);
    g_assert_cmpint(sf->f.resized_height, ==, 80);
    g_assert_cmpint(cirrina_vnc_display_get_width(sf->f.self), ==, 100);
    g_assert_cmpint(cirrina_vnc_display_get_height(sf->f.self), ==, 80);
    texture = wait_for_picture(sf, 100, 80);
    g_assert_cmphex(pixel_at(texture, 99, 79), ==, 0xff000000 | VNC_TEST_SERVER_RIGHT_RGB);
}

static gboolean cursor_is_shape(gpointer data)
{
    GdkCursor *cursor = gtk_widget_get_cursor(data);

    return cursor && gdk_cursor_get_texture(cursor);
}

static gboolean cursor_is_hidden(gpointer data)
{
    GdkCursor *cursor = gtk_widget_get_cursor(data);

    return cursor && g_strcmp0(gdk_cursor_get_name(cursor), "none") == 0;
}

static void test_cursor(ServerFixture *sf, gconstpointer data)
{
    GdkCursor *cursor;
    GdkTexture *shape;

    vnc_fixture_open(&sf->f, sf->fd);
    g_object_unref(wait_for_picture(sf, 64, 48));
    g_assert_null(gtk_widget_get_cursor(sf->f.display));

    /* The guest's pointer shape is the display's cursor: its colours,
     * transparency and hotspot. */
    vnc_test_server_send_cursor(sf->server, 8, 6, 2, 3);
    g_assert_true(vnc_test_wait_for(cursor_is_shape, sf->f.display, VNC_TEST_TIMEOUT));
    cursor = gtk_widget_get_cursor(sf->f.display);
    shape = gdk_cursor_get_texture(cursor);
    g_assert_cmpint(gdk_texture_get_width(shape), ==, 8);
    g_assert_cmpint(gdk_texture_get_height(shape), ==, 6);
    g_assert_cmpint(gdk_cursor_get_hotspot_x(cursor), ==, 2);
    g_assert_cmpint(gdk_cursor_get_hotspot_y(cursor), ==, 3);
    g_assert_cmphex(pixel_at(shape, 1, 1), ==, 0xff000000 | VNC_TEST_SERVER_LEFT_RGB);
    g_assert_cmphex(pixel_at(shape, 6, 5), ==, 0xff000000 | VNC_TEST_SERVER_RIGHT_RGB);
    g_assert_cmphex(pixel_at(shape, 0, 0) >> 24, ==, 0);

    /* An empty shape hides the pointer. */
    vnc_test_server_send_cursor(sf->server, 0, 0, 0, 0);
    g_assert_true(vnc_test_wait_for(cursor_is_hidden, sf->f.display, VNC_TEST_TIMEOUT));
}

#ifdef HAVE_XTEST
/* Where widget point (x, y) is on the X screen. */
static void widget_to_root(GtkWidget *widget, double x, double y, int *root_x, int *root_y)
{
    GtkNative *native = gtk_widget_get_native(widget);
    GdkSurface *surface = gtk_native_get_surface(native);
    Display *xdisplay = gdk_x11_display_get_xdisplay(gtk_widget_get_display(widget));
    double nx, ny, sx, sy;
    Window child;

    g_assert_true(gtk_widget_translate_coordinates(widget, GTK_WIDGET(native), x, y, &nx, &ny));
    gtk_native_get_surface_transform(native, &sx, &sy);
    XTranslateCoordinates(xdisplay, gdk_x11_surface_get_xid(surface), DefaultRootWindow(xdisplay),
                          (int)(nx + sx), (int)(ny + sy), root_x, root_y, &child);
}

static void test_x_input(ServerFixture *sf, gconstpointer data)
{
    Display *xdisplay = gdk_x11_display_get_xdisplay(gtk_widget_get_display(sf->f.display));
    CirrinaVncLayout layout;
    int width, height;
    int rx, ry, key_a, at;

    vnc_fixture_open(&sf->f, sf->fd);
    g_object_unref(wait_for_picture(sf, 320, 240));
    gtk_widget_grab_focus(sf->f.button);
    vnc_test_spin(200);
    g_assert_false(gtk_widget_has_focus(sf->f.display));

    /* Click at framebuffer pixel (80, 120), wherever scaling put it. */
    width = gtk_widget_get_width(sf->f.display);
    height = gtk_widget_get_height(sf->f.display);
    cirrina_vnc_layout_compute(&layout, width, height, 320, 240, TRUE);
    g_test_message("display %dx%d: picture at %.0f,%.0f scaled %.3f", width, height, layout.x,
                   layout.y, layout.scale);
    widget_to_root(sf->f.display, layout.x + 80.5 * layout.scale, layout.y + 120.5 * layout.scale,
                   &rx, &ry);
    XTestFakeMotionEvent(xdisplay, -1, rx, ry, CurrentTime);
    XTestFakeButtonEvent(xdisplay, 1, True, CurrentTime);
    XTestFakeButtonEvent(xdisplay, 1, False, CurrentTime);
    XFlush(xdisplay);
    at = wait_for_line(sf, "pointer 1 80 120");
    at = wait_for_line_after(sf, "pointer 0 80 120", at);
    /* The click focused the display. */
    g_assert_true(gtk_widget_has_focus(sf->f.display));

    /* Right button, then the wheel (VNC buttons 4 and 5 as a click). */
    XTestFakeButtonEvent(xdisplay, 3, True, CurrentTime);
    XTestFakeButtonEvent(xdisplay, 3, False, CurrentTime);
    XTestFakeButtonEvent(xdisplay, 5, True, CurrentTime);
    XTestFakeButtonEvent(xdisplay, 5, False, CurrentTime);
    XFlush(xdisplay);
    at = wait_for_line_after(sf, "pointer 4 80 120", at);
    at = wait_for_line_after(sf, "pointer 0 80 120", at);
    at = wait_for_line_after(sf, "pointer 16 80 120", at);
    at = wait_for_line_after(sf, "pointer 0 80 120", at);

    /* A key pressed on the X keyboard: QEMU's scancode from the hardware
     * keycode, whatever the layout. */
    key_a = XKeysymToKeycode(xdisplay, XK_a);
    XSetInputFocus(
        xdisplay,
        gdk_x11_surface_get_xid(gtk_native_get_surface(gtk_widget_get_native(sf->f.display))),
        RevertToParent, CurrentTime);
    XTestFakeKeyEvent(xdisplay, key_a, True, CurrentTime);
    XTestFakeKeyEvent(xdisplay, key_a, False, CurrentTime);
    XFlush(xdisplay);
    at = wait_for_line_after(sf, "qkey 1 0x61 0x1e", at);
    wait_for_line_after(sf, "qkey 0 0x61 0x1e", at);
    g_assert_cmpuint(sf->f.errors->len, ==, 0);
}
#endif

int main(int argc, char **argv)
{
    g_setenv("GDK_BACKEND", "x11", FALSE);
    gtk_test_init(&argc, &argv, NULL);

    g_test_add("/vnc/server/password-asked", ServerFixture, &password_no_ext_key, server_setup,
               test_password_asked, server_teardown);
    g_test_add("/vnc/server/keysyms", ServerFixture, &password_no_ext_key, server_setup,
               test_keysyms, server_teardown);
    g_test_add("/vnc/server/clipboard", ServerFixture, &plain, server_setup, test_clipboard,
               server_teardown);
    g_test_add("/vnc/server/desktop-resize", ServerFixture, &plain, server_setup,
               test_desktop_resize, server_teardown);
    g_test_add("/vnc/server/cursor", ServerFixture, &plain, server_setup, test_cursor,
               server_teardown);
#ifdef HAVE_XTEST
    g_test_add("/vnc/server/x-input", ServerFixture, &qemu_like, server_setup, test_x_input,
               server_teardown);
#else
    g_test_message("Built without XTest (libxtst-dev): no test of real X input");
#endif
    return g_test_run();
}

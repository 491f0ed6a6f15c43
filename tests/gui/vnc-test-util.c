/* Helpers of the VNC display's tests (see vnc-test-util.h). */
#include "vnc-test-util.h"

static gboolean on_timeout(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean keep_polling(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

gboolean vnc_test_wait_for(gboolean (*done)(gpointer), gpointer data, guint seconds)
{
    gboolean timed_out = FALSE;
    guint id = g_timeout_add_seconds(seconds, on_timeout, &timed_out);
    guint poll_id = g_timeout_add(50, keep_polling, NULL);

    while (!done(data) && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
    g_source_remove(poll_id);
    return !timed_out;
}

void vnc_test_spin(guint milliseconds)
{
    gboolean timed_out = FALSE;

    g_timeout_add(milliseconds, on_timeout, &timed_out);
    while (!timed_out)
        g_main_context_iteration(NULL, TRUE);
}

char *vnc_test_screenshot_path(const char *name)
{
    const char *dir = g_getenv("CIRRINA_SCREENSHOT_DIR");

    if (!dir)
        dir = g_get_tmp_dir();
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    return g_build_filename(dir, name, NULL);
}

static void on_connected(CirrinaVncDisplay *display, VncFixture *f)
{
    f->connected++;
}

static void on_disconnected(CirrinaVncDisplay *display, VncFixture *f)
{
    f->disconnected++;
}

static void on_error(CirrinaVncDisplay *display, const char *message, VncFixture *f)
{
    g_test_message("display error: %s", message);
    g_ptr_array_add(f->errors, g_strdup(message));
}

static void on_auth_credential(CirrinaVncDisplay *display, VncFixture *f)
{
    f->auth_asked++;
}

static void on_desktop_resize(CirrinaVncDisplay *display, int width, int height, VncFixture *f)
{
    f->resized_width = width;
    f->resized_height = height;
}

void vnc_fixture_init(VncFixture *f)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);

    *f = (VncFixture){.errors = g_ptr_array_new_with_free_func(g_free)};
    f->window = gtk_window_new();
    gtk_window_set_default_size(GTK_WINDOW(f->window), 640, 480);
    f->display = cirrina_vnc_display_new();
    f->self = CIRRINA_VNC_DISPLAY(f->display);
    gtk_widget_set_vexpand(f->display, TRUE);
    f->button = gtk_button_new_with_label("Elsewhere");
    gtk_box_append(GTK_BOX(box), f->display);
    gtk_box_append(GTK_BOX(box), f->button);
    gtk_window_set_child(GTK_WINDOW(f->window), box);
    g_signal_connect(f->display, "connected", G_CALLBACK(on_connected), f);
    g_signal_connect(f->display, "disconnected", G_CALLBACK(on_disconnected), f);
    g_signal_connect(f->display, "error", G_CALLBACK(on_error), f);
    g_signal_connect(f->display, "auth-credential", G_CALLBACK(on_auth_credential), f);
    g_signal_connect(f->display, "desktop-resize", G_CALLBACK(on_desktop_resize), f);
    gtk_window_present(GTK_WINDOW(f->window));
}

static gboolean is_connected(gpointer data)
{
    return ((VncFixture *)data)->connected > 0;
}

void vnc_fixture_wait_connected(VncFixture *f)
{
    g_assert_true(vnc_test_wait_for(is_connected, f, VNC_TEST_TIMEOUT));
}

void vnc_fixture_open(VncFixture *f, int fd)
{
    g_assert_true(cirrina_vnc_display_open_fd(f->self, fd));
    vnc_fixture_wait_connected(f);
}

void vnc_fixture_clear(VncFixture *f)
{
    vnc_test_close_and_wait_for_release(f->self);
    g_assert_cmpint(f->disconnected, ==, 1);
    gtk_window_destroy(GTK_WINDOW(f->window));
    g_ptr_array_unref(f->errors);
}

static gboolean is_null(gpointer data)
{
    return *(gpointer *)data == NULL;
}

void vnc_test_close_and_wait_for_release(CirrinaVncDisplay *display)
{
    gpointer conn = display->conn;

    if (conn)
        g_object_add_weak_pointer(conn, &conn);
    cirrina_vnc_display_close(display);
    g_assert_null(display->conn);
    g_assert_true(vnc_test_wait_for(is_null, &conn, VNC_TEST_TIMEOUT));
}

/* The GUI test harness, C side (see gui-test.h). */
#include "gui-test.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <gdk/x11/gdkx.h>

#include "cirrina-mnemonic-names.h"

static GDBusConnection *test_bus;

void gui_test_init(int *argc, char ***argv)
{
    gtk_test_init(argc, argv, NULL);
    adw_init();
    /* No animations: a test sees the end of a transition at once. */
    g_object_set(gtk_settings_get_default(), "gtk-enable-animations", FALSE, NULL);

    /* The app's own styles, which CirrinaApplication (an AdwApplication)
     * loads by itself from its resource base path. */
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new();
    gtk_css_provider_load_from_resource(css, "/org/cirrina/Cirrina/style.css");
    gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

guint gui_test_timeout_seconds(void)
{
    const char *scale = g_getenv("CIRRINA_TEST_TIMEOUT_SCALE");
    guint factor = scale != NULL ? (guint)g_ascii_strtoull(scale, NULL, 10) : 1;
    return 30 * MAX(factor, 1);
}

static gboolean wake_up(gpointer user_data)
{
    *(gboolean *)user_data = TRUE;
    return G_SOURCE_REMOVE;
}

void gui_test_iterate(void)
{
    gboolean woken = FALSE;
    guint timeout = g_timeout_add(50, wake_up, &woken);

    g_main_context_iteration(NULL, TRUE);
    if (!woken)
        g_source_remove(timeout);
}

void gui_test_run_for(guint ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (g_get_monotonic_time() < end)
        gui_test_iterate();
}

void gui_test_fail_timeout(const char *file, int line, const char *what)
{
    g_error("%s:%d: timed out after %u s waiting for %s", file, line, gui_test_timeout_seconds(),
            what);
}

CirrinaWindow *gui_test_window_new(void)
{
    g_autoptr(CirrinaClient) client = cirrina_client_new(CIRRINA_CLIENT_BUS_SYSTEM, NULL);
    CirrinaWindow *window = cirrina_window_new(NULL, client);

    g_object_ref_sink(window);
    gtk_window_present(GTK_WINDOW(window));
    GUI_TEST_WAIT_UNTIL(gtk_widget_get_mapped(GTK_WIDGET(window)), "the window to be mapped");
    return window;
}

void gui_test_window_destroy(CirrinaWindow *window)
{
    gtk_window_destroy(GTK_WINDOW(window));
    g_object_unref(window);
    /* Let the client's pending calls and signals finish. */
    gui_test_run_for(100);
}

/* ---- D-Bus */

GDBusConnection *gui_test_bus(void)
{
    g_autoptr(GError) error = NULL;

    if (test_bus != NULL)
        return test_bus;
    const char *address = g_getenv("DBUS_SYSTEM_BUS_ADDRESS");
    g_assert_nonnull(address);
    test_bus =
        g_dbus_connection_new_for_address_sync(address,
                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                               NULL, NULL, &error);
    g_assert_no_error(error);
    return test_bus;
}

GVariant *gui_test_try_call(const char *path, const char *interface, const char *method,
                            GVariant *parameters, GError **error)
{
    return g_dbus_connection_call_sync(gui_test_bus(), CIRRINA_BUS_NAME, path, interface, method,
                                       parameters, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                       (int)gui_test_timeout_seconds() * 1000, NULL, error);
}

GVariant *gui_test_call(const char *path, const char *interface, const char *method,
                        GVariant *parameters)
{
    g_autoptr(GError) error = NULL;
    GVariant *reply = gui_test_try_call(path, interface, method, parameters, &error);

    if (reply == NULL)
        g_error("%s.%s on %s failed: %s", interface, method, path, error->message);
    return reply;
}

char *gui_test_create_vm(const char *name, const char *config)
{
    g_autoptr(GError) error = NULL;
    /* g_variant_parse() gives a full (not floating) reference. */
    g_autoptr(GVariant) dict = g_variant_parse(G_VARIANT_TYPE_VARDICT, config, NULL, NULL, &error);
    g_assert_no_error(error);
    g_autoptr(GVariant) reply = gui_test_call(CIRRINA_OBJECT_PATH, "org.cirrina.Manager",
                                              "CreateVM", g_variant_new("(s@a{sv})", name, dict));
    char *path = NULL;

    g_variant_get(reply, "(o)", &path);
    return path;
}

GVariant *gui_test_get_property(const char *path, const char *interface, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = gui_test_try_call(path, "org.freedesktop.DBus.Properties", "Get",
                                                  g_variant_new("(ss)", interface, name), &error);
    GVariant *value = NULL;

    if (reply == NULL)
        return NULL;
    g_variant_get(reply, "(v)", &value);
    return value;
}

void gui_test_delete_all_vms(void)
{
    g_autoptr(GVariant) reply = gui_test_call(
        CIRRINA_OBJECT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
    g_autoptr(GVariantIter) objects = NULL;
    const char *path;
    GVariant *interfaces;

    g_variant_get(reply, "(a{oa{sa{sv}}})", &objects);
    while (g_variant_iter_loop(objects, "{&o@a{sa{sv}}}", &path, &interfaces)) {
        g_autoptr(GVariant) vm = g_variant_lookup_value(interfaces, "org.cirrina.VM", NULL);
        const char *state = NULL;

        if (vm == NULL)
            continue;
        g_variant_lookup(vm, "State", "&s", &state);
        if (g_strcmp0(state, "stopped") != 0)
            g_variant_unref(gui_test_call(path, "org.cirrina.VM", "Kill", NULL));
        g_variant_unref(
            gui_test_call(path, "org.cirrina.VM", "Delete", g_variant_new_parsed("(@a{sv} {},)")));
    }
}

/* ---- control */

void gui_test_control(const char *command)
{
    const char *fd_text = g_getenv("CIRRINA_GUI_TEST_CONTROL_FD");
    g_autofree char *line = g_strdup_printf("%s\n", command);
    g_autoptr(GString) answer = g_string_new(NULL);
    int fd;

    if (fd_text == NULL)
        g_error("no control socket: run the test through tests/gui/run-gui-test.py");
    fd = (int)g_ascii_strtoll(fd_text, NULL, 10);
    if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        g_error("cannot write to the control socket: %s", g_strerror(errno));
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            g_error("the control socket closed while waiting for '%s'", command);
        if (c == '\n')
            break;
        g_string_append_c(answer, c);
    }
    if (strcmp(answer->str, "ok") != 0)
        g_error("control '%s' failed: %s", command, answer->str);
}

/* ---- what a user sees */

static gboolean shown(GtkWidget *widget)
{
    return gtk_widget_get_mapped(widget) && gtk_widget_get_child_visible(widget);
}

GtkWidget *gui_test_find_label(GtkWidget *root, const char *text)
{
    if (!shown(root))
        return NULL;
    if (GTK_IS_LABEL(root) && strstr(gtk_label_get_text(GTK_LABEL(root)), text) != NULL)
        return root;
    for (GtkWidget *child = gtk_widget_get_first_child(root); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        if (GTK_IS_WINDOW(child))
            continue;
        GtkWidget *found = gui_test_find_label(child, text);
        if (found != NULL)
            return found;
    }
    return NULL;
}

GtkWidget *gui_test_find_label_anywhere(const char *text)
{
    g_autoptr(GList) windows = gtk_window_list_toplevels();

    for (GList *l = windows; l != NULL; l = l->next) {
        GtkWidget *found = gui_test_find_label(l->data, text);
        if (found != NULL)
            return found;
    }
    return NULL;
}

gboolean gui_test_has_accessible_label(GtkWidget *widget, const char *label)
{
    g_autofree char *mismatch = gtk_test_accessible_check_property(
        GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label);
    return mismatch == NULL;
}

static gboolean button_label_is(GtkWidget *widget, const char *label)
{
    const char *text = GTK_IS_BUTTON(widget) ? gtk_button_get_label(GTK_BUTTON(widget)) : NULL;
    if (text == NULL)
        return FALSE;
    g_autofree char *plain = cirrina_mnemonic_strip(text);
    return strcmp(plain, label) == 0;
}

GtkWidget *gui_test_find_widget(GtkWidget *root, GType type, const char *label)
{
    if (!shown(root))
        return NULL;
    if (g_type_is_a(G_OBJECT_TYPE(root), type) &&
        (button_label_is(root, label) || gui_test_has_accessible_label(root, label)))
        return root;
    for (GtkWidget *child = gtk_widget_get_first_child(root); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found = gui_test_find_widget(child, type, label);
        if (found != NULL)
            return found;
    }
    return NULL;
}

GtkWindow *gui_test_find_window(GType type)
{
    g_autoptr(GList) windows = gtk_window_list_toplevels();

    for (GList *l = windows; l != NULL; l = l->next) {
        if (g_type_is_a(G_OBJECT_TYPE(l->data), type) && gtk_widget_get_visible(l->data))
            return l->data;
    }
    return NULL;
}

/* XTEST from libXtst (there for AT-SPI; no headers needed). */
typedef int (*FakeKeyEvent)(Display *display, unsigned int keycode, int is_press,
                            unsigned long delay);

static FakeKeyEvent fake_key_event(void)
{
    static FakeKeyEvent fake;

    if (fake == NULL) {
        void *xtst = dlopen("libXtst.so.6", RTLD_NOW | RTLD_GLOBAL);
        if (xtst == NULL)
            g_error("cannot load libXtst.so.6 (package libxtst6): %s", dlerror());
        fake = (FakeKeyEvent)dlsym(xtst, "XTestFakeKeyEvent");
        g_assert_nonnull(fake);
    }
    return fake;
}

static void fake_key(Display *xdisplay, KeySym keysym, gboolean press)
{
    KeyCode keycode = XKeysymToKeycode(xdisplay, keysym);

    g_assert_cmpuint(keycode, !=, 0);
    fake_key_event()(xdisplay, keycode, press, 0);
}

void gui_test_press_keys(GtkWidget *widget, const char *accelerator)
{
    GtkRoot *root = gtk_widget_get_root(widget);
    GdkDisplay *display = gtk_widget_get_display(widget);
    guint keyval = 0;
    GdkModifierType modifiers = 0;
    static const struct {
        GdkModifierType mask;
        KeySym keysym;
    } modifier_keys[] = {
        {GDK_CONTROL_MASK, XK_Control_L},
        {GDK_SHIFT_MASK, XK_Shift_L},
        {GDK_ALT_MASK, XK_Alt_L},
    };

    g_assert_true(GDK_IS_X11_DISPLAY(display));
    g_assert_true(GTK_IS_WINDOW(root));
    g_assert_true(gtk_accelerator_parse(accelerator, &keyval, &modifiers));
    Display *xdisplay = gdk_x11_display_get_xdisplay(display);

    /* No window manager in Xvfb: give the window the input focus. */
    if (!gtk_window_is_active(GTK_WINDOW(root))) {
        Window xid = gdk_x11_surface_get_xid(gtk_native_get_surface(GTK_NATIVE(root)));
        XSetInputFocus(xdisplay, xid, RevertToParent, CurrentTime);
        XFlush(xdisplay);
        GUI_TEST_WAIT_UNTIL(gtk_window_is_active(GTK_WINDOW(root)),
                            "the window to get the keyboard focus");
    }
    for (guint i = 0; i < G_N_ELEMENTS(modifier_keys); i++) {
        if (modifiers & modifier_keys[i].mask)
            fake_key(xdisplay, modifier_keys[i].keysym, TRUE);
    }
    fake_key(xdisplay, keyval, TRUE);
    fake_key(xdisplay, keyval, FALSE);
    for (guint i = G_N_ELEMENTS(modifier_keys); i-- > 0;) {
        if (modifiers & modifier_keys[i].mask)
            fake_key(xdisplay, modifier_keys[i].keysym, FALSE);
    }
    XSync(xdisplay, False);
    /* The events come back from the server: let GTK handle them. */
    gui_test_run_for(150);
}

void gui_test_click(GtkWidget *button)
{
    g_assert_true(GTK_IS_BUTTON(button));
    g_assert_true(shown(button));
    g_assert_true(gtk_widget_is_sensitive(button));
    g_signal_emit_by_name(button, "clicked");
}

void gui_test_pick_from_menu(GtkWidget *root, const char *menu_label, const char *item)
{
    GtkWidget *button = gui_test_find_widget(root, GTK_TYPE_MENU_BUTTON, menu_label);

    if (button == NULL)
        g_error("no menu button “%s”", menu_label);
    gtk_menu_button_popup(GTK_MENU_BUTTON(button));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(root, item) != NULL, "the menu to open");
    GtkWidget *menu_item = gtk_widget_get_ancestor(gui_test_find_label(root, item),
                                                   g_type_from_name("GtkModelButton"));
    g_assert_nonnull(menu_item);
    /* Actions follow an object's state a moment after its labels do: a
     * row's also wait for the reply to its last call, and a State signal
     * can come before that reply. */
    GUI_TEST_WAIT_UNTIL(gtk_widget_is_sensitive(menu_item), item);
    gtk_widget_activate(menu_item);
}

void gui_test_screenshot(GtkWidget *widget, const char *name)
{
    const char *dir = g_getenv("CIRRINA_GUI_SCREENSHOT_DIR");
    g_autoptr(GError) error = NULL;

    if (dir == NULL)
        return;
    /* Draw what is there now: layout and paint pending changes first. A
     * window just presented (a dialog) has no size until it is mapped,
     * which takes longer on a loaded machine. */
    gui_test_run_for(200);
    GUI_TEST_WAIT_UNTIL(gtk_widget_get_width(widget) > 0 && gtk_widget_get_height(widget) > 0,
                        "the widget to be laid out for its screenshot");
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(widget);
    g_autoptr(GskRenderNode) node = NULL;
    /* A widget that has not drawn its next frame yet (a toast sliding in, a
     * child moved to another window) has no render node for a moment. */
    for (guint tries = 0; node == NULL && tries < 50; tries++) {
        if (tries > 0)
            gui_test_run_for(100);
        g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new();
        gdk_paintable_snapshot(paintable, snapshot, width, height);
        node = gtk_snapshot_free_to_node(g_steal_pointer(&snapshot));
    }
    if (node == NULL) {
        g_test_message("screenshot %s: nothing drawn within 5 s, none saved", name);
        return;
    }
    GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));
    graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, width, height);
    g_autoptr(GdkTexture) texture = gsk_renderer_render_texture(renderer, node, &bounds);
    g_autofree char *file = g_strdup_printf("%s.png", name);
    g_autofree char *path = g_build_filename(dir, file, NULL);

    if (!gdk_texture_save_to_png(texture, path))
        g_error("cannot save the screenshot %s", path);
    g_test_message("screenshot: %s", path);
}

/* The console page against a real guest: one test guest (the cached test
 * ISO, tests/data/guest) created over D-Bus and started from the page's
 * Start button, then, in order, on that one boot: the display shows the
 * guest's screen (the widget's texture is not one colour), the serial tab
 * shows the guest's marker and a command typed into the terminal gets its
 * answer, Ctrl+Alt+Del from the toolbar reboots the guest (its marker comes
 * again), screenshot, fullscreen and the keyboard shortcuts; after the VM
 * is killed behind the page's back and started again, both tabs connect by
 * themselves; without a display and with two serial ports, the display tab
 * says so and each port has its tab.
 *
 * Screenshots of the page go to <build>/tests/gui/screenshots/. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "cirrina-console-page.h"
#include "cirrina-vnc-display.h"
#include "cirrina-window.h"
#include "gui-test.h"

#define GUEST_MEMORY (512 * 1024 * 1024ULL) /* GRUB needs more than 288 MiB */
/* Seconds, times CIRRINA_TEST_TIMEOUT_SCALE: booting under TCG on two
 * loaded cores takes long; generous bounds, never a timing assertion. */
#define BOOT_TIMEOUT 300
#define VM_INTERFACE "org.cirrina.VM"

static struct {
    CirrinaWindow *window;
    CirrinaConsolePage *page;
    CirrinaObject *vm;
    char *vm_path;
    char *iso_dir;
} t;

static const char *vm_state(void)
{
    return cirrina_vm_get_state(cirrina_object_peek_vm(t.vm));
}

/* Runs the main loop until condition(data) holds, for up to seconds (times
 * the sanitizer scale); fails with what otherwise. */
static void wait_for(gboolean (*condition)(gconstpointer), gconstpointer data, guint seconds,
                     const char *what)
{
    guint scale = MAX(1, gui_test_timeout_seconds() / 30);
    gint64 deadline = g_get_monotonic_time() + (gint64)seconds * scale * G_USEC_PER_SEC;
    while (!condition(data)) {
        if (g_get_monotonic_time() > deadline) {
            g_autofree char *why =
                g_strdup_printf("%s (the VM is %s)", what, t.vm ? vm_state() : "not there");
            gui_test_fail_timeout(__FILE__, __LINE__, why);
        }
        gui_test_iterate();
    }
}

/* The first widget of type under root, shown or not. */
static GtkWidget *find_by_type(GtkWidget *root, GType type)
{
    if (G_TYPE_CHECK_INSTANCE_TYPE(root, type))
        return root;
    for (GtkWidget *child = gtk_widget_get_first_child(root); child;
         child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found = find_by_type(child, type);
        if (found)
            return found;
    }
    return NULL;
}

/* --- what the user sees --- */

static CirrinaSerialTerminal *com1(void)
{
    CirrinaSerialTerminal *terminal = cirrina_console_page_get_serial_terminal(t.page, "com1");
    g_assert_nonnull(terminal);
    return terminal;
}

/* The whole text of the terminal, scrollback included. */
static char *terminal_text(void)
{
    VteTerminal *vte = cirrina_serial_terminal_get_vte(com1());
    glong cursor_row;
    vte_terminal_get_cursor_position(vte, NULL, &cursor_row);
    return vte_terminal_get_text_range(vte, 0, 0, cursor_row + 1, 0, NULL, NULL, NULL);
}

/* Lines of the terminal that are exactly line (around blanks). */
static guint count_lines(const char *line)
{
    g_autofree char *text = terminal_text();
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = 0;
    for (guint i = 0; lines[i]; i++)
        if (g_str_equal(g_strstrip(lines[i]), line))
            n++;
    return n;
}

static gboolean markers_shown(gconstpointer n)
{
    return count_lines("CIRRINA-GUEST-READY") >= GPOINTER_TO_UINT(n);
}

static void wait_marker(guint n)
{
    if (!markers_shown(GUINT_TO_POINTER(n)))
        g_test_message("waiting for CIRRINA-GUEST-READY #%u in the serial tab", n);
    wait_for(markers_shown, GUINT_TO_POINTER(n), BOOT_TIMEOUT,
             "CIRRINA-GUEST-READY in the serial tab");
}

/* Whether a texture has more than one colour: not blank. */
static gboolean texture_has_picture(GdkTexture *texture)
{
    int width = gdk_texture_get_width(texture), height = gdk_texture_get_height(texture);
    gsize stride = (gsize)width * 4, size = stride * (gsize)height;
    g_autofree guchar *pixels = g_malloc(size);
    gdk_texture_download(texture, pixels, stride);
    for (gsize i = 4; i < size; i += 4)
        if (memcmp(pixels + i, pixels, 4) != 0)
            return TRUE;
    return FALSE;
}

static CirrinaVncDisplay *display(void)
{
    return CIRRINA_VNC_DISPLAY(cirrina_console_page_get_display(t.page));
}

static gboolean display_has_picture(gconstpointer data)
{
    g_autoptr(GdkTexture) texture = cirrina_vnc_display_get_texture(display());
    return texture && texture_has_picture(texture);
}

static gboolean state_is(gconstpointer state)
{
    return g_strcmp0(vm_state(), state) == 0;
}

static gboolean label_shown(gconstpointer text)
{
    return gui_test_find_label(GTK_WIDGET(t.window), text) != NULL;
}

static GtkWidget *button(const char *label)
{
    GtkWidget *widget = gui_test_find_widget(GTK_WIDGET(t.page), GTK_TYPE_BUTTON, label);
    if (!widget)
        g_error("no button “%s” is shown", label);
    return widget;
}

/* Every button shown under root has a name a screen reader can read: its
 * label, or an accessible label or labelling widget. */
static void assert_buttons_named(GtkWidget *root)
{
    if (!gtk_widget_get_mapped(root))
        return;
    if (GTK_IS_BUTTON(root)) {
        GtkAccessible *accessible = GTK_ACCESSIBLE(root);
        gboolean named =
            gtk_button_get_label(GTK_BUTTON(root)) ||
            gtk_test_accessible_has_property(accessible, GTK_ACCESSIBLE_PROPERTY_LABEL) ||
            gtk_test_accessible_has_relation(accessible, GTK_ACCESSIBLE_RELATION_LABELLED_BY);
        if (!named)
            g_error("a %s (tooltip “%s”) has no accessible name", G_OBJECT_TYPE_NAME(root),
                    gtk_widget_get_tooltip_text(root));
    }
    for (GtkWidget *child = gtk_widget_get_first_child(root); child;
         child = gtk_widget_get_next_sibling(child))
        assert_buttons_named(child);
}

/* No error toast: the window shows every failure as one. */
static void assert_no_error_shown(void)
{
    g_assert_null(gui_test_find_label(GTK_WIDGET(t.window), "Cannot"));
    g_assert_null(gui_test_find_label(GTK_WIDGET(t.window), "Display:"));
}

/* --- the guest, created over D-Bus as a script would --- */

static char *guest_iso(void)
{
    const char *root = g_getenv("CIRRINA_SOURCE_ROOT");
    g_autoptr(GError) error = NULL;
    g_assert_nonnull(root);
    t.iso_dir = g_dir_make_tmp("cirrina-gui-iso-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree char *script =
        g_build_filename(root, "tests", "data", "guest", "build-guest-iso", NULL);
    char *iso = g_build_filename(t.iso_dir, "guest.iso", NULL);
    const char *argv[] = {script, iso, NULL};
    /* The ISO cache of the user running the tests, not of the test's own
     * HOME (that would download and build it again every time). */
    g_auto(GStrv) env = g_get_environ();
    if (!g_environ_getenv(env, "CIRRINA_CACHE_DIR")) {
        struct passwd *user = getpwuid(getuid());
        g_assert_nonnull(user);
        g_autofree char *cache = g_build_filename(user->pw_dir, ".cache", "cirrina", NULL);
        env = g_environ_setenv(env, "CIRRINA_CACHE_DIR", cache, TRUE);
    }
    int status;
    g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                 &status, &error);
    g_assert_no_error(error);
    g_spawn_check_wait_status(status, &error);
    g_assert_no_error(error);
    return iso;
}

static void create_guest(void)
{
    g_autofree char *iso_path = guest_iso();
    g_autoptr(GVariant) iso = gui_test_call("/org/cirrina", "org.cirrina.Manager", "RegisterISO",
                                            g_variant_new("(ssa{sv})", "guest", iso_path, NULL));
    const char *iso_object = NULL;
    g_variant_get(iso, "(&o)", &iso_object);
    g_autofree char *config = g_strdup_printf("{'ISOs': <[objectpath '%s']>, "
                                              "'Memory': <uint64 %llu>}",
                                              iso_object, GUEST_MEMORY);
    t.vm_path = gui_test_create_vm("console", config);
}

static void call_vm(const char *method)
{
    g_autoptr(GVariant) reply = gui_test_call(t.vm_path, VM_INTERFACE, method, NULL);
}

/* --- the steps, in order, on one guest --- */

static void test_stopped_page(void)
{
    GUI_TEST_WAIT_UNTIL(cirrina_client_get_connected(cirrina_window_get_client(t.window)),
                        "the app connects");
    GDBusObjectManager *objects =
        cirrina_client_get_object_manager(cirrina_window_get_client(t.window));
    GUI_TEST_WAIT_UNTIL(
        (t.vm = (CirrinaObject *)g_dbus_object_manager_get_object(objects, t.vm_path)) != NULL,
        "the app sees the VM");
    cirrina_window_show_console(t.window, t.vm);
    g_assert_cmpstr(cirrina_window_get_visible_vm_page(t.window), ==, "console");
    GUI_TEST_WAIT_UNTIL(label_shown("The VM Is Not Running"), "the page says the VM is stopped");
    assert_buttons_named(GTK_WIDGET(t.page));
    gui_test_run_for(300);
    gui_test_screenshot(GTK_WIDGET(t.window), "console-stopped");
}

static void test_start_button(void)
{
    gui_test_click(button("Start the virtual machine"));
    wait_for(state_is, "running", BOOT_TIMEOUT, "the VM runs after Start");
    GUI_TEST_WAIT_UNTIL(gtk_widget_get_mapped(cirrina_console_page_get_display(t.page)),
                        "the page shows the display");
    g_assert_cmpstr(cirrina_console_page_get_visible_view(t.page), ==, "display");
    assert_buttons_named(GTK_WIDGET(t.page));
}

static void test_display_has_picture(void)
{
    wait_for(display_has_picture, NULL, BOOT_TIMEOUT, "the display shows a picture");
    g_assert_true(cirrina_vnc_display_get_connected(display()));
}

static void test_serial_marker(void)
{
    cirrina_console_page_show_view(t.page, "serial-com1");
    g_assert_true(gtk_widget_get_mapped(GTK_WIDGET(com1())));
    g_assert_true(cirrina_serial_terminal_get_attached(com1()));
    wait_marker(1);
    /* The display has shown the guest's shell (tty1) by now too; QEMU's
     * VNC server slows its updates to one every few seconds on a still
     * screen: wait for the last one. */
    cirrina_console_page_show_view(t.page, "display");
    gui_test_run_for(4000);
    gui_test_screenshot(GTK_WIDGET(t.window), "console-display");
}

static gboolean answer_shown(gconstpointer data)
{
    return count_lines("42") >= 1;
}

/* Types text on the keyboard (US layout, as Xvfb has it), key by key. */
static void type_text(GtkWidget *widget, const char *text)
{
    static const struct {
        char c;
        const char *keys;
    } special[] = {
        {' ', "space"},    {'$', "<Shift>4"}, {'(', "<Shift>9"},
        {')', "<Shift>0"}, {'*', "<Shift>8"}, {'\r', "Return"},
    };
    for (const char *p = text; *p; p++) {
        char plain[2] = {*p, 0};
        const char *keys = plain;
        for (guint i = 0; i < G_N_ELEMENTS(special); i++)
            if (special[i].c == *p)
                keys = special[i].keys;
        g_assert_true(g_ascii_isalnum(*p) || keys != plain);
        gui_test_press_keys(widget, keys);
    }
}

static void test_serial_typing(void)
{
    cirrina_console_page_show_view(t.page, "serial-com1");
    VteTerminal *vte = cirrina_serial_terminal_get_vte(com1());
    /* The tab in front has the keyboard; keys go through VTE to the guest. */
    g_assert_true(gtk_widget_has_focus(GTK_WIDGET(vte)));
    type_text(GTK_WIDGET(vte), "echo $((6*7))\r");
    wait_for(answer_shown, NULL, 60, "the terminal shows the answer 42");
    gui_test_run_for(300);
    gui_test_screenshot(GTK_WIDGET(t.window), "console-serial");
}

static void test_ctrl_alt_del(void)
{
    cirrina_console_page_show_view(t.page, "display");
    GtkWidget *send = button("Ctrl+Alt+Del");
    g_assert_true(gtk_widget_is_sensitive(send));
    gui_test_click(send);
    /* The guest's init reboots on Ctrl+Alt+Del: the VM stays up and the
     * marker comes a second time, on the same serial connection. */
    wait_marker(2);
    g_assert_cmpstr(vm_state(), ==, "running");
    assert_no_error_shown();
}

static void test_screenshot(void)
{
    /* After the reboot: once the guest draws again. */
    wait_for(display_has_picture, NULL, BOOT_TIMEOUT, "the display shows a picture");
    g_autofree char *dir = g_dir_make_tmp("cirrina-shot-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "screen.png", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(cirrina_console_page_save_screenshot(t.page, path, &error));
    g_assert_no_error(error);
    g_autoptr(GdkTexture) png = gdk_texture_new_from_filename(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(gdk_texture_get_width(png), ==, cirrina_vnc_display_get_width(display()));
    g_assert_cmpint(gdk_texture_get_height(png), ==, cirrina_vnc_display_get_height(display()));
    g_assert_true(texture_has_picture(png));
    g_unlink(path);
    g_rmdir(dir);
}

static gboolean fullscreen_shown(void)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(display()));
    return GTK_IS_WINDOW(root) && root != GTK_ROOT(t.window) &&
           gtk_widget_get_mapped(GTK_WIDGET(display()));
}

static gboolean in_window(void)
{
    return gtk_widget_get_root(GTK_WIDGET(display())) == GTK_ROOT(t.window) &&
           gtk_widget_get_mapped(GTK_WIDGET(display()));
}

static void test_fullscreen(void)
{
    g_assert_true(in_window());
    /* The toolbar's button in, F11 out. */
    gui_test_click(button("Show the display fullscreen"));
    GUI_TEST_WAIT_UNTIL(fullscreen_shown(), "the display alone in a fullscreen window");
    g_assert_true(display_has_picture(NULL));
    gui_test_run_for(300);
    gui_test_screenshot(GTK_WIDGET(gtk_widget_get_root(GTK_WIDGET(display()))),
                        "console-fullscreen");
    gui_test_press_keys(GTK_WIDGET(display()), "F11");
    GUI_TEST_WAIT_UNTIL(in_window(), "the display back in the window");

    /* F11 in, though the display (which sends keys to the VM) has the
     * keyboard; Ctrl+Alt+G takes the keyboard from the display to the bar
     * at the top, whose button leaves. */
    g_assert_true(gtk_window_get_focus(GTK_WINDOW(t.window)) == GTK_WIDGET(display()));
    gui_test_press_keys(GTK_WIDGET(display()), "F11");
    GUI_TEST_WAIT_UNTIL(fullscreen_shown(), "the display alone in a fullscreen window");
    GtkWidget *root = GTK_WIDGET(gtk_widget_get_root(GTK_WIDGET(display())));
    gui_test_press_keys(GTK_WIDGET(display()), "<Control><Alt>g");
    GtkWidget *leave = NULL;
    GUI_TEST_WAIT_UNTIL(
        (leave = gui_test_find_widget(root, GTK_TYPE_BUTTON, "Leave Fullscreen (F11)")) != NULL,
        "the fullscreen bar shows");
    g_assert_true(gtk_widget_has_focus(leave));
    gui_test_click(leave);
    GUI_TEST_WAIT_UNTIL(in_window(), "the display back in the window");
}

/* In the window, Ctrl+Alt+G moves the keyboard from the display to the
 * toolbar. */
static void test_release_keyboard(void)
{
    g_assert_true(gtk_widget_grab_focus(GTK_WIDGET(display())));
    gui_test_press_keys(GTK_WIDGET(display()), "<Control><Alt>g");
    GtkWidget *focus = gtk_window_get_focus(GTK_WINDOW(t.window));
    g_assert_nonnull(focus);
    g_assert_true(focus == button("Ctrl+Alt+Del"));
}

static void test_scale_to_fit(void)
{
    GtkWidget *toggle = button("Scale the display to the window");
    g_assert_true(cirrina_vnc_display_get_scale_to_fit(display()));
    gui_test_click(toggle);
    g_assert_false(cirrina_vnc_display_get_scale_to_fit(display()));
    gui_test_click(toggle);
    g_assert_true(cirrina_vnc_display_get_scale_to_fit(display()));
}

static gboolean reconnected(gconstpointer data)
{
    return cirrina_vnc_display_get_connected(display()) &&
           cirrina_serial_terminal_get_attached(com1());
}

/* Killed behind the page's back: the page says so; started again (by
 * another client), both tabs reconnect by themselves. */
static void test_reconnects_after_restart(void)
{
    call_vm("Kill");
    GUI_TEST_WAIT_UNTIL(label_shown("The VM Is Not Running"), "the page says the VM stopped");
    GUI_TEST_WAIT_UNTIL(!cirrina_serial_terminal_get_attached(com1()), "the serial tab lets go");
    call_vm("Start");
    wait_for(reconnected, NULL, BOOT_TIMEOUT, "display and serial console reconnect");
    wait_for(display_has_picture, NULL, BOOT_TIMEOUT, "the display shows the new boot");
    assert_no_error_shown();
    call_vm("Kill");
}

static gboolean terminal_attached(gconstpointer port)
{
    CirrinaSerialTerminal *terminal = cirrina_console_page_get_serial_terminal(t.page, port);
    return terminal && cirrina_serial_terminal_get_attached(terminal);
}

/* Without a display and with two serial ports: the display tab says so,
 * and there is a tab per port, each connected. */
static void test_no_display_two_ports(void)
{
    GUI_TEST_WAIT_UNTIL(label_shown("The VM Is Not Running"), "the page says the VM stopped");
    g_autoptr(GVariant) reply =
        gui_test_call(t.vm_path, VM_INTERFACE, "Update",
                      g_variant_new_parsed("({'Display': <'none'>, 'SerialPorts': <uint32 2>},)"));
    GUI_TEST_WAIT_UNTIL(cirrina_console_page_get_serial_terminal(t.page, "com2") != NULL,
                        "a tab for the second port");
    call_vm("Start");
    wait_for(terminal_attached, "com1", BOOT_TIMEOUT, "the first port connects");
    wait_for(terminal_attached, "com2", BOOT_TIMEOUT, "the second port connects");
    cirrina_console_page_show_view(t.page, "display");
    GUI_TEST_WAIT_UNTIL(label_shown("No Display"), "the display tab says there is none");
    g_assert_false(gtk_widget_get_mapped(GTK_WIDGET(display())));
    GUI_TEST_WAIT_UNTIL(label_shown("Serial 2"), "the second port's tab");
    assert_no_error_shown();
    call_vm("Kill");
}

int main(int argc, char **argv)
{
    gui_test_init(&argc, &argv);
    if (!g_file_test("/usr/bin/qemu-system-x86_64", G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("qemu-system-x86_64 is not installed");
        return g_test_run();
    }
    create_guest();
    t.window = gui_test_window_new();
    t.page = CIRRINA_CONSOLE_PAGE(find_by_type(GTK_WIDGET(t.window), CIRRINA_TYPE_CONSOLE_PAGE));

    g_test_add_func("/console/stopped-page", test_stopped_page);
    g_test_add_func("/console/start-button", test_start_button);
    g_test_add_func("/console/display-has-picture", test_display_has_picture);
    g_test_add_func("/console/serial-marker", test_serial_marker);
    g_test_add_func("/console/serial-typing", test_serial_typing);
    g_test_add_func("/console/ctrl-alt-del", test_ctrl_alt_del);
    g_test_add_func("/console/screenshot", test_screenshot);
    g_test_add_func("/console/fullscreen", test_fullscreen);
    g_test_add_func("/console/release-keyboard", test_release_keyboard);
    g_test_add_func("/console/scale-to-fit", test_scale_to_fit);
    g_test_add_func("/console/reconnects-after-restart", test_reconnects_after_restart);
    g_test_add_func("/console/no-display-two-ports", test_no_display_two_ports);
    int status = g_test_run();

    gui_test_delete_all_vms();
    g_clear_object(&t.vm);
    gui_test_window_destroy(t.window);
    g_free(t.vm_path);
    if (t.iso_dir) {
        g_autofree char *iso = g_build_filename(t.iso_dir, "guest.iso", NULL);
        g_unlink(iso);
        g_rmdir(t.iso_dir);
        g_free(t.iso_dir);
    }
    return status;
}

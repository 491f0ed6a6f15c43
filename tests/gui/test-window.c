/* The main window without and with cirrinad: the "Cannot reach cirrinad"
 * page names the bus and how to start the daemon, and goes away by itself
 * when the daemon appears (and comes back when it leaves); toasts for
 * errors; accessible names of the header's icon buttons.
 * Run by run-gui-test.py --no-daemon: the bus is there, cirrinad is not. */
#include "gui-test.h"

#include "cirrina-new-vm-dialog.h"

static gboolean page_is(CirrinaWindow *window, const char *page)
{
    return g_strcmp0(cirrina_window_get_visible_page(window), page) == 0;
}

static void test_no_daemon(void)
{
    g_autoptr(CirrinaWindow) window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Cannot reach cirrinad"),
                        "the no-daemon page");
    g_assert_true(page_is(window, "offline"));
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "not running on the system bus"));
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "systemctl start cirrinad"));
    g_assert_null(gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_BUTTON, "New Virtual Machine"));
    gui_test_screenshot(GTK_WIDGET(window), "window-no-daemon");

    gui_test_control("start-daemon");
    GUI_TEST_WAIT_UNTIL(page_is(window, "vms"), "the VM page once cirrinad is there");
    g_assert_null(gui_test_find_label(GTK_WIDGET(window), "Cannot reach cirrinad"));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No Virtual Machines"),
                        "the empty VM list");
    g_assert_true(g_action_get_enabled(g_action_map_lookup_action(G_ACTION_MAP(window), "new-vm")));

    gui_test_control("stop-daemon");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Cannot reach cirrinad"),
                        "the no-daemon page after cirrinad left");

    /* Back again, with what the daemon has. */
    gui_test_control("start-daemon");
    g_autofree char *path = gui_test_create_vm("comeback", "{}");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "comeback"),
                        "the VM of the restarted daemon");
    g_variant_unref(
        gui_test_call(path, "org.cirrina.VM", "Delete", g_variant_new_parsed("(@a{sv} {},)")));
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_header(void)
{
    gui_test_control("ensure-daemon");
    g_autoptr(CirrinaWindow) window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(page_is(window, "vms"), "the VM page");
    /* Icon-only buttons have names a screen reader can say. */
    GtkWidget *new_vm =
        gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_BUTTON, "New Virtual Machine");
    g_assert_nonnull(new_vm);
    g_assert_nonnull(gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_MENU_BUTTON, "Main Menu"));

    /* The "+" opens the new-VM dialog (Ctrl+N runs the same action). */
    gui_test_click(new_vm);
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) != NULL,
                        "the new-VM dialog");
    GtkWindow *dialog = gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG);
    g_assert_true(gtk_window_get_transient_for(dialog) == GTK_WINDOW(window));
    gtk_window_close(dialog);
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) == NULL,
                        "the dialog to close");

    /* The other pages, by the view switcher's names. */
    const char *pages[] = {"switches", "disks", "isos", "vms"};
    for (guint i = 0; i < G_N_ELEMENTS(pages); i++) {
        g_assert_true(
            gtk_widget_activate_action(GTK_WIDGET(window), "win.show-page", "s", pages[i]));
        GUI_TEST_WAIT_UNTIL(page_is(window, pages[i]), pages[i]);
    }
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_error_toast(void)
{
    gui_test_control("ensure-daemon");
    g_autoptr(CirrinaWindow) window = gui_test_window_new();
    /* What a failed call gives: the remote error name in the message. */
    g_autoptr(GError) busy = g_dbus_error_new_for_dbus_error(
        "org.cirrina.Error.Busy", "VM 'web1' is running: stop it to change its CPUs");
    g_autoptr(GError) denied = g_dbus_error_new_for_dbus_error(
        "org.freedesktop.DBus.Error.AccessDenied", "org.cirrina.vm.power was not granted");
    g_autoptr(GError) cancelled = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");

    GUI_TEST_WAIT_UNTIL(page_is(window, "vms"), "the VM page");
    cirrina_window_show_error(window, "Cannot apply <changes>", busy);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window),
                                            "Cannot apply <changes>: Busy: VM 'web1' is "
                                            "running: stop it to change its CPUs"),
                        "the Busy toast, without the D-Bus prefix");
    g_assert_null(gui_test_find_label(GTK_WIDGET(window), "GDBus.Error"));

    cirrina_window_show_error(window, "Cannot start “web1”", denied);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Cannot start “web1”: Not "
                                                                "allowed: org.cirrina.vm.power"),
                        "the AccessDenied toast");
    gui_test_screenshot(GTK_WIDGET(window), "window-error-toast");

    /* Errors are not lost: dismissing the second shows the first again. */
    GtkWidget *shown_label = gui_test_find_label(GTK_WIDGET(window), "Cannot start “web1”");
    GtkWidget *toast = gtk_widget_get_ancestor(shown_label, g_type_from_name("AdwToastWidget"));
    g_assert_nonnull(toast);
    GtkWidget *dismiss = NULL;
    for (GtkWidget *w = gtk_widget_get_first_child(toast); w != NULL && dismiss == NULL;
         w = gtk_widget_get_next_sibling(w)) {
        if (GTK_IS_BUTTON(w) && gtk_widget_get_mapped(w))
            dismiss = w; /* the toast's only shown button: its close button */
    }
    g_assert_nonnull(dismiss);
    gui_test_click(dismiss);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Cannot apply <changes>: Busy"),
                        "the first toast again");
    g_assert_null(gui_test_find_label(GTK_WIDGET(window), "Cannot start “web1”"));

    /* A cancelled operation (the user's own doing) shows nothing. */
    g_autofree char *text = cirrina_client_describe_error(cancelled);
    g_assert_null(text);
    gui_test_window_destroy(g_steal_pointer(&window));
}

int main(int argc, char **argv)
{
    gui_test_init(&argc, &argv);
    g_test_add_func("/window/no-daemon", test_no_daemon);
    g_test_add_func("/window/header", test_header);
    g_test_add_func("/window/error-toast", test_error_toast);
    return g_test_run();
}

/* The VM list page, against a real cirrinad: it lists what the daemon has,
 * follows changes made behind its back (create, rename, edit, delete), and
 * its buttons and menu start, force off and delete a VM (a QEMU without
 * disks: it runs, with nothing to boot). */
#include "gui-test.h"

#include "cirrina-new-vm-dialog.h"
#include "cirrina-vm-list-page.h"
#include "cirrina-vm-row.h"

#define VM "org.cirrina.VM"

static GtkListBox *vm_list_box(CirrinaWindow *window)
{
    return GTK_LIST_BOX(
        gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_LIST_BOX, "Virtual Machines"));
}

/* The names in the list, top to bottom, as the user reads them:
 * "alpha,db,web1"; "" when no list is shown. */
static char *shown_vm_names(CirrinaWindow *window)
{
    GtkListBox *list = vm_list_box(window);
    g_autoptr(GString) names = g_string_new(NULL);

    if (list == NULL)
        return g_strdup("");
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(list, i);
        if (row == NULL)
            break;
        if (names->len > 0)
            g_string_append_c(names, ',');
        g_string_append(names, adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)));
    }
    return g_string_free(g_steal_pointer(&names), FALSE);
}

static gboolean names_are(CirrinaWindow *window, const char *expected)
{
    g_autofree char *names = shown_vm_names(window);
    return g_strcmp0(names, expected) == 0;
}

/* The row titled name, or NULL. */
static GtkWidget *vm_row(CirrinaWindow *window, const char *name)
{
    GtkListBox *list = vm_list_box(window);

    for (int i = 0; list != NULL; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(list, i);
        if (row == NULL)
            break;
        if (g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), name) == 0)
            return GTK_WIDGET(row);
    }
    return NULL;
}

static char *vm_state(const char *path)
{
    g_autoptr(GVariant) state = gui_test_get_property(path, VM, "State");
    return state != NULL ? g_variant_dup_string(state, NULL) : NULL;
}

static gboolean vm_state_is(const char *path, const char *expected)
{
    g_autofree char *state = vm_state(path);
    return g_strcmp0(state, expected) == 0;
}

/* Whether the row's menu offers item as something to click. */
static gboolean row_menu_item_sensitive(GtkWidget *row, const char *name, const char *item)
{
    g_autofree char *more_label = g_strdup_printf("More actions for %s", name);
    GtkWidget *more = gui_test_find_widget(row, GTK_TYPE_MENU_BUTTON, more_label);

    gtk_menu_button_popup(GTK_MENU_BUTTON(more));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(row, item) != NULL, "the menu to open");
    GtkWidget *menu_item =
        gtk_widget_get_ancestor(gui_test_find_label(row, item), g_type_from_name("GtkModelButton"));
    gboolean sensitive = gtk_widget_is_sensitive(menu_item);
    gtk_menu_button_popdown(GTK_MENU_BUTTON(more));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(row, item) == NULL, "the menu to close");
    return sensitive;
}

static void test_follows_daemon(void)
{
    gui_test_delete_all_vms();
    g_autoptr(CirrinaWindow) window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No Virtual Machines"),
                        "the empty page");
    gui_test_screenshot(GTK_WIDGET(window), "vm-list-empty");

    g_autofree char *web1 =
        gui_test_create_vm("web1", "{'Description': <'Web server'>, 'Group': <'prod'>}");
    g_autofree char *alpha = gui_test_create_vm("alpha", "{'Description': <'First'>}");
    g_autofree char *db = gui_test_create_vm("db", "{'Group': <'prod'>}");
    GUI_TEST_WAIT_UNTIL(names_are(window, "alpha,db,web1"), "the three VMs, sorted by name");
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "prod — Web server"));
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "3 machines"));
    g_assert_null(gui_test_find_label(GTK_WIDGET(window), "No Virtual Machines"));
    /* Every row says it is stopped, in words. */
    for (const char *const *name = (const char *const[]){"alpha", "db", "web1", NULL}; *name;
         name++)
        g_assert_nonnull(gui_test_find_label(vm_row(window, *name), "Stopped"));
    gui_test_screenshot(GTK_WIDGET(window), "vm-list");

    /* Renamed behind its back: the row follows and moves. */
    g_variant_unref(gui_test_call(alpha, VM, "Rename", g_variant_new("(s)", "zulu")));
    GUI_TEST_WAIT_UNTIL(names_are(window, "db,web1,zulu"), "alpha renamed to zulu, last");

    /* Edited behind its back. */
    g_variant_unref(
        gui_test_call(db, VM, "Update", g_variant_new_parsed("({'Description': <'Database'>},)")));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(vm_row(window, "db"), "prod — Database"),
                        "db's new description");

    /* Deleted behind its back. */
    g_variant_unref(gui_test_call(web1, VM, "Delete", g_variant_new_parsed("(@a{sv} {},)")));
    GUI_TEST_WAIT_UNTIL(names_are(window, "db,zulu"), "web1 gone");
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "2 machines"));

    gui_test_delete_all_vms();
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No Virtual Machines"),
                        "the empty page again");
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_power_from_ui(void)
{
    gui_test_delete_all_vms();
    g_autofree char *path =
        gui_test_create_vm("runner", "{'Memory': <uint64 67108864>, 'Description': <'No disks'>}");
    g_autoptr(CirrinaWindow) window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(vm_row(window, "runner") != NULL, "the row of runner");
    GtkWidget *row = vm_row(window, "runner");
    GtkWidget *start = gui_test_find_widget(row, GTK_TYPE_BUTTON, "Start runner");
    g_assert_nonnull(start);
    g_assert_false(row_menu_item_sensitive(row, "runner", "Force Off"));
    g_assert_true(row_menu_item_sensitive(row, "runner", "Delete…"));

    gui_test_click(start);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(vm_row(window, "runner"), "Running"),
                        "the row to say Running");
    g_assert_true(vm_state_is(path, "running"));
    row = vm_row(window, "runner");
    /* Running: the button shuts down; deleting is not offered. */
    g_assert_null(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Start runner"));
    g_assert_nonnull(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Shut down runner"));
    g_assert_false(row_menu_item_sensitive(row, "runner", "Delete…"));
    gui_test_screenshot(GTK_WIDGET(window), "vm-list-running");

    gui_test_pick_from_menu(row, "More actions for runner", "Force Off");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(vm_row(window, "runner"), "Stopped"),
                        "the row to say Stopped");
    g_assert_true(vm_state_is(path, "stopped"));

    /* Delete asks first; cancelling keeps the VM. */
    row = vm_row(window, "runner");
    gui_test_pick_from_menu(row, "More actions for runner", "Delete…");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG) != NULL, "the confirmation");
    GtkWidget *dialog = GTK_WIDGET(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG));
    g_assert_nonnull(gui_test_find_label(dialog, "Delete “runner”?"));
    gui_test_screenshot(dialog, "vm-delete-confirmation");
    gui_test_click(gui_test_find_widget(dialog, GTK_TYPE_BUTTON, "Cancel"));
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG) == NULL,
                        "the confirmation to close");
    gui_test_run_for(300);
    g_assert_true(names_are(window, "runner"));

    /* The focused row's vm.delete (what its Delete key binding runs; GTK 4
     * has no public way to synthesize the key press), then "Delete". */
    row = vm_row(window, "runner");
    gtk_widget_grab_focus(row);
    g_assert_true(gtk_widget_has_focus(row));
    g_assert_true(gtk_widget_activate_action(row, "vm.delete", NULL));
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG) != NULL, "the confirmation");
    dialog = GTK_WIDGET(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG));
    gui_test_click(gui_test_find_widget(dialog, GTK_TYPE_BUTTON, "Delete"));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No Virtual Machines"),
                        "the list to be empty");
    g_autoptr(GVariant) gone = gui_test_get_property(path, VM, "Name");
    g_assert_null(gone);
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_details_navigation(void)
{
    gui_test_delete_all_vms();
    g_autofree char *path = gui_test_create_vm("nav", "{}");
    g_autoptr(CirrinaWindow) window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(vm_row(window, "nav") != NULL, "the row of nav");
    GtkWidget *row = vm_row(window, "nav");
    g_assert_true(gtk_widget_get_focusable(row));
    /* Enter on a row: the row's "activate" key binding. */
    gtk_widget_grab_focus(row);
    g_signal_emit_by_name(row, "activate");
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "details") == 0,
                        "the details page");
    GtkWidget *back = gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_BUTTON, "Back");
    g_assert_nonnull(back);
    gui_test_click(back);
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "list") == 0,
                        "the list again");

    /* Deleted behind its back while its details are shown: back to the
     * list, with a word why. */
    g_signal_emit_by_name(vm_row(window, "nav"), "activate");
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "details") == 0,
                        "the details page");
    g_variant_unref(gui_test_call(path, VM, "Delete", g_variant_new_parsed("(@a{sv} {},)")));
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "list") == 0,
                        "the list after the deletion");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "“nav” was deleted"),
                        "a toast saying nav was deleted");
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* Everything on the list with the keyboard alone, with real key presses:
 * Tab to a row, Delete asks (Escape keeps the VM), Ctrl+Return starts,
 * Shift+F10 opens the row's menu, Enter opens the details and Alt+Left
 * comes back, Ctrl+N opens the new-VM dialog and Escape closes it. */
static void test_keyboard(void)
{
    gui_test_delete_all_vms();
    g_autofree char *path = gui_test_create_vm("keys", "{'Memory': <uint64 67108864>}");
    g_autoptr(CirrinaWindow) window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(vm_row(window, "keys") != NULL, "the row of keys");
    for (int i = 0; i < 12 && !gtk_widget_has_focus(vm_row(window, "keys")); i++)
        gui_test_press_keys(GTK_WIDGET(window), "Tab");
    g_assert_true(gtk_widget_has_focus(vm_row(window, "keys")));

    gui_test_press_keys(GTK_WIDGET(window), "Delete");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG) != NULL,
                        "the confirmation after Delete");
    gui_test_press_keys(GTK_WIDGET(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG)), "Escape");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG) == NULL,
                        "the confirmation to go on Escape");
    gui_test_run_for(300);
    g_assert_true(names_are(window, "keys"));

    gtk_widget_grab_focus(vm_row(window, "keys"));
    gui_test_press_keys(GTK_WIDGET(window), "<Control>Return");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(vm_row(window, "keys"), "Running"),
                        "keys running after Ctrl+Return");

    gtk_widget_grab_focus(vm_row(window, "keys"));
    gui_test_press_keys(GTK_WIDGET(window), "<Shift>F10");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(vm_row(window, "keys"), "Force Off"),
                        "the row's menu after Shift+F10");
    /* The menu is a popover: a surface of its own, so a picture of its own. */
    GtkWidget *more =
        gui_test_find_widget(vm_row(window, "keys"), GTK_TYPE_MENU_BUTTON, "More actions for keys");
    gui_test_screenshot(GTK_WIDGET(gtk_menu_button_get_popover(GTK_MENU_BUTTON(more))),
                        "vm-row-menu");
    gui_test_press_keys(GTK_WIDGET(window), "Escape");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(vm_row(window, "keys"), "Force Off") == NULL,
                        "the menu to close on Escape");

    gtk_widget_grab_focus(vm_row(window, "keys"));
    gui_test_press_keys(GTK_WIDGET(window), "Return");
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "details") == 0,
                        "the details page after Enter");
    gui_test_press_keys(GTK_WIDGET(window), "<Alt>Left");
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "list") == 0,
                        "the list after Alt+Left");

    gui_test_press_keys(GTK_WIDGET(window), "<Control>n");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) != NULL,
                        "the new-VM dialog after Ctrl+N");
    gui_test_press_keys(GTK_WIDGET(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG)), "Escape");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) == NULL,
                        "the dialog to close on Escape");

    gui_test_delete_all_vms();
    gui_test_window_destroy(g_steal_pointer(&window));
}

int main(int argc, char **argv)
{
    gui_test_init(&argc, &argv);
    g_test_add_func("/vm-list/follows-daemon", test_follows_daemon);
    g_test_add_func("/vm-list/power-from-ui", test_power_from_ui);
    g_test_add_func("/vm-list/details-navigation", test_details_navigation);
    g_test_add_func("/vm-list/keyboard", test_keyboard);
    return g_test_run();
}

/* The Switches page against a real cirrinad (root, in a network namespace
 * of its own, so its bridges are real): it lists the daemon's switches and
 * follows changes made behind its back; its dialogs create and edit
 * switches, show the daemon's refusals, and delete asks first and reports
 * a switch in use. */
#include "storage-test.h"

#include "cirrina-entry-row.h"
#include "cirrina-switches-page.h"

#define SWITCH  "org.cirrina.Switch"
#define MANAGER "org.cirrina.Manager"

static GtkListBox *switch_list(CirrinaWindow *window)
{
    return GTK_LIST_BOX(gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_LIST_BOX, "Switches"));
}

static gboolean names_are(CirrinaWindow *window, const char *expected)
{
    return storage_test_titles_are(switch_list(window), expected);
}

static gboolean subtitle_has(CirrinaWindow *window, const char *name, const char *text)
{
    GtkListBox *list = switch_list(window);
    GtkWidget *row = list != NULL ? storage_test_row(list, name) : NULL;

    return row != NULL && strstr(storage_test_row_subtitle(row), text) != NULL;
}

static char *create_switch(const char *name, const char *config)
{
    g_autoptr(GError) error = NULL;
    /* Not floating: the call below takes its own reference. */
    g_autoptr(GVariant) dict = g_variant_parse(G_VARIANT_TYPE_VARDICT, config, NULL, NULL, &error);
    g_assert_no_error(error);
    g_autoptr(GVariant) reply = gui_test_call(CIRRINA_OBJECT_PATH, MANAGER, "CreateSwitch",
                                              g_variant_new("(s@a{sv})", name, dict));
    char *path = NULL;

    g_variant_get(reply, "(o)", &path);
    return path;
}

static char *switch_string(const char *path, const char *property)
{
    g_autoptr(GVariant) value = gui_test_get_property(path, SWITCH, property);

    return value != NULL ? g_variant_dup_string(value, NULL) : NULL;
}

static CirrinaWindow *open_page(void)
{
    CirrinaWindow *window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_page(window), "vms") == 0,
                        "the daemon's pages");
    cirrina_window_show_page(window, "switches");
    return window;
}

static void test_follows_daemon(void)
{
    storage_test_delete_all(SWITCH);
    g_autoptr(CirrinaWindow) window = open_page();

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No Switches"), "the empty page");
    g_assert_nonnull(gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_BUTTON, "New Switch"));
    gui_test_screenshot(GTK_WIDGET(window), "switches-empty");

    g_autofree char *lan = create_switch("lan", "{'Description': <'Office LAN'>}");
    g_autofree char *dmz = create_switch("dmz", "{}");
    GUI_TEST_WAIT_UNTIL(names_are(window, "dmz,lan"), "both switches, sorted by name");
    g_autofree char *interface = switch_string(lan, "Interface");
    g_assert_true(subtitle_has(window, "lan", interface));
    g_assert_true(subtitle_has(window, "lan", "Isolated"));
    g_assert_true(subtitle_has(window, "lan", "Office LAN"));
    g_assert_null(gui_test_find_label(GTK_WIDGET(window), "No Switches"));
    /* Icon-only buttons say what they do. */
    GtkWidget *row = storage_test_row(switch_list(window), "lan");
    g_assert_nonnull(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Delete switch lan"));
    g_assert_nonnull(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Edit switch lan"));
    g_assert_true(gtk_widget_get_focusable(row));

    /* Renamed behind its back: the row follows and moves. */
    g_variant_unref(gui_test_call(dmz, SWITCH, "Rename", g_variant_new("(s)", "zone")));
    GUI_TEST_WAIT_UNTIL(names_are(window, "lan,zone"), "dmz renamed to zone, last");

    /* Edited behind its back. */
    g_variant_unref(gui_test_call(lan, SWITCH, "Update",
                                  g_variant_new_parsed("({'Description': <'Second floor'>},)")));
    GUI_TEST_WAIT_UNTIL(subtitle_has(window, "lan", "Second floor"), "lan's new description");
    gui_test_screenshot(GTK_WIDGET(window), "switches");

    /* The daemon restarts: the page empties with it and fills again with
     * the same switches, live (no stale copies). */
    CirrinaClient *client = cirrina_window_get_client(window);
    g_autoptr(CirrinaObject) before = cirrina_client_get_object(client, lan);
    gui_test_control("restart-daemon");
    GUI_TEST_WAIT_UNTIL(({
                            g_autoptr(CirrinaObject) now = cirrina_client_get_object(client, lan);
                            now != NULL &&now != before;
                        }),
                        "the client to load the new daemon's objects");
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_page(window), "offline") != 0 &&
                            g_strcmp0(cirrina_window_get_visible_page(window), "connecting") != 0,
                        "the pages again");
    cirrina_window_show_page(window, "switches");
    GUI_TEST_WAIT_UNTIL(names_are(window, "lan,zone"), "the switches again");
    g_variant_unref(gui_test_call(lan, SWITCH, "Update",
                                  g_variant_new_parsed("({'Description': <'Third floor'>},)")));
    GUI_TEST_WAIT_UNTIL(subtitle_has(window, "lan", "Third floor"), "a change after the restart");

    /* Deleted behind its back. */
    g_variant_unref(gui_test_call(dmz, SWITCH, "Delete", NULL));
    GUI_TEST_WAIT_UNTIL(names_are(window, "lan"), "zone gone");
    storage_test_delete_all(SWITCH);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No Switches"),
                        "the empty page again");
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_create_and_edit_from_ui(void)
{
    storage_test_delete_all(SWITCH);
    g_autoptr(CirrinaWindow) window = open_page();

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No Switches"), "the empty page");
    gui_test_click(gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_BUTTON, "New Switch"));
    CirrinaFormDialog *dialog = storage_test_wait_form();
    AdwComboRow *uplink =
        ADW_COMBO_ROW(storage_test_find_row(GTK_WIDGET(dialog), ADW_TYPE_COMBO_ROW, "Uplink"));
    g_assert_nonnull(uplink);
    g_assert_cmpstr(
        gtk_string_object_get_string(GTK_STRING_OBJECT(adw_combo_row_get_selected_item(uplink))),
        ==, "None (isolated)");

    /* A name the daemon refuses: the dialog stays, with the reason. */
    storage_test_form_set_text(dialog, "Name", "bad name!");
    storage_test_form_press(dialog, "Create");
    GUI_TEST_WAIT_UNTIL(cirrina_form_dialog_get_error(dialog) != NULL, "the refusal");
    g_assert_nonnull(strstr(cirrina_form_dialog_get_error(dialog), "Invalid value"));
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(dialog), "Invalid value"));
    g_assert_true(gtk_widget_get_visible(GTK_WIDGET(dialog)));
    gui_test_screenshot(GTK_WIDGET(dialog), "switch-form-error");

    storage_test_form_set_text(dialog, "Name", "office");
    storage_test_form_set_text(dialog, "Description", "Office network");
    storage_test_form_press(dialog, "Create");
    storage_test_wait_form_closed();
    g_autofree char *path = storage_test_lookup("Switch", "office");
    g_assert_nonnull(path);
    g_autofree char *description = switch_string(path, "Description");
    g_assert_cmpstr(description, ==, "Office network");
    g_autofree char *uplink_now = switch_string(path, "Uplink");
    g_assert_cmpstr(uplink_now, ==, "");
    GUI_TEST_WAIT_UNTIL(names_are(window, "office"), "the new switch in the list");

    /* Enter on the row edits it: a new name and description. */
    GtkWidget *row = storage_test_row(switch_list(window), "office");
    gtk_widget_grab_focus(row);
    g_signal_emit_by_name(row, "activate");
    dialog = storage_test_wait_form();
    GtkWidget *name_row = storage_test_find_row(GTK_WIDGET(dialog), CIRRINA_TYPE_ENTRY_ROW, "Name");
    g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(name_row)), ==, "office");
    gui_test_screenshot(GTK_WIDGET(dialog), "switch-form");
    storage_test_form_set_text(dialog, "Name", "office2");
    storage_test_form_set_text(dialog, "Description", "Second floor");
    storage_test_form_press(dialog, "Apply");
    storage_test_wait_form_closed();
    g_autofree char *renamed = storage_test_lookup("Switch", "office2");
    g_assert_cmpstr(renamed, ==, path);
    g_autofree char *new_description = switch_string(path, "Description");
    g_assert_cmpstr(new_description, ==, "Second floor");
    GUI_TEST_WAIT_UNTIL(names_are(window, "office2"), "the renamed switch in the list");

    storage_test_delete_all(SWITCH);
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_delete_from_ui(void)
{
    storage_test_delete_all(SWITCH);
    gui_test_delete_all_vms();
    g_autofree char *doomed = create_switch("doomed", "{}");
    g_autofree char *busy = create_switch("inuse", "{}");
    g_autofree char *vm = gui_test_create_vm("client", "{}");
    g_autofree char *nic_config = g_strdup_printf("({'Switch': <objectpath '%s'>},)", busy);
    g_variant_unref(
        gui_test_call(vm, "org.cirrina.VM", "AddNIC", g_variant_new_parsed(nic_config)));
    g_autoptr(CirrinaWindow) window = open_page();

    GUI_TEST_WAIT_UNTIL(names_are(window, "doomed,inuse"), "both switches");

    /* Delete asks first; Cancel keeps it. */
    GtkWidget *row = storage_test_row(switch_list(window), "doomed");
    gui_test_click(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Delete switch doomed"));
    storage_test_answer_message("Delete switch “doomed”?", "Cancel");
    gui_test_run_for(300);
    g_assert_true(names_are(window, "doomed,inuse"));

    row = storage_test_row(switch_list(window), "doomed");
    gui_test_click(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Delete switch doomed"));
    storage_test_answer_message("Delete switch “doomed”?", "Delete");
    GUI_TEST_WAIT_UNTIL(names_are(window, "inuse"), "doomed gone");
    g_autofree char *gone = storage_test_lookup("Switch", "doomed");
    g_assert_null(gone);

    /* A switch in use: the daemon says Busy, and the user sees it. The
     * focused row's switches.delete is what its Delete key runs. */
    row = storage_test_row(switch_list(window), "inuse");
    gtk_widget_grab_focus(row);
    g_assert_true(gtk_widget_activate_action(row, "switches.delete", "s", busy));
    storage_test_answer_message("Delete switch “inuse”?", "Delete");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Could not delete switch “inuse”"),
                        "the error toast");
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "Busy"));
    g_assert_true(names_are(window, "inuse"));

    gui_test_delete_all_vms();
    storage_test_delete_all(SWITCH);
    gui_test_window_destroy(g_steal_pointer(&window));
}

int main(int argc, char **argv)
{
    gui_test_init(&argc, &argv);
    g_test_add_func("/switches-page/follows-daemon", test_follows_daemon);
    g_test_add_func("/switches-page/create-and-edit-from-ui", test_create_and_edit_from_ui);
    g_test_add_func("/switches-page/delete-from-ui", test_delete_from_ui);
    return g_test_run();
}

/* The VM details page and the New VM dialog, against a real cirrinad: the
 * page shows what the daemon has, Apply sends the edits as one Update, the
 * daemon's refusals (a bad value, Busy while running) are shown and change
 * nothing, disks/ISOs/NICs are attached, moved and detached, and the New VM
 * dialog makes a VM with its disk and NIC (and undoes them when a step
 * fails). */
#include "gui-test.h"

#include <glib/gstdio.h>

#include "cirrina-entry-row.h"
#include "cirrina-new-vm-dialog.h"
#include "cirrina-vm-details-page.h"

#define VM   "org.cirrina.VM"
#define DISK "org.cirrina.Disk"
#define NIC  "org.cirrina.NIC"
#define MGR  "org.cirrina.Manager"
#define ROOT "/org/cirrina"
#define MiB  (G_GUINT64_CONSTANT(1) << 20)
#define GiB  (G_GUINT64_CONSTANT(1) << 30)

/* --- counting the app's Update calls: a filter on its own connection --- */

static gint updates_sent;

static GDBusMessage *count_updates(GDBusConnection *connection, GDBusMessage *message,
                                   gboolean incoming, gpointer user_data)
{
    if (!incoming && g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
        g_strcmp0(g_dbus_message_get_interface(message), VM) == 0 &&
        g_strcmp0(g_dbus_message_get_member(message), "Update") == 0)
        g_atomic_int_inc(&updates_sent);
    return message;
}

/* --- finding what the user sees --- */

static gboolean is_shown(GtkWidget *widget)
{
    return gtk_widget_get_mapped(widget) && gtk_widget_get_child_visible(widget);
}

static GtkWidget *find_by_type(GtkWidget *root, GType type)
{
    if (G_TYPE_CHECK_INSTANCE_TYPE(root, type))
        return root;
    for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL;
         c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *found = find_by_type(c, type);
        if (found != NULL)
            return found;
    }
    return NULL;
}

/* The preferences row titled title under root (shown or not: rows in a
 * collapsed expander are there to be found), or NULL. */
static GtkWidget *find_row(GtkWidget *root, const char *title)
{
    if (ADW_IS_PREFERENCES_ROW(root) &&
        g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(root)), title) == 0)
        return root;
    for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL;
         c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *found = find_row(c, title);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static GtkWidget *row_spin(GtkWidget *root, const char *title)
{
    GtkWidget *row = find_row(root, title);
    g_assert_nonnull(row);
    GtkWidget *spin = find_by_type(row, GTK_TYPE_SPIN_BUTTON);
    g_assert_nonnull(spin);
    return spin;
}

static const char *entry_text(GtkWidget *root, const char *title)
{
    GtkWidget *row = find_row(root, title);
    g_assert_true(CIRRINA_IS_ENTRY_ROW(row));
    return gtk_editable_get_text(GTK_EDITABLE(row));
}

/* Typing into a field, as far as the widgets can tell. */
static void type_into(GtkWidget *editable, const char *text)
{
    gtk_editable_set_text(GTK_EDITABLE(editable), text);
}

static gboolean has_error_mark(GtkWidget *root, const char *title)
{
    GtkWidget *row = find_row(root, title);
    return row != NULL && gtk_widget_has_css_class(row, "error");
}

static CirrinaVmDetailsPage *details_page(CirrinaWindow *window)
{
    return CIRRINA_VM_DETAILS_PAGE(find_by_type(GTK_WIDGET(window), CIRRINA_TYPE_VM_DETAILS_PAGE));
}

static GtkWidget *apply_button(CirrinaWindow *window)
{
    return gui_test_find_widget(GTK_WIDGET(details_page(window)), GTK_TYPE_BUTTON, "Apply");
}

static gboolean client_has(CirrinaClient *client, const char *path)
{
    g_autoptr(CirrinaObject) object = cirrina_client_get_object(client, path);
    return object != NULL;
}

/* Apply answered, nothing left: the form is editable again. */
static gboolean applied(CirrinaWindow *window)
{
    GtkWidget *page = GTK_WIDGET(details_page(window));
    return !gtk_widget_is_sensitive(apply_button(window)) &&
           gtk_widget_is_sensitive(find_row(page, "Description"));
}

/* Opens the details of the VM at path in a new window. */
static CirrinaWindow *open_details(const char *path)
{
    CirrinaWindow *window = gui_test_window_new();
    CirrinaClient *client = cirrina_window_get_client(window);

    GUI_TEST_WAIT_UNTIL(cirrina_client_get_connected(client), "the app to reach cirrinad");
    GUI_TEST_WAIT_UNTIL(client_has(client, path), "the VM in the app's object manager");
    g_autoptr(CirrinaObject) vm = cirrina_client_get_object(client, path);
    g_assert_nonnull(vm);
    cirrina_window_show_vm_details(window, vm);
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "details") == 0,
                        "the details page");
    gui_test_run_for(300); /* the leaflet's transition */
    return window;
}

static guint64 vm_u64(const char *path, const char *name)
{
    g_autoptr(GVariant) v = gui_test_get_property(path, VM, name);
    g_assert_nonnull(v);
    return g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64) ? g_variant_get_uint64(v)
                                                          : g_variant_get_uint32(v);
}

static char *vm_string(const char *path, const char *name)
{
    g_autoptr(GVariant) v = gui_test_get_property(path, VM, name);
    return v != NULL ? g_variant_dup_string(v, NULL) : NULL;
}

static gboolean vm_bool(const char *path, const char *name)
{
    g_autoptr(GVariant) v = gui_test_get_property(path, VM, name);
    return v != NULL && g_variant_get_boolean(v);
}

static gboolean vm_string_is(const char *path, const char *name, const char *expected)
{
    g_autofree char *s = vm_string(path, name);
    return g_strcmp0(s, expected) == 0;
}

static char *create_disk(const char *name, guint64 size)
{
    g_autoptr(GVariant) reply = gui_test_call(
        ROOT, MGR, "CreateDisk", g_variant_new_parsed("(%s, {'Size': <%t>})", name, size));
    char *path = NULL;
    g_variant_get(reply, "(o)", &path);
    return path;
}

static void delete_all_disks(void)
{
    g_autoptr(GVariant) objects =
        gui_test_call(ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
    g_autoptr(GVariantIter) iter = NULL;
    const char *path;
    GVariant *ifaces;

    g_variant_get(objects, "(a{oa{sa{sv}}})", &iter);
    while (g_variant_iter_next(iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
        g_autoptr(GVariant) owned = ifaces;
        g_autoptr(GVariant) disk = g_variant_lookup_value(ifaces, DISK, NULL);
        if (disk != NULL)
            g_variant_unref(gui_test_call(path, DISK, "Delete", NULL));
    }
}

/* How many objects with interface the daemon has. */
static guint count_objects(const char *interface)
{
    g_autoptr(GVariant) objects =
        gui_test_call(ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
    g_autoptr(GVariantIter) iter = NULL;
    GVariant *ifaces;
    guint n = 0;

    g_variant_get(objects, "(a{oa{sa{sv}}})", &iter);
    while (g_variant_iter_next(iter, "{&o@a{sa{sv}}}", NULL, &ifaces)) {
        g_autoptr(GVariant) owned = ifaces;
        g_autoptr(GVariant) found = g_variant_lookup_value(ifaces, interface, NULL);
        n += found != NULL;
    }
    return n;
}

static void clean_slate(void)
{
    gui_test_delete_all_vms();
    delete_all_disks();
}

/* A screenshot once animations (a toast sliding in) are over: a widget
 * waiting for its allocation draws nothing. */
static void screenshot(GtkWidget *widget, const char *name)
{
    gui_test_run_for(800);
    gui_test_screenshot(widget, name);
}

/* --- the tests --- */

/* A VM made over D-Bus shows with its values, every group of settings there. */
static void test_shows_values(void)
{
    clean_slate();
    g_autofree char *disk = create_disk("shown-disk", GiB);
    g_autofree char *config = g_strdup_printf(
        "{'CPUs': <uint32 4>, 'Memory': <uint64 %" G_GUINT64_FORMAT ">, "
        "'Description': <'Web server'>, 'Group': <'prod'>, 'Autostart': <true>, "
        "'AutostartDelay': <uint32 30>, 'SerialPorts': <uint32 2>, 'Disks': <[objectpath '%s']>}",
        2 * GiB, disk);
    g_autofree char *path = gui_test_create_vm("shown", config);
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(page, "shown") != NULL, "the VM's name as title");
    g_assert_nonnull(gui_test_find_label(page, "Stopped"));
    g_assert_cmpstr(entry_text(page, "Name"), ==, "shown");
    g_assert_cmpstr(entry_text(page, "Description"), ==, "Web server");
    g_assert_cmpstr(entry_text(page, "Group"), ==, "prod");
    g_assert_cmpint(
        gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(row_spin(page, "Virtual CPUs"))), ==, 4);
    g_assert_cmpint(gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(row_spin(page, "Sockets"))),
                    ==, 4);
    g_assert_cmpint(gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(row_spin(page, "Memory"))), ==,
                    2048);
    g_assert_cmpint(gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(row_spin(page, "Delay"))), ==,
                    30);
    g_assert_cmpint(
        gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(row_spin(page, "Serial Ports"))), ==, 2);
    g_assert_true(gtk_switch_get_active(
        GTK_SWITCH(find_by_type(find_row(page, "Start with cirrinad"), GTK_TYPE_SWITCH))));
    g_assert_nonnull(find_row(page, "shown-disk"));
    g_assert_nonnull(gui_test_find_label(page, "No images"));
    g_assert_nonnull(gui_test_find_label(page, "No network interfaces"));
    /* Nothing edited: nothing to apply. */
    g_assert_false(gtk_widget_is_sensitive(apply_button(window)));

    /* Icon-only buttons are named for screen readers. */
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Start"));
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Force Off"));
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Console"));
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Delete Virtual Machine"));
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Move shown-disk down"));
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Detach shown-disk"));
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_MENU_BUTTON, "Attach disk"));
    g_assert_nonnull(gui_test_find_widget(page, GTK_TYPE_MENU_BUTTON, "Add network interface"));
    g_assert_true(gui_test_has_accessible_label(row_spin(page, "Memory"), "Memory"));

    /* Changed behind the page's back, while nothing is edited: it follows. */
    g_variant_unref(gui_test_call(path, VM, "Update",
                                  g_variant_new_parsed("({'Description': <'Renamed role'>},)")));
    GUI_TEST_WAIT_UNTIL(g_strcmp0(entry_text(page, "Description"), "Renamed role") == 0,
                        "the new description");

    gui_test_screenshot(GTK_WIDGET(window), "details");
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* Memory and description edited: Apply makes ONE Update with both. */
static void test_apply_is_one_update(void)
{
    clean_slate();
    g_autofree char *path = gui_test_create_vm("edited", "{'Description': <'before'>}");
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));
    GDBusConnection *app_bus = cirrina_client_get_connection(cirrina_window_get_client(window));
    guint filter = g_dbus_connection_add_filter(app_bus, count_updates, NULL, NULL);

    type_into(row_spin(page, "Memory"), "3072");
    type_into(find_row(page, "Description"), "after");
    g_assert_nonnull(gui_test_find_label(page, "2 changes not applied"));
    /* Edits are not sent before Apply. */
    gui_test_run_for(200);
    g_assert_true(vm_string_is(path, "Description", "before"));

    g_atomic_int_set(&updates_sent, 0);
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(vm_u64(path, "Memory") == 3072 * MiB, "the daemon's new Memory");
    g_assert_true(vm_string_is(path, "Description", "after"));
    GUI_TEST_WAIT_UNTIL(applied(window), "nothing left to apply");
    gui_test_run_for(200);
    g_assert_cmpint(g_atomic_int_get(&updates_sent), ==, 1);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Changes to “edited” applied"),
                        "a toast saying it is done");

    /* The apply action (what Enter in a field and Ctrl+S run) applies too,
     * and Revert forgets an edit. */
    type_into(row_spin(page, "Virtual CPUs"), "3");
    g_assert_cmpint(gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(row_spin(page, "Sockets"))),
                    ==, 3);
    gtk_widget_activate_action(page, "details.apply", NULL);
    GUI_TEST_WAIT_UNTIL(vm_u64(path, "CPUs") == 3, "the daemon's 3 CPUs");
    g_assert_cmpuint(vm_u64(path, "Sockets"), ==, 3);
    GUI_TEST_WAIT_UNTIL(applied(window), "the answer");
    type_into(find_row(page, "Description"), "forgotten");
    gui_test_click(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Revert"));
    g_assert_cmpstr(entry_text(page, "Description"), ==, "after");
    g_assert_false(gtk_widget_is_sensitive(apply_button(window)));

    g_dbus_connection_remove_filter(app_bus, filter);
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* A value the daemon refuses: its words are shown, on the row and in a
 * toast, and nothing changes (Update is all or none). */
static void test_invalid_value(void)
{
    clean_slate();
    g_autofree char *path = gui_test_create_vm("strict", "{'Description': <'kept'>}");
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));

    type_into(find_row(page, "Group"), "not a group");
    type_into(find_row(page, "Description"), "should not stick");
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Invalid value") != NULL,
                        "the daemon's error in a toast");
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "Invalid group name"));
    g_assert_true(has_error_mark(page, "Group"));
    g_assert_true(vm_string_is(path, "Description", "kept"));
    g_assert_true(vm_string_is(path, "Group", ""));
    /* The edits stay, to be corrected. */
    g_assert_cmpstr(entry_text(page, "Description"), ==, "should not stick");
    g_assert_true(gtk_widget_is_sensitive(apply_button(window)));
    screenshot(GTK_WIDGET(window), "details-invalid");

    /* A name with '/': Rename refuses it. */
    gui_test_click(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Revert"));
    g_assert_false(has_error_mark(page, "Group"));
    type_into(find_row(page, "Name"), "a/b");
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(has_error_mark(page, "Name"), "the error on the name");
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "Invalid VM name"));
    g_assert_true(vm_string_is(path, "Name", "strict"));
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* While the VM runs, hardware is refused with Busy (shown), and what may
 * change live still applies. */
static void test_busy_while_running(void)
{
    clean_slate();
    g_autofree char *path = gui_test_create_vm("busy", "{'Memory': <uint64 67108864>}");
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));

    gtk_widget_activate_action(page, "details.start", NULL);
    GUI_TEST_WAIT_UNTIL(vm_string_is(path, "State", "running"), "the VM to run");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(page, "Running") != NULL, "the page to say Running");

    type_into(row_spin(page, "Memory"), "128");
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Busy") != NULL, "Busy in a toast");
    g_assert_true(has_error_mark(page, "Memory"));
    g_assert_cmpuint(vm_u64(path, "Memory"), ==, 64 * MiB);
    screenshot(GTK_WIDGET(window), "details-busy");

    /* The description may change while it runs. */
    gui_test_click(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Revert"));
    type_into(find_row(page, "Description"), "live edit");
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(vm_string_is(path, "Description", "live edit"), "the live edit");

    gtk_widget_activate_action(page, "details.kill", NULL);
    GUI_TEST_WAIT_UNTIL(vm_string_is(path, "State", "stopped"), "the VM to stop");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(page, "It was forced off") != NULL,
                        "the page to say why it stopped");
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* The paths of a VM's list property, joined by ",". */
static char *vm_paths(const char *path, const char *name)
{
    g_autoptr(GVariant) v = gui_test_get_property(path, VM, name);
    g_autofree const char **paths = g_variant_get_objv(v, NULL);
    return g_strjoinv(",", (char **)paths);
}

static gboolean vm_paths_are(const char *path, const char *name, const char *expected)
{
    g_autofree char *paths = vm_paths(path, name);
    return g_strcmp0(paths, expected) == 0;
}

/* Opens a header's "add" popover and returns it. */
static GtkWidget *open_popover(GtkWidget *page, const char *button_label)
{
    GtkWidget *button = gui_test_find_widget(page, GTK_TYPE_MENU_BUTTON, button_label);
    g_assert_nonnull(button);
    gtk_widget_grab_focus(button);
    gui_test_run_for(300);
    gtk_menu_button_popup(GTK_MENU_BUTTON(button));
    GtkWidget *popover = GTK_WIDGET(gtk_menu_button_get_popover(GTK_MENU_BUTTON(button)));
    GUI_TEST_WAIT_UNTIL(is_shown(popover), "the popover");
    return popover;
}

/* Picks the row titled item from a header's "add" popover. */
static void pick_from_popover(GtkWidget *page, const char *button_label, const char *item)
{
    GtkWidget *popover = open_popover(page, button_label);
    GUI_TEST_WAIT_UNTIL(find_row(popover, item) != NULL, "the item in the popover");
    GtkWidget *row = find_row(popover, item);
    g_signal_emit_by_name(gtk_widget_get_parent(row), "row-activated", row);
    GUI_TEST_WAIT_UNTIL(!is_shown(popover), "the popover to close");
}

/* Disks attached, moved, detached; a NIC added, removed: all on Apply. */
static void test_attachments(void)
{
    clean_slate();
    g_autofree char *alpha = create_disk("alpha", 64 * MiB);
    g_autofree char *beta = create_disk("beta", 64 * MiB);
    g_autofree char *config = g_strdup_printf("{'Disks': <[objectpath '%s']>}", alpha);
    g_autofree char *path = gui_test_create_vm("storage", config);
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));
    g_autofree char *beta_alpha = g_strdup_printf("%s,%s", beta, alpha);

    pick_from_popover(page, "Attach disk", "beta");
    GtkWidget *up = gui_test_find_widget(page, GTK_TYPE_BUTTON, "Move beta up");
    g_assert_nonnull(up);
    gui_test_click(up);
    /* Focus stays on the moved disk's buttons, for the next press. */
    g_assert_true(
        gtk_widget_has_focus(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Move beta down")));
    pick_from_popover(page, "Add network interface", "User-mode NAT");
    g_assert_nonnull(gui_test_find_label(page, "virtio-net · new, not applied yet"));
    screenshot(GTK_WIDGET(window), "details-attachments");
    g_assert_true(vm_paths_are(path, "Disks", alpha));

    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(vm_paths_are(path, "Disks", beta_alpha), "beta before alpha");
    GUI_TEST_WAIT_UNTIL(applied(window), "everything applied");
    g_autofree char *nics = vm_paths(path, "NICs");
    g_assert_cmpstr(nics, !=, "");
    g_autoptr(GVariant) sw = gui_test_get_property(nics, NIC, "Switch");
    g_assert_cmpstr(g_variant_get_string(sw, NULL), ==, "/");

    /* Detach alpha and remove the NIC. */
    gui_test_click(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Detach alpha"));
    GUI_TEST_WAIT_UNTIL(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Remove network interface 1"),
                        "the NIC's row");
    gui_test_click(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Remove network interface 1"));
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(vm_paths_are(path, "Disks", beta), "only beta");
    GUI_TEST_WAIT_UNTIL(vm_paths_are(path, "NICs", ""), "no NIC");
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void share_folder(GtkWidget *page, const char *name, const char *path, gboolean read_only)
{
    GtkWidget *popover = open_popover(page, "Share a folder");
    type_into(find_row(popover, "Name in the Guest"), name);
    type_into(find_row(popover, "Folder on the Host"), path);
    gtk_switch_set_active(GTK_SWITCH(find_by_type(find_row(popover, "Read-Only"), GTK_TYPE_SWITCH)),
                          read_only);
    gui_test_click(gui_test_find_widget(popover, GTK_TYPE_BUTTON, "Add Share"));
    GUI_TEST_WAIT_UNTIL(!is_shown(popover), "the popover to close");
}

/* Shared folders: a relative path is refused (shown on the group), an
 * absolute one is applied. */
static void test_shares(void)
{
    clean_slate();
    g_autofree char *path = gui_test_create_vm("sharing", "{}");
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));

    share_folder(page, "data", "relative/data", FALSE);
    g_assert_nonnull(find_row(page, "data"));
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(page, "must be absolute") != NULL,
                        "the daemon's error on the group");
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "Invalid value"));
    g_autoptr(GVariant) none = gui_test_get_property(path, VM, "Shares");
    g_assert_cmpuint(g_variant_n_children(none), ==, 0);

    gui_test_click(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Remove share data"));
    share_folder(page, "data", "/srv/data", TRUE);
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(applied(window), "the answer");
    g_autoptr(GVariant) shares = gui_test_get_property(path, VM, "Shares");
    g_autofree char *text = g_variant_print(shares, FALSE);
    g_assert_cmpstr(text, ==, "[('data', '/srv/data', true)]");
    g_assert_null(gui_test_find_label(page, "must be absolute"));
    g_assert_nonnull(gui_test_find_label(page, "/srv/data · read-only"));
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* The fields that are not plain values: the write-only VNC password (set,
 * then removed) and CPU pins typed as text (unreadable text is refused
 * before anything is sent). */
static void test_password_and_pins(void)
{
    clean_slate();
    g_autofree char *path = gui_test_create_vm("special", "{'CPUs': <uint32 2>}");
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));

    type_into(find_row(page, "New VNC Password (none is set)"), "secret1");
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(vm_bool(path, "DisplayPasswordSet"), "a password set");
    GUI_TEST_WAIT_UNTIL(find_row(page, "New VNC Password (one is set)") != NULL,
                        "the row to say one is set");
    /* Write-only: the field does not show it afterwards. */
    g_assert_cmpstr(entry_text(page, "New VNC Password (one is set)"), ==, "");
    gui_test_click(gui_test_find_widget(page, GTK_TYPE_BUTTON, "Remove the VNC password"));
    g_assert_nonnull(find_row(page, "VNC Password (removed on Apply)"));
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(!vm_bool(path, "DisplayPasswordSet"), "no password");
    GUI_TEST_WAIT_UNTIL(applied(window), "the answer");

    type_into(find_row(page, "CPU Pinning"), "0:1, nonsense");
    g_assert_true(has_error_mark(page, "CPU Pinning"));
    gtk_widget_activate_action(page, "details.apply", NULL);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "cannot be read") != NULL,
                        "a word that the pins cannot be read");
    type_into(find_row(page, "CPU Pinning"), "0:1, 1:0");
    g_assert_false(has_error_mark(page, "CPU Pinning"));
    gui_test_click(apply_button(window));
    GUI_TEST_WAIT_UNTIL(applied(window), "the answer");
    g_autoptr(GVariant) pins = gui_test_get_property(path, VM, "CPUPins");
    g_autofree char *text = g_variant_print(pins, FALSE);
    g_assert_cmpstr(text, ==, "[(0, 1), (1, 0)]");
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* With the keyboard alone, with real key presses: Enter in a text field or
 * a spin button applies, so does Ctrl+S; a disk moves with Space on its
 * button, which keeps the focus for the next press. */
static void test_keyboard(void)
{
    clean_slate();
    g_autofree char *alpha = create_disk("kalpha", 64 * MiB);
    g_autofree char *beta = create_disk("kbeta", 64 * MiB);
    g_autofree char *config = g_strdup_printf("{'Disks': <[objectpath '%s', '%s']>}", alpha, beta);
    g_autofree char *path = gui_test_create_vm("keyboard", config);
    g_autofree char *beta_alpha = g_strdup_printf("%s,%s", beta, alpha);
    g_autoptr(CirrinaWindow) window = open_details(path);
    GtkWidget *page = GTK_WIDGET(details_page(window));

    GtkWidget *description = find_row(page, "Description");
    type_into(description, "typed");
    gtk_widget_grab_focus(description);
    gui_test_press_keys(description, "Return");
    GUI_TEST_WAIT_UNTIL(vm_string_is(path, "Description", "typed"), "Enter to apply the text");
    GUI_TEST_WAIT_UNTIL(applied(window), "the answer");

    GtkWidget *memory = row_spin(page, "Memory");
    type_into(memory, "512");
    gtk_widget_grab_focus(memory);
    gui_test_press_keys(memory, "Return");
    GUI_TEST_WAIT_UNTIL(vm_u64(path, "Memory") == 512 * MiB, "Enter to apply the number");
    GUI_TEST_WAIT_UNTIL(applied(window), "the answer");

    GtkWidget *down = gui_test_find_widget(page, GTK_TYPE_BUTTON, "Move kalpha down");
    gtk_widget_grab_focus(down);
    gui_test_press_keys(down, "space");
    GtkWidget *up = gui_test_find_widget(page, GTK_TYPE_BUTTON, "Move kalpha up");
    g_assert_true(gtk_widget_has_focus(up));
    gui_test_press_keys(up, "<Control>s");
    GUI_TEST_WAIT_UNTIL(vm_paths_are(path, "Disks", beta_alpha), "Ctrl+S to apply the order");
    GUI_TEST_WAIT_UNTIL(applied(window), "the answer");
    gui_test_window_destroy(g_steal_pointer(&window));
}

static CirrinaNewVmDialog *open_new_vm_dialog(CirrinaWindow *window)
{
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.new-vm", NULL));
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) != NULL,
                        "the New VM dialog");
    GtkWidget *dialog = GTK_WIDGET(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG));
    GUI_TEST_WAIT_UNTIL(gtk_widget_get_mapped(dialog) && gtk_widget_get_width(dialog) > 0,
                        "the dialog on the screen");
    return CIRRINA_NEW_VM_DIALOG(dialog);
}

static void choose(GtkWidget *root, const char *title, const char *label)
{
    GtkWidget *row = find_row(root, title);
    GListModel *model = adw_combo_row_get_model(ADW_COMBO_ROW(row));
    for (guint i = 0; i < g_list_model_get_n_items(model); i++)
        if (g_strcmp0(gtk_string_list_get_string(GTK_STRING_LIST(model), i), label) == 0) {
            adw_combo_row_set_selected(ADW_COMBO_ROW(row), i);
            return;
        }
    g_error("no “%s” in %s", label, title);
}

/* New VM: a disk of the size asked for, a NIC on NAT, the VM with both,
 * and its details shown. */
static void test_new_vm(void)
{
    clean_slate();
    g_autoptr(CirrinaWindow) window = gui_test_window_new();
    GUI_TEST_WAIT_UNTIL(cirrina_client_get_connected(cirrina_window_get_client(window)),
                        "the app to reach cirrinad");
    GtkWidget *dialog = GTK_WIDGET(open_new_vm_dialog(window));

    type_into(find_row(dialog, "Name"), "fresh");
    type_into(row_spin(dialog, "Disk Size"), "2");
    choose(dialog, "Network", "User-mode NAT");
    type_into(row_spin(dialog, "Memory"), "512");
    screenshot(dialog, "new-vm");
    gui_test_click(gui_test_find_widget(dialog, GTK_TYPE_BUTTON, "Create"));

    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) == NULL,
                        "the dialog to close");
    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_vm_page(window), "details") == 0,
                        "the new VM's details");
    g_autoptr(GVariant) reply = gui_test_call(ROOT, MGR, "GetVM", g_variant_new("(s)", "fresh"));
    const char *path;
    g_variant_get(reply, "(&o)", &path);
    g_assert_cmpuint(vm_u64(path, "Memory"), ==, 512 * MiB);
    g_autofree char *disks = vm_paths(path, "Disks");
    g_assert_cmpstr(disks, !=, "");
    g_assert_null(strchr(disks, ','));
    g_autoptr(GVariant) size = gui_test_get_property(disks, DISK, "Size");
    g_assert_cmpuint(g_variant_get_uint64(size), ==, 2 * GiB);
    g_autoptr(GVariant) disk_name = gui_test_get_property(disks, DISK, "Name");
    g_assert_cmpstr(g_variant_get_string(disk_name, NULL), ==, "fresh-disk0");
    g_autofree char *nics = vm_paths(path, "NICs");
    g_assert_cmpstr(nics, !=, "");
    g_autoptr(GVariant) sw = gui_test_get_property(nics, NIC, "Switch");
    g_assert_cmpstr(g_variant_get_string(sw, NULL), ==, "/");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(details_page(window)), "fresh") != NULL,
                        "the details of fresh");
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* CreateVM refused (the name is taken): nothing is made, the daemon's
 * error is shown in the dialog, which stays. Escape then closes it. */
static void test_new_vm_refused(void)
{
    clean_slate();
    g_autofree char *taken = gui_test_create_vm("taken", "{}");
    g_autoptr(CirrinaWindow) window = gui_test_window_new();
    GUI_TEST_WAIT_UNTIL(cirrina_client_get_connected(cirrina_window_get_client(window)),
                        "the app to reach cirrinad");
    GtkWidget *dialog = GTK_WIDGET(open_new_vm_dialog(window));

    type_into(find_row(dialog, "Name"), "taken");
    type_into(row_spin(dialog, "Disk Size"), "1");
    gui_test_click(gui_test_find_widget(dialog, GTK_TYPE_BUTTON, "Create"));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(dialog, "Creating the virtual machine failed") != NULL,
                        "the error in the dialog");
    g_assert_nonnull(gui_test_find_label(dialog, "Already exists"));
    g_assert_true(has_error_mark(dialog, "Name"));
    g_assert_cmpuint(count_objects(DISK), ==, 0);
    g_assert_cmpuint(count_objects(VM), ==, 1);
    g_assert_cmpstr(entry_text(dialog, "Name"), ==, "taken");
    g_assert_true(gtk_widget_activate_action(dialog, "window.close", NULL));
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) == NULL,
                        "the dialog to close");
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* A step after the disk fails (the chosen switch was deleted meanwhile, so
 * AddNIC refuses it): the VM and the disk made for it are deleted again. */
static void test_new_vm_undo(void)
{
    clean_slate();
    g_autoptr(GVariant) reply =
        gui_test_call(ROOT, MGR, "CreateSwitch", g_variant_new_parsed("('doomed', @a{sv} {})"));
    const char *switch_path;
    g_variant_get(reply, "(&o)", &switch_path);
    g_autoptr(CirrinaWindow) window = gui_test_window_new();
    CirrinaClient *client = cirrina_window_get_client(window);
    GUI_TEST_WAIT_UNTIL(client_has(client, switch_path), "the switch in the app");
    GtkWidget *dialog = GTK_WIDGET(open_new_vm_dialog(window));

    type_into(find_row(dialog, "Name"), "halfway");
    type_into(row_spin(dialog, "Disk Size"), "1");
    choose(dialog, "Network", "Switch doomed");
    g_variant_unref(gui_test_call(switch_path, "org.cirrina.Switch", "Delete", NULL));
    gui_test_click(gui_test_find_widget(dialog, GTK_TYPE_BUTTON, "Create"));
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(dialog, "Adding the network interface failed") != NULL,
                        "the error in the dialog");
    g_assert_cmpuint(count_objects(VM), ==, 0);
    g_assert_cmpuint(count_objects(DISK), ==, 0);
    g_assert_false(has_error_mark(dialog, "Name"));
    screenshot(dialog, "new-vm-error");

    gtk_window_destroy(GTK_WINDOW(dialog));
    gui_test_window_destroy(g_steal_pointer(&window));
}

/* The dialog with the keyboard: Ctrl+N opens it, Escape closes it with
 * nothing made, Enter in the name creates. */
static void test_new_vm_keyboard(void)
{
    clean_slate();
    g_autoptr(CirrinaWindow) window = gui_test_window_new();
    GUI_TEST_WAIT_UNTIL(cirrina_client_get_connected(cirrina_window_get_client(window)),
                        "the app to reach cirrinad");

    gui_test_press_keys(GTK_WIDGET(window), "<Control>n");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) != NULL,
                        "the dialog after Ctrl+N");
    GtkWidget *dialog = GTK_WIDGET(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG));
    GUI_TEST_WAIT_UNTIL(gtk_widget_get_mapped(dialog), "the dialog on the screen");
    gui_test_press_keys(dialog, "Escape");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) == NULL,
                        "the dialog to go on Escape");
    g_assert_cmpuint(count_objects(VM), ==, 0);

    dialog = GTK_WIDGET(open_new_vm_dialog(window));
    GtkWidget *name = find_row(dialog, "Name");
    type_into(row_spin(dialog, "Disk Size"), "0");
    type_into(name, "bykeys");
    gtk_widget_grab_focus(name);
    gui_test_press_keys(name, "Return");
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(CIRRINA_TYPE_NEW_VM_DIALOG) == NULL,
                        "the dialog to close after Enter");
    g_assert_cmpuint(count_objects(VM), ==, 1);
    g_assert_cmpuint(count_objects(DISK), ==, 0);
    gui_test_window_destroy(g_steal_pointer(&window));
}

int main(int argc, char **argv)
{
    gui_test_init(&argc, &argv);
    /* Xvfb has no window manager: no window is active, so a focused text
     * field never gets the focus-in its cursor blink expects (and warns). */
    g_object_set(gtk_settings_get_default(), "gtk-cursor-blink", FALSE, NULL);
    g_test_add_func("/vm-details/shows-values", test_shows_values);
    g_test_add_func("/vm-details/apply-is-one-update", test_apply_is_one_update);
    g_test_add_func("/vm-details/invalid-value", test_invalid_value);
    g_test_add_func("/vm-details/busy-while-running", test_busy_while_running);
    g_test_add_func("/vm-details/attachments", test_attachments);
    g_test_add_func("/vm-details/shares", test_shares);
    g_test_add_func("/vm-details/password-and-pins", test_password_and_pins);
    g_test_add_func("/vm-details/keyboard", test_keyboard);
    g_test_add_func("/new-vm/creates-vm-disk-nic", test_new_vm);
    g_test_add_func("/new-vm/refused-name", test_new_vm_refused);
    g_test_add_func("/new-vm/undoes-on-failure", test_new_vm_undo);
    g_test_add_func("/new-vm/keyboard", test_new_vm_keyboard);
    return g_test_run();
}

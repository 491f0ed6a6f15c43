/* CirrinaWindow: pages, navigation, toasts and the "no daemon" page. */
#include "cirrina-window.h"

#include "cirrina-console-page.h"
#include "cirrina-disks-page.h"
#include "cirrina-isos-page.h"
#include "cirrina-new-vm-dialog.h"
#include "cirrina-switches-page.h"
#include "cirrina-vm-details-page.h"
#include "cirrina-vm-list-page.h"

struct _CirrinaWindow {
    AdwApplicationWindow parent_instance;

    CirrinaClient *client;

    /* template */
    AdwToastOverlay *toast_overlay;
    GtkStack *main_stack;
    AdwStatusPage *offline_page;
    GtkButton *back_button;
    GtkButton *new_vm_button;
    AdwViewSwitcherTitle *switcher_title;
    AdwViewSwitcherBar *switcher_bar;
    AdwViewStack *view_stack;
    AdwLeaflet *vms_leaflet;

    /* the "vms" leaflet's pages */
    GtkWidget *vm_list_page;
    GtkWidget *vm_details_page;
    GtkWidget *console_page;
};

G_DEFINE_FINAL_TYPE(CirrinaWindow, cirrina_window, ADW_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_CLIENT, N_PROPS };
static GParamSpec *properties[N_PROPS];

CirrinaWindow *cirrina_window_new(GtkApplication *application, CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_WINDOW, "application", application, "client", client, NULL);
}

CirrinaClient *cirrina_window_get_client(CirrinaWindow *self)
{
    g_return_val_if_fail(CIRRINA_IS_WINDOW(self), NULL);
    return self->client;
}

/* Toasts: errors stay until dismissed (and push an older toast back into
 * the queue rather than wait behind it); messages go by themselves. */
static void add_toast(CirrinaWindow *self, const char *text, gboolean is_error)
{
    g_autofree char *markup = g_markup_escape_text(text, -1);
    AdwToast *toast = adw_toast_new(markup);

    if (is_error) {
        adw_toast_set_timeout(toast, 0);
        adw_toast_set_priority(toast, ADW_TOAST_PRIORITY_HIGH);
    }
    adw_toast_overlay_add_toast(self->toast_overlay, toast);
}

void cirrina_window_show_error(CirrinaWindow *self, const char *what, const GError *error)
{
    g_return_if_fail(CIRRINA_IS_WINDOW(self));
    g_return_if_fail(error != NULL);

    g_autofree char *description = cirrina_client_describe_error(error);
    if (description == NULL)
        return;
    g_autofree char *text =
        what != NULL ? g_strdup_printf("%s: %s", what, description) : g_strdup(description);
    g_debug("error shown: %s", text);
    add_toast(self, text, TRUE);
}

void cirrina_window_show_toast(CirrinaWindow *self, const char *message)
{
    g_return_if_fail(CIRRINA_IS_WINDOW(self));
    add_toast(self, message, FALSE);
}

void cirrina_window_show_page(CirrinaWindow *self, const char *page)
{
    g_return_if_fail(CIRRINA_IS_WINDOW(self));
    adw_view_stack_set_visible_child_name(self->view_stack, page);
}

void cirrina_window_show_vm_list(CirrinaWindow *self)
{
    g_return_if_fail(CIRRINA_IS_WINDOW(self));
    adw_view_stack_set_visible_child_name(self->view_stack, "vms");
    adw_leaflet_set_visible_child_name(self->vms_leaflet, "list");
}

void cirrina_window_show_vm_details(CirrinaWindow *self, CirrinaObject *vm)
{
    g_return_if_fail(CIRRINA_IS_WINDOW(self));
    g_return_if_fail(CIRRINA_IS_OBJECT(vm));

    cirrina_vm_details_page_set_vm(CIRRINA_VM_DETAILS_PAGE(self->vm_details_page), vm);
    adw_view_stack_set_visible_child_name(self->view_stack, "vms");
    adw_leaflet_set_visible_child_name(self->vms_leaflet, "details");
}

void cirrina_window_show_console(CirrinaWindow *self, CirrinaObject *vm)
{
    g_return_if_fail(CIRRINA_IS_WINDOW(self));
    g_return_if_fail(CIRRINA_IS_OBJECT(vm));

    /* Back from the console leads to the same VM's details. */
    cirrina_vm_details_page_set_vm(CIRRINA_VM_DETAILS_PAGE(self->vm_details_page), vm);
    cirrina_console_page_set_vm(CIRRINA_CONSOLE_PAGE(self->console_page), vm);
    adw_view_stack_set_visible_child_name(self->view_stack, "vms");
    adw_leaflet_set_visible_child_name(self->vms_leaflet, "console");
}

const char *cirrina_window_get_visible_page(CirrinaWindow *self)
{
    g_return_val_if_fail(CIRRINA_IS_WINDOW(self), NULL);
    const char *main_page = gtk_stack_get_visible_child_name(self->main_stack);
    if (g_strcmp0(main_page, "main") != 0)
        return main_page;
    return adw_view_stack_get_visible_child_name(self->view_stack);
}

const char *cirrina_window_get_visible_vm_page(CirrinaWindow *self)
{
    g_return_val_if_fail(CIRRINA_IS_WINDOW(self), NULL);
    return adw_leaflet_get_visible_child_name(self->vms_leaflet);
}

/* The header follows where the user is: "Back" below the VM list, "New"
 * on the list. Pages left behind let go of their VM (a console closes its
 * connections). Also runs after a swipe back. */
static void update_navigation(CirrinaWindow *self)
{
    const char *page = adw_view_stack_get_visible_child_name(self->view_stack);
    const char *vm_page = adw_leaflet_get_visible_child_name(self->vms_leaflet);
    gboolean on_vms = g_strcmp0(page, "vms") == 0;
    gboolean on_list = g_strcmp0(vm_page, "list") == 0;

    gtk_widget_set_visible(GTK_WIDGET(self->back_button), on_vms && !on_list);
    gtk_widget_set_visible(GTK_WIDGET(self->new_vm_button), on_vms && on_list);

    if (adw_leaflet_get_child_transition_running(self->vms_leaflet))
        return;
    if (on_list)
        cirrina_vm_details_page_set_vm(CIRRINA_VM_DETAILS_PAGE(self->vm_details_page), NULL);
    if (g_strcmp0(vm_page, "console") != 0)
        cirrina_console_page_set_vm(CIRRINA_CONSOLE_PAGE(self->console_page), NULL);
}

static void on_navigation_changed(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    update_navigation(CIRRINA_WINDOW(user_data));
}

/* A VM removed behind our back (by another client) takes its pages along. */
static void on_object_removed(CirrinaClient *client, CirrinaObject *object, gpointer user_data)
{
    CirrinaWindow *self = user_data;
    CirrinaObject *shown =
        cirrina_vm_details_page_get_vm(CIRRINA_VM_DETAILS_PAGE(self->vm_details_page));

    if (shown == NULL || shown != object)
        return;
    if (cirrina_client_get_connected(client)) {
        CirrinaVM *vm = cirrina_object_peek_vm(object);
        g_autofree char *message = g_strdup_printf(
            "“%s” was deleted", vm != NULL ? cirrina_vm_get_name(vm) : "The virtual machine");
        cirrina_window_show_toast(self, message);
    }
    cirrina_window_show_vm_list(self);
}

/* The "no daemon" page names the bus and how to start cirrinad there. */
static void update_offline_page(CirrinaWindow *self)
{
    const char *bus = cirrina_client_get_bus_description(self->client);
    const char *bus_error = cirrina_client_get_bus_error(self->client);
    g_autofree char *description = NULL;

    if (bus_error != NULL) {
        description = g_markup_printf_escaped("Cirrina cannot open the %s: %s", bus, bus_error);
    } else {
        switch (cirrina_client_get_bus(self->client)) {
        case CIRRINA_CLIENT_BUS_SYSTEM:
            description = g_strdup(
                "cirrinad is not running on the system bus.\n"
                "Start it with <tt>systemctl start cirrinad</tt>, or run Cirrina with "
                "<tt>--session</tt> to use your own daemon (<tt>./run</tt> in a source tree).\n"
                "This page goes away by itself once cirrinad is there.");
            break;
        case CIRRINA_CLIENT_BUS_SESSION:
            description =
                g_strdup("cirrinad is not running on your session bus.\n"
                         "Start it with <tt>cirrinad --session</tt>, or <tt>./run</tt> in a source "
                         "tree.\nThis page goes away by itself once cirrinad is there.");
            break;
        case CIRRINA_CLIENT_BUS_ADDRESS:
            description =
                g_markup_printf_escaped("cirrinad is not running on the bus at %s.\n"
                                        "This page goes away by itself once cirrinad is there.",
                                        bus);
            break;
        }
    }
    adw_status_page_set_description(self->offline_page, description);
}

static void on_connected_changed(CirrinaClient *client, GParamSpec *pspec, gpointer user_data)
{
    CirrinaWindow *self = user_data;
    GAction *new_vm = g_action_map_lookup_action(G_ACTION_MAP(self), "new-vm");

    /* Ctrl+N too: nothing to make a VM with while there is no daemon. */
    g_simple_action_set_enabled(G_SIMPLE_ACTION(new_vm), cirrina_client_get_connected(client));
    if (cirrina_client_get_connected(client)) {
        gtk_stack_set_visible_child_name(self->main_stack, "main");
        return;
    }
    update_offline_page(self);
    /* Before the first answer (bus and object manager on their way) a
     * spinner: no flash of the offline page at every start. */
    if (cirrina_client_get_object_manager(client) != NULL ||
        cirrina_client_get_bus_error(client) != NULL)
        gtk_stack_set_visible_child_name(self->main_stack, "offline");
    else
        gtk_stack_set_visible_child_name(self->main_stack, "connecting");
    cirrina_window_show_vm_list(self);
}

static void on_vm_created(CirrinaNewVmDialog *dialog, const char *path, gpointer user_data)
{
    CirrinaWindow *self = user_data;
    g_autoptr(CirrinaObject) vm = cirrina_client_get_object(self->client, path);

    if (vm != NULL)
        cirrina_window_show_vm_details(self, vm);
}

static void action_new_vm(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    CirrinaWindow *self = user_data;
    CirrinaNewVmDialog *dialog = cirrina_new_vm_dialog_new(GTK_WINDOW(self), self->client);

    g_signal_connect_object(dialog, "vm-created", G_CALLBACK(on_vm_created), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void action_back(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    CirrinaWindow *self = user_data;

    if (g_strcmp0(adw_view_stack_get_visible_child_name(self->view_stack), "vms") == 0)
        adw_leaflet_navigate(self->vms_leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void action_show_page(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    cirrina_window_show_page(user_data, g_variant_get_string(parameter, NULL));
}

/* The shortcuts window is made when asked for and destroyed when closed.
 * GtkApplication's own (from gtk/help-overlay.ui) would stay as a hidden
 * toplevel, and GTK 4.8 answers a screen reader that asks for a window
 * index just gone (a dialog closed meanwhile) with the last toplevel even
 * when hidden: its accessible has no object path and the app crashes. */
static void action_show_help_overlay(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource("/org/cirrina/Cirrina/cirrina-shortcuts-window.ui");
    GtkWindow *shortcuts = GTK_WINDOW(gtk_builder_get_object(builder, "help_overlay"));

    gtk_window_set_transient_for(shortcuts, GTK_WINDOW(user_data));
    gtk_window_present(shortcuts);
}

static const GActionEntry win_actions[] = {
    {.name = "new-vm", .activate = action_new_vm},
    {.name = "back", .activate = action_back},
    {.name = "show-page", .activate = action_show_page, .parameter_type = "s"},
    {.name = "show-help-overlay", .activate = action_show_help_overlay},
};

static void add_vm_page(CirrinaWindow *self, GtkWidget *page, const char *name)
{
    AdwLeafletPage *leaflet_page = adw_leaflet_append(self->vms_leaflet, page);
    adw_leaflet_page_set_name(leaflet_page, name);
}

static void add_view_page(CirrinaWindow *self, GtkWidget *page, const char *name, const char *title,
                          const char *icon_name)
{
    AdwViewStackPage *stack_page = adw_view_stack_add_titled(self->view_stack, page, name, title);
    adw_view_stack_page_set_icon_name(stack_page, icon_name);
}

static void cirrina_window_constructed(GObject *object)
{
    CirrinaWindow *self = CIRRINA_WINDOW(object);

    G_OBJECT_CLASS(cirrina_window_parent_class)->constructed(object);
    g_return_if_fail(self->client != NULL);

    self->vm_list_page = cirrina_vm_list_page_new(self->client);
    self->vm_details_page = cirrina_vm_details_page_new(self->client);
    self->console_page = cirrina_console_page_new(self->client);
    add_vm_page(self, self->vm_list_page, "list");
    add_vm_page(self, self->vm_details_page, "details");
    add_vm_page(self, self->console_page, "console");
    adw_leaflet_set_visible_child_name(self->vms_leaflet, "list");

    add_view_page(self, cirrina_switches_page_new(self->client), "switches", "Switches",
                  "network-workgroup-symbolic");
    add_view_page(self, cirrina_disks_page_new(self->client), "disks", "Disks",
                  "drive-harddisk-symbolic");
    add_view_page(self, cirrina_isos_page_new(self->client), "isos", "Images",
                  "media-optical-symbolic");

    g_signal_connect_object(self->client, "notify::connected", G_CALLBACK(on_connected_changed),
                            self, 0);
    g_signal_connect_object(self->client, "object-removed", G_CALLBACK(on_object_removed), self, 0);
    g_signal_connect_object(self->view_stack, "notify::visible-child-name",
                            G_CALLBACK(on_navigation_changed), self, 0);
    g_signal_connect_object(self->vms_leaflet, "notify::visible-child-name",
                            G_CALLBACK(on_navigation_changed), self, 0);
    g_signal_connect_object(self->vms_leaflet, "notify::child-transition-running",
                            G_CALLBACK(on_navigation_changed), self, 0);
    on_connected_changed(self->client, NULL, self);
    update_navigation(self);
}

static void cirrina_window_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
    CirrinaWindow *self = CIRRINA_WINDOW(object);

    switch (prop_id) {
    case PROP_CLIENT:
        g_value_set_object(value, self->client);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_window_set_property(GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
    CirrinaWindow *self = CIRRINA_WINDOW(object);

    switch (prop_id) {
    case PROP_CLIENT:
        self->client = g_value_dup_object(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_window_dispose(GObject *object)
{
    CirrinaWindow *self = CIRRINA_WINDOW(object);

    /* libadwaita 1.2's view switchers let go of a stack that is half gone
     * when the template is torn down in its order (a critical in
     * gtk_widget_unparent): let go of it while it is whole. */
    if (self->switcher_bar != NULL)
        adw_view_switcher_bar_set_stack(self->switcher_bar, NULL);
    if (self->switcher_title != NULL)
        adw_view_switcher_title_set_stack(self->switcher_title, NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_WINDOW);
    G_OBJECT_CLASS(cirrina_window_parent_class)->dispose(object);
    g_clear_object(&self->client);
}

static void cirrina_window_class_init(CirrinaWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->constructed = cirrina_window_constructed;
    object_class->get_property = cirrina_window_get_property;
    object_class->set_property = cirrina_window_set_property;
    object_class->dispose = cirrina_window_dispose;

    properties[PROP_CLIENT] =
        g_param_spec_object("client", NULL, NULL, CIRRINA_TYPE_CLIENT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-window.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, toast_overlay);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, main_stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, offline_page);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, back_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, new_vm_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, switcher_title);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, switcher_bar);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, view_stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaWindow, vms_leaflet);

    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-vm",
                                        NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.back", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "win.back", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_question, GDK_CONTROL_MASK,
                                        "win.show-help-overlay", NULL);
    const char *pages[] = {"vms", "switches", "disks", "isos"};
    for (guint i = 0; i < G_N_ELEMENTS(pages); i++)
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                            "win.show-page", "s", pages[i]);
}

static void cirrina_window_init(CirrinaWindow *self)
{
    g_type_ensure(CIRRINA_TYPE_CLIENT);
    gtk_widget_init_template(GTK_WIDGET(self));
    g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions, G_N_ELEMENTS(win_actions),
                                    self);
}

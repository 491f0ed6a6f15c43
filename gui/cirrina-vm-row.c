/* CirrinaVmRow: one VM, its state and its power actions. */
#include "cirrina-vm-row.h"

#include "cirrina-window.h"

struct _CirrinaVmRow {
    AdwActionRow parent_instance;

    CirrinaObject *vm;
    guint calls_pending; /* power calls of this row not answered yet */

    /* template */
    GtkImage *state_icon;
    GtkLabel *state_label;
    GtkButton *start_button;
    GtkButton *stop_button;
    GtkMenuButton *menu_button;
};

G_DEFINE_FINAL_TYPE(CirrinaVmRow, cirrina_vm_row, ADW_TYPE_ACTION_ROW)

static const char *const states[] = {"stopped", "starting", "running", "stopping"};

const char *cirrina_vm_row_state_label(const char *state)
{
    if (g_strcmp0(state, "stopped") == 0)
        return "Stopped";
    if (g_strcmp0(state, "starting") == 0)
        return "Starting…";
    if (g_strcmp0(state, "running") == 0)
        return "Running";
    if (g_strcmp0(state, "stopping") == 0)
        return "Shutting Down…";
    return state != NULL ? state : "Unknown";
}

static CirrinaVM *row_vm(CirrinaVmRow *self)
{
    return self->vm != NULL ? cirrina_object_peek_vm(self->vm) : NULL;
}

static const char *row_vm_name(CirrinaVmRow *self)
{
    CirrinaVM *vm = row_vm(self);
    const char *name = vm != NULL ? cirrina_vm_get_name(vm) : NULL;
    return name != NULL ? name : "";
}

static CirrinaWindow *row_window(CirrinaVmRow *self)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    return CIRRINA_IS_WINDOW(root) ? CIRRINA_WINDOW(root) : NULL;
}

/* The state decides what can be done; a call on its way blocks a second
 * one from this row (Start answers only once the VM runs). */
static void update_state(CirrinaVmRow *self)
{
    CirrinaVM *vm = row_vm(self);
    const char *state = vm != NULL ? cirrina_vm_get_state(vm) : NULL;
    gboolean stopped = g_strcmp0(state, "stopped") == 0;
    gboolean running = g_strcmp0(state, "running") == 0;
    gboolean idle = self->calls_pending == 0;
    GtkWidget *widget = GTK_WIDGET(self);

    gtk_label_set_label(self->state_label, cirrina_vm_row_state_label(state));
    for (guint i = 0; i < G_N_ELEMENTS(states); i++) {
        if (g_strcmp0(state, states[i]) == 0)
            gtk_widget_add_css_class(GTK_WIDGET(self->state_label), states[i]);
        else
            gtk_widget_remove_css_class(GTK_WIDGET(self->state_label), states[i]);
    }

    gtk_widget_action_set_enabled(widget, "vm.start", idle && stopped);
    gtk_widget_action_set_enabled(widget, "vm.stop", idle && running);
    gtk_widget_action_set_enabled(widget, "vm.kill", state != NULL && !stopped);
    gtk_widget_action_set_enabled(widget, "vm.reset", idle && running);
    gtk_widget_action_set_enabled(widget, "vm.delete", idle && stopped);
    gtk_widget_action_set_enabled(widget, "vm.console", running);

    /* One power button: Start when it can start, Shut Down otherwise. */
    gtk_widget_set_visible(GTK_WIDGET(self->start_button), !running);
    gtk_widget_set_visible(GTK_WIDGET(self->stop_button), running);
}

/* Title, subtitle and the accessible names that carry the VM's name, so a
 * screen reader says "Start web1", not "Start". */
static void update_labels(CirrinaVmRow *self)
{
    CirrinaVM *vm = row_vm(self);
    const char *name = row_vm_name(self);
    const char *group = vm != NULL ? cirrina_vm_get_group(vm) : NULL;
    const char *description = vm != NULL ? cirrina_vm_get_description(vm) : NULL;
    g_autoptr(GString) subtitle = g_string_new(NULL);
    g_autofree char *start = g_strdup_printf("Start %s", name);
    g_autofree char *stop = g_strdup_printf("Shut down %s", name);
    g_autofree char *more = g_strdup_printf("More actions for %s", name);

    if (group != NULL && *group != '\0')
        g_string_append_printf(subtitle, "%s", group);
    if (description != NULL && *description != '\0') {
        if (subtitle->len > 0)
            g_string_append(subtitle, " — ");
        g_string_append(subtitle, description);
    }
    g_autofree char *title = g_markup_escape_text(name, -1);
    g_autofree char *subtitle_markup = g_markup_escape_text(subtitle->str, -1);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self), title);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(self), subtitle_markup);

    gtk_accessible_update_property(GTK_ACCESSIBLE(self->start_button),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL, start, -1);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->stop_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   stop, -1);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   more, -1);
}

static void on_vm_notify(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    CirrinaVmRow *self = user_data;

    if (g_strcmp0(pspec->name, "state") == 0)
        update_state(self);
    else if (g_strcmp0(pspec->name, "name") == 0 || g_strcmp0(pspec->name, "group") == 0 ||
             g_strcmp0(pspec->name, "description") == 0)
        update_labels(self);
}

GtkWidget *cirrina_vm_row_new(CirrinaObject *vm)
{
    CirrinaVmRow *self = g_object_new(CIRRINA_TYPE_VM_ROW, NULL);
    CirrinaVM *proxy;

    self->vm = g_object_ref(vm);
    proxy = row_vm(self);
    if (proxy != NULL)
        g_signal_connect_object(proxy, "notify", G_CALLBACK(on_vm_notify), self, 0);
    update_labels(self);
    update_state(self);
    return GTK_WIDGET(self);
}

CirrinaObject *cirrina_vm_row_get_vm(CirrinaVmRow *self)
{
    g_return_val_if_fail(CIRRINA_IS_VM_ROW(self), NULL);
    return self->vm;
}

/* Power calls: the answer comes when the VM has started or stopped; the
 * state pill follows PropertiesChanged meanwhile. */
typedef struct {
    CirrinaVmRow *row;
    char *what;
} PowerCall;

static void power_call_free(PowerCall *call)
{
    g_object_unref(call->row);
    g_free(call->what);
    g_free(call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PowerCall, power_call_free)

static void on_power_call_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(PowerCall) call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);
    CirrinaWindow *window = row_window(call->row);

    call->row->calls_pending--;
    update_state(call->row);
    if (reply == NULL && window != NULL)
        cirrina_window_show_error(window, call->what, error);
}

/* what: how a failure is introduced ("Cannot start “web1”"); taken. */
static void power_call(CirrinaVmRow *self, const char *method, GVariant *parameters, char *what)
{
    CirrinaVM *vm = row_vm(self);
    PowerCall *call;

    if (vm == NULL) {
        g_free(what);
        return;
    }
    call = g_new0(PowerCall, 1);
    call->row = g_object_ref(self);
    call->what = what;
    self->calls_pending++;
    update_state(self);
    cirrina_proxy_call(vm, method, parameters, NULL, on_power_call_done, call);
}

static void action_start(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    power_call(CIRRINA_VM_ROW(widget), "Start", NULL,
               g_strdup_printf("Cannot start “%s”", row_vm_name(CIRRINA_VM_ROW(widget))));
}

static void action_stop(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    /* 0: the daemon's default grace time before it pulls the plug. */
    power_call(CIRRINA_VM_ROW(widget), "Stop", g_variant_new("(u)", 0),
               g_strdup_printf("Cannot shut down “%s”", row_vm_name(CIRRINA_VM_ROW(widget))));
}

static void action_kill(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    power_call(CIRRINA_VM_ROW(widget), "Kill", NULL,
               g_strdup_printf("Cannot force off “%s”", row_vm_name(CIRRINA_VM_ROW(widget))));
}

static void action_reset(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    power_call(CIRRINA_VM_ROW(widget), "Reset", NULL,
               g_strdup_printf("Cannot reset “%s”", row_vm_name(CIRRINA_VM_ROW(widget))));
}

static void on_delete_response(AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
    CirrinaVmRow *self = user_data;
    GtkCheckButton *with_disks = GTK_CHECK_BUTTON(adw_message_dialog_get_extra_child(dialog));
    g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);

    if (g_strcmp0(response, "delete") != 0)
        return;
    if (gtk_check_button_get_active(with_disks))
        g_variant_builder_add(&options, "{sv}", "DeleteDisks", g_variant_new_boolean(TRUE));
    power_call(self, "Delete", g_variant_new("(a{sv})", &options),
               g_strdup_printf("Cannot delete “%s”", row_vm_name(self)));
}

static void action_delete(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    CirrinaVmRow *self = CIRRINA_VM_ROW(widget);
    CirrinaWindow *window = row_window(self);
    CirrinaVM *vm = row_vm(self);
    const char *const *disks = vm != NULL ? cirrina_vm_get_disks(vm) : NULL;
    g_autofree char *heading = g_strdup_printf("Delete “%s”?", row_vm_name(self));
    GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(window), heading, NULL);
    /* Alt+A: Alt+D is the Delete button's. */
    GtkWidget *with_disks = gtk_check_button_new_with_mnemonic("_Also delete its disks");

    adw_message_dialog_set_body(
        ADW_MESSAGE_DIALOG(dialog),
        "The virtual machine and its network interfaces are deleted. Its disks are kept "
        "unless you choose otherwise.");
    gtk_widget_set_halign(with_disks, GTK_ALIGN_CENTER);
    gtk_widget_set_sensitive(with_disks, disks != NULL && disks[0] != NULL);
    adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog), with_disks);
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", "_Cancel", "delete",
                                     "_Delete", NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "delete",
                                               ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_delete_response), self, 0);
    /* The focus starts on Cancel, the default: GTK would give it to the
     * first control, the check button, and Enter would tick "delete its
     * disks" instead of cancelling. */
    gtk_window_present(GTK_WINDOW(dialog));
    GtkWidget *cancel = gtk_window_get_default_widget(GTK_WINDOW(dialog));
    if (cancel != NULL)
        gtk_widget_grab_focus(cancel);
}

static void action_details(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    CirrinaVmRow *self = CIRRINA_VM_ROW(widget);
    CirrinaWindow *window = row_window(self);

    if (window != NULL)
        cirrina_window_show_vm_details(window, self->vm);
}

static void action_console(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    CirrinaVmRow *self = CIRRINA_VM_ROW(widget);
    CirrinaWindow *window = row_window(self);

    if (window != NULL)
        cirrina_window_show_console(window, self->vm);
}

static void action_menu(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    gtk_menu_button_popup(CIRRINA_VM_ROW(widget)->menu_button);
}

static void cirrina_vm_row_dispose(GObject *object)
{
    CirrinaVmRow *self = CIRRINA_VM_ROW(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_VM_ROW);
    g_clear_object(&self->vm);
    G_OBJECT_CLASS(cirrina_vm_row_parent_class)->dispose(object);
}

static void cirrina_vm_row_class_init(CirrinaVmRowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = cirrina_vm_row_dispose;

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-vm-row.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmRow, state_icon);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmRow, state_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmRow, start_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmRow, stop_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmRow, menu_button);

    gtk_widget_class_install_action(widget_class, "vm.start", NULL, action_start);
    gtk_widget_class_install_action(widget_class, "vm.stop", NULL, action_stop);
    gtk_widget_class_install_action(widget_class, "vm.kill", NULL, action_kill);
    gtk_widget_class_install_action(widget_class, "vm.reset", NULL, action_reset);
    gtk_widget_class_install_action(widget_class, "vm.delete", NULL, action_delete);
    gtk_widget_class_install_action(widget_class, "vm.details", NULL, action_details);
    gtk_widget_class_install_action(widget_class, "vm.console", NULL, action_console);
    gtk_widget_class_install_action(widget_class, "vm.menu", NULL, action_menu);

    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Delete, 0, "vm.delete", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "vm.start",
                                        NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                        "vm.stop", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Menu, 0, "vm.menu", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "vm.menu", NULL);
}

static void cirrina_vm_row_init(CirrinaVmRow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

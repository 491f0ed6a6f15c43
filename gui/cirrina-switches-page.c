/* CirrinaSwitchesPage: the daemon's switches, live; create, edit, delete. */
#include "cirrina-switches-page.h"

#include "cirrina-entry-row.h"
#include "cirrina-form-dialog.h"
#include "cirrina-object-list.h"
#include "cirrina-page-util.h"

#define SWITCH_INTERFACE "org.cirrina.Switch"
/* The first uplink choice: the switch joins only its VMs (Uplink ""). */
#define NO_UPLINK "None (isolated)"

struct _CirrinaSwitchesPage {
    CirrinaClientPage parent_instance;

    CirrinaObjectList *switches;

    GtkStack *stack;
    GtkListBox *list_box;
};

G_DEFINE_FINAL_TYPE(CirrinaSwitchesPage, cirrina_switches_page, CIRRINA_TYPE_CLIENT_PAGE)

/* ------------------------------------------------------------ the list */

static void update_row(AdwActionRow *row, CirrinaSwitch *sw)
{
    const char *uplink = cirrina_switch_get_uplink(sw);
    const char *type = cirrina_switch_get_type_(sw);
    const char *description = cirrina_switch_get_description(sw);
    g_autoptr(GString) subtitle = g_string_new(cirrina_switch_get_interface(sw));

    if (g_strcmp0(type, "bridge") != 0 && type != NULL && *type != '\0')
        g_string_append_printf(subtitle, " (%s)", type);
    if (uplink != NULL && *uplink != '\0')
        g_string_append_printf(subtitle, " · Uplink %s", uplink);
    else
        g_string_append(subtitle, " · Isolated");
    if (description != NULL && *description != '\0')
        g_string_append_printf(subtitle, " · %s", description);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), cirrina_switch_get_name(sw));
    adw_action_row_set_subtitle(row, subtitle->str);
}

static void on_switch_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer row)
{
    update_row(ADW_ACTION_ROW(row), CIRRINA_SWITCH(proxy));
}

static GtkWidget *create_row(gpointer item, gpointer user_data)
{
    CirrinaSwitch *sw = CIRRINA_SWITCH(item);
    const char *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(item));
    const char *name = cirrina_switch_get_name(sw);
    AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
    g_autofree char *edit_label = g_strdup_printf("Edit switch %s", name);
    g_autofree char *delete_label = g_strdup_printf("Delete switch %s", name);

    /* Names and descriptions are plain text. */
    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    gtk_widget_set_name(GTK_WIDGET(row), path);
    update_row(row, sw);
    adw_action_row_add_suffix(row,
                              cirrina_icon_button_new("document-edit-symbolic", edit_label,
                                                      "switches.edit", g_variant_new_string(path)));
    adw_action_row_add_suffix(row, cirrina_icon_button_new("user-trash-symbolic", delete_label,
                                                           "switches.delete",
                                                           g_variant_new_string(path)));
    /* Enter or a click on the row edits it. */
    gtk_actionable_set_action_name(GTK_ACTIONABLE(row), "switches.edit");
    gtk_actionable_set_action_target_value(GTK_ACTIONABLE(row), g_variant_new_string(path));
    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
    cirrina_row_add_delete_shortcut(GTK_WIDGET(row), "switches.delete", path);
    g_signal_connect_object(item, "g-properties-changed", G_CALLBACK(on_switch_changed), row, 0);
    return GTK_WIDGET(row);
}

static void update_stack(CirrinaSwitchesPage *self)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->switches));

    gtk_stack_set_visible_child_name(self->stack, n > 0 ? "list" : "empty");
}

static void on_items_changed(GListModel *model, guint position, guint removed, guint added,
                             gpointer user_data)
{
    update_stack(user_data);
}

/* ------------------------------------------------------- create / edit */

typedef struct {
    CirrinaSwitchesPage *page;
    CirrinaSwitch *sw; /* NULL: a new switch */
    CirrinaFormDialog *dialog;
    CirrinaEntryRow *name;
    CirrinaEntryRow *description;
    AdwComboRow *uplink;
    AdwComboRow *type; /* NULL where the host knows only bridges */
    GtkStringList *uplinks;
} SwitchForm;

static void switch_form_free(SwitchForm *form)
{
    g_object_unref(form->page);
    g_clear_object(&form->sw);
    g_object_unref(form->uplinks);
    g_free(form);
}

static SwitchForm *form_of(gpointer dialog)
{
    return g_object_get_data(G_OBJECT(dialog), "cirrina-switch-form");
}

/* "" for the first choice (no uplink). */
static const char *selected_uplink(SwitchForm *form)
{
    const char *uplink = cirrina_combo_row_get_string(form->uplink);

    if (adw_combo_row_get_selected(form->uplink) == 0 || uplink == NULL)
        return "";
    return uplink;
}

static void select_uplink(SwitchForm *form, const char *uplink)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(form->uplinks));

    for (guint i = 1; i < n; i++) {
        if (g_strcmp0(gtk_string_list_get_string(form->uplinks, i), uplink) == 0) {
            adw_combo_row_set_selected(form->uplink, i);
            return;
        }
    }
}

static void on_host_interfaces(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaFormDialog) dialog = user_data;
    SwitchForm *form = form_of(dialog);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);
    g_autofree const char **names = NULL;
    g_autofree char *keep = g_strdup(selected_uplink(form));

    if (reply == NULL) {
        g_autofree char *message = cirrina_client_describe_error(error);
        if (message != NULL) {
            g_autofree char *text =
                g_strdup_printf("Could not list the host’s interfaces: %s", message);
            cirrina_form_dialog_show_error(dialog, text);
        }
        return;
    }
    g_variant_get(reply, "(^a&s)", &names);
    for (gsize i = 0; names[i] != NULL; i++) {
        guint n = g_list_model_get_n_items(G_LIST_MODEL(form->uplinks));
        gboolean known = FALSE;
        for (guint j = 1; j < n; j++)
            known = known || g_strcmp0(gtk_string_list_get_string(form->uplinks, j), names[i]) == 0;
        if (!known)
            gtk_string_list_append(form->uplinks, names[i]);
    }
    select_uplink(form, keep);
}

static void update_apply_sensitive(SwitchForm *form)
{
    cirrina_form_dialog_set_action_sensitive(
        form->dialog, *gtk_editable_get_text(GTK_EDITABLE(form->name)) != '\0');
}

static void on_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaFormDialog) dialog = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL) {
        g_autofree char *message = cirrina_client_describe_error(error);
        cirrina_form_dialog_show_error(dialog, message != NULL ? message : "Cancelled");
        return;
    }
    cirrina_form_dialog_set_busy(dialog, FALSE);
    gtk_window_destroy(GTK_WINDOW(dialog));
}

static void on_renamed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    on_created(source, result, user_data); /* same ending: close or show why not */
}

static void rename_if_needed(CirrinaFormDialog *dialog)
{
    SwitchForm *form = form_of(dialog);
    const char *name = gtk_editable_get_text(GTK_EDITABLE(form->name));

    if (g_strcmp0(name, cirrina_switch_get_name(form->sw)) == 0) {
        cirrina_form_dialog_set_busy(dialog, FALSE);
        gtk_window_destroy(GTK_WINDOW(dialog));
        return;
    }
    cirrina_proxy_call(form->sw, "Rename", g_variant_new("(s)", name), NULL, on_renamed,
                       g_object_ref(dialog));
}

static void on_updated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaFormDialog) dialog = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL) {
        g_autofree char *message = cirrina_client_describe_error(error);
        cirrina_form_dialog_show_error(dialog, message != NULL ? message : "Cancelled");
        return;
    }
    rename_if_needed(dialog);
}

/* Create: CreateSwitch(name, {Uplink, Description, Type}). Edit: one
 * Update with what changed, then Rename if the name did. */
static void on_apply(CirrinaFormDialog *dialog, gpointer user_data)
{
    SwitchForm *form = form_of(dialog);
    const char *name = gtk_editable_get_text(GTK_EDITABLE(form->name));
    const char *description = gtk_editable_get_text(GTK_EDITABLE(form->description));
    const char *uplink = selected_uplink(form);
    GVariantBuilder changes;
    gboolean changed = FALSE;

    g_variant_builder_init(&changes, G_VARIANT_TYPE_VARDICT);
    if (form->sw == NULL) {
        CirrinaManager *manager = cirrina_client_get_manager(
            cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(form->page)));
        g_variant_builder_add(&changes, "{sv}", "Uplink", g_variant_new_string(uplink));
        if (*description != '\0')
            g_variant_builder_add(&changes, "{sv}", "Description",
                                  g_variant_new_string(description));
        if (form->type != NULL)
            g_variant_builder_add(&changes, "{sv}", "Type",
                                  g_variant_new_string(cirrina_combo_row_get_string(form->type)));
        cirrina_form_dialog_set_busy(dialog, TRUE);
        cirrina_proxy_call(manager, "CreateSwitch", g_variant_new("(sa{sv})", name, &changes), NULL,
                           on_created, g_object_ref(dialog));
        return;
    }
    if (g_strcmp0(description, cirrina_switch_get_description(form->sw)) != 0) {
        g_variant_builder_add(&changes, "{sv}", "Description", g_variant_new_string(description));
        changed = TRUE;
    }
    if (g_strcmp0(uplink, cirrina_switch_get_uplink(form->sw)) != 0) {
        g_variant_builder_add(&changes, "{sv}", "Uplink", g_variant_new_string(uplink));
        changed = TRUE;
    }
    cirrina_form_dialog_set_busy(dialog, TRUE);
    if (!changed) {
        g_variant_builder_clear(&changes);
        rename_if_needed(dialog);
        return;
    }
    cirrina_proxy_call(form->sw, "Update", g_variant_new("(a{sv})", &changes), NULL, on_updated,
                       g_object_ref(dialog));
}

static CirrinaFormDialog *open_form(CirrinaSwitchesPage *self, CirrinaSwitch *sw)
{
    CirrinaManager *manager =
        cirrina_client_get_manager(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)));
    SwitchForm *form = g_new0(SwitchForm, 1);
    const char *const no_uplink[] = {NO_UPLINK, NULL};
    const char *current_uplink = sw != NULL ? cirrina_switch_get_uplink(sw) : "";

    form->page = g_object_ref(self);
    form->sw = sw != NULL ? g_object_ref(sw) : NULL;
    form->dialog = cirrina_form_dialog_new(GTK_WIDGET(self), sw ? "Edit Switch" : "New Switch",
                                           sw ? "_Apply" : "_Create");
    g_object_set_data_full(G_OBJECT(form->dialog), "cirrina-switch-form", form,
                           (GDestroyNotify)switch_form_free);

    form->name = CIRRINA_ENTRY_ROW(cirrina_entry_row_new("Name"));
    if (sw != NULL)
        gtk_editable_set_text(GTK_EDITABLE(form->name), cirrina_switch_get_name(sw));
    g_signal_connect_swapped(form->name, "changed", G_CALLBACK(update_apply_sensitive), form);
    cirrina_form_dialog_add(form->dialog, GTK_WIDGET(form->name));

    /* The uplinks: "none", the current one (also if the host lost it), and
     * the host's candidates once GetHostInterfaces answers. */
    form->uplink = cirrina_combo_row_new("Uplink", no_uplink, NULL);
    form->uplinks = g_object_ref(GTK_STRING_LIST(adw_combo_row_get_model(form->uplink)));
    if (current_uplink != NULL && *current_uplink != '\0') {
        gtk_string_list_append(form->uplinks, current_uplink);
        adw_combo_row_set_selected(form->uplink, 1);
    }
    cirrina_form_dialog_add(form->dialog, GTK_WIDGET(form->uplink));
    cirrina_proxy_call(manager, "GetHostInterfaces", NULL, NULL, on_host_interfaces,
                       g_object_ref(form->dialog));

    /* netgraph switches exist only on FreeBSD, that is with bhyve; the type
     * is fixed at creation. */
    if (sw == NULL && g_strcmp0(cirrina_manager_get_hypervisor(manager), "bhyve") == 0) {
        const char *const types[] = {"bridge", "netgraph", NULL};
        form->type = cirrina_combo_row_new("Type", types, "bridge");
        cirrina_form_dialog_add(form->dialog, GTK_WIDGET(form->type));
    }

    form->description = CIRRINA_ENTRY_ROW(cirrina_entry_row_new("Description"));
    if (sw != NULL)
        gtk_editable_set_text(GTK_EDITABLE(form->description), cirrina_switch_get_description(sw));
    cirrina_form_dialog_add(form->dialog, GTK_WIDGET(form->description));

    update_apply_sensitive(form);
    g_signal_connect(form->dialog, "apply", G_CALLBACK(on_apply), NULL);
    gtk_window_present(GTK_WINDOW(form->dialog));
    gtk_widget_grab_focus(GTK_WIDGET(form->name));
    return form->dialog;
}

CirrinaFormDialog *cirrina_switches_page_new_switch(CirrinaSwitchesPage *self)
{
    g_return_val_if_fail(CIRRINA_IS_SWITCHES_PAGE(self), NULL);
    if (cirrina_client_get_manager(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self))) ==
        NULL)
        return NULL;
    return open_form(self, NULL);
}

CirrinaFormDialog *cirrina_switches_page_edit_switch(CirrinaSwitchesPage *self,
                                                     const char *object_path)
{
    GDBusProxy *sw;

    g_return_val_if_fail(CIRRINA_IS_SWITCHES_PAGE(self), NULL);
    sw = cirrina_object_list_lookup(self->switches, object_path);
    if (sw == NULL)
        return NULL;
    return open_form(self, CIRRINA_SWITCH(sw));
}

/* -------------------------------------------------------------- delete */

typedef struct {
    CirrinaSwitchesPage *page;
    char *name;
} DeleteCall;

static void delete_call_free(DeleteCall *call)
{
    g_object_unref(call->page);
    g_free(call->name);
    g_free(call);
}

static void on_deleted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DeleteCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL) {
        g_autofree char *what = g_strdup_printf("Could not delete switch “%s”", call->name);
        cirrina_page_show_error(GTK_WIDGET(call->page), what, error);
    }
    delete_call_free(call);
}

static void on_delete_confirmed(GtkWidget *page, gpointer user_data)
{
    CirrinaSwitchesPage *self = CIRRINA_SWITCHES_PAGE(page);
    GDBusProxy *sw = cirrina_object_list_lookup(self->switches, user_data);
    DeleteCall *call;

    if (sw == NULL)
        return; /* gone meanwhile */
    call = g_new0(DeleteCall, 1);
    call->page = g_object_ref(self);
    call->name = g_strdup(cirrina_switch_get_name(CIRRINA_SWITCH(sw)));
    cirrina_proxy_call(sw, "Delete", NULL, NULL, on_deleted, call);
}

AdwMessageDialog *cirrina_switches_page_delete_switch(CirrinaSwitchesPage *self,
                                                      const char *object_path)
{
    GDBusProxy *sw;

    g_return_val_if_fail(CIRRINA_IS_SWITCHES_PAGE(self), NULL);
    sw = cirrina_object_list_lookup(self->switches, object_path);
    if (sw == NULL)
        return NULL;
    g_autofree char *heading =
        g_strdup_printf("Delete switch “%s”?", cirrina_switch_get_name(CIRRINA_SWITCH(sw)));
    g_autofree char *body =
        g_strdup_printf("Its host interface %s goes away with it. A switch that virtual "
                        "machines still use cannot be deleted.",
                        cirrina_switch_get_interface(CIRRINA_SWITCH(sw)));
    return cirrina_confirm_destructive(GTK_WIDGET(self), heading, body, "_Delete",
                                       on_delete_confirmed, g_strdup(object_path), g_free);
}

/* ------------------------------------------------------------- actions */

static void action_new(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_switches_page_new_switch(CIRRINA_SWITCHES_PAGE(widget));
}

static void action_edit(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_switches_page_edit_switch(CIRRINA_SWITCHES_PAGE(widget),
                                      g_variant_get_string(parameter, NULL));
}

static void action_delete(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_switches_page_delete_switch(CIRRINA_SWITCHES_PAGE(widget),
                                        g_variant_get_string(parameter, NULL));
}

/* -------------------------------------------------------------- object */

GtkWidget *cirrina_switches_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_SWITCHES_PAGE, "client", client, NULL);
}

GtkListBox *cirrina_switches_page_get_list_box(CirrinaSwitchesPage *self)
{
    g_return_val_if_fail(CIRRINA_IS_SWITCHES_PAGE(self), NULL);
    return self->list_box;
}

static void cirrina_switches_page_constructed(GObject *object)
{
    CirrinaSwitchesPage *self = CIRRINA_SWITCHES_PAGE(object);

    G_OBJECT_CLASS(cirrina_switches_page_parent_class)->constructed(object);
    self->switches = cirrina_object_list_new(
        cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)), SWITCH_INTERFACE);
    gtk_list_box_bind_model(self->list_box, G_LIST_MODEL(self->switches), create_row, self, NULL);
    g_signal_connect_object(self->switches, "items-changed", G_CALLBACK(on_items_changed), self, 0);
    update_stack(self);
}

static void cirrina_switches_page_dispose(GObject *object)
{
    CirrinaSwitchesPage *self = CIRRINA_SWITCHES_PAGE(object);

    if (self->list_box != NULL)
        gtk_list_box_bind_model(self->list_box, NULL, NULL, NULL, NULL);
    /* The template's stack is the bin's child: the bin lets go of it first,
     * else both unparent it (the second time after it is freed). */
    adw_bin_set_child(ADW_BIN(self), NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_SWITCHES_PAGE);
    g_clear_object(&self->switches);
    G_OBJECT_CLASS(cirrina_switches_page_parent_class)->dispose(object);
}

static void cirrina_switches_page_class_init(CirrinaSwitchesPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->constructed = cirrina_switches_page_constructed;
    object_class->dispose = cirrina_switches_page_dispose;

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-switches-page.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaSwitchesPage, stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaSwitchesPage, list_box);

    gtk_widget_class_install_action(widget_class, "switches.new", NULL, action_new);
    gtk_widget_class_install_action(widget_class, "switches.edit", "s", action_edit);
    gtk_widget_class_install_action(widget_class, "switches.delete", "s", action_delete);
}

static void cirrina_switches_page_init(CirrinaSwitchesPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

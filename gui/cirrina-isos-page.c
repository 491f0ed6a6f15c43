/* CirrinaIsosPage: the daemon's ISO images, live; import, use in place, edit, delete. */
#include "cirrina-isos-page.h"

#include "cirrina-entry-row.h"
#include "cirrina-object-list.h"
#include "cirrina-page-util.h"
#include "cirrina-progress-row.h"
#include "cirrina-storage-jobs.h"

#define ISO_INTERFACE "org.cirrina.ISO"

struct _CirrinaIsosPage {
    CirrinaClientPage parent_instance;

    CirrinaObjectList *isos;
    CirrinaStorageJobs *jobs;
    GtkFileChooserNative *chooser;
    gboolean chooser_registers; /* the open chooser is for "Use in Place" */

    GtkStack *stack;
    AdwPreferencesGroup *progress_group;
    GtkListBox *progress_list;
    GtkListBox *list_box;
};

G_DEFINE_FINAL_TYPE(CirrinaIsosPage, cirrina_isos_page, CIRRINA_TYPE_CLIENT_PAGE)

static CirrinaISO *lookup_iso(CirrinaIsosPage *self, const char *path)
{
    GDBusProxy *proxy = cirrina_object_list_lookup(self->isos, path);

    return proxy != NULL ? CIRRINA_ISO(proxy) : NULL;
}

static void show_call_error(CirrinaIsosPage *self, const char *what, const char *name,
                            const GError *error)
{
    g_autofree char *remote = g_dbus_error_get_remote_error(error);
    g_autofree char *text = g_strdup_printf("%s “%s”", what, name);

    if (g_strcmp0(remote, "org.cirrina.Error.Cancelled") == 0)
        return;
    cirrina_page_show_error(GTK_WIDGET(self), text, error);
}

static gboolean iso_name_taken(const char *name, gpointer user_data)
{
    CirrinaIsosPage *self = user_data;

    return cirrina_object_list_find_by_name(self->isos, name) != NULL ||
           cirrina_storage_jobs_makes_name(self->jobs, name);
}

/* ------------------------------------------------------------ the list */

/* An imported image is known by its checksum, a registered one by where
 * it lives. */
static void update_row(AdwActionRow *row, CirrinaISO *iso)
{
    g_autofree char *size = cirrina_format_size(cirrina_iso_get_size(iso));
    const char *sha256 = cirrina_iso_get_sha256(iso);
    const char *description = cirrina_iso_get_description(iso);
    g_autoptr(GString) subtitle = g_string_new(size);

    if (sha256 != NULL && *sha256 != '\0')
        g_string_append_printf(subtitle, " · SHA-256 %.12s…", sha256);
    else
        g_string_append_printf(subtitle, " · %s", cirrina_iso_get_path(iso));
    if (description != NULL && *description != '\0')
        g_string_append_printf(subtitle, "\n%s", description);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), cirrina_iso_get_name(iso));
    adw_action_row_set_subtitle(row, subtitle->str);
    gtk_widget_set_tooltip_text(GTK_WIDGET(row), cirrina_iso_get_path(iso));
}

static void on_iso_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer row)
{
    update_row(ADW_ACTION_ROW(row), CIRRINA_ISO(proxy));
}

static GtkWidget *create_row(gpointer item, gpointer user_data)
{
    CirrinaISO *iso = CIRRINA_ISO(item);
    const char *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(item));
    const char *name = cirrina_iso_get_name(iso);
    AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
    g_autofree char *edit_label = g_strdup_printf("Edit ISO image %s", name);
    g_autofree char *delete_label = g_strdup_printf("Delete ISO image %s", name);

    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    gtk_widget_set_name(GTK_WIDGET(row), path);
    update_row(row, iso);
    adw_action_row_add_suffix(row,
                              cirrina_icon_button_new("document-edit-symbolic", edit_label,
                                                      "isos.edit", g_variant_new_string(path)));
    adw_action_row_add_suffix(row,
                              cirrina_icon_button_new("user-trash-symbolic", delete_label,
                                                      "isos.delete", g_variant_new_string(path)));
    gtk_actionable_set_action_name(GTK_ACTIONABLE(row), "isos.edit");
    gtk_actionable_set_action_target_value(GTK_ACTIONABLE(row), g_variant_new_string(path));
    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
    cirrina_row_add_delete_shortcut(GTK_WIDGET(row), "isos.delete", path);
    g_signal_connect_object(item, "g-properties-changed", G_CALLBACK(on_iso_changed), row, 0);
    return GTK_WIDGET(row);
}

static void update_stack(CirrinaIsosPage *self)
{
    guint isos = g_list_model_get_n_items(G_LIST_MODEL(self->isos));
    guint jobs = g_list_model_get_n_items(cirrina_storage_jobs_get_model(self->jobs));

    gtk_widget_set_visible(GTK_WIDGET(self->progress_group), jobs > 0);
    gtk_widget_set_visible(GTK_WIDGET(self->list_box), isos > 0);
    gtk_stack_set_visible_child_name(self->stack, isos + jobs > 0 ? "list" : "empty");
}

static void on_items_changed(GListModel *model, guint position, guint removed, guint added,
                             gpointer user_data)
{
    update_stack(user_data);
}

/* ---------------------------------------------------------------- edit */

typedef struct {
    CirrinaIsosPage *page;
    CirrinaISO *iso;
    CirrinaEntryRow *name;
    CirrinaEntryRow *description;
} IsoForm;

static void iso_form_free(IsoForm *form)
{
    g_object_unref(form->page);
    g_object_unref(form->iso);
    g_free(form);
}

static IsoForm *form_of(gpointer dialog)
{
    return g_object_get_data(G_OBJECT(dialog), "cirrina-iso-form");
}

static void close_or_show_error(CirrinaFormDialog *dialog, GObject *source, GAsyncResult *result)
{
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
    g_autoptr(CirrinaFormDialog) dialog = user_data;

    close_or_show_error(dialog, source, result);
}

static void rename_if_needed(CirrinaFormDialog *dialog)
{
    IsoForm *form = form_of(dialog);
    const char *name = gtk_editable_get_text(GTK_EDITABLE(form->name));

    if (g_strcmp0(name, cirrina_iso_get_name(form->iso)) == 0) {
        cirrina_form_dialog_set_busy(dialog, FALSE);
        gtk_window_destroy(GTK_WINDOW(dialog));
        return;
    }
    cirrina_proxy_call(form->iso, "Rename", g_variant_new("(s)", name), NULL, on_renamed,
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

static void on_edit_apply(CirrinaFormDialog *dialog, gpointer user_data)
{
    IsoForm *form = form_of(dialog);
    const char *description = gtk_editable_get_text(GTK_EDITABLE(form->description));

    cirrina_form_dialog_set_busy(dialog, TRUE);
    if (g_strcmp0(description, cirrina_iso_get_description(form->iso)) == 0) {
        rename_if_needed(dialog);
        return;
    }
    GVariantBuilder changes;
    g_variant_builder_init(&changes, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&changes, "{sv}", "Description", g_variant_new_string(description));
    cirrina_proxy_call(form->iso, "Update", g_variant_new("(a{sv})", &changes), NULL, on_updated,
                       g_object_ref(dialog));
}

static void require_name(CirrinaEntryRow *name, CirrinaFormDialog *dialog)
{
    cirrina_form_dialog_set_action_sensitive(dialog,
                                             *gtk_editable_get_text(GTK_EDITABLE(name)) != '\0');
}

CirrinaFormDialog *cirrina_isos_page_edit_iso(CirrinaIsosPage *self, const char *object_path)
{
    CirrinaISO *iso;
    CirrinaFormDialog *dialog;
    IsoForm *form;

    g_return_val_if_fail(CIRRINA_IS_ISOS_PAGE(self), NULL);
    iso = lookup_iso(self, object_path);
    if (iso == NULL)
        return NULL;
    dialog = cirrina_form_dialog_new(GTK_WIDGET(self), "Edit ISO Image", "_Apply");
    form = g_new0(IsoForm, 1);
    form->page = g_object_ref(self);
    form->iso = g_object_ref(iso);
    g_object_set_data_full(G_OBJECT(dialog), "cirrina-iso-form", form,
                           (GDestroyNotify)iso_form_free);

    form->name = CIRRINA_ENTRY_ROW(cirrina_entry_row_new("Name"));
    gtk_editable_set_text(GTK_EDITABLE(form->name), cirrina_iso_get_name(iso));
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->name));
    g_signal_connect_object(form->name, "changed", G_CALLBACK(require_name), dialog, 0);

    form->description = CIRRINA_ENTRY_ROW(cirrina_entry_row_new("Description"));
    gtk_editable_set_text(GTK_EDITABLE(form->description), cirrina_iso_get_description(iso));
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->description));

    g_signal_connect(dialog, "apply", G_CALLBACK(on_edit_apply), NULL);
    gtk_window_present(GTK_WINDOW(dialog));
    gtk_widget_grab_focus(GTK_WIDGET(form->name));
    return dialog;
}

/* -------------------------------------------------------------- delete */

typedef struct {
    CirrinaIsosPage *page;
    char *name;
} NamedCall;

static NamedCall *named_call_new(CirrinaIsosPage *page, const char *name)
{
    NamedCall *call = g_new0(NamedCall, 1);

    call->page = g_object_ref(page);
    call->name = g_strdup(name);
    return call;
}

static void named_call_free(NamedCall *call)
{
    g_object_unref(call->page);
    g_free(call->name);
    g_free(call);
}

static void on_deleted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    NamedCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL)
        show_call_error(call->page, "Could not delete ISO image", call->name, error);
    named_call_free(call);
}

static void on_delete_confirmed(GtkWidget *page, gpointer user_data)
{
    CirrinaIsosPage *self = CIRRINA_ISOS_PAGE(page);
    CirrinaISO *iso = lookup_iso(self, user_data);

    if (iso == NULL)
        return; /* gone meanwhile */
    cirrina_proxy_call(iso, "Delete", NULL, NULL, on_deleted,
                       named_call_new(self, cirrina_iso_get_name(iso)));
}

AdwMessageDialog *cirrina_isos_page_delete_iso(CirrinaIsosPage *self, const char *object_path)
{
    CirrinaISO *iso;
    const char *sha256;

    g_return_val_if_fail(CIRRINA_IS_ISOS_PAGE(self), NULL);
    iso = lookup_iso(self, object_path);
    if (iso == NULL)
        return NULL;
    sha256 = cirrina_iso_get_sha256(iso);
    g_autofree char *heading = g_strdup_printf("Delete ISO image “%s”?", cirrina_iso_get_name(iso));
    /* Imported images are Cirrina's copies; registered ones the user's. */
    g_autofree char *body =
        sha256 != NULL && *sha256 != '\0'
            ? g_strdup("Cirrina’s copy of the image is deleted.")
            : g_strdup_printf("Cirrina forgets it; the file %s stays where it is.",
                              cirrina_iso_get_path(iso));
    return cirrina_confirm_destructive(GTK_WIDGET(self), heading, body, "_Delete",
                                       on_delete_confirmed, g_strdup(object_path), g_free);
}

/* ------------------------------------------------------ import, register */

static void on_import_finished(CirrinaImport *import, gpointer user_data)
{
    CirrinaIsosPage *self = user_data;
    const char *name = cirrina_import_get_name(import);

    switch (cirrina_import_get_state(import)) {
    case CIRRINA_IMPORT_STATE_COMPLETED: {
        g_autofree char *message = g_strdup_printf("Imported ISO image “%s”", name);
        cirrina_page_show_toast(GTK_WIDGET(self), message);
        break;
    }
    case CIRRINA_IMPORT_STATE_FAILED:
        show_call_error(self, "Could not import ISO image", name, cirrina_import_get_error(import));
        break;
    default: /* cancelled: what the user asked for */
        break;
    }
    cirrina_storage_jobs_remove_import(self->jobs, import);
}

CirrinaImport *cirrina_isos_page_import_file(CirrinaIsosPage *self, GFile *file)
{
    g_return_val_if_fail(CIRRINA_IS_ISOS_PAGE(self), NULL);
    g_return_val_if_fail(G_IS_FILE(file), NULL);

    g_autofree char *wanted = cirrina_name_from_file(file, "iso");
    g_autofree char *name = cirrina_unique_name(wanted, iso_name_taken, self);
    g_autoptr(CirrinaImport) import =
        cirrina_import_new(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)),
                           CIRRINA_IMPORT_ISO, name, file, NULL);

    g_signal_connect_object(import, "finished", G_CALLBACK(on_import_finished), self, 0);
    cirrina_storage_jobs_add_import(self->jobs, import);
    cirrina_import_start(import);
    return import; /* the jobs list holds it until it finishes */
}

static void on_registered(GObject *source, GAsyncResult *result, gpointer user_data)
{
    NamedCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL)
        show_call_error(call->page, "Could not add ISO image", call->name, error);
    named_call_free(call);
}

gboolean cirrina_isos_page_register_file(CirrinaIsosPage *self, GFile *file)
{
    CirrinaManager *manager;
    g_autofree char *path = NULL;

    g_return_val_if_fail(CIRRINA_IS_ISOS_PAGE(self), FALSE);
    manager = cirrina_client_get_manager(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)));
    path = g_file_get_path(file);
    if (manager == NULL || path == NULL)
        return FALSE;
    g_autofree char *wanted = cirrina_name_from_file(file, "iso");
    g_autofree char *name = cirrina_unique_name(wanted, iso_name_taken, self);
    cirrina_proxy_call(manager, "RegisterISO", g_variant_new("(ssa{sv})", name, path, NULL), NULL,
                       on_registered, named_call_new(self, name));
    return TRUE;
}

static void on_chooser_response(GtkNativeDialog *chooser, int response, gpointer user_data)
{
    CirrinaIsosPage *self = user_data;

    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
        if (file != NULL && self->chooser_registers)
            cirrina_isos_page_register_file(self, file);
        else if (file != NULL)
            cirrina_isos_page_import_file(self, file);
    }
    gtk_native_dialog_destroy(chooser);
    g_clear_object(&self->chooser);
}

static void choose_file(CirrinaIsosPage *self, gboolean registers)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    GtkFileFilter *images = gtk_file_filter_new();
    GtkFileFilter *all = gtk_file_filter_new();

    if (self->chooser != NULL) {
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
        g_clear_object(&self->chooser);
    }
    self->chooser_registers = registers;
    self->chooser = gtk_file_chooser_native_new(
        registers ? "Use ISO Image in Place" : "Import ISO Image",
        GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, GTK_FILE_CHOOSER_ACTION_OPEN,
        registers ? "_Add" : "_Import", "_Cancel");
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
    gtk_file_filter_set_name(images, "ISO images");
    gtk_file_filter_add_mime_type(images, "application/x-cd-image");
    gtk_file_filter_add_pattern(images, "*.iso");
    gtk_file_filter_add_pattern(images, "*.ISO");
    gtk_file_filter_set_name(all, "All files");
    gtk_file_filter_add_pattern(all, "*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), images);
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), all);
    g_object_unref(images);
    g_object_unref(all);
    g_signal_connect(self->chooser, "response", G_CALLBACK(on_chooser_response), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

/* ------------------------------------------------------------- actions */

static void action_import(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    choose_file(CIRRINA_ISOS_PAGE(widget), FALSE);
}

static void action_register(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    choose_file(CIRRINA_ISOS_PAGE(widget), TRUE);
}

static void action_edit(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_isos_page_edit_iso(CIRRINA_ISOS_PAGE(widget), g_variant_get_string(parameter, NULL));
}

static void action_delete(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_isos_page_delete_iso(CIRRINA_ISOS_PAGE(widget), g_variant_get_string(parameter, NULL));
}

/* -------------------------------------------------------------- object */

GtkWidget *cirrina_isos_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_ISOS_PAGE, "client", client, NULL);
}

GtkListBox *cirrina_isos_page_get_list_box(CirrinaIsosPage *self)
{
    g_return_val_if_fail(CIRRINA_IS_ISOS_PAGE(self), NULL);
    return self->list_box;
}

GtkListBox *cirrina_isos_page_get_progress_list(CirrinaIsosPage *self)
{
    g_return_val_if_fail(CIRRINA_IS_ISOS_PAGE(self), NULL);
    return self->progress_list;
}

static GtkWidget *create_progress_row(gpointer item, gpointer user_data)
{
    return cirrina_progress_row_new_for_item(item);
}

static void cirrina_isos_page_constructed(GObject *object)
{
    CirrinaIsosPage *self = CIRRINA_ISOS_PAGE(object);
    CirrinaClient *client = cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self));
    const char *const job_kinds[] = {"import-iso", NULL};

    G_OBJECT_CLASS(cirrina_isos_page_parent_class)->constructed(object);
    self->isos = cirrina_object_list_new(client, ISO_INTERFACE);
    self->jobs = cirrina_storage_jobs_new(client, job_kinds);
    gtk_list_box_bind_model(self->list_box, G_LIST_MODEL(self->isos), create_row, self, NULL);
    gtk_list_box_bind_model(self->progress_list, cirrina_storage_jobs_get_model(self->jobs),
                            create_progress_row, self, NULL);
    g_signal_connect_object(self->isos, "items-changed", G_CALLBACK(on_items_changed), self, 0);
    g_signal_connect_object(cirrina_storage_jobs_get_model(self->jobs), "items-changed",
                            G_CALLBACK(on_items_changed), self, 0);
    update_stack(self);
}

static void cirrina_isos_page_dispose(GObject *object)
{
    CirrinaIsosPage *self = CIRRINA_ISOS_PAGE(object);

    if (self->chooser != NULL) {
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
        g_clear_object(&self->chooser);
    }
    if (self->list_box != NULL)
        gtk_list_box_bind_model(self->list_box, NULL, NULL, NULL, NULL);
    if (self->progress_list != NULL)
        gtk_list_box_bind_model(self->progress_list, NULL, NULL, NULL, NULL);
    /* The template's stack is the bin's child: the bin lets go of it first,
     * else both unparent it (the second time after it is freed). */
    adw_bin_set_child(ADW_BIN(self), NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_ISOS_PAGE);
    g_clear_object(&self->jobs);
    g_clear_object(&self->isos);
    G_OBJECT_CLASS(cirrina_isos_page_parent_class)->dispose(object);
}

static void cirrina_isos_page_class_init(CirrinaIsosPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->constructed = cirrina_isos_page_constructed;
    object_class->dispose = cirrina_isos_page_dispose;

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-isos-page.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaIsosPage, stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaIsosPage, progress_group);
    gtk_widget_class_bind_template_child(widget_class, CirrinaIsosPage, progress_list);
    gtk_widget_class_bind_template_child(widget_class, CirrinaIsosPage, list_box);

    gtk_widget_class_install_action(widget_class, "isos.import", NULL, action_import);
    gtk_widget_class_install_action(widget_class, "isos.register", NULL, action_register);
    gtk_widget_class_install_action(widget_class, "isos.edit", "s", action_edit);
    gtk_widget_class_install_action(widget_class, "isos.delete", "s", action_delete);
}

static void cirrina_isos_page_init(CirrinaIsosPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

/* CirrinaDisksPage: the daemon's disks, live; create, import, resize, clone, edit, delete. */
#include "cirrina-disks-page.h"

#include "cirrina-entry-row.h"
#include "cirrina-object-list.h"
#include "cirrina-page-util.h"
#include "cirrina-progress-row.h"
#include "cirrina-size-row.h"
#include "cirrina-storage-jobs.h"

#define DISK_INTERFACE "org.cirrina.Disk"
#define DEFAULT_SIZE   (G_GUINT64_CONSTANT(20) << 30)

static const char *const buses[] = {"virtio-blk", "nvme", "ahci-hd", NULL};

struct _CirrinaDisksPage {
    CirrinaClientPage parent_instance;

    CirrinaObjectList *disks;
    CirrinaStorageJobs *jobs;
    GtkFileChooserNative *chooser;

    GtkStack *stack;
    AdwPreferencesGroup *progress_group;
    GtkListBox *progress_list;
    GtkListBox *list_box;
};

G_DEFINE_FINAL_TYPE(CirrinaDisksPage, cirrina_disks_page, CIRRINA_TYPE_CLIENT_PAGE)

static CirrinaDisk *lookup_disk(CirrinaDisksPage *self, const char *path)
{
    GDBusProxy *proxy = cirrina_object_list_lookup(self->disks, path);

    return proxy != NULL ? CIRRINA_DISK(proxy) : NULL;
}

/* Error toasts name the disk; a cancelled job is no error. */
static void show_call_error(CirrinaDisksPage *self, const char *what, const char *name,
                            const GError *error)
{
    g_autofree char *remote = g_dbus_error_get_remote_error(error);
    g_autofree char *text = g_strdup_printf("%s “%s”", what, name);

    if (g_strcmp0(remote, "org.cirrina.Error.Cancelled") == 0)
        return;
    cirrina_page_show_error(GTK_WIDGET(self), text, error);
}

/* ------------------------------------------------------------ the list */

/* "Used by web", from AttachedTo: the VM's name, followed live by the
 * page (see on_object_added and the VM name watch below). */
static char *attached_text(CirrinaDisksPage *self, CirrinaDisk *disk)
{
    const char *vm_path = cirrina_disk_get_attached_to(disk);
    g_autoptr(CirrinaObject) object = NULL;
    g_autoptr(CirrinaVM) vm = NULL;

    if (vm_path == NULL || g_strcmp0(vm_path, "/") == 0)
        return g_strdup("Not attached");
    object = cirrina_client_get_object(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)),
                                       vm_path);
    vm = object != NULL ? cirrina_object_get_vm(object) : NULL;
    if (vm == NULL)
        return g_strdup("Attached to a VM");
    return g_strdup_printf("Used by %s", cirrina_vm_get_name(vm));
}

static void update_row(CirrinaDisksPage *self, AdwActionRow *row, CirrinaDisk *disk)
{
    g_autofree char *size = cirrina_format_size(cirrina_disk_get_size(disk));
    g_autofree char *attached = attached_text(self, disk);
    g_autoptr(GString) subtitle = g_string_new(NULL);
    const char *description = cirrina_disk_get_description(disk);

    g_string_printf(subtitle, "%s · %s · %s · %s", size, cirrina_disk_get_format(disk),
                    cirrina_disk_get_bus(disk), attached);
    if (cirrina_disk_get_read_only(disk))
        g_string_append(subtitle, " · Read-only");
    if (description != NULL && *description != '\0')
        g_string_append_printf(subtitle, "\n%s", description);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), cirrina_disk_get_name(disk));
    adw_action_row_set_subtitle(row, subtitle->str);
}

static void update_all_rows(CirrinaDisksPage *self)
{
    for (GtkWidget *child = gtk_widget_get_first_child(GTK_WIDGET(self->list_box)); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        CirrinaDisk *disk = g_object_get_data(G_OBJECT(child), "cirrina-disk");
        if (disk != NULL)
            update_row(self, ADW_ACTION_ROW(child), disk);
    }
}

static void on_disk_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer row)
{
    CirrinaDisksPage *self =
        CIRRINA_DISKS_PAGE(gtk_widget_get_ancestor(GTK_WIDGET(row), CIRRINA_TYPE_DISKS_PAGE));

    if (self != NULL)
        update_row(self, ADW_ACTION_ROW(row), CIRRINA_DISK(proxy));
}

static GMenuModel *row_menu(const char *path)
{
    GMenu *menu = g_menu_new();
    GMenu *edit = g_menu_new();
    GMenu *danger = g_menu_new();
    const struct {
        GMenu *section;
        const char *label;
        const char *action;
    } items[] = {
        {edit, "_Edit…", "disks.edit"},
        {edit, "_Resize…", "disks.resize"},
        {edit, "_Clone…", "disks.clone"},
        {danger, "_Delete…", "disks.delete"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(items); i++) {
        g_autoptr(GMenuItem) item = g_menu_item_new(items[i].label, NULL);
        g_menu_item_set_action_and_target_value(item, items[i].action, g_variant_new_string(path));
        g_menu_append_item(items[i].section, item);
    }
    g_menu_append_section(menu, NULL, G_MENU_MODEL(edit));
    g_menu_append_section(menu, NULL, G_MENU_MODEL(danger));
    g_object_unref(edit);
    g_object_unref(danger);
    return G_MENU_MODEL(menu);
}

static GtkWidget *create_row(gpointer item, gpointer user_data)
{
    CirrinaDisksPage *self = user_data;
    CirrinaDisk *disk = CIRRINA_DISK(item);
    const char *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(item));
    AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
    GtkWidget *menu_button = gtk_menu_button_new();
    g_autoptr(GMenuModel) menu = row_menu(path);
    g_autofree char *menu_label =
        g_strdup_printf("Actions for disk %s", cirrina_disk_get_name(disk));

    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    gtk_widget_set_name(GTK_WIDGET(row), path);
    g_object_set_data_full(G_OBJECT(row), "cirrina-disk", g_object_ref(disk), g_object_unref);
    update_row(self, row, disk);

    gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(menu_button), "view-more-symbolic");
    gtk_menu_button_set_menu_model(GTK_MENU_BUTTON(menu_button), menu);
    gtk_widget_set_valign(menu_button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(menu_button, "flat");
    gtk_widget_set_tooltip_text(menu_button, "Actions");
    gtk_accessible_update_property(GTK_ACCESSIBLE(menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   menu_label, -1);
    adw_action_row_add_suffix(row, menu_button);

    gtk_actionable_set_action_name(GTK_ACTIONABLE(row), "disks.edit");
    gtk_actionable_set_action_target_value(GTK_ACTIONABLE(row), g_variant_new_string(path));
    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
    cirrina_row_add_delete_shortcut(GTK_WIDGET(row), "disks.delete", path);
    g_signal_connect_object(item, "g-properties-changed", G_CALLBACK(on_disk_changed), row, 0);
    return GTK_WIDGET(row);
}

static void update_stack(CirrinaDisksPage *self)
{
    guint disks = g_list_model_get_n_items(G_LIST_MODEL(self->disks));
    guint jobs = g_list_model_get_n_items(cirrina_storage_jobs_get_model(self->jobs));

    gtk_widget_set_visible(GTK_WIDGET(self->progress_group), jobs > 0);
    gtk_widget_set_visible(GTK_WIDGET(self->list_box), disks > 0);
    gtk_stack_set_visible_child_name(self->stack, disks + jobs > 0 ? "list" : "empty");
}

static void on_items_changed(GListModel *model, guint position, guint removed, guint added,
                             gpointer user_data)
{
    update_stack(user_data);
}

/* A VM that appears or is renamed changes the "Used by" of its disks. */
static void on_object_added(CirrinaClient *client, CirrinaObject *object, gpointer user_data)
{
    CirrinaDisksPage *self = user_data;
    g_autoptr(CirrinaVM) vm = cirrina_object_get_vm(object);

    if (vm == NULL)
        return;
    g_signal_connect_object(vm, "notify::name", G_CALLBACK(update_all_rows), self,
                            G_CONNECT_SWAPPED);
    update_all_rows(self);
}

/* ------------------------------------------------------------ dialogs */

typedef struct {
    CirrinaDisksPage *page;
    CirrinaDisk *disk; /* NULL: a new disk */
    CirrinaEntryRow *name;
    CirrinaEntryRow *description;
    CirrinaSizeRow *size;
    AdwComboRow *format; /* NULL where only raw exists */
    AdwComboRow *bus;
    AdwActionRow *no_cache;
    AdwActionRow *direct;
    AdwActionRow *read_only;
} DiskForm;

static void disk_form_free(DiskForm *form)
{
    g_object_unref(form->page);
    g_clear_object(&form->disk);
    g_free(form);
}

static DiskForm *form_of(gpointer dialog)
{
    return g_object_get_data(G_OBJECT(dialog), "cirrina-disk-form");
}

static CirrinaFormDialog *new_form(CirrinaDisksPage *self, CirrinaDisk *disk, const char *title,
                                   const char *action)
{
    CirrinaFormDialog *dialog = cirrina_form_dialog_new(GTK_WIDGET(self), title, action);
    DiskForm *form = g_new0(DiskForm, 1);

    form->page = g_object_ref(self);
    form->disk = disk != NULL ? g_object_ref(disk) : NULL;
    g_object_set_data_full(G_OBJECT(dialog), "cirrina-disk-form", form,
                           (GDestroyNotify)disk_form_free);
    return dialog;
}

static CirrinaEntryRow *add_entry(CirrinaFormDialog *dialog, const char *title, const char *text)
{
    CirrinaEntryRow *row = CIRRINA_ENTRY_ROW(cirrina_entry_row_new(title));

    gtk_editable_set_text(GTK_EDITABLE(row), text != NULL ? text : "");
    cirrina_form_dialog_add(dialog, GTK_WIDGET(row));
    return row;
}

/* The action needs a name. */
static void require_name(CirrinaEntryRow *name, CirrinaFormDialog *dialog)
{
    cirrina_form_dialog_set_action_sensitive(dialog,
                                             *gtk_editable_get_text(GTK_EDITABLE(name)) != '\0');
}

static void watch_name(CirrinaFormDialog *dialog, CirrinaEntryRow *name)
{
    g_signal_connect_object(name, "changed", G_CALLBACK(require_name), dialog, 0);
    require_name(name, dialog);
}

static void present(CirrinaFormDialog *dialog, GtkWidget *focus)
{
    gtk_window_present(GTK_WINDOW(dialog));
    if (focus != NULL)
        gtk_widget_grab_focus(focus);
}

/* A call made from a dialog: close it when done, else show why not. */
static void on_dialog_call_done(GObject *source, GAsyncResult *result, gpointer user_data)
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

/* New disk: CreateDisk(name, {Size, Bus, Format, Description}). */
static void on_create_apply(CirrinaFormDialog *dialog, gpointer user_data)
{
    DiskForm *form = form_of(dialog);
    const char *name = gtk_editable_get_text(GTK_EDITABLE(form->name));
    const char *description = gtk_editable_get_text(GTK_EDITABLE(form->description));
    GVariantBuilder config;

    g_variant_builder_init(&config, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&config, "{sv}", "Size",
                          g_variant_new_uint64(cirrina_size_row_get_size(form->size)));
    g_variant_builder_add(&config, "{sv}", "Bus",
                          g_variant_new_string(cirrina_combo_row_get_string(form->bus)));
    if (form->format != NULL)
        g_variant_builder_add(&config, "{sv}", "Format",
                              g_variant_new_string(cirrina_combo_row_get_string(form->format)));
    if (*description != '\0')
        g_variant_builder_add(&config, "{sv}", "Description", g_variant_new_string(description));
    cirrina_form_dialog_set_busy(dialog, TRUE);
    cirrina_proxy_call(
        cirrina_client_get_manager(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(form->page))),
        "CreateDisk", g_variant_new("(sa{sv})", name, &config), NULL, on_dialog_call_done,
        g_object_ref(dialog));
}

CirrinaFormDialog *cirrina_disks_page_new_disk(CirrinaDisksPage *self)
{
    CirrinaManager *manager;
    CirrinaFormDialog *dialog;
    DiskForm *form;

    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    manager = cirrina_client_get_manager(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)));
    if (manager == NULL)
        return NULL;
    dialog = new_form(self, NULL, "New Disk", "_Create");
    form = form_of(dialog);
    form->name = add_entry(dialog, "Name", NULL);
    form->size = CIRRINA_SIZE_ROW(cirrina_size_row_new("Size"));
    cirrina_size_row_set_size(form->size, DEFAULT_SIZE);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(form->size),
                                "Space is taken on the host only as the guest writes");
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->size));
    form->bus = cirrina_combo_row_new("Bus", buses, "virtio-blk");
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->bus));
    /* zvols are ZFS volumes: FreeBSD, that is bhyve, only. */
    if (g_strcmp0(cirrina_manager_get_hypervisor(manager), "bhyve") == 0) {
        const char *const formats[] = {"raw", "zvol", NULL};
        form->format = cirrina_combo_row_new("Format", formats, "raw");
        cirrina_form_dialog_add(dialog, GTK_WIDGET(form->format));
    }
    form->description = add_entry(dialog, "Description", NULL);
    watch_name(dialog, form->name);
    g_signal_connect(dialog, "apply", G_CALLBACK(on_create_apply), NULL);
    present(dialog, GTK_WIDGET(form->name));
    return dialog;
}

/* Edit: one Update with what changed, then Rename if the name did. */
static void on_edit_updated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaFormDialog) dialog = user_data;
    DiskForm *form = form_of(dialog);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;
    const char *name = gtk_editable_get_text(GTK_EDITABLE(form->name));

    if (source != NULL) {
        reply = cirrina_proxy_call_finish(source, result, &error);
        if (reply == NULL) {
            g_autofree char *message = cirrina_client_describe_error(error);
            cirrina_form_dialog_show_error(dialog, message != NULL ? message : "Cancelled");
            return;
        }
    }
    if (g_strcmp0(name, cirrina_disk_get_name(form->disk)) == 0) {
        cirrina_form_dialog_set_busy(dialog, FALSE);
        gtk_window_destroy(GTK_WINDOW(dialog));
        return;
    }
    cirrina_proxy_call(form->disk, "Rename", g_variant_new("(s)", name), NULL, on_dialog_call_done,
                       g_object_ref(dialog));
}

static void on_edit_apply(CirrinaFormDialog *dialog, gpointer user_data)
{
    DiskForm *form = form_of(dialog);
    CirrinaDisk *disk = form->disk;
    const char *description = gtk_editable_get_text(GTK_EDITABLE(form->description));
    const char *bus = cirrina_combo_row_get_string(form->bus);
    gboolean no_cache = cirrina_switch_row_get_active(form->no_cache);
    gboolean direct = cirrina_switch_row_get_active(form->direct);
    gboolean read_only = cirrina_switch_row_get_active(form->read_only);
    GVariantBuilder changes;
    gboolean changed = FALSE;

    g_variant_builder_init(&changes, G_VARIANT_TYPE_VARDICT);
    if (g_strcmp0(description, cirrina_disk_get_description(disk)) != 0) {
        g_variant_builder_add(&changes, "{sv}", "Description", g_variant_new_string(description));
        changed = TRUE;
    }
    if (g_strcmp0(bus, cirrina_disk_get_bus(disk)) != 0) {
        g_variant_builder_add(&changes, "{sv}", "Bus", g_variant_new_string(bus));
        changed = TRUE;
    }
    if (no_cache != cirrina_disk_get_no_cache(disk)) {
        g_variant_builder_add(&changes, "{sv}", "NoCache", g_variant_new_boolean(no_cache));
        changed = TRUE;
    }
    if (direct != cirrina_disk_get_direct(disk)) {
        g_variant_builder_add(&changes, "{sv}", "Direct", g_variant_new_boolean(direct));
        changed = TRUE;
    }
    if (read_only != cirrina_disk_get_read_only(disk)) {
        g_variant_builder_add(&changes, "{sv}", "ReadOnly", g_variant_new_boolean(read_only));
        changed = TRUE;
    }
    cirrina_form_dialog_set_busy(dialog, TRUE);
    if (!changed) {
        g_variant_builder_clear(&changes);
        on_edit_updated(NULL, NULL, g_object_ref(dialog));
        return;
    }
    cirrina_proxy_call(disk, "Update", g_variant_new("(a{sv})", &changes), NULL, on_edit_updated,
                       g_object_ref(dialog));
}

CirrinaFormDialog *cirrina_disks_page_edit_disk(CirrinaDisksPage *self, const char *object_path)
{
    CirrinaDisk *disk;
    CirrinaFormDialog *dialog;
    DiskForm *form;

    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    disk = lookup_disk(self, object_path);
    if (disk == NULL)
        return NULL;
    dialog = new_form(self, disk, "Edit Disk", "_Apply");
    form = form_of(dialog);
    form->name = add_entry(dialog, "Name", cirrina_disk_get_name(disk));
    form->description = add_entry(dialog, "Description", cirrina_disk_get_description(disk));
    form->bus = cirrina_combo_row_new("Bus", buses, cirrina_disk_get_bus(disk));
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->bus));
    form->no_cache =
        cirrina_switch_row_new("Bypass Host Cache", NULL, cirrina_disk_get_no_cache(disk));
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->no_cache));
    form->direct =
        cirrina_switch_row_new("Synchronous Writes", NULL, cirrina_disk_get_direct(disk));
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->direct));
    form->read_only = cirrina_switch_row_new("Read-Only", "The guest cannot write to the disk",
                                             cirrina_disk_get_read_only(disk));
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->read_only));
    watch_name(dialog, form->name);
    g_signal_connect(dialog, "apply", G_CALLBACK(on_edit_apply), NULL);
    present(dialog, GTK_WIDGET(form->name));
    return dialog;
}

/* Resize: growing is safe; shrinking cuts data off, so the button says so
 * in red and the call carries Force. */
static void update_resize_action(CirrinaSizeRow *row, GParamSpec *pspec, gpointer user_data)
{
    CirrinaFormDialog *dialog = user_data;
    DiskForm *form = form_of(dialog);
    guint64 size = cirrina_size_row_get_size(row);
    guint64 current = cirrina_disk_get_size(form->disk);

    cirrina_form_dialog_set_destructive(dialog, size < current);
    cirrina_form_dialog_set_action_label(dialog, size < current ? "_Shrink" : "_Resize");
    cirrina_form_dialog_set_action_sensitive(dialog, size > 0 && size != current);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row),
                                size < current ? "Shrinking deletes the data beyond the new size"
                                               : "The guest sees the new size when it next boots");
}

static void on_resize_apply(CirrinaFormDialog *dialog, gpointer user_data)
{
    DiskForm *form = form_of(dialog);
    guint64 size = cirrina_size_row_get_size(form->size);
    GVariantBuilder options;

    g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
    if (size < cirrina_disk_get_size(form->disk))
        g_variant_builder_add(&options, "{sv}", "Force", g_variant_new_boolean(TRUE));
    cirrina_form_dialog_set_busy(dialog, TRUE);
    cirrina_proxy_call(form->disk, "Resize", g_variant_new("(ta{sv})", size, &options), NULL,
                       on_dialog_call_done, g_object_ref(dialog));
}

CirrinaFormDialog *cirrina_disks_page_resize_disk(CirrinaDisksPage *self, const char *object_path)
{
    CirrinaDisk *disk;
    CirrinaFormDialog *dialog;
    DiskForm *form;

    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    disk = lookup_disk(self, object_path);
    if (disk == NULL)
        return NULL;
    g_autofree char *title = g_strdup_printf("Resize %s", cirrina_disk_get_name(disk));
    dialog = new_form(self, disk, title, "_Resize");
    form = form_of(dialog);
    form->size = CIRRINA_SIZE_ROW(cirrina_size_row_new("New Size"));
    cirrina_size_row_set_size(form->size, cirrina_disk_get_size(disk));
    cirrina_form_dialog_add(dialog, GTK_WIDGET(form->size));
    g_signal_connect_object(form->size, "notify::size", G_CALLBACK(update_resize_action), dialog,
                            0);
    update_resize_action(form->size, NULL, dialog);
    g_signal_connect(dialog, "apply", G_CALLBACK(on_resize_apply), NULL);
    present(dialog, GTK_WIDGET(form->size));
    return dialog;
}

/* Clone: the answer comes when the copy is done, which may take long; the
 * dialog closes at once and the clone's Job shows in "In Progress". */
typedef struct {
    CirrinaDisksPage *page;
    char *name;
} CloneCall;

static void on_cloned(GObject *source, GAsyncResult *result, gpointer user_data)
{
    CloneCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL)
        show_call_error(call->page, "Could not clone to", call->name, error);
    g_object_unref(call->page);
    g_free(call->name);
    g_free(call);
}

static gboolean disk_name_taken(const char *name, gpointer user_data)
{
    CirrinaDisksPage *self = user_data;

    return cirrina_object_list_find_by_name(self->disks, name) != NULL ||
           cirrina_storage_jobs_makes_name(self->jobs, name);
}

static void on_clone_apply(CirrinaFormDialog *dialog, gpointer user_data)
{
    DiskForm *form = form_of(dialog);
    CloneCall *call = g_new0(CloneCall, 1);
    GVariantBuilder options;

    call->page = g_object_ref(form->page);
    call->name = g_strdup(gtk_editable_get_text(GTK_EDITABLE(form->name)));
    g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
    cirrina_proxy_call(form->disk, "Clone", g_variant_new("(sa{sv})", call->name, &options), NULL,
                       on_cloned, call);
    gtk_window_destroy(GTK_WINDOW(dialog));
}

CirrinaFormDialog *cirrina_disks_page_clone_disk(CirrinaDisksPage *self, const char *object_path)
{
    CirrinaDisk *disk;
    CirrinaFormDialog *dialog;
    DiskForm *form;

    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    disk = lookup_disk(self, object_path);
    if (disk == NULL)
        return NULL;
    g_autofree char *title = g_strdup_printf("Clone %s", cirrina_disk_get_name(disk));
    g_autofree char *wanted = g_strdup_printf("%s-clone", cirrina_disk_get_name(disk));
    g_autofree char *name = cirrina_unique_name(wanted, disk_name_taken, self);
    dialog = new_form(self, disk, title, "_Clone");
    form = form_of(dialog);
    form->name = add_entry(dialog, "Name of the Copy", name);
    watch_name(dialog, form->name);
    g_signal_connect(dialog, "apply", G_CALLBACK(on_clone_apply), NULL);
    present(dialog, GTK_WIDGET(form->name));
    return dialog;
}

/* -------------------------------------------------------------- delete */

typedef struct {
    CirrinaDisksPage *page;
    char *name;
} DeleteCall;

static void on_deleted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DeleteCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL)
        show_call_error(call->page, "Could not delete disk", call->name, error);
    g_object_unref(call->page);
    g_free(call->name);
    g_free(call);
}

static void on_delete_confirmed(GtkWidget *page, gpointer user_data)
{
    CirrinaDisksPage *self = CIRRINA_DISKS_PAGE(page);
    CirrinaDisk *disk = lookup_disk(self, user_data);
    DeleteCall *call;

    if (disk == NULL)
        return; /* gone meanwhile */
    call = g_new0(DeleteCall, 1);
    call->page = g_object_ref(self);
    call->name = g_strdup(cirrina_disk_get_name(disk));
    cirrina_proxy_call(disk, "Delete", NULL, NULL, on_deleted, call);
}

AdwMessageDialog *cirrina_disks_page_delete_disk(CirrinaDisksPage *self, const char *object_path)
{
    CirrinaDisk *disk;

    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    disk = lookup_disk(self, object_path);
    if (disk == NULL)
        return NULL;
    g_autofree char *heading = g_strdup_printf("Delete disk “%s”?", cirrina_disk_get_name(disk));
    return cirrina_confirm_destructive(
        GTK_WIDGET(self), heading,
        "Its image file and everything on it are deleted. This cannot be undone.", "_Delete",
        on_delete_confirmed, g_strdup(object_path), g_free);
}

/* -------------------------------------------------------------- import */

static void on_import_finished(CirrinaImport *import, gpointer user_data)
{
    CirrinaDisksPage *self = user_data;
    const char *name = cirrina_import_get_name(import);

    switch (cirrina_import_get_state(import)) {
    case CIRRINA_IMPORT_STATE_COMPLETED: {
        g_autofree char *message = g_strdup_printf("Imported disk “%s”", name);
        cirrina_page_show_toast(GTK_WIDGET(self), message);
        break;
    }
    case CIRRINA_IMPORT_STATE_FAILED:
        show_call_error(self, "Could not import disk", name, cirrina_import_get_error(import));
        break;
    default: /* cancelled: what the user asked for */
        break;
    }
    cirrina_storage_jobs_remove_import(self->jobs, import);
}

CirrinaImport *cirrina_disks_page_import_file(CirrinaDisksPage *self, GFile *file)
{
    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    g_return_val_if_fail(G_IS_FILE(file), NULL);

    g_autofree char *wanted = cirrina_name_from_file(file, "disk");
    g_autofree char *name = cirrina_unique_name(wanted, disk_name_taken, self);
    g_autoptr(CirrinaImport) import =
        cirrina_import_new(cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)),
                           CIRRINA_IMPORT_DISK, name, file, NULL);

    g_signal_connect_object(import, "finished", G_CALLBACK(on_import_finished), self, 0);
    cirrina_storage_jobs_add_import(self->jobs, import);
    cirrina_import_start(import);
    return import; /* the jobs list holds it until it finishes */
}

static void on_chooser_response(GtkNativeDialog *chooser, int response, gpointer user_data)
{
    CirrinaDisksPage *self = user_data;

    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
        if (file != NULL)
            cirrina_disks_page_import_file(self, file);
    }
    gtk_native_dialog_destroy(chooser);
    g_clear_object(&self->chooser);
}

static void choose_file(CirrinaDisksPage *self)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    GtkFileFilter *images = gtk_file_filter_new();
    GtkFileFilter *all = gtk_file_filter_new();

    if (self->chooser != NULL) {
        gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
        return;
    }
    self->chooser = gtk_file_chooser_native_new("Import Disk Image",
                                                GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
                                                GTK_FILE_CHOOSER_ACTION_OPEN, "_Import", "_Cancel");
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
    gtk_file_filter_set_name(images, "Raw disk images");
    gtk_file_filter_add_pattern(images, "*.img");
    gtk_file_filter_add_pattern(images, "*.raw");
    gtk_file_filter_add_pattern(images, "*.IMG");
    gtk_file_filter_add_pattern(images, "*.RAW");
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

static void action_new(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_disks_page_new_disk(CIRRINA_DISKS_PAGE(widget));
}

static void action_import(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    choose_file(CIRRINA_DISKS_PAGE(widget));
}

static void action_edit(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_disks_page_edit_disk(CIRRINA_DISKS_PAGE(widget), g_variant_get_string(parameter, NULL));
}

static void action_resize(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_disks_page_resize_disk(CIRRINA_DISKS_PAGE(widget),
                                   g_variant_get_string(parameter, NULL));
}

static void action_clone(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_disks_page_clone_disk(CIRRINA_DISKS_PAGE(widget),
                                  g_variant_get_string(parameter, NULL));
}

static void action_delete(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
    cirrina_disks_page_delete_disk(CIRRINA_DISKS_PAGE(widget),
                                   g_variant_get_string(parameter, NULL));
}

/* -------------------------------------------------------------- object */

GtkWidget *cirrina_disks_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_DISKS_PAGE, "client", client, NULL);
}

GtkListBox *cirrina_disks_page_get_list_box(CirrinaDisksPage *self)
{
    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    return self->list_box;
}

GtkListBox *cirrina_disks_page_get_progress_list(CirrinaDisksPage *self)
{
    g_return_val_if_fail(CIRRINA_IS_DISKS_PAGE(self), NULL);
    return self->progress_list;
}

static GtkWidget *create_progress_row(gpointer item, gpointer user_data)
{
    return cirrina_progress_row_new_for_item(item);
}

static void cirrina_disks_page_constructed(GObject *object)
{
    CirrinaDisksPage *self = CIRRINA_DISKS_PAGE(object);
    CirrinaClient *client = cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self));
    const char *const job_kinds[] = {"import-disk", "clone-disk", NULL};
    GDBusObjectManager *manager = cirrina_client_get_object_manager(client);

    G_OBJECT_CLASS(cirrina_disks_page_parent_class)->constructed(object);
    self->disks = cirrina_object_list_new(client, DISK_INTERFACE);
    self->jobs = cirrina_storage_jobs_new(client, job_kinds);
    gtk_list_box_bind_model(self->list_box, G_LIST_MODEL(self->disks), create_row, self, NULL);
    gtk_list_box_bind_model(self->progress_list, cirrina_storage_jobs_get_model(self->jobs),
                            create_progress_row, self, NULL);
    g_signal_connect_object(self->disks, "items-changed", G_CALLBACK(on_items_changed), self, 0);
    g_signal_connect_object(cirrina_storage_jobs_get_model(self->jobs), "items-changed",
                            G_CALLBACK(on_items_changed), self, 0);
    g_signal_connect_object(client, "object-added", G_CALLBACK(on_object_added), self, 0);
    if (manager != NULL) {
        GList *objects = g_dbus_object_manager_get_objects(manager);
        for (GList *l = objects; l != NULL; l = l->next)
            on_object_added(client, l->data, self);
        g_list_free_full(objects, g_object_unref);
    }
    update_stack(self);
}

static void cirrina_disks_page_dispose(GObject *object)
{
    CirrinaDisksPage *self = CIRRINA_DISKS_PAGE(object);

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
    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_DISKS_PAGE);
    g_clear_object(&self->jobs);
    g_clear_object(&self->disks);
    G_OBJECT_CLASS(cirrina_disks_page_parent_class)->dispose(object);
}

static void cirrina_disks_page_class_init(CirrinaDisksPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->constructed = cirrina_disks_page_constructed;
    object_class->dispose = cirrina_disks_page_dispose;

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-disks-page.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaDisksPage, stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaDisksPage, progress_group);
    gtk_widget_class_bind_template_child(widget_class, CirrinaDisksPage, progress_list);
    gtk_widget_class_bind_template_child(widget_class, CirrinaDisksPage, list_box);

    gtk_widget_class_install_action(widget_class, "disks.new", NULL, action_new);
    gtk_widget_class_install_action(widget_class, "disks.import", NULL, action_import);
    gtk_widget_class_install_action(widget_class, "disks.edit", "s", action_edit);
    gtk_widget_class_install_action(widget_class, "disks.resize", "s", action_resize);
    gtk_widget_class_install_action(widget_class, "disks.clone", "s", action_clone);
    gtk_widget_class_install_action(widget_class, "disks.delete", "s", action_delete);
}

static void cirrina_disks_page_init(CirrinaDisksPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

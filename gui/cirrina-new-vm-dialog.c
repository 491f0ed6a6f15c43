/* CirrinaNewVmDialog: name, image, disk, network, CPUs and memory; Create
 * makes the VM, its disk and its NIC.
 *
 * The daemon makes each object in its own call, so Create is a sequence:
 * CreateVM (the ISO in its config), CreateDisk and an Update that attaches
 * it (when a size is given), AddNIC (when a network is chosen). If a step
 * fails, what the earlier steps made is deleted again (the VM with its
 * NIC and attached disk, a disk not attached yet on its own) and the
 * daemon's error stays in the dialog with the user's input, to correct and
 * try again. */
#include "cirrina-new-vm-dialog.h"

#include "cirrina-entry-row.h"
#include "cirrina-window.h"

#define GiB      (G_GUINT64_CONSTANT(1) << 30)
#define MiB      (G_GUINT64_CONSTANT(1) << 20)
#define NAT_PATH "/"

struct _CirrinaNewVmDialog {
    AdwWindow parent_instance;

    CirrinaClient *client;

    /* template */
    GtkWidget *create_button;
    GtkWidget *spinner;
    GtkRevealer *message_revealer;
    GtkLabel *message_label;
    AdwPreferencesPage *page;
    CirrinaEntryRow *name_row;
    AdwComboRow *iso_row;
    AdwComboRow *network_row;
    GtkSpinButton *disk_spin;
    GtkSpinButton *cpus_spin;
    GtkSpinButton *memory_spin;

    GPtrArray *iso_paths;     /* the ISO combo's paths; "" for none */
    GPtrArray *network_paths; /* the network combo's: "" none, "/" NAT, switches */
    gboolean busy;
};

G_DEFINE_FINAL_TYPE(CirrinaNewVmDialog, cirrina_new_vm_dialog, ADW_TYPE_WINDOW)

enum { PROP_0, PROP_CLIENT, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_VM_CREATED, N_SIGNALS };
static guint signals[N_SIGNALS];

CirrinaNewVmDialog *cirrina_new_vm_dialog_new(GtkWindow *parent, CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_NEW_VM_DIALOG, "client", client, "transient-for", parent,
                        "modal", TRUE, NULL);
}

CirrinaClient *cirrina_new_vm_dialog_get_client(CirrinaNewVmDialog *self)
{
    return self->client;
}

/* --- what the daemon has: names, ISOs, switches --- */

/* interface's objects as (path, Name) pairs sorted by name. */
static GPtrArray *objects_of(CirrinaNewVmDialog *self, const char *interface, GPtrArray **names)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);
    GList *objects = manager != NULL ? g_dbus_object_manager_get_objects(manager) : NULL;
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);

    *names = g_ptr_array_new_with_free_func(g_free);
    for (GList *l = objects; l != NULL; l = l->next) {
        g_autoptr(GDBusInterface) iface = g_dbus_object_get_interface(l->data, interface);
        g_autoptr(GVariant) name =
            iface != NULL ? g_dbus_proxy_get_cached_property(G_DBUS_PROXY(iface), "Name") : NULL;
        if (name == NULL)
            continue;
        /* insertion by name: lists of a few dozen */
        guint at = 0;
        while (at < (*names)->len &&
               g_strcmp0((*names)->pdata[at], g_variant_get_string(name, NULL)) < 0)
            at++;
        g_ptr_array_insert(*names, at, g_variant_dup_string(name, NULL));
        g_ptr_array_insert(paths, at, g_strdup(g_dbus_object_get_object_path(l->data)));
    }
    g_list_free_full(objects, g_object_unref);
    return paths;
}

static gboolean name_taken(CirrinaNewVmDialog *self, const char *interface, const char *name)
{
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GPtrArray) paths = objects_of(self, interface, &names);

    return g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL);
}

/* "vm1", "vm2", ...: the first one free, as a suggestion. */
static char *free_vm_name(CirrinaNewVmDialog *self)
{
    for (guint i = 1;; i++) {
        g_autofree char *name = g_strdup_printf("vm%u", i);
        if (!name_taken(self, "org.cirrina.VM", name))
            return g_steal_pointer(&name);
    }
}

/* "<vm>-disk0" unless taken ("<vm>-disk1", ...); at most 64 characters. */
static char *free_disk_name(CirrinaNewVmDialog *self, const char *vm)
{
    for (guint i = 0;; i++) {
        g_autofree char *name = g_strdup_printf("%.40s-disk%u", vm, i);
        if (!name_taken(self, "org.cirrina.Disk", name))
            return g_steal_pointer(&name);
    }
}

static void fill_combo(AdwComboRow *row, GPtrArray *labels)
{
    GtkStringList *model = gtk_string_list_new(NULL);

    for (guint i = 0; i < labels->len; i++)
        gtk_string_list_append(model, labels->pdata[i]);
    adw_combo_row_set_model(row, G_LIST_MODEL(model));
    g_object_unref(model);
}

static void fill_choices(CirrinaNewVmDialog *self)
{
    g_autoptr(GPtrArray) iso_names = NULL;
    g_autoptr(GPtrArray) switch_names = NULL;
    g_autoptr(GPtrArray) isos = objects_of(self, "org.cirrina.ISO", &iso_names);
    g_autoptr(GPtrArray) switches = objects_of(self, "org.cirrina.Switch", &switch_names);
    g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_set_size(self->iso_paths, 0);
    g_ptr_array_add(self->iso_paths, g_strdup(""));
    g_ptr_array_add(labels, g_strdup("None"));
    for (guint i = 0; i < isos->len; i++) {
        g_ptr_array_add(self->iso_paths, g_strdup(isos->pdata[i]));
        g_ptr_array_add(labels, g_strdup(iso_names->pdata[i]));
    }
    fill_combo(self->iso_row, labels);

    g_ptr_array_set_size(labels, 0);
    g_ptr_array_set_size(self->network_paths, 0);
    g_ptr_array_add(self->network_paths, g_strdup(""));
    g_ptr_array_add(labels, g_strdup("None"));
    g_ptr_array_add(self->network_paths, g_strdup(NAT_PATH));
    g_ptr_array_add(labels, g_strdup("User-mode NAT"));
    for (guint i = 0; i < switches->len; i++) {
        g_ptr_array_add(self->network_paths, g_strdup(switches->pdata[i]));
        g_ptr_array_add(labels, g_strdup_printf("Switch %s", (char *)switch_names->pdata[i]));
    }
    fill_combo(self->network_row, labels);
    /* NAT works everywhere, with nothing to set up. */
    adw_combo_row_set_selected(self->network_row, 1);
}

/* Defaults that fit the host: 2 CPUs and 2 GiB, less on a small host. */
static void set_defaults(CirrinaNewVmDialog *self)
{
    CirrinaManager *manager = cirrina_client_get_manager(self->client);
    g_autofree char *name = free_vm_name(self);

    gtk_editable_set_text(GTK_EDITABLE(self->name_row), name);
    if (manager == NULL)
        return;
    guint host_cpus = cirrina_manager_get_host_cpus(manager);
    guint64 host_memory = cirrina_manager_get_host_memory(manager);
    if (host_cpus > 0)
        gtk_spin_button_set_value(self->cpus_spin, MIN(2, host_cpus));
    if (host_memory > 0)
        gtk_spin_button_set_value(self->memory_spin,
                                  (double)MAX(256, MIN(2048, host_memory / MiB / 4)));
}

/* --- busy, errors --- */

static void show_message(CirrinaNewVmDialog *self, const char *message, gboolean is_error)
{
    gtk_label_set_text(self->message_label, message != NULL ? message : "");
    if (is_error)
        gtk_widget_add_css_class(GTK_WIDGET(self->message_label), "error");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->message_label), "error");
    gtk_revealer_set_reveal_child(self->message_revealer, message != NULL);
}

static void set_busy(CirrinaNewVmDialog *self, gboolean busy, const char *doing)
{
    self->busy = busy;
    gtk_widget_set_sensitive(GTK_WIDGET(self->page), !busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "new-vm.create", !busy);
    gtk_widget_set_visible(self->spinner, busy);
    gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), busy);
    if (busy)
        show_message(self, doing, FALSE);
}

/* --- Create --- */

typedef struct {
    CirrinaNewVmDialog *self; /* a reference: the dialog stays until the end */
    char *name;
    char *disk_name;
    guint64 disk_size;
    char *iso_path;     /* NULL: none */
    char *network_path; /* NULL: none */
    guint cpus;
    guint64 memory;

    char *vm_path; /* made so far */
    char *disk_path;
    gboolean disk_attached;
    gboolean name_refused; /* CreateVM failed */
    GError *error;         /* the failure being undone */
    char *failed;          /* what failed: "Creating the disk" */
} Creation;

static void creation_free(Creation *c)
{
    g_object_unref(c->self);
    g_free(c->name);
    g_free(c->disk_name);
    g_free(c->iso_path);
    g_free(c->network_path);
    g_free(c->vm_path);
    g_free(c->disk_path);
    g_clear_error(&c->error);
    g_free(c->failed);
    g_free(c);
}

static void creation_failed(Creation *c)
{
    CirrinaNewVmDialog *self = c->self;
    g_autofree char *description = cirrina_client_describe_error(c->error);
    g_autofree char *text = g_strdup_printf("%s failed. %s", c->failed,
                                            description != NULL ? description : "Cancelled");

    set_busy(self, FALSE, NULL);
    show_message(self, text, TRUE);
    /* CreateVM's errors are about the name (taken, not a valid name). */
    if (c->name_refused)
        gtk_widget_add_css_class(GTK_WIDGET(self->name_row), "error");
    gtk_widget_grab_focus(GTK_WIDGET(self->name_row));
    creation_free(c);
}

static void undo_next(Creation *c);

/* A failed undo is told too (the object stays for the user to delete),
 * after the error that caused it. */
static void on_undone(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Creation *c = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);
    GtkWindow *parent = gtk_window_get_transient_for(GTK_WINDOW(c->self));

    if (reply == NULL && CIRRINA_IS_WINDOW(parent)) {
        g_autofree char *what = g_strdup_printf("Could not delete what was made for “%s”", c->name);
        cirrina_window_show_error(CIRRINA_WINDOW(parent), what, error);
    }
    undo_next(c);
}

/* The VM goes first, with its NIC and, once attached, its disk; a disk not
 * attached yet goes on its own. */
static void undo_next(Creation *c)
{
    CirrinaClient *client = c->self->client;

    if (c->vm_path != NULL) {
        g_autoptr(CirrinaObject) vm = cirrina_client_get_object(client, c->vm_path);
        CirrinaVM *proxy = vm != NULL ? cirrina_object_peek_vm(vm) : NULL;
        GVariantBuilder options;

        g_clear_pointer(&c->vm_path, g_free);
        if (c->disk_attached)
            g_clear_pointer(&c->disk_path, g_free);
        if (proxy != NULL) {
            g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
            g_variant_builder_add(&options, "{sv}", "DeleteDisks", g_variant_new_boolean(TRUE));
            cirrina_proxy_call(proxy, "Delete", g_variant_new("(a{sv})", &options), NULL, on_undone,
                               c);
            return;
        }
    }
    if (c->disk_path != NULL) {
        g_autoptr(CirrinaObject) disk = cirrina_client_get_object(client, c->disk_path);
        CirrinaDisk *proxy = disk != NULL ? cirrina_object_peek_disk(disk) : NULL;

        g_clear_pointer(&c->disk_path, g_free);
        if (proxy != NULL) {
            cirrina_proxy_call(proxy, "Delete", NULL, NULL, on_undone, c);
            return;
        }
    }
    creation_failed(c);
}

/* Ends a failed creation: failed says what failed, error (taken) why, and
 * what was made so far is deleted. */
static void undo(Creation *c, const char *failed, GError *error)
{
    c->failed = g_strdup(failed);
    c->error = error;
    if (c->vm_path != NULL || c->disk_path != NULL)
        set_busy(c->self, TRUE, "Deleting what was made…");
    undo_next(c);
}

static void creation_done(Creation *c)
{
    CirrinaNewVmDialog *self = c->self;
    g_autofree char *path = g_strdup(c->vm_path);

    set_busy(self, FALSE, NULL);
    creation_free(c);
    g_signal_emit(self, signals[SIGNAL_VM_CREATED], 0, path);
    gtk_window_destroy(GTK_WINDOW(self));
}

/* The VM's proxy: its object comes with InterfacesAdded, which the bus
 * delivers before CreateVM's answer, so the client has it by now. */
static CirrinaVM *vm_proxy(Creation *c)
{
    g_autoptr(CirrinaObject) vm = cirrina_client_get_object(c->self->client, c->vm_path);
    return vm != NULL ? cirrina_object_get_vm(vm) : NULL;
}

static void on_nic_added(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Creation *c = user_data;
    GError *error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL) {
        undo(c, "Adding the network interface", error);
        return;
    }
    creation_done(c);
}

static void add_nic(Creation *c)
{
    g_autoptr(CirrinaVM) proxy = vm_proxy(c);
    GVariantBuilder config;

    if (c->network_path == NULL) {
        creation_done(c);
        return;
    }
    if (proxy == NULL) {
        undo(c, "Adding the network interface",
             g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The new VM is not on the bus"));
        return;
    }
    set_busy(c->self, TRUE, "Adding the network interface…");
    g_variant_builder_init(&config, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&config, "{sv}", "Switch", g_variant_new_object_path(c->network_path));
    cirrina_proxy_call(proxy, "AddNIC", g_variant_new("(a{sv})", &config), NULL, on_nic_added, c);
}

static void on_disk_attached(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Creation *c = user_data;
    GError *error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL) {
        undo(c, "Attaching the disk", error);
        return;
    }
    c->disk_attached = TRUE;
    add_nic(c);
}

static void on_disk_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Creation *c = user_data;
    GError *error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);
    g_autoptr(CirrinaVM) proxy = NULL;
    GVariantBuilder changes;

    if (reply == NULL) {
        undo(c, "Creating the disk", error);
        return;
    }
    g_variant_get(reply, "(o)", &c->disk_path);
    proxy = vm_proxy(c);
    if (proxy == NULL) {
        undo(c, "Attaching the disk",
             g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The new VM is not on the bus"));
        return;
    }
    set_busy(c->self, TRUE, "Attaching the disk…");
    g_variant_builder_init(&changes, G_VARIANT_TYPE_VARDICT);
    const char *disks[] = {c->disk_path, NULL};
    g_variant_builder_add(&changes, "{sv}", "Disks", g_variant_new_objv(disks, -1));
    cirrina_proxy_call(proxy, "Update", g_variant_new("(a{sv})", &changes), NULL, on_disk_attached,
                       c);
}

/* The disk is named after the VM, and made once the VM exists: a name the
 * daemon refuses is refused as the VM's, not as a disk's. */
static void create_disk(Creation *c)
{
    GVariantBuilder config;

    if (c->disk_size == 0) {
        add_nic(c);
        return;
    }
    c->disk_name = free_disk_name(c->self, c->name);
    set_busy(c->self, TRUE, "Creating the disk…");
    g_variant_builder_init(&config, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&config, "{sv}", "Size", g_variant_new_uint64(c->disk_size));
    g_variant_builder_add(
        &config, "{sv}", "Description",
        g_variant_new_take_string(g_strdup_printf("Made for the VM %s", c->name)));
    cirrina_proxy_call(cirrina_client_get_manager(c->self->client), "CreateDisk",
                       g_variant_new("(sa{sv})", c->disk_name, &config), NULL, on_disk_created, c);
}

static void on_vm_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Creation *c = user_data;
    GError *error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL) {
        c->name_refused = TRUE;
        undo(c, "Creating the virtual machine", error);
        return;
    }
    g_variant_get(reply, "(o)", &c->vm_path);
    create_disk(c);
}

static void create_vm(Creation *c)
{
    GVariantBuilder config;

    set_busy(c->self, TRUE, "Creating the virtual machine…");
    g_variant_builder_init(&config, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&config, "{sv}", "CPUs", g_variant_new_uint32(c->cpus));
    g_variant_builder_add(&config, "{sv}", "Memory", g_variant_new_uint64(c->memory));
    if (c->iso_path != NULL) {
        const char *isos[] = {c->iso_path, NULL};
        g_variant_builder_add(&config, "{sv}", "ISOs", g_variant_new_objv(isos, -1));
    }
    cirrina_proxy_call(cirrina_client_get_manager(c->self->client), "CreateVM",
                       g_variant_new("(sa{sv})", c->name, &config), NULL, on_vm_created, c);
}

static const char *selected_path(GPtrArray *paths, AdwComboRow *row)
{
    guint selected = adw_combo_row_get_selected(row);
    const char *path = selected < paths->len ? paths->pdata[selected] : "";
    return *path ? path : NULL;
}

static void create(CirrinaNewVmDialog *self)
{
    Creation *c;

    if (self->busy || cirrina_client_get_manager(self->client) == NULL)
        return;
    gtk_spin_button_update(self->disk_spin);
    gtk_spin_button_update(self->cpus_spin);
    gtk_spin_button_update(self->memory_spin);
    gtk_widget_remove_css_class(GTK_WIDGET(self->name_row), "error");

    c = g_new0(Creation, 1);
    c->self = g_object_ref(self);
    c->name = g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->name_row)));
    c->disk_size = (guint64)gtk_spin_button_get_value_as_int(self->disk_spin) * GiB;
    c->iso_path = g_strdup(selected_path(self->iso_paths, self->iso_row));
    c->network_path = g_strdup(selected_path(self->network_paths, self->network_row));
    c->cpus = (guint)gtk_spin_button_get_value_as_int(self->cpus_spin);
    c->memory = (guint64)gtk_spin_button_get_value_as_int(self->memory_spin) * MiB;
    create_vm(c);
}

static void action_create(GtkWidget *widget, const char *name, GVariant *parameter)
{
    create(CIRRINA_NEW_VM_DIALOG(widget));
}

/* Enter in a spin button creates, as it does in the name (GTK 4.8's spin
 * buttons do not activate the default widget). */
static gboolean on_key_pressed(GtkEventControllerKey *controller, guint keyval, guint keycode,
                               GdkModifierType state, gpointer user_data)
{
    CirrinaNewVmDialog *self = user_data;
    GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(self));

    if ((keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter) ||
        focus == NULL || gtk_widget_get_ancestor(focus, GTK_TYPE_SPIN_BUTTON) == NULL)
        return FALSE;
    create(self);
    return TRUE;
}

/* The daemon's answer always has a dialog to land in. */
static gboolean cirrina_new_vm_dialog_close_request(GtkWindow *window)
{
    return CIRRINA_NEW_VM_DIALOG(window)->busy;
}

static void cirrina_new_vm_dialog_constructed(GObject *object)
{
    CirrinaNewVmDialog *self = CIRRINA_NEW_VM_DIALOG(object);

    G_OBJECT_CLASS(cirrina_new_vm_dialog_parent_class)->constructed(object);
    g_return_if_fail(self->client != NULL);
    fill_choices(self);
    set_defaults(self);
    gtk_widget_grab_focus(GTK_WIDGET(self->name_row));
}

static void cirrina_new_vm_dialog_get_property(GObject *object, guint prop_id, GValue *value,
                                               GParamSpec *pspec)
{
    CirrinaNewVmDialog *self = CIRRINA_NEW_VM_DIALOG(object);

    switch (prop_id) {
    case PROP_CLIENT:
        g_value_set_object(value, self->client);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_new_vm_dialog_set_property(GObject *object, guint prop_id, const GValue *value,
                                               GParamSpec *pspec)
{
    CirrinaNewVmDialog *self = CIRRINA_NEW_VM_DIALOG(object);

    switch (prop_id) {
    case PROP_CLIENT:
        self->client = g_value_dup_object(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_new_vm_dialog_dispose(GObject *object)
{
    CirrinaNewVmDialog *self = CIRRINA_NEW_VM_DIALOG(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_NEW_VM_DIALOG);
    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_new_vm_dialog_parent_class)->dispose(object);
}

static void cirrina_new_vm_dialog_finalize(GObject *object)
{
    CirrinaNewVmDialog *self = CIRRINA_NEW_VM_DIALOG(object);

    g_ptr_array_unref(self->iso_paths);
    g_ptr_array_unref(self->network_paths);
    G_OBJECT_CLASS(cirrina_new_vm_dialog_parent_class)->finalize(object);
}

static void cirrina_new_vm_dialog_class_init(CirrinaNewVmDialogClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    GtkWindowClass *window_class = GTK_WINDOW_CLASS(klass);

    object_class->constructed = cirrina_new_vm_dialog_constructed;
    object_class->get_property = cirrina_new_vm_dialog_get_property;
    object_class->set_property = cirrina_new_vm_dialog_set_property;
    object_class->dispose = cirrina_new_vm_dialog_dispose;
    object_class->finalize = cirrina_new_vm_dialog_finalize;
    window_class->close_request = cirrina_new_vm_dialog_close_request;

    properties[PROP_CLIENT] =
        g_param_spec_object("client", NULL, NULL, CIRRINA_TYPE_CLIENT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    /* vm-created(object_path): a VM was made; the dialog closes next. */
    signals[SIGNAL_VM_CREATED] =
        g_signal_new("vm-created", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_STRING);

    g_type_ensure(CIRRINA_TYPE_ENTRY_ROW);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-new-vm-dialog.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, create_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, spinner);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, message_revealer);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, message_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, page);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, name_row);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, iso_row);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, network_row);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, disk_spin);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, cpus_spin);
    gtk_widget_class_bind_template_child(widget_class, CirrinaNewVmDialog, memory_spin);

    gtk_widget_class_install_action(widget_class, "new-vm.create", NULL, action_create);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void cirrina_new_vm_dialog_init(CirrinaNewVmDialog *self)
{
    GtkEventController *keys = gtk_event_controller_key_new();

    self->iso_paths = g_ptr_array_new_with_free_func(g_free);
    self->network_paths = g_ptr_array_new_with_free_func(g_free);
    gtk_widget_init_template(GTK_WIDGET(self));

    /* The template names these controls; libadwaita also labels them by
     * their rows' titles, and GTK 4.8 reads both ("Memory Memory"). */
    GtkWidget *named[] = {GTK_WIDGET(self->iso_row), GTK_WIDGET(self->network_row),
                          GTK_WIDGET(self->disk_spin), GTK_WIDGET(self->cpus_spin),
                          GTK_WIDGET(self->memory_spin)};
    for (guint i = 0; i < G_N_ELEMENTS(named); i++)
        gtk_accessible_reset_relation(GTK_ACCESSIBLE(named[i]),
                                      GTK_ACCESSIBLE_RELATION_LABELLED_BY);

    gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
    g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key_pressed), self);
    gtk_widget_add_controller(GTK_WIDGET(self), keys);
}

/* CirrinaNewVmDialog: placeholder (see cirrina-new-vm-dialog.h). */
#include "cirrina-new-vm-dialog.h"

struct _CirrinaNewVmDialog {
    AdwWindow parent_instance;

    CirrinaClient *client;
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

    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_new_vm_dialog_parent_class)->dispose(object);
}

static void cirrina_new_vm_dialog_class_init(CirrinaNewVmDialogClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = cirrina_new_vm_dialog_get_property;
    object_class->set_property = cirrina_new_vm_dialog_set_property;
    object_class->dispose = cirrina_new_vm_dialog_dispose;

    properties[PROP_CLIENT] =
        g_param_spec_object("client", NULL, NULL, CIRRINA_TYPE_CLIENT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    /* vm-created(object_path): a VM was made; the dialog closes next. */
    signals[SIGNAL_VM_CREATED] =
        g_signal_new("vm-created", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_STRING);

    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void cirrina_new_vm_dialog_init(CirrinaNewVmDialog *self)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *status = adw_status_page_new();

    gtk_window_set_title(GTK_WINDOW(self), "New Virtual Machine");
    gtk_window_set_default_size(GTK_WINDOW(self), 480, 420);
    gtk_box_append(GTK_BOX(box), adw_header_bar_new());
    adw_status_page_set_icon_name(ADW_STATUS_PAGE(status), "list-add-symbolic");
    adw_status_page_set_title(ADW_STATUS_PAGE(status), "New Virtual Machine");
    adw_status_page_set_description(ADW_STATUS_PAGE(status), "Not written yet.");
    gtk_widget_set_vexpand(status, TRUE);
    gtk_box_append(GTK_BOX(box), status);
    adw_window_set_content(ADW_WINDOW(self), box);
}

/* CirrinaVmListPage: the VM list. */
#include "cirrina-vm-list-page.h"

struct _CirrinaVmListPage {
    AdwBin parent_instance;

    CirrinaClient *client;

    GtkStack *stack;
};

G_DEFINE_FINAL_TYPE(CirrinaVmListPage, cirrina_vm_list_page, ADW_TYPE_BIN)

enum { PROP_0, PROP_CLIENT, N_PROPS };
static GParamSpec *properties[N_PROPS];

GtkWidget *cirrina_vm_list_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_VM_LIST_PAGE, "client", client, NULL);
}

static void cirrina_vm_list_page_get_property(GObject *object, guint prop_id, GValue *value,
                                              GParamSpec *pspec)
{
    CirrinaVmListPage *self = CIRRINA_VM_LIST_PAGE(object);

    switch (prop_id) {
    case PROP_CLIENT:
        g_value_set_object(value, self->client);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vm_list_page_set_property(GObject *object, guint prop_id, const GValue *value,
                                              GParamSpec *pspec)
{
    CirrinaVmListPage *self = CIRRINA_VM_LIST_PAGE(object);

    switch (prop_id) {
    case PROP_CLIENT:
        self->client = g_value_dup_object(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vm_list_page_dispose(GObject *object)
{
    CirrinaVmListPage *self = CIRRINA_VM_LIST_PAGE(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_VM_LIST_PAGE);
    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_vm_list_page_parent_class)->dispose(object);
}

static void cirrina_vm_list_page_class_init(CirrinaVmListPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = cirrina_vm_list_page_get_property;
    object_class->set_property = cirrina_vm_list_page_set_property;
    object_class->dispose = cirrina_vm_list_page_dispose;

    properties[PROP_CLIENT] =
        g_param_spec_object("client", NULL, NULL, CIRRINA_TYPE_CLIENT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-vm-list-page.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmListPage, stack);
}

static void cirrina_vm_list_page_init(CirrinaVmListPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

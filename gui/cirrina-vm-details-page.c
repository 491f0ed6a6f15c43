/* CirrinaVmDetailsPage: placeholder (see cirrina-vm-details-page.h). */
#include "cirrina-vm-details-page.h"

struct _CirrinaVmDetailsPage {
    AdwBin parent_instance;

    CirrinaClient *client;
    CirrinaObject *vm;
    AdwStatusPage *status;
};

G_DEFINE_FINAL_TYPE(CirrinaVmDetailsPage, cirrina_vm_details_page, ADW_TYPE_BIN)

enum { PROP_0, PROP_CLIENT, PROP_VM, N_PROPS };
static GParamSpec *properties[N_PROPS];

GtkWidget *cirrina_vm_details_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_VM_DETAILS_PAGE, "client", client, NULL);
}

CirrinaClient *cirrina_vm_details_page_get_client(CirrinaVmDetailsPage *self)
{
    return self->client;
}

CirrinaObject *cirrina_vm_details_page_get_vm(CirrinaVmDetailsPage *self)
{
    return self->vm;
}

void cirrina_vm_details_page_set_vm(CirrinaVmDetailsPage *self, CirrinaObject *vm)
{
    g_return_if_fail(vm == NULL || CIRRINA_IS_OBJECT(vm));

    if (!g_set_object(&self->vm, vm))
        return;
    CirrinaVM *proxy = vm != NULL ? cirrina_object_peek_vm(vm) : NULL;
    adw_status_page_set_description(self->status,
                                    proxy != NULL ? cirrina_vm_get_name(proxy) : NULL);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_VM]);
}

static void cirrina_vm_details_page_get_property(GObject *object, guint prop_id, GValue *value,
                                                 GParamSpec *pspec)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);

    switch (prop_id) {
    case PROP_CLIENT:
        g_value_set_object(value, self->client);
        break;
    case PROP_VM:
        g_value_set_object(value, self->vm);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vm_details_page_set_property(GObject *object, guint prop_id,
                                                 const GValue *value, GParamSpec *pspec)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);

    switch (prop_id) {
    case PROP_CLIENT:
        self->client = g_value_dup_object(value);
        break;
    case PROP_VM:
        cirrina_vm_details_page_set_vm(self, g_value_get_object(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vm_details_page_dispose(GObject *object)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);

    g_clear_object(&self->vm);
    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_vm_details_page_parent_class)->dispose(object);
}

static void cirrina_vm_details_page_class_init(CirrinaVmDetailsPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = cirrina_vm_details_page_get_property;
    object_class->set_property = cirrina_vm_details_page_set_property;
    object_class->dispose = cirrina_vm_details_page_dispose;

    properties[PROP_CLIENT] =
        g_param_spec_object("client", NULL, NULL, CIRRINA_TYPE_CLIENT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    properties[PROP_VM] =
        g_param_spec_object("vm", NULL, NULL, CIRRINA_TYPE_OBJECT,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void cirrina_vm_details_page_init(CirrinaVmDetailsPage *self)
{
    self->status = ADW_STATUS_PAGE(adw_status_page_new());
    adw_status_page_set_icon_name(self->status, "computer-symbolic");
    adw_status_page_set_title(self->status, "Virtual Machine");
    adw_bin_set_child(ADW_BIN(self), GTK_WIDGET(self->status));
}

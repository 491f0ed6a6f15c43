/* CirrinaSwitchesPage: placeholder (see cirrina-switches-page.h). */
#include "cirrina-switches-page.h"

struct _CirrinaSwitchesPage {
    AdwBin parent_instance;

    CirrinaClient *client;
};

G_DEFINE_FINAL_TYPE(CirrinaSwitchesPage, cirrina_switches_page, ADW_TYPE_BIN)

enum { PROP_0, PROP_CLIENT, N_PROPS };
static GParamSpec *properties[N_PROPS];

GtkWidget *cirrina_switches_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_SWITCHES_PAGE, "client", client, NULL);
}

CirrinaClient *cirrina_switches_page_get_client(CirrinaSwitchesPage *self)
{
    return self->client;
}

static void cirrina_switches_page_get_property(GObject *object, guint prop_id, GValue *value,
                                               GParamSpec *pspec)
{
    CirrinaSwitchesPage *self = CIRRINA_SWITCHES_PAGE(object);

    switch (prop_id) {
    case PROP_CLIENT:
        g_value_set_object(value, self->client);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_switches_page_set_property(GObject *object, guint prop_id, const GValue *value,
                                               GParamSpec *pspec)
{
    CirrinaSwitchesPage *self = CIRRINA_SWITCHES_PAGE(object);

    switch (prop_id) {
    case PROP_CLIENT:
        self->client = g_value_dup_object(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_switches_page_dispose(GObject *object)
{
    CirrinaSwitchesPage *self = CIRRINA_SWITCHES_PAGE(object);

    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_switches_page_parent_class)->dispose(object);
}

static void cirrina_switches_page_class_init(CirrinaSwitchesPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = cirrina_switches_page_get_property;
    object_class->set_property = cirrina_switches_page_set_property;
    object_class->dispose = cirrina_switches_page_dispose;

    properties[PROP_CLIENT] =
        g_param_spec_object("client", NULL, NULL, CIRRINA_TYPE_CLIENT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void cirrina_switches_page_init(CirrinaSwitchesPage *self)
{
    GtkWidget *status = adw_status_page_new();

    adw_status_page_set_icon_name(ADW_STATUS_PAGE(status), "network-workgroup-symbolic");
    adw_status_page_set_title(ADW_STATUS_PAGE(status), "Switches");
    adw_status_page_set_description(ADW_STATUS_PAGE(status), "Not written yet.");
    adw_bin_set_child(ADW_BIN(self), status);
}

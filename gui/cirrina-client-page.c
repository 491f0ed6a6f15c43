/* CirrinaClientPage: a page and its client (see cirrina-client-page.h). */
#include "cirrina-client-page.h"

typedef struct {
    CirrinaClient *client;
} CirrinaClientPagePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(CirrinaClientPage, cirrina_client_page, ADW_TYPE_BIN)

enum { PROP_0, PROP_CLIENT, N_PROPS };
static GParamSpec *properties[N_PROPS];

CirrinaClient *cirrina_client_page_get_client(CirrinaClientPage *self)
{
    CirrinaClientPagePrivate *priv = cirrina_client_page_get_instance_private(self);

    g_return_val_if_fail(CIRRINA_IS_CLIENT_PAGE(self), NULL);
    return priv->client;
}

static void cirrina_client_page_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
    CirrinaClientPage *self = CIRRINA_CLIENT_PAGE(object);

    switch (prop_id) {
    case PROP_CLIENT:
        g_value_set_object(value, cirrina_client_page_get_client(self));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_client_page_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
    CirrinaClientPagePrivate *priv =
        cirrina_client_page_get_instance_private(CIRRINA_CLIENT_PAGE(object));

    switch (prop_id) {
    case PROP_CLIENT:
        priv->client = g_value_dup_object(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

/* After the page's own dispose (which chains up last): the page may still
 * disconnect from the client until then. */
static void cirrina_client_page_dispose(GObject *object)
{
    CirrinaClientPagePrivate *priv =
        cirrina_client_page_get_instance_private(CIRRINA_CLIENT_PAGE(object));

    g_clear_object(&priv->client);
    G_OBJECT_CLASS(cirrina_client_page_parent_class)->dispose(object);
}

static void cirrina_client_page_class_init(CirrinaClientPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = cirrina_client_page_get_property;
    object_class->set_property = cirrina_client_page_set_property;
    object_class->dispose = cirrina_client_page_dispose;

    properties[PROP_CLIENT] =
        g_param_spec_object("client", NULL, NULL, CIRRINA_TYPE_CLIENT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void cirrina_client_page_init(CirrinaClientPage *self)
{
}

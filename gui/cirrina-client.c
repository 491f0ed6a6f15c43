/* CirrinaClient: the bus, the object manager and the daemon's presence. */
#include "cirrina-client.h"

struct _CirrinaClient {
    GObject parent_instance;

    CirrinaClientBus bus;
    char *address;
    char *bus_error;
    GCancellable *cancellable;
    GDBusConnection *connection;
    GDBusObjectManager *object_manager;
    CirrinaManager *manager;
    gboolean connected;
};

G_DEFINE_FINAL_TYPE(CirrinaClient, cirrina_client, G_TYPE_OBJECT)

enum { PROP_0, PROP_CONNECTED, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum {
    SIGNAL_CONNECTED,
    SIGNAL_DISCONNECTED,
    SIGNAL_OBJECT_ADDED,
    SIGNAL_OBJECT_REMOVED,
    N_SIGNALS
};
static guint signals[N_SIGNALS];

static void set_connected(CirrinaClient *self, gboolean connected)
{
    if (self->connected == connected)
        return;
    self->connected = connected;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CONNECTED]);
    g_signal_emit(self, signals[connected ? SIGNAL_CONNECTED : SIGNAL_DISCONNECTED], 0);
}

static void set_bus_error(CirrinaClient *self, const GError *error)
{
    g_free(self->bus_error);
    self->bus_error = g_strdup(error->message);
    /* Those waiting for "connected" learn that it will not come. */
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CONNECTED]);
}

/* The object manager announces a new owner after it has loaded that owner's
 * objects, and drops all objects when the owner leaves: so its name-owner
 * tells whether the daemon is there with everything in place. */
static void on_name_owner_changed(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    CirrinaClient *self = user_data;
    g_autofree char *owner =
        g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(object));

    set_connected(self, owner != NULL);
}

static void on_connection_closed(GDBusConnection *connection, gboolean remote_peer_vanished,
                                 GError *error, gpointer user_data)
{
    CirrinaClient *self = user_data;
    g_autoptr(GError) closed =
        g_error_new(G_IO_ERROR, G_IO_ERROR_CLOSED, "The connection to the %s was closed",
                    cirrina_client_get_bus_description(self));

    set_connected(self, FALSE);
    set_bus_error(self, closed);
}

/* When nobody owns org.cirrina, ask the bus to start it: where cirrinad is
 * installed with its activation file this brings it up (the object manager
 * itself is made with DO_NOT_AUTO_START so that it never blocks on it). */
static void on_start_service_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, NULL);
}

static void maybe_start_service(CirrinaClient *self)
{
    if (self->connected)
        return;
    g_dbus_connection_call(
        self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "StartServiceByName", g_variant_new("(su)", CIRRINA_BUS_NAME, 0), G_VARIANT_TYPE("(u)"),
        G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, on_start_service_done, NULL);
}

static void on_object_added(GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
    g_signal_emit(user_data, signals[SIGNAL_OBJECT_ADDED], 0, object);
}

static void on_object_removed(GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
    g_signal_emit(user_data, signals[SIGNAL_OBJECT_REMOVED], 0, object);
}

static void on_object_manager_ready(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaClient) self = user_data;
    g_autoptr(GError) error = NULL;
    GDBusObjectManager *manager = cirrina_object_manager_client_new_finish(result, &error);

    if (manager == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            set_bus_error(self, error);
        return;
    }
    self->object_manager = manager;
    g_signal_connect_object(manager, "notify::name-owner", G_CALLBACK(on_name_owner_changed), self,
                            0);
    g_signal_connect_object(manager, "object-added", G_CALLBACK(on_object_added), self, 0);
    g_signal_connect_object(manager, "object-removed", G_CALLBACK(on_object_removed), self, 0);
    /* Objects loaded with the manager were never announced. */
    g_autolist(GDBusObject) objects = g_dbus_object_manager_get_objects(manager);
    for (GList *l = objects; l != NULL; l = l->next)
        on_object_added(manager, l->data, self);
    on_name_owner_changed(G_OBJECT(manager), NULL, self);
    /* Those waiting to learn whether the daemon is there learn it now. */
    if (!self->connected)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CONNECTED]);
    maybe_start_service(self);
}

static void on_connection_ready(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(CirrinaClient) self = user_data;
    g_autoptr(GError) error = NULL;
    GDBusConnection *connection;

    if (self->bus == CIRRINA_CLIENT_BUS_ADDRESS)
        connection = g_dbus_connection_new_for_address_finish(result, &error);
    else
        connection = g_bus_get_finish(result, &error);
    if (connection == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            set_bus_error(self, error);
        return;
    }
    self->connection = connection;
    g_dbus_connection_set_exit_on_close(connection, FALSE);
    g_signal_connect_object(connection, "closed", G_CALLBACK(on_connection_closed), self, 0);

    /* The Manager's properties are constant, so a proxy made now serves
     * every later owner of the name (GDBusProxy reloads them on a change). */
    self->manager =
        cirrina_manager_proxy_new_sync(connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                       CIRRINA_BUS_NAME, CIRRINA_OBJECT_PATH, NULL, &error);
    if (self->manager == NULL) {
        set_bus_error(self, error);
        return;
    }
    cirrina_object_manager_client_new(
        connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, CIRRINA_BUS_NAME,
        CIRRINA_OBJECT_PATH, self->cancellable, on_object_manager_ready, g_object_ref(self));
}

static void cirrina_client_connect(CirrinaClient *self)
{
    switch (self->bus) {
    case CIRRINA_CLIENT_BUS_SYSTEM:
        g_bus_get(G_BUS_TYPE_SYSTEM, self->cancellable, on_connection_ready, g_object_ref(self));
        break;
    case CIRRINA_CLIENT_BUS_SESSION:
        g_bus_get(G_BUS_TYPE_SESSION, self->cancellable, on_connection_ready, g_object_ref(self));
        break;
    case CIRRINA_CLIENT_BUS_ADDRESS:
        g_dbus_connection_new_for_address(self->address,
                                          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                          NULL, self->cancellable, on_connection_ready,
                                          g_object_ref(self));
        break;
    }
}

CirrinaClient *cirrina_client_new(CirrinaClientBus bus, const char *address)
{
    CirrinaClient *self = g_object_new(CIRRINA_TYPE_CLIENT, NULL);

    g_return_val_if_fail(bus != CIRRINA_CLIENT_BUS_ADDRESS || address != NULL, self);
    self->bus = bus;
    self->address = g_strdup(address);
    cirrina_client_connect(self);
    return self;
}

CirrinaClient *cirrina_client_new_from_environment(void)
{
    const char *address = g_getenv("CIRRINA_BUS_ADDRESS");
    const char *bus = g_getenv("CIRRINA_BUS");

    if (address != NULL && *address != '\0')
        return cirrina_client_new(CIRRINA_CLIENT_BUS_ADDRESS, address);
    if (g_strcmp0(bus, "session") == 0)
        return cirrina_client_new(CIRRINA_CLIENT_BUS_SESSION, NULL);
    return cirrina_client_new(CIRRINA_CLIENT_BUS_SYSTEM, NULL);
}

gboolean cirrina_client_get_connected(CirrinaClient *self)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), FALSE);
    return self->connected;
}

const char *cirrina_client_get_bus_error(CirrinaClient *self)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), NULL);
    return self->bus_error;
}

CirrinaClientBus cirrina_client_get_bus(CirrinaClient *self)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), CIRRINA_CLIENT_BUS_SYSTEM);
    return self->bus;
}

const char *cirrina_client_get_bus_description(CirrinaClient *self)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), NULL);
    switch (self->bus) {
    case CIRRINA_CLIENT_BUS_SYSTEM:
        return "system bus";
    case CIRRINA_CLIENT_BUS_SESSION:
        return "session bus";
    case CIRRINA_CLIENT_BUS_ADDRESS:
        return self->address;
    }
    return NULL;
}

GDBusConnection *cirrina_client_get_connection(CirrinaClient *self)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), NULL);
    return self->connection;
}

GDBusObjectManager *cirrina_client_get_object_manager(CirrinaClient *self)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), NULL);
    return self->object_manager;
}

CirrinaManager *cirrina_client_get_manager(CirrinaClient *self)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), NULL);
    return self->manager;
}

CirrinaObject *cirrina_client_get_object(CirrinaClient *self, const char *path)
{
    g_return_val_if_fail(CIRRINA_IS_CLIENT(self), NULL);
    if (self->object_manager == NULL)
        return NULL;
    return CIRRINA_OBJECT(g_dbus_object_manager_get_object(self->object_manager, path));
}

void cirrina_proxy_call(gpointer proxy, const char *method, GVariant *parameters,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    g_dbus_proxy_call(G_DBUS_PROXY(proxy), method, parameters,
                      G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT, cancellable,
                      callback, user_data);
}

GVariant *cirrina_proxy_call_finish(gpointer proxy, GAsyncResult *result, GError **error)
{
    return g_dbus_proxy_call_finish(G_DBUS_PROXY(proxy), result, error);
}

void cirrina_proxy_call_with_fds(gpointer proxy, const char *method, GVariant *parameters,
                                 GUnixFDList *fd_list, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    g_dbus_proxy_call_with_unix_fd_list(G_DBUS_PROXY(proxy), method, parameters,
                                        G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT,
                                        fd_list, cancellable, callback, user_data);
}

GVariant *cirrina_proxy_call_with_fds_finish(gpointer proxy, GUnixFDList **out_fd_list,
                                             GAsyncResult *result, GError **error)
{
    return g_dbus_proxy_call_with_unix_fd_list_finish(G_DBUS_PROXY(proxy), out_fd_list, result,
                                                      error);
}

/* What each error name means to a user, as the lead of the message. */
static const struct {
    const char *name;
    const char *lead;
} error_leads[] = {
    {"org.freedesktop.DBus.Error.AccessDenied", "Not allowed"},
    {"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", "Not allowed"},
    {"org.freedesktop.DBus.Error.AuthFailed", "Not allowed"},
    {"org.cirrina.Error.Busy", "Busy"},
    {"org.cirrina.Error.InvalidArgument", "Invalid value"},
    {"org.cirrina.Error.NotFound", "Not found"},
    {"org.cirrina.Error.Exists", "Already exists"},
    {"org.cirrina.Error.NotSupported", "Not supported"},
    {"org.cirrina.Error.Cancelled", "Cancelled"},
    {"org.cirrina.Error.Failed", "Failed"},
    {"org.freedesktop.DBus.Error.ServiceUnknown", "cirrinad is not running"},
    {"org.freedesktop.DBus.Error.NameHasNoOwner", "cirrinad is not running"},
    {"org.freedesktop.DBus.Error.NoReply", "cirrinad did not answer"},
    {"org.freedesktop.DBus.Error.UnknownObject", "Not found"},
    {"org.freedesktop.DBus.Error.UnknownMethod", "Not supported by this cirrinad"},
};

char *cirrina_client_describe_error(const GError *error)
{
    g_return_val_if_fail(error != NULL, NULL);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return NULL;
    if (!g_dbus_error_is_remote_error(error))
        return g_strdup(error->message);

    g_autofree char *name = g_dbus_error_get_remote_error(error);
    g_autoptr(GError) stripped = g_error_copy(error);
    g_dbus_error_strip_remote_error(stripped);

    for (gsize i = 0; i < G_N_ELEMENTS(error_leads); i++) {
        if (g_strcmp0(name, error_leads[i].name) == 0)
            return g_strdup_printf("%s: %s", error_leads[i].lead, stripped->message);
    }
    return g_strdup(stripped->message);
}

static void cirrina_client_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
    CirrinaClient *self = CIRRINA_CLIENT(object);

    switch (prop_id) {
    case PROP_CONNECTED:
        g_value_set_boolean(value, self->connected);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_client_dispose(GObject *object)
{
    CirrinaClient *self = CIRRINA_CLIENT(object);

    g_cancellable_cancel(self->cancellable);
    if (self->connection != NULL)
        g_signal_handlers_disconnect_by_data(self->connection, self);
    g_clear_object(&self->object_manager);
    g_clear_object(&self->manager);
    g_clear_object(&self->connection);
    G_OBJECT_CLASS(cirrina_client_parent_class)->dispose(object);
}

static void cirrina_client_finalize(GObject *object)
{
    CirrinaClient *self = CIRRINA_CLIENT(object);

    g_clear_object(&self->cancellable);
    g_free(self->address);
    g_free(self->bus_error);
    G_OBJECT_CLASS(cirrina_client_parent_class)->finalize(object);
}

static void cirrina_client_class_init(CirrinaClientClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = cirrina_client_get_property;
    object_class->dispose = cirrina_client_dispose;
    object_class->finalize = cirrina_client_finalize;

    properties[PROP_CONNECTED] =
        g_param_spec_boolean("connected", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    signals[SIGNAL_CONNECTED] =
        g_signal_new("connected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 0);
    signals[SIGNAL_DISCONNECTED] =
        g_signal_new("disconnected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_OBJECT_ADDED] =
        g_signal_new("object-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, CIRRINA_TYPE_OBJECT);
    signals[SIGNAL_OBJECT_REMOVED] =
        g_signal_new("object-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, CIRRINA_TYPE_OBJECT);
}

static void cirrina_client_init(CirrinaClient *self)
{
    self->cancellable = g_cancellable_new();
}

/* CirrinaObjectList: one interface's proxies from the object manager, sorted by Name. */
#include "cirrina-object-list.h"

struct _CirrinaObjectList {
    GObject parent_instance;

    CirrinaClient *client;
    char *interface_name;
    GPtrArray *items; /* GDBusProxy, sorted */
};

static void cirrina_object_list_model_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(CirrinaObjectList, cirrina_object_list, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL,
                                                    cirrina_object_list_model_init))

static char *proxy_name(GDBusProxy *proxy)
{
    g_autoptr(GVariant) name = g_dbus_proxy_get_cached_property(proxy, "Name");

    if (name == NULL || !g_variant_is_of_type(name, G_VARIANT_TYPE_STRING))
        return g_strdup("");
    return g_variant_dup_string(name, NULL);
}

/* Case-insensitive by name (what a reader expects), then exact, then by
 * path so that the order is total. */
static int compare_proxies(GDBusProxy *a, GDBusProxy *b)
{
    g_autofree char *name_a = proxy_name(a);
    g_autofree char *name_b = proxy_name(b);
    int r = g_ascii_strcasecmp(name_a, name_b);

    if (r == 0)
        r = strcmp(name_a, name_b);
    if (r == 0)
        r = strcmp(g_dbus_proxy_get_object_path(a), g_dbus_proxy_get_object_path(b));
    return r;
}

static guint sorted_position(CirrinaObjectList *self, GDBusProxy *proxy)
{
    guint low = 0, high = self->items->len;

    while (low < high) {
        guint mid = low + (high - low) / 2;
        if (compare_proxies(g_ptr_array_index(self->items, mid), proxy) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

static gboolean find_position(CirrinaObjectList *self, const char *object_path, guint *position)
{
    for (guint i = 0; i < self->items->len; i++) {
        GDBusProxy *proxy = g_ptr_array_index(self->items, i);
        if (g_strcmp0(g_dbus_proxy_get_object_path(proxy), object_path) == 0) {
            *position = i;
            return TRUE;
        }
    }
    return FALSE;
}

/* A rename moves the item to where its new name belongs. */
static void on_properties_changed(GDBusProxy *proxy, GVariant *changed,
                                  const char *const *invalidated, gpointer user_data)
{
    CirrinaObjectList *self = user_data;
    g_autoptr(GVariant) name = g_variant_lookup_value(changed, "Name", NULL);
    guint old_position, new_position;

    if (name == NULL && !g_strv_contains(invalidated, "Name"))
        return;
    if (!find_position(self, g_dbus_proxy_get_object_path(proxy), &old_position))
        return;
    GDBusProxy *item = g_ptr_array_steal_index(self->items, old_position);
    new_position = sorted_position(self, item);
    g_ptr_array_insert(self->items, (int)new_position, item);
    /* Even in place, the item's row must show the new name: report it as
     * replaced. */
    if (new_position == old_position) {
        g_list_model_items_changed(G_LIST_MODEL(self), old_position, 1, 1);
    } else {
        g_list_model_items_changed(G_LIST_MODEL(self), old_position, 1, 0);
        g_list_model_items_changed(G_LIST_MODEL(self), new_position, 0, 1);
    }
}

static void add_object(CirrinaObjectList *self, GDBusObject *object)
{
    g_autoptr(GDBusInterface) iface = g_dbus_object_get_interface(object, self->interface_name);
    guint position;

    if (iface == NULL || !G_IS_DBUS_PROXY(iface))
        return;
    if (find_position(self, g_dbus_object_get_object_path(object), &position))
        return;
    GDBusProxy *proxy = G_DBUS_PROXY(g_steal_pointer(&iface));
    g_signal_connect_object(proxy, "g-properties-changed", G_CALLBACK(on_properties_changed), self,
                            0);
    position = sorted_position(self, proxy);
    g_ptr_array_insert(self->items, (int)position, proxy);
    g_list_model_items_changed(G_LIST_MODEL(self), position, 0, 1);
}

static void remove_path(CirrinaObjectList *self, const char *object_path)
{
    guint position;

    if (!find_position(self, object_path, &position))
        return;
    GDBusProxy *proxy = g_ptr_array_steal_index(self->items, position);
    g_signal_handlers_disconnect_by_data(proxy, self);
    g_object_unref(proxy);
    g_list_model_items_changed(G_LIST_MODEL(self), position, 1, 0);
}

static void on_object_added(CirrinaClient *client, GDBusObject *object, gpointer user_data)
{
    add_object(user_data, object);
}

static void on_object_removed(CirrinaClient *client, GDBusObject *object, gpointer user_data)
{
    remove_path(user_data, g_dbus_object_get_object_path(object));
}

/* The client forwards its object manager's signals, also for the objects
 * it finds when the object manager is made or the daemon returns; the
 * objects already there when the list is made are taken from it. */
CirrinaObjectList *cirrina_object_list_new(CirrinaClient *client, const char *interface_name)
{
    CirrinaObjectList *self = g_object_new(CIRRINA_TYPE_OBJECT_LIST, NULL);
    GDBusObjectManager *manager = cirrina_client_get_object_manager(client);

    self->client = g_object_ref(client);
    self->interface_name = g_strdup(interface_name);
    g_signal_connect_object(client, "object-added", G_CALLBACK(on_object_added), self, 0);
    g_signal_connect_object(client, "object-removed", G_CALLBACK(on_object_removed), self, 0);
    if (manager != NULL) {
        GList *objects = g_dbus_object_manager_get_objects(manager);
        for (GList *l = objects; l != NULL; l = l->next)
            add_object(self, l->data);
        g_list_free_full(objects, g_object_unref);
    }
    return self;
}

GDBusProxy *cirrina_object_list_lookup(CirrinaObjectList *self, const char *object_path)
{
    guint position;

    g_return_val_if_fail(CIRRINA_IS_OBJECT_LIST(self), NULL);
    if (object_path == NULL || !find_position(self, object_path, &position))
        return NULL;
    return g_ptr_array_index(self->items, position);
}

GDBusProxy *cirrina_object_list_find_by_name(CirrinaObjectList *self, const char *name)
{
    g_return_val_if_fail(CIRRINA_IS_OBJECT_LIST(self), NULL);
    for (guint i = 0; i < self->items->len; i++) {
        GDBusProxy *proxy = g_ptr_array_index(self->items, i);
        g_autofree char *item_name = proxy_name(proxy);
        if (g_strcmp0(item_name, name) == 0)
            return proxy;
    }
    return NULL;
}

static GType cirrina_object_list_get_item_type(GListModel *model)
{
    return G_TYPE_DBUS_PROXY;
}

static guint cirrina_object_list_get_n_items(GListModel *model)
{
    return CIRRINA_OBJECT_LIST(model)->items->len;
}

static gpointer cirrina_object_list_get_item(GListModel *model, guint position)
{
    CirrinaObjectList *self = CIRRINA_OBJECT_LIST(model);

    if (position >= self->items->len)
        return NULL;
    return g_object_ref(g_ptr_array_index(self->items, position));
}

static void cirrina_object_list_model_init(GListModelInterface *iface)
{
    iface->get_item_type = cirrina_object_list_get_item_type;
    iface->get_n_items = cirrina_object_list_get_n_items;
    iface->get_item = cirrina_object_list_get_item;
}

static void cirrina_object_list_dispose(GObject *object)
{
    CirrinaObjectList *self = CIRRINA_OBJECT_LIST(object);

    for (guint i = 0; i < self->items->len; i++)
        g_signal_handlers_disconnect_by_data(g_ptr_array_index(self->items, i), self);
    g_ptr_array_set_size(self->items, 0);
    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_object_list_parent_class)->dispose(object);
}

static void cirrina_object_list_finalize(GObject *object)
{
    CirrinaObjectList *self = CIRRINA_OBJECT_LIST(object);

    g_ptr_array_unref(self->items);
    g_free(self->interface_name);
    G_OBJECT_CLASS(cirrina_object_list_parent_class)->finalize(object);
}

static void cirrina_object_list_class_init(CirrinaObjectListClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = cirrina_object_list_dispose;
    object_class->finalize = cirrina_object_list_finalize;
}

static void cirrina_object_list_init(CirrinaObjectList *self)
{
    self->items = g_ptr_array_new_with_free_func(g_object_unref);
}

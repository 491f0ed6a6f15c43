/* CirrinaVmListModel: VMs sorted by name, live. */
#include "cirrina-vm-list-model.h"

struct _CirrinaVmListModel {
    GObject parent_instance;

    CirrinaClient *client;
    GPtrArray *items; /* CirrinaObject, sorted */
};

static void cirrina_vm_list_model_iface_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(CirrinaVmListModel, cirrina_vm_list_model, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL,
                                                    cirrina_vm_list_model_iface_init))

static int compare_objects(CirrinaObject *a, CirrinaObject *b)
{
    const char *name_a = cirrina_vm_get_name(cirrina_object_peek_vm(a));
    const char *name_b = cirrina_vm_get_name(cirrina_object_peek_vm(b));
    int r = g_utf8_collate(name_a != NULL ? name_a : "", name_b != NULL ? name_b : "");

    if (r != 0)
        return r;
    return g_strcmp0(g_dbus_object_get_object_path(G_DBUS_OBJECT(a)),
                     g_dbus_object_get_object_path(G_DBUS_OBJECT(b)));
}

/* Where object belongs in the sorted items (the array without it). */
static guint sorted_position(CirrinaVmListModel *self, CirrinaObject *object)
{
    guint low = 0, high = self->items->len;

    while (low < high) {
        guint middle = low + (high - low) / 2;
        if (compare_objects(g_ptr_array_index(self->items, middle), object) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

int cirrina_vm_list_model_find(CirrinaVmListModel *self, CirrinaObject *object)
{
    guint position;

    g_return_val_if_fail(CIRRINA_IS_VM_LIST_MODEL(self), -1);
    if (!g_ptr_array_find(self->items, object, &position))
        return -1;
    return (int)position;
}

static void on_name_changed(GObject *vm, GParamSpec *pspec, gpointer user_data);

static void insert_sorted(CirrinaVmListModel *self, CirrinaObject *object)
{
    guint position = sorted_position(self, object);

    g_ptr_array_insert(self->items, (int)position, g_object_ref(object));
    g_list_model_items_changed(G_LIST_MODEL(self), position, 0, 1);
}

/* A rename: the item moves to its new place (removed, then added, as two
 * changes, so a view recreates its row at the new place). */
static void on_name_changed(GObject *vm, GParamSpec *pspec, gpointer user_data)
{
    CirrinaVmListModel *self = user_data;
    g_autoptr(GDBusObject) object = g_dbus_interface_dup_object(G_DBUS_INTERFACE(vm));
    guint position;

    if (object == NULL || !g_ptr_array_find(self->items, object, &position))
        return;
    g_autoptr(CirrinaObject) item = g_ptr_array_steal_index(self->items, position);
    guint new_position = sorted_position(self, item);
    if (new_position == position) {
        g_ptr_array_insert(self->items, (int)position, g_steal_pointer(&item));
        return;
    }
    g_list_model_items_changed(G_LIST_MODEL(self), position, 1, 0);
    g_ptr_array_insert(self->items, (int)new_position, g_steal_pointer(&item));
    g_list_model_items_changed(G_LIST_MODEL(self), new_position, 0, 1);
}

static void on_object_added(CirrinaClient *client, CirrinaObject *object, gpointer user_data)
{
    CirrinaVmListModel *self = user_data;
    CirrinaVM *vm = cirrina_object_peek_vm(object);

    if (vm == NULL || g_ptr_array_find(self->items, object, NULL))
        return;
    g_signal_connect_object(vm, "notify::name", G_CALLBACK(on_name_changed), self, 0);
    insert_sorted(self, object);
}

static void on_object_removed(CirrinaClient *client, CirrinaObject *object, gpointer user_data)
{
    CirrinaVmListModel *self = user_data;
    CirrinaVM *vm = cirrina_object_peek_vm(object);
    guint position;

    if (!g_ptr_array_find(self->items, object, &position))
        return;
    if (vm != NULL)
        g_signal_handlers_disconnect_by_func(vm, on_name_changed, self);
    g_ptr_array_remove_index(self->items, position);
    g_list_model_items_changed(G_LIST_MODEL(self), position, 1, 0);
}

CirrinaVmListModel *cirrina_vm_list_model_new(CirrinaClient *client)
{
    CirrinaVmListModel *self = g_object_new(CIRRINA_TYPE_VM_LIST_MODEL, NULL);
    GDBusObjectManager *manager = cirrina_client_get_object_manager(client);

    self->client = g_object_ref(client);
    g_signal_connect_object(client, "object-added", G_CALLBACK(on_object_added), self, 0);
    g_signal_connect_object(client, "object-removed", G_CALLBACK(on_object_removed), self, 0);
    if (manager != NULL) {
        g_autolist(GDBusObject) objects = g_dbus_object_manager_get_objects(manager);
        for (GList *l = objects; l != NULL; l = l->next)
            on_object_added(client, l->data, self);
    }
    return self;
}

static GType cirrina_vm_list_model_get_item_type(GListModel *list)
{
    return CIRRINA_TYPE_OBJECT;
}

static guint cirrina_vm_list_model_get_n_items(GListModel *list)
{
    return CIRRINA_VM_LIST_MODEL(list)->items->len;
}

static gpointer cirrina_vm_list_model_get_item(GListModel *list, guint position)
{
    CirrinaVmListModel *self = CIRRINA_VM_LIST_MODEL(list);

    if (position >= self->items->len)
        return NULL;
    return g_object_ref(g_ptr_array_index(self->items, position));
}

static void cirrina_vm_list_model_iface_init(GListModelInterface *iface)
{
    iface->get_item_type = cirrina_vm_list_model_get_item_type;
    iface->get_n_items = cirrina_vm_list_model_get_n_items;
    iface->get_item = cirrina_vm_list_model_get_item;
}

static void cirrina_vm_list_model_dispose(GObject *object)
{
    CirrinaVmListModel *self = CIRRINA_VM_LIST_MODEL(object);

    for (guint i = 0; i < self->items->len; i++) {
        CirrinaVM *vm = cirrina_object_peek_vm(g_ptr_array_index(self->items, i));
        if (vm != NULL)
            g_signal_handlers_disconnect_by_func(vm, on_name_changed, self);
    }
    g_ptr_array_set_size(self->items, 0);
    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_vm_list_model_parent_class)->dispose(object);
}

static void cirrina_vm_list_model_finalize(GObject *object)
{
    CirrinaVmListModel *self = CIRRINA_VM_LIST_MODEL(object);

    g_ptr_array_unref(self->items);
    G_OBJECT_CLASS(cirrina_vm_list_model_parent_class)->finalize(object);
}

static void cirrina_vm_list_model_class_init(CirrinaVmListModelClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = cirrina_vm_list_model_dispose;
    object_class->finalize = cirrina_vm_list_model_finalize;
}

static void cirrina_vm_list_model_init(CirrinaVmListModel *self)
{
    self->items = g_ptr_array_new_with_free_func(g_object_unref);
}

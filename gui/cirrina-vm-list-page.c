/* CirrinaVmListPage: the VM list. */
#include "cirrina-vm-list-page.h"

#include "cirrina-vm-list-model.h"
#include "cirrina-vm-row.h"

struct _CirrinaVmListPage {
    CirrinaClientPage parent_instance;

    CirrinaVmListModel *model;

    /* template */
    GtkStack *stack;
    AdwPreferencesGroup *group;
    GtkListBox *list_box;
};

G_DEFINE_FINAL_TYPE(CirrinaVmListPage, cirrina_vm_list_page, CIRRINA_TYPE_CLIENT_PAGE)

GtkWidget *cirrina_vm_list_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_VM_LIST_PAGE, "client", client, NULL);
}

static GtkWidget *create_row(gpointer item, gpointer user_data)
{
    return cirrina_vm_row_new(CIRRINA_OBJECT(item));
}

/* The empty page when there is nothing to list, and a count otherwise. */
static void on_items_changed(GListModel *model, guint position, guint removed, guint added,
                             gpointer user_data)
{
    CirrinaVmListPage *self = user_data;
    guint n = g_list_model_get_n_items(model);
    g_autofree char *count = g_strdup_printf(g_dngettext(NULL, "%u machine", "%u machines", n), n);

    gtk_stack_set_visible_child_name(self->stack, n > 0 ? "list" : "empty");
    adw_preferences_group_set_description(self->group, count);
}

static void cirrina_vm_list_page_constructed(GObject *object)
{
    CirrinaVmListPage *self = CIRRINA_VM_LIST_PAGE(object);
    CirrinaClient *client = cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self));

    G_OBJECT_CLASS(cirrina_vm_list_page_parent_class)->constructed(object);
    g_return_if_fail(client != NULL);

    self->model = cirrina_vm_list_model_new(client);
    gtk_list_box_bind_model(self->list_box, G_LIST_MODEL(self->model), create_row, NULL, NULL);
    g_signal_connect_object(self->model, "items-changed", G_CALLBACK(on_items_changed), self, 0);
    on_items_changed(G_LIST_MODEL(self->model), 0, 0, 0, self);
}

GListModel *cirrina_vm_list_page_get_model(CirrinaVmListPage *self)
{
    g_return_val_if_fail(CIRRINA_IS_VM_LIST_PAGE(self), NULL);
    return G_LIST_MODEL(self->model);
}

GtkWidget *cirrina_vm_list_page_get_row(CirrinaVmListPage *self, CirrinaObject *vm)
{
    g_return_val_if_fail(CIRRINA_IS_VM_LIST_PAGE(self), NULL);
    int position = cirrina_vm_list_model_find(self->model, vm);
    if (position < 0)
        return NULL;
    return GTK_WIDGET(gtk_list_box_get_row_at_index(self->list_box, position));
}

static void cirrina_vm_list_page_dispose(GObject *object)
{
    CirrinaVmListPage *self = CIRRINA_VM_LIST_PAGE(object);

    /* The template's stack is the bin's child: AdwBin 1.2 would unparent it
     * again after gtk_widget_dispose_template() did (a critical). */
    adw_bin_set_child(ADW_BIN(self), NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_VM_LIST_PAGE);
    g_clear_object(&self->model);
    G_OBJECT_CLASS(cirrina_vm_list_page_parent_class)->dispose(object);
}

static void cirrina_vm_list_page_class_init(CirrinaVmListPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->constructed = cirrina_vm_list_page_constructed;
    object_class->dispose = cirrina_vm_list_page_dispose;

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-vm-list-page.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmListPage, stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmListPage, group);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmListPage, list_box);
}

static void cirrina_vm_list_page_init(CirrinaVmListPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

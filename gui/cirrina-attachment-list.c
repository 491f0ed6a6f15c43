/* CirrinaAttachmentList: a VM's disks or ISOs (see cirrina-attachment-list.h). */
#include "cirrina-attachment-list.h"

/* What differs between the two kinds. */
typedef struct {
    const char *interface;
    const char *title;
    const char *noun;      /* "disk", "ISO" */
    const char *none;      /* the placeholder row */
    const char *none_free; /* the popover when there is nothing to attach */
    guint max;
} KindInfo;

static const KindInfo kinds[] = {
    [CIRRINA_ATTACHMENT_DISK] =
        {
            .interface = "org.cirrina.Disk",
            .title = "Disks",
            .noun = "disk",
            .none = "No disks",
            .none_free = "No free disks. Create one on the Disks page.",
            .max = 16,
        },
    [CIRRINA_ATTACHMENT_ISO] =
        {
            .interface = "org.cirrina.ISO",
            .title = "CD/DVD Images",
            .noun = "ISO",
            .none = "No images",
            .none_free = "No images. Add one on the Images page.",
            .max = 4,
        },
};

struct _CirrinaAttachmentList {
    AdwPreferencesGroup parent_instance;

    CirrinaClient *client;
    CirrinaAttachmentKind kind;
    char *vm_path;
    GPtrArray *paths; /* char *, NULL-terminated */
    GPtrArray *rows;  /* GtkWidget *, the rows shown, in order */
    GtkWidget *placeholder;
    GtkWidget *add_button;
    GtkWidget *popover_list;
    char *error;
    gboolean watching;
};

G_DEFINE_FINAL_TYPE(CirrinaAttachmentList, cirrina_attachment_list, ADW_TYPE_PREFERENCES_GROUP)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const KindInfo *info(CirrinaAttachmentList *self)
{
    return &kinds[self->kind];
}

/* The proxy of the object at path with our interface, or NULL. */
static GDBusProxy *lookup(CirrinaAttachmentList *self, const char *path)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);

    if (manager == NULL)
        return NULL;
    return G_DBUS_PROXY(g_dbus_object_manager_get_interface(manager, path, info(self)->interface));
}

static char *cached_string(GDBusProxy *proxy, const char *name)
{
    g_autoptr(GVariant) v = proxy != NULL ? g_dbus_proxy_get_cached_property(proxy, name) : NULL;
    return v != NULL && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)
               ? g_variant_dup_string(v, NULL)
               : NULL;
}

static guint64 cached_size(GDBusProxy *proxy)
{
    g_autoptr(GVariant) v = proxy != NULL ? g_dbus_proxy_get_cached_property(proxy, "Size") : NULL;
    return v != NULL && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64) ? g_variant_get_uint64(v)
                                                                       : 0;
}

/* "Name" of the object, or a stand-in for one that went away. */
static char *object_name(CirrinaAttachmentList *self, const char *path)
{
    g_autoptr(GDBusProxy) proxy = lookup(self, path);
    char *name = cached_string(proxy, "Name");

    return name != NULL ? name : g_strdup_printf("Missing %s", info(self)->noun);
}

/* "20.0 GiB · virtio-blk" for a disk, "700.0 MiB · /srv/x.iso" for an ISO. */
static char *object_summary(CirrinaAttachmentList *self, const char *path)
{
    g_autoptr(GDBusProxy) proxy = lookup(self, path);
    g_autofree char *size = NULL;
    g_autofree char *detail = NULL;

    if (proxy == NULL)
        return g_strdup(path);
    size = g_format_size_full(cached_size(proxy), G_FORMAT_SIZE_IEC_UNITS);
    detail = cached_string(proxy, self->kind == CIRRINA_ATTACHMENT_DISK ? "Bus" : "Path");
    return detail != NULL && *detail ? g_strdup_printf("%s · %s", size, detail)
                                     : g_steal_pointer(&size);
}

static void emit_changed(CirrinaAttachmentList *self)
{
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void rebuild(CirrinaAttachmentList *self);

static guint row_index(CirrinaAttachmentList *self, GtkWidget *button)
{
    GtkWidget *row = gtk_widget_get_ancestor(button, ADW_TYPE_ACTION_ROW);
    guint index = 0;

    if (row == NULL || !g_ptr_array_find(self->rows, row, &index))
        return G_MAXUINT;
    return index;
}

/* After a move the rows are new: focus goes to the moved item's button that
 * moved it, or its other one at the edge, so pressing again keeps going. */
static void focus_button(CirrinaAttachmentList *self, guint index, const char *name)
{
    if (index >= self->rows->len)
        return;
    GtkWidget *row = self->rows->pdata[index];
    for (GtkWidget *w = gtk_widget_get_first_child(row); w != NULL;) {
        if (GTK_IS_BUTTON(w) && g_strcmp0(gtk_widget_get_name(w), name) == 0 &&
            gtk_widget_get_sensitive(w)) {
            gtk_widget_grab_focus(w);
            return;
        }
        /* depth-first through the row's boxes */
        GtkWidget *next = gtk_widget_get_first_child(w);
        while (next == NULL && w != row) {
            next = gtk_widget_get_next_sibling(w);
            if (next == NULL)
                w = gtk_widget_get_parent(w);
        }
        w = next;
        if (w == row)
            break;
    }
    gtk_widget_grab_focus(row);
}

static void on_up_clicked(GtkButton *button, gpointer user_data)
{
    CirrinaAttachmentList *self = user_data;
    guint index = row_index(self, GTK_WIDGET(button));

    if (index == G_MAXUINT || index == 0)
        return;
    cirrina_attachment_list_move(self, index, -1);
    focus_button(self, index - 1, index - 1 == 0 ? "down" : "up");
}

static void on_down_clicked(GtkButton *button, gpointer user_data)
{
    CirrinaAttachmentList *self = user_data;
    guint index = row_index(self, GTK_WIDGET(button));

    if (index == G_MAXUINT || index + 1 >= self->rows->len)
        return;
    cirrina_attachment_list_move(self, index, 1);
    focus_button(self, index + 1, index + 2 == self->rows->len ? "up" : "down");
}

static void on_remove_clicked(GtkButton *button, gpointer user_data)
{
    CirrinaAttachmentList *self = user_data;
    guint index = row_index(self, GTK_WIDGET(button));

    if (index == G_MAXUINT)
        return;
    cirrina_attachment_list_detach(self, index);
    if (self->rows->len > 0)
        focus_button(self, MIN(index, self->rows->len - 1), "remove");
    else
        gtk_widget_grab_focus(self->add_button);
}

static GtkWidget *row_button(CirrinaAttachmentList *self, const char *icon, const char *name,
                             const char *label, GCallback callback)
{
    GtkWidget *button = gtk_button_new_from_icon_name(icon);

    gtk_widget_set_name(button, name);
    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(button, "flat");
    gtk_widget_set_tooltip_text(button, label);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                   -1);
    g_signal_connect(button, "clicked", callback, self);
    return button;
}

static GtkWidget *new_row(CirrinaAttachmentList *self, guint index)
{
    const char *path = self->paths->pdata[index];
    g_autofree char *name = object_name(self, path);
    g_autofree char *summary = object_summary(self, path);
    g_autofree char *up = g_strdup_printf("Move %s up", name);
    g_autofree char *down = g_strdup_printf("Move %s down", name);
    g_autofree char *remove = g_strdup_printf("Detach %s", name);
    GtkWidget *row = adw_action_row_new();
    GtkWidget *button;

    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), summary);
    adw_action_row_add_prefix(ADW_ACTION_ROW(row),
                              gtk_image_new_from_icon_name(self->kind == CIRRINA_ATTACHMENT_DISK
                                                               ? "drive-harddisk-symbolic"
                                                               : "media-optical-symbolic"));

    button = row_button(self, "go-up-symbolic", "up", up, G_CALLBACK(on_up_clicked));
    gtk_widget_set_sensitive(button, index > 0);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), button);
    button = row_button(self, "go-down-symbolic", "down", down, G_CALLBACK(on_down_clicked));
    /* paths ends with its NULL: len - 1 items */
    gtk_widget_set_sensitive(button, index + 2 < self->paths->len);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), button);
    button =
        row_button(self, "list-remove-symbolic", "remove", remove, G_CALLBACK(on_remove_clicked));
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), button);
    return row;
}

static guint n_items(CirrinaAttachmentList *self)
{
    return self->paths->len - 1;
}

static void update_description(CirrinaAttachmentList *self)
{
    g_autofree char *markup = NULL;

    if (self->error != NULL)
        markup = g_markup_printf_escaped("<span foreground=\"#e01b24\">%s</span>", self->error);
    adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self), markup);
}

static void rebuild(CirrinaAttachmentList *self)
{
    for (guint i = 0; i < self->rows->len; i++)
        adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self), self->rows->pdata[i]);
    g_ptr_array_set_size(self->rows, 0);
    for (guint i = 0; i < n_items(self); i++) {
        GtkWidget *row = new_row(self, i);
        g_ptr_array_add(self->rows, row);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(self), row);
    }
    gtk_widget_set_visible(self->placeholder, n_items(self) == 0);
    gtk_widget_set_sensitive(self->add_button, n_items(self) < info(self)->max);
}

static void set_paths(CirrinaAttachmentList *self, const char *const *paths)
{
    g_ptr_array_set_size(self->paths, 0);
    for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
        g_ptr_array_add(self->paths, g_strdup(paths[i]));
    g_ptr_array_add(self->paths, NULL);
}

void cirrina_attachment_list_set_paths(CirrinaAttachmentList *self, const char *const *paths)
{
    g_return_if_fail(CIRRINA_IS_ATTACHMENT_LIST(self));
    set_paths(self, paths);
    rebuild(self);
}

const char *const *cirrina_attachment_list_get_paths(CirrinaAttachmentList *self)
{
    return (const char *const *)self->paths->pdata;
}

GVariant *cirrina_attachment_list_get_value(CirrinaAttachmentList *self)
{
    return g_variant_new_objv((const char *const *)self->paths->pdata, n_items(self));
}

void cirrina_attachment_list_set_vm_path(CirrinaAttachmentList *self, const char *vm_path)
{
    g_free(self->vm_path);
    self->vm_path = g_strdup(vm_path);
}

void cirrina_attachment_list_set_error(CirrinaAttachmentList *self, const char *message)
{
    if (g_strcmp0(self->error, message) == 0)
        return;
    g_free(self->error);
    self->error = g_strdup(message);
    update_description(self);
}

static gboolean contains(CirrinaAttachmentList *self, const char *path)
{
    for (guint i = 0; i < n_items(self); i++)
        if (g_strcmp0(self->paths->pdata[i], path) == 0)
            return TRUE;
    return FALSE;
}

void cirrina_attachment_list_attach(CirrinaAttachmentList *self, const char *path)
{
    g_return_if_fail(CIRRINA_IS_ATTACHMENT_LIST(self));
    if (contains(self, path))
        return;
    g_ptr_array_insert(self->paths, n_items(self), g_strdup(path));
    rebuild(self);
    emit_changed(self);
}

void cirrina_attachment_list_detach(CirrinaAttachmentList *self, guint index)
{
    g_return_if_fail(CIRRINA_IS_ATTACHMENT_LIST(self));
    if (index >= n_items(self))
        return;
    g_ptr_array_remove_index(self->paths, index);
    rebuild(self);
    emit_changed(self);
}

void cirrina_attachment_list_move(CirrinaAttachmentList *self, guint index, int delta)
{
    g_return_if_fail(CIRRINA_IS_ATTACHMENT_LIST(self));
    gint64 to = (gint64)index + delta;
    if (index >= n_items(self) || to < 0 || to >= n_items(self))
        return;
    gpointer item = self->paths->pdata[index];
    self->paths->pdata[index] = self->paths->pdata[to];
    self->paths->pdata[to] = item;
    rebuild(self);
    emit_changed(self);
}

/* --- the "Attach" popover --- */

/* Disks used by another VM cannot be attached (a disk has one VM); ISOs can
 * be shared. */
static gboolean is_free(CirrinaAttachmentList *self, GDBusProxy *proxy)
{
    g_autofree char *owner = NULL;

    if (contains(self, g_dbus_proxy_get_object_path(proxy)))
        return FALSE;
    if (self->kind != CIRRINA_ATTACHMENT_DISK)
        return TRUE;
    g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, "AttachedTo");
    if (v == NULL)
        return TRUE;
    const char *attached = g_variant_get_string(v, NULL);
    return g_strcmp0(attached, "/") == 0 || g_strcmp0(attached, self->vm_path) == 0;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    GDBusProxy *pa = *(GDBusProxy **)a, *pb = *(GDBusProxy **)b;
    g_autofree char *na = cached_string(pa, "Name");
    g_autofree char *nb = cached_string(pb, "Name");
    return g_strcmp0(na, nb);
}

static void on_candidate_activated(GtkListBox *box, GtkListBoxRow *row, gpointer user_data)
{
    CirrinaAttachmentList *self = user_data;
    const char *path = g_object_get_data(G_OBJECT(row), "object-path");

    gtk_menu_button_popdown(GTK_MENU_BUTTON(self->add_button));
    if (path != NULL)
        cirrina_attachment_list_attach(self, path);
}

static void fill_popover(CirrinaAttachmentList *self)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);
    g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func(g_object_unref);
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child(self->popover_list)) != NULL)
        gtk_list_box_remove(GTK_LIST_BOX(self->popover_list), child);

    GList *objects = manager != NULL ? g_dbus_object_manager_get_objects(manager) : NULL;
    for (GList *l = objects; l != NULL; l = l->next) {
        GDBusInterface *iface = g_dbus_object_get_interface(l->data, info(self)->interface);
        if (iface != NULL && is_free(self, G_DBUS_PROXY(iface)))
            g_ptr_array_add(candidates, iface);
        else
            g_clear_object(&iface);
    }
    g_list_free_full(objects, g_object_unref);
    g_ptr_array_sort(candidates, compare_names);

    for (guint i = 0; i < candidates->len; i++) {
        const char *path = g_dbus_proxy_get_object_path(candidates->pdata[i]);
        g_autofree char *name = object_name(self, path);
        g_autofree char *summary = object_summary(self, path);
        GtkWidget *row = adw_action_row_new();
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), summary);
        gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
        g_object_set_data_full(G_OBJECT(row), "object-path", g_strdup(path), g_free);
        gtk_list_box_append(GTK_LIST_BOX(self->popover_list), row);
    }
    if (candidates->len == 0) {
        GtkWidget *label = gtk_label_new(info(self)->none_free);
        gtk_label_set_wrap(GTK_LABEL(label), TRUE);
        gtk_label_set_max_width_chars(GTK_LABEL(label), 30);
        gtk_widget_add_css_class(label, "dim-label");
        gtk_widget_set_margin_top(label, 12);
        gtk_widget_set_margin_bottom(label, 12);
        gtk_widget_set_margin_start(label, 12);
        gtk_widget_set_margin_end(label, 12);
        gtk_list_box_append(GTK_LIST_BOX(self->popover_list), label);
        gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(gtk_widget_get_parent(label)), FALSE);
    }
}

static void on_popover_show(GtkWidget *popover, gpointer user_data)
{
    fill_popover(user_data);
}

/* Names and sizes follow the objects: a renamed disk, a removed ISO. */
static void on_objects_changed(CirrinaAttachmentList *self)
{
    if (n_items(self) > 0)
        rebuild(self);
}

static void on_object_added_or_removed(CirrinaClient *client, CirrinaObject *object,
                                       gpointer user_data)
{
    CirrinaAttachmentList *self = user_data;

    if (contains(self, g_dbus_object_get_object_path(G_DBUS_OBJECT(object))))
        on_objects_changed(self);
}

static void on_proxy_properties_changed(GDBusObjectManagerClient *manager, GDBusObjectProxy *object,
                                        GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                                        gpointer user_data)
{
    CirrinaAttachmentList *self = user_data;

    if (g_strcmp0(g_dbus_proxy_get_interface_name(proxy), info(self)->interface) == 0 &&
        contains(self, g_dbus_proxy_get_object_path(proxy)))
        on_objects_changed(self);
}

static void watch_manager(CirrinaAttachmentList *self)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);

    /* The client makes its object manager once, when the bus is open. */
    if (manager == NULL || self->watching)
        return;
    self->watching = TRUE;
    g_signal_connect_object(manager, "interface-proxy-properties-changed",
                            G_CALLBACK(on_proxy_properties_changed), self, 0);
}

CirrinaAttachmentList *cirrina_attachment_list_new(CirrinaClient *client,
                                                   CirrinaAttachmentKind kind)
{
    CirrinaAttachmentList *self = g_object_new(CIRRINA_TYPE_ATTACHMENT_LIST, NULL);
    const KindInfo *k = &kinds[kind];
    g_autofree char *attach = g_strdup_printf("Attach %s", k->noun);

    self->client = g_object_ref(client);
    self->kind = kind;
    adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(self), k->title);
    gtk_widget_set_tooltip_text(self->add_button, attach);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->add_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   attach, -1);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->placeholder), k->none);

    g_signal_connect_object(client, "object-added", G_CALLBACK(on_object_added_or_removed), self,
                            0);
    g_signal_connect_object(client, "object-removed", G_CALLBACK(on_object_added_or_removed), self,
                            0);
    g_signal_connect_object(client, "notify::connected", G_CALLBACK(watch_manager), self,
                            G_CONNECT_SWAPPED);
    watch_manager(self);
    rebuild(self);
    return self;
}

static void cirrina_attachment_list_dispose(GObject *object)
{
    CirrinaAttachmentList *self = CIRRINA_ATTACHMENT_LIST(object);

    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_attachment_list_parent_class)->dispose(object);
}

static void cirrina_attachment_list_finalize(GObject *object)
{
    CirrinaAttachmentList *self = CIRRINA_ATTACHMENT_LIST(object);

    g_ptr_array_unref(self->paths);
    g_ptr_array_unref(self->rows);
    g_free(self->vm_path);
    g_free(self->error);
    G_OBJECT_CLASS(cirrina_attachment_list_parent_class)->finalize(object);
}

static void cirrina_attachment_list_class_init(CirrinaAttachmentListClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = cirrina_attachment_list_dispose;
    object_class->finalize = cirrina_attachment_list_finalize;

    /* changed: the user attached, detached or moved something. */
    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void cirrina_attachment_list_init(CirrinaAttachmentList *self)
{
    GtkWidget *popover = gtk_popover_new();
    GtkWidget *scrolled = gtk_scrolled_window_new();

    self->paths = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(self->paths, NULL);
    self->rows = g_ptr_array_new();

    self->placeholder = adw_action_row_new();
    gtk_widget_add_css_class(self->placeholder, "dim-label");
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(self), self->placeholder);

    self->popover_list = gtk_list_box_new();
    gtk_list_box_set_selection_mode(GTK_LIST_BOX(self->popover_list), GTK_SELECTION_NONE);
    gtk_widget_add_css_class(self->popover_list, "boxed-list");
    g_signal_connect(self->popover_list, "row-activated", G_CALLBACK(on_candidate_activated), self);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scrolled), GTK_POLICY_NEVER,
                                   GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_propagate_natural_height(GTK_SCROLLED_WINDOW(scrolled), TRUE);
    gtk_scrolled_window_set_max_content_height(GTK_SCROLLED_WINDOW(scrolled), 360);
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scrolled), self->popover_list);
    gtk_widget_set_size_request(scrolled, 280, -1);
    gtk_popover_set_child(GTK_POPOVER(popover), scrolled);
    g_signal_connect(popover, "show", G_CALLBACK(on_popover_show), self);

    self->add_button = gtk_menu_button_new();
    gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(self->add_button), "list-add-symbolic");
    gtk_menu_button_set_popover(GTK_MENU_BUTTON(self->add_button), popover);
    gtk_widget_add_css_class(self->add_button, "flat");
    gtk_widget_set_valign(self->add_button, GTK_ALIGN_CENTER);
    adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(self), self->add_button);
}

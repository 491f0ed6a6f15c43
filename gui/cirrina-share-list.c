/* CirrinaShareList: a VM's shared folders (see cirrina-share-list.h). */
#include "cirrina-share-list.h"

#include "cirrina-entry-row.h"

#define MAX_SHARES 8

typedef struct {
    char *name;
    char *path;
    gboolean read_only;
} Share;

struct _CirrinaShareList {
    AdwPreferencesGroup parent_instance;

    GArray *shares;  /* Share */
    GPtrArray *rows; /* the rows shown, in order */
    GtkWidget *placeholder;
    GtkWidget *add_button;
    GtkWidget *name_entry;
    GtkWidget *path_entry;
    GtkWidget *read_only_switch;
    GtkWidget *confirm_button;
    char *error;
};

G_DEFINE_FINAL_TYPE(CirrinaShareList, cirrina_share_list, ADW_TYPE_PREFERENCES_GROUP)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void share_clear(Share *share)
{
    g_free(share->name);
    g_free(share->path);
}

static void on_remove_clicked(GtkButton *button, gpointer user_data)
{
    CirrinaShareList *self = user_data;
    GtkWidget *row = gtk_widget_get_ancestor(GTK_WIDGET(button), ADW_TYPE_ACTION_ROW);
    guint index;

    if (row != NULL && g_ptr_array_find(self->rows, row, &index)) {
        cirrina_share_list_remove(self, index);
        /* the focus goes on to what is left: the next row, or Add */
        if (self->rows->len > 0)
            gtk_widget_grab_focus(self->rows->pdata[MIN(index, self->rows->len - 1)]);
        else
            gtk_widget_grab_focus(self->add_button);
    }
}

static GtkWidget *new_row(CirrinaShareList *self, const Share *share)
{
    GtkWidget *row = adw_action_row_new();
    g_autofree char *subtitle =
        g_strdup_printf("%s%s", share->path, share->read_only ? " · read-only" : "");
    g_autofree char *remove = g_strdup_printf("Remove share %s", share->name);
    GtkWidget *button = gtk_button_new_from_icon_name("list-remove-symbolic");

    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), share->name);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    adw_action_row_add_prefix(ADW_ACTION_ROW(row), gtk_image_new_from_icon_name("folder-symbolic"));
    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(button, "flat");
    gtk_widget_set_tooltip_text(button, remove);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, remove,
                                   -1);
    g_signal_connect(button, "clicked", G_CALLBACK(on_remove_clicked), self);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), button);
    return row;
}

static void rebuild(CirrinaShareList *self)
{
    for (guint i = 0; i < self->rows->len; i++)
        adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self), self->rows->pdata[i]);
    g_ptr_array_set_size(self->rows, 0);
    for (guint i = 0; i < self->shares->len; i++) {
        GtkWidget *row = new_row(self, &g_array_index(self->shares, Share, i));
        g_ptr_array_add(self->rows, row);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(self), row);
    }
    gtk_widget_set_visible(self->placeholder, self->shares->len == 0);
    gtk_widget_set_sensitive(self->add_button, self->shares->len < MAX_SHARES);
}

void cirrina_share_list_set_value(CirrinaShareList *self, GVariant *shares)
{
    g_return_if_fail(CIRRINA_IS_SHARE_LIST(self));
    g_autoptr(GVariant) owned = shares != NULL ? g_variant_ref_sink(shares) : NULL;
    GVariantIter iter;
    const char *name, *path;
    gboolean read_only;

    g_array_set_size(self->shares, 0);
    if (owned != NULL && g_variant_is_of_type(owned, G_VARIANT_TYPE("a(ssb)"))) {
        g_variant_iter_init(&iter, owned);
        while (g_variant_iter_next(&iter, "(&s&sb)", &name, &path, &read_only)) {
            Share share = {g_strdup(name), g_strdup(path), read_only};
            g_array_append_val(self->shares, share);
        }
    }
    rebuild(self);
}

GVariant *cirrina_share_list_get_value(CirrinaShareList *self)
{
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(ssb)"));
    for (guint i = 0; i < self->shares->len; i++) {
        Share *share = &g_array_index(self->shares, Share, i);
        g_variant_builder_add(&builder, "(ssb)", share->name, share->path, share->read_only);
    }
    return g_variant_builder_end(&builder);
}

void cirrina_share_list_set_error(CirrinaShareList *self, const char *message)
{
    g_autofree char *markup = NULL;

    g_free(self->error);
    self->error = g_strdup(message);
    if (message != NULL)
        markup = g_markup_printf_escaped("<span foreground=\"#e01b24\">%s</span>", message);
    adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self), markup);
}

void cirrina_share_list_add(CirrinaShareList *self, const char *name, const char *path,
                            gboolean read_only)
{
    g_return_if_fail(CIRRINA_IS_SHARE_LIST(self));
    Share share = {g_strdup(name), g_strdup(path), read_only};

    g_array_append_val(self->shares, share);
    rebuild(self);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void cirrina_share_list_remove(CirrinaShareList *self, guint index)
{
    g_return_if_fail(CIRRINA_IS_SHARE_LIST(self));
    if (index >= self->shares->len)
        return;
    g_array_remove_index(self->shares, index);
    rebuild(self);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/* --- the "Add" popover --- */

static void update_confirm(CirrinaShareList *self)
{
    gtk_widget_set_sensitive(self->confirm_button,
                             *gtk_editable_get_text(GTK_EDITABLE(self->name_entry)) &&
                                 *gtk_editable_get_text(GTK_EDITABLE(self->path_entry)));
}

static void on_entry_changed(GtkEditable *editable, gpointer user_data)
{
    update_confirm(user_data);
}

static void on_confirm(GtkWidget *widget, gpointer user_data)
{
    CirrinaShareList *self = user_data;
    const char *name = gtk_editable_get_text(GTK_EDITABLE(self->name_entry));
    const char *path = gtk_editable_get_text(GTK_EDITABLE(self->path_entry));

    if (!*name || !*path)
        return;
    cirrina_share_list_add(self, name, path,
                           gtk_switch_get_active(GTK_SWITCH(self->read_only_switch)));
    gtk_menu_button_popdown(GTK_MENU_BUTTON(self->add_button));
}

static void on_popover_show(GtkWidget *popover, gpointer user_data)
{
    CirrinaShareList *self = user_data;

    gtk_editable_set_text(GTK_EDITABLE(self->name_entry), "");
    gtk_editable_set_text(GTK_EDITABLE(self->path_entry), "");
    gtk_switch_set_active(GTK_SWITCH(self->read_only_switch), FALSE);
    update_confirm(self);
    gtk_widget_grab_focus(self->name_entry);
}

static GtkWidget *build_popover(CirrinaShareList *self)
{
    GtkWidget *popover = gtk_popover_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
    GtkWidget *list = gtk_list_box_new();
    GtkWidget *read_only_row = adw_action_row_new();

    gtk_list_box_set_selection_mode(GTK_LIST_BOX(list), GTK_SELECTION_NONE);
    gtk_widget_add_css_class(list, "boxed-list");

    self->name_entry = cirrina_entry_row_new("Name in the Guest");
    self->path_entry = cirrina_entry_row_new("Folder on the Host");
    gtk_widget_set_tooltip_text(self->path_entry, "An absolute path on cirrinad's host");
    g_signal_connect(self->name_entry, "changed", G_CALLBACK(on_entry_changed), self);
    g_signal_connect(self->path_entry, "changed", G_CALLBACK(on_entry_changed), self);
    g_signal_connect(self->name_entry, "entry-activated", G_CALLBACK(on_confirm), self);
    g_signal_connect(self->path_entry, "entry-activated", G_CALLBACK(on_confirm), self);

    self->read_only_switch = gtk_switch_new();
    gtk_widget_set_valign(self->read_only_switch, GTK_ALIGN_CENTER);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(read_only_row), "Read-Only");
    adw_action_row_add_suffix(ADW_ACTION_ROW(read_only_row), self->read_only_switch);
    adw_action_row_set_activatable_widget(ADW_ACTION_ROW(read_only_row), self->read_only_switch);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->read_only_switch),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL, "Read-Only", -1);

    gtk_list_box_append(GTK_LIST_BOX(list), self->name_entry);
    gtk_list_box_append(GTK_LIST_BOX(list), self->path_entry);
    gtk_list_box_append(GTK_LIST_BOX(list), read_only_row);
    gtk_widget_set_size_request(list, 320, -1);

    self->confirm_button = gtk_button_new_with_mnemonic("_Add Share");
    gtk_widget_add_css_class(self->confirm_button, "suggested-action");
    gtk_widget_set_halign(self->confirm_button, GTK_ALIGN_END);
    g_signal_connect(self->confirm_button, "clicked", G_CALLBACK(on_confirm), self);

    gtk_box_append(GTK_BOX(box), list);
    gtk_box_append(GTK_BOX(box), self->confirm_button);
    gtk_popover_set_child(GTK_POPOVER(popover), box);
    g_signal_connect(popover, "show", G_CALLBACK(on_popover_show), self);
    return popover;
}

CirrinaShareList *cirrina_share_list_new(void)
{
    return g_object_new(CIRRINA_TYPE_SHARE_LIST, NULL);
}

static void cirrina_share_list_finalize(GObject *object)
{
    CirrinaShareList *self = CIRRINA_SHARE_LIST(object);

    g_array_unref(self->shares);
    g_ptr_array_unref(self->rows);
    g_free(self->error);
    G_OBJECT_CLASS(cirrina_share_list_parent_class)->finalize(object);
}

static void cirrina_share_list_class_init(CirrinaShareListClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->finalize = cirrina_share_list_finalize;

    /* changed: the user added or removed a share. */
    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void cirrina_share_list_init(CirrinaShareList *self)
{
    self->shares = g_array_new(FALSE, TRUE, sizeof(Share));
    g_array_set_clear_func(self->shares, (GDestroyNotify)share_clear);
    self->rows = g_ptr_array_new();

    adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(self), "Shared Folders");
    self->placeholder = adw_action_row_new();
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->placeholder), "No shared folders");
    gtk_widget_add_css_class(self->placeholder, "dim-label");
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(self), self->placeholder);

    self->add_button = gtk_menu_button_new();
    gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(self->add_button), "list-add-symbolic");
    gtk_menu_button_set_popover(GTK_MENU_BUTTON(self->add_button), build_popover(self));
    gtk_widget_add_css_class(self->add_button, "flat");
    gtk_widget_set_valign(self->add_button, GTK_ALIGN_CENTER);
    gtk_widget_set_tooltip_text(self->add_button, "Share a folder");
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->add_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Share a folder", -1);
    adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(self), self->add_button);
}

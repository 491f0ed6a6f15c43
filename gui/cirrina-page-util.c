/* Helpers shared by the storage and network pages. */
#include "cirrina-page-util.h"

#include "cirrina-window.h"

static CirrinaWindow *page_window(GtkWidget *page)
{
    GtkRoot *root = gtk_widget_get_root(page);

    /* A dialog of the page: its transient parent is the window. */
    if (GTK_IS_WINDOW(root) && !CIRRINA_IS_WINDOW(root))
        root = GTK_ROOT(gtk_window_get_transient_for(GTK_WINDOW(root)));
    return CIRRINA_IS_WINDOW(root) ? CIRRINA_WINDOW(root) : NULL;
}

void cirrina_page_show_error(GtkWidget *page, const char *what, const GError *error)
{
    CirrinaWindow *window = page_window(page);

    if (window != NULL)
        cirrina_window_show_error(window, what, error);
    else
        g_warning("%s: %s", what, error->message);
}

void cirrina_page_show_toast(GtkWidget *page, const char *message)
{
    CirrinaWindow *window = page_window(page);

    if (window != NULL)
        cirrina_window_show_toast(window, message);
    else
        g_message("%s", message);
}

GtkWidget *cirrina_icon_button_new(const char *icon_name, const char *label, const char *action,
                                   GVariant *target)
{
    GtkWidget *button = gtk_button_new_from_icon_name(icon_name);

    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(button, "flat");
    gtk_widget_set_tooltip_text(button, label);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                   -1);
    gtk_actionable_set_action_name(GTK_ACTIONABLE(button), action);
    if (target != NULL)
        gtk_actionable_set_action_target_value(GTK_ACTIONABLE(button), target);
    return button;
}

void cirrina_row_add_delete_shortcut(GtkWidget *row, const char *action, const char *path)
{
    GtkEventController *controller = gtk_shortcut_controller_new();
    GtkShortcut *shortcut =
        gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_Delete, 0), gtk_named_action_new(action));

    gtk_shortcut_set_arguments(shortcut, g_variant_new_string(path));
    gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(controller), shortcut);
    gtk_widget_add_controller(row, controller);
}

typedef struct {
    GtkWidget *page;
    CirrinaConfirmedFunc confirmed;
    gpointer user_data;
    GDestroyNotify destroy;
} Confirmation;

static void confirmation_free(Confirmation *c)
{
    if (c->destroy != NULL)
        c->destroy(c->user_data);
    g_object_unref(c->page);
    g_free(c);
}

static void on_confirm_response(AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
    Confirmation *c = user_data;

    if (g_strcmp0(response, "confirm") == 0)
        c->confirmed(c->page, c->user_data);
}

AdwMessageDialog *cirrina_confirm_destructive(GtkWidget *page, const char *heading,
                                              const char *body, const char *confirm_label,
                                              CirrinaConfirmedFunc confirmed, gpointer user_data,
                                              GDestroyNotify destroy)
{
    GtkRoot *root = gtk_widget_get_root(page);
    GtkWidget *dialog =
        adw_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, heading, body);
    Confirmation *c = g_new0(Confirmation, 1);

    c->page = g_object_ref(page);
    c->confirmed = confirmed;
    c->user_data = user_data;
    c->destroy = destroy;
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", "_Cancel", "confirm",
                                     confirm_label, NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "confirm",
                                               ADW_RESPONSE_DESTRUCTIVE);
    /* Enter must not destroy anything: the safe answer is the default. */
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    g_signal_connect_data(dialog, "response", G_CALLBACK(on_confirm_response), c,
                          (GClosureNotify)(void (*)(void))confirmation_free, 0);
    gtk_window_present(GTK_WINDOW(dialog));
    return ADW_MESSAGE_DIALOG(dialog);
}

AdwComboRow *cirrina_combo_row_new(const char *title, const char *const *choices,
                                   const char *selected)
{
    GtkStringList *model = gtk_string_list_new(choices);
    AdwComboRow *row = ADW_COMBO_ROW(adw_combo_row_new());

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_combo_row_set_model(row, G_LIST_MODEL(model));
    for (guint i = 0; choices != NULL && choices[i] != NULL; i++) {
        if (g_strcmp0(choices[i], selected) == 0)
            adw_combo_row_set_selected(row, i);
    }
    g_object_unref(model);
    return row;
}

const char *cirrina_combo_row_get_string(AdwComboRow *row)
{
    GObject *item = adw_combo_row_get_selected_item(row);

    return GTK_IS_STRING_OBJECT(item) ? gtk_string_object_get_string(GTK_STRING_OBJECT(item))
                                      : NULL;
}

AdwActionRow *cirrina_switch_row_new(const char *title, const char *subtitle, gboolean active)
{
    AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
    GtkWidget *toggle = gtk_switch_new();

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    if (subtitle != NULL)
        adw_action_row_set_subtitle(row, subtitle);
    gtk_switch_set_active(GTK_SWITCH(toggle), active);
    gtk_widget_set_valign(toggle, GTK_ALIGN_CENTER);
    /* The switch is named by its row, for screen readers. */
    gtk_accessible_update_property(GTK_ACCESSIBLE(toggle), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                   -1);
    adw_action_row_add_suffix(row, toggle);
    adw_action_row_set_activatable_widget(row, toggle);
    g_object_set_data(G_OBJECT(row), "cirrina-switch", toggle);
    return row;
}

gboolean cirrina_switch_row_get_active(AdwActionRow *row)
{
    GtkSwitch *toggle = g_object_get_data(G_OBJECT(row), "cirrina-switch");

    return toggle != NULL && gtk_switch_get_active(toggle);
}

#define NAME_MAX_LENGTH 64

char *cirrina_name_from_file(GFile *file, const char *prefix)
{
    g_autofree char *base = g_file_get_basename(file);
    GString *name = g_string_new(NULL);
    char *dot;

    if (base == NULL)
        base = g_strdup("");
    dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        *dot = '\0';
    for (const char *p = base; *p != '\0' && name->len < NAME_MAX_LENGTH; p++) {
        char c = *p;
        if (g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-')
            g_string_append_c(name, c);
        else if (name->len > 0 && name->str[name->len - 1] != '-')
            g_string_append_c(name, '-'); /* spaces and the like */
    }
    /* Led by a letter or digit. */
    while (name->len > 0 && !g_ascii_isalnum(name->str[0]))
        g_string_erase(name, 0, 1);
    while (name->len > 0 && name->str[name->len - 1] == '-')
        g_string_truncate(name, name->len - 1);
    if (name->len == 0)
        g_string_assign(name, prefix);
    return g_string_free(name, FALSE);
}

char *cirrina_unique_name(const char *name, CirrinaNameTakenFunc taken, gpointer user_data)
{
    if (!taken(name, user_data))
        return g_strdup(name);
    for (guint n = 2;; n++) {
        g_autofree char *suffix = g_strdup_printf("-%u", n);
        /* The suffix must fit in the name's 64 characters. */
        g_autofree char *stem = g_strndup(name, NAME_MAX_LENGTH - strlen(suffix));
        char *candidate = g_strconcat(stem, suffix, NULL);
        if (!taken(candidate, user_data))
            return candidate;
        g_free(candidate);
    }
}

char *cirrina_format_size(guint64 bytes)
{
    static const struct {
        guint64 factor;
        const char *unit;
    } units[] = {
        {G_GUINT64_CONSTANT(1) << 40, "TiB"},
        {G_GUINT64_CONSTANT(1) << 30, "GiB"},
        {G_GUINT64_CONSTANT(1) << 20, "MiB"},
    };

    /* Whole sizes as they were typed ("20 GiB", not "20.0 GiB"). */
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (bytes >= units[i].factor && bytes % units[i].factor == 0)
            return g_strdup_printf("%" G_GUINT64_FORMAT " %s", bytes / units[i].factor,
                                   units[i].unit);
    }
    return g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
}

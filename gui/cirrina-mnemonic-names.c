/* Buttons named without their mnemonic underscore (see cirrina-mnemonic-names.h).
 *
 * Done from an emission hook on GtkWidget::map rather than button by
 * button: libadwaita makes some of these buttons itself (AdwMessageDialog's
 * responses) and offers no way to reach them. */
#include "cirrina-mnemonic-names.h"

#define WATCHED "cirrina-mnemonic-name-watched"

char *cirrina_mnemonic_strip(const char *label)
{
    GString *text = g_string_new(NULL);

    for (const char *p = label; *p != '\0'; p++) {
        if (*p == '_') {
            if (p[1] != '_')
                continue;
            p++; /* "__" is one underscore */
        }
        g_string_append_c(text, *p);
    }
    return g_string_free(text, FALSE);
}

/* The mnemonic label of a button or check button, or NULL. */
static const char *mnemonic_label(GtkWidget *widget)
{
    if (GTK_IS_BUTTON(widget) && gtk_button_get_use_underline(GTK_BUTTON(widget)))
        return gtk_button_get_label(GTK_BUTTON(widget));
    if (GTK_IS_CHECK_BUTTON(widget) && gtk_check_button_get_use_underline(GTK_CHECK_BUTTON(widget)))
        return gtk_check_button_get_label(GTK_CHECK_BUTTON(widget));
    return NULL;
}

/* Also after GTK's own update: notify comes when set_label() is done. */
static void name_after_label(GtkWidget *widget)
{
    const char *label = mnemonic_label(widget);
    g_autofree char *text = NULL;

    if (label == NULL)
        return;
    text = cirrina_mnemonic_strip(label);
    gtk_accessible_update_property(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
    gtk_accessible_reset_relation(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static gboolean on_map(GSignalInvocationHint *hint, guint n_params, const GValue *params,
                       gpointer user_data)
{
    GtkWidget *widget = g_value_get_object(&params[0]);

    if (!GTK_IS_BUTTON(widget) && !GTK_IS_CHECK_BUTTON(widget))
        return TRUE;
    if (g_object_get_data(G_OBJECT(widget), WATCHED) == NULL) {
        g_object_set_data(G_OBJECT(widget), WATCHED, GINT_TO_POINTER(1));
        g_signal_connect(widget, "notify::label", G_CALLBACK(name_after_label), NULL);
        g_signal_connect(widget, "notify::use-underline", G_CALLBACK(name_after_label), NULL);
    }
    name_after_label(widget);
    return TRUE; /* stay installed */
}

void cirrina_mnemonic_names_install(void)
{
    static gsize installed;

    if (g_once_init_enter(&installed)) {
        /* The signal exists once the class does (no widget made yet). */
        gpointer widget_class = g_type_class_ref(GTK_TYPE_WIDGET);

        g_signal_add_emission_hook(g_signal_lookup("map", GTK_TYPE_WIDGET), 0, on_map, NULL, NULL);
        g_type_class_unref(widget_class);
        g_once_init_leave(&installed, 1);
    }
}

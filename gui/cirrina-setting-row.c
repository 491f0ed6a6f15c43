/* CirrinaSetting: a row bound to one property (see cirrina-setting-row.h). */
#include "cirrina-setting-row.h"

#include "cirrina-entry-row.h"

#include <errno.h>
#include <stdlib.h>

struct _CirrinaSetting {
    const CirrinaSettingSpec *spec;
    GtkWidget *row;        /* owned: a reference held until free */
    GtkWidget *editor;     /* the row or a child of it */
    GtkWidget *accessible; /* what a screen reader reads: the editor, an entry row's entry */
    CirrinaSettingChanged changed;
    gpointer user_data;
    gboolean loading; /* set_value() at work: no callback */
    char *error;
};

const CirrinaSettingSpec *cirrina_setting_get_spec(CirrinaSetting *self)
{
    return self->spec;
}

GtkWidget *cirrina_setting_get_row(CirrinaSetting *self)
{
    return self->row;
}

GtkWidget *cirrina_setting_get_editor(CirrinaSetting *self)
{
    return self->editor;
}

const char *cirrina_setting_get_error(CirrinaSetting *self)
{
    return self->error;
}

static void emit_changed(CirrinaSetting *self)
{
    if (!self->loading && self->changed != NULL)
        self->changed(self, self->user_data);
}

static void on_editable_changed(GtkEditable *editable, gpointer user_data)
{
    emit_changed(user_data);
}

static void on_notify(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    emit_changed(user_data);
}

/* The number typed so far, when it is one: the Apply button follows typing,
 * not only the spin button's own update on Enter or focus-out. */
static gboolean spin_read(GtkSpinButton *spin, double *out)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(spin));
    char *end = NULL;

    while (g_ascii_isspace(*text))
        text++;
    if (*text == '\0' || *text == '-')
        return FALSE;
    errno = 0;
    guint64 n = g_ascii_strtoull(text, &end, 10);
    while (end != NULL && g_ascii_isspace(*end))
        end++;
    if (errno != 0 || end == NULL || *end != '\0')
        return FALSE;
    *out = (double)n;
    return TRUE;
}

static GtkWidget *new_action_row(CirrinaSetting *self, GtkWidget *control)
{
    GtkWidget *row = adw_action_row_new();

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), self->spec->title);
    if (self->spec->subtitle != NULL)
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), self->spec->subtitle);
    gtk_widget_set_valign(control, GTK_ALIGN_CENTER);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), control);
    adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), control);
    return row;
}

static void build_spin(CirrinaSetting *self)
{
    double min = (double)self->spec->min, max = (double)self->spec->max;
    GtkAdjustment *adjustment = gtk_adjustment_new(min, min, max, 1, 10, 0);
    GtkWidget *spin = gtk_spin_button_new(adjustment, 1, 0);

    if (max - min > 10000)
        gtk_adjustment_set_page_increment(adjustment, 1024);
    gtk_spin_button_set_numeric(GTK_SPIN_BUTTON(spin), TRUE);
    gtk_editable_set_width_chars(GTK_EDITABLE(spin), 8);
    g_signal_connect(spin, "value-changed", G_CALLBACK(on_notify), self);
    g_signal_connect(spin, "changed", G_CALLBACK(on_editable_changed), self);
    self->editor = spin;
    self->row = new_action_row(self, spin);
}

static void build_switch(CirrinaSetting *self)
{
    GtkWidget *sw = gtk_switch_new();

    g_signal_connect(sw, "notify::active", G_CALLBACK(on_notify), self);
    self->editor = sw;
    self->row = new_action_row(self, sw);
}

static void build_choice(CirrinaSetting *self)
{
    GtkStringList *labels = gtk_string_list_new(NULL);
    GtkWidget *row = adw_combo_row_new();

    for (guint i = 0; self->spec->choices[i] != NULL; i++)
        gtk_string_list_append(labels, self->spec->labels != NULL ? self->spec->labels[i]
                                                                  : self->spec->choices[i]);
    adw_combo_row_set_model(ADW_COMBO_ROW(row), G_LIST_MODEL(labels));
    g_object_unref(labels);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), self->spec->title);
    if (self->spec->subtitle != NULL)
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), self->spec->subtitle);
    g_signal_connect(row, "notify::selected", G_CALLBACK(on_notify), self);
    self->editor = self->row = row;
}

static void build_entry(CirrinaSetting *self, gboolean password)
{
    GtkWidget *row = password ? cirrina_entry_row_new_password(self->spec->title)
                              : cirrina_entry_row_new(self->spec->title);

    if (self->spec->subtitle != NULL)
        gtk_widget_set_tooltip_text(row, self->spec->subtitle);
    g_signal_connect(row, "changed", G_CALLBACK(on_editable_changed), self);
    self->editor = self->row = row;
    self->accessible = cirrina_entry_row_get_entry(CIRRINA_ENTRY_ROW(row));
}

CirrinaSetting *cirrina_setting_new(const CirrinaSettingSpec *spec, CirrinaSettingChanged changed,
                                    gpointer user_data)
{
    CirrinaSetting *self = g_new0(CirrinaSetting, 1);

    self->spec = spec;
    self->changed = changed;
    self->user_data = user_data;
    switch (spec->kind) {
    case CIRRINA_SETTING_UINT:
    case CIRRINA_SETTING_UINT64:
        build_spin(self);
        break;
    case CIRRINA_SETTING_BOOL:
        build_switch(self);
        break;
    case CIRRINA_SETTING_CHOICE:
        build_choice(self);
        break;
    case CIRRINA_SETTING_TEXT:
    case CIRRINA_SETTING_PINS:
        build_entry(self, FALSE);
        break;
    case CIRRINA_SETTING_PASSWORD:
        build_entry(self, TRUE);
        break;
    }
    g_object_ref_sink(self->row);
    if (self->accessible == NULL)
        self->accessible = self->editor;
    /* Controls inside a row are named after it for assistive technologies.
     * libadwaita labels them by the row's title too, and GTK 4.8 reads
     * both ("Memory Memory"): the label alone says it once. */
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->accessible), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   spec->title, -1);
    gtk_accessible_reset_relation(GTK_ACCESSIBLE(self->accessible),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY);
    if (spec->subtitle != NULL)
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->accessible),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, spec->subtitle, -1);
    return self;
}

void cirrina_setting_free(CirrinaSetting *self)
{
    if (self == NULL)
        return;
    g_signal_handlers_disconnect_by_data(self->editor, self);
    g_clear_object(&self->row);
    g_free(self->error);
    g_free(self);
}

static guint64 unit(const CirrinaSettingSpec *spec)
{
    return spec->unit != 0 ? spec->unit : 1;
}

static char *pins_to_text(GVariant *pins)
{
    GString *text = g_string_new(NULL);
    GVariantIter iter;
    guint32 vcpu, host;

    g_variant_iter_init(&iter, pins);
    while (g_variant_iter_next(&iter, "(uu)", &vcpu, &host))
        g_string_append_printf(text, "%s%u:%u", text->len ? ", " : "", vcpu, host);
    return g_string_free(text, FALSE);
}

/* "0:2, 1:3" (commas or spaces between pairs) -> [(0, 2), (1, 3)]. */
static GVariant *pins_from_text(const char *text, GError **error)
{
    g_auto(GStrv) parts = g_strsplit_set(text, ", \t", -1);
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(uu)"));
    for (char **p = parts; *p != NULL; p++) {
        guint64 vcpu, host;
        g_auto(GStrv) pair = NULL;
        if (**p == '\0')
            continue;
        pair = g_strsplit(*p, ":", -1);
        if (g_strv_length(pair) != 2 ||
            !g_ascii_string_to_unsigned(pair[0], 10, 0, G_MAXUINT32, &vcpu, NULL) ||
            !g_ascii_string_to_unsigned(pair[1], 10, 0, G_MAXUINT32, &host, NULL)) {
            g_variant_builder_clear(&builder);
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "“%s” is not a pin: write virtual CPU:host CPU, as in 0:2, 1:3", *p);
            return NULL;
        }
        g_variant_builder_add(&builder, "(uu)", (guint32)vcpu, (guint32)host);
    }
    return g_variant_ref_sink(g_variant_builder_end(&builder));
}

void cirrina_setting_set_value(CirrinaSetting *self, GVariant *new_value)
{
    const CirrinaSettingSpec *spec = self->spec;

    if (new_value == NULL)
        return;
    g_autoptr(GVariant) value = g_variant_ref_sink(new_value);
    self->loading = TRUE;
    switch (spec->kind) {
    case CIRRINA_SETTING_TEXT:
    case CIRRINA_SETTING_PASSWORD:
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
            gtk_editable_set_text(GTK_EDITABLE(self->editor), g_variant_get_string(value, NULL));
        break;
    case CIRRINA_SETTING_UINT:
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
            gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->editor), g_variant_get_uint32(value));
        break;
    case CIRRINA_SETTING_UINT64:
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
            gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->editor),
                                      (double)(g_variant_get_uint64(value) / unit(spec)));
        break;
    case CIRRINA_SETTING_BOOL:
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
            gtk_switch_set_active(GTK_SWITCH(self->editor), g_variant_get_boolean(value));
        break;
    case CIRRINA_SETTING_CHOICE:
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
            const char *s = g_variant_get_string(value, NULL);
            for (guint i = 0; spec->choices[i] != NULL; i++)
                if (g_strcmp0(spec->choices[i], s) == 0)
                    adw_combo_row_set_selected(ADW_COMBO_ROW(self->editor), i);
        }
        break;
    case CIRRINA_SETTING_PINS:
        if (g_variant_is_of_type(value, G_VARIANT_TYPE("a(uu)"))) {
            g_autofree char *text = pins_to_text(value);
            gtk_editable_set_text(GTK_EDITABLE(self->editor), text);
        }
        break;
    }
    self->loading = FALSE;
}

GVariant *cirrina_setting_get_value(CirrinaSetting *self, GError **error)
{
    const CirrinaSettingSpec *spec = self->spec;
    double number = 0;

    switch (spec->kind) {
    case CIRRINA_SETTING_TEXT:
    case CIRRINA_SETTING_PASSWORD:
        return g_variant_ref_sink(
            g_variant_new_string(gtk_editable_get_text(GTK_EDITABLE(self->editor))));
    case CIRRINA_SETTING_UINT:
    case CIRRINA_SETTING_UINT64:
        if (!spin_read(GTK_SPIN_BUTTON(self->editor), &number)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: “%s” is not a number",
                        spec->title, gtk_editable_get_text(GTK_EDITABLE(self->editor)));
            return NULL;
        }
        if (spec->kind == CIRRINA_SETTING_UINT)
            return g_variant_ref_sink(
                g_variant_new_uint32((guint32)CLAMP(number, spec->min, spec->max)));
        return g_variant_ref_sink(
            g_variant_new_uint64((guint64)CLAMP(number, spec->min, spec->max) * unit(spec)));
    case CIRRINA_SETTING_BOOL:
        return g_variant_ref_sink(
            g_variant_new_boolean(gtk_switch_get_active(GTK_SWITCH(self->editor))));
    case CIRRINA_SETTING_CHOICE: {
        guint selected = adw_combo_row_get_selected(ADW_COMBO_ROW(self->editor));
        if (selected >= g_strv_length((char **)spec->choices))
            selected = 0;
        return g_variant_ref_sink(g_variant_new_string(spec->choices[selected]));
    }
    case CIRRINA_SETTING_PINS:
        return pins_from_text(gtk_editable_get_text(GTK_EDITABLE(self->editor)), error);
    }
    g_assert_not_reached();
}

void cirrina_setting_commit(CirrinaSetting *self)
{
    if (GTK_IS_SPIN_BUTTON(self->editor))
        gtk_spin_button_update(GTK_SPIN_BUTTON(self->editor));
}

void cirrina_setting_set_error(CirrinaSetting *self, const char *message)
{
    const char *help = self->spec->subtitle;

    g_free(self->error);
    self->error = g_strdup(message);
    if (message != NULL) {
        gtk_widget_add_css_class(self->row, "error");
        gtk_widget_add_css_class(self->editor, "error");
    } else {
        gtk_widget_remove_css_class(self->row, "error");
        gtk_widget_remove_css_class(self->editor, "error");
    }
    /* Action rows say why in their help line; entry rows have none, so
     * their tooltip does. Either way assistive technologies hear it. */
    if (ADW_IS_ACTION_ROW(self->row)) {
        g_autofree char *markup = message != NULL ? g_markup_escape_text(message, -1) : NULL;
        adw_action_row_set_subtitle(ADW_ACTION_ROW(self->row),
                                    markup != NULL ? markup : (help != NULL ? help : ""));
    } else
        gtk_widget_set_tooltip_text(self->row, message != NULL ? message : help);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->accessible),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   message != NULL ? message : (help != NULL ? help : ""), -1);
    if (message != NULL)
        gtk_accessible_update_state(GTK_ACCESSIBLE(self->accessible), GTK_ACCESSIBLE_STATE_INVALID,
                                    GTK_ACCESSIBLE_INVALID_TRUE, -1);
    else
        gtk_accessible_reset_state(GTK_ACCESSIBLE(self->accessible), GTK_ACCESSIBLE_STATE_INVALID);
}

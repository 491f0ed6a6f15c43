/* CirrinaSizeRow: number + unit, in bytes. */
#include "cirrina-size-row.h"

#define SECTOR 512
/* The daemon's limit for a disk. */
#define MAX_SIZE (G_GUINT64_CONSTANT(16) << 40)

static const struct {
    const char *name;
    guint64 factor;
} units[] = {
    {"MiB", G_GUINT64_CONSTANT(1) << 20},
    {"GiB", G_GUINT64_CONSTANT(1) << 30},
    {"TiB", G_GUINT64_CONSTANT(1) << 40},
};

struct _CirrinaSizeRow {
    AdwActionRow parent_instance;

    GtkSpinButton *spin;
    GtkDropDown *unit;
    guint64 exact;     /* from set_size, until the user changes the row */
    gboolean updating; /* our own changes do not clear exact */
};

G_DEFINE_FINAL_TYPE(CirrinaSizeRow, cirrina_size_row, ADW_TYPE_ACTION_ROW)

enum { PROP_0, PROP_SIZE, N_PROPS };
static GParamSpec *properties[N_PROPS];

static guint64 unit_factor(CirrinaSizeRow *self)
{
    guint i = gtk_drop_down_get_selected(self->unit);

    return units[MIN(i, G_N_ELEMENTS(units) - 1)].factor;
}

/* The largest value the spin button allows in the current unit. */
static void update_range(CirrinaSizeRow *self)
{
    gtk_spin_button_set_range(self->spin, 0, (double)(MAX_SIZE / unit_factor(self)));
}

static void on_changed(CirrinaSizeRow *self)
{
    if (!self->updating)
        self->exact = 0;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_SIZE]);
}

static void on_unit_changed(CirrinaSizeRow *self)
{
    update_range(self);
    on_changed(self);
}

guint64 cirrina_size_row_get_size(CirrinaSizeRow *self)
{
    g_return_val_if_fail(CIRRINA_IS_SIZE_ROW(self), 0);
    if (self->exact != 0)
        return self->exact;
    double bytes = gtk_spin_button_get_value(self->spin) * (double)unit_factor(self);
    guint64 size = (guint64)(bytes + 0.5);
    return (size + SECTOR - 1) / SECTOR * SECTOR;
}

void cirrina_size_row_set_size(CirrinaSizeRow *self, guint64 bytes)
{
    guint i = 0;

    g_return_if_fail(CIRRINA_IS_SIZE_ROW(self));
    /* The largest unit that shows at least 1. */
    for (guint j = 0; j < G_N_ELEMENTS(units); j++) {
        if (bytes >= units[j].factor)
            i = j;
    }
    self->updating = TRUE;
    gtk_drop_down_set_selected(self->unit, i);
    update_range(self);
    gtk_spin_button_set_value(self->spin, (double)bytes / (double)units[i].factor);
    self->updating = FALSE;
    self->exact = bytes;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_SIZE]);
}

void cirrina_size_row_set_value(CirrinaSizeRow *self, double value, const char *unit)
{
    g_return_if_fail(CIRRINA_IS_SIZE_ROW(self));
    for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
        if (g_strcmp0(units[i].name, unit) == 0)
            gtk_drop_down_set_selected(self->unit, i);
    }
    gtk_spin_button_set_value(self->spin, value);
}

GtkWidget *cirrina_size_row_new(const char *title)
{
    return g_object_new(CIRRINA_TYPE_SIZE_ROW, "title", title, NULL);
}

static void cirrina_size_row_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
    switch (prop_id) {
    case PROP_SIZE:
        g_value_set_uint64(value, cirrina_size_row_get_size(CIRRINA_SIZE_ROW(object)));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_size_row_class_init(CirrinaSizeRowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = cirrina_size_row_get_property;
    properties[PROP_SIZE] =
        g_param_spec_uint64("size", NULL, NULL, 0, G_MAXUINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void cirrina_size_row_init(CirrinaSizeRow *self)
{
    const char *names[G_N_ELEMENTS(units) + 1] = {NULL};

    for (guint i = 0; i < G_N_ELEMENTS(units); i++)
        names[i] = units[i].name;
    self->spin = GTK_SPIN_BUTTON(gtk_spin_button_new_with_range(0, 1024, 1));
    gtk_spin_button_set_digits(self->spin, 1);
    gtk_widget_set_valign(GTK_WIDGET(self->spin), GTK_ALIGN_CENTER);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Size", -1);
    self->unit = GTK_DROP_DOWN(gtk_drop_down_new_from_strings(names));
    gtk_widget_set_valign(GTK_WIDGET(self->unit), GTK_ALIGN_CENTER);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->unit), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Unit", -1);
    gtk_drop_down_set_selected(self->unit, 1); /* GiB */
    update_range(self);
    adw_action_row_add_suffix(ADW_ACTION_ROW(self), GTK_WIDGET(self->spin));
    adw_action_row_add_suffix(ADW_ACTION_ROW(self), GTK_WIDGET(self->unit));
    adw_action_row_set_activatable_widget(ADW_ACTION_ROW(self), GTK_WIDGET(self->spin));
    g_signal_connect_swapped(self->spin, "value-changed", G_CALLBACK(on_changed), self);
    g_signal_connect_swapped(self->unit, "notify::selected", G_CALLBACK(on_unit_changed), self);
}

/* CirrinaEntryRow: an entry row a screen reader can follow (see
 * cirrina-entry-row.h).
 *
 * The layout copies AdwEntryRow 1.2's, with its style classes, so that
 * libadwaita's stylesheet draws it the same way (row.entry: the focus ring
 * on the whole row while its text is edited): a "header" box with the
 * editable area (a small title over a bare entry, and the title alone,
 * larger, over both while the row is empty and not being edited), a
 * pencil icon while not editing, and the suffixes. style.css takes the
 * entry's own frame and focus ring away. */
#include "cirrina-entry-row.h"

struct _CirrinaEntryRow {
    AdwPreferencesRow parent_instance;

    GtkWidget *header;
    GtkWidget *fields;      /* the title label over the entry */
    GtkWidget *title_label; /* small, over the text */
    GtkWidget *empty_title; /* the title alone, while empty and not edited */
    GtkWidget *entry;       /* a GtkEntry, or a GtkPasswordEntry ("password text") */
    GtkWidget *edit_icon;
    GtkWidget *suffixes;
    gboolean password;
};

static void cirrina_entry_row_editable_init(GtkEditableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(CirrinaEntryRow, cirrina_entry_row, ADW_TYPE_PREFERENCES_ROW,
                              G_IMPLEMENT_INTERFACE(GTK_TYPE_EDITABLE,
                                                    cirrina_entry_row_editable_init))

enum { PROP_0, PROP_ACTIVATES_DEFAULT, PROP_PASSWORD, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_ENTRY_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GtkEditable *get_delegate(GtkEditable *editable)
{
    return GTK_EDITABLE(CIRRINA_ENTRY_ROW(editable)->entry);
}

static void cirrina_entry_row_editable_init(GtkEditableInterface *iface)
{
    iface->get_delegate = get_delegate;
}

GtkWidget *cirrina_entry_row_get_entry(CirrinaEntryRow *self)
{
    g_return_val_if_fail(CIRRINA_IS_ENTRY_ROW(self), NULL);
    return self->entry;
}

static gboolean is_editing(CirrinaEntryRow *self)
{
    return (gtk_widget_get_state_flags(self->entry) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0;
}

/* Empty and not edited: the title alone. The entry only turns transparent,
 * it stays focusable (Tab reaches it, clicks land on it). */
static void update_look(CirrinaEntryRow *self)
{
    gboolean editing = is_editing(self);
    gboolean title_only = !editing && *gtk_editable_get_text(GTK_EDITABLE(self->entry)) == '\0';

    gtk_widget_set_visible(self->empty_title, title_only);
    gtk_widget_set_opacity(self->title_label, title_only ? 0 : 1);
    gtk_widget_set_opacity(self->entry, title_only ? 0 : 1);
    gtk_widget_set_visible(self->edit_icon, !editing);
    if (editing)
        gtk_widget_add_css_class(GTK_WIDGET(self), "focused");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self), "focused");
}

/* The entry is named after the row's title, once: no labelled-by
 * relation, which GTK 4.8 would read after the label. */
static void update_name(CirrinaEntryRow *self)
{
    const char *title = adw_preferences_row_get_title(ADW_PREFERENCES_ROW(self));

    gtk_label_set_label(GTK_LABEL(self->title_label), title);
    gtk_label_set_label(GTK_LABEL(self->empty_title), title);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   title != NULL ? title : "", -1);
}

static void on_entry_activate(CirrinaEntryRow *self)
{
    g_signal_emit(self, signals[SIGNAL_ENTRY_ACTIVATED], 0);
}

/* A click on the row outside its entry and suffixes edits the text, as in
 * AdwEntryRow. */
static void on_pressed(GtkGestureClick *gesture, int n_press, double x, double y,
                       CirrinaEntryRow *self)
{
    GtkWidget *picked = gtk_widget_pick(GTK_WIDGET(self), x, y, GTK_PICK_DEFAULT);

    if (picked != NULL && (picked == self->entry || gtk_widget_is_ancestor(picked, self->entry) ||
                           gtk_widget_is_ancestor(picked, self->suffixes))) {
        gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_DENIED);
        return;
    }
    gtk_text_grab_focus_without_selecting(
        GTK_TEXT(gtk_editable_get_delegate(GTK_EDITABLE(self->entry))));
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* The row itself never takes the focus: Tab goes straight to the entry
 * (and on to the suffixes), a focus given to the row goes to the entry. */
static gboolean cirrina_entry_row_focus(GtkWidget *widget, GtkDirectionType direction)
{
    return gtk_widget_child_focus(CIRRINA_ENTRY_ROW(widget)->header, direction);
}

static gboolean cirrina_entry_row_grab_focus(GtkWidget *widget)
{
    return gtk_widget_grab_focus(CIRRINA_ENTRY_ROW(widget)->entry);
}

void cirrina_entry_row_add_suffix(CirrinaEntryRow *self, GtkWidget *widget)
{
    g_return_if_fail(CIRRINA_IS_ENTRY_ROW(self));
    gtk_box_append(GTK_BOX(self->suffixes), widget);
    gtk_widget_set_visible(self->suffixes, TRUE);
}

void cirrina_entry_row_set_activates_default(CirrinaEntryRow *self, gboolean activates)
{
    g_return_if_fail(CIRRINA_IS_ENTRY_ROW(self));
    if (activates == cirrina_entry_row_get_activates_default(self))
        return;
    g_object_set(self->entry, "activates-default", activates, NULL);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_ACTIVATES_DEFAULT]);
}

gboolean cirrina_entry_row_get_activates_default(CirrinaEntryRow *self)
{
    gboolean activates = FALSE;

    g_return_val_if_fail(CIRRINA_IS_ENTRY_ROW(self), FALSE);
    g_object_get(self->entry, "activates-default", &activates, NULL);
    return activates;
}

GtkWidget *cirrina_entry_row_new(const char *title)
{
    return g_object_new(CIRRINA_TYPE_ENTRY_ROW, "title", title, NULL);
}

static void on_show_text_toggled(GtkToggleButton *button, CirrinaEntryRow *self)
{
    gboolean shown = gtk_toggle_button_get_active(button);

    gtk_text_set_visibility(GTK_TEXT(gtk_editable_get_delegate(GTK_EDITABLE(self->entry))), shown);
    gtk_button_set_icon_name(GTK_BUTTON(button),
                             shown ? "view-conceal-symbolic" : "view-reveal-symbolic");
    gtk_widget_set_tooltip_text(GTK_WIDGET(button),
                                shown ? "Hide the Password" : "Show the Password");
}

/* GtkPasswordEntry's own peek icon takes no keyboard focus: a toggle
 * button does, and a screen reader says whether the text shows. */
static void add_show_text_button(CirrinaEntryRow *self)
{
    GtkWidget *button = gtk_toggle_button_new();

    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_widget_set_focus_on_click(button, FALSE);
    gtk_widget_add_css_class(button, "flat");
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Show the Password", -1);
    g_signal_connect(button, "toggled", G_CALLBACK(on_show_text_toggled), self);
    cirrina_entry_row_add_suffix(self, button);
    on_show_text_toggled(GTK_TOGGLE_BUTTON(button), self);
}

GtkWidget *cirrina_entry_row_new_password(const char *title)
{
    return g_object_new(CIRRINA_TYPE_ENTRY_ROW, "title", title, "password", TRUE, NULL);
}

static void cirrina_entry_row_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec)
{
    CirrinaEntryRow *self = CIRRINA_ENTRY_ROW(object);

    if (gtk_editable_delegate_get_property(object, prop_id, value, pspec))
        return;
    switch (prop_id) {
    case PROP_ACTIVATES_DEFAULT:
        g_value_set_boolean(value, cirrina_entry_row_get_activates_default(self));
        break;
    case PROP_PASSWORD:
        g_value_set_boolean(value, self->password);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_entry_row_set_property(GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec)
{
    CirrinaEntryRow *self = CIRRINA_ENTRY_ROW(object);

    if (gtk_editable_delegate_set_property(object, prop_id, value, pspec))
        return;
    switch (prop_id) {
    case PROP_ACTIVATES_DEFAULT:
        cirrina_entry_row_set_activates_default(self, g_value_get_boolean(value));
        break;
    case PROP_PASSWORD:
        self->password = g_value_get_boolean(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

/* The entry is made here: which kind depends on "password". */
static void cirrina_entry_row_constructed(GObject *object)
{
    CirrinaEntryRow *self = CIRRINA_ENTRY_ROW(object);

    G_OBJECT_CLASS(cirrina_entry_row_parent_class)->constructed(object);
    self->entry = self->password ? gtk_password_entry_new() : gtk_entry_new();
    gtk_widget_set_hexpand(self->entry, TRUE);
    gtk_box_append(GTK_BOX(self->fields), self->entry);
    gtk_editable_init_delegate(GTK_EDITABLE(self));
    g_signal_connect_swapped(self->entry, "changed", G_CALLBACK(update_look), self);
    g_signal_connect_swapped(self->entry, "state-flags-changed", G_CALLBACK(update_look), self);
    g_signal_connect_swapped(self->entry, "activate", G_CALLBACK(on_entry_activate), self);
    g_signal_connect_swapped(self, "notify::title", G_CALLBACK(update_name), self);
    if (self->password) {
        gtk_widget_add_css_class(GTK_WIDGET(self), "password");
        add_show_text_button(self);
    }
    update_name(self);
    update_look(self);
}

static void cirrina_entry_row_dispose(GObject *object)
{
    CirrinaEntryRow *self = CIRRINA_ENTRY_ROW(object);

    if (self->entry != NULL) {
        g_signal_handlers_disconnect_by_data(self->entry, self);
        g_signal_handlers_disconnect_by_func(self, update_name, self);
        gtk_editable_finish_delegate(GTK_EDITABLE(self));
        self->entry = NULL;
    }
    G_OBJECT_CLASS(cirrina_entry_row_parent_class)->dispose(object);
}

static void cirrina_entry_row_class_init(CirrinaEntryRowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = cirrina_entry_row_get_property;
    object_class->set_property = cirrina_entry_row_set_property;
    object_class->constructed = cirrina_entry_row_constructed;
    object_class->dispose = cirrina_entry_row_dispose;
    widget_class->focus = cirrina_entry_row_focus;
    widget_class->grab_focus = cirrina_entry_row_grab_focus;

    properties[PROP_ACTIVATES_DEFAULT] =
        g_param_spec_boolean("activates-default", NULL, NULL, FALSE,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    /* password: the text is hidden, with a button to show it. */
    properties[PROP_PASSWORD] =
        g_param_spec_boolean("password", NULL, NULL, FALSE,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
    gtk_editable_install_properties(object_class, N_PROPS);

    /* entry-activated: Enter in the entry (after the default widget, when
     * the row activates it). */
    signals[SIGNAL_ENTRY_ACTIVATED] =
        g_signal_new("entry-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
}

static GtkWidget *new_label(const char *style)
{
    GtkWidget *label = gtk_label_new(NULL);

    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
    gtk_widget_set_can_target(label, FALSE);
    gtk_widget_add_css_class(label, style);
    return label;
}

static void cirrina_entry_row_init(CirrinaEntryRow *self)
{
    GtkWidget *overlay = gtk_overlay_new();
    GtkGesture *click = gtk_gesture_click_new();

    self->header = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    gtk_widget_set_valign(self->header, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(self->header, "header");

    self->title_label = new_label("subtitle");
    self->empty_title = new_label("title");
    gtk_widget_add_css_class(self->empty_title, "dim-label");
    gtk_widget_set_valign(self->empty_title, GTK_ALIGN_CENTER);
    self->fields = gtk_box_new(GTK_ORIENTATION_VERTICAL, 3);
    gtk_widget_set_valign(self->fields, GTK_ALIGN_CENTER);
    gtk_box_append(GTK_BOX(self->fields), self->title_label);
    gtk_overlay_set_child(GTK_OVERLAY(overlay), self->fields);
    gtk_overlay_add_overlay(GTK_OVERLAY(overlay), self->empty_title);
    gtk_widget_set_hexpand(overlay, TRUE);
    gtk_box_append(GTK_BOX(self->header), overlay);

    self->edit_icon = gtk_image_new_from_icon_name("document-edit-symbolic");
    gtk_widget_set_valign(self->edit_icon, GTK_ALIGN_CENTER);
    gtk_widget_set_can_target(self->edit_icon, FALSE);
    gtk_widget_add_css_class(self->edit_icon, "edit-icon");
    gtk_box_append(GTK_BOX(self->header), self->edit_icon);

    self->suffixes = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    gtk_widget_add_css_class(self->suffixes, "suffixes");
    gtk_widget_set_visible(self->suffixes, FALSE);
    gtk_box_append(GTK_BOX(self->header), self->suffixes);

    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(self), self->header);
    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(self), TRUE);
    gtk_widget_add_css_class(GTK_WIDGET(self), "entry");
    gtk_widget_add_css_class(GTK_WIDGET(self), "cirrina-entry-row");

    g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
}

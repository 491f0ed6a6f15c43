/* CirrinaFormDialog: header bar, inline error, a boxed list of rows. */
#include "cirrina-form-dialog.h"

#include "cirrina-entry-row.h"

struct _CirrinaFormDialog {
    AdwWindow parent_instance;

    AdwWindowTitle *window_title;
    GtkButton *cancel_button;
    GtkButton *apply_button;
    GtkSpinner *spinner;
    GtkLabel *error_label;
    GtkListBox *list;

    gboolean busy;
    gboolean action_sensitive;
};

G_DEFINE_FINAL_TYPE(CirrinaFormDialog, cirrina_form_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_APPLY, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update_sensitivity(CirrinaFormDialog *self)
{
    gtk_widget_set_sensitive(GTK_WIDGET(self->apply_button), self->action_sensitive && !self->busy);
    gtk_widget_set_sensitive(GTK_WIDGET(self->cancel_button), !self->busy);
    /* The rows stay sensitive: taking the focused entry's sensitivity
     * away while the user is in it upsets GtkText's focus tracking, and
     * what is typed meanwhile is simply read at the next attempt. */
}

static void on_apply_clicked(CirrinaFormDialog *self)
{
    if (self->busy || !self->action_sensitive)
        return;
    g_signal_emit(self, signals[SIGNAL_APPLY], 0);
}

void cirrina_form_dialog_apply(CirrinaFormDialog *self)
{
    g_return_if_fail(CIRRINA_IS_FORM_DIALOG(self));
    on_apply_clicked(self);
}

/* A call in flight must find its dialog when it answers. */
static gboolean cirrina_form_dialog_close_request(GtkWindow *window)
{
    CirrinaFormDialog *self = CIRRINA_FORM_DIALOG(window);

    if (self->busy)
        return TRUE;
    return GTK_WINDOW_CLASS(cirrina_form_dialog_parent_class)->close_request(window);
}

CirrinaFormDialog *cirrina_form_dialog_new(GtkWidget *parent, const char *title,
                                           const char *action_label)
{
    CirrinaFormDialog *self = g_object_new(CIRRINA_TYPE_FORM_DIALOG, "title", title, NULL);
    GtkRoot *root = parent != NULL ? gtk_widget_get_root(parent) : NULL;

    if (GTK_IS_WINDOW(root))
        gtk_window_set_transient_for(GTK_WINDOW(self), GTK_WINDOW(root));
    adw_window_title_set_title(self->window_title, title);
    cirrina_form_dialog_set_action_label(self, action_label);
    return self;
}

void cirrina_form_dialog_add(CirrinaFormDialog *self, GtkWidget *row)
{
    g_return_if_fail(CIRRINA_IS_FORM_DIALOG(self));
    gtk_list_box_append(self->list, row);
    /* Enter in an entry row presses the action button. */
    if (CIRRINA_IS_ENTRY_ROW(row))
        cirrina_entry_row_set_activates_default(CIRRINA_ENTRY_ROW(row), TRUE);
}

void cirrina_form_dialog_set_destructive(CirrinaFormDialog *self, gboolean destructive)
{
    GtkWidget *button = GTK_WIDGET(self->apply_button);

    g_return_if_fail(CIRRINA_IS_FORM_DIALOG(self));
    if (destructive) {
        gtk_widget_remove_css_class(button, "suggested-action");
        gtk_widget_add_css_class(button, "destructive-action");
    } else {
        gtk_widget_remove_css_class(button, "destructive-action");
        gtk_widget_add_css_class(button, "suggested-action");
    }
}

void cirrina_form_dialog_set_action_label(CirrinaFormDialog *self, const char *label)
{
    g_return_if_fail(CIRRINA_IS_FORM_DIALOG(self));
    gtk_button_set_label(self->apply_button, label);
}

void cirrina_form_dialog_set_action_sensitive(CirrinaFormDialog *self, gboolean sensitive)
{
    g_return_if_fail(CIRRINA_IS_FORM_DIALOG(self));
    self->action_sensitive = sensitive;
    update_sensitivity(self);
}

void cirrina_form_dialog_set_busy(CirrinaFormDialog *self, gboolean busy)
{
    g_return_if_fail(CIRRINA_IS_FORM_DIALOG(self));
    self->busy = busy;
    gtk_widget_set_visible(GTK_WIDGET(self->spinner), busy);
    gtk_spinner_set_spinning(self->spinner, busy);
    if (busy) /* a new attempt: the old error is stale */
        gtk_widget_set_visible(GTK_WIDGET(self->error_label), FALSE);
    update_sensitivity(self);
}

gboolean cirrina_form_dialog_get_busy(CirrinaFormDialog *self)
{
    g_return_val_if_fail(CIRRINA_IS_FORM_DIALOG(self), FALSE);
    return self->busy;
}

void cirrina_form_dialog_show_error(CirrinaFormDialog *self, const char *message)
{
    g_return_if_fail(CIRRINA_IS_FORM_DIALOG(self));
    gtk_label_set_text(self->error_label, message != NULL ? message : "");
    gtk_widget_set_visible(GTK_WIDGET(self->error_label), message != NULL);
    if (message != NULL) {
        self->busy = FALSE;
        gtk_widget_set_visible(GTK_WIDGET(self->spinner), FALSE);
        gtk_spinner_set_spinning(self->spinner, FALSE);
        update_sensitivity(self);
    }
}

const char *cirrina_form_dialog_get_error(CirrinaFormDialog *self)
{
    g_return_val_if_fail(CIRRINA_IS_FORM_DIALOG(self), NULL);
    if (!gtk_widget_get_visible(GTK_WIDGET(self->error_label)))
        return NULL;
    return gtk_label_get_text(self->error_label);
}

static void cirrina_form_dialog_class_init(CirrinaFormDialogClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    GtkWindowClass *window_class = GTK_WINDOW_CLASS(klass);

    window_class->close_request = cirrina_form_dialog_close_request;

    signals[SIGNAL_APPLY] = g_signal_new("apply", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-form-dialog.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaFormDialog, window_title);
    gtk_widget_class_bind_template_child(widget_class, CirrinaFormDialog, cancel_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaFormDialog, apply_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaFormDialog, spinner);
    gtk_widget_class_bind_template_child(widget_class, CirrinaFormDialog, error_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaFormDialog, list);
    gtk_widget_class_bind_template_callback(widget_class, on_apply_clicked);

    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void cirrina_form_dialog_init(CirrinaFormDialog *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->action_sensitive = TRUE;
    gtk_window_set_default_widget(GTK_WINDOW(self), GTK_WIDGET(self->apply_button));
}

/* CirrinaProgressRow: title, bytes, a progress bar and Cancel. */
#include "cirrina-progress-row.h"

#include "cirrina-client.h"
#include "cirrina-page-util.h"

struct _CirrinaProgressRow {
    AdwActionRow parent_instance;

    GtkProgressBar *bar;
    GtkButton *cancel;
    CirrinaImport *import; /* one of these two */
    CirrinaJob *job;
};

G_DEFINE_FINAL_TYPE(CirrinaProgressRow, cirrina_progress_row, ADW_TYPE_ACTION_ROW)

static const char *verb_for_kind(const char *kind)
{
    if (g_strcmp0(kind, "clone-disk") == 0)
        return "Cloning to";
    return "Importing";
}

static void show_progress(CirrinaProgressRow *self, guint64 done, guint64 total, double fraction,
                          const char *state)
{
    g_autofree char *done_text = cirrina_format_size(done);
    g_autofree char *subtitle = NULL;

    if (state != NULL)
        subtitle = g_strdup(state);
    else if (total > 0) {
        g_autofree char *total_text = cirrina_format_size(total);
        subtitle = g_strdup_printf("%s of %s", done_text, total_text);
    } else
        subtitle = g_strdup(done_text);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(self), subtitle);
    gtk_progress_bar_set_fraction(self->bar, CLAMP(fraction, 0.0, 1.0));
}

static void update_from_import(CirrinaProgressRow *self)
{
    CirrinaImport *import = self->import;
    const char *state = NULL;

    switch (cirrina_import_get_state(import)) {
    case CIRRINA_IMPORT_STATE_FINISHING:
        state = "Finishing…";
        break;
    case CIRRINA_IMPORT_STATE_CANCELLING:
    case CIRRINA_IMPORT_STATE_CANCELLED:
        state = "Cancelling…";
        break;
    default:
        break;
    }
    show_progress(self, cirrina_import_get_bytes_done(import),
                  cirrina_import_get_bytes_total(import), cirrina_import_get_fraction(import),
                  state);
    gtk_widget_set_sensitive(GTK_WIDGET(self->cancel), !cirrina_import_is_finished(import) &&
                                                           cirrina_import_get_state(import) !=
                                                               CIRRINA_IMPORT_STATE_CANCELLING);
}

static void update_from_job(CirrinaProgressRow *self)
{
    const char *state = cirrina_job_get_state(self->job);
    gboolean running = g_strcmp0(state, "running") == 0;

    show_progress(self, cirrina_job_get_bytes_done(self->job),
                  cirrina_job_get_bytes_total(self->job), cirrina_job_get_progress(self->job),
                  running                               ? NULL
                  : g_strcmp0(state, "cancelling") == 0 ? "Cancelling…"
                                                        : state);
    gtk_widget_set_sensitive(GTK_WIDGET(self->cancel), running);
}

static void on_cancel_clicked(CirrinaProgressRow *self)
{
    if (self->import != NULL) {
        cirrina_import_cancel(self->import);
        return;
    }
    /* The call that started the job reports the outcome to its caller. */
    cirrina_proxy_call(self->job, "Cancel", NULL, NULL, NULL, NULL);
    gtk_widget_set_sensitive(GTK_WIDGET(self->cancel), FALSE);
}

static void set_labels(CirrinaProgressRow *self, const char *verb, const char *name)
{
    g_autofree char *title = g_strdup_printf("%s %s", verb, name);
    g_autofree char *verb_lower = g_ascii_strdown(verb, -1);
    g_autofree char *cancel_label = g_strdup_printf("Cancel %s %s", verb_lower, name);

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self), title);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->cancel), "Cancel");
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->cancel), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   cancel_label, -1);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->bar), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                   -1);
}

GtkWidget *cirrina_progress_row_new_for_import(CirrinaImport *import)
{
    CirrinaProgressRow *self = g_object_new(CIRRINA_TYPE_PROGRESS_ROW, NULL);
    g_autofree char *file = g_file_get_basename(cirrina_import_get_file(import));
    g_autofree char *name = g_strdup_printf("%s as “%s”", file, cirrina_import_get_name(import));

    self->import = g_object_ref(import);
    set_labels(self, "Importing", name);
    g_signal_connect_object(import, "notify", G_CALLBACK(update_from_import), self,
                            G_CONNECT_SWAPPED);
    update_from_import(self);
    return GTK_WIDGET(self);
}

GtkWidget *cirrina_progress_row_new_for_job(CirrinaJob *job)
{
    CirrinaProgressRow *self = g_object_new(CIRRINA_TYPE_PROGRESS_ROW, NULL);
    g_autofree char *name = g_strdup_printf("“%s”", cirrina_job_get_object(job));

    self->job = g_object_ref(job);
    set_labels(self, verb_for_kind(cirrina_job_get_kind(job)), name);
    g_signal_connect_object(job, "g-properties-changed", G_CALLBACK(update_from_job), self,
                            G_CONNECT_SWAPPED);
    update_from_job(self);
    return GTK_WIDGET(self);
}

GtkWidget *cirrina_progress_row_new_for_item(gpointer item)
{
    if (CIRRINA_IS_IMPORT(item))
        return cirrina_progress_row_new_for_import(item);
    return cirrina_progress_row_new_for_job(CIRRINA_JOB(item));
}

double cirrina_progress_row_get_fraction(CirrinaProgressRow *self)
{
    g_return_val_if_fail(CIRRINA_IS_PROGRESS_ROW(self), 0.0);
    return gtk_progress_bar_get_fraction(self->bar);
}

GtkButton *cirrina_progress_row_get_cancel_button(CirrinaProgressRow *self)
{
    g_return_val_if_fail(CIRRINA_IS_PROGRESS_ROW(self), NULL);
    return self->cancel;
}

static void cirrina_progress_row_dispose(GObject *object)
{
    CirrinaProgressRow *self = CIRRINA_PROGRESS_ROW(object);

    g_clear_object(&self->import);
    g_clear_object(&self->job);
    G_OBJECT_CLASS(cirrina_progress_row_parent_class)->dispose(object);
}

static void cirrina_progress_row_class_init(CirrinaProgressRowClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = cirrina_progress_row_dispose;
}

static void cirrina_progress_row_init(CirrinaProgressRow *self)
{
    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(self), FALSE);
    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(self), FALSE);

    self->bar = GTK_PROGRESS_BAR(gtk_progress_bar_new());
    gtk_widget_set_valign(GTK_WIDGET(self->bar), GTK_ALIGN_CENTER);
    gtk_widget_set_size_request(GTK_WIDGET(self->bar), 160, -1);
    adw_action_row_add_suffix(ADW_ACTION_ROW(self), GTK_WIDGET(self->bar));

    self->cancel = GTK_BUTTON(gtk_button_new_from_icon_name("process-stop-symbolic"));
    gtk_widget_set_valign(GTK_WIDGET(self->cancel), GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(GTK_WIDGET(self->cancel), "flat");
    g_signal_connect_swapped(self->cancel, "clicked", G_CALLBACK(on_cancel_clicked), self);
    adw_action_row_add_suffix(ADW_ACTION_ROW(self), GTK_WIDGET(self->cancel));
}

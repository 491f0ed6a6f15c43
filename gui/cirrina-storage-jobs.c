/* CirrinaStorageJobs: our imports + the daemon's other jobs, as one model. */
#include "cirrina-storage-jobs.h"

#include <gtk/gtk.h>

#include "cirrina-object-list.h"

struct _CirrinaStorageJobs {
    GObject parent_instance;

    GStrv job_kinds;
    GListStore *imports;     /* CirrinaImport */
    CirrinaObjectList *jobs; /* every org.cirrina.Job */
    GtkFilter *filter;       /* ... of our kinds and not ours */
    GListModel *model;       /* imports, then the filtered jobs */
};

G_DEFINE_FINAL_TYPE(CirrinaStorageJobs, cirrina_storage_jobs, G_TYPE_OBJECT)

static gboolean import_makes(CirrinaStorageJobs *self, const char *kind, const char *name)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->imports));

    for (guint i = 0; i < n; i++) {
        g_autoptr(CirrinaImport) import = g_list_model_get_item(G_LIST_MODEL(self->imports), i);
        const char *import_kind =
            cirrina_import_get_kind(import) == CIRRINA_IMPORT_DISK ? "import-disk" : "import-iso";
        if ((kind == NULL || g_strcmp0(kind, import_kind) == 0) &&
            g_strcmp0(cirrina_import_get_name(import), name) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean filter_job(gpointer item, gpointer user_data)
{
    CirrinaStorageJobs *self = user_data;
    CirrinaJob *job = CIRRINA_JOB(item);
    const char *kind = cirrina_job_get_kind(job);

    const char *state = cirrina_job_get_state(job);

    /* A job that has announced its end goes away with its call's answer:
     * the page shows the outcome instead. */
    if (g_strcmp0(state, "running") != 0 && g_strcmp0(state, "cancelling") != 0)
        return FALSE;
    return g_strv_contains((const char *const *)self->job_kinds, kind) &&
           !import_makes(self, kind, cirrina_job_get_object(job));
}

CirrinaStorageJobs *cirrina_storage_jobs_new(CirrinaClient *client, const char *const *job_kinds)
{
    CirrinaStorageJobs *self = g_object_new(CIRRINA_TYPE_STORAGE_JOBS, NULL);
    GListStore *sources = g_list_store_new(G_TYPE_LIST_MODEL);

    self->job_kinds = g_strdupv((char **)job_kinds);
    self->imports = g_list_store_new(CIRRINA_TYPE_IMPORT);
    self->jobs = cirrina_object_list_new(client, "org.cirrina.Job");
    self->filter = GTK_FILTER(gtk_custom_filter_new(filter_job, self, NULL));
    GtkFilterListModel *others = gtk_filter_list_model_new(g_object_ref(G_LIST_MODEL(self->jobs)),
                                                           g_object_ref(self->filter));

    g_list_store_append(sources, self->imports);
    g_list_store_append(sources, others);
    g_object_unref(others);
    self->model = G_LIST_MODEL(gtk_flatten_list_model_new(G_LIST_MODEL(sources)));
    return self;
}

GListModel *cirrina_storage_jobs_get_model(CirrinaStorageJobs *self)
{
    g_return_val_if_fail(CIRRINA_IS_STORAGE_JOBS(self), NULL);
    return self->model;
}

void cirrina_storage_jobs_add_import(CirrinaStorageJobs *self, CirrinaImport *import)
{
    g_return_if_fail(CIRRINA_IS_STORAGE_JOBS(self));
    g_list_store_append(self->imports, import);
    gtk_filter_changed(self->filter, GTK_FILTER_CHANGE_MORE_STRICT);
}

void cirrina_storage_jobs_remove_import(CirrinaStorageJobs *self, CirrinaImport *import)
{
    guint position;

    g_return_if_fail(CIRRINA_IS_STORAGE_JOBS(self));
    if (g_list_store_find(self->imports, import, &position))
        g_list_store_remove(self->imports, position);
    gtk_filter_changed(self->filter, GTK_FILTER_CHANGE_LESS_STRICT);
}

gboolean cirrina_storage_jobs_makes_name(CirrinaStorageJobs *self, const char *name)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->jobs));

    g_return_val_if_fail(CIRRINA_IS_STORAGE_JOBS(self), FALSE);
    if (import_makes(self, NULL, name))
        return TRUE;
    for (guint i = 0; i < n; i++) {
        g_autoptr(CirrinaJob) job = g_list_model_get_item(G_LIST_MODEL(self->jobs), i);
        if (g_strv_contains((const char *const *)self->job_kinds, cirrina_job_get_kind(job)) &&
            g_strcmp0(cirrina_job_get_object(job), name) == 0)
            return TRUE;
    }
    return FALSE;
}

static void cirrina_storage_jobs_dispose(GObject *object)
{
    CirrinaStorageJobs *self = CIRRINA_STORAGE_JOBS(object);

    g_clear_object(&self->model);
    g_clear_object(&self->filter);
    g_clear_object(&self->jobs);
    g_clear_object(&self->imports);
    G_OBJECT_CLASS(cirrina_storage_jobs_parent_class)->dispose(object);
}

static void cirrina_storage_jobs_finalize(GObject *object)
{
    g_strfreev(CIRRINA_STORAGE_JOBS(object)->job_kinds);
    G_OBJECT_CLASS(cirrina_storage_jobs_parent_class)->finalize(object);
}

static void cirrina_storage_jobs_class_init(CirrinaStorageJobsClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = cirrina_storage_jobs_dispose;
    G_OBJECT_CLASS(klass)->finalize = cirrina_storage_jobs_finalize;
}

static void cirrina_storage_jobs_init(CirrinaStorageJobs *self)
{
}

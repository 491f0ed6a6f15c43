/* CirrinaStorageJobs: the storage work in progress that a page shows.
 *
 * One list model of this app's own imports (CirrinaImport, added by the
 * page and removed when they finish) followed by the daemon's Jobs of the
 * page's kinds (a clone, an import by cirrinactl ...) that are not one of
 * ours: our imports have their own, earlier, progress. */
#pragma once

#include <gio/gio.h>

#include "cirrina-client.h"
#include "cirrina-import.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_STORAGE_JOBS (cirrina_storage_jobs_get_type())
G_DECLARE_FINAL_TYPE(CirrinaStorageJobs, cirrina_storage_jobs, CIRRINA, STORAGE_JOBS, GObject)

/* job_kinds: the Job Kinds to show ("import-disk", "clone-disk" ...). */
CirrinaStorageJobs *cirrina_storage_jobs_new(CirrinaClient *client, const char *const *job_kinds);

/* Items: CirrinaImport or CirrinaJob (a GDBusProxy). */
GListModel *cirrina_storage_jobs_get_model(CirrinaStorageJobs *self);

void cirrina_storage_jobs_add_import(CirrinaStorageJobs *self, CirrinaImport *import);
void cirrina_storage_jobs_remove_import(CirrinaStorageJobs *self, CirrinaImport *import);

/* Whether an import or job is making an object of this name. */
gboolean cirrina_storage_jobs_makes_name(CirrinaStorageJobs *self, const char *name);

G_END_DECLS

/* CirrinaProgressRow: a row for storage work in progress: "Importing
 * debian.iso", bytes done of total, a progress bar and a Cancel button.
 *
 * Made for one of:
 * - a CirrinaImport started by this app: progress from the bytes written
 *   into the daemon's pipe, Cancel = cirrina_import_cancel();
 * - an org.cirrina.Job proxy (a clone, or an import started elsewhere):
 *   progress from the Job's BytesDone/BytesTotal, Cancel = Job.Cancel. */
#pragma once

#include <adwaita.h>

#include "cirrina-dbus.h"
#include "cirrina-import.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_PROGRESS_ROW (cirrina_progress_row_get_type())
G_DECLARE_FINAL_TYPE(CirrinaProgressRow, cirrina_progress_row, CIRRINA, PROGRESS_ROW, AdwActionRow)

GtkWidget *cirrina_progress_row_new_for_import(CirrinaImport *import);
GtkWidget *cirrina_progress_row_new_for_job(CirrinaJob *job);

/* Either kind, by the item's type (a GtkListBox create function). */
GtkWidget *cirrina_progress_row_new_for_item(gpointer item);

double cirrina_progress_row_get_fraction(CirrinaProgressRow *self);
GtkButton *cirrina_progress_row_get_cancel_button(CirrinaProgressRow *self);

G_END_DECLS

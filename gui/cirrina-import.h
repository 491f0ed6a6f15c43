/* CirrinaImport: a local file streamed into Manager.ImportDisk/ImportISO.
 *
 * The daemon reads the data from a pipe whose other end this object fills
 * from the file in a worker thread, so that neither the main loop waits for
 * the copy nor the copy for the main loop (which may be busy drawing). The
 * pipe, not the file's own fd, because (a) the bytes written give the
 * progress from the first moment, before the daemon's Job appears, and (b)
 * a daemon that cannot open the user's file (another user's system daemon,
 * a file chooser portal's path) still gets the data. Size is announced, so
 * an app that dies mid-way leaves nothing behind.
 *
 * Cancel stops writing, closes the pipe and calls the Job's Cancel (if the
 * job is not there yet, the short data fails the import all the same):
 * the daemon keeps nothing. The state then ends at CANCELLED.
 *
 * Properties "bytes-done", "bytes-total", "fraction" and "state" notify on
 * the main loop (progress 10 times a second while data flows); "finished" is
 * emitted once, when the daemon has answered. */
#pragma once

#include <gio/gio.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

typedef enum {
    CIRRINA_IMPORT_DISK,
    CIRRINA_IMPORT_ISO,
} CirrinaImportKind;

typedef enum {
    CIRRINA_IMPORT_STATE_RUNNING,   /* streaming the file */
    CIRRINA_IMPORT_STATE_FINISHING, /* all written, waiting for the daemon */
    CIRRINA_IMPORT_STATE_CANCELLING,
    CIRRINA_IMPORT_STATE_COMPLETED,
    CIRRINA_IMPORT_STATE_FAILED,
    CIRRINA_IMPORT_STATE_CANCELLED,
} CirrinaImportState;

#define CIRRINA_TYPE_IMPORT (cirrina_import_get_type())
G_DECLARE_FINAL_TYPE(CirrinaImport, cirrina_import, CIRRINA, IMPORT, GObject)

/* options: the a{sv} for the call (Description, Bus ...; Size is added),
 * may be NULL; a floating reference is sunk. */
CirrinaImport *cirrina_import_new(CirrinaClient *client, CirrinaImportKind kind, const char *name,
                                  GFile *file, GVariant *options);

void cirrina_import_start(CirrinaImport *self);
void cirrina_import_cancel(CirrinaImport *self);

CirrinaImportKind cirrina_import_get_kind(CirrinaImport *self);
const char *cirrina_import_get_name(CirrinaImport *self);
GFile *cirrina_import_get_file(CirrinaImport *self);
guint64 cirrina_import_get_bytes_done(CirrinaImport *self);
guint64 cirrina_import_get_bytes_total(CirrinaImport *self);
double cirrina_import_get_fraction(CirrinaImport *self);
CirrinaImportState cirrina_import_get_state(CirrinaImport *self);
gboolean cirrina_import_is_finished(CirrinaImport *self);

/* After COMPLETED: the new disk's or ISO's object path. */
const char *cirrina_import_get_object_path(CirrinaImport *self);

/* After FAILED: why. */
const GError *cirrina_import_get_error(CirrinaImport *self);

G_END_DECLS

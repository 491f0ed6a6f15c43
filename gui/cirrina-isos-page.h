/* CirrinaIsosPage: the ISOs page: register, import (with progress and cancel) and delete
 * installation images.
 *
 * A boxed list of the daemon's ISO images, live, with size and checksum
 * (imported) or path (used in place), an edit (name, description) and a
 * delete button (asks first). "Import…" picks a file (GtkFileChooserNative)
 * and streams it into Manager.ImportISO (CirrinaImport) with progress and
 * Cancel in "In Progress", which also shows imports by other clients. "Use
 * in Place…" registers a file where it lies (Manager.RegisterISO).
 *
 * Actions: isos.import, isos.register, isos.edit(s path), isos.delete(s path).
 *
 * Contract with the window (gui/cirrina-window.c):
 * - the window makes it with cirrina_isos_page_new(client) once, at start-up, and
 *   shows it as the "isos" page of its view stack; the page lives as long as
 *   the window and follows the daemon itself (the client's "object-added" and
 *   "object-removed" signals, and cirrina_client_get_object_manager() for
 *   the objects already there).
 * - errors: cirrina_window_show_error(CIRRINA_WINDOW(gtk_widget_get_root(
 *   GTK_WIDGET(page))), "What failed", error); messages:
 *   cirrina_window_show_toast().
 * - calls: cirrina_proxy_call() (polkit may ask for a password).
 * - new .c files go into gui_sources in gui/meson.build, .ui files into
 *   gui/cirrina.gresource.xml. */
#pragma once

#include <adwaita.h>

#include "cirrina-client-page.h"
#include "cirrina-client.h"
#include "cirrina-form-dialog.h"
#include "cirrina-import.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_ISOS_PAGE (cirrina_isos_page_get_type())
G_DECLARE_FINAL_TYPE(CirrinaIsosPage, cirrina_isos_page, CIRRINA, ISOS_PAGE, CirrinaClientPage)

GtkWidget *cirrina_isos_page_new(CirrinaClient *client);

/* What the actions do (for tests): the dialog opened, NULL when there is
 * no such ISO. */
CirrinaFormDialog *cirrina_isos_page_edit_iso(CirrinaIsosPage *self, const char *object_path);
AdwMessageDialog *cirrina_isos_page_delete_iso(CirrinaIsosPage *self, const char *object_path);

/* Imports file as a new ISO named after it (made unique), as the file
 * chooser's answer does. Returns the running import (transfer none: the
 * page holds it until it finishes). */
CirrinaImport *cirrina_isos_page_import_file(CirrinaIsosPage *self, GFile *file);

/* Registers file where it is (RegisterISO); FALSE without a daemon or a
 * local path. Errors are toasts. */
gboolean cirrina_isos_page_register_file(CirrinaIsosPage *self, GFile *file);

/* The ISOs: one AdwActionRow each, titled with its name, named
 * (gtk_widget_get_name) with its object path. The work in progress:
 * CirrinaProgressRow rows. */
GtkListBox *cirrina_isos_page_get_list_box(CirrinaIsosPage *self);
GtkListBox *cirrina_isos_page_get_progress_list(CirrinaIsosPage *self);

G_END_DECLS

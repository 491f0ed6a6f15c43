/* CirrinaDisksPage: the Disks page: create, import, resize, clone, edit and delete disks.
 *
 * A boxed list of the daemon's disks, live, each with its size, format,
 * bus and the VM using it, and a menu: Edit (name, description, bus, cache,
 * read-only: one Update, plus Rename), Resize (shrinking is marked as
 * such and sent with Force), Clone, Delete (asks first). "New Disk" asks
 * for name, size, bus (and format where zvols exist). "Import…" picks a
 * file (GtkFileChooserNative) and streams it into Manager.ImportDisk
 * (CirrinaImport); "In Progress" above the list shows its progress with a
 * Cancel button, and also the daemon's other disk jobs (clones, imports by
 * cirrinactl). Form errors show in the form; other errors are toasts.
 *
 * Actions: disks.new, disks.import, disks.edit/resize/clone/delete(s path).
 *
 * Contract with the window (gui/cirrina-window.c):
 * - the window makes it with cirrina_disks_page_new(client) once, at start-up, and
 *   shows it as the "disks" page of its view stack; the page lives as long as
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

#define CIRRINA_TYPE_DISKS_PAGE (cirrina_disks_page_get_type())
G_DECLARE_FINAL_TYPE(CirrinaDisksPage, cirrina_disks_page, CIRRINA, DISKS_PAGE, CirrinaClientPage)

GtkWidget *cirrina_disks_page_new(CirrinaClient *client);

/* What the actions do, returning the dialog they open (for tests): NULL
 * when there is no such disk or no daemon. */
CirrinaFormDialog *cirrina_disks_page_new_disk(CirrinaDisksPage *self);
CirrinaFormDialog *cirrina_disks_page_edit_disk(CirrinaDisksPage *self, const char *object_path);
CirrinaFormDialog *cirrina_disks_page_resize_disk(CirrinaDisksPage *self, const char *object_path);
CirrinaFormDialog *cirrina_disks_page_clone_disk(CirrinaDisksPage *self, const char *object_path);
AdwMessageDialog *cirrina_disks_page_delete_disk(CirrinaDisksPage *self, const char *object_path);

/* Imports file as a new disk named after it (made unique), as the file
 * chooser's answer does; the import shows in "In Progress" until it ends.
 * Returns the running import (transfer none: the page holds it until it
 * finishes). */
CirrinaImport *cirrina_disks_page_import_file(CirrinaDisksPage *self, GFile *file);

/* The disks: one AdwActionRow per disk, titled with its name, named
 * (gtk_widget_get_name) with its object path. The work in progress:
 * CirrinaProgressRow rows. */
GtkListBox *cirrina_disks_page_get_list_box(CirrinaDisksPage *self);
GtkListBox *cirrina_disks_page_get_progress_list(CirrinaDisksPage *self);

G_END_DECLS

/* Helpers for the tests of the Switches, Disks and ISOs pages (on top of
 * gui-test.h): rows as a user reads them, the form dialogs, files made by
 * the test and the daemon's objects by name. */
#pragma once

#include "gui-test.h"

#include "cirrina-form-dialog.h"

G_BEGIN_DECLS

/* The titles of list's rows, top to bottom, comma-separated; "" when the
 * list is not shown. */
char *storage_test_row_titles(GtkListBox *list);
gboolean storage_test_titles_are(GtkListBox *list, const char *expected);

/* The row of list titled title, or NULL. */
GtkWidget *storage_test_row(GtkListBox *list, const char *title);

/* The row's subtitle ("" if none). */
const char *storage_test_row_subtitle(GtkWidget *row);

/* The first mapped widget of type under root (depth first), or NULL. */
GtkWidget *storage_test_find_type(GtkWidget *root, GType type);

/* The preferences row (CirrinaEntryRow, AdwComboRow ...) titled title under
 * root, or NULL. */
GtkWidget *storage_test_find_row(GtkWidget *root, GType type, const char *title);

/* The form dialog that is open now (waits for it). */
CirrinaFormDialog *storage_test_wait_form(void);
/* Types text into the form's entry row titled title. */
void storage_test_form_set_text(CirrinaFormDialog *dialog, const char *title, const char *text);
/* Presses the form's action button (its label, e.g. "Create"). */
void storage_test_form_press(CirrinaFormDialog *dialog, const char *button);
/* Waits until no form dialog is open. */
void storage_test_wait_form_closed(void);

/* Answers the open AdwMessageDialog by clicking the button labelled label. */
void storage_test_answer_message(const char *heading, const char *label);

/* The object path of the object of this kind ("Switch", "Disk", "ISO")
 * named name, or NULL (Manager.Get<kind>). */
char *storage_test_lookup(const char *kind, const char *name);

/* Deletes every object that has interface ("org.cirrina.Disk" ...). */
void storage_test_delete_all(const char *interface);

/* A file of size bytes in a fresh temporary directory: random data, or a
 * hole (sparse, reads as zeros) when sparse. The caller frees the path;
 * storage_test_remove_file removes file and directory. */
char *storage_test_make_file(const char *name, gsize size, gboolean sparse);
void storage_test_remove_file(const char *path);

/* SHA-256 of a file's contents, in hex. */
char *storage_test_file_sha256(const char *path);

/* The names in a directory, sorted, comma-separated. */
char *storage_test_dir_listing(const char *dir);

G_END_DECLS

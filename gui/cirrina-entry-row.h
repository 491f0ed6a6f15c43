/* CirrinaEntryRow: a preferences row to type text into, looking like
 * libadwaita's AdwEntryRow (the title over the text, or the title alone
 * while the row is empty and not being edited).
 *
 * Why not AdwEntryRow: in libadwaita 1.2 with GTK 4.8 its text field has
 * no accessible of its own, so a screen reader hears nothing when Tab
 * enters it. This row types into a real GtkEntry (a GtkPasswordEntry for
 * passwords), named after the row's title (and renamed with it), which
 * tells the focus as any entry does.
 *
 * The row is a GtkEditable (delegating to the entry): gtk_editable_set_text()
 * and "changed" work on the row itself. The focus goes to the entry; the
 * row is never a Tab stop of its own. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CIRRINA_TYPE_ENTRY_ROW (cirrina_entry_row_get_type())
G_DECLARE_FINAL_TYPE(CirrinaEntryRow, cirrina_entry_row, CIRRINA, ENTRY_ROW, AdwPreferencesRow)

GtkWidget *cirrina_entry_row_new(const char *title);

/* A GtkPasswordEntry, with a toggle button that shows the text. */
GtkWidget *cirrina_entry_row_new_password(const char *title);

/* The entry typed into: what takes the focus and what assistive
 * technologies read (put descriptions and the invalid state on it). */
GtkWidget *cirrina_entry_row_get_entry(CirrinaEntryRow *self);

/* Adds widget after the text (a button, say). */
void cirrina_entry_row_add_suffix(CirrinaEntryRow *self, GtkWidget *widget);

/* Enter in the entry activates the window's default widget. The row emits
 * "entry-activated" on Enter in any case. */
void cirrina_entry_row_set_activates_default(CirrinaEntryRow *self, gboolean activates);
gboolean cirrina_entry_row_get_activates_default(CirrinaEntryRow *self);

G_END_DECLS

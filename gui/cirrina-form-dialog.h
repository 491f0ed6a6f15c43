/* CirrinaFormDialog: a small modal form for create/edit dialogs.
 *
 * A header bar with Cancel and an action button ("Create", "Apply" ...),
 * an inline error line and a boxed list of rows the page fills
 * (CirrinaEntryRow, AdwComboRow, ...). The page connects "apply" (the action
 * button, or Enter in an entry row that activates the default), makes its
 * call with cirrina_form_dialog_set_busy(TRUE), and then either closes the
 * dialog or shows the daemon's error in it, with the user's input still
 * there to correct. While busy the dialog cannot be closed, so the answer
 * always has a dialog to land in. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CIRRINA_TYPE_FORM_DIALOG (cirrina_form_dialog_get_type())
G_DECLARE_FINAL_TYPE(CirrinaFormDialog, cirrina_form_dialog, CIRRINA, FORM_DIALOG, AdwWindow)

/* parent: any widget of the window the dialog belongs to. */
CirrinaFormDialog *cirrina_form_dialog_new(GtkWidget *parent, const char *title,
                                           const char *action_label);

/* Adds a row (or any widget) to the form's list. */
void cirrina_form_dialog_add(CirrinaFormDialog *self, GtkWidget *row);

/* Destructive actions (shrinking a disk) get a red button. */
void cirrina_form_dialog_set_destructive(CirrinaFormDialog *self, gboolean destructive);
void cirrina_form_dialog_set_action_label(CirrinaFormDialog *self, const char *label);
void cirrina_form_dialog_set_action_sensitive(CirrinaFormDialog *self, gboolean sensitive);

/* Busy: the buttons are insensitive and a spinner turns. */
void cirrina_form_dialog_set_busy(CirrinaFormDialog *self, gboolean busy);
gboolean cirrina_form_dialog_get_busy(CirrinaFormDialog *self);

/* Shows message under the header bar (NULL hides it), ends busy. */
void cirrina_form_dialog_show_error(CirrinaFormDialog *self, const char *message);
const char *cirrina_form_dialog_get_error(CirrinaFormDialog *self);

/* Presses the action button, as a user would (tests, Enter). */
void cirrina_form_dialog_apply(CirrinaFormDialog *self);

G_END_DECLS

/* Accessible names for buttons with a mnemonic label ("_Cancel").
 *
 * GTK 4.8 names such a button after its label property, underscore and
 * all, and then after the label it is labelled by: a screen reader says
 * "underscore Cancel Cancel". Once installed, every GtkButton and
 * GtkCheckButton with a mnemonic label is named by the label's text alone
 * ("Cancel") when it is shown, and again when its label changes: the app's
 * own buttons and those libadwaita makes (a message dialog's responses). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Process-wide; a second call does nothing. */
void cirrina_mnemonic_names_install(void);

/* The text a mnemonic label shows: "C_reate" -> "Create", "a__b" -> "a_b". */
char *cirrina_mnemonic_strip(const char *label);

G_END_DECLS

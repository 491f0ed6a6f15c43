/* Helpers shared by the Switches, Disks and ISOs pages: the window's
 * toasts, icon buttons with accessible names, a delete confirmation, combo
 * and switch rows for forms, and a name for an object made from a file. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* cirrina_window_show_error/show_toast on the page's window; a page not
 * (yet) in a window logs instead, so nothing is lost silently. */
void cirrina_page_show_error(GtkWidget *page, const char *what, const GError *error);
void cirrina_page_show_toast(GtkWidget *page, const char *message);

/* A flat, icon-only button that activates action (with target, may be
 * NULL; a floating reference is sunk). label is its accessible name and
 * tooltip: icon-only buttons must say what they do. */
GtkWidget *cirrina_icon_button_new(const char *icon_name, const char *label, const char *action,
                                   GVariant *target);

/* The Delete key on a focused row runs action (with the row's object path
 * as target): delete without reaching for the row's buttons. */
void cirrina_row_add_delete_shortcut(GtkWidget *row, const char *action, const char *path);

/* An AdwMessageDialog over the page's window: heading, body, Cancel and a
 * red button confirm_label; confirmed(page, user_data) runs only on the red
 * button. destroy frees user_data in any case. */
typedef void (*CirrinaConfirmedFunc)(GtkWidget *page, gpointer user_data);
AdwMessageDialog *cirrina_confirm_destructive(GtkWidget *page, const char *heading,
                                              const char *body, const char *confirm_label,
                                              CirrinaConfirmedFunc confirmed, gpointer user_data,
                                              GDestroyNotify destroy);

/* An AdwComboRow over a list of strings, selected set to the entry equal to
 * selected (if any). */
AdwComboRow *cirrina_combo_row_new(const char *title, const char *const *choices,
                                   const char *selected);
const char *cirrina_combo_row_get_string(AdwComboRow *row);

/* An AdwActionRow with a GtkSwitch (AdwSwitchRow is libadwaita 1.4). */
AdwActionRow *cirrina_switch_row_new(const char *title, const char *subtitle, gboolean active);
gboolean cirrina_switch_row_get_active(AdwActionRow *row);

/* A valid object name (1 to 64 of [A-Za-z0-9._-], led by a letter or
 * digit) from a file's name without its extension; prefix when nothing of
 * it is usable. */
char *cirrina_name_from_file(GFile *file, const char *prefix);

/* name, or name-2, name-3 ... : the first one taken() says is free. */
typedef gboolean (*CirrinaNameTakenFunc)(const char *name, gpointer user_data);
char *cirrina_unique_name(const char *name, CirrinaNameTakenFunc taken, gpointer user_data);

/* "20 GiB" (IEC units, as the daemon counts). */
char *cirrina_format_size(guint64 bytes);

G_END_DECLS

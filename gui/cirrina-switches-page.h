/* CirrinaSwitchesPage: the Switches page: create, edit and delete virtual switches.
 *
 * A boxed list of the daemon's switches, live (the client's object manager:
 * added, removed, renamed and changed switches show at once), each row with
 * its interface, uplink and description, an edit and a delete button; an
 * empty page with a "New Switch" button when there are none. Create and
 * edit happen in a CirrinaFormDialog (name, uplink from
 * Manager.GetHostInterfaces, type on FreeBSD, description; an edit is one
 * Update, plus Rename if the name changed); the daemon's refusal shows in
 * the dialog. Delete asks first; its errors are toasts.
 *
 * Actions: switches.new, switches.edit(s path), switches.delete(s path).
 *
 * Contract with the window (gui/cirrina-window.c):
 * - the window makes it with cirrina_switches_page_new(client) once, at start-up, and
 *   shows it as the "switches" page of its view stack; the page lives as long as
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

G_BEGIN_DECLS

#define CIRRINA_TYPE_SWITCHES_PAGE (cirrina_switches_page_get_type())
G_DECLARE_FINAL_TYPE(CirrinaSwitchesPage, cirrina_switches_page, CIRRINA, SWITCHES_PAGE,
                     CirrinaClientPage)

GtkWidget *cirrina_switches_page_new(CirrinaClient *client);

/* What the actions do, returning the dialog they open (for tests): NULL
 * when there is no such switch or no daemon. */
CirrinaFormDialog *cirrina_switches_page_new_switch(CirrinaSwitchesPage *self);
CirrinaFormDialog *cirrina_switches_page_edit_switch(CirrinaSwitchesPage *self,
                                                     const char *object_path);
AdwMessageDialog *cirrina_switches_page_delete_switch(CirrinaSwitchesPage *self,
                                                      const char *object_path);

/* The list of switches: one AdwActionRow per switch, titled with its name,
 * named (gtk_widget_get_name) with its object path. */
GtkListBox *cirrina_switches_page_get_list_box(CirrinaSwitchesPage *self);

G_END_DECLS

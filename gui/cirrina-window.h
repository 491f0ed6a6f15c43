/* CirrinaWindow: the main window.
 *
 * A view stack of pages ("vms", "switches", "disks", "isos") under a header
 * bar with a view switcher, and toasts over everything. The "vms" page is a
 * leaflet: VM list -> one VM's details -> its console. While cirrinad is not
 * on the bus a "Cannot reach cirrinad" page stands in for all of it, and
 * goes away by itself when the daemon appears.
 *
 * Page authors: find the window with
 *   CIRRINA_WINDOW(gtk_widget_get_root(GTK_WIDGET(page)))
 * (NULL-check when the page may not be in a window yet). */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_WINDOW (cirrina_window_get_type())
G_DECLARE_FINAL_TYPE(CirrinaWindow, cirrina_window, CIRRINA, WINDOW, AdwApplicationWindow)

/* application may be NULL (tests). */
CirrinaWindow *cirrina_window_new(GtkApplication *application, CirrinaClient *client);

CirrinaClient *cirrina_window_get_client(CirrinaWindow *self);

/* A toast "<what>: <the error in words>" that stays until dismissed, so no
 * error is lost (cirrina_client_describe_error()). A cancelled operation
 * shows nothing. */
void cirrina_window_show_error(CirrinaWindow *self, const char *what, const GError *error);

/* A plain message as a toast (plain text, not markup). */
void cirrina_window_show_toast(CirrinaWindow *self, const char *message);

/* Navigation. page: "vms", "switches", "disks" or "isos". */
void cirrina_window_show_page(CirrinaWindow *self, const char *page);
void cirrina_window_show_vm_list(CirrinaWindow *self);
void cirrina_window_show_vm_details(CirrinaWindow *self, CirrinaObject *vm);
void cirrina_window_show_console(CirrinaWindow *self, CirrinaObject *vm);

/* For tests and the pages: the visible page's name ("vms", ...), and within
 * "vms" the leaflet's ("list", "details", "console"); "offline" or
 * "connecting" while there is no daemon. */
const char *cirrina_window_get_visible_page(CirrinaWindow *self);
const char *cirrina_window_get_visible_vm_page(CirrinaWindow *self);

G_END_DECLS

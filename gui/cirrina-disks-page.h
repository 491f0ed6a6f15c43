/* CirrinaDisksPage: the Disks page: create, import, resize, clone, edit and delete disks.
 *
 * PLACEHOLDER made by the app skeleton; its owner fills it in.
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

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_DISKS_PAGE (cirrina_disks_page_get_type())
G_DECLARE_FINAL_TYPE(CirrinaDisksPage, cirrina_disks_page, CIRRINA, DISKS_PAGE, AdwBin)

GtkWidget *cirrina_disks_page_new(CirrinaClient *client);
CirrinaClient *cirrina_disks_page_get_client(CirrinaDisksPage *self);

G_END_DECLS

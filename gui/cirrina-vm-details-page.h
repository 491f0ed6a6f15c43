/* CirrinaVmDetailsPage: details and editing of one VM: name, description, group, CPUs and
 * topology, memory, startup, display, devices and hypervisor settings, disks, ISOs and NICs.
 *
 * The VM's name, state and power actions (start, shut down, force off, reset, delete) and a
 * Console button head the page; Revert and Apply close it. Edits wait for Apply, which sends
 * the VM's properties as ONE Update call (then Rename for a new name, then the NICs' own calls:
 * see cirrina-nic-list.h); the daemon's errors appear as toasts and on the rows they are about.
 * Properties not being edited follow the daemon live. Enter in a field and Ctrl+S apply.
 *
 * Contract with the window (gui/cirrina-window.c):
 * - the window makes one with cirrina_vm_details_page_new(client) at start-up and keeps it in
 *   the "vms" page's leaflet (VM list -> details -> console).
 * - it is shown when a VM row of the list is activated (after set_vm()).
 * - it offers "Open Console" with cirrina_window_show_console(window, vm).
 * - "vm" (CirrinaObject, may be NULL) is a property: cirrina_vm_details_page_set_vm() is the
 *   only way the window hands a VM over; it calls it again with NULL when
 *   the user goes back to the list (let go of fds and calls then). The
 *   CirrinaObject is the client's: read and watch its cirrina_object_peek_vm()
 *   (PropertiesChanged arrive as notify::), and the VM may be removed
 *   behind the page's back (the client's "object-removed"; the window
 *   then goes back to the list and calls set_vm(NULL)).
 * - navigation: cirrina_window_show_vm_details(), cirrina_window_show_console(),
 *   cirrina_window_show_vm_list() (gui/cirrina-window.h).
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

G_BEGIN_DECLS

#define CIRRINA_TYPE_VM_DETAILS_PAGE (cirrina_vm_details_page_get_type())
G_DECLARE_FINAL_TYPE(CirrinaVmDetailsPage, cirrina_vm_details_page, CIRRINA, VM_DETAILS_PAGE,
                     CirrinaClientPage)

GtkWidget *cirrina_vm_details_page_new(CirrinaClient *client);

/* vm: an org.cirrina.VM object of the client, or NULL. */
void cirrina_vm_details_page_set_vm(CirrinaVmDetailsPage *self, CirrinaObject *vm);
CirrinaObject *cirrina_vm_details_page_get_vm(CirrinaVmDetailsPage *self);

G_END_DECLS

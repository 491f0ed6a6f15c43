/* CirrinaNewVmDialog: the "New VM" flow (name, ISO, disk size, network,
 * CPUs, memory) that ends with a ready VM: it makes the VM, a disk of the
 * size asked for (named "<vm>-disk0") attached to it, and a NIC on the
 * chosen switch or NAT; a failure midway deletes what was made and shows
 * the daemon's error in the dialog. Enter creates, Escape cancels.
 *
 * Contract with the window (gui/cirrina-window.c):
 * - the window's "win.new-vm" action (the header's "+" button, Ctrl+N)
 *   makes one with cirrina_new_vm_dialog_new(window, client) and presents
 *   it; it is a modal, transient-for window that destroys itself when done
 *   or cancelled (Escape closes it).
 * - when it has made a VM it emits "vm-created" with the VM's object path
 *   (the return of org.cirrina.Manager.CreateVM), then closes; the window
 *   then opens that VM's details page.
 * - errors it cannot show inline: cirrina_window_show_error() on its
 *   transient-for window.
 * - calls: cirrina_proxy_call() on cirrina_client_get_manager(client).
 * - new .c files go into gui_sources in gui/meson.build, .ui files into
 *   gui/cirrina.gresource.xml. */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_NEW_VM_DIALOG (cirrina_new_vm_dialog_get_type())
G_DECLARE_FINAL_TYPE(CirrinaNewVmDialog, cirrina_new_vm_dialog, CIRRINA, NEW_VM_DIALOG, AdwWindow)

CirrinaNewVmDialog *cirrina_new_vm_dialog_new(GtkWindow *parent, CirrinaClient *client);
CirrinaClient *cirrina_new_vm_dialog_get_client(CirrinaNewVmDialog *self);

G_END_DECLS

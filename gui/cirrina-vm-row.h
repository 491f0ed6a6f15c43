/* CirrinaVmRow: one VM in the list: name, group and description, a state
 * pill, a start or shut-down button and a menu with every power action.
 *
 * Its actions, enabled from the VM's State (and while no call of this row
 * is on its way): vm.start, vm.stop (ACPI shutdown), vm.kill (force off),
 * vm.reset, vm.delete (asks first), vm.details, vm.console. Keys on a
 * focused row: Enter opens the details, Ctrl+Return starts, Ctrl+Shift+S
 * shuts down, Delete deletes (after the question), Menu/Shift+F10 opens
 * the menu. Errors go to the window's toasts. */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_VM_ROW (cirrina_vm_row_get_type())
G_DECLARE_FINAL_TYPE(CirrinaVmRow, cirrina_vm_row, CIRRINA, VM_ROW, AdwActionRow)

GtkWidget *cirrina_vm_row_new(CirrinaObject *vm);
CirrinaObject *cirrina_vm_row_get_vm(CirrinaVmRow *self);

/* The label a user reads for a State ("Running", ...). */
const char *cirrina_vm_row_state_label(const char *state);

G_END_DECLS

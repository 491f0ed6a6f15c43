/* CirrinaVmListModel: the daemon's VMs as a GListModel of CirrinaObject,
 * sorted by name (then by path, for equal names between a rename's two
 * steps), kept current from the client's object-added/-removed signals and
 * each VM's notify::name (a rename moves the item). No polling. */
#pragma once

#include <gio/gio.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_VM_LIST_MODEL (cirrina_vm_list_model_get_type())
G_DECLARE_FINAL_TYPE(CirrinaVmListModel, cirrina_vm_list_model, CIRRINA, VM_LIST_MODEL, GObject)

CirrinaVmListModel *cirrina_vm_list_model_new(CirrinaClient *client);

/* The position of object in the list, or -1. */
int cirrina_vm_list_model_find(CirrinaVmListModel *self, CirrinaObject *object);

G_END_DECLS

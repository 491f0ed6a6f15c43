/* CirrinaVmListPage: the list of VMs, live from the daemon, with their
 * state and power actions. Activating a row opens the VM's details. */
#pragma once

#include <adwaita.h>

#include "cirrina-client-page.h"
#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_VM_LIST_PAGE (cirrina_vm_list_page_get_type())
G_DECLARE_FINAL_TYPE(CirrinaVmListPage, cirrina_vm_list_page, CIRRINA, VM_LIST_PAGE,
                     CirrinaClientPage)

GtkWidget *cirrina_vm_list_page_new(CirrinaClient *client);

/* The listed VMs (CirrinaVmListModel), and the row of one (NULL if not
 * listed): for tests. */
GListModel *cirrina_vm_list_page_get_model(CirrinaVmListPage *self);
GtkWidget *cirrina_vm_list_page_get_row(CirrinaVmListPage *self, CirrinaObject *vm);

G_END_DECLS

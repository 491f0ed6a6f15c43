/* CirrinaNicList: the network interfaces of a VM, edited before Apply.
 *
 * A VM's NICs are objects of their own (org.cirrina.NIC), made by the VM's
 * AddNIC, changed by their Update and removed by their Remove: they are
 * not part of the VM's Update. So the list collects the user's edits (a new
 * NIC on a switch or on user-mode NAT, a NIC to remove, a NIC's network,
 * model, MAC or rate limits changed) and makes those calls when the page
 * applies, after the VM's own Update.
 *
 * The daemon keeps NICs in the order they were added (their index is part
 * of their path and of the generated MAC), and the API has no way to reorder
 * them, so this list has none either. */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_NIC_LIST (cirrina_nic_list_get_type())
G_DECLARE_FINAL_TYPE(CirrinaNicList, cirrina_nic_list, CIRRINA, NIC_LIST, AdwPreferencesGroup)

CirrinaNicList *cirrina_nic_list_new(CirrinaClient *client);

/* The VM whose NICs are shown (NULL: none); drops every pending edit. */
void cirrina_nic_list_set_vm(CirrinaNicList *self, CirrinaVM *vm);

/* Follows the daemon (the VM's NICs, the NICs' properties, the switches)
 * and keeps the pending edits of NICs that still exist. */
void cirrina_nic_list_refresh(CirrinaNicList *self);

/* Pending edits: one per NIC added, removed or changed. */
guint cirrina_nic_list_count_changes(CirrinaNicList *self);
void cirrina_nic_list_revert(CirrinaNicList *self);

/* Makes the calls, one after the other; stops at the first failure, whose
 * edit stays pending (the ones done before it are gone). */
void cirrina_nic_list_apply(CirrinaNicList *self, GAsyncReadyCallback callback, gpointer user_data);
/* what: on failure, what was being done ("Adding a network interface"). */
gboolean cirrina_nic_list_apply_finish(CirrinaNicList *self, GAsyncResult *result, char **what,
                                       GError **error);

/* The same as the buttons. switch_path: a switch, or "/" for NAT. */
void cirrina_nic_list_add(CirrinaNicList *self, const char *switch_path);
/* Marks the index-th NIC for removal (a pending new one just goes). */
void cirrina_nic_list_remove(CirrinaNicList *self, guint index);

/* "changed": the pending edits changed. */

G_END_DECLS

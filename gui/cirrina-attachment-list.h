/* CirrinaAttachmentList: the ordered disks or ISOs of a VM, as a group of
 * rows to edit before Apply.
 *
 * It shows a list of object paths (the VM's Disks or ISOs property: boot
 * order for disks) with each object's name and size, and lets the user
 * attach one more (a popover of the disks that no other VM uses, or of all
 * ISOs), detach one, and move one up or down (buttons with accessible names,
 * reachable by Tab). It only edits its list: "changed" tells the page, which
 * sends the list as the Disks or ISOs key of the VM's one Update call. Names
 * and sizes follow the objects live (a rename, an object removed). */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

typedef enum {
    CIRRINA_ATTACHMENT_DISK, /* org.cirrina.Disk, the VM's Disks */
    CIRRINA_ATTACHMENT_ISO,  /* org.cirrina.ISO, the VM's ISOs */
} CirrinaAttachmentKind;

#define CIRRINA_TYPE_ATTACHMENT_LIST (cirrina_attachment_list_get_type())
G_DECLARE_FINAL_TYPE(CirrinaAttachmentList, cirrina_attachment_list, CIRRINA, ATTACHMENT_LIST,
                     AdwPreferencesGroup)

CirrinaAttachmentList *cirrina_attachment_list_new(CirrinaClient *client,
                                                   CirrinaAttachmentKind kind);

/* The VM the list belongs to: disks attached to it count as free. */
void cirrina_attachment_list_set_vm_path(CirrinaAttachmentList *self, const char *vm_path);

/* Shows paths (the daemon's list) without emitting "changed". */
void cirrina_attachment_list_set_paths(CirrinaAttachmentList *self, const char *const *paths);

/* The list as the user left it (transfer none; NULL-terminated). */
const char *const *cirrina_attachment_list_get_paths(CirrinaAttachmentList *self);

/* The list as an "ao" GVariant (floating). */
GVariant *cirrina_attachment_list_get_value(CirrinaAttachmentList *self);

/* An error about the list from the daemon, shown under the group's title
 * (NULL clears it). */
void cirrina_attachment_list_set_error(CirrinaAttachmentList *self, const char *message);

/* For tests and keyboard users: the same as the row's buttons. */
void cirrina_attachment_list_attach(CirrinaAttachmentList *self, const char *path);
void cirrina_attachment_list_detach(CirrinaAttachmentList *self, guint index);
void cirrina_attachment_list_move(CirrinaAttachmentList *self, guint index, int delta);

G_END_DECLS

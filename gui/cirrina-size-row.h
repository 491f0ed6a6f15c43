/* CirrinaSizeRow: a form row for a disk size: a number and a unit (MiB,
 * GiB, TiB). "size" is in bytes, rounded up to a multiple of 512 (what
 * the daemon takes). A size given with cirrina_size_row_set_size() is
 * kept exactly until the user changes the row, even where the number
 * shown is rounded. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CIRRINA_TYPE_SIZE_ROW (cirrina_size_row_get_type())
G_DECLARE_FINAL_TYPE(CirrinaSizeRow, cirrina_size_row, CIRRINA, SIZE_ROW, AdwActionRow)

GtkWidget *cirrina_size_row_new(const char *title);

guint64 cirrina_size_row_get_size(CirrinaSizeRow *self);
void cirrina_size_row_set_size(CirrinaSizeRow *self, guint64 bytes);

/* The number and unit as a user would type them (tests). unit: "MiB",
 * "GiB" or "TiB". */
void cirrina_size_row_set_value(CirrinaSizeRow *self, double value, const char *unit);

G_END_DECLS

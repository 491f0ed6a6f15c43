/* org.cirrina.Disk at /org/cirrina/disk/<uuid>: the shared methods of
 * named objects, and the properties of its Field table. */
#include "bus/object.h"

int bus_disk_register(Daemon *d)
{
    return bus_object_register(d, KIND_DISK, "org.cirrina.Disk", bus_named_object_methods);
}

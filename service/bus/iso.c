/* org.cirrina.ISO at /org/cirrina/iso/<uuid>: the shared methods of
 * named objects, and the properties of its Field table. */
#include "bus/object.h"

int bus_iso_register(Daemon *d)
{
    return bus_object_register(d, KIND_ISO, "org.cirrina.ISO", bus_named_object_methods);
}

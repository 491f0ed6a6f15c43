/* org.cirrina.Switch at /org/cirrina/switch/<uuid>: the shared methods of
 * named objects, and the properties of its Field table. */
#include "bus/object.h"

int bus_switch_register(Daemon *d)
{
    return bus_object_register(d, KIND_SWITCH, "org.cirrina.Switch", bus_named_object_methods);
}

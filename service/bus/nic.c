/* org.cirrina.NIC at /org/cirrina/vm/<uuid>/nic/<n>. */
#include "bus/object.h"

static const sd_bus_vtable nic_methods[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Update", "a{sv}", "", bus_method_update, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Remove", "", "", bus_method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int bus_nic_register(Daemon *d)
{
    return bus_object_register(d, KIND_NIC, "org.cirrina.NIC", nic_methods);
}

#include "bus/errors.h"

#include <errno.h>

#include "core/errors.h"

static const sd_bus_error_map cirrina_error_map[] = {
    SD_BUS_ERROR_MAP(CIRRINA_ERROR_NAME_INVALID_ARGUMENT, EINVAL),
    SD_BUS_ERROR_MAP(CIRRINA_ERROR_NAME_NOT_FOUND, ENOENT),
    SD_BUS_ERROR_MAP(CIRRINA_ERROR_NAME_EXISTS, EEXIST),
    SD_BUS_ERROR_MAP(CIRRINA_ERROR_NAME_BUSY, EBUSY),
    SD_BUS_ERROR_MAP(CIRRINA_ERROR_NAME_NOT_SUPPORTED, EOPNOTSUPP),
    SD_BUS_ERROR_MAP(CIRRINA_ERROR_NAME_FAILED, EIO),
    SD_BUS_ERROR_MAP(CIRRINA_ERROR_NAME_CANCELLED, ECANCELED),
    SD_BUS_ERROR_MAP_END,
};

void bus_errors_register(void)
{
    sd_bus_error_add_map(cirrina_error_map);
}

int bus_error_from_gerror(sd_bus_error *error, const GError *gerror)
{
    static const char *const names[] = {
        [CIRRINA_ERROR_INVALID_ARGUMENT] = CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
        [CIRRINA_ERROR_NOT_FOUND] = CIRRINA_ERROR_NAME_NOT_FOUND,
        [CIRRINA_ERROR_EXISTS] = CIRRINA_ERROR_NAME_EXISTS,
        [CIRRINA_ERROR_BUSY] = CIRRINA_ERROR_NAME_BUSY,
        [CIRRINA_ERROR_NOT_SUPPORTED] = CIRRINA_ERROR_NAME_NOT_SUPPORTED,
        [CIRRINA_ERROR_FAILED] = CIRRINA_ERROR_NAME_FAILED,
        [CIRRINA_ERROR_CANCELLED] = CIRRINA_ERROR_NAME_CANCELLED,
    };
    const char *name = CIRRINA_ERROR_NAME_FAILED;

    if (gerror->domain == CIRRINA_ERROR && gerror->code >= 0 &&
        (size_t)gerror->code < G_N_ELEMENTS(names))
        name = names[gerror->code];
    return sd_bus_error_set(error, name, gerror->message);
}

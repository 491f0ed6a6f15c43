/* The bhyve driver (being written). */
#include "core/errors.h"
#include "hv/hv.h"

static HvPlan *bhyve_plan(const HvSpec *spec, GError **error)
{
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED, "not yet");
    return NULL;
}

static HvExit bhyve_interpret_exit(int wait_status)
{
    return (HvExit){HV_EXIT_POWEROFF, "poweroff"};
}

const HvDriver hv_bhyve_driver = {
    .name = "bhyve",
    .plan = bhyve_plan,
    .interpret_exit = bhyve_interpret_exit,
};

#include <stdarg.h>
#include <string.h>

#include "hv/hv.h"

HvPlan *hv_plan_new(void)
{
    HvPlan *plan = g_new0(HvPlan, 1);

    plan->argv = g_ptr_array_new_with_free_func(g_free);
    plan->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    plan->copies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return plan;
}

void hv_plan_free(HvPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_unref(plan->argv);
    g_hash_table_unref(plan->files);
    g_hash_table_unref(plan->copies);
    g_free(plan);
}

void hv_plan_add_arg(HvPlan *plan, const char *arg)
{
    g_ptr_array_add(plan->argv, g_strdup(arg));
}

void hv_plan_add_argf(HvPlan *plan, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    g_ptr_array_add(plan->argv, g_strdup_vprintf(format, ap));
    va_end(ap);
}

const HvDriver *hv_driver_by_name(const char *name)
{
    if (strcmp(name, "qemu") == 0)
        return &hv_qemu_driver;
    if (strcmp(name, "bhyve") == 0)
        return &hv_bhyve_driver;
    return NULL;
}

char *hv_nmdm_device(const char *vm_uuid, unsigned port, char side)
{
    g_autofree char *short_id = g_strndup(vm_uuid, 8);
    return g_strdup_printf("/dev/nmdm-%s.%u%c", short_id, port, side);
}

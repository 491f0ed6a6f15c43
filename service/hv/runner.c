#include "hv/runner.h"

#include "core/errors.h"

static HostRunFunc runner_func;
static void *runner_data;

void host_runner_set(HostRunFunc func, void *data)
{
    runner_func = func;
    runner_data = data;
}

bool host_run(const char *const *argv, GError **error)
{
    g_autofree char *err = NULL;
    int status;

    if (runner_func)
        return runner_func(argv, runner_data, error);
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, NULL, &err, &status, error))
        return false;
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "'%s' failed: %s", cmd,
                    err && err[0] ? g_strstrip(err) : "no message");
        return false;
    }
    return true;
}

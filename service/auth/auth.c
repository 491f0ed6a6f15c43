#include "auth/auth.h"

#include <errno.h>
#include <unistd.h>

struct Auth {
    AuthMode mode;
    uid_t own_uid;
};

Auth *auth_new(AuthMode mode)
{
    Auth *auth = g_new0(Auth, 1);

    auth->mode = mode;
    auth->own_uid = geteuid();
    return auth;
}

void auth_free(Auth *auth)
{
    g_free(auth);
}

static int sender_uid(sd_bus_message *m, uid_t *uid)
{
    sd_bus_creds *creds = NULL;
    int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);

    if (r >= 0)
        r = sd_bus_creds_get_euid(creds, uid);
    sd_bus_creds_unref(creds);
    return r;
}

int auth_check(Auth *auth, sd_bus_message *m, const char *action, AuthContinuation then,
               void *userdata, GDestroyNotify userdata_free, sd_bus_error *error)
{
    uid_t uid;
    int r = sender_uid(m, &uid);

    if (r < 0) {
        r = sd_bus_error_set_errnof(error, r, "Failed to identify the caller: %s", g_strerror(-r));
    } else if (uid == 0 || (auth->mode == AUTH_MODE_SESSION && uid == auth->own_uid)) {
        r = then(m, userdata, error);
    } else if (auth->mode == AUTH_MODE_SESSION) {
        r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                              "This session cirrinad serves only uid %u", (unsigned)auth->own_uid);
    } else {
        /* Until polkit is consulted, only root may change anything. */
        r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                              "Not authorized for %s: only root may do this on this host", action);
    }
    if (userdata_free)
        userdata_free(userdata);
    return r;
}

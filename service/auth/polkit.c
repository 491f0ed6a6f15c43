#include "auth/polkit.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#define POLKIT_CHECK_FLAG_ALLOW_INTERACTION 1
/* A person may be typing a password: give interactive checks time. */
#define POLKIT_TIMEOUT_USEC             (25 * G_USEC_PER_SEC)
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300 * G_USEC_PER_SEC)

struct PolkitCheck {
    sd_bus_slot *slot;
    PolkitAnswered answered;
    void *data;
};

static int check_replied(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    PolkitCheck *check = userdata;
    const sd_bus_error *e = sd_bus_message_get_error(reply);
    PolkitResult result = {0};
    int authorized = 0, challenge = 0, r;

    if (e) {
        bool absent = sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                      sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
        result.error =
            absent ? "polkit is not running on this host, so only root may do this" : e->message;
    } else if ((r = sd_bus_message_enter_container(reply, 'r', "bba{ss}")) < 0 ||
               (r = sd_bus_message_read(reply, "bb", &authorized, &challenge)) < 0) {
        result.error = "polkit's answer could not be read";
    } else {
        result.authorized = authorized;
        result.challenge = challenge;
    }
    check->slot = sd_bus_slot_unref(check->slot);
    check->answered(&result, check->data);
    g_free(check);
    return 0;
}

PolkitCheck *polkit_check_start(sd_bus_message *m, const char *action, const char *const *details,
                                bool interactive, PolkitAnswered answered, void *data,
                                sd_bus_error *error)
{
    g_autoptr(sd_bus_message) call = NULL;
    sd_bus *bus = sd_bus_message_get_bus(m);
    const char *sender = sd_bus_message_get_sender(m);
    int r;

    if (!sender) {
        sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "The caller has no bus name");
        return NULL;
    }
    r = sd_bus_message_new_method_call(
        bus, &call, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
        "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
    if (r >= 0)
        r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender,
                                  action);
    if (r >= 0)
        r = sd_bus_message_open_container(call, 'a', "{ss}");
    for (const char *const *d = details; r >= 0 && d && d[0] && d[1]; d += 2)
        r = sd_bus_message_append(call, "{ss}", d[0], d[1]);
    if (r >= 0)
        r = sd_bus_message_close_container(call);
    if (r >= 0)
        r = sd_bus_message_append(call, "us", interactive ? POLKIT_CHECK_FLAG_ALLOW_INTERACTION : 0,
                                  "");
    if (r < 0) {
        sd_bus_error_set_errnof(error, r, "Cannot ask polkit: %s", g_strerror(-r));
        return NULL;
    }

    PolkitCheck *check = g_new0(PolkitCheck, 1);
    check->answered = answered;
    check->data = data;
    r = sd_bus_call_async(bus, &check->slot, call, check_replied, check,
                          interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
    if (r < 0) {
        g_free(check);
        sd_bus_error_set_errnof(error, r, "Cannot ask polkit: %s", g_strerror(-r));
        return NULL;
    }
    return check;
}

void polkit_check_cancel(PolkitCheck *check)
{
    if (!check)
        return;
    sd_bus_slot_unref(check->slot);
    g_free(check);
}

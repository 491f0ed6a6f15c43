#include "auth/auth.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "auth/polkit.h"

/* Callers' uids remembered, at most this many (then the table starts over). */
#define SENDER_UIDS_MAX 4096

struct Auth {
    AuthMode mode;
    uid_t own_uid;
    GHashTable *pending;     /* PolkitCheck, owned */
    GHashTable *sender_uids; /* unique bus name -> uid (GUINT_TO_POINTER) */
};

typedef struct {
    Auth *auth;
    sd_bus_message *m;
    char *action;
    AuthContinuation then;
    void *userdata;
    GDestroyNotify userdata_free;
    PolkitCheck *check;
    bool interactive;
} PendingCall;

Auth *auth_new(AuthMode mode)
{
    Auth *auth = g_new0(Auth, 1);

    auth->mode = mode;
    auth->own_uid = geteuid();
    auth->pending = g_hash_table_new(NULL, NULL);
    auth->sender_uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return auth;
}

static void pending_free(PendingCall *p)
{
    if (p->userdata_free)
        p->userdata_free(p->userdata);
    sd_bus_message_unref(p->m);
    g_free(p->action);
    g_free(p);
}

void auth_free(Auth *auth)
{
    if (!auth)
        return;
    GHashTableIter iter;
    PendingCall *p;
    g_hash_table_iter_init(&iter, auth->pending);
    while (g_hash_table_iter_next(&iter, (gpointer *)&p, NULL)) {
        polkit_check_cancel(p->check);
        sd_bus_reply_method_errorf(p->m, SD_BUS_ERROR_NO_REPLY, "cirrinad is shutting down");
        pending_free(p);
    }
    g_hash_table_unref(auth->pending);
    g_hash_table_unref(auth->sender_uids);
    g_free(auth);
}

/* On dbus-daemon no credentials come with a message: sd-bus asks the bus
 * (GetConnectionCredentials), a synchronous round trip that blocked the main
 * loop once per call, doubling the cost of a cheap call (tests/bench/
 * api-scale). A connection's uid never changes and the bus never reuses a
 * unique name, so each sender is asked once. */
static int sender_uid(Auth *auth, sd_bus_message *m, uid_t *uid)
{
    const char *sender = sd_bus_message_get_sender(m);
    sd_bus_creds *creds = NULL;
    gpointer known;

    if (sender && g_hash_table_lookup_extended(auth->sender_uids, sender, NULL, &known)) {
        *uid = GPOINTER_TO_UINT(known);
        return 0;
    }
    int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
    if (r >= 0)
        r = sd_bus_creds_get_euid(creds, uid);
    sd_bus_creds_unref(creds);
    if (r >= 0 && sender && sender[0] == ':') {
        if (g_hash_table_size(auth->sender_uids) >= SENDER_UIDS_MAX)
            g_hash_table_remove_all(auth->sender_uids);
        g_hash_table_insert(auth->sender_uids, g_strdup(sender), GUINT_TO_POINTER(*uid));
    }
    return r;
}

bool auth_sender_is_trusted(Auth *auth, sd_bus_message *m)
{
    uid_t uid;

    if (sender_uid(auth, m, &uid) < 0)
        return false;
    return uid == 0 || (auth->mode == AUTH_MODE_SESSION && uid == auth->own_uid);
}

/* Answers a call whose continuation ran later, from the polkit reply. */
static void run_continuation(PendingCall *p)
{
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    int r;

    sd_bus_message_rewind(p->m, true);
    r = p->then(p->m, p->userdata, &error);
    if (sd_bus_error_is_set(&error))
        sd_bus_reply_method_error(p->m, &error);
    else if (r < 0)
        sd_bus_reply_method_errno(p->m, r, NULL);
}

static void polkit_answered(const PolkitResult *result, void *data)
{
    PendingCall *p = data;
    Auth *auth = p->auth;

    g_hash_table_remove(auth->pending, p);
    if (result->authorized)
        run_continuation(p);
    else if (result->error)
        sd_bus_reply_method_errorf(p->m, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s: %s",
                                   p->action, result->error);
    else if (result->challenge && !p->interactive)
        sd_bus_reply_method_errorf(p->m, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                   "Authentication is required for %s; call again allowing "
                                   "interactive authorization",
                                   p->action);
    else if (result->challenge)
        /* The caller allowed it, yet polkit still wants a challenge: no
         * authentication agent answered for this user. */
        sd_bus_reply_method_errorf(p->m, SD_BUS_ERROR_ACCESS_DENIED,
                                   "Authentication is required for %s, but no authentication "
                                   "agent is running for the caller",
                                   p->action);
    else
        sd_bus_reply_method_errorf(p->m, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s",
                                   p->action);
    pending_free(p);
}

int auth_check(Auth *auth, sd_bus_message *m, const char *action, const char *const *details,
               AuthContinuation then, void *userdata, GDestroyNotify userdata_free,
               sd_bus_error *error)
{
    uid_t uid;
    int r = sender_uid(auth, m, &uid);

    if (r < 0 || uid == 0 || auth->mode == AUTH_MODE_SESSION) {
        if (r < 0)
            r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Cannot identify the caller: %s", g_strerror(-r));
        else if (uid == 0 || uid == auth->own_uid)
            r = then(m, userdata, error);
        else
            r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                  "This session cirrinad serves only uid %u",
                                  (unsigned)auth->own_uid);
        if (userdata_free)
            userdata_free(userdata);
        return r;
    }

    PendingCall *p = g_new0(PendingCall, 1);
    p->auth = auth;
    p->m = sd_bus_message_ref(m);
    p->action = g_strdup(action);
    p->then = then;
    p->userdata = userdata;
    p->userdata_free = userdata_free;
    p->interactive = sd_bus_message_get_allow_interactive_authorization(m) > 0;
    p->check = polkit_check_start(m, action, details, p->interactive, polkit_answered, p, error);
    if (!p->check) {
        p->userdata_free = userdata_free;
        pending_free(p);
        return sd_bus_error_is_set(error) ? -EACCES : -ENOMEM;
    }
    g_hash_table_add(auth->pending, p);
    return 1;
}

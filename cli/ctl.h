/* cirrinactl: shared declarations. The CLI only knows the D-Bus API
 * (dbus/org.cirrina.*.xml); nothing here is shared with the daemon but the
 * one header that includes sd-bus. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "cirrina-sd-bus.h"

#define CIRRINA_BUS_NAME "org.cirrina"
#define CIRRINA_PATH     "/org/cirrina"
#define IFACE_MANAGER    "org.cirrina.Manager"
#define IFACE_VM         "org.cirrina.VM"
#define IFACE_NIC        "org.cirrina.NIC"
#define IFACE_SWITCH     "org.cirrina.Switch"
#define IFACE_DISK       "org.cirrina.Disk"
#define IFACE_ISO        "org.cirrina.ISO"

/* Exit codes (documented in cirrinactl.1). */
enum {
    /* 0: EXIT_SUCCESS, 1: EXIT_FAILURE (any other failure) */
    EXIT_USAGE = 2,
    EXIT_NOT_FOUND = 3,
    EXIT_DENIED = 4,
    EXIT_CONFLICT = 5,
};

typedef enum {
    BUS_AUTO,
    BUS_SYSTEM,
    BUS_SESSION,
} BusChoice;

/* The kinds of objects the commands name. */
typedef enum {
    KIND_VM,
    KIND_SWITCH,
    KIND_DISK,
    KIND_ISO,
    KIND_NIC,
    N_KINDS,
} Kind;

typedef struct {
    const char *noun;      /* "vm": the command word */
    const char *label;     /* "VM": in messages */
    const char *interface; /* "org.cirrina.VM" */
    const char *getter;    /* "GetVM": Manager's lookup by name or UUID */
    const char *creator;   /* "CreateVM" */
    const char *prefix;    /* "/org/cirrina/vm" */
} KindInfo;

extern const KindInfo kinds[N_KINDS];

typedef struct {
    BusChoice bus_choice; /* as asked on the command line */
    bool system;          /* the bus in use (after auto-detection) */
    const char *host;     /* --host [USER@]HOST, or NULL */
    bool json;
    sd_bus *bus;
    GVariant *objects;  /* GetManagedObjects, loaded on demand */
    GHashTable *index;  /* object path -> its a{sa{sv}} in objects */
    GHashTable *names;  /* object path -> name, asked one by one */
    GHashTable *idl[2]; /* introspection XML per interface: [0] live, [1] built in */
} Ctl;

/* The one-line error and the exit code of a failed command. */
int fail(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* bus.c: connecting, calling, converting messages to and from GVariant. */
int ctl_connect(Ctl *ctl);
void ctl_disconnect(Ctl *ctl);
int exit_code_for_error(const sd_bus_error *error);
int fail_bus(const sd_bus_error *error, int r, const char *what);
int ctl_new_call(Ctl *ctl, const char *path, const char *iface, const char *method,
                 sd_bus_message **ret);
int ctl_call(Ctl *ctl, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **reply);
int ctl_call_simple(Ctl *ctl, const char *path, const char *iface, const char *method,
                    sd_bus_message **reply, const char *types, ...);
int message_read_variant(sd_bus_message *m, GVariant **ret);
int message_append_variant(sd_bus_message *m, GVariant *v);
int ctl_get_all(Ctl *ctl, const char *path, const char *iface, GVariant **ret);
int ctl_load_objects(Ctl *ctl);
GVariant *ctl_object_props(Ctl *ctl, const char *path, const char *iface);
char *ctl_describe_path(Ctl *ctl, const char *path);
int ctl_lookup(Ctl *ctl, Kind kind, const char *name, char **path);
int bus_name_present(sd_bus *bus, const char *name);

/* agent.c: pkttyagent for polkit's password prompts on a terminal. */
void polkit_agent_open(void);
void polkit_agent_close(void);

/* remote.c: --host over ssh. */
int remote_open_bus(const char *host, bool system, sd_bus **ret);
int remote_console(Ctl *ctl, const char *vm, const char *port, int64_t history);

/* api.c: property and method signatures, introspected or built in. */
const char *api_property_type(Ctl *ctl, const char *iface, const char *path, const char *name);
int api_require_method(Ctl *ctl, const char *what, const char *iface, const char *path,
                       const char *method, const char *in_signature);

/* value.c: KEY=VALUE parsing and value formatting. */
int parse_settings(Ctl *ctl, Kind kind, const char *path, char **args, int n, GVariant **ret);
/* *ret: floating, or a full reference (g_variant_take_ref() takes either). */
int parse_value(Ctl *ctl, const char *key, const char *type, const char *text, GVariant **ret);
int parse_size(const char *text, uint64_t *ret);
char *format_size(uint64_t bytes);
char *format_value(Ctl *ctl, const char *key, GVariant *v);
void json_write(GString *out, GVariant *v, int indent);
void json_write_string(GString *out, const char *s);

/* escape.c: text from the daemon as a terminal may show it: control
 * characters and what is not UTF-8 as \xNN (\n, \r, \t), so that no
 * escape sequence reaches the terminal. Everything printed for people that
 * came from the daemon goes through it. */
typedef enum {
    ESCAPE_KEEP_NEWLINES = 1 << 0, /* multi-line text: files of a launch plan */
} EscapeFlags;
char *escape_text(const char *s, EscapeFlags flags);

/* output.c: tables and key/value lists for people, JSON for scripts. */
typedef struct Table Table;
Table *table_new(const char *const *headers);
void table_add(Table *t, char **cells); /* takes the strv */
void table_print(Table *t);
void table_free(Table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Table, table_free)
void print_properties(Ctl *ctl, GVariant *props);
void print_json_object(GVariant *props);
void print_json_list(GPtrArray *props);

/* objects.c, vm.c, import.c: the commands. Each returns an exit code. */
int cmd_object(Ctl *ctl, Kind kind, int argc, char **argv);
int cmd_nic(Ctl *ctl, int argc, char **argv);
int cmd_host(Ctl *ctl, int argc, char **argv);
int vm_power(Ctl *ctl, const char *verb, int argc, char **argv);
int vm_plan(Ctl *ctl, int argc, char **argv);
int vm_log(Ctl *ctl, int argc, char **argv);
int vm_console(Ctl *ctl, int argc, char **argv);
int object_show_path(Ctl *ctl, Kind kind, const char *path);
int import_file(Ctl *ctl, Kind kind, int argc, char **argv);

/* console.c: joins the terminal (or, with CONSOLE_RAW, plain stdin and
 * stdout) to fd. CONSOLE_DRAIN: at the end of stdin, half-close fd and
 * copy what still comes until its end (for an ssh stream). Returns
 * CONSOLE_DETACHED (Ctrl+]), CONSOLE_INPUT_ENDED, CONSOLE_CLOSED (fd's
 * other end closed first), or a negative errno. */
enum { CONSOLE_RAW = 1 << 0, CONSOLE_DRAIN = 1 << 1 };
enum { CONSOLE_DETACHED, CONSOLE_INPUT_ENDED, CONSOLE_CLOSED };
int console_attach(int fd, unsigned flags, const char *what);

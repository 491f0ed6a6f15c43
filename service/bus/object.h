/* What every object interface shares: paths, vtables built from the Field
 * tables, property getters, a{sv} parsing, the find and enumerate
 * callbacks, the common methods (Update, Rename, Delete), authorization and
 * the signals that follow each change. */
#pragma once

#include <stdbool.h>

#include "bus/errors.h"
#include "daemon.h"

#define CIRRINA_PATH "/org/cirrina"

/* A handler that runs once the caller is authorized; obj is the object the
 * message is addressed to, looked up again at that moment (NULL for the
 * manager). */
typedef int (*BusMethod)(Daemon *d, sd_bus_message *m, CirObject *obj, sd_bus_error *error);

/* Authorizes the call for action, then runs method. */
int bus_run_authorized(sd_bus_message *m, const char *action, BusMethod method,
                       sd_bus_error *error);
/* The polkit action that manages objects of this kind. */
const char *bus_manage_action(ObjectKind kind);

char *bus_object_path(Registry *reg, const CirObject *obj);
CirObject *bus_object_from_path(Registry *reg, const char *path);

/* Reads an a{sv} of settings for a kind: each key a field a client may
 * set, each value of the field's D-Bus type, converted to the model's
 * (object paths become UUIDs). */
int bus_read_changes(sd_bus_message *m, ObjectKind kind, GHashTable **changes, sd_bus_error *error);
/* Reads an a{sv} of options: only the given keys, each of the given type. */
int bus_read_options(sd_bus_message *m, const char *const *keys, const char *const *types,
                     GHashTable **options, sd_bus_error *error);

int bus_reply_object_path(sd_bus_message *m, Registry *reg, const CirObject *obj);

/* The methods shared by several interfaces. */
int bus_method_update(sd_bus_message *m, void *userdata, sd_bus_error *error);
int bus_method_rename(sd_bus_message *m, void *userdata, sd_bus_error *error);
int bus_method_delete(sd_bus_message *m, void *userdata, sd_bus_error *error);

/* Update, Rename and Delete: all the methods of switches, disks and ISOs. */
extern const sd_bus_vtable bus_named_object_methods[];

/* Registers interface at every object of the kind: methods (a vtable
 * with START and END) plus one property per visible field. */
int bus_object_register(Daemon *d, ObjectKind kind, const char *interface,
                        const sd_bus_vtable *methods);

/* Properties as the vtables show them, for replies built by hand. */
const char *bus_object_interface(ObjectKind kind);
int bus_append_property(sd_bus_message *reply, const CirObject *obj, const char *property,
                        bool as_variant);
int bus_append_all_properties(sd_bus_message *reply, const CirObject *obj);
/* Every object, of every kind (borrowed pointers). */
GPtrArray *bus_all_objects(void);

/* Reads (Properties, ObjectManager) need org.cirrina.vm.read: see
 * bus/read-access.c. */
int bus_read_access_register(Daemon *d);

/* Starts announcing registry changes on the bus. */
void bus_objects_init(Daemon *d);
void bus_objects_finish(void);

int bus_manager_register(Daemon *d);
int bus_vm_register(Daemon *d);
int bus_nic_register(Daemon *d);
int bus_switch_register(Daemon *d);
int bus_disk_register(Daemon *d);
int bus_iso_register(Daemon *d);
int bus_job_register(Daemon *d);

/* Jobs (bus/job.c): calls answered when their job ends, with the new
 * object's path or the job's error. fd and options come from m's
 * arguments (options: Size and SHA256 describe the data, the rest are the
 * new object's settings, taken as they are). */
int bus_job_import(Daemon *d, sd_bus_message *m, ObjectKind kind, const char *name, int fd,
                   GHashTable *options, sd_bus_error *error);
int bus_job_clone_disk(Daemon *d, sd_bus_message *m, CirObject *disk, const char *name,
                       GHashTable *options, sd_bus_error *error);
/* For reads that bus/read-access.c answers itself. */
bool bus_job_is_path(const char *path);
int bus_job_append_managed(sd_bus_message *reply);
int bus_job_answer_read(sd_bus_message *reply, const char *path, const char *iface,
                        const char *property, sd_bus_error *error);

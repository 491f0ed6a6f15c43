/* Object kinds: each kind's struct, its Field table and its checks. */
#pragma once

#include "core/field.h"

typedef struct Registry Registry;

typedef struct {
    ObjectKind kind;
    const char *label; /* for messages: "VM", "switch", ... */
    const char *table; /* SQL table */
    size_t size;       /* of the kind's struct */
    size_t name_max;   /* longest name; 0 for kinds without names */
    const Field *fields;
    size_t n_fields;
    /* Sets the defaults of a new object. */
    void (*init)(CirObject *obj);
    /* Checks the object as a whole once changes are applied (old is NULL
     * when it is being created); may complete derived values. */
    bool (*validate)(Registry *reg, CirObject *obj, const CirObject *old, GHashTable *changes,
                     GError **error);
    /* Values of FIELD_DERIVED fields. */
    GVariant *(*get_derived)(Registry *reg, const CirObject *obj, const Field *f);
} ObjectClass;

typedef struct {
    CirObject base;
    char *description;
    char *group;
    char *state;
    char *exit_reason;
    uint32_t cpus, sockets, cores, threads;
    GVariant *cpu_pins; /* a(uu) */
    uint64_t memory;
    int memory_wired;
    int autostart;
    uint32_t autostart_delay;
    char *restart_policy;
    char *clock;
    int ignore_unknown_msrs;
    int vmexit_on_hlt;
    char *display;
    uint32_t display_width, display_height;
    int display_wait;
    char *display_vga;
    char *display_password;
    int tablet, sound, rng;
    uint32_t serial_ports;
    GVariant *shares; /* a(ssb) */
    GVariant *disks;  /* as: disk UUIDs, in boot order */
    GVariant *isos;   /* as: ISO UUIDs */
} CirVM;

typedef struct {
    CirObject base;
    char *vm; /* owning VM's UUID */
    uint32_t index;
    char *model;
    char *mac;
    char *sw; /* switch UUID, "" for user-mode NAT */
    uint64_t rate_in, rate_out;
} CirNIC;

typedef struct {
    CirObject base;
    char *description;
    char *type;
    char *uplink;
    char *interface;
} CirSwitch;

typedef struct {
    CirObject base;
    char *description;
    uint64_t size;
    char *format;
    char *bus;
    int nocache, direct, readonly;
} CirDisk;

typedef struct {
    CirObject base;
    char *description;
    uint64_t size;
    char *path;
    char *sha256;
} CirISO;

#define VM_NAME_MAX     31 /* bhyve's VM_MAX_NAMELEN less the NUL */
#define OBJECT_NAME_MAX 64
#define VM_MAX_NICS     8
#define VM_MAX_DISKS    16
#define VM_MAX_ISOS     4
#define VM_MAX_SHARES   8
#define DISK_SIZE_MAX   (UINT64_C(16) << 40)

extern const ObjectClass vm_class, nic_class, switch_class, disk_class, iso_class;

const ObjectClass *object_class(ObjectKind kind);
const Field *object_class_find_field(const ObjectClass *c, const char *name);

/* A new object of the kind, with defaults and a fresh UUID. */
CirObject *object_new(ObjectKind kind);
CirObject *object_copy(const CirObject *obj);
void object_free(CirObject *obj);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CirObject, object_free)

/* The value of any field, stored or derived. */
GVariant *object_get(Registry *reg, const CirObject *obj, const Field *f);

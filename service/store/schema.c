/* The schema and its migrations, one per version, each run in its own
 * transaction. Never edit a released step: add the next one. */
#include "store/schema.h"

static const char *const migrations[] = {
    /* 1: the object model */
    "CREATE TABLE switches ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  uplink TEXT NOT NULL,"
    "  interface TEXT NOT NULL UNIQUE);"
    "CREATE TABLE disks ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  format TEXT NOT NULL,"
    "  bus TEXT NOT NULL,"
    "  nocache INTEGER NOT NULL,"
    "  direct INTEGER NOT NULL,"
    "  readonly INTEGER NOT NULL);"
    "CREATE TABLE isos ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL);"
    "CREATE TABLE vms ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL,"
    "  vm_group TEXT NOT NULL,"
    "  exit_reason TEXT NOT NULL,"
    "  cpus INTEGER NOT NULL,"
    "  sockets INTEGER NOT NULL,"
    "  cores INTEGER NOT NULL,"
    "  threads INTEGER NOT NULL,"
    "  cpu_pins TEXT NOT NULL,"
    "  memory INTEGER NOT NULL,"
    "  memory_wired INTEGER NOT NULL,"
    "  autostart INTEGER NOT NULL,"
    "  autostart_delay INTEGER NOT NULL,"
    "  restart_policy TEXT NOT NULL,"
    "  clock TEXT NOT NULL,"
    "  ignore_unknown_msrs INTEGER NOT NULL,"
    "  vmexit_on_hlt INTEGER NOT NULL,"
    "  display TEXT NOT NULL,"
    "  display_width INTEGER NOT NULL,"
    "  display_height INTEGER NOT NULL,"
    "  display_wait INTEGER NOT NULL,"
    "  display_vga TEXT NOT NULL,"
    "  display_password TEXT NOT NULL,"
    "  tablet INTEGER NOT NULL,"
    "  sound INTEGER NOT NULL,"
    "  rng INTEGER NOT NULL,"
    "  serial_ports INTEGER NOT NULL,"
    "  shares TEXT NOT NULL);"
    /* A disk belongs to one VM at most; an ISO may serve many. */
    "CREATE TABLE vm_disks ("
    "  owner TEXT NOT NULL REFERENCES vms(uuid) ON DELETE CASCADE,"
    "  ref TEXT NOT NULL UNIQUE REFERENCES disks(uuid) ON DELETE RESTRICT,"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (owner, position));"
    "CREATE TABLE vm_isos ("
    "  owner TEXT NOT NULL REFERENCES vms(uuid) ON DELETE CASCADE,"
    "  ref TEXT NOT NULL REFERENCES isos(uuid) ON DELETE RESTRICT,"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (owner, position),"
    "  UNIQUE (owner, ref));"
    "CREATE TABLE nics ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  vm_uuid TEXT NOT NULL REFERENCES vms(uuid) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  model TEXT NOT NULL,"
    "  mac TEXT NOT NULL,"
    "  switch_uuid TEXT REFERENCES switches(uuid) ON DELETE RESTRICT,"
    "  rate_in INTEGER NOT NULL,"
    "  rate_out INTEGER NOT NULL,"
    "  UNIQUE (vm_uuid, idx));"
    "CREATE INDEX nics_switch ON nics(switch_uuid);"
    "CREATE INDEX vm_isos_ref ON vm_isos(ref);",
};

int schema_latest_version(void)
{
    return G_N_ELEMENTS(migrations);
}

const char *schema_migration(int to_version)
{
    g_return_val_if_fail(to_version >= 1 && to_version <= schema_latest_version(), NULL);
    return migrations[to_version - 1];
}

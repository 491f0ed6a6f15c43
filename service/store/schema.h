#pragma once

#include <glib.h>

/* The schema version this build writes (PRAGMA user_version). */
int schema_latest_version(void);
/* The SQL that takes the schema from to_version - 1 to to_version. */
const char *schema_migration(int to_version);

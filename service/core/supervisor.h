/* Supervision of hypervisor processes.
 *
 * A VM's process runs in a session of its own, so it outlives the daemon.
 * Its pid, start time and launch details are recorded in a file in the VM's
 * run directory; a restarted daemon reattaches from that record after
 * checking that the pid is still that VM's process. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct Supervised Supervised;

/* status_known: false for a reattached process (not our child), whose
 * wait status cannot be read. */
typedef void (*SupervisedExit)(Supervised *proc, bool status_known, int wait_status, void *data);

typedef struct {
    char *vm_uuid;
    char *launch_name;
    char *driver;
    pid_t pid;
    guint64 start_time; /* kernel start time of the process, to tell pids apart */
    guint16 vnc_port;
} SupervisorRecord;

void supervisor_record_clear(SupervisorRecord *record);

/* Starts argv (stdin from /dev/null, output appended to log_path) in a new
 * session and writes the record. */
Supervised *supervisor_spawn(const char *const *argv, const char *log_path, const char *record_path,
                             const SupervisorRecord *record, SupervisedExit on_exit, void *data,
                             GError **error);

/* Reads the record; returns the process when it still runs as recorded,
 * else NULL (no error: the VM is simply gone) and fills record anyway. */
Supervised *supervisor_reattach(const char *record_path, SupervisorRecord *record,
                                SupervisedExit on_exit, void *data, GError **error);

pid_t supervised_pid(const Supervised *proc);
bool supervised_signal(Supervised *proc, int signal, GError **error);
/* Stops watching (the process keeps running) and frees. */
void supervised_free(Supervised *proc);

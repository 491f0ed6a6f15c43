/* cirrinactl: the command line of Cirrina. Global options, then the
 * object and the verb; nothing else lives here. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "config.h"
#include "ctl.h"

static void help(void)
{
    printf("cirrinactl [OPTIONS...] COMMAND ...\n"
           "\n"
           "Manage Cirrina's virtual machines, switches, disks and ISOs.\n"
           "\n"
           "Options:\n"
           "  -h --help              Show this help\n"
           "     --version           Show the version\n"
           "     --system            Talk to cirrinad on the system bus\n"
           "     --session           Talk to cirrinad on the session bus\n"
           "  -H --host=[USER@]HOST  Talk to cirrinad on HOST, over ssh\n"
           "     --json              Write JSON (keys are the property names)\n"
           "\n"
           "VMs:\n"
           "  vm list                       vm show VM\n"
           "  vm create NAME [KEY=VALUE...] vm edit VM KEY=VALUE...\n"
           "  vm rename VM NEWNAME          vm delete VM... [--delete-disks]\n"
           "  vm start VM...                vm stop VM... [--timeout=SECONDS]\n"
           "  vm kill VM...                 vm reset VM...\n"
           "  vm console VM [--port=comN] [--history=BYTES] [--raw]\n"
           "  vm log VM [--port=comN] [--bytes=N]\n"
           "  vm plan VM [--hypervisor=qemu|bhyve]\n"
           "NICs:\n"
           "  nic list VM                   nic show VM NIC\n"
           "  nic add VM [KEY=VALUE...]     nic edit VM NIC KEY=VALUE...\n"
           "  nic remove VM NIC...\n"
           "Switches:\n"
           "  switch list|show|create|edit|rename|delete\n"
           "Disks:\n"
           "  disk list|show|edit|rename|delete\n"
           "  disk create NAME SIZE [KEY=VALUE...]\n"
           "  disk resize DISK SIZE [--force]\n"
           "  disk clone DISK NEWNAME [KEY=VALUE...]\n"
           "  disk import NAME FILE [KEY=VALUE...]\n"
           "ISOs:\n"
           "  iso list|show|edit|rename|delete\n"
           "  iso register NAME PATH [KEY=VALUE...]\n"
           "  iso import NAME FILE [KEY=VALUE...]\n"
           "Host:\n"
           "  host info                     host interfaces\n"
           "\n"
           "Objects are named by name or UUID; NICs by their number or MAC. Settings\n"
           "use the property names: CPUs=2 Memory=2G Disks=root,data CPUPins=0:1,1:3\n"
           "Shares=src:/srv/src:ro Switch=lan (Switch=none: user-mode NAT).\n"
           "Exit status: 0 ok, 1 failure, 2 invalid input, 3 not found, 4 denied,\n"
           "5 busy or exists. See cirrinactl(1).\n");
}

static const struct {
    const char *noun;
    Kind kind;
} nouns[] = {
    {"vm", KIND_VM},
    {"switch", KIND_SWITCH},
    {"disk", KIND_DISK},
    {"iso", KIND_ISO},
};

int main(int argc, char **argv)
{
    Ctl ctl = {.bus_choice = BUS_AUTO};
    const char *host = NULL;
    int r;

    setlocale(LC_ALL, "");
    /* The program name out; options may stand anywhere before "--". */
    argc--;
    argv++;
    if (take_flag(&argc, argv, "--help") || take_flag(&argc, argv, "-h") ||
        (argc > 0 && strcmp(argv[0], "help") == 0)) {
        help();
        return 0;
    }
    if (take_flag(&argc, argv, "--version") || (argc > 0 && strcmp(argv[0], "version") == 0)) {
        printf("cirrinactl %s\n", PACKAGE_VERSION);
        return 0;
    }
    ctl.json = take_flag(&argc, argv, "--json");
    bool system = take_flag(&argc, argv, "--system");
    bool session = take_flag(&argc, argv, "--session");
    if (system && session)
        return usage_error("--system and --session exclude each other");
    ctl.bus_choice = system ? BUS_SYSTEM : session ? BUS_SESSION : BUS_AUTO;
    r = take_option(&argc, argv, "--host", 'H', &host);
    if (r < 0)
        return EXIT_USAGE;
    if (r > 0 && (!*host || host[0] == '-'))
        return usage_error("--host needs a host name, [USER@]HOST");
    ctl.host = host;

    if (argc < 1)
        return usage_error("no command given (see cirrinactl --help)");
    const char *noun = argv[0];
    int result = -1;

    /* A remote console needs no bus here: it is all done over ssh. */
    bool remote_console =
        ctl.host && strcmp(noun, "vm") == 0 && argc > 1 && strcmp(argv[1], "console") == 0;
    bool known = strcmp(noun, "nic") == 0 || strcmp(noun, "host") == 0;
    for (size_t i = 0; i < G_N_ELEMENTS(nouns); i++)
        known = known || strcmp(noun, nouns[i].noun) == 0;
    if (!known)
        return usage_error("unknown command '%s' (see cirrinactl --help)", noun);
    if (!remote_console) {
        r = ctl_connect(&ctl);
        if (r)
            return r;
    }

    for (size_t i = 0; i < G_N_ELEMENTS(nouns); i++)
        if (strcmp(noun, nouns[i].noun) == 0)
            result = cmd_object(&ctl, nouns[i].kind, argc - 1, argv + 1);
    if (strcmp(noun, "nic") == 0)
        result = cmd_nic(&ctl, argc - 1, argv + 1);
    else if (strcmp(noun, "host") == 0)
        result = cmd_host(&ctl, argc - 1, argv + 1);

    ctl_disconnect(&ctl);
    return result;
}

/* The VM-only commands: power, launch plan, console and its log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "ctl.h"

/* Start and Stop answer when the VM runs or has stopped. */
#define POWER_TIMEOUT_USEC (65ULL * 60 * 1000 * 1000)

int vm_power(Ctl *ctl, const char *verb, int argc, char **argv)
{
    const char *timeout_text = NULL;
    guint64 timeout = 0;
    int result = 0;
    int r;

    if (strcmp(verb, "stop") == 0) {
        r = take_option(&argc, argv, "--timeout", 't', &timeout_text);
        if (r < 0)
            return EXIT_USAGE;
        g_autoptr(GError) error = NULL;
        if (r > 0 &&
            !g_ascii_string_to_unsigned(timeout_text, 10, 0, G_MAXUINT32, &timeout, &error))
            return fail(EXIT_USAGE, "--timeout=%s: expected seconds", timeout_text);
    }
    r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (argc < 1)
        return usage_error("vm %s needs a VM", verb);

    const char *method = strcmp(verb, "start") == 0  ? "Start"
                         : strcmp(verb, "stop") == 0 ? "Stop"
                         : strcmp(verb, "kill") == 0 ? "Kill"
                                                     : "Reset";
    for (int i = 0; i < argc; i++) {
        g_autofree char *path = NULL;
        g_autoptr(sd_bus_message) m = NULL;
        r = ctl_lookup(ctl, KIND_VM, argv[i], &path);
        if (!r)
            r = ctl_new_call(ctl, path, IFACE_VM, method, &m);
        if (!r && strcmp(method, "Stop") == 0 &&
            sd_bus_message_append(m, "u", (guint32)timeout) < 0)
            r = fail(EXIT_FAILURE, "Failed to build the Stop call");
        if (!r)
            r = ctl_call(ctl, m, POWER_TIMEOUT_USEC, NULL);
        if (r && !result)
            result = r;
    }
    return result;
}

static bool unknown_method(const sd_bus_error *error)
{
    return sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.UnknownMethod");
}

int vm_plan(Ctl *ctl, int argc, char **argv)
{
    const char *hypervisor = "";
    g_autofree char *path = NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    g_autoptr(GVariant) argv_v = NULL, files = NULL;
    int r = take_option(&argc, argv, "--hypervisor", 0, &hypervisor);
    if (r < 0)
        return EXIT_USAGE;
    r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (argc != 1)
        return usage_error("vm plan needs one VM");
    r = ctl_lookup(ctl, KIND_VM, argv[0], &path);
    if (r)
        return r;
    r = ctl_call_simple(ctl, path, IFACE_VM, "GetLaunchPlan", &reply, "s", hypervisor);
    if (r)
        return r;
    if (message_read_variant(reply, &argv_v) < 0 || message_read_variant(reply, &files) < 0 ||
        !g_variant_is_of_type(argv_v, G_VARIANT_TYPE_STRING_ARRAY) ||
        !g_variant_is_of_type(files, G_VARIANT_TYPE("a{ss}")))
        return fail(EXIT_FAILURE, "Failed to read the launch plan");

    if (ctl->json) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "argv", argv_v);
        g_variant_builder_add(&b, "{sv}", "files", files);
        g_autoptr(GVariant) plan = g_variant_ref_sink(g_variant_builder_end(&b));
        print_json_object(plan);
        return 0;
    }
    g_autofree const char **args = g_variant_get_strv(argv_v, NULL);
    GString *line = g_string_new(NULL);
    for (const char **a = args; *a; a++) {
        g_autofree char *quoted = g_shell_quote(*a);
        /* Quote only what needs it. */
        bool plain = **a && strspn(*a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_./=:,+@%") == strlen(*a);
        g_string_append_printf(line, "%s%s", line->len ? " " : "", plain ? *a : quoted);
    }
    g_autofree char *shown_line = escape_text(line->str, 0);
    printf("# command\n%s\n", shown_line);
    g_string_free(line, TRUE);
    GVariantIter iter;
    const char *file, *contents;
    g_variant_iter_init(&iter, files);
    while (g_variant_iter_next(&iter, "{&s&s}", &file, &contents)) {
        g_autofree char *shown_file = escape_text(file, 0);
        g_autofree char *shown = escape_text(contents, ESCAPE_KEEP_NEWLINES);
        size_t len = strlen(shown);
        printf("\n# file %s\n%s%s", shown_file, shown, len && shown[len - 1] == '\n' ? "" : "\n");
    }
    return 0;
}

/* --port comN, default "" (com1). */
static int take_port(int *argc, char **argv, const char **port)
{
    *port = "";
    return take_option(argc, argv, "--port", 'p', port) < 0 ? EXIT_USAGE : 0;
}

int vm_log(Ctl *ctl, int argc, char **argv)
{
    const char *port, *bytes_text = NULL;
    uint64_t bytes = 0;
    g_autofree char *path = NULL;
    g_autoptr(sd_bus_message) m = NULL, reply = NULL;
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    int r = take_port(&argc, argv, &port);
    if (r)
        return r;
    r = take_option(&argc, argv, "--bytes", 'n', &bytes_text);
    if (r < 0)
        return EXIT_USAGE;
    if (r > 0 && parse_size(bytes_text, &bytes) < 0)
        return fail(EXIT_USAGE, "--bytes=%s: expected a number of bytes (K, M suffixes allowed)",
                    bytes_text);
    r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (argc != 1)
        return usage_error("vm log needs one VM");
    r = ctl_lookup(ctl, KIND_VM, argv[0], &path);
    if (r)
        return r;
    r = ctl_new_call(ctl, path, IFACE_VM, "GetConsoleLog", &m);
    if (r)
        return r;
    if (sd_bus_message_append(m, "st", port, bytes) < 0)
        return fail(EXIT_FAILURE, "Failed to build the GetConsoleLog call");
    r = sd_bus_call(ctl->bus, m, 0, &error, &reply);
    if (r < 0 && unknown_method(&error))
        return fail(EXIT_FAILURE, "Console logs are not supported by this cirrinad (it has no "
                                  "org.cirrina.VM.GetConsoleLog)");
    if (r < 0)
        return fail_bus(&error, r, "GetConsoleLog");
    const void *data;
    size_t size;
    if (sd_bus_message_read_array(reply, 'y', &data, &size) < 0)
        return fail(EXIT_FAILURE, "Failed to read the console log");
    if (size && fwrite(data, 1, size, stdout) != size)
        return fail(EXIT_FAILURE, "Failed to write the log: %s", g_strerror(errno));
    return fflush(stdout) == 0 ? 0 : EXIT_FAILURE;
}

int vm_console(Ctl *ctl, int argc, char **argv)
{
    const char *port, *history_text = NULL;
    uint64_t history = 0;
    g_autofree char *path = NULL;
    g_autoptr(sd_bus_message) m = NULL, reply = NULL;
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    int r = take_port(&argc, argv, &port);
    if (r)
        return r;
    bool raw = take_flag(&argc, argv, "--raw");
    r = take_option(&argc, argv, "--history", 0, &history_text);
    if (r < 0)
        return EXIT_USAGE;
    bool with_history = r > 0;
    if (with_history && parse_size(history_text, &history) < 0)
        return fail(EXIT_USAGE, "--history=%s: expected a number of bytes", history_text);
    r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (argc != 1)
        return usage_error("vm console needs one VM");

    /* No fd crosses an ssh bridge: the remote cirrinactl pumps the
     * console through its own ssh stream. */
    if (ctl->host)
        return remote_console(ctl, argv[0], port, with_history ? (int64_t)history : -1);

    r = ctl_lookup(ctl, KIND_VM, argv[0], &path);
    if (r)
        return r;
    r = ctl_new_call(ctl, path, IFACE_VM, "OpenConsole", &m);
    if (r)
        return r;
    if (sd_bus_message_append(m, "s", port) < 0 ||
        (with_history ? sd_bus_message_append(m, "a{sv}", 1, "History", "t", history)
                      : sd_bus_message_append(m, "a{sv}", 0)) < 0)
        return fail(EXIT_FAILURE, "Failed to build the OpenConsole call");
    r = sd_bus_call(ctl->bus, m, 0, &error, &reply);
    if (r < 0 && unknown_method(&error))
        return fail(EXIT_FAILURE, "Consoles are not supported by this cirrinad (it has no "
                                  "org.cirrina.VM.OpenConsole)");
    if (r < 0)
        return fail_bus(&error, r, "OpenConsole");
    int fd_in_message;
    if (sd_bus_message_read(reply, "h", &fd_in_message) < 0)
        return fail(EXIT_FAILURE, "Failed to read the console's file descriptor");
    int fd = fcntl(fd_in_message, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return fail(EXIT_FAILURE, "Failed to take the console: %s", g_strerror(errno));
    /* Neither the bus nor the agent is needed while attached (and the
     * agent must not share the raw terminal). */
    reply = sd_bus_message_unref(reply);
    ctl_disconnect(ctl);
    polkit_agent_close();

    g_autofree char *what = g_strdup_printf("VM %s (%s)", argv[0], *port ? port : "com1");
    r = console_attach(fd, raw ? CONSOLE_RAW : 0, what);
    close(fd);
    if (r < 0)
        return fail(EXIT_FAILURE, "Console of %s: %s", what, g_strerror(-r));
    if (r == CONSOLE_CLOSED && !raw)
        fprintf(stderr, "cirrinactl: the console of %s was closed (the VM stopped?)\n", what);
    return 0;
}

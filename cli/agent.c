/* A polkit agent on the terminal, as systemctl and machinectl start one:
 * with ALLOW_INTERACTIVE_AUTHORIZATION set, polkit asks the agent of the
 * caller's session for a password, and a shell on a server has none.
 * pkttyagent --fallback leaves a desktop's own agent in charge. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "ctl.h"

static pid_t agent_pid;

void polkit_agent_close(void)
{
    if (agent_pid <= 0)
        return;
    kill(agent_pid, SIGTERM);
    waitpid(agent_pid, NULL, 0);
    agent_pid = 0;
}

/* $CIRRINA_POLKIT_AGENT, or pkttyagent where distributions put it. */
static const char *agent_binary(void)
{
    static const char *const candidates[] = {"/usr/bin/pkttyagent", "/usr/local/bin/pkttyagent"};
    const char *env = getenv("CIRRINA_POLKIT_AGENT");
    if (env)
        return *env ? env : NULL; /* "": none */
    for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

void polkit_agent_open(void)
{
    const char *binary = agent_binary();
    int notify[2];

    /* Someone to type, something to ask (root is never asked). */
    if (agent_pid > 0 || !binary || !isatty(STDIN_FILENO) || geteuid() == 0)
        return;
    if (pipe(notify) < 0)
        return;
    fcntl(notify[0], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(notify[0]);
        close(notify[1]);
        return;
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", notify[1]);
        execl(binary, binary, "--notify-fd", fd_text, "--fallback", (char *)NULL);
        _exit(127);
    }
    close(notify[1]);
    agent_pid = pid;
    atexit(polkit_agent_close);
    /* The agent closes its end once it is registered (or it failed). */
    struct pollfd p = {.fd = notify[0], .events = POLLIN};
    while (poll(&p, 1, 10000) < 0 && errno == EINTR)
        ;
    close(notify[0]);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-init: the --init process, bound read-only at /dev/init.  It runs
 * as the container's pid 1: starts the command, forwards every signal it
 * gets to it, reaps every orphan that the kernel hands to pid 1, and exits
 * with the command's status (128+N after signal N).  A static binary of
 * its own, since it runs inside images that have no libraries of ours.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        int first = 1;
        if (first < argc && strcmp(argv[first], "--") == 0)
                first++;
        if (first >= argc) {
                fputs("usage: init [--] COMMAND [ARG...]\n", stderr);
                return 2;
        }
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        pid_t child = fork();
        if (child < 0) {
                perror("init: fork");
                return 1;
        }
        if (child == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                execvp(argv[first], argv + first);
                fprintf(stderr, "init: exec %s: %s\n", argv[first], strerror(errno));
                _exit(errno == ENOENT ? 127 : 126);
        }
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        kill(child, sig);
                        continue;
                }
                int st;
                pid_t w;
                while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
                        if (w != child)
                                continue;
                        /* Orphans left behind die with the namespace when
                         * we exit; reap what is already gone first. */
                        while (waitpid(-1, NULL, WNOHANG) > 0)
                                ;
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                }
        }
}

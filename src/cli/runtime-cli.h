/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CLI_RUNTIME_CLI_H
#define BERTH_CLI_RUNTIME_CLI_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "util/error.h"

/* berth-runtime's verbs: a table of name -> handler, like berth's.  A
 * handler returns the exit status; on failure it fills *err (printed once
 * by main, and logged to --log). */
struct rt_global {
        const char *root; /* --root */
};

typedef int (*rt_handler)(const struct rt_global *g, int argc, char **argv,
                          struct berth_error **err);

/* runtime-lifecycle.c */
int rt_cmd_create(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_start(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_run(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_state(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_kill(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_delete(const struct rt_global *g, int argc, char **argv, struct berth_error **err);

/* runtime-manage.c */
int rt_cmd_exec(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_ps(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_list(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_pause(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_resume(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_update(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_spec(const struct rt_global *g, int argc, char **argv, struct berth_error **err);
int rt_cmd_features(const struct rt_global *g, int argc, char **argv, struct berth_error **err);

/* A usage error: fills *err and returns the failure status. */
int rt_usage(struct berth_error **err, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The container ID: exactly one operand left after the options. */
int rt_need_id(int argc, char **argv, const char *cmd, const char **id, struct berth_error **err);

/* runtime-tty.c: a foreground terminal without --console-socket. */
struct rt_tty {
        char *dir, *sock_path;
        int listen_fd, master;
        bool raw; /* our terminal is in raw mode; saved holds its settings */
        struct termios saved;
};
int rt_tty_prepare(struct rt_tty *t, struct berth_error **err);
/* Our terminal's size (0 x 0 when stdin is not one), for
 * process.consoleSize. */
void rt_tty_size(unsigned int *rows, unsigned int *cols);
/* Take the master from the socket (the runtime has sent it by the time
 * create or exec returns), size it as our terminal and make ours raw. */
int rt_tty_accept(struct rt_tty *t, struct berth_error **err);
/* Relay the master and our stdin/stdout until the container's side
 * closes, then restore our terminal. */
void rt_tty_relay(struct rt_tty *t);
void rt_tty_cleanup(struct rt_tty *t);

/* Forward the usual termination signals to pid while we wait for it. */
void rt_forward_signals(pid_t pid);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_TERMINAL_H
#define BERTH_RUNTIME_TERMINAL_H

#include "util/error.h"

/* A new pty pair: the master fd, and the slave opened O_NOCTTY. */
int runtime_terminal_open(int *master, int *slave, struct berth_error **err);

/* Make fd (a pty slave) the calling process's controlling terminal and its
 * stdin/stdout/stderr. */
int runtime_terminal_setup_child(int slave, struct berth_error **err);

/* runc's --console-socket protocol: connect to the unix socket at path and
 * send master over SCM_RIGHTS (one byte of payload, the fd in the
 * ancillary data). */
int runtime_console_socket_send(const char *path, int master, struct berth_error **err);

/* The receiving side, for tests and for berth's own monitor: accept one
 * connection on listen_fd and return the fd it carried. */
int runtime_console_socket_recv(int listen_fd, struct berth_error **err);

#endif

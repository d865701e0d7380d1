/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_RUNTIME_TERMINAL_H
#define BERTH_RUNTIME_TERMINAL_H

#include <termios.h>

#include "util/error.h"

/* A new pty pair: the master fd, and the slave opened O_NOCTTY.  Both are
 * O_CLOEXEC.  The pair comes from /dev/ptmx as the caller sees it: in a
 * container, call it after pivot_root so the pty belongs to the
 * container's own devpts instance. */
int runtime_terminal_open(int *master, int *slave, struct berth_error **err);

/* The slave's path ("/dev/pts/N"), e.g. to bind it over /dev/console. */
int runtime_terminal_peer_path(int master, char **out, struct berth_error **err);

/* Make fd (a pty slave) the calling process's controlling terminal and its
 * stdin/stdout/stderr.  Starts a new session first unless the caller
 * already leads one.  The slave fd itself is closed if it is above 2. */
int runtime_terminal_setup_child(int slave, struct berth_error **err);

/* process.consoleSize: set the window size of a pty (either side); a zero
 * (unset) size leaves it alone. */
int runtime_terminal_resize(int fd, unsigned int rows, unsigned int cols, struct berth_error **err);

/* For the side that relays a user's terminal (`run -t`, attach): put fd in
 * raw mode, keeping the old settings in *saved for the restore. */
int runtime_terminal_make_raw(int fd, struct termios *saved, struct berth_error **err);
int runtime_terminal_restore(int fd, const struct termios *saved, struct berth_error **err);

/* runc's --console-socket protocol: connect to the unix socket at path
 * (SOCK_STREAM) and send master in one sendmsg: the fd as SCM_RIGHTS, and
 * as payload the master's name, "/dev/ptmx", exactly as runc does (the
 * receivers, containerd's go-runc and runc's recvtty, read up to 4096
 * bytes of name).  Paths longer than sun_path are reached through
 * /proc/self/fd. */
int runtime_console_socket_send(const char *path, int master, struct berth_error **err);

/* The receiving side, for tests and for berth's own monitor: accept one
 * connection on listen_fd and return the fd it carried (O_CLOEXEC). */
int runtime_console_socket_recv(int listen_fd, struct berth_error **err);

/* The same on an already connected socket (e.g. one end of a socketpair). */
int runtime_console_socket_recv_fd(int conn_fd, struct berth_error **err);

/* A listening unix socket at path (removed first if it is a stale socket),
 * for the monitor's --console-socket; returns the fd (O_CLOEXEC). */
int runtime_console_socket_listen(const char *path, struct berth_error **err);

#endif

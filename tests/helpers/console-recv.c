/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console-recv SOCKET [INPUT]: the receiving end of runc's --console-socket
 * protocol, for the e2e tests.  Listens on SOCKET, takes one pty master,
 * writes INPUT to it (if given), then copies everything the container
 * writes to stdout until the last slave closes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/terminal.h"
#include "util/fs.h"

int main(int argc, char **argv)
{
        struct berth_error *err = NULL;
        if (argc < 2) {
                fprintf(stderr, "usage: console-recv SOCKET [INPUT]\n");
                return 2;
        }
        int l = runtime_console_socket_listen(argv[1], &err);
        if (l < 0) {
                berth_error_print(err, "console-recv");
                return 1;
        }
        int master = runtime_console_socket_recv(l, &err);
        if (master < 0) {
                berth_error_print(err, "console-recv");
                return 1;
        }
        if (argc > 2 && util_write_all(master, argv[2], strlen(argv[2])) < 0)
                return 1;
        char buf[4096];
        for (;;) {
                ssize_t n = read(master, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                /* EIO: every slave is closed, the container's process is done. */
                if (n <= 0)
                        break;
                if (util_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                        return 1;
        }
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/netns.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int container_netns_loopback_up(pid_t pid, struct berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/ns/net", pid);
        struct stat theirs, ours;
        if (stat(path, &theirs) < 0)
                return berth_err(err, errno, "stat `%s`", path);
        if (stat("/proc/self/ns/net", &ours) < 0)
                return berth_err(err, errno, "stat /proc/self/ns/net");
        if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
                return 0; /* --network host */
        _cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        pid_t child = fork();
        if (child < 0)
                return berth_err(err, errno, "fork");
        if (child == 0) {
                /* The child enters the namespace and sets IFF_UP; only
                 * it ever leaves our own network namespace. */
                if (setns(nsfd, CLONE_NEWNET) < 0)
                        _exit(10);
                int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                struct ifreq ifr = {0};
                memcpy(ifr.ifr_name, "lo", 3);
                if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                        _exit(11);
                ifr.ifr_flags |= IFF_UP;
                if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                        _exit(12);
                _exit(0);
        }
        int st;
        while (waitpid(child, &st, 0) < 0)
                if (errno != EINTR)
                        return berth_err(err, errno, "waiting for the loopback setup");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return berth_err(err, EIO, "bringing up the loopback in the container (step %d)",
                                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return 0;
}

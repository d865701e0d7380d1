/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/cleanup.h"

extern char **environ;

/*
 * CVE-2019-5736: a container process that gets the runtime to execute
 * /proc/self/exe (e.g. by making its /bin/sh "#!/proc/self/exe") can open
 * the runtime's binary through /proc/PID/exe and rewrite it on the host.
 * We choose the sealed-memfd defence: the runtime re-executes itself from a
 * memfd copy sealed against writes (F_SEAL_WRITE, SHRINK, GROW, SEAL), so
 * /proc/PID/exe of every runtime process that ever enters a container
 * names that memfd, which nobody can modify, and never the host file.  It
 * costs one copy of the binary per create/run/exec; non-dumpability of the
 * init until exec is a second, independent layer.
 */
int runtime_binary_is_sealed(void)
{
        _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return 0;
        int seals = fcntl(self, F_GET_SEALS);
        const int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
        return seals >= 0 && (seals & want) == want;
}

int runtime_binary_ensure_sealed(char **argv, struct berth_error **err)
{
        if (runtime_binary_is_sealed())
                return 0;
        _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return berth_err(err, errno, "opening /proc/self/exe");
        const int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
        _cleanup_close_ int mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return berth_err(err, errno, "memfd_create");
        struct stat st;
        if (fstat(self, &st) < 0)
                return berth_err(err, errno, "stat /proc/self/exe");
        off_t left = st.st_size;
        while (left > 0) {
                ssize_t n = sendfile(mfd, self, NULL, (size_t)left);
                if (n <= 0)
                        return berth_err(err, n < 0 ? errno : EIO, "copying the binary");
                left -= n;
        }
        if (fcntl(mfd, F_ADD_SEALS, want) < 0)
                return berth_err(err, errno, "sealing the binary copy");
        fexecve(mfd, argv, environ);
        return berth_err(err, errno, "re-executing from the sealed copy");
}

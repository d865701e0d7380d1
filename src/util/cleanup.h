/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_UTIL_CLEANUP_H
#define BERTH_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/xalloc.h"

/*
 * Scope-bound ownership.  A variable declared with one of these is released
 * when it goes out of scope; ownership moves on only through steal_pointer()
 * or steal_fd(), so every owner is visible at the declaration.
 */

static inline void cleanup_freep(void *p)
{
        free(*(void **)p);
}

/* close() that keeps errno, so it is safe on error paths. */
static inline void cleanup_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void cleanup_fclosep(FILE **f)
{
        if (*f != NULL) {
                int saved = errno;
                fclose(*f);
                errno = saved;
        }
}

static inline void cleanup_closedirp(DIR **d)
{
        if (*d != NULL) {
                int saved = errno;
                closedir(*d);
                errno = saved;
        }
}

/* A child that must not outlive the scope: killed and reaped if still set. */
static inline void cleanup_killp(pid_t *pid)
{
        if (*pid > 0) {
                int saved = errno;
                kill(*pid, SIGKILL);
                while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                errno = saved;
        }
}

#define _cleanup_free_     __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_    __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_   __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))
#define _cleanup_strv_     __attribute__((cleanup(strv_freep)))
#define _cleanup_kill_     __attribute__((cleanup(cleanup_killp)))

static inline void *steal_pointer_impl(void *pp)
{
        void **p = pp;
        void *v = *p;
        *p = NULL;
        return v;
}
/* Type-checked: the result has the pointee's type. */
#define steal_pointer(pp) ((__typeof__(*(pp)))steal_pointer_impl(pp))

static inline int steal_fd(int *fd)
{
        int v = *fd;
        *fd = -1;
        return v;
}

static inline pid_t steal_pid(pid_t *pid)
{
        pid_t v = *pid;
        *pid = 0;
        return v;
}

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* stop, kill, restart, rm, wait, pause, inspect, prune, top, stats. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "container/lifecycle-private.h"
#include "runtime/runtime.h"
#include "storage/copy.h"
#include "storage/rootfs.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static bool is_up(enum container_status s)
{
        return s == CONTAINER_RUNNING || s == CONTAINER_PAUSED;
}

int container_inspect(const struct container_engine *e, const char *id,
                      struct container_record **out, struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_record_load(e->root, id, &r, err);
        if (found <= 0)
                return found;
        if (is_up(r->state.status) || r->state.status == CONTAINER_RESTARTING) {
                _cleanup_close_ int mon = container_monitor_pidfd(r->monitor_pid, r->id);
                /* The monitor was killed: its container may still run,
                 * but nobody will record its exit.  End it now, as stop
                 * would, so that "Exited" is true. */
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (mon < 0 && container_reap_orphan(e, r->id, &scratch) > 0) {
                        container_record_free(steal_pointer(&r));
                        found = container_record_load(e->root, id, &r, err);
                        if (found <= 0)
                                return found;
                } else if (mon < 0) {
                        /* Say what we know instead of "Up". */
                        r->state.status = CONTAINER_EXITED;
                        r->state.pid = 0;
                        if (r->state.exit_code == 0)
                                r->state.exit_code = 255;
                        free(r->state.error);
                        r->state.error = xstrdup("the container's monitor is gone");
                }
        }
        *out = steal_pointer(&r);
        return 1;
}

static int set_orphan_exited(struct container_record *r, void *data, struct berth_error **err)
{
        if (!is_up(r->state.status) && r->state.status != CONTAINER_RESTARTING)
                return 1;
        r->state.status = CONTAINER_EXITED;
        r->state.pid = 0;
        r->state.exit_code = 255;
        free(r->state.error);
        r->state.error = xstrdup("the container's monitor is gone");
        free(r->state.finished_at);
        r->state.finished_at = container_time_now();
        return 0;
}

int container_reap_orphan(const struct container_engine *e, const char *id,
                          struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_record_load(e->root, id, &r, err);
        if (found <= 0)
                return found;
        if (!is_up(r->state.status) && r->state.status != CONTAINER_RESTARTING)
                return 0;
        _cleanup_close_ int mon = container_monitor_pidfd(r->monitor_pid, r->id);
        if (mon >= 0)
                return 0;
        _cleanup_free_ char *rt = container_runtime_root(e);
        _cleanup_free_ char *dir = container_record_dir(e->root, r->id);
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)runtime_container_delete(rt, r->id, true, &scratch);
        if (storage_rootfs_umount(rootfs, err) < 0 ||
            container_record_update(e->root, r->id, set_orphan_exited, NULL, err) < 0)
                return berth_err_ret(*err);
        /* What its monitor would have done for --rm. */
        if (r->auto_remove)
                (void)container_remove(e, r->id, true, true, &scratch);
        return 1;
}

static int load_existing(const struct container_engine *e, const char *id,
                         struct container_record **r, struct berth_error **err)
{
        int found = container_inspect(e, id, r, err);
        if (found == 0)
                return berth_err(err, ENOENT, "No such container: %s", id);
        return found < 0 ? found : 0;
}

static int mark_stopped(struct container_record *r, void *data, struct berth_error **err)
{
        r->manually_stopped = true;
        return 0;
}

/* Wait until the monitor has recorded the exit (or is gone). */
static bool wait_down(const struct container_engine *e, const char *id, int pidfd, int ms)
{
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                _cleanup_container_record_ struct container_record *r = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (container_record_load(e->root, id, &r, &scratch) <= 0)
                        return true;
                if (!is_up(r->state.status) && r->state.status != CONTAINER_RESTARTING)
                        return true;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long el =
                    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (ms >= 0 && el >= ms)
                        return false;
                /* The record is looked at every 10 ms; a monitor that
                 * exits (it records the exit first) wakes us at once. */
                if (pidfd >= 0) {
                        if (container_monitor_wait(pidfd, 10))
                                return true;
                        continue;
                }
                struct timespec t = {0, 10 * 1000000L};
                nanosleep(&t, NULL);
        }
}

static int signal_container(const struct container_engine *e, const char *id, int sig,
                            struct berth_error **err)
{
        _cleanup_free_ char *rt = container_runtime_root(e);
        int r = runtime_container_kill(rt, id, sig, false, err);
        if (r < 0)
                return r;
        /* A frozen container can't act on a signal; thaw it. */
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (sig == SIGKILL)
                (void)runtime_container_pause(rt, id, false, &scratch);
        return 0;
}

int container_stop(const struct container_engine *e, const char *id, int timeout,
                   struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        if (load_existing(e, id, &r, err) < 0 || container_reap_orphan(e, r->id, err) < 0)
                return berth_err_ret(*err);
        if (container_record_update(e->root, r->id, mark_stopped, NULL, err) < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int mon = container_monitor_pidfd(r->monitor_pid, r->id);
        if (!is_up(r->state.status)) {
                /* Restarting (in its backoff) sees the mark and ends. */
                if (mon >= 0)
                        wait_down(e, r->id, mon, 10000);
                return 0;
        }
        if (timeout < 0)
                timeout = r->stop_timeout >= 0 ? r->stop_timeout : 10;
        _cleanup_error_ struct berth_error *scratch = NULL;
        if (timeout > 0 && signal_container(e, r->id, r->stop_signal, &scratch) == 0) {
                if (r->state.status == CONTAINER_PAUSED) {
                        _cleanup_free_ char *rt = container_runtime_root(e);
                        (void)runtime_container_pause(rt, r->id, false, &scratch);
                }
                if (wait_down(e, r->id, mon, timeout * 1000))
                        goto done;
        }
        (void)signal_container(e, r->id, SIGKILL, &scratch);
        if (!wait_down(e, r->id, mon, 30000))
                return berth_err(err, ETIMEDOUT, "container %s did not stop", r->name);
done:
        /* The monitor tears down after recording the exit; stop returns
         * when that is done, so a following rm or image rm finds it
         * finished. */
        if (mon >= 0)
                container_monitor_wait(mon, 10000);
        return 0;
}

int container_kill(const struct container_engine *e, const char *id, int sig,
                   struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        /* The record as it is, not inspect's (which would end an orphan
         * first and make this "not running"). */
        int found = container_record_load(e->root, id, &r, err);
        if (found == 0)
                return berth_err(err, ENOENT, "No such container: %s", id);
        if (found < 0)
                return found;
        /* Left running by a killed monitor: killing it is what's asked. */
        int orphan = container_reap_orphan(e, r->id, err);
        if (orphan != 0)
                return orphan < 0 ? orphan : 0;
        if (!is_up(r->state.status))
                return berth_err(err, 0, "cannot kill container: %s: container %s is not running",
                                 r->name, r->id);
        if (container_record_update(e->root, r->id, mark_stopped, NULL, err) < 0)
                return berth_err_ret(*err);
        return signal_container(e, r->id, sig, err);
}

static int mark_restarting(struct container_record *r, void *data, struct berth_error **err)
{
        r->restarting_manually = true;
        return 0;
}

int container_restart(const struct container_engine *e, const char *id, int timeout,
                      struct berth_error **err)
{
        char full[65];
        if (container_record_resolve(e->root, id, full, err) < 0 ||
            container_record_update(e->root, full, mark_restarting, NULL, err) < 0)
                return berth_err_ret(*err);
        if (container_stop(e, full, timeout, err) < 0)
                return berth_err_ret(*err);
        return container_start(e, full, 0, NULL, err);
}

int container_remove(const struct container_engine *e, const char *id, bool force, bool volumes,
                     struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        if (load_existing(e, id, &r, err) < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int mon = container_monitor_pidfd(r->monitor_pid, r->id);
        if ((is_up(r->state.status) || r->state.status == CONTAINER_RESTARTING) && !force)
                return berth_err(err, EBUSY,
                                 "cannot remove container \"/%s\": container is %s: stop the "
                                 "container before removing or force remove",
                                 r->name, container_status_name(r->state.status));
        if (mon >= 0) {
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)container_record_update(e->root, r->id, mark_stopped, NULL, &scratch);
                if (is_up(r->state.status))
                        (void)signal_container(e, r->id, SIGKILL, &scratch);
                if (!container_monitor_wait(mon, 30000))
                        return berth_err(err, ETIMEDOUT, "container %s did not stop", r->name);
        }
        /* Whatever a killed monitor left: the runtime's state, the mount. */
        _cleanup_free_ char *rt = container_runtime_root(e);
        _cleanup_free_ char *dir = container_record_dir(e->root, r->id);
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)runtime_container_delete(rt, r->id, true, &scratch);
        if (storage_rootfs_umount(rootfs, err) < 0)
                return berth_err_wrap(err, "removing container %s", r->name);
        if (volumes)
                container_volumes_remove_anonymous(e, r);
        return container_record_remove(e->root, r->id, err);
}

int container_wait(const struct container_engine *e, const char *id, int *exit_code,
                   struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        if (load_existing(e, id, &r, err) < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int mon = container_monitor_pidfd(r->monitor_pid, r->id);
        if (mon >= 0 && (is_up(r->state.status) || r->state.status == CONTAINER_RESTARTING)) {
                /* The monitor says the code even when --rm removes the
                 * record right after. */
                _cleanup_error_ struct berth_error *scratch = NULL;
                _cleanup_close_ int fd = container_attach_connect(e, r->id, &scratch);
                if (fd >= 0) {
                        char hello[2] = {ATTACH_HELLO, 0};
                        (void)send(fd, hello, 2, MSG_NOSIGNAL);
                        char pkt[ATTACH_MAX_PACKET];
                        ssize_t n;
                        while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 0)
                                if (pkt[0] == ATTACH_EXIT && n == 5) {
                                        int32_t c;
                                        memcpy(&c, pkt + 1, 4);
                                        *exit_code = c;
                                        return 0;
                                }
                }
                wait_down(e, r->id, mon, -1);
        }
        _cleanup_container_record_ struct container_record *after = NULL;
        if (container_inspect(e, r->id, &after, err) > 0)
                *exit_code = after->state.exit_code;
        else
                *exit_code = r->state.exit_code;
        return 0;
}

int container_pause(const struct container_engine *e, const char *id, bool paused,
                    struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        if (load_existing(e, id, &r, err) < 0)
                return berth_err_ret(*err);
        if (paused && r->state.status != CONTAINER_RUNNING)
                return berth_err(err, 0, "container %s is not running", r->id);
        if (!paused && r->state.status != CONTAINER_PAUSED)
                return berth_err(err, 0, "container %s is not paused", r->id);
        _cleanup_free_ char *rt = container_runtime_root(e);
        if (runtime_container_pause(rt, r->id, paused, err) < 0)
                return berth_err_ret(*err);
        return container_record_update(e->root, r->id, container_record_set_paused, &paused, err) <
                       0
                   ? berth_err_ret(*err)
                   : 0;
}

int container_pids(const struct container_engine *e, const char *id, pid_t **pids, size_t *n,
                   struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        if (load_existing(e, id, &r, err) < 0)
                return berth_err_ret(*err);
        if (!is_up(r->state.status))
                return berth_err(err, 0, "container %s is not running", r->id);
        _cleanup_free_ char *rt = container_runtime_root(e);
        return runtime_container_pids(rt, r->id, pids, n, err);
}

/* The container's network through its init's /proc/PID/net/dev: every
 * interface but lo ("  eth0: RXBYTES packets ... TXBYTES ..."). */
static void net_bytes(pid_t pid, struct container_stats *out)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/net/dev", pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
                char *colon = strchr(line, ':');
                if (colon == NULL)
                        continue;
                *colon = '\0';
                const char *name = line + strspn(line, " ");
                unsigned long long rx, tx;
                if (strcmp(name, "lo") != 0 &&
                    sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) == 2) {
                        out->net_rx_bytes += rx;
                        out->net_tx_bytes += tx;
                }
        }
}

int container_stats_get(const struct container_engine *e, const char *id,
                        struct container_stats *out, struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        if (load_existing(e, id, &r, err) < 0)
                return berth_err_ret(*err);
        memset(out, 0, sizeof(*out));
        if (!is_up(r->state.status))
                return 0;
        _cleanup_free_ char *rt = container_runtime_root(e);
        struct runtime_container_stats st;
        if (runtime_container_stats(rt, r->id, &st, err) < 0)
                return berth_err_ret(*err);
        out->memory_usage = st.memory_usage > st.memory_inactive_file
                                ? st.memory_usage - st.memory_inactive_file
                                : st.memory_usage;
        out->memory_limit = st.memory_limit;
        out->cpu_usage_ns = st.cpu_usage_ns;
        out->pids = st.pids_current;
        out->io_read_bytes = st.io_read_bytes;
        out->io_write_bytes = st.io_write_bytes;
        net_bytes(r->state.pid, out);
        return 0;
}

int container_prune(const struct container_engine *e, char ***removed, long long *reclaimed,
                    struct berth_error **err)
{
        _cleanup_strv_ char **ids = NULL;
        *removed = xcalloc(1, sizeof(char *));
        *reclaimed = 0;
        if (container_record_list(e->root, &ids, err) < 0)
                return berth_err_ret(*err);
        for (char **id = ids; *id; id++) {
                _cleanup_container_record_ struct container_record *r = NULL;
                _cleanup_error_ struct berth_error *scratch = NULL;
                if (container_inspect(e, *id, &r, &scratch) <= 0)
                        continue;
                if (r->state.status != CONTAINER_EXITED && r->state.status != CONTAINER_CREATED &&
                    r->state.status != CONTAINER_DEAD)
                        continue;
                long long size = 0;
                _cleanup_free_ char *dir = container_record_dir(e->root, *id);
                _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
                _cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0)
                        (void)storage_tree_size(fd, &size, &scratch);
                if (container_remove(e, *id, false, false, &scratch) == 0) {
                        strv_append(removed, *id);
                        *reclaimed += size;
                }
        }
        return 0;
}

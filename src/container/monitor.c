/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor.  It stays small on purpose: no JSON document is kept (the
 * record is loaded, the few fields it needs copied out, and freed), the
 * buffers are fixed, and everything it holds is a handful of fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/lifecycle-private.h"
#include "container/monitor.h"
#include "container/rootfs.h"
#include "runtime/runtime.h"
#include "runtime/terminal.h"
#include "storage/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define MAX_CLIENTS 16

struct client {
        int fd;
        uint8_t want;
};

struct monitor {
        const struct container_engine *e;
        const char *id;
        char *dir, *rootfs, *rt_root, *log_path;
        char **lowers;
        int report_fd;
        bool attach_wait, rootfs_mounted, tty, open_stdin, auto_remove;
        int restart_policy, restart_max;
        char *driver;

        int attach_dirfd, listen_fd, sig_fd, log_fd;
        char sock_name[80];
        struct client clients[MAX_CLIENTS];
        size_t n_clients;

        /* this run of the container */
        pid_t pid;
        int out_fd, err_fd, in_fd; /* out_fd is the pty master with tty */
        char pend[2][4096];        /* partial log lines per stream */
        size_t npend[2];
};

/* ---- the log ---- */

static void log_emit(struct monitor *m, int stream, const char *buf, size_t len)
{
        _cleanup_free_ char *line =
            container_log_line(stream == ATTACH_STDERR ? "stderr" : "stdout", buf, len);
        (void)util_write_all(m->log_fd, line, strlen(line));
}

/* json-file logs one entry per line; a line longer than the buffer is cut
 * into entries, as Docker cuts at 16 KiB. */
static void log_data(struct monitor *m, int stream, const char *buf, size_t len)
{
        int s = stream == ATTACH_STDERR ? 1 : 0;
        while (len > 0) {
                const char *nl = memchr(buf, '\n', len);
                size_t take = nl ? (size_t)(nl - buf) + 1 : len;
                if (m->npend[s] + take > sizeof(m->pend[s]))
                        take = sizeof(m->pend[s]) - m->npend[s];
                memcpy(m->pend[s] + m->npend[s], buf, take);
                m->npend[s] += take;
                buf += take;
                len -= take;
                if (m->pend[s][m->npend[s] - 1] == '\n' || m->npend[s] == sizeof(m->pend[s])) {
                        log_emit(m, stream, m->pend[s], m->npend[s]);
                        m->npend[s] = 0;
                }
        }
}

static void log_flush(struct monitor *m)
{
        for (int s = 0; s < 2; s++)
                if (m->npend[s] > 0) {
                        log_emit(m, s ? ATTACH_STDERR : ATTACH_STDOUT, m->pend[s], m->npend[s]);
                        m->npend[s] = 0;
                }
}

/* ---- attach clients ---- */

static void client_drop(struct monitor *m, size_t i)
{
        close(m->clients[i].fd);
        m->clients[i] = m->clients[--m->n_clients];
}

static void broadcast(struct monitor *m, int stream, const char *buf, size_t len)
{
        char pkt[ATTACH_MAX_PACKET];
        uint8_t want = stream == ATTACH_STDERR ? ATTACH_WANT_STDERR : ATTACH_WANT_STDOUT;
        while (len > 0) {
                size_t n = len < sizeof(pkt) - 1 ? len : sizeof(pkt) - 1;
                pkt[0] = (char)stream;
                memcpy(pkt + 1, buf, n);
                for (size_t i = 0; i < m->n_clients;) {
                        if (stream != ATTACH_EXIT && !(m->clients[i].want & want)) {
                                i++;
                                continue;
                        }
                        if (send(m->clients[i].fd, pkt, n + 1, MSG_NOSIGNAL) < 0)
                                client_drop(m, i);
                        else
                                i++;
                }
                buf += n;
                len -= n;
        }
}

static void client_accept(struct monitor *m)
{
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        if (m->n_clients == MAX_CLIENTS) {
                close(fd);
                return;
        }
        /* The hello says which streams the client wants; a client that
         * doesn't send one within a second gets stdout and stderr. */
        uint8_t hello[2] = {0, ATTACH_WANT_STDOUT | ATTACH_WANT_STDERR};
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 1000) == 1 && recv(fd, hello, sizeof(hello), 0) == 2 &&
            hello[0] == ATTACH_HELLO) {
        } else {
                hello[1] = ATTACH_WANT_STDOUT | ATTACH_WANT_STDERR;
        }
        m->clients[m->n_clients++] = (struct client){fd, hello[1]};
}

static void client_input(struct monitor *m, size_t i)
{
        char pkt[ATTACH_MAX_PACKET];
        ssize_t n = recv(m->clients[i].fd, pkt, sizeof(pkt), 0);
        if (n <= 0) {
                client_drop(m, i);
                return;
        }
        if (pkt[0] == ATTACH_STDIN && m->in_fd >= 0 && (m->clients[i].want & ATTACH_WANT_STDIN)) {
                if (n == 1) {
                        /* EOF: the container's stdin closes (with a tty
                         * the pty stays: other clients may still type). */
                        if (!m->tty)
                                close(steal_fd(&m->in_fd));
                        return;
                }
                (void)util_write_all(m->in_fd, pkt + 1, n - 1);
        } else if (pkt[0] == ATTACH_RESIZE && m->tty && n == 5) {
                uint16_t rows, cols;
                memcpy(&rows, pkt + 1, 2);
                memcpy(&cols, pkt + 3, 2);
                _cleanup_error_ struct berth_error *scratch = NULL;
                (void)runtime_terminal_resize(m->out_fd, rows, cols, &scratch);
        }
}

/* ---- the record ---- */

struct state_update {
        enum container_status status;
        pid_t pid;
        int exit_code;
        bool oom, started, finished, count_restart;
        const char *error;
        bool manually_stopped; /* out */
        bool gone;             /* out */
};

static int apply_state(struct container_record *r, void *data, struct berth_error **err)
{
        struct state_update *u = data;
        r->state.status = u->status;
        r->state.pid = u->pid;
        r->state.exit_code = u->exit_code;
        r->state.oom_killed = u->oom;
        free(r->state.error);
        r->state.error = u->error ? xstrdup(u->error) : NULL;
        if (u->started) {
                free(r->state.started_at);
                r->state.started_at = container_time_now();
                r->monitor_pid = getpid();
                r->manually_stopped = false;
                r->restarting_manually = false;
        }
        if (u->count_restart)
                r->restart_count++;
        if (u->finished) {
                free(r->state.finished_at);
                r->state.finished_at = container_time_now();
        }
        u->manually_stopped = r->manually_stopped;
        return 0;
}

static bool record_state(struct monitor *m, struct state_update *u)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        int r = container_record_update(m->e->root, m->id, apply_state, u, &scratch);
        u->gone = r == 0;
        return r > 0;
}

static int peek_stopped(struct container_record *r, void *data, struct berth_error **err)
{
        *(bool *)data = r->manually_stopped;
        return 1;
}

/* 1 stopped by the user, 0 not, -1 the record is gone (rm -f). */
static int manually_stopped(struct monitor *m)
{
        bool stopped = false;
        _cleanup_error_ struct berth_error *scratch = NULL;
        int r = container_record_update(m->e->root, m->id, peek_stopped, &stopped, &scratch);
        return r <= 0 ? -1 : stopped;
}

/* ---- one run of the container ---- */

static void report(struct monitor *m, const char *line)
{
        if (m->report_fd >= 0)
                (void)util_write_all(m->report_fd, line, strlen(line));
}

static void report_done(struct monitor *m, const struct berth_error *err)
{
        if (m->report_fd < 0)
                return;
        if (err == NULL) {
                report(m, "ok\n");
        } else {
                _cleanup_free_ char *text = xstrdup(err->msg ? err->msg : "");
                for (char *p = text; *p; p++)
                        if (*p == '\n')
                                *p = ' ';
                _cleanup_free_ char *line = xasprintf("err %d %s\n", err->code, text);
                report(m, line);
        }
        close(steal_fd(&m->report_fd));
}

static void close_stdio(struct monitor *m)
{
        cleanup_closep(&m->out_fd);
        cleanup_closep(&m->err_fd);
        cleanup_closep(&m->in_fd);
        m->out_fd = m->err_fd = m->in_fd = -1;
}

/* Create the container with its stdio; the init then waits for start. */
static int create_container(struct monitor *m, struct berth_error **err)
{
        int child[3] = {-1, -1, -1};
        _cleanup_close_ int con_listen = -1;
        _cleanup_free_ char *con_path = NULL;
        int r;
        if (m->tty) {
                con_path = xasprintf("/proc/self/fd/%d/%.12s.con", m->attach_dirfd, m->id);
                con_listen = runtime_console_socket_listen(con_path, err);
                if (con_listen < 0)
                        return con_listen;
        } else {
                int out[2], errp[2];
                if (pipe2(out, O_CLOEXEC) < 0)
                        return berth_err(err, errno, "making the stdout pipe");
                if (pipe2(errp, O_CLOEXEC) < 0) {
                        close(out[0]);
                        close(out[1]);
                        return berth_err(err, errno, "making the stderr pipe");
                }
                m->out_fd = out[0], child[1] = out[1];
                m->err_fd = errp[0], child[2] = errp[1];
                if (m->open_stdin) {
                        int in[2];
                        if (pipe2(in, O_CLOEXEC) < 0)
                                return berth_err(err, errno, "making the stdin pipe");
                        child[0] = in[0], m->in_fd = in[1];
                }
        }
        /* The runtime's init inherits fds 0-2: point them at the
         * container's ends for the create, then back at /dev/null. */
        for (int i = 0; i < 3; i++)
                if (child[i] >= 0)
                        dup2(child[i], i);
        _cleanup_free_ char *cache = container_seccomp_cache_dir(m->e);
        struct runtime_create_options opts = {
            .bundle = m->dir, .console_socket = con_path, .seccomp_cache = cache};
        r = runtime_container_create(m->rt_root, m->id, &opts, &m->pid, err);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3; i++) {
                if (null >= 0)
                        dup2(null, i);
                if (child[i] >= 0)
                        close(child[i]);
        }
        if (null >= 0)
                close(null);
        if (con_path != NULL)
                unlinkat(m->attach_dirfd, strrchr(con_path, '/') + 1, 0);
        if (r < 0)
                return r;
        if (m->tty) {
                m->out_fd = runtime_console_socket_recv(con_listen, err);
                if (m->out_fd < 0)
                        return m->out_fd;
                m->in_fd = fcntl(m->out_fd, F_DUPFD_CLOEXEC, 3);
        }
        return 0;
}

/* Drop the pages of the program's read-only segments (code, constants). */
static int drop_readonly(struct dl_phdr_info *info, size_t size, void *data)
{
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
                        continue;
                uintptr_t lo = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
                uintptr_t hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
                (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
        }
        return 1; /* the program itself comes first: that is all */
}

/*
 * Creating the container parsed its config and compiled its seccomp
 * filter: heap, code and constants that relaying output never touches.
 * Give them back, so that what a running container costs is the relay's
 * own working set.  Read-only pages are never written, so dropping them
 * only means that a later create reads them again from the page cache.
 */
static void shed_memory(void)
{
        malloc_trim(0);
        dl_iterate_phdr(drop_readonly, NULL);
}

static void wait_attach(struct monitor *m)
{
        report(m, "ready\n");
        struct pollfd p = {.fd = m->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 30000) == 1)
                client_accept(m);
}

static int exit_status(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

static void pump(struct monitor *m, int fd, int stream, bool *open_)
{
        char buf[8192];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                *open_ = false;
                return;
        }
        log_data(m, stream, buf, n);
        broadcast(m, stream, buf, n);
}

/* Relay until the container's init exits and its output is drained. */
static int event_loop(struct monitor *m)
{
        bool out_open = m->out_fd >= 0, err_open = m->err_fd >= 0;
        int status = -1;
        struct timespec exited_at = {0};
        for (;;) {
                struct pollfd p[4 + MAX_CLIENTS];
                size_t n = 0;
                p[n++] = (struct pollfd){.fd = m->sig_fd, .events = POLLIN};
                p[n++] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
                p[n++] = (struct pollfd){.fd = out_open ? m->out_fd : -1, .events = POLLIN};
                p[n++] = (struct pollfd){.fd = err_open ? m->err_fd : -1, .events = POLLIN};
                for (size_t i = 0; i < m->n_clients; i++)
                        p[n++] = (struct pollfd){.fd = m->clients[i].fd, .events = POLLIN};
                if (status >= 0 && !out_open && !err_open)
                        break;
                int timeout = -1;
                if (status >= 0) {
                        /* Output still open after the init died: whatever
                         * holds it gets a moment, then we stop reading. */
                        struct timespec now;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        long ms = (now.tv_sec - exited_at.tv_sec) * 1000 +
                                  (now.tv_nsec - exited_at.tv_nsec) / 1000000;
                        if (ms >= 2000)
                                break;
                        timeout = 2000 - ms;
                }
                int r = poll(p, n, timeout);
                if (r < 0 && errno != EINTR)
                        break;
                if (r <= 0)
                        continue;
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(m->sig_fd, &si, sizeof(si)) == sizeof(si))
                                ;
                        int st;
                        pid_t w;
                        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                                if (w == m->pid) {
                                        status = exit_status(st);
                                        clock_gettime(CLOCK_MONOTONIC, &exited_at);
                                }
                }
                if (p[1].revents & POLLIN)
                        client_accept(m);
                if (p[2].revents)
                        pump(m, m->out_fd, ATTACH_STDOUT, &out_open);
                if (p[3].revents)
                        pump(m, m->err_fd, ATTACH_STDERR, &err_open);
                /* Clients in reverse: a drop moves the last one into i. */
                for (size_t i = n; i-- > 4;)
                        if (p[i].revents && i - 4 < m->n_clients)
                                client_input(m, i - 4);
        }
        log_flush(m);
        return status;
}

static void send_exit(struct monitor *m, int code)
{
        int32_t c = code;
        broadcast(m, ATTACH_EXIT, (const char *)&c, sizeof(c));
}

/* Docker's policy decision after an exit. */
static bool should_restart(struct monitor *m, int code, int restarts)
{
        switch (m->restart_policy) {
        case CONTAINER_RESTART_ALWAYS:
        case CONTAINER_RESTART_UNLESS_STOPPED:
                return true;
        case CONTAINER_RESTART_ON_FAILURE:
                return code != 0 && (m->restart_max <= 0 || restarts < m->restart_max);
        default:
                return false;
        }
}

/* Sleep ms, waking every 50 ms to see whether the user stopped us. */
static bool backoff(struct monitor *m, long ms)
{
        for (long slept = 0; slept < ms; slept += 50) {
                if (manually_stopped(m) != 0)
                        return false;
                struct timespec t = {0, 50 * 1000000L};
                nanosleep(&t, NULL);
        }
        return manually_stopped(m) == 0;
}

/* Whether the container goes with its exit: --rm, unless `restart`
 * stopped it to start it again (Docker keeps it then). */
static bool removed_at_exit(struct monitor *m)
{
        if (!m->auto_remove)
                return false;
        _cleanup_error_ struct berth_error *scratch = NULL;
        _cleanup_container_record_ struct container_record *r = NULL;
        return !(container_record_load(m->e->root, m->id, &r, &scratch) > 0 &&
                 r->restarting_manually);
}

static void teardown(struct monitor *m, bool remove)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)runtime_container_delete(m->rt_root, m->id, true, &scratch);
        (void)storage_rootfs_umount(m->rootfs, &scratch);
        if (!remove)
                return;
        _cleanup_container_record_ struct container_record *r = NULL;
        if (container_record_load(m->e->root, m->id, &r, &scratch) > 0)
                container_volumes_remove_anonymous(m->e, r);
        (void)container_record_remove(m->e->root, m->id, &scratch);
}

static int setup(struct monitor *m, struct berth_error **err)
{
        _cleanup_container_record_ struct container_record *r = NULL;
        int found = container_record_load(m->e->root, m->id, &r, err);
        if (found <= 0)
                return found < 0 ? found : berth_err(err, ENOENT, "No such container: %s", m->id);
        m->tty = r->tty;
        m->open_stdin = r->open_stdin;
        m->auto_remove = r->auto_remove;
        m->restart_policy = r->restart_policy;
        m->restart_max = r->restart_max_retries;
        m->driver = xstrdup(r->rootfs_driver ? r->rootfs_driver : "auto");
        m->log_path = xstrdup(r->log_path);
        m->dir = container_record_dir(m->e->root, m->id);
        m->rootfs = xasprintf("%s/rootfs", m->dir);
        m->rt_root = container_runtime_root(m->e);

        _cleanup_free_ char *layers = NULL;
        _cleanup_free_ char *lpath = xasprintf("%s/layers", m->dir);
        if (util_file_read(AT_FDCWD, lpath, &layers, NULL, err) < 0)
                return berth_err_ret(*err);
        m->lowers = xcalloc(1, sizeof(char *));
        char *save = NULL;
        for (char *l = strtok_r(layers, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                strv_append(&m->lowers, l);

        m->log_fd = open(m->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (m->log_fd < 0)
                return berth_err(err, errno, "opening the log `%s`", m->log_path);
        _cleanup_free_ char *adir = container_attach_dir(m->e);
        if (util_path_mkdir_p(adir, 0700, err) < 0)
                return berth_err_ret(*err);
        m->attach_dirfd = open(adir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m->attach_dirfd < 0)
                return berth_err(err, errno, "opening `%s`", adir);
        /* Through /proc/self/fd so a long --runroot never meets
         * sun_path's 108 bytes. */
        snprintf(m->sock_name, sizeof(m->sock_name), "%s", m->id);
        unlinkat(m->attach_dirfd, m->sock_name, 0);
        m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", m->attach_dirfd,
                 m->sock_name);
        if (m->listen_fd < 0 || bind(m->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(m->listen_fd, 16) < 0)
                return berth_err(err, errno, "listening on the attach socket");

        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
        m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m->sig_fd < 0)
                return berth_err(err, errno, "signalfd");

        /* run's create left it mounted for us. */
        if (m->rootfs_mounted)
                return 0;
        enum storage_rootfs_driver d = STORAGE_ROOTFS_AUTO;
        (void)storage_rootfs_driver_parse(m->driver, &d);
        /* Runtime state and a rootfs left by a monitor that was killed
         * mid-start (the record still says Created) are replaced. */
        _cleanup_error_ struct berth_error *scratch = NULL;
        (void)runtime_container_delete(m->rt_root, m->id, true, &scratch);
        (void)storage_rootfs_umount(m->rootfs, &scratch);
        /* The bundle's id maps decide whether its layers are idmapped. */
        if (container_rootfs_mount(m->dir, m->lowers, m->rootfs, NULL, NULL, NULL,
                                   m->auto_remove ? STORAGE_ROOTFS_VOLATILE : 0, &d, err) < 0)
                return berth_err_ret(*err);
        return 0;
}

static void monitor_free(struct monitor *m)
{
        free(m->dir);
        free(m->rootfs);
        free(m->rt_root);
        free(m->log_path);
        free(m->driver);
        strv_free(m->lowers);
        close_stdio(m);
        for (size_t i = 0; i < m->n_clients; i++)
                close(m->clients[i].fd);
        if (m->attach_dirfd >= 0 && m->sock_name[0])
                unlinkat(m->attach_dirfd, m->sock_name, 0);
        cleanup_closep(&m->listen_fd);
        cleanup_closep(&m->attach_dirfd);
        cleanup_closep(&m->sig_fd);
        cleanup_closep(&m->log_fd);
        cleanup_closep(&m->report_fd);
}

int container_monitor_main(const struct container_engine *e, const char *id, int report_fd,
                           unsigned flags)
{
        bool attach_wait = flags & CONTAINER_START_ATTACH_WAIT;
        struct monitor m = {
            .e = e,
            .id = id,
            .report_fd = report_fd,
            .attach_wait = attach_wait,
            .rootfs_mounted = flags & CONTAINER_START_MOUNTED,
            .attach_dirfd = -1,
            .listen_fd = -1,
            .sig_fd = -1,
            .log_fd = -1,
            .out_fd = -1,
            .err_fd = -1,
            .in_fd = -1,
        };
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        struct berth_error *err = NULL;
        if (setup(&m, &err) < 0) {
                struct state_update u = {
                    .status = CONTAINER_CREATED, .exit_code = 125, .error = err->msg};
                record_state(&m, &u);
                report_done(&m, err);
                berth_error_free(err);
                teardown(&m, removed_at_exit(&m));
                monitor_free(&m);
                return 1;
        }
        long delay_ms = 100;
        int restarts = 0;
        for (bool first = true;; first = false) {
                struct timespec started;
                clock_gettime(CLOCK_MONOTONIC, &started);
                int r = create_container(&m, &err);
                if (r == 0 && first && attach_wait)
                        wait_attach(&m);
                if (r == 0)
                        r = runtime_container_start(m.rt_root, id, &err);
                if (r < 0) {
                        /* Docker's codes for a process that can't be run. */
                        int code = container_exit_status_for(err);
                        _cleanup_error_ struct berth_error *scratch = NULL;
                        (void)runtime_container_delete(m.rt_root, id, true, &scratch);
                        struct state_update u = {
                            .status = first ? CONTAINER_CREATED : CONTAINER_EXITED,
                            .exit_code = code,
                            .error = err->msg,
                            .finished = !first,
                        };
                        record_state(&m, &u);
                        close_stdio(&m);
                        teardown(&m, removed_at_exit(&m));
                        report_done(&m, err);
                        berth_error_free(steal_pointer(&err));
                        send_exit(&m, code);
                        break;
                }
                struct state_update up = {.status = CONTAINER_RUNNING,
                                          .pid = m.pid,
                                          .started = true,
                                          .count_restart = !first};
                record_state(&m, &up);
                report_done(&m, NULL);
                shed_memory();
                int code = event_loop(&m);
                close_stdio(&m);
                _cleanup_error_ struct berth_error *scratch = NULL;
                /* A --rm container (never restarted: options refuse
                 * --restart with it) is removed next, record and all, and
                 * its code goes to the attach clients: writing its exit
                 * first would make one more file to make and remove. */
                bool remove = removed_at_exit(&m);
                bool oom = !remove && runtime_container_oom_killed(m.rt_root, id, &scratch) > 0;
                (void)runtime_container_delete(m.rt_root, id, true, &scratch);
                struct state_update down = {
                    .status = CONTAINER_EXITED, .exit_code = code, .oom = oom, .finished = true};
                if (!remove)
                        record_state(&m, &down);
                if (m.auto_remove || down.gone || down.manually_stopped ||
                    !should_restart(&m, code, restarts)) {
                        teardown(&m, remove);
                        send_exit(&m, code);
                        break;
                }
                send_exit(&m, code);
                /* Docker's backoff: doubling from 100 ms, back to 100 ms
                 * after a run of 10 s or more. */
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - started.tv_sec >= 10)
                        delay_ms = 100;
                struct state_update rs = {
                    .status = CONTAINER_RESTARTING, .exit_code = code, .oom = oom};
                record_state(&m, &rs);
                restarts++;
                if (!backoff(&m, delay_ms)) {
                        struct state_update st = {
                            .status = CONTAINER_EXITED, .exit_code = code, .oom = oom};
                        record_state(&m, &st);
                        teardown(&m, removed_at_exit(&m));
                        break;
                }
                if (delay_ms < 60000)
                        delay_ms *= 2;
        }
        monitor_free(&m);
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The value syntaxes of run's flags, parsed as Docker's CLI and daemon
 * parse them (go-units, strconv, moby's opts), with their messages. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "container/caps.h"
#include "container/options.h"
#include "container/parse.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int container_parse_int64(const char *s, int64_t *out, struct berth_error **err)
{
        const char *p = s;
        if (*p == '+' || *p == '-')
                p++;
        if (*p == '\0')
                return berth_err(err, 0, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
        for (; *p != '\0'; p++)
                if (!isdigit((unsigned char)*p))
                        return berth_err(err, 0, "strconv.ParseInt: parsing \"%s\": invalid syntax",
                                         s);
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        if (errno == ERANGE)
                return berth_err(err, 0, "strconv.ParseInt: parsing \"%s\": value out of range", s);
        *out = v;
        return 0;
}

int container_parse_bool(const char *s, bool *out, struct berth_error **err)
{
        /* Go's strconv.ParseBool. */
        static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
        static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
        for (size_t i = 0; yes[i] != NULL; i++) {
                if (strcmp(s, yes[i]) == 0) {
                        *out = true;
                        return 0;
                }
                if (strcmp(s, no[i]) == 0) {
                        *out = false;
                        return 0;
                }
        }
        return berth_err(err, 0, "strconv.ParseBool: parsing \"%s\": invalid syntax", s);
}

int container_parse_size(const char *s, int64_t *out, struct berth_error **err)
{
        /* go-units parseSize: the number runs to the last digit, dot or
         * space; what follows is the unit. */
        const char *sep = NULL;
        for (const char *p = s; *p != '\0'; p++)
                if (isdigit((unsigned char)*p) || *p == '.' || *p == ' ')
                        sep = p;
        if (sep == NULL)
                return berth_err(err, 0, "invalid size: '%s'", s);
        _cleanup_free_ char *num = xstrndup(s, (size_t)(sep - s) + (*sep == ' ' ? 0 : 1));
        const char *sfx = sep + 1;

        char *end = NULL;
        errno = 0;
        double size = strtod(num, &end);
        /* strtod is laxer than Go's ParseFloat: no leading blanks, no hex,
         * no inf/nan (those never reach here without a digit anyway). */
        if (num[0] == '\0' || isspace((unsigned char)num[0]) || *end != '\0' ||
            strpbrk(num, "xXpP") != NULL || errno == ERANGE)
                return berth_err(err, 0, "strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
        if (size < 0)
                return berth_err(err, 0, "invalid size: '%s'", s);

        size_t n = strlen(sfx);
        if (n > 0) {
                char l[4] = {0};
                if (n > 3)
                        return berth_err(err, 0, "invalid suffix: '%s'", sfx);
                for (size_t i = 0; i < n; i++)
                        l[i] = (char)tolower((unsigned char)sfx[i]);
                if (l[0] == 'b') {
                        if (n > 1)
                                return berth_err(err, 0, "invalid suffix: '%s'", l);
                } else {
                        const char *units = "kmgtp";
                        const char *u = strchr(units, l[0]);
                        if (u == NULL || (n == 2 && l[1] != 'b') ||
                            (n == 3 && strcmp(l + 1, "ib") != 0))
                                return berth_err(err, 0, "invalid suffix: '%s'", l);
                        size = ldexp(size, 10 * (int)(u - units + 1));
                }
        }
        if (size >= 9223372036854775807.0)
                return berth_err(err, 0, "invalid size: '%s'", s);
        *out = (int64_t)size;
        return 0;
}

int container_parse_cpus(const char *s, int64_t *out, struct berth_error **err)
{
        /* big.Rat's decimal form, then "nano must be an integer". */
        const char *p = s;
        bool neg = false;
        if (*p == '+' || *p == '-')
                neg = *p++ == '-';
        uint64_t whole = 0, frac = 0;
        int frac_digits = 0, digits = 0;
        bool too_precise = false;
        for (; isdigit((unsigned char)*p); p++, digits++) {
                if (whole > (UINT64_MAX - 9) / 10)
                        return berth_err(err, 0, "value is too large");
                whole = whole * 10 + (uint64_t)(*p - '0');
        }
        if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++, digits++) {
                        if (frac_digits < 9) {
                                frac = frac * 10 + (uint64_t)(*p - '0');
                                frac_digits++;
                        } else if (*p != '0') {
                                too_precise = true;
                        }
                }
        if (*p != '\0' || digits == 0)
                return berth_err(err, 0, "failed to parse %s as a rational number", s);
        if (too_precise)
                return berth_err(err, 0, "value is too precise");
        for (; frac_digits < 9; frac_digits++)
                frac *= 10;
        if (whole > (uint64_t)INT64_MAX / 1000000000u - 1)
                return berth_err(err, 0, "value is too large");
        int64_t nano = (int64_t)(whole * 1000000000u + frac);
        if (neg && nano != 0)
                return berth_err(err, 0, "CPUs can not be negative");
        *out = nano;
        return 0;
}

static const struct {
        const char *name;
        int sig;
} signals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGABRT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGIO},       {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

/* Docker's table numbers the real-time signals from the kernel's 34, not
 * from glibc's SIGRTMIN (which can move). */
enum { RT_MIN = 34, RT_MAX = 64 };

int container_parse_signal(const char *s, int *out, struct berth_error **err)
{
        int64_t n;
        if (s[0] != '\0' && container_parse_int64(s, &n, NULL) == 0) {
                if (n <= 0 || n > RT_MAX)
                        return berth_err(err, 0, "Invalid signal: %s", s);
                *out = (int)n;
                return 0;
        }
        const char *name = s;
        if (strncasecmp(name, "SIG", 3) == 0)
                name += 3;
        for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
                if (strcasecmp(name, signals[i].name) == 0) {
                        *out = signals[i].sig;
                        return 0;
                }
        /* RTMIN, RTMIN+1..RTMIN+15, RTMAX-14..RTMAX-1, RTMAX */
        bool min = strncasecmp(name, "RTMIN", 5) == 0, max = strncasecmp(name, "RTMAX", 5) == 0;
        if (min || max) {
                const char *off = name + 5;
                int v = min ? RT_MIN : RT_MAX;
                if (*off != '\0') {
                        if (*off != (min ? '+' : '-') || !isdigit((unsigned char)off[1]) ||
                            strlen(off + 1) > 2 || !isdigit((unsigned char)off[strlen(off) - 1]))
                                return berth_err(err, 0, "Invalid signal: %s", s);
                        int k = atoi(off + 1);
                        if (k < 1 || k > (min ? 15 : 14))
                                return berth_err(err, 0, "Invalid signal: %s", s);
                        v = min ? v + k : v - k;
                }
                *out = v;
                return 0;
        }
        return berth_err(err, 0, "Invalid signal: %s", s);
}

const char *container_signal_name(int sig)
{
        for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
                if (signals[i].sig == sig)
                        return signals[i].name;
        return NULL;
}

static const struct {
        const char *name;
        int resource;
} ulimits[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

const char *container_rlimit_oci_name(int resource)
{
        static const char *const names[] = {
            [RLIMIT_CORE] = "RLIMIT_CORE",         [RLIMIT_CPU] = "RLIMIT_CPU",
            [RLIMIT_DATA] = "RLIMIT_DATA",         [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
            [RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
            [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
            [RLIMIT_NOFILE] = "RLIMIT_NOFILE",     [RLIMIT_NPROC] = "RLIMIT_NPROC",
            [RLIMIT_RSS] = "RLIMIT_RSS",           [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
            [RLIMIT_RTTIME] = "RLIMIT_RTTIME",     [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
            [RLIMIT_STACK] = "RLIMIT_STACK",
        };
        if (resource < 0 || (size_t)resource >= sizeof(names) / sizeof(names[0]))
                return NULL;
        return names[resource];
}

int container_parse_ulimit(const char *s, struct container_ulimit *out, struct berth_error **err)
{
        const char *eq = strchr(s, '=');
        if (eq == NULL)
                return berth_err(err, 0, "invalid ulimit argument: %s", s);
        _cleanup_free_ char *name = xstrndup(s, (size_t)(eq - s));
        int resource = -1;
        for (size_t i = 0; i < sizeof(ulimits) / sizeof(ulimits[0]); i++)
                if (strcmp(name, ulimits[i].name) == 0)
                        resource = ulimits[i].resource;
        if (resource < 0)
                return berth_err(err, 0, "invalid ulimit type: %s", name);

        _cleanup_free_ char *vals = xstrdup(eq + 1);
        char *colon = strchr(vals, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL)
                return berth_err(err, 0,
                                 "too many limit value arguments - %s, can only have up to two, "
                                 "`soft[:hard]`",
                                 eq + 1);
        if (colon != NULL)
                *colon = '\0';
        int64_t soft, hard;
        if (colon != NULL && container_parse_int64(colon + 1, &hard, err) < 0)
                return berth_err_ret(*err);
        if (container_parse_int64(vals, &soft, err) < 0)
                return berth_err_ret(*err);
        if (colon == NULL)
                hard = soft;
        if (hard != -1 && (soft == -1 || soft > hard))
                return berth_err(err, 0,
                                 "ulimit soft limit must be less than or equal to hard limit: "
                                 "%lld > %lld",
                                 (long long)soft, (long long)hard);
        out->name = steal_pointer(&name);
        out->resource = resource;
        out->soft = soft;
        out->hard = hard;
        return 0;
}

void container_ulimit_clear(struct container_ulimit *u)
{
        free(u->name);
        u->name = NULL;
}

int container_parse_restart(const char *s, enum container_restart *policy, int *max_retries,
                            struct berth_error **err)
{
        const char *colon = strchr(s, ':');
        _cleanup_free_ char *name = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
        int64_t count = 0;
        if (colon != NULL && name[0] == '\0')
                return berth_err(err, 0,
                                 "invalid restart policy format: no policy provided before colon");
        if (colon != NULL && colon[1] != '\0') {
                if (container_parse_int64(colon + 1, &count, NULL) < 0 || count > INT_MAX ||
                    count < INT_MIN)
                        return berth_err(err, 0,
                                         "invalid restart policy format: maximum retry "
                                         "count must be an integer");
        }
        enum container_restart p;
        if (name[0] == '\0' || strcmp(name, "no") == 0)
                p = CONTAINER_RESTART_NO;
        else if (strcmp(name, "always") == 0)
                p = CONTAINER_RESTART_ALWAYS;
        else if (strcmp(name, "unless-stopped") == 0)
                p = CONTAINER_RESTART_UNLESS_STOPPED;
        else if (strcmp(name, "on-failure") == 0)
                p = CONTAINER_RESTART_ON_FAILURE;
        else
                return berth_err(err, 0,
                                 "invalid restart policy: unknown policy '%s'; use one of 'no', "
                                 "'always', 'on-failure', or 'unless-stopped'",
                                 name);
        if (count != 0 && p != CONTAINER_RESTART_ON_FAILURE)
                return berth_err(err, 0,
                                 "invalid restart policy: maximum retry count can only "
                                 "be used with 'on-failure'");
        if (count < 0)
                return berth_err(err, 0,
                                 "invalid restart policy: maximum retry count cannot be negative");
        *policy = p;
        *max_retries = (int)count;
        return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
        int64_t v;
        if (s[0] == '-' || s[0] == '+' || container_parse_int64(s, &v, NULL) < 0 || v > UINT32_MAX)
                return -1;
        *out = (uint32_t)v;
        return 0;
}

int container_parse_idmap(const char *s, struct container_idmap *out, struct berth_error **err)
{
        _cleanup_free_ char *copy = xstrdup(s);
        char *f[3] = {0}, *save = NULL, *p = copy;
        size_t n = 0;
        for (char *c = strsep(&p, ":"); c != NULL; c = strsep(&p, ":"))
                if (n++ < 3)
                        f[n - 1] = c;
        (void)save;
        struct container_idmap m;
        if (n != 3 || parse_u32(f[0], &m.container_id) < 0 || parse_u32(f[1], &m.host_id) < 0 ||
            parse_u32(f[2], &m.size) < 0 || m.size == 0 ||
            (uint64_t)m.container_id + m.size > (uint64_t)UINT32_MAX + 1 ||
            (uint64_t)m.host_id + m.size > (uint64_t)UINT32_MAX + 1)
                return berth_err(err, 0, "invalid ID mapping '%s': want CONTAINER_ID:HOST_ID:SIZE",
                                 s);
        *out = m;
        return 0;
}

int container_parse_capability(const char *s, char **out, struct berth_error **err)
{
        _cleanup_free_ char *up = xstrdup(s);
        for (char *p = up; *p != '\0'; p++)
                *p = (char)toupper((unsigned char)*p);
        if (strcmp(up, "ALL") == 0) {
                *out = steal_pointer(&up);
                return 0;
        }
        _cleanup_free_ char *name =
            strncmp(up, "CAP_", 4) == 0 ? xstrdup(up) : xasprintf("CAP_%s", up);
        if (!container_cap_known(name))
                return berth_err(err, 0, "unknown capability: \"%s\"", name);
        *out = steal_pointer(&name);
        return 0;
}

int container_parse_cpuset(const char *s, struct berth_error **err)
{
        /* moby's parsers.ParseUintList: "0-3,5"; no empty items. */
        _cleanup_free_ char *copy = xstrdup(s);
        char *p = copy;
        if (*s == '\0')
                return berth_err(err, 0, "invalid value %s for cpuset cpus", s);
        for (char *item = strsep(&p, ","); item != NULL; item = strsep(&p, ",")) {
                char *dash = strchr(item, '-');
                uint32_t a, b;
                if (dash != NULL)
                        *dash = '\0';
                if (parse_u32(item, &a) < 0 || (dash != NULL && parse_u32(dash + 1, &b) < 0) ||
                    (dash != NULL && b < a))
                        return berth_err(err, 0, "invalid value %s for cpuset cpus", s);
        }
        return 0;
}

char *container_path_clean(const char *path)
{
        /* Go's path.Clean: one slash at a time, no "." components, ".."
         * eats the component before it (and stops at the root). */
        size_t n = strlen(path);
        bool abs = path[0] == '/';
        char *out = xmalloc(n + 2);
        size_t w = 0;
        if (abs)
                out[w++] = '/';
        size_t dotdot = w; /* ".." stops at the root, or after kept ".."s */
        for (size_t r = 0; r < n;) {
                if (path[r] == '/') {
                        r++;
                } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
                        r++;
                } else if (path[r] == '.' && path[r + 1] == '.' &&
                           (r + 2 == n || path[r + 2] == '/')) {
                        r += 2;
                        if (w > dotdot) {
                                w--;
                                while (w > dotdot && out[w] != '/')
                                        w--;
                        } else if (!abs) {
                                if (w > 0)
                                        out[w++] = '/';
                                out[w++] = '.';
                                out[w++] = '.';
                                dotdot = w;
                        }
                } else {
                        if ((abs && w != 1) || (!abs && w != 0))
                                out[w++] = '/';
                        while (r < n && path[r] != '/')
                                out[w++] = path[r++];
                }
        }
        if (w == 0)
                out[w++] = '.';
        out[w] = '\0';
        return out;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The process half of a container's spec: args, env, hostname, stop
 * signal, as Docker's daemon derives them from image config + options. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "container/spec.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char default_path[] =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int container_spec_args(const struct image_config *img, const struct container_options *o,
                        char ***out, struct berth_error **err)
{
        char *const *entrypoint, *const *cmd;

        /* --entrypoint replaces the image's entrypoint and drops its Cmd
         * ("" leaves no entrypoint at all); arguments after the image
         * replace Cmd. */
        if (o->entrypoint_set) {
                entrypoint = o->entrypoint;
                cmd = o->cmd;
        } else {
                entrypoint = img ? img->entrypoint : NULL;
                cmd = strv_len(o->cmd) > 0 ? o->cmd : img ? img->cmd : NULL;
        }
        _cleanup_strv_ char **args = xcalloc(1, sizeof(char *));
        for (size_t i = 0; entrypoint != NULL && entrypoint[i] != NULL; i++)
                strv_append(&args, entrypoint[i]);
        for (size_t i = 0; cmd != NULL && cmd[i] != NULL; i++)
                strv_append(&args, cmd[i]);
        if (args[0] == NULL)
                return berth_err(err, 0, "no command specified");
        *out = steal_pointer(&args);
        return 0;
}

static size_t key_len(const char *kv)
{
        const char *eq = strchr(kv, '=');
        return eq ? (size_t)(eq - kv) : strlen(kv);
}

char **container_env_merge(char *const *defaults, char *const *overrides)
{
        char **env = strv_dup(defaults);
        if (env == NULL)
                env = xcalloc(1, sizeof(char *));
        for (size_t i = 0; overrides != NULL && overrides[i] != NULL; i++) {
                const char *o = overrides[i];
                size_t klen = key_len(o);
                bool unset = o[klen] == '\0';
                bool found = false;
                for (size_t j = 0; env[j] != NULL; j++) {
                        if (key_len(env[j]) != klen || strncmp(env[j], o, klen) != 0)
                                continue;
                        found = true;
                        free(env[j]);
                        if (unset) {
                                memmove(&env[j], &env[j + 1], (strv_len(env) - j) * sizeof(char *));
                        } else {
                                env[j] = xstrdup(o);
                        }
                        break;
                }
                /* Docker appends a later duplicate as well; replacing in
                 * place makes the last -e K=... win, which is what the
                 * process then sees in Docker too (it reads the last). */
                if (!found && !unset)
                        strv_append(&env, o);
        }
        return env;
}

char **container_spec_env(const struct image_config *img, char *const *user_env,
                          const char *hostname, bool tty)
{
        _cleanup_strv_ char **base = xcalloc(1, sizeof(char *));
        _cleanup_free_ char *h = xasprintf("HOSTNAME=%s", hostname);
        strv_append(&base, default_path);
        strv_append(&base, h);
        if (tty)
                strv_append(&base, "TERM=xterm");
        /* The container's Env is the image's with the user's merged in;
         * that then overrides the daemon's defaults above. */
        _cleanup_strv_ char **cenv = container_env_merge(img ? img->env : NULL, user_env);
        return container_env_merge(base, cenv);
}

char *container_hostname(const struct container_options *o, const char *id,
                         const char *other_hostname)
{
        if (o->hostname != NULL && o->hostname[0] != '\0')
                return xstrdup(o->hostname);
        if ((o->network == CONTAINER_NETWORK_CONTAINER || o->network == CONTAINER_NETWORK_HOST) &&
            other_hostname != NULL)
                return xstrdup(other_hostname);
        if (o->network == CONTAINER_NETWORK_HOST) {
                char buf[256] = {0};
                if (gethostname(buf, sizeof(buf) - 1) == 0)
                        return xstrdup(buf);
        }
        return xstrndup(id, 12);
}

int container_stop_signal(const struct image_config *img, const struct container_options *o,
                          struct berth_error **err)
{
        int sig = SIGTERM;
        if (o->stop_signal > 0)
                return o->stop_signal;
        if (img != NULL && img->stop_signal != NULL && img->stop_signal[0] != '\0' &&
            container_parse_signal(img->stop_signal, &sig, err) < 0)
                return berth_err_wrap(err, "image StopSignal");
        return sig;
}

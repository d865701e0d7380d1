/* SPDX-License-Identifier: Apache-2.0 */
/* The content of a container's /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, as Docker writes them. */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>

#include "container/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

char *container_hostname_content(const char *hostname)
{
        return xasprintf("%s\n", hostname);
}

char *container_hosts_content(const char *hostname, const char *name, const char *ip)
{
        bool with_name = name != NULL && name[0] != '\0' && strcmp(name, hostname) != 0;
        return xasprintf("127.0.0.1\tlocalhost\n"
                         "::1\tlocalhost ip6-localhost ip6-loopback\n"
                         "fe00::0\tip6-localnet\n"
                         "ff00::0\tip6-mcastprefix\n"
                         "ff02::1\tip6-allnodes\n"
                         "ff02::2\tip6-allrouters\n"
                         "%s\t%s%s%s\n",
                         ip != NULL ? ip : "127.0.0.1", hostname, with_name ? " " : "",
                         with_name ? name : "");
}

/* 127.0.0.0/8 or ::1: a resolver on the host's loopback, which the
 * container's own network namespace can't reach. */
static bool loopback(const char *addr)
{
        if (strcmp(addr, "::1") == 0)
                return true;
        if (strncmp(addr, "127.", 4) != 0)
                return false;
        int dots = 0;
        for (const char *p = addr + 4; *p != '\0'; p++) {
                if (*p == '.')
                        dots++;
                else if (!isdigit((unsigned char)*p))
                        return false;
        }
        return dots == 2;
}

static void append(char **buf, size_t *len, const char *s, size_t n)
{
        *buf = xrealloc(*buf, *len + n + 1);
        memcpy(*buf + *len, s, n);
        *len += n;
        (*buf)[*len] = '\0';
}

char *container_resolv_conf_content(const char *host, bool ipv6)
{
        char *out = xstrdup("");
        size_t len = 0;
        bool any_ns = false;
        const char *p = host != NULL ? host : "";
        while (*p != '\0') {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                _cleanup_free_ char *line = xstrndup(p, n);
                p += n + (nl ? 1 : 0);

                if (strncmp(line, "nameserver", 10) == 0 && isblank((unsigned char)line[10])) {
                        char *addr = line + 10;
                        while (isblank((unsigned char)*addr))
                                addr++;
                        size_t alen = strcspn(addr, " \t\r#;");
                        _cleanup_free_ char *a = xstrndup(addr, alen);
                        if (loopback(a) || (!ipv6 && strchr(a, ':') != NULL))
                                continue;
                        any_ns = true;
                }
                append(&out, &len, line, strlen(line));
                append(&out, &len, "\n", 1);
        }
        if (!any_ns) {
                const char *dflt = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
                append(&out, &len, dflt, strlen(dflt));
                if (ipv6) {
                        dflt = "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n";
                        append(&out, &len, dflt, strlen(dflt));
                }
        }
        return out;
}

/* systemd-resolved's stub (127.0.0.53) is useless from another network
 * namespace; Docker reads the real upstream list resolved keeps. */
static bool only_resolved_stub(const char *conf)
{
        bool stub = false, other = false;
        const char *p = conf;
        while (p != NULL && *p != '\0') {
                if (strncmp(p, "nameserver", 10) == 0 && isblank((unsigned char)p[10])) {
                        const char *a = p + 10;
                        while (isblank((unsigned char)*a))
                                a++;
                        if (strncmp(a, "127.0.0.53", 10) == 0 &&
                            (a[10] == '\0' || isspace((unsigned char)a[10])))
                                stub = true;
                        else
                                other = true;
                }
                p = strchr(p, '\n');
                p = p ? p + 1 : NULL;
        }
        return stub && !other;
}

static char *read_or_empty(const char *path)
{
        char *buf = NULL;
        _cleanup_error_ struct berth_error *e = NULL;
        if (util_file_read(AT_FDCWD, path, &buf, NULL, &e) < 0)
                return xstrdup("");
        return buf;
}

int container_etc_files_write(int dirfd, const struct container_options *o, const char *hostname,
                              const char *ip, const char *host_etc, struct berth_error **err)
{
        const char *etc = host_etc != NULL ? host_etc : "/etc";
        _cleanup_free_ char *resolv_path = xasprintf("%s/resolv.conf", etc);
        _cleanup_free_ char *hosts_path = xasprintf("%s/hosts", etc);
        _cleanup_free_ char *host_resolv = read_or_empty(resolv_path);
        _cleanup_free_ char *name_content = container_hostname_content(hostname);
        _cleanup_free_ char *hosts = NULL, *resolv = NULL;
        bool host_net = o->network == CONTAINER_NETWORK_HOST;

        if (!host_net && only_resolved_stub(host_resolv) && host_etc == NULL) {
                free(host_resolv);
                host_resolv = read_or_empty("/run/systemd/resolve/resolv.conf");
        }
        /* With the host's network the host's files are right as they are. */
        if (host_net) {
                hosts = read_or_empty(hosts_path);
                resolv = xstrdup(host_resolv);
        } else {
                hosts = container_hosts_content(hostname, o->name, ip);
                resolv = container_resolv_conf_content(host_resolv, false);
        }
        const struct {
                const char *name, *content;
        } files[] = {{"hostname", name_content}, {"hosts", hosts}, {"resolv.conf", resolv}};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                if (util_file_write(dirfd, files[i].name, files[i].content,
                                    strlen(files[i].content), 0644, 0, err) < 0)
                        return berth_err_wrap(err, "writing the container's %s", files[i].name);
        return 0;
}

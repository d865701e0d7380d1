/* SPDX-License-Identifier: Apache-2.0 */
/* The content of a container's /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, as Docker writes them. */
#include <ctype.h>
#include <string.h>

#include "container/spec.h"
#include "util/cleanup.h"
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

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ADD of a URL, with BuildKit's rules: fetched over http or https by the
 * builder itself (whatever --network says: RUN's network is the
 * container's, not the builder's), redirects followed, an HTTP error is an
 * error.  The file is named by the last element of the URL's path
 * ("__unnamed__" when it has none), gets mode 0600 and the Last-Modified
 * time, and is never unpacked.  Each URL is fetched once per build, into an
 * unnamed file of the work dir: the cache key's checksum and the layer
 * are of the same bytes.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build-private.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* libcurl is opened on first use: linked in, it and the two dozen
 * libraries it needs (TLS, Kerberos, LDAP, ...) cost every berth command
 * ~4.5 ms of start-up, `berth run` included. */
static struct {
        void *handle;
        CURLcode (*global_init)(long);
        void (*global_cleanup)(void);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_perform)(CURL *);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        void (*easy_cleanup)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        CURLU *(*url)(void);
        CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
        CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
        void (*url_cleanup)(CURLU *);
        void (*free)(void *);
} lc;

static int curl_load(struct berth_error **err)
{
        if (lc.handle != NULL)
                return 0;
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (h == NULL)
                return berth_err(err, 0, "loading libcurl: %s", dlerror());
        struct {
                const char *name;
                void **slot;
        } syms[] = {
            {"curl_global_init", (void **)&lc.global_init},
            {"curl_global_cleanup", (void **)&lc.global_cleanup},
            {"curl_easy_init", (void **)&lc.easy_init},
            {"curl_easy_setopt", (void **)&lc.easy_setopt},
            {"curl_easy_perform", (void **)&lc.easy_perform},
            {"curl_easy_getinfo", (void **)&lc.easy_getinfo},
            {"curl_easy_cleanup", (void **)&lc.easy_cleanup},
            {"curl_easy_strerror", (void **)&lc.easy_strerror},
            {"curl_url", (void **)&lc.url},
            {"curl_url_set", (void **)&lc.url_set},
            {"curl_url_get", (void **)&lc.url_get},
            {"curl_url_cleanup", (void **)&lc.url_cleanup},
            {"curl_free", (void **)&lc.free},
        };
        for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
                *syms[i].slot = dlsym(h, syms[i].name);
                if (*syms[i].slot == NULL) {
                        dlclose(h);
                        return berth_err(err, 0, "libcurl has no %s", syms[i].name);
                }
        }
        lc.handle = h;
        return 0;
}

bool build_is_url(const char *s)
{
        return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

struct sink {
        int fd;
        int errnum;
        struct image_digester *d;
};

static size_t on_data(char *buf, size_t size, size_t n, void *arg)
{
        struct sink *s = arg;
        size_t len = size * n;
        if (util_write_all(s->fd, buf, len) < 0) {
                s->errnum = errno;
                return 0;
        }
        image_digester_update(s->d, buf, len);
        return len;
}

/* ^C while fetching: the transfer stops and the build fails as after any
 * other interrupted step. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        return build_interrupted() != 0;
}

char *build_url_file_name(const char *url)
{
        _cleanup_error_ struct berth_error *scratch = NULL;
        /* Without libcurl the fetch itself fails, saying so. */
        if (curl_load(&scratch) < 0)
                return xstrdup("__unnamed__");
        CURLU *u = lc.url();
        char *path = NULL;
        char *name = NULL;
        if (u != NULL && lc.url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            lc.url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK) {
                size_t l = strlen(path);
                while (l > 0 && path[l - 1] == '/')
                        l--;
                size_t start = l;
                while (start > 0 && path[start - 1] != '/')
                        start--;
                if (l > start && !(l - start == 1 && path[start] == '.') &&
                    !(l - start == 2 && strncmp(path + start, "..", 2) == 0))
                        name = xstrndup(path + start, l - start);
        }
        lc.free(path);
        lc.url_cleanup(u);
        return name ? name : xstrdup("__unnamed__");
}

static int fetch(struct builder *b, struct build_fetched *f, struct berth_error **err)
{
        f->fd = open(b->work, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (f->fd < 0)
                return berth_err(err, errno, "fetching %s: creating its file", f->url);
        if (curl_load(err) < 0)
                return berth_err_wrap(err, "fetching %s", f->url);
        if (!b->curl_ready) {
                if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        return berth_err(err, 0, "fetching %s: initialising libcurl", f->url);
                b->curl_ready = true;
        }
        CURL *c = lc.easy_init();
        if (c == NULL)
                return berth_err(err, ENOMEM, "fetching %s", f->url);
        _cleanup_digester_ struct image_digester *d = image_digester_new();
        struct sink s = {.fd = f->fd, .d = d};
        char msg[CURL_ERROR_SIZE] = "";
        _cleanup_free_ char *agent = xasprintf("berth/%s", BERTH_VERSION);
        lc.easy_setopt(c, CURLOPT_URL, f->url);
        lc.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        lc.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        lc.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        lc.easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
        lc.easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        lc.easy_setopt(c, CURLOPT_FILETIME, 1L);
        lc.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        lc.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        /* A server that stops sending fails the step rather than hang it. */
        lc.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        lc.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        lc.easy_setopt(c, CURLOPT_USERAGENT, agent);
        lc.easy_setopt(c, CURLOPT_ERRORBUFFER, msg);
        lc.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        lc.easy_setopt(c, CURLOPT_WRITEDATA, &s);
        lc.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        lc.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        CURLcode rc = lc.easy_perform(c);
        curl_off_t filetime = -1;
        if (rc == CURLE_OK)
                lc.easy_getinfo(c, CURLINFO_FILETIME_T, &filetime);
        lc.easy_cleanup(c);
        if (rc == CURLE_ABORTED_BY_CALLBACK)
                return berth_err(err, EINTR, "interrupted by signal %d", build_interrupted());
        if (rc == CURLE_WRITE_ERROR && s.errnum != 0)
                return berth_err(err, s.errnum, "fetching %s: writing its file", f->url);
        if (rc != CURLE_OK)
                return berth_err(err, 0, "fetching %s: %s", f->url,
                                 *msg ? msg : lc.easy_strerror(rc));
        image_digester_final(d, f->digest);
        if (filetime >= 0) {
                struct timespec ts[2] = {{.tv_sec = (time_t)filetime},
                                         {.tv_sec = (time_t)filetime}};
                if (futimens(f->fd, ts) < 0)
                        return berth_err(err, errno, "fetching %s: setting its time", f->url);
        }
        return 0;
}

int build_fetch(struct builder *b, const char *url, const struct build_fetched **out,
                struct berth_error **err)
{
        for (size_t i = 0; i < b->n_fetched; i++) {
                if (b->fetched[i]->digest[0] != '\0' && strcmp(b->fetched[i]->url, url) == 0) {
                        *out = b->fetched[i];
                        return 0;
                }
        }
        struct build_fetched *f = xcalloc(1, sizeof(*f));
        f->url = xstrdup(url);
        f->name = build_url_file_name(url);
        f->fd = -1;
        int r = fetch(b, f, err);
        b->fetched = xrealloc(b->fetched, (b->n_fetched + 1) * sizeof(*b->fetched));
        b->fetched[b->n_fetched++] = f; /* released with the others, even failed */
        if (r < 0)
                return berth_err_ret(*err);
        *out = f;
        return 0;
}

void build_fetch_release(struct builder *b)
{
        for (size_t i = 0; i < b->n_fetched; i++) {
                free(b->fetched[i]->url);
                free(b->fetched[i]->name);
                if (b->fetched[i]->fd >= 0)
                        close(b->fetched[i]->fd);
                free(b->fetched[i]);
        }
        free(b->fetched);
        if (b->curl_ready)
                lc.global_cleanup();
}

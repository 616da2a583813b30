/* The same lead creates by hand with libcurl, for benches/run.sh: token fetched once, one
 * CURL easy handle per thread reused for every request (keep-alive), same headers and body.
 *
 *   bench_curl --base-url U [--threads 1] [--count 2000] [--reps 3] [--warmup 50]
 *   RESULT n=.. errors=.. wall_s=.. rate=.. p50_us=.. p99_us=..   (one line per repetition)
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_NAME "bench_curl"
#include "bench_common.h"

static char url[512], app_header[128], token_header[256];

struct buf {
    char data[4096];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    struct buf *b = ud;
    size_t len = size * n, room = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, p, len < room ? len : room);
    b->len += len < room ? len : room;
    b->data[b->len] = 0;
    return len;
}



static void fetch_token(void) {
    CURL *h = curl_easy_init();
    char body[256], turl[512];
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"app_secret\":\"%s\"}", APP_ID, APP_SECRET);
    snprintf(turl, sizeof turl, "%s/v1/oauth2/token", base_url);
    struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
    struct buf b = {.len = 0};
    curl_easy_setopt(h, CURLOPT_URL, turl);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (curl_easy_perform(h) != CURLE_OK) die("token request failed", NULL);
    const char *k = strstr(b.data, "\"access_token\":\"");
    if (!k) die("no access_token in", b.data);
    k += strlen("\"access_token\":\"");
    const char *end = strchr(k, '"');
    if (!end) die("bad token answer", b.data);
    snprintf(token_header, sizeof token_header, "access_token: %.*s", (int)(end - k), k);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
}

static CURL *handles[256];
static struct curl_slist *headers[256];

static int create(CURL *h) {
    struct buf b = {.len = 0};
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (curl_easy_perform(h) != CURLE_OK) return 0;
    return strstr(b.data, "\"code\":0") != NULL;
}

struct worker {
    pthread_barrier_t *barrier;
    int warmup;
    uint64_t *lat;
    int errors;
};

struct worker_arg {
    struct worker w;
    CURL *h;
};

static void *run_worker(void *p) {
    struct worker_arg *a = p;
    for (int i = 0; i < a->w.warmup; i++) create(a->h);
    pthread_barrier_wait(a->w.barrier);
    for (int i = 0; i < count; i++) {
        uint64_t t = now_ns();
        if (!create(a->h)) a->w.errors++;
        a->w.lat[i] = now_ns() - t;
    }
    return NULL;
}



int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!common_option(k, v)) die("unknown argument", k);
    }
    if (!base_url) die("--base-url is required", NULL);
    if (threads < 1 || threads > 256) die("--threads must be 1..256", NULL);
    curl_global_init(CURL_GLOBAL_ALL);
    fetch_token();
    snprintf(url, sizeof url, "%s/v1/leads/create", base_url);
    snprintf(app_header, sizeof app_header, "app_id: %s", APP_ID);
    for (int t = 0; t < threads; t++) {
        struct curl_slist *hs = curl_slist_append(NULL, app_header);
        hs = curl_slist_append(hs, token_header);
        hs = curl_slist_append(hs, "Content-Type: application/json");
        headers[t] = hs;
        CURL *h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, LEAD);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(LEAD));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        handles[t] = h;
    }
    uint64_t *all = malloc(sizeof(uint64_t) * (size_t)threads * (size_t)count);
    struct worker_arg *as = calloc((size_t)threads, sizeof *as);
    pthread_t *ts = calloc((size_t)threads, sizeof *ts);
    for (int rep = 0; rep < reps; rep++) {
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
        for (int t = 0; t < threads; t++) {
            as[t] = (struct worker_arg){{&barrier, rep == 0 ? warmup : 0, all + (size_t)t * count, 0},
                                        handles[t]};
            pthread_create(&ts[t], NULL, run_worker, &as[t]);
        }
        pthread_barrier_wait(&barrier);
        uint64_t start = now_ns();
        int errors = 0;
        for (int t = 0; t < threads; t++) {
            pthread_join(ts[t], NULL);
            errors += as[t].w.errors;
        }
        double wall = (double)(now_ns() - start) / 1e9;
        size_t n = (size_t)threads * count;
        print_result(all, n, errors, wall);
        pthread_barrier_destroy(&barrier);
    }
    for (int t = 0; t < threads; t++) {
        curl_easy_cleanup(handles[t]);
        curl_slist_free_all(headers[t]);
    }
    curl_global_cleanup();
    free(all);
    free(as);
    free(ts);
    return 0;
}

/* libjing through its C ABI, for benches/run.sh. Linked with -ljing.
 *
 *   bench_jing overhead  --base-url U [--threads 1] [--count 2000] [--reps 3] [--warmup 50]
 *       one client shared by all threads, client limits raised; prints per repetition
 *       RESULT n=.. errors=.. wall_s=.. rate=.. p50_us=.. p99_us=..
 *   bench_jing throttle  --base-url U [--clients 4] [--threads 8] [--total 100]
 *       default limits (10/s); thread t uses client t % clients; prints
 *       THROTTLE n=.. errors=.. wall_s=.. first_error=..
 *   bench_jing cold      --base-url U [--runs 5]
 *       re-executes itself per run; each child prints
 *       COLD exec_to_main_us=.. client_new_us=.. first_create_us=.. total_us=.. warm_create_us=..
 *       (total = exec() -> libjing loaded -> jing_client_new -> first create, token included)
 *   bench_jing footprint --base-url U
 *       THREADS before=.. one_client=.. fifty_clients=..
 *       RSS creates=N kb=..   (after 1, 1000, 2000, 5000, 10000 creates)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jing.h"
#define BENCH_NAME "bench_jing"
#include "bench_common.h"


static int clients = 4, total = 100, runs = 5;



static JingClient *new_client(int raised_limits) {
    char config[512];
    snprintf(config, sizeof config,
             "{\"app_id\":\"%s\",\"app_secret\":\"%s\",\"base_url\":\"%s\"%s}", APP_ID,
             APP_SECRET, base_url,
             raised_limits ? ",\"rate_limit_per_second\":100000,\"daily_quota\":1000000000" : "");
    JingClient *c = NULL;
    char *err = NULL;
    if (jing_client_new(config, &c, &err) != JING_OK) die("jing_client_new failed", err);
    return c;
}

/* One create; returns the status, and the error text of the first failure to stderr. */
static jing_status create(JingClient *c) {
    char *out = NULL;
    jing_status s = jing_lead_create_json(c, LEAD, &out);
    if (s != JING_OK) {
        static atomic_int reported;
        if (atomic_fetch_add(&reported, 1) == 0) fprintf(stderr, "bench_jing: create: %s\n", out);
    }
    jing_free_string(out);
    return s;
}



/* ---- overhead ---------------------------------------------------------------------- */
struct worker {
    JingClient *client;
    pthread_barrier_t *barrier;
    int warmup;
    uint64_t *lat;
    int errors;
};

static void *overhead_worker(void *p) {
    struct worker *w = p;
    for (int i = 0; i < w->warmup; i++) create(w->client);
    pthread_barrier_wait(w->barrier);
    for (int i = 0; i < count; i++) {
        uint64_t t = now_ns();
        if (create(w->client) != JING_OK) w->errors++;
        w->lat[i] = now_ns() - t;
    }
    return NULL;
}

static void run_overhead(void) {
    JingClient *c = new_client(1);
    uint64_t *all = malloc(sizeof(uint64_t) * (size_t)threads * (size_t)count);
    struct worker *ws = calloc((size_t)threads, sizeof *ws);
    pthread_t *ts = calloc((size_t)threads, sizeof *ts);
    for (int rep = 0; rep < reps; rep++) {
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
        for (int t = 0; t < threads; t++) {
            ws[t] = (struct worker){c, &barrier, rep == 0 ? warmup : 0, all + (size_t)t * count, 0};
            pthread_create(&ts[t], NULL, overhead_worker, &ws[t]);
        }
        pthread_barrier_wait(&barrier);
        uint64_t start = now_ns();
        int errors = 0;
        for (int t = 0; t < threads; t++) {
            pthread_join(ts[t], NULL);
            errors += ws[t].errors;
        }
        double wall = (double)(now_ns() - start) / 1e9;
        size_t n = (size_t)threads * count;
        print_result(all, n, errors, wall);
        pthread_barrier_destroy(&barrier);
    }
    jing_client_free(c);
    free(all);
    free(ws);
    free(ts);
}

/* ---- throttle ---------------------------------------------------------------------- */
static atomic_int next_index, throttle_errors;
static _Atomic jing_status first_error;

static void *throttle_worker(void *p) {
    JingClient *c = p;
    while (atomic_fetch_add(&next_index, 1) < total) {
        jing_status s = create(c);
        if (s != JING_OK) {
            atomic_fetch_add(&throttle_errors, 1);
            jing_status zero = 0;
            atomic_compare_exchange_strong(&first_error, &zero, s);
        }
    }
    return NULL;
}

static void run_throttle(void) {
    JingClient **cs = calloc((size_t)clients, sizeof *cs);
    for (int i = 0; i < clients; i++) cs[i] = new_client(0);
    pthread_t *ts = calloc((size_t)threads, sizeof *ts);
    uint64_t start = now_ns();
    for (int t = 0; t < threads; t++) pthread_create(&ts[t], NULL, throttle_worker, cs[t % clients]);
    for (int t = 0; t < threads; t++) pthread_join(ts[t], NULL);
    double wall = (double)(now_ns() - start) / 1e9;
    printf("THROTTLE n=%d errors=%d wall_s=%.4f first_error=%s\n", total,
           atomic_load(&throttle_errors), wall, jing_status_name(atomic_load(&first_error)));
    for (int i = 0; i < clients; i++) jing_client_free(cs[i]);
    free(cs);
    free(ts);
}

/* ---- cold start -------------------------------------------------------------------- */
static void run_cold_child(void) {
    uint64_t t_main = now_ns();
    const char *t0s = getenv("JING_BENCH_T0");
    uint64_t t0 = t0s ? strtoull(t0s, NULL, 10) : t_main;
    JingClient *c = new_client(1);
    uint64_t t_client = now_ns();
    if (create(c) != JING_OK) die("first create failed", NULL);
    uint64_t t_first = now_ns();
    if (create(c) != JING_OK) die("second create failed", NULL);
    uint64_t t_warm = now_ns();
    printf("COLD exec_to_main_us=%.1f client_new_us=%.1f first_create_us=%.1f total_us=%.1f "
           "warm_create_us=%.1f\n",
           (t_main - t0) / 1e3, (t_client - t_main) / 1e3, (t_first - t_client) / 1e3,
           (t_first - t0) / 1e3, (t_warm - t_first) / 1e3);
    fflush(stdout);
    _exit(0); /* the process ends here either way; skip teardown */
}

static void run_cold(const char *self) {
    for (int i = 0; i < runs; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) die("fork failed", NULL);
        if (pid == 0) {
            char t0[32];
            snprintf(t0, sizeof t0, "%llu", (unsigned long long)now_ns());
            setenv("JING_BENCH_T0", t0, 1);
            execl(self, self, "cold-child", "--base-url", base_url, (char *)NULL);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("cold child failed", NULL);
    }
}

/* ---- footprint --------------------------------------------------------------------- */
static int task_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

static void run_footprint(void) {
    int before = task_count();
    JingClient *c = new_client(1);
    if (create(c) != JING_OK) die("create failed", NULL);
    int one = task_count();
    JingClient *more[49];
    for (int i = 0; i < 49; i++) {
        more[i] = new_client(1);
        if (create(more[i]) != JING_OK) die("create failed", NULL);
    }
    int fifty = task_count();
    printf("THREADS before=%d one_client=%d fifty_clients=%d\n", before, one, fifty);
    for (int i = 0; i < 49; i++) jing_client_free(more[i]);
    printf("RSS creates=1 kb=%ld\n", rss_kb());
    int marks[] = {1000, 2000, 5000, 10000, 20000};
    int done = 1, errors = 0;
    for (size_t m = 0; m < sizeof marks / sizeof *marks; m++) {
        for (; done < marks[m]; done++)
            if (create(c) != JING_OK) errors++;
        printf("RSS creates=%d kb=%ld\n", done, rss_kb());
        fflush(stdout);
    }
    printf("FOOTPRINT errors=%d\n", errors);
    jing_client_free(c);
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: bench_jing overhead|throttle|cold|footprint --base-url URL [...]", NULL);
    const char *mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (common_option(k, v)) continue;
        if (!strcmp(k, "--clients")) clients = atoi(v);
        else if (!strcmp(k, "--total")) total = atoi(v);
        else if (!strcmp(k, "--runs")) runs = atoi(v);
        else die("unknown argument", k);
    }
    if (!base_url) die("--base-url is required", NULL);
    if (!strcmp(mode, "overhead")) run_overhead();
    else if (!strcmp(mode, "throttle")) run_throttle();
    else if (!strcmp(mode, "cold")) run_cold("/proc/self/exe");
    else if (!strcmp(mode, "cold-child")) run_cold_child();
    else if (!strcmp(mode, "footprint")) run_footprint();
    else die("unknown mode", mode);
    return 0;
}

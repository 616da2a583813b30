/* Shared by bench_jing.c and bench_curl.c, so that both send the same lead, measure time the
 * same way and print the same RESULT line. Define BENCH_NAME (for messages) before including. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *LEAD =
    "{\"business_type\":\"bt000000000000000000000000000001\",\"name\":\"\xe5\xbc\xa0\xe4\xb8\x89\","
    "\"mobile\":\"13800000000\"}";
static const char *APP_ID = "1000000000000001";
static const char *APP_SECRET = "0123456789abcdef0123456789abcdef";

/* The options every driver takes. */
static const char *base_url = NULL;
static int threads = 1, count = 2000, reps = 3, warmup = 50;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *msg, const char *detail) {
    fprintf(stderr, BENCH_NAME ": %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

/* Takes one of the common options; returns 0 when `k` is not one of them. */
static int common_option(const char *k, const char *v) {
    if (!strcmp(k, "--base-url")) base_url = v;
    else if (!strcmp(k, "--threads")) threads = atoi(v);
    else if (!strcmp(k, "--count")) count = atoi(v);
    else if (!strcmp(k, "--reps")) reps = atoi(v);
    else if (!strcmp(k, "--warmup")) warmup = atoi(v);
    else return 0;
    return 1;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_us(const uint64_t *sorted, size_t n, double p) {
    if (n == 0) return 0;
    size_t rank = (size_t)(p * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

/* Sorts the latencies (ns) of one repetition and prints its RESULT line. */
static void print_result(uint64_t *lat, size_t n, int errors, double wall_s) {
    qsort(lat, n, sizeof *lat, cmp_u64);
    printf("RESULT n=%zu errors=%d wall_s=%.4f rate=%.1f p50_us=%.1f p99_us=%.1f\n", n, errors,
           wall_s, (double)n / wall_s, percentile_us(lat, n, 0.5), percentile_us(lat, n, 0.99));
    fflush(stdout);
}

#endif

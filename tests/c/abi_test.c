/*
 * abi_test.c: drives libjing through its C header against a running jing-sandbox, the way a
 * C host would, and checks every status. Run by tests/c/run.sh plainly, under valgrind and
 * built with -fsanitize=address,undefined.
 *
 * Usage: abi_test [BASE_URL] [ITERATIONS]   (BASE_URL defaults to $JING_BASE_URL)
 *
 * Every string the library returns is released with jing_free_string; every client with
 * jing_client_free. The last line is "N passed, N failed"; the exit status is 0 only when
 * nothing failed and at least MIN_CALLS library calls were made.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jing.h"

#define APP_ID "1000000000000001"
#define APP_SECRET "0123456789abcdef0123456789abcdef"
#define BUSINESS_TYPE "bt000000000000000000000000000001"
#define MIN_CALLS 1000
#define THREADS 4
#define PER_THREAD 10

static int passed, failed;
static long calls; /* library calls made (only the main thread counts through CALL) */
static pthread_mutex_t calls_lock = PTHREAD_MUTEX_INITIALIZER;
static char base_url[256];
static char client_config[1024];

#define CALL(expr) (count_call(), (expr))

static void count_call(void) {
    pthread_mutex_lock(&calls_lock);
    calls++;
    pthread_mutex_unlock(&calls_lock);
}

static void check(int ok, const char *fmt, ...) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* Checks a status and the text written to out (which it then frees): on success an
 * envelope with "code":0, on failure an error JSON of the right kind. `needle`, when not
 * NULL, must occur in the text. */
static void expect(const char *label, jing_status got, jing_status want, char *out,
                   const char *needle) {
    check(got == want, "%s: status %d (%s), want %d (%s); out=%s", label, got,
          CALL(jing_status_name(got)), want, CALL(jing_status_name(want)),
          out ? out : "(null)");
    if (out) {
        char kind[64];
        if (want == JING_OK) {
            snprintf(kind, sizeof kind, "\"code\":0");
        } else {
            snprintf(kind, sizeof kind, "\"kind\":\"%s\"", CALL(jing_status_name(want)));
        }
        check(strstr(out, kind) != NULL, "%s: %s not in %s", label, kind, out);
        if (needle) check(strstr(out, needle) != NULL, "%s: %s not in %s", label, needle, out);
        if (want != JING_OK) {
            check(strstr(out, APP_SECRET) == NULL, "%s: the secret leaked: %s", label, out);
        }
    } else {
        check(0, "%s: out is NULL", label);
    }
    CALL(jing_free_string(out));
}

static JingClient *new_client(const char *config) {
    JingClient *client = NULL;
    char *err = NULL;
    jing_status s = CALL(jing_client_new(config, &client, &err));
    check(s == JING_OK && client != NULL && err == NULL, "jing_client_new: %d %s", s,
          err ? err : "");
    CALL(jing_free_string(err));
    return client;
}

/* Expects jing_client_new to fail with `want`, leaving *out_client untouched. */
static void expect_config_error(const char *label, const char *config, jing_status want,
                                const char *needle) {
    JingClient *sentinel = (JingClient *)(void *)&passed;
    JingClient *client = sentinel;
    char *err = NULL;
    jing_status s = CALL(jing_client_new(config, &client, &err));
    check(client == sentinel, "%s: out_client was written on failure", label);
    expect(label, s, want, err, needle);
    /* The same with out_error NULL: the status alone. */
    s = CALL(jing_client_new(config, &client, NULL));
    check(s == want && client == sentinel, "%s (out_error NULL): %d", label, s);
}

/* A raw HTTP POST to the sandbox's control API (fault injection), outside the library. */
static int sandbox_post(const char *path, const char *body) {
    const char *hostport = strstr(base_url, "://");
    if (!hostport) return -1;
    hostport += 3;
    const char *colon = strrchr(hostport, ':');
    if (!colon) return -1;
    int port = atoi(colon + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    char request[2048];
    int n = snprintf(request, sizeof request,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, strlen(body), body);
    if (n < 0 || (size_t)n >= sizeof request || write(fd, request, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    char answer[512] = {0};
    ssize_t got = read(fd, answer, sizeof answer - 1);
    close(fd);
    return got > 0 && strncmp(answer, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

/* A loopback port where nothing listens (bound, then closed). */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        return 9; /* discard: nothing listens there on a test machine */
    }
    close(fd);
    return ntohs(addr.sin_port);
}

static void test_static_calls(void) {
    check(CALL(jing_abi_version()) == JING_ABI_VERSION, "abi version");
    check(strcmp(CALL(jing_version()), JING_VERSION_STRING) == 0, "version string");
    static const struct {
        jing_status status;
        const char *name;
    } names[] = {
        {JING_OK, "ok"},
        {JING_E_INVALID_ARGUMENT, "invalid_argument"},
        {JING_E_CONFIG, "config"},
        {JING_E_AUTH, "auth"},
        {JING_E_THROTTLED, "throttled"},
        {JING_E_QUOTA_EXHAUSTED, "quota_exhausted"},
        {JING_E_NETWORK, "network"},
        {JING_E_OUTCOME_UNKNOWN, "outcome_unknown"},
        {JING_E_API, "api"},
        {JING_E_PROTOCOL, "protocol"},
        {JING_E_PANIC, "panic"},
        {-1, "unknown"},
        {10, "unknown"},
        {INT32_MIN, "unknown"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *got = CALL(jing_status_name(names[i].status));
        check(got && strcmp(got, names[i].name) == 0, "status name of %d: %s",
              names[i].status, got ? got : "(null)");
    }
    CALL(jing_free_string(NULL));
    CALL(jing_client_free(NULL));
}

static void test_config_errors(void) {
    char config[1024];
    expect_config_error("NULL config", NULL, JING_E_INVALID_ARGUMENT, "config_json is NULL");
    char *err = NULL;
    jing_status s = CALL(jing_client_new(client_config, NULL, &err));
    expect("NULL out_client", s, JING_E_INVALID_ARGUMENT, err, "out_client");
    const char bad_utf8[] = {'{', '"', 'a', (char)0xff, '"', ':', '1', '}', 0};
    expect_config_error("invalid UTF-8 config", bad_utf8, JING_E_INVALID_ARGUMENT, "UTF-8");
    snprintf(config, sizeof config,
             "{\"app_id\":\"%s\",\"app_secret\":\"%s\",\"base_url\":\"%s\",\"timout_ms\":5}",
             APP_ID, APP_SECRET, base_url);
    expect_config_error("unknown key", config, JING_E_CONFIG, "timout_ms");
    expect_config_error("truncated JSON", "{\"app_id\":\"1\",", JING_E_CONFIG, "not valid JSON");
    expect_config_error("not an object", "[1,2,3]", JING_E_CONFIG, "object");
    expect_config_error("empty", "", JING_E_CONFIG, NULL);
    expect_config_error("clear text to a remote host",
                        "{\"app_id\":\"1\",\"app_secret\":\"" APP_SECRET
                        "\",\"base_url\":\"http://example.com\"}",
                        JING_E_CONFIG, "https");
    snprintf(config, sizeof config,
             "{\"app_id\":\"%s\",\"app_secret\":\"%s\",\"base_url\":\"%s\","
             "\"ca_file\":\"/nonexistent/ca.pem\"}",
             APP_ID, APP_SECRET, base_url);
    expect_config_error("missing ca_file", config, JING_E_CONFIG, "ca_file");
    snprintf(config, sizeof config,
             "{\"app_id\":\"%s\",\"app_secret\":\"%s\",\"base_url\":\"%s\",\"timeout_ms\":0}",
             APP_ID, APP_SECRET, base_url);
    expect_config_error("timeout out of range", config, JING_E_CONFIG, "timeout_ms");
    expect_config_error("wrong type", "{\"app_id\":1,\"app_secret\":\"x\"}", JING_E_CONFIG,
                        "app_id");
}

/* Copies the 32-hex jing_uuid of an envelope into uuid (33 bytes). */
static int extract_uuid(const char *envelope, char *uuid) {
    const char *p = envelope ? strstr(envelope, "\"jing_uuid\":\"") : NULL;
    if (!p) return -1;
    p += strlen("\"jing_uuid\":\"");
    const char *end = strchr(p, '"');
    if (!end || end - p != 32) return -1;
    memcpy(uuid, p, 32);
    uuid[32] = 0;
    return 0;
}

/* One client's life: a lead with Chinese text, read back, local errors, then freed. */
static void client_round(int i) {
    JingClient *client = new_client(client_config);
    if (!client) return;
    char lead[512], name[64], label[96], path[128];
    snprintf(name, sizeof name, "张伟 %d", i);
    snprintf(lead, sizeof lead,
             "{\"business_type\":\"%s\",\"name\":\"%s\",\"mobile\":\"13800000000\","
             "\"description\":\"客户来自上海 🚀 \\\"引号\\\"\",\"custom_text_1\":\"自定义\"}",
             BUSINESS_TYPE, name);
    char *out = NULL;
    snprintf(label, sizeof label, "create lead %d", i);
    jing_status s = CALL(jing_lead_create_json(client, lead, &out));
    char uuid[33];
    int have_uuid = s == JING_OK && extract_uuid(out, uuid) == 0;
    check(s != JING_OK || have_uuid, "%s: no jing_uuid in %s", label, out ? out : "");
    expect(label, s, JING_OK, out, "\"jing_uuid\"");

    if (have_uuid) {
        snprintf(path, sizeof path, "/v1/leads/query?jing_uuid=%s", uuid);
        s = CALL(jing_request_json(client, "GET", path, NULL, &out));
        snprintf(label, sizeof label, "query lead %d", i);
        /* The name comes back byte-exact (the sandbox never \u-escapes). */
        char needle[96];
        snprintf(needle, sizeof needle, "\"name\":\"%s\"", name);
        expect(label, s, JING_OK, out, needle);
    }

    /* Local validation: nothing is sent, the field is named. */
    const char bad_utf8[] = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (char)0xe5, (char)0xbc,
                             '"', '}', 0};
    static const struct {
        const char *lead;
        const char *needle;
    } bad_leads[] = {
        {"{\"business_type\":\"" BUSINESS_TYPE "\",\"mobile\":\"1\"}", "name"},
        {"{\"name\":\"张伟\",\"mobile\":\"1\"}", "business_type"},
        {"{\"business_type\":\"" BUSINESS_TYPE "\",\"name\":\"张伟\"}", "mobile"},
        {"{\"business_type\":\"" BUSINESS_TYPE "\",\"name\":\"张伟\",\"mobile\":13}", "mobile"},
        {"{\"business_type\":\"" BUSINESS_TYPE "\",\"name\":", "not valid JSON"},
        {"[]", "object"},
        {"", "not valid JSON"},
    };
    for (size_t k = 0; k < sizeof bad_leads / sizeof bad_leads[0]; k++) {
        s = CALL(jing_lead_create_json(client, bad_leads[k].lead, &out));
        snprintf(label, sizeof label, "bad lead %zu", k);
        expect(label, s, JING_E_INVALID_ARGUMENT, out, bad_leads[k].needle);
    }
    s = CALL(jing_lead_create_json(client, bad_utf8, &out));
    expect("lead invalid UTF-8", s, JING_E_INVALID_ARGUMENT, out, "UTF-8");
    s = CALL(jing_lead_create_json(client, NULL, &out));
    expect("lead NULL", s, JING_E_INVALID_ARGUMENT, out, "lead_json is NULL");
    s = CALL(jing_lead_create_json(NULL, lead, &out));
    expect("client NULL", s, JING_E_INVALID_ARGUMENT, out, "client is NULL");
    s = CALL(jing_lead_create_json(client, "[]", NULL));
    check(s == JING_E_INVALID_ARGUMENT, "out_json NULL: %d", s);

    static const struct {
        const char *method, *path, *body, *needle;
    } bad_requests[] = {
        {"GET", "//evil.example/x", NULL, "host"},
        {"GET", "/v1/x?u=https://evil.example", NULL, "host"},
        {"GET", "v1/x", NULL, "'/'"},
        {"GET", "/v1/a b", NULL, "whitespace"},
        {"GET", "/v1/a\r\nHost: evil", NULL, "control"},
        {"PATCH", "/v1/x", NULL, "method"},
        {"POST", "/v1/x", "{\"a\":", "body is not valid JSON"},
        {NULL, "/v1/x", NULL, "method is NULL"},
        {"GET", NULL, NULL, "path is NULL"},
    };
    for (size_t k = 0; k < sizeof bad_requests / sizeof bad_requests[0]; k++) {
        s = CALL(jing_request_json(client, bad_requests[k].method, bad_requests[k].path,
                                   bad_requests[k].body, &out));
        snprintf(label, sizeof label, "bad request %zu", k);
        expect(label, s, JING_E_INVALID_ARGUMENT, out, bad_requests[k].needle);
    }
    s = CALL(jing_request_json(client, "GET", "/v1/x", bad_utf8, &out));
    expect("body invalid UTF-8", s, JING_E_INVALID_ARGUMENT, out, "body_json");
    CALL(jing_client_free(client));
}

static void test_network_error(void) {
    char config[512];
    snprintf(config, sizeof config,
             "{\"app_id\":\"%s\",\"app_secret\":\"%s\",\"base_url\":\"http://127.0.0.1:%d\","
             "\"max_retries\":1,\"connect_timeout_ms\":2000}",
             APP_ID, APP_SECRET, closed_port());
    JingClient *client = new_client(config);
    if (!client) return;
    char *out = NULL;
    char lead[256];
    snprintf(lead, sizeof lead,
             "{\"business_type\":\"%s\",\"name\":\"网络\",\"email\":\"a@example.com\"}",
             BUSINESS_TYPE);
    jing_status s = CALL(jing_lead_create_json(client, lead, &out));
    expect("closed port create", s, JING_E_NETWORK, out, "\"retryable\":true");
    s = CALL(jing_request_json(client, "GET", "/v1/echo", NULL, &out));
    expect("closed port GET", s, JING_E_NETWORK, out, "\"outcome_unknown\":false");
    CALL(jing_client_free(client));
}

/* A server that answers the token request, then reads a little of the next request and
 * closes the connection with most of it unread (the kernel resets it). */
struct resetting_server {
    int listen_fd;
};

static void *resetting_server_main(void *arg) {
    struct resetting_server *srv = arg;
    int fd = accept(srv->listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    char buf[4096];
    size_t have = 0;
    /* The token request: head and a small body, all read. */
    while (have < sizeof buf - 1) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0) break;
        have += (size_t)n;
        buf[have] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        char *len = strstr(buf, "Content-Length: ");
        if (end && len && (size_t)(end + 4 - buf) + (size_t)atoi(len + 16) <= have) break;
    }
    static const char body[] =
        "{\"code\":0,\"msg\":\"success\",\"request_id\":\"r\",\"data\":{\"access_token\":"
        "\"t0k3n\",\"refresh_token\":\"r3fr3sh\",\"expires_in\":7200}}";
    char answer[512];
    int len = snprintf(answer, sizeof answer,
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\n\r\n%s", sizeof body - 1, body);
    if (write(fd, answer, (size_t)len) != len) {
        close(fd);
        return NULL;
    }
    /* The create: a few bytes of it, then close with the rest unread. */
    if (read(fd, buf, 100) <= 0) {
        close(fd);
        return NULL;
    }
    close(fd);
    return NULL;
}

/* The server resets the connection while a 7.5 MB create is being written: the library
 * must report it (not sent whole: JING_E_NETWORK), not let SIGPIPE kill this process.
 * (A C program has SIGPIPE's default action, which is to terminate.) */
static void test_peer_reset_while_sending(void) {
    struct sigaction sa;
    check(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL,
          "SIGPIPE has its default action in this process");
    struct resetting_server srv = {socket(AF_INET, SOCK_STREAM, 0)};
    struct sockaddr_in addr = {0};
    socklen_t alen = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (srv.listen_fd < 0 || bind(srv.listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv.listen_fd, 4) != 0 ||
        getsockname(srv.listen_fd, (struct sockaddr *)&addr, &alen) != 0) {
        check(0, "cannot listen for the resetting server");
        return;
    }
    pthread_t thread;
    check(pthread_create(&thread, NULL, resetting_server_main, &srv) == 0, "pthread_create");
    char config[512];
    snprintf(config, sizeof config,
             "{\"app_id\":\"1000000000000009\",\"app_secret\":\"%s\","
             "\"base_url\":\"http://127.0.0.1:%d\",\"max_retries\":0}",
             APP_SECRET, ntohs(addr.sin_port));
    JingClient *client = new_client(config);
    /* More than the kernel buffers can absorb (~4 MB), less than the 8 MiB lead limit. */
    size_t big = 7 * 1024 * 1024 + 512 * 1024;
    char *lead = malloc(big + 256);
    if (client && lead) {
        int head = snprintf(lead, 256, "{\"business_type\":\"%s\",\"mobile\":\"1\",\"name\":\"",
                            BUSINESS_TYPE);
        memset(lead + head, 'x', big);
        strcpy(lead + head + big, "\"}");
        char *out = NULL;
        jing_status s = CALL(jing_lead_create_json(client, lead, &out));
        expect("peer reset while sending", s, JING_E_NETWORK, out, "\"outcome_unknown\":false");
    }
    free(lead);
    CALL(jing_client_free(client));
    pthread_join(thread, NULL);
    close(srv.listen_fd);
}

static void test_injected_faults(void) {
    JingClient *client = new_client(client_config);
    if (!client) return;
    char lead[256], *out = NULL;
    snprintf(lead, sizeof lead,
             "{\"business_type\":\"%s\",\"name\":\"故障\",\"mobile\":\"13800000000\"}",
             BUSINESS_TYPE);
    int ok = sandbox_post("/_sandbox/faults",
                          "{\"faults\":[{\"kind\":\"api_code\",\"code\":12345,"
                          "\"msg\":\"业务错误\",\"path\":\"/v1/leads/create\"},"
                          "{\"kind\":\"non_json\",\"path\":\"/v1/c-test\"},"
                          "{\"kind\":\"http_status\",\"status\":503,"
                          "\"path\":\"/v1/leads/create\"}]}") == 0;
    check(ok, "fault injection through /_sandbox/faults");
    if (ok) {
        jing_status s = CALL(jing_lead_create_json(client, lead, &out));
        expect("injected API error", s, JING_E_API, out, "\"api_msg\":\"业务错误\"");
        s = CALL(jing_request_json(client, "POST", "/v1/c-test", "{}", &out));
        expect("injected non-JSON answer", s, JING_E_PROTOCOL, out, "\"http_status\":200");
        s = CALL(jing_lead_create_json(client, lead, &out));
        expect("injected 503 on create", s, JING_E_OUTCOME_UNKNOWN, out,
               "\"outcome_unknown\":true");
    }
    CALL(jing_client_free(client));
}

/* Several threads share one client, as a multi-threaded host would. */
static void *thread_main(void *arg) {
    JingClient *client = arg;
    long failures = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        char lead[256], *out = NULL;
        snprintf(lead, sizeof lead,
                 "{\"business_type\":\"%s\",\"name\":\"线程 %d\",\"email\":\"t%d@example.com\"}",
                 BUSINESS_TYPE, i, i);
        count_call();
        jing_status s = jing_lead_create_json(client, lead, &out);
        if (s != JING_OK || !out || !strstr(out, "\"code\":0")) {
            fprintf(stderr, "FAIL: thread create: %d %s\n", s, out ? out : "");
            failures++;
        }
        count_call();
        jing_free_string(out);
    }
    return (void *)failures;
}

static void test_threads(void) {
    JingClient *client = new_client(client_config);
    if (!client) return;
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        check(pthread_create(&threads[t], NULL, thread_main, client) == 0, "pthread_create");
    }
    for (int t = 0; t < THREADS; t++) {
        void *failures = NULL;
        pthread_join(threads[t], &failures);
        check(failures == NULL, "thread %d: %ld failed creates", t, (long)failures);
    }
    CALL(jing_client_free(client));
}

#if defined(JING_FEATURE_TEST_PANIC)
static void test_panic(void) {
    char *out = NULL;
    jing_status s = CALL(jing_test_panic(&out));
    expect("jing_test_panic", s, JING_E_PANIC, out, "\"kind\":\"panic\"");
    s = CALL(jing_test_panic(NULL));
    check(s == JING_E_PANIC, "jing_test_panic with NULL out: %d", s);
}
#endif

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : getenv("JING_BASE_URL");
    int iterations = argc > 2 ? atoi(argv[2]) : 40;
    if (!url || !*url || strlen(url) >= sizeof base_url) {
        fprintf(stderr, "usage: %s BASE_URL [ITERATIONS] (or set JING_BASE_URL)\n", argv[0]);
        return 2;
    }
    snprintf(base_url, sizeof base_url, "%s", url);
    /* Limits off locally too: the sandbox runs with --no-limits. */
    snprintf(client_config, sizeof client_config,
             "{\"app_id\":\"%s\",\"app_secret\":\"%s\",\"base_url\":\"%s\","
             "\"rate_limit_per_second\":100000,\"daily_quota\":1000000000,"
             "\"user_agent\":\"abi_test\"}",
             APP_ID, APP_SECRET, base_url);
    /* The environment must not supply what the tests leave out. */
    unsetenv("JING_APP_ID");
    unsetenv("JING_APP_SECRET");

    test_static_calls();
    test_config_errors();
    for (int i = 0; i < iterations; i++) client_round(i);
    test_network_error();
    test_peer_reset_while_sending();
    test_injected_faults();
    test_threads();
#if defined(JING_FEATURE_TEST_PANIC)
    test_panic();
    /* The library still works after a caught panic. */
    client_round(iterations);
#endif
    check(calls >= MIN_CALLS, "only %ld library calls (want at least %d)", calls, MIN_CALLS);
    printf("%ld library calls\n", calls);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

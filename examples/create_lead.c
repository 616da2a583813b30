/*
 * Creates one lead with libjing and prints "jing_uuid: <uuid>".
 *
 * Sandbox (default): JING_BASE_URL=http://127.0.0.1:PORT, the sandbox's default credentials.
 * Live API: set JING_APP_ID and JING_APP_SECRET (and optionally JING_BASE_URL,
 * JING_BUSINESS_TYPE to skip the metadata lookup).
 *
 * Build: cc -std=c99 -Wall -Wextra -I include examples/create_lead.c -L target/debug -ljing \
 *           -Wl,-rpath,"$PWD/target/debug" -o create_lead
 *
 * Every status is checked; on failure the error JSON is printed and the exit status is 1.
 * Every string the library returns is released with jing_free_string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jing.h"

#define SANDBOX_APP_ID "1000000000000001"
#define SANDBOX_APP_SECRET "0123456789abcdef0123456789abcdef"

/* Appends s to buf as a JSON string literal (with quotes). Returns 0, or -1 if too long. */
static int json_string(char *buf, size_t cap, const char *s) {
    size_t n = strlen(buf);
    if (n + 1 >= cap) return -1;
    buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8] = {0};
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; }
        else if (*p < 0x20) snprintf(esc, sizeof esc, "\\u%04x", *p);
        else esc[0] = (char)*p;               /* UTF-8 bytes pass through unchanged */
        size_t len = strlen(esc);
        if (n + len + 2 >= cap) return -1;
        memcpy(buf + n, esc, len);
        n += len;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return 0;
}

/* Appends  ,"key":"value"  (or "key":"value" when first) to buf. */
static int json_member(char *buf, size_t cap, const char *key, const char *value) {
    size_t n = strlen(buf);
    if (n + 2 >= cap) return -1;
    if (buf[n - 1] != '{') strcat(buf, ",");
    if (json_string(buf, cap, key) != 0) return -1;
    if (strlen(buf) + 2 >= cap) return -1;
    strcat(buf, ":");
    return json_string(buf, cap, value);
}

/*
 * Copies the string value of the first "key" found in json into out. Good enough for the
 * flat ASCII values read here (uuids); a real program would use a JSON parser.
 */
static int find_string(const char *json, const char *key, char *out, size_t cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) return -1;
    p += strlen(pattern);
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    if (*p++ != ':') return -1;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    if (*p++ != '"') return -1;
    size_t n = 0;
    while (*p && *p != '"' && *p != '\\' && n + 1 < cap) out[n++] = *p++;
    if (*p != '"') return -1;
    out[n] = '\0';
    return 0;
}

/* Prints the failure and releases the library's string. */
static void report(const char *what, jing_status status, char *json) {
    fprintf(stderr, "%s failed: status %d (%s)\n%s\n", what, (int)status, jing_status_name(status),
            json ? json : "(no error JSON)");
    jing_free_string(json);
}

int main(void) {
    const char *app_id = getenv("JING_APP_ID");
    const char *app_secret = getenv("JING_APP_SECRET");
    const char *base_url = getenv("JING_BASE_URL");
    const char *business_type_env = getenv("JING_BUSINESS_TYPE");
    int live = app_id && *app_id && app_secret && *app_secret;

    if (jing_abi_version() != JING_ABI_VERSION) {
        fprintf(stderr, "libjing ABI %u, this program was built for %d\n",
                (unsigned)jing_abi_version(), JING_ABI_VERSION);
        return 1;
    }
    if (!live && !(base_url && *base_url)) {
        fprintf(stderr, "set JING_BASE_URL to a running sandbox, or JING_APP_ID and "
                        "JING_APP_SECRET for the live API\n");
        return 2;
    }

    char config[2048] = "{";
    if (json_member(config, sizeof config, "app_id", live ? app_id : SANDBOX_APP_ID) != 0 ||
        json_member(config, sizeof config, "app_secret", live ? app_secret : SANDBOX_APP_SECRET) != 0 ||
        (base_url && *base_url && json_member(config, sizeof config, "base_url", base_url) != 0)) {
        fprintf(stderr, "configuration too long\n");
        return 1;
    }
    strcat(config, "}");

    JingClient *client = NULL;
    char *error = NULL;
    jing_status st = jing_client_new(config, &client, &error);
    if (st != JING_OK) {
        report("jing_client_new", st, error);
        return 1;
    }
    jing_free_string(error); /* NULL on success; freeing NULL is a no-op */

    int rc = 1;
    char *json = NULL;
    char business_type[128];
    if (business_type_env && *business_type_env) {
        snprintf(business_type, sizeof business_type, "%s", business_type_env);
    } else {
        st = jing_request_json(client, "GET", "/v1/crm/object/business_types?object_name=lead",
                               NULL, &json);
        if (st != JING_OK) {
            report("get business types", st, json);
            goto done;
        }
        int found = find_string(json, "jing_uuid", business_type, sizeof business_type);
        jing_free_string(json);
        json = NULL;
        if (found != 0) {
            fprintf(stderr, "no business type for leads in the metadata answer\n");
            goto done;
        }
    }

    char lead[1024] = "{";
    json_member(lead, sizeof lead, "business_type", business_type);
    json_member(lead, sizeof lead, "name", "张伟");
    json_member(lead, sizeof lead, "mobile", "13800000000");
    json_member(lead, sizeof lead, "description", "Created by the libjing C example ✓");
    strcat(lead, "}");

    st = jing_lead_create_json(client, lead, &json);
    if (st != JING_OK) {
        /* JING_E_OUTCOME_UNKNOWN: the lead may exist; look it up before creating it again. */
        report("jing_lead_create_json", st, json);
        goto done;
    }
    char uuid[128];
    if (find_string(json, "jing_uuid", uuid, sizeof uuid) != 0) {
        fprintf(stderr, "no jing_uuid in the answer: %s\n", json);
    } else {
        printf("jing_uuid: %s\n", uuid);
        rc = 0;
    }
    jing_free_string(json);

done:
    jing_client_free(client);
    return rc;
}

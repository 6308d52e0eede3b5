/*
 * webhook_ref: the libcurl reference for commsd's webhook throughput.
 *
 *   webhook_ref URL COUNT CONCURRENCY [SECRET [BODY_BYTES]]
 *
 * POSTs COUNT signed JSON bodies shaped like commsd's webhook payload (the
 * same fields; BODY_BYTES pads the "body" text so that each body has that
 * size, as measured on a real commsd delivery; the same Standard Webhooks
 * headers, HMAC-SHA256 signed with SECRET) to URL with one libcurl
 * multi handle on one thread, keep-alive, at most CONCURRENCY transfers
 * handed to the multi handle at once (field notes: handing it thousands
 * halves the rate). Each transfer gets a fresh easy handle, like commsd;
 * connections are reused through the multi handle's cache.
 *
 * Prints one JSON line: {"count":…, "ok":…, "failed":…, "seconds":…, "rate":…,
 * "connections":…, "body_bytes":…}. Exit status 0 when every POST got a 2xx.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    char body[1024];
};

static unsigned char key[64];
static int key_len;
static const char *url;
static long body_bytes_wanted;
/* Filler for the "body" text, to reach BODY_BYTES. */
static const char filler[] =
    " The municipality's crisis staff asks everyone to follow the guidance on the intranet and to"
    " check on colleagues and relatives who may not have seen it. More follows as soon as we know more."
    " The municipality's crisis staff asks everyone to follow the guidance on the intranet and to"
    " check on colleagues and relatives who may not have seen it. More follows as soon as we know more."
    " The municipality's crisis staff asks everyone to follow the guidance on the intranet and to"
    " check on colleagues and relatives who may not have seen it. More follows as soon as we know more.";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data; (void)context;
    return size * count;
}

static struct transfer *make_transfer(long index) {
    struct transfer *t = calloc(1, sizeof *t);
    char delivery[40], message[40], header[256], signed_text[1200];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char mac64[128];
    long stamp = (long)time(NULL);
    snprintf(delivery, sizeof delivery, "dlv_01KBENCH%016ld", index);
    snprintf(message, sizeof message, "msg_01KBENCHREFERENCE000001");
    /* The same fields, in the same order and of about the same lengths, as
       commsd's WebhookPayload for the benchmark's recipients; the body text
       is padded so that the whole body has body_bytes_wanted bytes. */
    int n = 0;
    for (int pad = 0, pass = 0; pass < 2; pass++) {
        n = snprintf(t->body, sizeof t->body,
            "{\"accepted_at\":\"2026-11-25T12:00:00.000Z\",\"audience\":\"bench\","
            "\"audience_name\":\"Benchmark\",\"body\":\"Benchmark delivery: the quick brown fox jumps over "
            "the lazy dog, and the crisis staff are told at once.%.*s\",\"contact\":\"r%ld\","
            "\"delivery_id\":\"%s\",\"kind\":\"alert\",\"language\":\"da\",\"message_id\":\"%s\","
            "\"priority\":\"bulk\",\"recipient\":{\"id\":\"r%ld\",\"name\":\"Recipient %ld\"},"
            "\"subject\":\"Benchmark webhook throughput\",\"type\":\"commsd.message.v1\"}",
            pad, filler, index, delivery, message, index, index);
        if (n >= body_bytes_wanted) break;
        pad = (int)(body_bytes_wanted - n);
        if (pad > (int)sizeof filler - 1) pad = (int)sizeof filler - 1;
    }
    int s = snprintf(signed_text, sizeof signed_text, "%s.%ld.", delivery, stamp);
    memcpy(signed_text + s, t->body, (size_t)n);
    HMAC(EVP_sha256(), key, key_len, (unsigned char *)signed_text, (size_t)(s + n), mac, &mac_len);
    EVP_EncodeBlock((unsigned char *)mac64, mac, (int)mac_len);

    t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, "User-Agent: commsd-reference/1");
    snprintf(header, sizeof header, "webhook-id: %s", delivery);
    t->headers = curl_slist_append(t->headers, header);
    snprintf(header, sizeof header, "webhook-timestamp: %ld", stamp);
    t->headers = curl_slist_append(t->headers, header);
    snprintf(header, sizeof header, "webhook-signature: v1,%s", mac64);
    t->headers = curl_slist_append(t->headers, header);
    t->headers = curl_slist_append(t->headers, "Expect:");

    t->easy = curl_easy_init();
    curl_easy_setopt(t->easy, CURLOPT_URL, url);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(t->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, discard);
    return t;
}

static void free_transfer(struct transfer *t) {
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL COUNT CONCURRENCY [whsec_SECRET [BODY_BYTES]]\n", argv[0]);
        return 2;
    }
    url = argv[1];
    long count = atol(argv[2]);
    long concurrency = atol(argv[3]);
    const char *secret = argc > 4 ? argv[4] : "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    body_bytes_wanted = argc > 5 ? atol(argv[5]) : 0;
    if (strncmp(secret, "whsec_", 6) == 0) secret += 6;
    key_len = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)strlen(secret));
    if (count <= 0 || concurrency <= 0 || key_len <= 0) {
        fprintf(stderr, "webhook_ref: COUNT and CONCURRENCY must be positive, SECRET base64\n");
        return 2;
    }
    for (const char *end = secret + strlen(secret); end > secret && end[-1] == '='; end--)
        key_len--;  /* EVP_DecodeBlock counts the padding as zero bytes */

    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, concurrency);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, concurrency);

    long started = 0, done = 0, ok = 0, failed = 0, connections = 0, body_bytes = 0;
    double t0 = now_seconds();
    while (done < count) {
        while (started < count && started - done < concurrency) {
            struct transfer *t = make_transfer(started++);
            body_bytes = (long)strlen(t->body);
            curl_multi_add_handle(multi, t->easy);
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            struct transfer *t;
            long status = 0, connects = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(m->easy_handle, CURLINFO_NUM_CONNECTS, &connects);
            connections += connects;
            if (m->data.result == CURLE_OK && status >= 200 && status < 300) ok++;
            else {
                if (failed < 5)
                    fprintf(stderr, "webhook_ref: %s (HTTP %ld)\n", curl_easy_strerror(m->data.result), status);
                failed++;
            }
            curl_multi_remove_handle(multi, m->easy_handle);
            free_transfer(t);
            done++;
        }
        if (done < count && (started == count || started - done >= concurrency))
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double seconds = now_seconds() - t0;
    printf("{\"count\":%ld,\"ok\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"rate\":%.1f,"
           "\"connections\":%ld,\"body_bytes\":%ld,\"concurrency\":%ld}\n",
           count, ok, failed, seconds, count / seconds, connections, body_bytes, concurrency);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}

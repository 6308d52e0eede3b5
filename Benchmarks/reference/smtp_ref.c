/*
 * smtp_ref: the libcurl reference for commsd's email throughput.
 *
 *   smtp_ref smtp://HOST:PORT COUNT CONCURRENCY [MESSAGE_BYTES]
 *
 * Sends COUNT emails, one SMTP transaction (MAIL FROM, one RCPT TO, DATA)
 * per message like commsd, with one libcurl multi handle on one thread and
 * at most CONCURRENCY transfers handed to it at once; connections are kept
 * alive and reused through the multi handle's cache. Each message is built
 * per transfer (headers like commsd's composer writes them, quoted-printable
 * text body); MESSAGE_BYTES pads the body so that each message has the size
 * of a real commsd email, as measured by the benchmark script.
 *
 * Prints one JSON line: {"count":…, "ok":…, "failed":…, "seconds":…,
 * "rate":…, "connections":…, "message_bytes":…}.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct transfer {
    CURL *easy;
    struct curl_slist *rcpt;
    char message[2048];
    size_t length, offset;
};

static const char *url;
static long message_bytes_wanted;
static const char filler[] =
    "The municipality's crisis staff asks everyone to follow the guidance on the intranet and to=\r\n"
    " check on colleagues and relatives who may not have seen it. More follows as soon as we kn=\r\n"
    "ow more. The municipality's crisis staff asks everyone to follow the guidance on the intra=\r\n"
    "net and to check on colleagues and relatives who may not have seen it. More follows as soo=\r\n"
    "n as we know more. The municipality's crisis staff asks everyone to follow the guidance o=\r\n"
    "n the intranet and to check on colleagues and relatives who may not have seen it. More fo=\r\n"
    "llows as soon as we know more. The municipality's crisis staff asks everyone to follow th=\r\n"
    "e guidance on the intranet and to check on colleagues and relatives who may not have seen=\r\n"
    " it. More follows as soon as we know more.\r\n";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t read_message(char *buffer, size_t size, size_t count, void *context) {
    struct transfer *t = context;
    size_t n = size * count;
    if (n > t->length - t->offset) n = t->length - t->offset;
    memcpy(buffer, t->message + t->offset, n);
    t->offset += n;
    return n;
}

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data; (void)context;
    return size * count;
}

static struct transfer *make_transfer(long index) {
    struct transfer *t = calloc(1, sizeof *t);
    char address[64], date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(address, sizeof address, "r%ld@bench.example", index);
    int n = 0;
    for (int pad = 0, pass = 0; pass < 2; pass++) {
    n = snprintf(t->message, sizeof t->message,
        "Date: %s\r\n"
        "From: \"Krisestaben, Benchmark Kommune\" <krisestab@kommune.example>\r\n"
        "To: Recipient %ld <%s>\r\n"
        "Subject: Benchmark email throughput\r\n"
        "Message-ID: <dlv_01KBENCH%016ld@commsd.kommune.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "X-Commsd-Message: msg_01KBENCHREFERENCE000001\r\n"
        "X-Commsd-Delivery: dlv_01KBENCH%016ld\r\n"
        "X-Commsd-Priority: bulk\r\n"
        "\r\n"
        "Benchmark delivery: the quick brown fox jumps over the lazy dog, and the cri=\r\n"
        "sis staff are told at once.\r\n%.*s",
        date, index, address, index, index, pad, filler);
        if (n >= message_bytes_wanted) break;
        pad = (int)(message_bytes_wanted - n);
        if (pad > (int)sizeof filler - 1) pad = (int)sizeof filler - 1;
    }
    t->length = (size_t)n;
    t->rcpt = curl_slist_append(NULL, address);
    t->easy = curl_easy_init();
    curl_easy_setopt(t->easy, CURLOPT_URL, url);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(t->easy, CURLOPT_MAIL_FROM, "krisestab@kommune.example");
    curl_easy_setopt(t->easy, CURLOPT_MAIL_RCPT, t->rcpt);
    curl_easy_setopt(t->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(t->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(t->easy, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(t->easy, CURLOPT_READDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, discard);
    return t;
}

static void free_transfer(struct transfer *t) {
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->rcpt);
    free(t);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s smtp://HOST:PORT COUNT CONCURRENCY [MESSAGE_BYTES]\n", argv[0]);
        return 2;
    }
    url = argv[1];
    long count = atol(argv[2]);
    long concurrency = atol(argv[3]);
    message_bytes_wanted = argc > 4 ? atol(argv[4]) : 0;
    if (count <= 0 || concurrency <= 0) {
        fprintf(stderr, "smtp_ref: COUNT and CONCURRENCY must be positive\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, concurrency);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, concurrency);

    long started = 0, done = 0, ok = 0, failed = 0, connections = 0, message_bytes = 0;
    double t0 = now_seconds();
    while (done < count) {
        while (started < count && started - done < concurrency) {
            struct transfer *t = make_transfer(started++);
            message_bytes = (long)t->length;
            curl_multi_add_handle(multi, t->easy);
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            struct transfer *t;
            long connects = 0, code = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            curl_easy_getinfo(m->easy_handle, CURLINFO_NUM_CONNECTS, &connects);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            connections += connects;
            if (m->data.result == CURLE_OK) ok++;
            else {
                if (failed < 5)
                    fprintf(stderr, "smtp_ref: %s (SMTP %ld)\n", curl_easy_strerror(m->data.result), code);
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
           "\"connections\":%ld,\"message_bytes\":%ld,\"concurrency\":%ld}\n",
           count, ok, failed, seconds, count / seconds, connections, message_bytes, concurrency);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}

// libcurl through dlopen: see CCurl.h for why.
//
// Each function's pointer has the type of libcurl's own declaration
// (`__typeof__`), so a prototype here cannot drift from the header the
// package is built against.
#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/// The functions commsd calls, as X(field, libcurl name).
#define CCURL_FUNCTIONS(X)                       \
  X(global_init, curl_global_init)               \
  X(easy_init, curl_easy_init)                   \
  X(easy_cleanup, curl_easy_cleanup)             \
  X(easy_reset, curl_easy_reset)                 \
  X(easy_strerror, curl_easy_strerror)           \
  X(easy_setopt, curl_easy_setopt)               \
  X(easy_getinfo, curl_easy_getinfo)             \
  X(share_init, curl_share_init)                 \
  X(share_cleanup, curl_share_cleanup)           \
  X(share_setopt, curl_share_setopt)             \
  X(multi_init, curl_multi_init)                 \
  X(multi_cleanup, curl_multi_cleanup)           \
  X(multi_setopt, curl_multi_setopt)             \
  X(multi_add_handle, curl_multi_add_handle)     \
  X(multi_remove_handle, curl_multi_remove_handle) \
  X(multi_perform, curl_multi_perform)           \
  X(multi_poll, curl_multi_poll)                 \
  X(multi_wakeup, curl_multi_wakeup)             \
  X(multi_info_read, curl_multi_info_read)       \
  X(multi_strerror, curl_multi_strerror)

#define CCURL_FIELD(field, name) __typeof__(&name) field;
static struct {
  CCURL_FUNCTIONS(CCURL_FIELD)
} api;
#undef CCURL_FIELD

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded = 0;
static char reason[512];

static void load(void) {
  // RTLD_LOCAL: libcurl's OpenSSL stays out of the global namespace
  // (swift-nio-ssl brings its own, prefixed BoringSSL).
  void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char *text = dlerror();
    snprintf(reason, sizeof reason, "%s (Debian package libcurl4)", text ? text : "libcurl.so.4 not found");
    return;
  }
#define CCURL_RESOLVE(field, name)                                                      \
  api.field = (__typeof__(&name))dlsym(library, #name);                                 \
  if (api.field == NULL) {                                                              \
    snprintf(reason, sizeof reason, "libcurl.so.4 has no %s (libcurl older than 7.68?)", #name); \
    return;                                                                             \
  }
  CCURL_FUNCTIONS(CCURL_RESOLVE)
#undef CCURL_RESOLVE
  loaded = 1;
}

/// True once libcurl is loaded; loads it on the first call.
static int ready(void) {
  pthread_once(&once, load);
  return loaded;
}

int ccurl_load(char *error, size_t capacity) {
  if (ready()) return 1;
  if (error != NULL && capacity > 0) snprintf(error, capacity, "%s", reason);
  return 0;
}

CURLcode ccurl_global_init_all(void) {
  return ready() ? api.global_init(CURL_GLOBAL_ALL) : CURLE_FAILED_INIT;
}

// MARK: easy handles

CURL *ccurl_easy_init(void) { return ready() ? api.easy_init() : NULL; }

void ccurl_easy_cleanup(CURL *handle) {
  if (ready()) api.easy_cleanup(handle);
}

void ccurl_easy_reset(CURL *handle) {
  if (ready()) api.easy_reset(handle);
}

const char *ccurl_easy_strerror(CURLcode code) {
  return ready() ? api.easy_strerror(code) : "libcurl is not loaded";
}

#define CCURL_SETOPT(suffix, type)                                                   \
  CURLcode ccurl_easy_setopt_##suffix(CURL *handle, CURLoption option, type value) { \
    return ready() ? api.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;     \
  }
CCURL_SETOPT(long, long)
CCURL_SETOPT(off_t, curl_off_t)
CCURL_SETOPT(string, const char *)
CCURL_SETOPT(pointer, void *)
CCURL_SETOPT(slist, struct curl_slist *)
CCURL_SETOPT(write_callback, ccurl_write_callback)
CCURL_SETOPT(header_callback, ccurl_header_callback)
CCURL_SETOPT(read_callback, ccurl_read_callback)
#undef CCURL_SETOPT

#define CCURL_GETINFO(suffix, type)                                                   \
  CURLcode ccurl_easy_getinfo_##suffix(CURL *handle, CURLINFO info, type *value) {    \
    return ready() ? api.easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;       \
  }
CCURL_GETINFO(long, long)
CCURL_GETINFO(double, double)
CCURL_GETINFO(off_t, curl_off_t)
CCURL_GETINFO(string, char *)
CCURL_GETINFO(pointer, void *)
#undef CCURL_GETINFO

// MARK: share handles

CURLSH *ccurl_share_init(void) { return ready() ? api.share_init() : NULL; }

CURLSHcode ccurl_share_cleanup(CURLSH *share) {
  return ready() ? api.share_cleanup(share) : CURLSHE_NOT_BUILT_IN;
}

CURLSHcode ccurl_share_setopt_lock_data(CURLSH *share, CURLSHoption option, curl_lock_data value) {
  return ready() ? api.share_setopt(share, option, (int)value) : CURLSHE_NOT_BUILT_IN;
}

// MARK: multi handles

CURLM *ccurl_multi_init(void) { return ready() ? api.multi_init() : NULL; }

CURLMcode ccurl_multi_cleanup(CURLM *multi) {
  return ready() ? api.multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
  return ready() ? api.multi_setopt(multi, option, value) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurl_multi_add_handle(CURLM *multi, CURL *handle) {
  return ready() ? api.multi_add_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurl_multi_remove_handle(CURLM *multi, CURL *handle) {
  return ready() ? api.multi_remove_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurl_multi_perform(CURLM *multi, int *running) {
  return ready() ? api.multi_perform(multi, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurl_multi_poll(CURLM *multi, struct curl_waitfd *extra, unsigned int count, int timeout_ms, int *ready_count) {
  return ready() ? api.multi_poll(multi, extra, count, timeout_ms, ready_count) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurl_multi_wakeup(CURLM *multi) {
  return ready() ? api.multi_wakeup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMsg *ccurl_multi_info_read(CURLM *multi, int *queued) {
  return ready() ? api.multi_info_read(multi, queued) : NULL;
}

const char *ccurl_multi_strerror(CURLMcode code) {
  return ready() ? api.multi_strerror(code) : "libcurl is not loaded";
}

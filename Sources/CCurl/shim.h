// Typed wrappers around libcurl's variadic setters and getters.
//
// curl_easy_setopt, curl_easy_getinfo, curl_multi_setopt and curl_share_setopt
// are C variadic functions, which Swift cannot call. A system-library target
// may contain only a module map and headers, so the wrappers are
// `static inline`: one per argument type, each a plain forward to the variadic
// function. Pick the
// wrapper that matches the option's documented type (CURLOPTTYPE_LONG ->
// _long, CURLOPTTYPE_OFF_T -> _off_t, and so on); a mismatch is undefined
// behaviour in libcurl, exactly as it would be in C.
//
// Spelling note for libcurl 7.88: the option that lets an SMTP transfer go on
// when some recipients are refused is CURLOPT_MAIL_RCPT_ALLLOWFAILS (three
// L's). Swift imports it under that name; CCURLOPT_MAIL_RCPT_ALLOWFAILS below
// is the same value under the spelling later libcurl versions use.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>

/// Callback types as Swift sees them (`@convention(c)` closures).
typedef size_t (*ccurl_write_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef size_t (*ccurl_header_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

#define CCURLOPT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS

/// `curl_global_init(CURL_GLOBAL_ALL)`: the flag macro is an expression Swift
/// does not import.
static inline CURLcode ccurl_global_init_all(void) {
  return curl_global_init(CURL_GLOBAL_ALL);
}

// MARK: curl_easy_setopt

static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
  return curl_easy_setopt(handle, option, value);
}

/// curl copies string options, so `value` need only live for the call.
static inline CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
  return curl_easy_setopt(handle, option, value);
}

/// curl keeps the pointer (CURLOPT_PRIVATE, *DATA, ERRORBUFFER, POSTFIELDS):
/// the memory must outlive the transfer.
static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
  return curl_easy_setopt(handle, option, value);
}

/// curl does not copy lists: the list must outlive the transfer.
static inline CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_write_callback(CURL *handle, CURLoption option, ccurl_write_callback value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_header_callback(CURL *handle, CURLoption option, ccurl_header_callback value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_read_callback(CURL *handle, CURLoption option, ccurl_read_callback value) {
  return curl_easy_setopt(handle, option, value);
}

// MARK: curl_easy_getinfo

static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
  return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
  return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode ccurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
  return curl_easy_getinfo(handle, info, value);
}

/// The string belongs to the handle: copy it before curl_easy_cleanup.
static inline CURLcode ccurl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
  return curl_easy_getinfo(handle, info, value);
}

/// For CURLINFO_PRIVATE.
static inline CURLcode ccurl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
  return curl_easy_getinfo(handle, info, value);
}

// MARK: curl_share_setopt

/// CURLSHOPT_SHARE / CURLSHOPT_UNSHARE: libcurl reads the value as an int.
static inline CURLSHcode ccurl_share_setopt_lock_data(CURLSH *share, CURLSHoption option, curl_lock_data value) {
  return curl_share_setopt(share, option, (int)value);
}

// MARK: curl_multi_setopt

static inline CURLMcode ccurl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
  return curl_multi_setopt(handle, option, value);
}

#endif

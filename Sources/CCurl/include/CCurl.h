// libcurl, loaded when first needed, with typed wrappers for its variadic
// setters and getters.
//
// Why loaded, not linked: every commsd command used to load libcurl and its
// dependency chain (OpenSSL, nghttp2, libssh2, LDAP, Kerberos, GnuTLS …) at
// start, though only the daemon sends. On this machine that chain costs about
// 5 ms of CPU per process, a quarter of what `commsd status ID` spends (see
// Benchmarks/NOTES.md, "Start-up of a CLI command"). So the binary does not
// link libcurl: `CCurl.c` opens `libcurl.so.4` (Debian's libcurl4, which
// libcurl4-openssl-dev depends on) with dlopen on the first call of any
// `ccurl_` function, and resolves every function below from it.
//
// Call only the `ccurl_` functions: the `curl_` ones this header declares are
// not linked, and calling one from Swift fails at link time. Every wrapper is
// safe to call when libcurl could not be loaded: it returns CURLE_FAILED_INIT
// (CURLM_INTERNAL_ERROR, CURLSHE_NOT_BUILT_IN), NULL, or does nothing;
// `ccurl_load` says why.
//
// curl_easy_setopt, curl_easy_getinfo, curl_multi_setopt and curl_share_setopt
// are C variadic functions, which Swift cannot call: there is one wrapper per
// argument type. Pick the wrapper that matches the option's documented type
// (CURLOPTTYPE_LONG -> _long, CURLOPTTYPE_OFF_T -> _off_t, and so on); a
// mismatch is undefined behaviour in libcurl, exactly as it would be in C.
//
// Spelling note for libcurl 7.88: the option that lets an SMTP transfer go on
// when some recipients are refused is CURLOPT_MAIL_RCPT_ALLLOWFAILS (three
// L's). Swift imports it under that name; CCURLOPT_MAIL_RCPT_ALLOWFAILS below
// is the same value under the spelling later libcurl versions use.
#ifndef CCURL_H
#define CCURL_H

#include <curl/curl.h>
#include <stddef.h>

/// Callback types as Swift sees them (`@convention(c)` closures).
typedef size_t (*ccurl_write_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef size_t (*ccurl_header_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

#define CCURLOPT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS

// MARK: loading

/// Loads libcurl once per process (later calls return the first answer).
/// 1 when it is usable; 0 when not, with the reason in `error` (dlerror's
/// text, or the function that was missing), truncated to `capacity`.
int ccurl_load(char *error, size_t capacity);

/// `curl_global_init(CURL_GLOBAL_ALL)`: the flag macro is an expression Swift
/// does not import.
CURLcode ccurl_global_init_all(void);

// MARK: easy handles

CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *handle);
/// Every option back to its default; keeps the handle's buffers, caches and
/// share (curl_easy_reset(3)).
void ccurl_easy_reset(CURL *handle);
const char *ccurl_easy_strerror(CURLcode code);

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
/// curl copies string options, so `value` need only live for the call.
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
/// curl keeps the pointer (CURLOPT_PRIVATE, *DATA, ERRORBUFFER, POSTFIELDS):
/// the memory must outlive the transfer.
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
/// curl does not copy lists: the list must outlive the transfer.
CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_easy_setopt_write_callback(CURL *handle, CURLoption option, ccurl_write_callback value);
CURLcode ccurl_easy_setopt_header_callback(CURL *handle, CURLoption option, ccurl_header_callback value);
CURLcode ccurl_easy_setopt_read_callback(CURL *handle, CURLoption option, ccurl_read_callback value);

CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode ccurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
/// The string belongs to the handle: copy it before curl_easy_cleanup.
CURLcode ccurl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value);
/// For CURLINFO_PRIVATE.
CURLcode ccurl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);

// MARK: share handles

CURLSH *ccurl_share_init(void);
CURLSHcode ccurl_share_cleanup(CURLSH *share);
/// CURLSHOPT_SHARE / CURLSHOPT_UNSHARE: libcurl reads the value as an int.
CURLSHcode ccurl_share_setopt_lock_data(CURLSH *share, CURLSHoption option, curl_lock_data value);

// MARK: multi handles

CURLM *ccurl_multi_init(void);
CURLMcode ccurl_multi_cleanup(CURLM *multi);
CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
CURLMcode ccurl_multi_add_handle(CURLM *multi, CURL *handle);
CURLMcode ccurl_multi_remove_handle(CURLM *multi, CURL *handle);
CURLMcode ccurl_multi_perform(CURLM *multi, int *running);
CURLMcode ccurl_multi_poll(CURLM *multi, struct curl_waitfd *extra, unsigned int count, int timeout_ms, int *ready_count);
CURLMcode ccurl_multi_wakeup(CURLM *multi);
CURLMsg *ccurl_multi_info_read(CURLM *multi, int *queued);
const char *ccurl_multi_strerror(CURLMcode code);

#endif

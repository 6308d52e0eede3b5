import CCurl

/// Sets options on one easy handle and remembers the first one libcurl
/// refused, so a transfer is configured completely or not started at all.
struct CurlEasyOptions {
  let easy: UnsafeMutableRawPointer
  private(set) var failure: (option: CURLoption, code: CURLcode)?

  init(_ easy: UnsafeMutableRawPointer) {
    self.easy = easy
  }

  mutating func set(_ option: CURLoption, _ value: Int) {
    check(option, ccurl_easy_setopt_long(easy, option, value))
  }

  mutating func set(_ option: CURLoption, offset value: Int64) {
    check(option, ccurl_easy_setopt_off_t(easy, option, curl_off_t(value)))
  }

  mutating func set(_ option: CURLoption, _ value: String) {
    check(option, ccurl_easy_setopt_string(easy, option, value))
  }

  /// libcurl keeps `value`: the caller must keep the memory alive until the
  /// handle is cleaned up.
  mutating func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) {
    check(option, ccurl_easy_setopt_pointer(easy, option, value))
  }

  /// libcurl keeps `list`: the caller frees it after the handle is cleaned up.
  mutating func set(_ option: CURLoption, list: UnsafeMutablePointer<curl_slist>?) {
    check(option, ccurl_easy_setopt_slist(easy, option, list))
  }

  mutating func set(_ option: CURLoption, write callback: ccurl_write_callback) {
    check(option, ccurl_easy_setopt_write_callback(easy, option, callback))
  }

  mutating func set(_ option: CURLoption, header callback: ccurl_header_callback) {
    check(option, ccurl_easy_setopt_header_callback(easy, option, callback))
  }

  mutating func set(_ option: CURLoption, read callback: ccurl_read_callback) {
    check(option, ccurl_easy_setopt_read_callback(easy, option, callback))
  }

  private mutating func check(_ option: CURLoption, _ code: CURLcode) {
    if code != CURLE_OK && failure == nil {
      failure = (option, code)
    }
  }
}

extension Duration {
  /// Whole milliseconds for libcurl, at least 1: libcurl reads 0 as "no limit".
  var curlMilliseconds: Int {
    let (seconds, attoseconds) = components
    let millis = seconds.multipliedReportingOverflow(by: 1000)
    if millis.overflow { return seconds > 0 ? Int.max : 1 }
    return max(1, Int(clamping: millis.partialValue + attoseconds / 1_000_000_000_000_000))
  }
}

import CCurl

/// Easy handles kept between transfers, reset to libcurl's defaults.
///
/// A fresh handle per transfer was `curl_easy_init` (a large zeroed struct
/// and its buffers) and `curl_easy_cleanup` every time: counted with
/// uprobes on libc (`bench.py --only profile --count-allocations`), keeping
/// them saves 3 `calloc` and 2 `realloc` per webhook (issue 25). A handle
/// given back is `curl_easy_reset`: every option returns to its default
/// (URL, headers, login, CA file, callbacks, the private pointer), so
/// nothing of one transfer reaches the next; what libcurl keeps is its
/// buffers, its DNS and TLS session caches, and its share.
///
/// Because a reset keeps the share (`CURLOPT_SHARE`), idle handles are kept
/// per share: an HTTP transfer never gets a handle tied to an SMTP
/// connection cache, and an SMTP transfer only one tied to its own (see
/// `SMTPConnectionPools`).
///
/// Confined to the engine thread, like every other libcurl call.
final class CurlHandles {
  private var idle: [UnsafeMutableRawPointer?: [UnsafeMutableRawPointer]] = [:]
  private let limit: Int
  private let counters: CurlCounters

  /// - Parameter limit: the most idle handles kept, over all shares.
  init(limit: Int, counters: CurlCounters) {
    self.limit = limit
    self.counters = counters
  }

  /// An idle handle that uses `share` (nil: the multi handle's caches), or
  /// a new one; nil if libcurl could not make one.
  func take(share: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    if let easy = idle[share]?.popLast() { return easy }
    guard let easy = ccurl_easy_init() else { return nil }
    counters.easyHandlesMade.add(1, ordering: .relaxed)
    return easy
  }

  /// Takes back a handle no multi handle holds any more: reset and kept,
  /// or cleaned up when enough are idle.
  func give(_ easy: UnsafeMutableRawPointer, share: UnsafeMutableRawPointer?) {
    // One pool per share in use: a handful at most.
    guard idle.values.reduce(0, { $0 + $1.count }) < limit else {
      ccurl_easy_cleanup(easy)
      return
    }
    ccurl_easy_reset(easy)
    idle[share, default: []].append(easy)
  }

  /// Cleans up every idle handle; before the shares they use are freed.
  func closeAll() {
    for handles in idle.values {
      for easy in handles { ccurl_easy_cleanup(easy) }
    }
    idle.removeAll()
  }
}

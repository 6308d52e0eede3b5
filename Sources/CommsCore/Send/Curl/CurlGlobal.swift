import CCurl

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Process-wide libcurl setup, done once before the first handle exists.
///
/// libcurl is opened with dlopen on first use (see CCurl.h): a CLI command
/// that only hands a request to the daemon never loads it.
enum CurlGlobal {
  /// Why libcurl cannot be used, or nil when it can. A `static let` is
  /// initialised exactly once, thread-safely, on first use, which is what
  /// `curl_global_init` asks for.
  ///
  /// SIGPIPE is ignored first: a peer that closes a connection while curl or
  /// OpenSSL writes to it must produce EPIPE, not kill the daemon.
  /// `CURLOPT_NOSIGNAL` on each handle covers curl's own signal use.
  static let unavailable: String? = {
    signal(SIGPIPE, SIG_IGN)
    var reason = [CChar](repeating: 0, count: 512)
    guard ccurl_load(&reason, reason.count) == 1 else {
      return
        "libcurl could not be loaded: \(String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
    }
    let code = ccurl_global_init_all()
    guard code == CURLE_OK else {
      return "libcurl could not be initialised: \(String(cString: ccurl_easy_strerror(code)))"
    }
    return nil
  }()

  /// Runs the one-time setup if it has not run; true when libcurl is usable.
  static func ensureInitialized() -> Bool {
    unavailable == nil
  }

  /// Loads libcurl now, so that a daemon without it stops at start with the
  /// reason instead of failing every delivery.
  static func requireLoaded() throws {
    if let unavailable { throw Unavailable(description: unavailable) }
  }

  struct Unavailable: Error, CustomStringConvertible {
    let description: String
  }
}

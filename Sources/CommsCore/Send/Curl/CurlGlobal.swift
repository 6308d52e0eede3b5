import CCurl

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Process-wide libcurl setup, done once before the first handle exists.
enum CurlGlobal {
  /// The result of `curl_global_init`. A `static let` is initialised exactly
  /// once, thread-safely, on first use, which is what libcurl asks for.
  ///
  /// SIGPIPE is ignored first: a peer that closes a connection while curl or
  /// OpenSSL writes to it must produce EPIPE, not kill the daemon.
  /// `CURLOPT_NOSIGNAL` on each handle covers curl's own signal use.
  static let initResult: CURLcode = {
    signal(SIGPIPE, SIG_IGN)
    return ccurl_global_init_all()
  }()

  /// Runs the one-time setup if it has not run; true when libcurl is usable.
  static func ensureInitialized() -> Bool {
    initResult == CURLE_OK
  }
}

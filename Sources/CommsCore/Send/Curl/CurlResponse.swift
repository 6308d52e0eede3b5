import CCurl

/// The outcome of one `CurlEngine` transfer.
///
/// An HTTP 4xx or 5xx is a completed transfer: `curlCode` is 0 and the status
/// is in `statusCode`. A non-zero `curlCode` means the exchange itself failed
/// (no connection, timeout, TLS, refused SMTP command, ...).
public struct CurlResponse: Sendable {
  /// The libcurl result code; `CURLE_OK` (0) on success. The engine itself
  /// answers `CURLE_FAILED_INIT` (2) after shutdown and
  /// `CURLE_ABORTED_BY_CALLBACK` (42) when the awaiting task is cancelled.
  public var curlCode: Int32
  /// libcurl's explanation of a failure; nil when `curlCode` is 0.
  public var errorMessage: String?
  /// The HTTP status, or the last SMTP reply code (250, 550, ...); 0 if the
  /// server never answered.
  public var statusCode: Int
  /// Headers of the final HTTP response (none for SMTP), read when asked.
  public var headers: [HTTPHeaderField] {
    switch headerStorage {
    case .fields(let fields): fields
    case .lines(let lines): lines.fields
    }
  }
  /// The headers as given, or as libcurl handed them over: most answers
  /// (a 2xx) are never asked for theirs, and turning every line into two
  /// strings was about 0.7 µs per webhook (issue 25).
  var headerStorage: HeaderStorage
  /// The response body, cut at `CurlResponse.bodyLimit` bytes.
  public var body: [UInt8]
  /// Time from `perform` to completion, including time queued in the engine
  /// (but not time waiting for room in a `TransferLane`).
  public var duration: Duration
  /// Connections libcurl had to open for this transfer (0 when it reused one
  /// from the engine's cache).
  public var newConnections: Int
  /// Why the transfer ended without starting, when it did: nothing was sent.
  public var unstarted: Unstarted?

  /// Why a transfer in a `TransferLane` ended without starting.
  public enum Unstarted: Sendable, Equatable {
    /// Its tag was withdrawn (`CurlEngine.withdrawWaiting(tagged:)`).
    case withdrawn
    /// A transfer of its lane failed while it waited: it is handed back, so
    /// its sender decides again knowing that (a receiver's pause, a
    /// circuit breaker about to open).
    case laneStopped
  }

  /// Bodies are read to the end but only this many bytes are kept: a
  /// receiver's answer is for diagnostics, not a download.
  public static let bodyLimit = 64 * 1024
  /// The final response's header lines are kept up to this many bytes
  /// (see `HeaderLines`).
  public static let headerLimit = 64 * 1024

  public init(
    curlCode: Int32,
    errorMessage: String? = nil,
    statusCode: Int = 0,
    headers: [HTTPHeaderField] = [],
    body: [UInt8] = [],
    duration: Duration = .zero,
    newConnections: Int = 0
  ) {
    self.curlCode = curlCode
    self.errorMessage = errorMessage
    self.statusCode = statusCode
    self.headerStorage = .fields(headers)
    self.body = body
    self.duration = duration
    self.newConnections = newConnections
  }

  /// Where `headers` come from.
  enum HeaderStorage: Sendable {
    case fields([HTTPHeaderField])
    case lines(HeaderLines)
  }

  /// True when the exchange completed (`curlCode` 0), whatever the status.
  public var completed: Bool { curlCode == 0 }

  /// The value of the last header called `name`, compared case-insensitively.
  public func header(_ name: String) -> String? {
    let wanted = name.lowercased()
    return headers.last { $0.name.lowercased() == wanted }?.value
  }
}

extension CurlResponse {
  /// A response for a transfer that never reached libcurl.
  static func failure(_ code: CURLcode, _ message: String, duration: Duration) -> CurlResponse {
    CurlResponse(curlCode: Int32(code.rawValue), errorMessage: message, duration: duration)
  }
}

extension CurlResponse {
  /// Whether a curl error means the request itself cannot work, so waiting
  /// and retrying will not help: an unsupported scheme (1), a malformed URL
  /// (3), or input the engine refused before sending (43, e.g. a line break
  /// in a header).
  public static func isPermanentSetupFailure(_ curlCode: Int32) -> Bool {
    curlCode == 1 || curlCode == 3 || curlCode == 43
  }
}

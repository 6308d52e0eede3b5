/// How an SMTP transfer protects the connection to the relay.
public enum SMTPTLSMode: String, Sendable, Codable {
  /// Plain SMTP on `smtp://`; nothing is encrypted.
  case none
  /// `smtp://` upgraded with STARTTLS, which is required: a relay that does
  /// not offer it fails the transfer instead of falling back to plain text.
  case starttls
  /// Implicit TLS from the first byte (`smtps://`, usually port 465).
  case tls
}

/// One HTTP header line, kept in the order it was given or received.
public struct HTTPHeaderField: Sendable, Equatable {
  public var name: String
  public var value: String

  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// One transfer for `CurlEngine`: a webhook POST or one SMTP delivery.
public struct CurlRequest: Sendable {
  /// What to send, and where.
  public enum Payload: Sendable {
    /// An HTTP(S) POST of `body`. `Content-Type` and any other header come
    /// from `headers`; redirects are not followed.
    case httpPost(url: String, headers: [HTTPHeaderField], body: [UInt8])
    /// An HTTP(S) GET (the console's identity provider: its discovery
    /// document and keys); redirects are not followed.
    case httpGet(url: String, headers: [HTTPHeaderField])
    /// One SMTP transaction. The envelope is `mailFrom` and `recipients`, not
    /// the message headers. `message` is the full RFC 5322 message with CRLF
    /// line endings; curl adds the dot-stuffing and the final dot. The URL's
    /// scheme is set from `tls` (`smtps://` for `.tls`, otherwise
    /// `smtp://`). One refused recipient fails the whole transaction, so send
    /// one delivery per recipient when each must succeed on its own.
    case smtp(
      url: String,
      mailFrom: String,
      recipients: [String],
      message: [UInt8],
      username: String?,
      password: String?,
      tls: SMTPTLSMode
    )
  }

  public var payload: Payload
  /// Limit for the whole transfer, connecting included (`CURLOPT_TIMEOUT_MS`).
  public var timeout: Duration
  /// Limit for the connect phase alone (`CURLOPT_CONNECTTIMEOUT_MS`).
  public var connectTimeout: Duration
  /// When false, neither the certificate chain nor the host name is checked.
  public var verifyTLS: Bool
  /// A PEM bundle of trusted CAs to use instead of the system store.
  public var caFile: String?

  public init(
    payload: Payload,
    timeout: Duration = .seconds(10),
    connectTimeout: Duration = .seconds(5),
    verifyTLS: Bool = true,
    caFile: String? = nil
  ) {
    self.payload = payload
    self.timeout = timeout
    self.connectTimeout = connectTimeout
    self.verifyTLS = verifyTLS
    self.caFile = caFile
  }
}

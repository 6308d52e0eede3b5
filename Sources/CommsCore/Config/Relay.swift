/// An SMTP server that email deliveries are handed to.
public struct Relay: Sendable, Hashable {
  public var name: String
  /// `smtp://host:port` or `smtps://host:port`.
  public var url: String
  /// The From mailbox, e.g. `Krisestab <krisestab@kommune.example>`.
  public var from: EmailAddress
  public var tls: SMTPTLSMode
  public var username: String?
  public var password: String?
  public var concurrency: Int
  public var timeout: Duration
  public var verifyTLS: Bool
  /// Rate, burst and circuit breaker for this target.
  public var gate: TargetGate.Settings

  public init(
    name: String, url: String, from: EmailAddress, tls: SMTPTLSMode, username: String? = nil,
    password: String? = nil, concurrency: Int = 4, timeout: Duration = .seconds(30),
    verifyTLS: Bool = true, gate: TargetGate.Settings = TargetGate.Settings()
  ) {
    self.name = name
    self.url = url
    self.from = from
    self.tls = tls
    self.username = username
    self.password = password
    self.concurrency = concurrency
    self.timeout = timeout
    self.verifyTLS = verifyTLS
    self.gate = gate
  }
}

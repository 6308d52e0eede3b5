/// A webhook target: where JSON deliveries are POSTed, signed with the
/// endpoint's Standard Webhooks secret.
public struct Endpoint: Sendable, Hashable {
  public var name: String
  public var url: String
  /// The secret's key bytes (the base64 part of `whsec_…`, decoded).
  public var secret: [UInt8]
  public var headers: [HTTPHeaderField]
  public var concurrency: Int
  public var timeout: Duration
  /// TLS peer verification; turning it off is explicit and logged at start.
  public var verifyTLS: Bool
  /// Rate, burst and circuit breaker for this target.
  public var gate: TargetGate.Settings

  public init(
    name: String, url: String, secret: [UInt8], headers: [HTTPHeaderField] = [],
    concurrency: Int = 8, timeout: Duration = .seconds(10), verifyTLS: Bool = true,
    gate: TargetGate.Settings = TargetGate.Settings()
  ) {
    self.name = name
    self.url = url
    self.secret = secret
    self.headers = headers
    self.concurrency = concurrency
    self.timeout = timeout
    self.verifyTLS = verifyTLS
    self.gate = gate
  }
}

extension HTTPHeaderField: Hashable {
  public func hash(into hasher: inout Hasher) {
    hasher.combine(name)
    hasher.combine(value)
  }
}

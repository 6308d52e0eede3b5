/// A webhook target: where deliveries are POSTed, in the format its receiver
/// speaks (commsd's own JSON, an SMS gateway's send call, a Teams or Slack
/// message), with the authentication it asks for.
public struct Endpoint: Sendable, Hashable {
  public var name: String
  /// Where requests go. For Teams and Slack the URL is the credential: it is
  /// never logged or audited (see `EndpointFormat.urlIsCredential`).
  public var url: String
  public var format: EndpointFormat
  public var authentication: EndpointAuthentication
  public var headers: [HTTPHeaderField]
  public var concurrency: Int
  public var timeout: Duration
  /// TLS peer verification; turning it off is explicit and logged at start.
  public var verifyTLS: Bool
  /// Rate, burst and circuit breaker for this target.
  public var gate: TargetGate.Settings
  /// For an endpoint that sends SMS: the most SMS one text may take (a
  /// written SMS text longer than this is refused at intake; a shortened
  /// rendering is cut to fit).
  public var maxSMSSegments: Int
  /// For an endpoint that sends SMS: the country code of a number written
  /// without one (`default_country_code`, "45").
  public var defaultCountryCode: String
  /// Handset receipts, for a gateway told where to call back
  /// (`callback_url`, `status_callback`); nil when it is not.
  public var receipts: ReceiptSettings?

  public init(
    name: String, url: String, format: EndpointFormat = .commsd,
    authentication: EndpointAuthentication, headers: [HTTPHeaderField] = [],
    concurrency: Int = 8, timeout: Duration = .seconds(10), verifyTLS: Bool = true,
    gate: TargetGate.Settings = TargetGate.Settings(), maxSMSSegments: Int = 4,
    defaultCountryCode: String = "45", receipts: ReceiptSettings? = nil
  ) {
    self.name = name
    self.url = url
    self.format = format
    self.authentication = authentication
    self.headers = headers
    self.concurrency = concurrency
    self.timeout = timeout
    self.verifyTLS = verifyTLS
    self.gate = gate
    self.maxSMSSegments = maxSMSSegments
    self.defaultCountryCode = defaultCountryCode
    self.receipts = receipts
  }

  /// The Standard Webhooks key, when the endpoint signs that way.
  public var signingKey: [UInt8]? {
    if case .standardWebhooks(let key) = authentication { return key }
    return nil
  }
}

/// How commsd proves itself to an endpoint.
public enum EndpointAuthentication: Sendable, Hashable {
  /// Standard Webhooks signing (`webhook-id`, `webhook-timestamp`,
  /// `webhook-signature`) with the key bytes of a `whsec_…` secret.
  case standardWebhooks(key: [UInt8])
  /// `Authorization: Token …` (GatewayAPI's scheme).
  case token(String)
  /// `Authorization: Bearer …`.
  case bearer(String)
  /// HTTP basic authentication (Twilio: account SID and auth token).
  case basic(user: String, password: String)
  /// None: the URL itself is the secret (Teams Workflows, Slack).
  case none

  /// How `config check` names it.
  public var name: String {
    switch self {
    case .standardWebhooks: "Standard Webhooks signature"
    case .token: "Authorization: Token"
    case .bearer: "Authorization: Bearer"
    case .basic: "basic authentication"
    case .none: "none"
    }
  }
}

extension HTTPHeaderField: Hashable {
  public func hash(into hasher: inout Hasher) {
    hasher.combine(name)
    hasher.combine(value)
  }
}

/// Handset receipts for an endpoint whose gateway calls back: a delivery it
/// takes is `sent` until its receipt (`POST /v1/receipts/NAME`) makes it
/// `delivered` or `undeliverable`, or `timeout` passes (`unconfirmed`).
public struct ReceiptSettings: Sendable, Hashable {
  /// `receipt_timeout`: how long a receipt is waited for.
  public var timeout: Duration
  /// How a callback proves it is the provider's.
  public var verification: ReceiptVerification
  /// For format `template`: which fields of the callback say what.
  public var mapping: TemplateReceiptMapping?

  public init(
    timeout: Duration, verification: ReceiptVerification, mapping: TemplateReceiptMapping? = nil
  ) {
    self.timeout = timeout
    self.verification = verification
    self.mapping = mapping
  }
}

/// How a receipt callback is authenticated, as each provider documents it.
public enum ReceiptVerification: Sendable, Hashable {
  /// GatewayAPI: a JWT (HS256) in `X-Gwapi-Signature`, made with the
  /// webhook's authentication token (`receipt_secret`).
  case gatewayAPIJWT(secret: [UInt8])
  /// Twilio: `X-Twilio-Signature`, Base64 HMAC-SHA1 of the callback URL and
  /// the sorted parameters, keyed with the account's auth token.
  case twilioSignature(authToken: String)
  /// Any other gateway told to call `/v1/receipts/NAME?token=SECRET`
  /// (`receipt_secret`): the URL is the credential, as with Teams.
  case secretInURL(secret: [UInt8])
  /// Any other gateway sending HTTP Basic (`receipt_user`, `receipt_password`).
  case basic(user: String, password: String)
}

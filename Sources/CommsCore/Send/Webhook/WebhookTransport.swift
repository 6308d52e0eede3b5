import Foundation

/// Sends deliveries to webhook endpoints through libcurl, each in its
/// endpoint's format (`EndpointFormat`) and authentication.
public struct WebhookTransport: Transport {
  let endpoints: [String: Endpoint]
  let audiences: [String: Audience]
  let clock: any WallClock
  let rendering = RenderCache()
  /// The confirmation links put under messages that ask for it.
  let links: ConfirmLinks?

  public init(
    configuration: Configuration, clock: any WallClock = SystemClock(), links: ConfirmLinks? = nil
  ) {
    self.endpoints = configuration.endpoints
    self.audiences = configuration.audiences
    self.clock = clock
    self.links = links
  }

  public func prepare(_ delivery: Delivery, message: Message) -> PreparedAttempt {
    guard case .webhook(let name, _) = delivery.contact, let endpoint = endpoints[name] else {
      return .finished(
        .permanent(status: 0, reason: "no endpoint \"\(delivery.contact)\" is configured"))
    }
    let audience = audiences[delivery.audience]
    let line = links?.line(for: delivery, of: message)
    // The common case, a fan-out in commsd's own format: the body is the
    // message's frame with the recipient's values filled in.
    if endpoint.format == .commsd, line == nil,
      let frame = rendering.frame(delivery, message, audience: audience)
    {
      return Self.request(
        for: delivery, endpoint: endpoint, contentType: "application/json",
        body: frame.body(for: delivery), now: clock.now())
    }
    var rendered = rendering.rendered(delivery, message, audience: audience)
    // A Teams card confirms by its button (Action.OpenUrl to the page).
    let card = endpoint.format == .teamsWorkflows
    if let line, !card { rendered.body += "\n\n" + line }
    return Self.request(
      for: delivery, message: message, endpoint: endpoint, audience: audience, rendered: rendered,
      now: clock.now(), confirmLine: line,
      confirmURL: card ? links?.url(for: delivery, of: message).map { $0 + "?via=teams" } : nil)
  }

  /// The request for one attempt at `delivery` through `endpoint`: the
  /// format's body, the endpoint's own headers, and its authentication.
  /// Shared with `commsd endpoints test` and the dry run.
  static func request(
    for delivery: Delivery, message: Message, endpoint: Endpoint, audience: Audience?,
    rendered: RenderedMessage, now: Date, confirmLine: String? = nil, confirmURL: String? = nil
  ) -> PreparedAttempt {
    let format = endpoint.format
    var sms: SMSRendering?
    if format.sendsSMS {
      guard PhoneNumber.msisdn(delivery.contact.address) != nil else {
        return .finished(
          .permanent(status: 0, reason: "the contact is not a phone number in E.164 (+CC…)"))
      }
      sms = smsText(
        delivery, message, audience: audience, rendered: rendered, endpoint: endpoint,
        confirmLine: confirmLine)
    }
    let input = FormatInput(
      delivery: delivery, message: message, audience: audience, rendered: rendered, sms: sms,
      confirmURL: confirmURL)
    let (contentType, body) = format.body(input)
    return request(
      for: delivery, endpoint: endpoint, contentType: contentType, body: body, now: now)
  }

  /// The request that posts `body` to `endpoint`: its own headers and its
  /// authentication.
  static func request(
    for delivery: Delivery, endpoint: Endpoint, contentType: String, body: [UInt8], now: Date
  ) -> PreparedAttempt {
    let format = endpoint.format
    // One list, made once at its final size (issue 25: four arrays grown
    // one after another were 4 of a webhook's allocations).
    var headers: [HTTPHeaderField] = []
    headers.reserveCapacity(endpoint.headers.count + 6)
    headers += endpoint.headers
    headers.append(HTTPHeaderField(name: "Content-Type", value: contentType))
    headers.append(HTTPHeaderField(name: "User-Agent", value: "commsd/1"))
    if format != .commsd {
      headers.append(HTTPHeaderField(name: "Accept", value: "application/json"))
    }
    addAuthenticationHeaders(
      endpoint.authentication, id: delivery.id.rawValue, body: body, now: now, to: &headers)
    return .transfer(
      CurlRequest(
        payload: .httpPost(url: endpoint.url, headers: headers, body: body),
        timeout: endpoint.timeout,
        connectTimeout: min(endpoint.timeout, .seconds(5)), verifyTLS: endpoint.verifyTLS))
  }

  /// The SMS text of `delivery` on `endpoint` (see `SMSText`).
  static func smsText(
    _ delivery: Delivery, _ message: Message, audience: Audience?, rendered: RenderedMessage,
    endpoint: Endpoint, confirmLine: String? = nil
  ) -> SMSRendering {
    let context = DeliveryContent.context(delivery, message, audience: audience)
    let template = audience?.template ?? .standard
    return SMSText.render(
      content: message.content(for: delivery.language).content, rendered: rendered,
      footer: MessageRenderer.footer(template, context),
      formatted: MessageRenderer.sms(template, context), mark: message.mode.readerMark,
      maxSegments: endpoint.maxSMSSegments, last: confirmLine)
  }

  /// Adds the headers that authenticate a request with `body`. Standard
  /// Webhooks signs the delivery id (the same on every retry), the time and
  /// the body.
  static func addAuthenticationHeaders(
    _ authentication: EndpointAuthentication, id: String, body: [UInt8], now: Date,
    to headers: inout [HTTPHeaderField]
  ) {
    switch authentication {
    case .standardWebhooks(let key):
      let timestamp = Int(now.timeIntervalSince1970)
      headers.append(HTTPHeaderField(name: "webhook-id", value: id))
      headers.append(HTTPHeaderField(name: "webhook-timestamp", value: String(timestamp)))
      headers.append(
        HTTPHeaderField(
          name: "webhook-signature",
          value: WebhookSigner.signature(id: id, timestamp: timestamp, body: body, key: key)))
    case .token(let token):
      headers.append(HTTPHeaderField(name: "Authorization", value: "Token \(token)"))
    case .bearer(let token):
      headers.append(HTTPHeaderField(name: "Authorization", value: "Bearer \(token)"))
    case .basic(let user, let password):
      let credentials = Data("\(user):\(password)".utf8).base64EncodedString()
      headers.append(HTTPHeaderField(name: "Authorization", value: "Basic \(credentials)"))
    case .none: break
    }
  }

  /// What the answer means, as the delivery's endpoint's format reads it.
  public func classify(_ response: CurlResponse, for delivery: Delivery) -> AttemptResult {
    guard case .webhook(let name, _) = delivery.contact, let endpoint = endpoints[name] else {
      return Self.classify(response, now: clock.now())
    }
    return Self.awaitingReceipt(
      endpoint.format.classify(response, now: clock.now()), endpoint: endpoint,
      body: response.body)
  }

  /// A gateway that sends receipts has only taken what it answered 2xx to:
  /// `accepted` (then `sent`) with the provider's id for it, not delivered.
  static func awaitingReceipt(_ result: AttemptResult, endpoint: Endpoint, body: [UInt8])
    -> AttemptResult
  {
    guard case .delivered(let status) = result, let receipts = endpoint.receipts else {
      return result
    }
    return .accepted(
      status: status, reference: endpoint.format.providerReference(body),
      receiptWithin: receipts.timeout)
  }

  /// 2xx delivered; 408, 429, 5xx and network errors transient; other statuses permanent.
  static func classify(_ response: CurlResponse, now: Date) -> AttemptResult {
    if response.curlCode != 0 {
      let reason = response.errorMessage ?? "curl error \(response.curlCode)"
      if CurlResponse.isPermanentSetupFailure(response.curlCode) {
        return .permanent(status: 0, reason: reason)
      }
      return .transient(status: 0, reason: reason, retryAfter: nil)
    }
    let status = response.statusCode
    switch status {
    case 200..<300:
      return .delivered(status: status)
    case 408, 429, 500..<600:
      let retryAfter = response.header("Retry-After").flatMap { RetryAfter.parse($0, now: now) }
      return .transient(status: status, reason: "HTTP \(status)", retryAfter: retryAfter)
    default:
      return .permanent(status: status, reason: "HTTP \(status)")
    }
  }
}

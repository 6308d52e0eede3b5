import Foundation

/// Sends deliveries to webhook endpoints as signed JSON POSTs through libcurl.
public struct WebhookTransport: Transport {
  let endpoints: [String: Endpoint]
  let audiences: [String: Audience]
  let clock: any WallClock
  let rendering = RenderCache()

  public init(configuration: Configuration, clock: any WallClock = SystemClock()) {
    self.endpoints = configuration.endpoints
    self.audiences = configuration.audiences
    self.clock = clock
  }

  public func prepare(_ delivery: Delivery, message: Message) -> PreparedAttempt {
    guard case .webhook(let name, _) = delivery.contact, let endpoint = endpoints[name] else {
      return .finished(
        .permanent(status: 0, reason: "no endpoint \"\(delivery.contact)\" is configured"))
    }
    let audience = audiences[delivery.audience]
    let payload = WebhookPayload(
      delivery: delivery, message: message, audience: audience,
      rendered: rendering.rendered(delivery, message, audience: audience))
    let body = payload.encoded()
    let timestamp = Int(clock.now().timeIntervalSince1970)
    var headers = endpoint.headers
    headers += [
      HTTPHeaderField(name: "Content-Type", value: "application/json"),
      HTTPHeaderField(name: "User-Agent", value: "commsd/1"),
      HTTPHeaderField(name: "webhook-id", value: delivery.id.rawValue),
      HTTPHeaderField(name: "webhook-timestamp", value: String(timestamp)),
      HTTPHeaderField(
        name: "webhook-signature",
        value: WebhookSigner.signature(
          id: delivery.id.rawValue, timestamp: timestamp, body: body, key: endpoint.secret)),
    ]
    let request = CurlRequest(
      payload: .httpPost(url: endpoint.url, headers: headers, body: body),
      timeout: endpoint.timeout,
      connectTimeout: min(endpoint.timeout, .seconds(5)), verifyTLS: endpoint.verifyTLS)
    return .transfer(request)
  }

  public func classify(_ response: CurlResponse) -> AttemptResult {
    Self.classify(response, now: clock.now())
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

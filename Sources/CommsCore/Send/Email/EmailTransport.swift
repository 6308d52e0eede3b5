import Foundation

/// Sends deliveries as email through the configured SMTP relay with libcurl:
/// one SMTP transaction per delivery, so one refused address never fails
/// another person's delivery.
public struct EmailTransport: Transport {
  let relay: Relay?
  let messageIDDomain: String
  let audiences: [String: Audience]
  let clock: any WallClock
  let rendering = RenderCache()
  /// Bodies and Subject fields encoded once per text (a fan-out's are the same).
  let parts = EmailPartsCache()
  /// The confirmation links put under messages that ask for it.
  let links: ConfirmLinks?

  public init(
    configuration: Configuration, clock: any WallClock = SystemClock(), links: ConfirmLinks? = nil
  ) {
    self.links = links
    self.relay = configuration.defaultRelay.flatMap { configuration.relays[$0] }
    self.messageIDDomain = configuration.messageIDDomain
    self.audiences = configuration.audiences
    self.clock = clock
  }

  public func prepare(_ delivery: Delivery, message: Message) -> PreparedAttempt {
    guard let relay else {
      return .finished(.permanent(status: 0, reason: "no SMTP relay is configured"))
    }
    let bytes: [UInt8]
    let recipient: EmailAddress
    do {
      recipient = try EmailAddress(
        address: delivery.contact.address, displayName: delivery.recipientName)
      let audience = audiences[delivery.audience]
      var content = rendering.rendered(delivery, message, audience: audience)
      if let line = links?.line(for: delivery, of: message) { content.body += "\n\n" + line }
      var headers = [
        (name: "X-Commsd-Message", value: message.id.rawValue),
        (name: "X-Commsd-Delivery", value: delivery.id.rawValue),
        (name: "X-Commsd-Priority", value: message.priority.rawValue),
      ]
      if let inquiry = message.inquiry {
        headers.append((name: "X-Commsd-Inquiry", value: inquiry.id.rawValue))
      } else {
        headers.append(
          (name: "X-Commsd-Bulletin", value: "\(delivery.audience) #\(delivery.bulletin)"))
      }
      let email = EmailMessage(
        from: relay.from, to: [recipient],
        replyTo: try replyTo(delivery, message, audience: audience),
        subject: content.subject, textBody: content.body,
        messageID: "\(delivery.id.rawValue)@\(messageIDDomain)", date: clock.now(),
        extraHeaders: headers)
      bytes = try EmailComposer.render(email, parts: parts)
    } catch {
      return .finished(.permanent(status: 0, reason: "cannot compose the email: \(error)"))
    }
    let request = CurlRequest(
      payload: .smtp(
        url: relay.url, mailFrom: relay.from.address, recipients: [recipient.address],
        message: bytes,
        username: relay.username, password: relay.password, tls: relay.tls),
      timeout: relay.timeout, connectTimeout: min(relay.timeout, .seconds(10)),
      verifyTLS: relay.verifyTLS)
    return .transfer(request)
  }

  public func classify(_ response: CurlResponse, for delivery: Delivery) -> AttemptResult {
    Self.classify(response)
  }

  /// SMTP 4xx and network errors transient; SMTP 5xx permanent.
  static func classify(_ response: CurlResponse) -> AttemptResult {
    if response.curlCode == 0 { return .delivered(status: response.statusCode) }
    let reason = response.errorMessage ?? "curl error \(response.curlCode)"
    switch response.statusCode {
    case 500..<600:
      return .permanent(
        status: response.statusCode, reason: "SMTP \(response.statusCode): \(reason)")
    case 400..<500:
      return .transient(
        status: response.statusCode, reason: "SMTP \(response.statusCode): \(reason)",
        retryAfter: nil)
    default:
      if response.curlCode == 1 || response.curlCode == 3 {
        return .permanent(status: 0, reason: reason)
      }
      return .transient(status: response.statusCode, reason: reason, retryAfter: nil)
    }
  }

  /// The audience's Reply-To, tagged with the delivery when the audience
  /// takes replies through `commsd mailgate` (`[audiences.NAME.inbound]`).
  /// The handlers' copy of a question has none: their answers go through
  /// `commsd inbox answer`, not back to the mailbox.
  func replyTo(_ delivery: Delivery, _ message: Message, audience: Audience?)
    throws(EmailCompositionError) -> EmailAddress?
  {
    guard message.kind != .inquiry, let text = audience?.template.replyTo else { return nil }
    let address = try EmailAddress(parsing: text)
    return audience?.inbound == nil ? address : ReplyTag.tagged(address, delivery: delivery.id)
  }
}

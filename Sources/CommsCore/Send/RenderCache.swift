import Synchronization

/// What a message looks like to one kind of reader, rendered once: every
/// recipient of a message in one audience and language, with the same
/// bulletin (and the same predecessor), reads the same subject and body
/// unless the template names the recipient. Measured before: rendering the
/// audience template for each of 100,000 deliveries was 10 % of the
/// daemon's CPU.
final class RenderCache: Sendable {
  struct Key: Hashable {
    var message: MessageID
    var audience: String
    var language: String
    var bulletin: Int
    var updatesBulletin: Int?
  }

  private let entries = Mutex<[Key: RenderedMessage]>([:])
  private let frames = Mutex<[Key: WebhookBodyFrame]>([:])
  /// Entries kept at most; then the cache starts again (a fan-out renders
  /// a handful of variants, a busy hour a few hundred).
  static let capacity = 1024

  /// The rendered text of `delivery`, from the cache when its template does
  /// not depend on the recipient.
  func rendered(
    _ delivery: Delivery, _ message: Message, audience: Audience?
  ) -> RenderedMessage {
    let template = audience?.template ?? .standard
    guard !template.isPerRecipient(language: delivery.language) else {
      return DeliveryContent.render(delivery, message, audience: audience)
    }
    let key = Key(
      message: message.id, audience: delivery.audience, language: delivery.language,
      bulletin: delivery.bulletin, updatesBulletin: delivery.updatesBulletin)
    if let hit = entries.withLock({ $0[key] }) { return hit }
    let rendered = DeliveryContent.render(delivery, message, audience: audience)
    entries.withLock { entries in
      if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
      entries[key] = rendered
    }
    return rendered
  }

  /// The commsd webhook body of `delivery` without its recipient's own
  /// values, written once per message, audience, language and bulletin;
  /// nil when its template names the recipient (then each body differs).
  func frame(_ delivery: Delivery, _ message: Message, audience: Audience?) -> WebhookBodyFrame? {
    let template = audience?.template ?? .standard
    guard !template.isPerRecipient(language: delivery.language) else { return nil }
    let key = Key(
      message: message.id, audience: delivery.audience, language: delivery.language,
      bulletin: delivery.bulletin, updatesBulletin: delivery.updatesBulletin)
    if let hit = frames.withLock({ $0[key] }) { return hit }
    let frame = WebhookPayload(
      delivery: delivery, message: message, audience: audience,
      rendered: rendered(delivery, message, audience: audience)
    ).frame()
    frames.withLock { frames in
      if frames.count >= Self.capacity { frames.removeAll(keepingCapacity: true) }
      frames[key] = frame
    }
    return frame
  }
}

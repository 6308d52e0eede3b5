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
    guard let key = Self.key(delivery, message, audience: audience) else {
      return DeliveryContent.render(delivery, message, audience: audience)
    }
    return Self.cached(key, in: entries) {
      DeliveryContent.render(delivery, message, audience: audience)
    }
  }

  /// The commsd webhook body of `delivery` without its recipient's own
  /// values, written once per message, audience, language and bulletin;
  /// nil when its template names the recipient (then each body differs).
  func frame(_ delivery: Delivery, _ message: Message, audience: Audience?) -> WebhookBodyFrame? {
    guard let key = Self.key(delivery, message, audience: audience) else { return nil }
    return Self.cached(key, in: frames) {
      WebhookPayload(
        delivery: delivery, message: message, audience: audience,
        rendered: rendered(delivery, message, audience: audience)
      ).frame()
    }
  }

  /// What `delivery` shares with the other readers of its message; nil when
  /// its template names the recipient.
  private static func key(_ delivery: Delivery, _ message: Message, audience: Audience?) -> Key? {
    let template = audience?.template ?? .standard
    guard !template.isPerRecipient(language: delivery.language) else { return nil }
    return Key(
      message: message.id, audience: delivery.audience, language: delivery.language,
      bulletin: delivery.bulletin, updatesBulletin: delivery.updatesBulletin)
  }

  private static func cached<Value: Sendable>(
    _ key: Key, in entries: borrowing Mutex<[Key: Value]>, make: () -> Value
  ) -> Value {
    if let hit = entries.withLock({ $0[key] }) { return hit }
    let value = make()
    entries.withLock { entries in
      if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
      entries[key] = value
    }
    return value
  }
}

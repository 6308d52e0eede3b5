import Foundation

/// A delivery that failed for good falls back to the recipient's next
/// contact: the same message, bulletin and language, a new delivery id.
enum FallbackContact {
  /// The delivery to the contact after `dead`'s, or nil when none is left.
  static func next(after dead: Delivery, contacts: [Contact], at: Date) -> Delivery? {
    let nextIndex = dead.contactIndex + 1
    guard nextIndex < contacts.count else { return nil }
    var generator = SystemRandomNumberGenerator()
    var next = Delivery(
      id: DeliveryID(rawValue: ULID.make("dlv_", at: at, using: &generator)),
      messageID: dead.messageID, recipientID: dead.recipientID, recipientName: dead.recipientName,
      audience: dead.audience, contact: contacts[nextIndex], contactIndex: nextIndex,
      contacts: contacts, bulletin: dead.bulletin, language: dead.language, priority: dead.priority,
      state: .ready, dueAt: at, createdAt: at)
    next.updatesBulletin = dead.updatesBulletin
    return next
  }

  /// `recipient.unreachable`: `dead` was the last of `contacts`.
  static func unreachable(
    _ dead: Delivery, contacts: Int, outcome: AttemptRecord, actor: String
  ) -> AuditEvent {
    var detail = ["recipient": dead.recipientID, "contacts_tried": String(contacts)]
    if outcome.statusCode != 0 { detail["status"] = String(outcome.statusCode) }
    return AuditEvent(
      kind: "recipient.unreachable", at: outcome.at, messageID: dead.messageID,
      deliveryID: dead.id, actor: actor, detail: detail,
      personal: ["reason": outcome.error ?? "failed"])
  }

  /// The `delivery.fallback` event for `next`.
  static func event(_ next: Delivery, from dead: Delivery, at: Date, actor: String) -> AuditEvent {
    AuditEvent(
      kind: "delivery.fallback", at: at, messageID: dead.messageID, deliveryID: next.id,
      actor: actor,
      detail: [
        "recipient": dead.recipientID, "from": dead.id.rawValue,
        "contact_index": String(next.contactIndex), "channel": next.channel.rawValue,
      ])
  }
}

import Foundation

/// One entry of the append-only audit log: what happened, to which message or
/// delivery, who caused it, and the facts worth keeping (response codes,
/// counts, reasons). Written in the same transaction as the change it records.
public struct AuditEvent: Sendable, Hashable {
  /// What happened, e.g. `message.accepted`, `delivery.delivered`.
  public var kind: String
  public var at: Date
  public var messageID: MessageID?
  public var deliveryID: DeliveryID?
  /// Who caused it: an operator, a token, or `commsd` itself.
  public var actor: String
  /// Facts as text, stored as a JSON object with sorted keys.
  public var detail: [String: String]
  /// Facts that are personal data (a relay's error text may repeat an
  /// address): kept beside the chain under a commitment, and replaced by
  /// keyed hashes after the retention period (see `AuditPersonal`).
  public var personal: [String: String]
  /// The detail already written as its JSON object (sorted keys), for an
  /// event made for every delivery (`attempt`); `detail` is then empty.
  /// Made by `init(kind:at:messageID:deliveryID:actor:writtenDetail:)`.
  private(set) var writtenDetail: String?

  public init(
    kind: String, at: Date, messageID: MessageID? = nil, deliveryID: DeliveryID? = nil,
    actor: String, detail: [String: String] = [:], personal: [String: String] = [:]
  ) {
    self.kind = kind
    self.at = at
    self.messageID = messageID
    self.deliveryID = deliveryID
    self.actor = actor
    self.detail = detail
    self.personal = personal
  }

  /// An event whose detail is already written as a JSON object with sorted
  /// keys (see `writtenDetail`), without personal data.
  init(
    kind: String, at: Date, messageID: MessageID?, deliveryID: DeliveryID?, actor: String,
    writtenDetail: String
  ) {
    self.init(kind: kind, at: at, messageID: messageID, deliveryID: deliveryID, actor: actor)
    self.writtenDetail = writtenDetail
  }
}

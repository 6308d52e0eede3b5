import Foundation

/// One message to one recipient over one contact: the unit that is queued,
/// dosed, sent, retried and audited. Its id stays the same across every retry
/// (it is the webhook `webhook-id` and the email `Message-ID`), so receivers
/// can de-duplicate.
public struct Delivery: Sendable, Hashable {
  public var id: DeliveryID
  public var messageID: MessageID
  public var recipientID: String
  public var recipientName: String
  public var audience: String
  public var contact: Contact
  /// Which of the recipient's contacts this is (0 = the preferred one).
  public var contactIndex: Int
  /// All the recipient's contacts in order, as planned: a delivery that
  /// fails for good falls back to the next one.
  public var contacts: [Contact]
  /// The message's bulletin number in this delivery's audience.
  public var bulletin: Int
  public var language: String
  public var priority: Priority
  public var state: DeliveryState
  /// When the delivery may next be sent (ready/retrying), or is released (held).
  public var dueAt: Date
  /// Why a `held` delivery waits; nil otherwise.
  public var holdReason: HoldReason?
  public var attempts: Int
  public var createdAt: Date
  public var lastError: String?
  /// For a message that supersedes another: the bulletin number of the
  /// predecessor this reader already received, so they see it as an update.
  public var updatesBulletin: Int?

  public init(
    id: DeliveryID, messageID: MessageID, recipientID: String, recipientName: String,
    audience: String, contact: Contact, contactIndex: Int, contacts: [Contact]? = nil,
    bulletin: Int = 0, language: String,
    priority: Priority, state: DeliveryState, dueAt: Date, attempts: Int = 0,
    createdAt: Date, lastError: String? = nil
  ) {
    self.id = id
    self.messageID = messageID
    self.recipientID = recipientID
    self.recipientName = recipientName
    self.audience = audience
    self.contact = contact
    self.contactIndex = contactIndex
    self.contacts = contacts ?? [contact]
    self.bulletin = bulletin
    self.language = language
    self.priority = priority
    self.state = state
    self.dueAt = dueAt
    self.attempts = attempts
    self.createdAt = createdAt
    self.lastError = lastError
  }

  public var channel: Channel { contact.channel }
}

import Foundation

/// Where every delivery of one message stands, for `commsd status`.
public struct MessageStatus: Sendable, Codable {
  /// One delivery as shown to an operator.
  public struct DeliveryLine: Sendable, Codable {
    public var id: String
    public var recipient: String
    public var recipientName: String
    public var audience: String
    public var channel: String
    public var contact: String
    public var state: String
    public var attempts: Int
    public var dueAt: Date?
    public var lastStatus: Int?
    public var lastError: String?
    /// Delivered: when the relay or receiver took it, or, over a gateway
    /// with receipts, when the handset got it (the provider's time).
    public var deliveredAt: Date?
    /// Over a gateway with receipts: when the gateway took it.
    public var sentAt: Date?
    /// Over a gateway with receipts: the provider's time of the receipt
    /// that decided it (delivered or undeliverable).
    public var receiptAt: Date?
    public var bulletin: Int
    public var language: String
    /// Why a held delivery waits (`quiet hours`, `cap reached`, `digest`, `minimum gap`);
    /// its `due_at` is when it is released.
    public var holdReason: String?
    /// For a `digested` delivery: the digest delivery that carried it.
    public var digest: String?
    /// For a delivery of an escalation wave: its number (2 onwards).
    public var wave: Int?

    enum CodingKeys: String, CodingKey {
      case id, recipient, audience, channel, contact, state, attempts, bulletin, language, digest
      case wave
      case holdReason = "hold_reason"
      case recipientName = "recipient_name"
      case dueAt = "due_at"
      case lastStatus = "last_status"
      case lastError = "last_error"
      case deliveredAt = "delivered_at"
      case sentAt = "sent_at"
      case receiptAt = "receipt_at"
    }
  }

  public var id: String
  public var priority: String
  public var kind: String
  public var subject: String
  public var audiences: [String]
  public var sender: String
  public var acceptedAt: Date
  /// Nil until the daemon has expanded the message into deliveries.
  public var plannedAt: Date?
  /// `actual`, `exercise`, `test` or `system`.
  public var mode: String = "actual"
  /// The message this one replaced, and the one that replaced it.
  public var supersedes: String?
  public var supersededBy: String?
  public var expiresAt: Date?
  /// Set once the message was cancelled (`commsd cancel`).
  public var cancelledAt: Date?
  public var cancelReason: String?
  /// The retraction sent for it (`cancel --notify`), or, for a retraction, what it withdrew.
  public var retraction: String?
  public var retractionOf: String?
  public var counts: [String: Int]
  /// The message's bulletin number in each audience.
  public var bulletins: [String: Int]
  /// How many people were reached, and who could not be reached on any contact.
  public var recipients: Reach
  /// For a message that asks readers to confirm: who did, who has not.
  public var confirmation: ConfirmationSummary?
  /// For a message to an audience that asks for approval: per audience,
  /// who is asked, who decided how and when (absent when none asks).
  public var approvals: [ApprovalRecord]?
  /// A scheduled message's release time: nothing is planned before it.
  public var notBefore: Date?
  /// The template it was composed from, and the draft it was sent from.
  public var template: String?
  public var draft: String?
  public var deliveries: [DeliveryLine]

  /// Reach per person (a person may have had several deliveries, one per contact tried).
  public struct Reach: Sendable, Codable {
    public var total: Int
    /// People a delivery reached (over a gateway with receipts: whose
    /// handset confirmed it).
    public var reached: Int
    /// Recipient ids whose every contact failed for good.
    public var unreachable: [String]
    /// People not reached whose message a gateway with receipts took with
    /// no receipt (yet): the gateway's word only.
    public var unconfirmed: Int = 0
    public var pending: Int
  }

  enum CodingKeys: String, CodingKey {
    case id, priority, kind, subject, audiences, sender, counts, deliveries, bulletins, recipients
    case confirmation, approvals, template, draft
    case notBefore = "not_before"
    case acceptedAt = "accepted_at"
    case plannedAt = "planned_at"
    case mode, supersedes, retraction
    case supersededBy = "superseded_by"
    case expiresAt = "expires_at"
    case cancelledAt = "cancelled_at"
    case cancelReason = "cancel_reason"
    case retractionOf = "retraction_of"
  }
}

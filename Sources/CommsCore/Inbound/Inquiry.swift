import Foundation

/// A question or reply that came back: who asked (matched to a person when
/// commsd knows them), about which bulletin, and what became of it.
public struct Inquiry: Sendable, Equatable, Codable {
  public enum State: String, Sendable, Codable, CaseIterable {
    /// Waiting for an answer.
    case open
    /// Answered to the person (`commsd inbox answer`), which closes it.
    case answered
    /// Closed without an answer (`commsd inbox close`): dealt with elsewhere.
    case closed
  }

  /// How the person and the bulletin were found.
  public enum Match: String, Sendable, Codable {
    /// The `+dlv_…` tag of the Reply-To address it was sent to, or a hook's delivery.
    case tag
    /// An email's In-Reply-To or References header.
    case thread
    /// The latest bulletin to the person whose contact sent it.
    case latest
    /// The person is known (by contact or a hook's recipient) but got no bulletin lately.
    case person
    /// Nobody commsd knows: kept as an unmatched inquiry, never dropped.
    case unmatched
  }

  public var id: InquiryID
  public var receivedAt: Date
  public var channel: InboundChannel
  public var source: String
  public var from: String
  public var fromName: String?
  public var subject: String?
  public var text: String
  public var recipientID: String?
  public var recipientName: String?
  public var audience: String?
  public var unit: String?
  public var language: String
  public var messageID: MessageID?
  public var deliveryID: DeliveryID?
  public var bulletin: Int?
  public var match: Match
  public var state: State
  public var assignee: String?
  public var answeredAt: Date?
  public var answeredBy: String?
  public var answerMessageID: MessageID?
  public var closedAt: Date?
  public var closedBy: String?
  public var closeReason: String?
  /// When its handlers are reminded if it is still open; nil once done.
  public var alertAt: Date?
  public var alertedAt: Date?
  /// The acknowledgement sent to the person, if one was.
  public var acknowledgementID: MessageID?
  /// Set by the retention period: the text and addresses are keyed hashes.
  public var pseudonymisedAt: Date?

  enum CodingKeys: String, CodingKey {
    case id, channel, source, from, subject, text, audience, unit, language, bulletin, match, state
    case assignee
    case receivedAt = "received_at"
    case fromName = "from_name"
    case recipientID = "recipient_id"
    case recipientName = "recipient_name"
    case messageID = "message_id"
    case deliveryID = "delivery_id"
    case answeredAt = "answered_at"
    case answeredBy = "answered_by"
    case answerMessageID = "answer_message_id"
    case closedAt = "closed_at"
    case closedBy = "closed_by"
    case closeReason = "close_reason"
    case alertAt = "remind_at"
    case alertedAt = "reminded_at"
    case acknowledgementID = "acknowledgement_id"
    case pseudonymisedAt = "pseudonymised_at"
  }

  /// Whether a person commsd knows asked it.
  public var isMatched: Bool { recipientID != nil }
}

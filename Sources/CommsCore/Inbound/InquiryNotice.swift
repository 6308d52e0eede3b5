import Foundation

/// What a message commsd composed about an inquiry carries besides its
/// text (JSON in `messages.inquiry`): which inquiry, and for the handlers'
/// copy the question itself, so that a webhook receiver gets it as data
/// (`WebhookPayload.inquiry`) rather than as prose to parse.
public struct InquiryNotice: Sendable, Codable, Hashable {
  public enum Role: String, Sendable, Codable {
    /// The question, for the people who answer it.
    case forward
    /// The question again, still unanswered after `answer_within`.
    case reminder
    /// "We have your question", to the person who asked.
    case acknowledgement
    /// The answer, to the person who asked.
    case answer
  }

  public struct Person: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
  }

  public var id: InquiryID
  public var role: Role
  // The question, on a forward or reminder only.
  public var receivedAt: Date?
  public var channel: InboundChannel?
  public var from: String?
  public var person: Person?
  public var unit: String?
  public var language: String?
  public var audience: String?
  public var bulletin: Int?
  public var messageID: MessageID?
  public var subject: String?
  public var text: String?

  enum CodingKeys: String, CodingKey {
    case id, role, channel, from, person, unit, language, audience, bulletin, subject, text
    case receivedAt = "received_at"
    case messageID = "message_id"
  }

  /// The notice of `role` for `inquiry`; the question's details only for
  /// the handlers' copies.
  public init(_ inquiry: Inquiry, role: Role) {
    id = inquiry.id
    self.role = role
    guard role == .forward || role == .reminder else { return }
    receivedAt = inquiry.receivedAt
    channel = inquiry.channel
    from = inquiry.from
    person = inquiry.recipientID.map { Person(id: $0, name: inquiry.recipientName ?? $0) }
    unit = inquiry.unit
    language = inquiry.language
    audience = inquiry.audience
    bulletin = inquiry.bulletin
    messageID = inquiry.messageID
    subject = inquiry.subject
    text = inquiry.text
  }

  /// The notice with its sender and text replaced by keyed hashes (the
  /// retention period).
  func pseudonymised(with hash: KeyedHash) -> InquiryNotice {
    var copy = self
    copy.from = from.map(hash.pseudonym)
    copy.subject = subject.map(hash.pseudonym)
    copy.text = text.map(hash.pseudonym)
    if let person { copy.person = Person(id: person.id, name: hash.pseudonym(person.name)) }
    return copy
  }
}

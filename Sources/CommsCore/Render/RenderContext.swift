import Foundation

/// Everything an audience template may show about one delivery: the
/// operator's words in the recipient's language, the audience and its
/// bulletin number, the message's kind and priority, the recipient, and when
/// it was sent. See ``TemplateVariable`` for the names templates use.
public struct RenderContext: Sendable {
  /// The operator's subject in the recipient's language.
  public var subject: String
  /// The operator's body in the recipient's language; never read as a template.
  public var body: String
  /// The audience's display name, e.g. `Pårørende`.
  public var audience: String
  /// The audience's key, e.g. `relatives`.
  public var audienceKey: String
  /// The audience's bulletin number for this message.
  public var bulletin: Int
  public var kind: MessageKind
  public var priority: Priority
  /// The language actually used (the recipient's, or the default when the
  /// message has no content in theirs); it picks the template translation,
  /// the kind label and the form of `sent_at`.
  public var language: String
  public var recipientName: String
  /// Shown in Europe/Copenhagen (see ``SendTimeText``).
  public var sentAt: Date
  /// The bulletin this message updates, shown as `updates_bulletin`.
  public var isUpdateOf: Int?
  /// What only an endpoint's body template shows (contact, delivery id, the
  /// text as sent, SMS segments); nil for an audience template.
  public var delivery: DeliveryValues?

  public init(
    subject: String, body: String, audience: String, audienceKey: String, bulletin: Int,
    kind: MessageKind, priority: Priority, language: String, recipientName: String, sentAt: Date,
    isUpdateOf: Int? = nil
  ) {
    self.subject = subject
    self.body = body
    self.audience = audience
    self.audienceKey = audienceKey
    self.bulletin = bulletin
    self.kind = kind
    self.priority = priority
    self.language = language
    self.recipientName = recipientName
    self.sentAt = sentAt
    self.isUpdateOf = isUpdateOf
  }
}

/// The values an endpoint's body template (`format = "template"`) has beyond
/// an audience template's.
public struct DeliveryValues: Sendable {
  /// The contact's address on the endpoint (a phone number for SMS).
  public var contact: String
  public var deliveryID: String
  public var messageID: String
  /// What the reader gets: the SMS text for an endpoint that sends SMS,
  /// otherwise the rendered body.
  public var text: String
  /// The subject as the reader's template made it.
  public var title: String
  /// How many SMS the text takes (0 when the endpoint does not send SMS).
  public var segments: Int
}

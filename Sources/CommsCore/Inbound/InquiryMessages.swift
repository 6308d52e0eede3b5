import Foundation

/// The messages commsd composes about an inquiry, each with its
/// deliveries already made (they are planned as they are accepted, like a
/// retraction): the handlers' copy, the acknowledgement and the answer.
/// None takes a bulletin number (`MessageKind.isConversation`): a
/// conversation with one person is no bulletin to the audience.
public enum InquiryMessages {
  /// The sender of what commsd writes by itself.
  static let system = Sender(kind: .system, name: "commsd", origin: "inbound")

  /// The audience a conversation is filed under: the person's, or
  /// `inbound` for someone commsd does not know.
  static func audience(of inquiry: Inquiry) -> String { inquiry.audience ?? "inbound" }

  /// The handlers' copy (or, with `waited`, the reminder): one delivery
  /// per route, in the default language, sent at once.
  public static func forHandlers(
    _ inquiry: Inquiry, routes: [InquiryRoute], policy: InboundPolicy, waited: Duration? = nil,
    at now: Date, using generator: inout some RandomNumberGenerator
  ) -> (Message, [Delivery]) {
    let audience = audience(of: inquiry)
    let language = policy.defaultLanguage
    let content = InquiryTexts.forHandlers(
      inquiry, audienceName: inquiry.audience.flatMap { policy.displayNames[$0] },
      language: language, waited: waited)
    var message = Message(
      id: MessageID(rawValue: ULID.make("msg_", at: now, using: &generator)),
      idempotencyKey: nil, sender: system, audiences: [audience], priority: .urgent,
      kind: .inquiry, contents: [language: content], defaultLanguage: language, acceptedAt: now)
    message.inquiry = InquiryNotice(inquiry, role: waited == nil ? .forward : .reminder)
    let deliveries = routes.map { route in
      Delivery(
        id: DeliveryID(rawValue: ULID.make("dlv_", at: now, using: &generator)),
        messageID: message.id, recipientID: "handlers", recipientName: route.description,
        audience: audience, contact: route.contact, contactIndex: 0, contacts: [route.contact],
        language: language, priority: .urgent, state: .ready, dueAt: now, createdAt: now)
    }
    return (message, deliveries)
  }

  /// "We have your question", in the person's language, on the contact
  /// they asked from.
  public static func acknowledgement(
    _ inquiry: Inquiry, routing: InboundRouting, contact: Contact, at now: Date,
    using generator: inout some RandomNumberGenerator
  ) -> (Message, Delivery) {
    let text = InquiryTexts.acknowledgement(inquiry.language, routing: routing)
    return toPerson(
      inquiry, role: .acknowledgement, sender: system, priority: .normal, language: text.language,
      content: MessageContent(subject: text.subject, body: text.text, sms: text.text),
      contact: contact, at: now, using: &generator)
  }

  /// An operator's answer, on the contact the person asked from.
  public static func answer(
    _ inquiry: Inquiry, text: String, language: String, sender: Sender, contact: Contact,
    at now: Date, using generator: inout some RandomNumberGenerator
  ) -> (Message, Delivery) {
    let subject = InquiryTexts.answerSubject(
      language, question: inquiry.channel == .email ? inquiry.subject : nil)
    return toPerson(
      inquiry, role: .answer, sender: sender, priority: .urgent, language: language,
      content: MessageContent(subject: subject, body: text, sms: text), contact: contact, at: now,
      using: &generator)
  }

  private static func toPerson(
    _ inquiry: Inquiry, role: InquiryNotice.Role, sender: Sender, priority: Priority,
    language: String, content: MessageContent, contact: Contact, at now: Date,
    using generator: inout some RandomNumberGenerator
  ) -> (Message, Delivery) {
    let audience = audience(of: inquiry)
    var message = Message(
      id: MessageID(rawValue: ULID.make("msg_", at: now, using: &generator)),
      idempotencyKey: nil, sender: sender, audiences: [audience], priority: priority,
      kind: .answer, contents: [language: content], defaultLanguage: language, acceptedAt: now)
    message.inquiry = InquiryNotice(inquiry, role: role)
    let delivery = Delivery(
      id: DeliveryID(rawValue: ULID.make("dlv_", at: now, using: &generator)),
      messageID: message.id, recipientID: inquiry.recipientID ?? inquiry.id.rawValue,
      recipientName: inquiry.recipientName ?? inquiry.fromName ?? inquiry.from,
      audience: audience, contact: contact, contactIndex: 0, contacts: [contact],
      language: language, priority: priority, state: .ready, dueAt: now, createdAt: now)
    return (message, delivery)
  }

  /// The contact an answer to `inquiry` goes to: the one it came from
  /// (the SMS endpoint and number, the email address); for a hook's
  /// question, the person's first contact.
  public static func replyContact(of inquiry: Inquiry, directory: RecipientDirectory) -> Contact? {
    switch inquiry.channel {
    case .sms: .webhook(endpoint: inquiry.source, address: inquiry.from)
    case .email: .email(address: inquiry.from)
    case .hook: inquiry.recipientID.flatMap { directory.recipient(id: $0)?.contacts.first }
    }
  }
}

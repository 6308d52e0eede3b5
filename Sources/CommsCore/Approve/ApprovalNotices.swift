import Foundation

/// The notice that asks approvers to decide: one message of kind
/// `approval` per turn, with a delivery to every contact of every approver
/// who has not voted, each carrying its own link (`ConfirmLinks`,
/// `/a/…`), sent at once. It takes no bulletin number.
public enum ApprovalNotices {
  static let system = Sender(kind: .system, name: "commsd", origin: "approval")

  /// The notice for `records` (the due audiences of `message`), or nil when
  /// every approver has voted or none has a contact; with each delivery
  /// the approver it asks.
  public static func compose(
    for message: Message, records: [ApprovalRecord], directory: RecipientDirectory,
    displayNames: [String: String], defaultLanguage: String, at now: Date,
    using generator: inout some RandomNumberGenerator
  ) -> (Message, [(Delivery, approver: String)])? {
    let reminder = records.contains { $0.reminders > 0 }
    var people: [String: Recipient] = [:]
    var order: [String] = []
    for record in records {
      let voted = Set(record.votes.map(\.approver))
      for approver in record.approvers where !voted.contains(approver.id) {
        guard people[approver.id] == nil, let person = directory.recipient(id: approver.id) else {
          continue
        }
        people[approver.id] = person
        order.append(approver.id)
      }
    }
    guard !order.isEmpty else { return nil }
    let gated = records.map(\.audience)
    var contents: [String: MessageContent] = [:]
    for language in ["da", "en"] {
      contents[language] = text(
        message, gated: gated, displayNames: displayNames, language: language, reminder: reminder)
    }
    let notice = Message(
      id: MessageID(rawValue: ULID.make("msg_", at: now, using: &generator)),
      idempotencyKey: nil, sender: system, audiences: gated, priority: .urgent, kind: .approval,
      contents: contents, defaultLanguage: defaultLanguage == "da" ? "da" : "en", acceptedAt: now)
    var deliveries: [(Delivery, approver: String)] = []
    for id in order {
      guard let person = people[id] else { continue }
      let language = person.language == "da" ? "da" : "en"
      for contact in person.contacts {
        let delivery = Delivery(
          id: DeliveryID(rawValue: ULID.make("dlv_", at: now, using: &generator)),
          messageID: notice.id, recipientID: person.id, recipientName: person.name,
          audience: gated[0], contact: contact, contactIndex: 0, contacts: [contact],
          language: language, priority: .urgent, state: .ready, dueAt: now, createdAt: now)
        deliveries.append((delivery, id))
      }
    }
    return deliveries.isEmpty ? nil : (notice, deliveries)
  }

  /// The notice's text: who wrote what to whom, and the message itself.
  /// The link goes under it as the transport sends it.
  static func text(
    _ message: Message, gated: [String], displayNames: [String: String], language: String,
    reminder: Bool
  ) -> MessageContent {
    let content = message.content(for: language).content
    let names = gated.map { displayNames[$0] ?? $0 }.joined(separator: ", ")
    let all = message.audiences.map { displayNames[$0] ?? $0 }.joined(separator: ", ")
    let sender = message.sender.name
    if language == "da" {
      let subject =
        (reminder ? "Påmindelse – til godkendelse: " : "Til godkendelse: ") + content.subject
      let body = """
        \(sender) har skrevet en besked til \(all). Den venter på din godkendelse, før den sendes til \(names).

        Prioritet: \(message.priority.rawValue)
        Besked: \(message.id)

        ——
        \(content.subject)

        \(content.body)
        ——

        Godkend eller afvis med linket herunder. I krisestaben også med
        commsd approve \(message.id) eller commsd reject \(message.id) --reason "…".
        """
      return MessageContent(
        subject: subject, body: body,
        sms:
          "\(reminder ? "Påmindelse: " : "")Til godkendelse fra \(sender) (\(names)): \(content.subject)"
      )
    }
    let subject = (reminder ? "Reminder – for approval: " : "For approval: ") + content.subject
    let body = """
      \(sender) has written a message to \(all). It waits for your approval before it goes to \(names).

      Priority: \(message.priority.rawValue)
      Message: \(message.id)

      ——
      \(content.subject)

      \(content.body)
      ——

      Approve or reject with the link below. In the crisis staff also with
      commsd approve \(message.id) or commsd reject \(message.id) --reason "…".
      """
    return MessageContent(
      subject: subject, body: body,
      sms:
        "\(reminder ? "Reminder: " : "")For approval from \(sender) (\(names)): \(content.subject)")
  }
}

import Foundation

/// The short message that tells readers a message they got no longer
/// applies (`commsd cancel --notify`). It reaches exactly those who got the
/// cancelled message, on the contact that reached them, and goes at once:
/// it corrects something they already have.
public enum Retraction {
  /// The retraction of `original`, in each of its languages (Danish and
  /// English wording; other languages get the English wording around their
  /// own subject), as urgent at least, and as real or as much an exercise
  /// as the original.
  public static func message(
    withdrawing original: Message, reason: String, sender: Sender, at: Date,
    using generator: inout some RandomNumberGenerator
  ) -> Message {
    var contents: [String: MessageContent] = [:]
    for (language, content) in original.contents {
      contents[language] = text(
        subject: content.subject, sentAt: original.acceptedAt, reason: reason, language: language)
    }
    return Message(
      id: MessageID(rawValue: ULID.make("msg_", at: at, using: &generator)),
      idempotencyKey: nil, sender: sender, audiences: original.audiences,
      priority: min(original.priority, .urgent), kind: .retraction, contents: contents,
      defaultLanguage: original.defaultLanguage, acceptedAt: at, filter: original.filter,
      mode: original.mode, retractionOf: original.id)
  }

  static func text(subject: String, sentAt: Date, reason: String, language: String)
    -> MessageContent
  {
    let when = SendTimeText.format(sentAt, language: language)
    if LanguageTag.primary(language) == "da" {
      return MessageContent(
        subject: "Tilbagekaldt: \(subject)",
        body: "Meddelelsen »\(subject)« fra \(when) er trukket tilbage og gælder ikke længere."
          + "\n\nBegrundelse: \(reason)")
    }
    return MessageContent(
      subject: "Withdrawn: \(subject)",
      body: "The message “\(subject)” of \(when) has been withdrawn and no longer applies."
        + "\n\nReason: \(reason)")
  }

  /// The copy for one reader who got the cancelled message, on the contact
  /// and in the language that reached them.
  static func copy(
    of received: Delivery, retraction: MessageID, priority: Priority, at: Date,
    using generator: inout some RandomNumberGenerator
  ) -> Delivery {
    Delivery(
      id: DeliveryID(rawValue: ULID.make("dlv_", at: at, using: &generator)),
      messageID: retraction, recipientID: received.recipientID,
      recipientName: received.recipientName, audience: received.audience,
      contact: received.contact, contactIndex: 0, contacts: [received.contact],
      language: received.language, priority: priority, state: .ready, dueAt: at, createdAt: at)
  }
}

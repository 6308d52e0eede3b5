import Foundation

/// Gathers the messages held for a digest slot into one situation report per
/// person and audience, in bulletin order, each item with its number and time.
/// A person with a single item gets that message by itself.
public struct DigestBuilder: Sendable {
  let store: any Store
  let audiences: [String: Audience]

  public init(store: any Store, audiences: [String: Audience]) {
    self.store = store
    self.audiences = audiences
  }

  /// Builds every digest that is due at `now`; returns how many digests were written.
  @discardableResult
  public func buildDue(at now: Date, using generator: inout some RandomNumberGenerator) async throws
    -> Int
  {
    let items = try await store.dueDigestItems(now: now)
    guard !items.isEmpty else { return 0 }
    var messages: [MessageID: Message] = [:]
    for id in Set(items.map(\.messageID)) where messages[id] == nil {
      messages[id] = try await store.message(id)
    }
    var groups: [String: [Delivery]] = [:]
    for item in items {
      groups["\(item.recipientID)\u{1F}\(item.audience)", default: []].append(item)
    }
    var written = 0
    for (_, group) in groups.sorted(by: { $0.key < $1.key }) {
      let ordered = group.sorted { $0.bulletin < $1.bulletin }
      if ordered.count == 1 {
        try await store.releaseForDigest(ordered[0].id, at: now)
        continue
      }
      let digest = compose(ordered, messages: messages, at: now, using: &generator)
      try await store.saveDigest(digest, at: now)
      written += 1
    }
    return written
  }

  /// The digest message and its delivery for one person's held items.
  func compose(
    _ items: [Delivery], messages: [MessageID: Message], at now: Date,
    using generator: inout some RandomNumberGenerator
  ) -> Digest {
    let first = items[0]
    let language = first.language
    let words = DigestWords.for(language)
    var parts: [String] = [words.intro]
    for item in items {
      guard let message = messages[item.messageID] else { continue }
      let content = message.content(for: language).content
      let heading = [
        "#\(item.bulletin)", SendTimeText.format(message.acceptedAt, language: language),
        KindLabels.label(message.kind, language: language),
      ].joined(separator: " · ")
      parts.append(
        "\(heading)\n\(content.subject)\n\n\(content.body.trimmingCharacters(in: .whitespacesAndNewlines))"
      )
    }
    let message = Message(
      id: MessageID(rawValue: ULID.make("msg_", at: now, using: &generator)), idempotencyKey: nil,
      sender: Sender(kind: .system, name: "digest", origin: "commsd"), audiences: [first.audience],
      priority: .normal, kind: .update,
      contents: [
        language: MessageContent(
          subject: words.subject(items.count), body: parts.joined(separator: "\n\n———\n\n"))
      ],
      defaultLanguage: language, acceptedAt: now)
    let delivery = Delivery(
      id: DeliveryID(rawValue: ULID.make("dlv_", at: now, using: &generator)),
      messageID: message.id,
      recipientID: first.recipientID, recipientName: first.recipientName, audience: first.audience,
      contact: first.contact, contactIndex: first.contactIndex, contacts: first.contacts,
      bulletin: items.map(\.bulletin).max() ?? 0, language: language, priority: .normal,
      state: .ready,
      dueAt: now, createdAt: now)
    return Digest(message: message, delivery: delivery, items: items.map(\.id))
  }
}

/// One composed digest, ready to store.
public struct Digest: Sendable {
  public var message: Message
  public var delivery: Delivery
  /// The held deliveries it carries.
  public var items: [DeliveryID]
}

/// The fixed words of a digest, per language (else English).
struct DigestWords {
  var intro: String
  var subject: @Sendable (Int) -> String

  static func `for`(_ language: String) -> DigestWords {
    switch language {
    case "da":
      DigestWords(
        intro: "Meddelelser siden sidste situationsrapport, i nummerorden:",
        subject: { "Situationsrapport: \($0) meddelelser" })
    default:
      DigestWords(
        intro: "Messages since the last situation report, in order:",
        subject: { "Situation report: \($0) messages" })
    }
  }
}

import Synchronization

/// The parts of an email that are the same for every reader of a message in
/// one language: the quoted-printable body and the encoded Subject field,
/// kept by their text, and the From and Reply-To fields, kept by field and
/// mailbox, so a fan-out encodes them once instead of once per recipient
/// (issue 25: "pre-built MIME per message and language").
///
/// Keyed by the text itself, not by the message: a body with a reader's own
/// confirmation line differs from the others and is simply encoded (and
/// kept) on its own. What is returned is exactly what encoding the text
/// gives; `EmailComposer.render` produces the same bytes with or without a
/// cache (`EmailPartsCacheTests`).
final class EmailPartsCache: Sendable {
  /// Texts kept per kind; on reaching it the cache starts afresh. A fan-out
  /// needs one per language; personal bodies (a confirmation link) each
  /// take one.
  static let capacity = 64
  /// Bodies longer than this are encoded each time, not kept: the cache
  /// holds at most `capacity` of them at this size.
  static let largestKept = 64 * 1024

  private let bodies = Mutex<[String: [UInt8]]>([:])
  private let subjects = Mutex<[String: String]>([:])
  private let senders = Mutex<[Sender: String]>([:])

  /// A From or Reply-To field: the relay's sender and an audience's
  /// Reply-To are the same for every email of a fan-out.
  private struct Sender: Hashable {
    var field: String
    var mailbox: EmailAddress
  }

  init() {}

  /// `QuotedPrintable.encodeBody(text)`.
  func body(_ text: String, encode: (String) -> [UInt8]) -> [UInt8] {
    guard text.utf8.count <= Self.largestKept else { return encode(text) }
    return Self.kept(text, in: bodies, make: encode)
  }

  /// The rendered Subject field of `subject`.
  func subject(_ subject: String, render: (String) -> String) -> String {
    Self.kept(subject, in: subjects, make: render)
  }

  /// The rendered `field` (From, Reply-To) of `mailbox`.
  func senderField(_ field: String, _ mailbox: EmailAddress, render: () -> String) -> String {
    Self.kept(Sender(field: field, mailbox: mailbox), in: senders) { _ in render() }
  }

  private static func kept<Key: Hashable & Sendable, Value: Sendable>(
    _ text: Key, in entries: borrowing Mutex<[Key: Value]>, make: (Key) -> Value
  ) -> Value {
    if let hit = entries.withLock({ $0[text] }) { return hit }
    let value = make(text)
    entries.withLock { entries in
      if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
      entries[text] = value
    }
    return value
  }

  /// How many bodies are kept (for tests).
  var keptBodies: Int { bodies.withLock { $0.count } }
}

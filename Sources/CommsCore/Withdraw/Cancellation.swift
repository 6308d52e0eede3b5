import Foundation

/// `commsd cancel ID --reason TEXT [--notify]`: what to withdraw, why, by whom.
public struct Cancellation: Sendable {
  public var messageID: MessageID
  public var reason: String
  public var actor: Sender
  public var at: Date
  /// With `--notify`: the retraction that everyone who got the message receives.
  public var retraction: Message?

  public init(
    messageID: MessageID, reason: String, actor: Sender, at: Date, retraction: Message? = nil
  ) {
    self.messageID = messageID
    self.reason = reason
    self.actor = actor
    self.at = at
    self.retraction = retraction
  }

  /// The longest reason accepted; it is shown to readers in a retraction.
  public static let maxReasonLength = 500
}

/// What a cancel did.
public struct CancelOutcome: Sendable, Equatable {
  /// Deliveries that had not gone and never will.
  public var withdrawn: Int
  /// Deliveries in flight: each ends as delivered (and, with a retraction,
  /// its reader is told) or as cancelled.
  public var inFlight: Int
  /// The retraction message, with `--notify`.
  public var retraction: MessageID?
  /// Readers who already had the message and get the retraction now.
  public var notified: Int

  public init(withdrawn: Int, inFlight: Int, retraction: MessageID?, notified: Int) {
    self.withdrawn = withdrawn
    self.inFlight = inFlight
    self.retraction = retraction
    self.notified = notified
  }
}

extension Cancellation {
  /// The reason as it will be stored and shown: trimmed, 1 to
  /// `maxReasonLength` characters, no control characters but line breaks.
  public static func checkedReason(_ text: String) throws(IntakeError) -> String {
    let reason = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if reason.isEmpty || reason.count > maxReasonLength
      || reason.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" })
    {
      throw IntakeError(field: "reason", "give 1 to \(maxReasonLength) characters of text")
    }
    return reason
  }

  /// Cancels `id` in one store transaction; with `notify`, everyone who got
  /// it is sent a retraction (see `Retraction`). Throws `StoreError.refused`
  /// naming the field for an unknown or already cancelled message.
  public static func carryOut(
    _ id: MessageID, reason: String, notify: Bool, actor: Sender, store: any Store, at now: Date
  ) async throws -> CancelOutcome {
    var retraction: Message?
    if notify {
      guard let original = try await store.message(id) else {
        throw StoreError.refused(field: "id", "there is no message \(id) in this store")
      }
      var generator = SystemRandomNumberGenerator()
      retraction = Retraction.message(
        withdrawing: original, reason: reason, sender: actor, at: now, using: &generator)
    }
    return try await store.cancel(
      Cancellation(messageID: id, reason: reason, actor: actor, at: now, retraction: retraction))
  }
}

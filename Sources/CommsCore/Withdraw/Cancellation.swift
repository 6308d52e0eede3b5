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

import Foundation

/// The result of one attempt, as Record writes it.
public struct AttemptRecord: Sendable {
  public var deliveryID: DeliveryID
  public var messageID: MessageID
  public var newState: DeliveryState
  /// For `retrying`: when to try again.
  public var dueAt: Date?
  public var at: Date
  /// The endpoint or relay name.
  public var target: String
  public var statusCode: Int
  public var error: String?
  public var duration: Duration
  public var attempt: Int
  /// The provider's own id for the message (a gateway's message id), when
  /// its answer gave one.
  public var providerRef: String?

  public init(
    deliveryID: DeliveryID, messageID: MessageID, newState: DeliveryState, dueAt: Date?, at: Date,
    target: String, statusCode: Int, error: String?, duration: Duration, attempt: Int,
    providerRef: String? = nil
  ) {
    self.deliveryID = deliveryID
    self.messageID = messageID
    self.newState = newState
    self.dueAt = dueAt
    self.at = at
    self.target = target
    self.statusCode = statusCode
    self.error = error
    self.duration = duration
    self.attempt = attempt
    self.providerRef = providerRef
  }
}

import Foundation

/// What one attempt came to, as the transport classified it.
public enum AttemptResult: Sendable, Equatable {
  case delivered(status: Int)
  /// Worth trying again: network trouble, 408/429/5xx, SMTP 4xx.
  case transient(status: Int, reason: String, retryAfter: Duration?)
  /// Trying again will not help: other 4xx, SMTP 5xx, a message that cannot be built.
  case permanent(status: Int, reason: String)
}

/// A way to hand one delivery to the outside world. Transports only send and
/// classify; when to send and what to do next is decided elsewhere.
public protocol Transport: Sendable {
  func send(_ delivery: Delivery, message: Message) async -> AttemptResult
}

import Foundation

/// What one attempt came to, as the transport classified it.
public enum AttemptResult: Sendable, Equatable {
  case delivered(status: Int)
  /// Taken by a gateway that sends handset receipts: `sent` until its
  /// receipt, for at most `receiptWithin`. `reference` is the provider's own
  /// id for the message, when its answer gives one.
  case accepted(status: Int, reference: String?, receiptWithin: Duration)
  /// Worth trying again: network trouble, 408/429/5xx, SMTP 4xx.
  case transient(status: Int, reason: String, retryAfter: Duration?)
  /// Trying again will not help: other 4xx, SMTP 5xx, a message that cannot be built.
  case permanent(status: Int, reason: String)
}

/// An attempt made ready by a transport: a transfer for the curl engine, or
/// an outcome known without one (a message that cannot be built).
public enum PreparedAttempt: Sendable {
  case transfer(CurlRequest)
  case finished(AttemptResult)
}

/// A way to hand one delivery to the outside world. Transports only build
/// the request and classify the answer; when to send, how many at once and
/// what to do next is decided elsewhere. Both run on the hot path: no I/O.
public protocol Transport: Sendable {
  /// The request for one attempt at `delivery`.
  func prepare(_ delivery: Delivery, message: Message) -> PreparedAttempt
  /// What the answer to an attempt at `delivery` means (each endpoint's
  /// format reads its provider's answers). Runs on the curl engine's thread.
  func classify(_ response: CurlResponse, for delivery: Delivery) -> AttemptResult
}

import Foundation

/// When to try a transiently failed delivery again: exponential backoff with
/// jitter, honouring the receiver's `Retry-After`, until a deadline after the
/// first attempt.
///
/// Defaults: first retry after 5 s, doubling, at most 30 min apart, dead after 24 h.
public struct RetryPolicy: Sendable, Equatable {
  public var firstDelay: Duration
  public var factor: Double
  public var maxDelay: Duration
  /// Measured from the delivery's creation; past it a transient failure is final.
  public var giveUpAfter: Duration
  /// Each delay is scaled by a random factor in `1 - jitter ... 1 + jitter`,
  /// so deliveries that failed together do not all come back together.
  public var jitter: Double

  public init(
    firstDelay: Duration = .seconds(5), factor: Double = 2, maxDelay: Duration = .seconds(1800),
    giveUpAfter: Duration = .seconds(86_400), jitter: Double = 0.2
  ) {
    self.firstDelay = firstDelay
    self.factor = factor
    self.maxDelay = maxDelay
    self.giveUpAfter = giveUpAfter
    self.jitter = jitter
  }

  /// The backoff before retry number `attempt` (1 = after the first failed
  /// attempt), before jitter.
  public func baseDelay(afterAttempt attempt: Int) -> Duration {
    let first = firstDelay.seconds
    let grown = first * pow(factor, Double(max(0, attempt - 1)))
    return .clamped(seconds: min(grown, maxDelay.seconds))
  }

  /// When to try again after failed attempt number `attempt`, or nil when the
  /// delivery should be given up (dead).
  ///
  /// - Parameters:
  ///   - retryAfter: the receiver's `Retry-After`, honoured as a lower bound
  ///     (capped at `maxDelay` so a hostile value cannot park a delivery for days).
  ///   - createdAt: when the delivery was created; the deadline counts from it.
  public func nextAttempt(
    afterAttempt attempt: Int, now: Date, createdAt: Date, retryAfter: Duration? = nil,
    using generator: inout some RandomNumberGenerator
  ) -> Date? {
    var delay = baseDelay(afterAttempt: attempt).seconds
    if jitter > 0 {
      delay *= Double.random(in: (1 - jitter)...(1 + jitter), using: &generator)
    }
    if let retryAfter {
      delay = max(delay, min(retryAfter.seconds, maxDelay.seconds))
    }
    let next = now.addingTimeInterval(delay)
    guard next <= createdAt.addingTimeInterval(giveUpAfter.seconds) else { return nil }
    return next
  }
}

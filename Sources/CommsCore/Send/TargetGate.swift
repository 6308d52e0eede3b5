import Foundation

/// Transport dosing for one endpoint or relay: a token bucket (rate and
/// burst), a pause when the receiver says so (429/503 with `Retry-After`),
/// and a circuit breaker (after N failures in a row, open for a while, then
/// one probe). Pure state with an explicit clock, so it is tested without
/// sleeping; the dispatcher keeps one per target under its lock.
///
/// Concurrency (transfers at once) is counted by the dispatcher itself.
public struct TargetGate: Sendable {
  /// The settings of one gate.
  public struct Settings: Sendable, Hashable {
    /// Transfers started per second at most; nil: no rate limit.
    public var rate: Double?
    /// How many may start at once after a quiet spell.
    public var burst: Int
    /// Consecutive failures (network, 408/429/5xx) that open the breaker.
    public var breakerFailures: Int
    /// How long an open breaker stays open before one probe is let through.
    public var breakerOpenFor: Duration
    /// How long a receiver's `Retry-After` may pause the target at most
    /// (`max_pause`): the receiver asks, the operator decides. A pause longer
    /// than this would hold every queued delivery of the target, and a
    /// hostile or broken receiver could ask for years.
    public var maxPause: Duration

    public init(
      rate: Double? = nil, burst: Int = 1, breakerFailures: Int = 5,
      breakerOpenFor: Duration = .seconds(30), maxPause: Duration = Self.standardMaxPause
    ) {
      self.rate = rate
      self.burst = max(1, burst)
      self.breakerFailures = max(1, breakerFailures)
      self.breakerOpenFor = breakerOpenFor
      self.maxPause = maxPause
    }

    /// Five minutes: long enough to let an overloaded gateway recover,
    /// short enough that an everyday message is not held back for long.
    public static let standardMaxPause: Duration = .seconds(300)
  }

  /// Why a target cannot take a transfer now.
  public enum Closed: Sendable, Equatable {
    /// The token bucket is empty: a token comes at the date.
    case rate(until: Date)
    /// The receiver asked for a pause (Retry-After).
    case paused(until: Date)
    /// The circuit breaker is open (until the date), or a probe is out.
    case breaker(until: Date?)
  }

  public let settings: Settings
  private var tokens: Double
  private var refilledAt: Date?
  private(set) var pausedUntil: Date?
  private(set) var failures = 0
  private(set) var openUntil: Date?
  private var probing = false

  public init(_ settings: Settings) {
    self.settings = settings
    tokens = Double(settings.burst)
  }

  /// Whether the breaker is open (for metrics and status).
  public var isOpen: Bool { openUntil != nil }

  /// Takes a token and returns nil when a transfer may start at `now`;
  /// otherwise says why not and until when.
  ///
  /// A flash delivery (life and safety) is not held by a receiver's pause:
  /// the pause is the receiver's wish about everyday traffic, and a flash
  /// message that fails again is retried by its own policy. It still takes a
  /// token and still waits for an open breaker's probe.
  public mutating func admit(at now: Date, flash: Bool = false) -> Closed? {
    if !flash, let pausedUntil, pausedUntil > now { return .paused(until: pausedUntil) }
    if let openUntil {
      if openUntil > now { return .breaker(until: openUntil) }
      if probing { return .breaker(until: nil) }
    }
    if let rate = settings.rate {
      refill(at: now, rate: rate)
      guard tokens >= 1 else { return .rate(until: now.addingTimeInterval((1 - tokens) / rate)) }
      tokens -= 1
    }
    if openUntil != nil { probing = true }  // half-open: this transfer is the probe
    return nil
  }

  private mutating func refill(at now: Date, rate: Double) {
    if let refilledAt {
      let elapsed = max(0, now.timeIntervalSince(refilledAt))
      tokens = min(Double(settings.burst), tokens + elapsed * rate)
    }
    refilledAt = now
  }

  /// Learns from an attempt's result.
  public mutating func record(_ result: AttemptResult, at now: Date) {
    switch result {
    case .delivered, .accepted, .permanent:
      // The receiver answered: it is up, whatever it thought of this message.
      failures = 0
      openUntil = nil
      probing = false
    case .transient(let status, _, let retryAfter):
      if let retryAfter, status == 429 || status == 503 {
        let until = now.addingTimeInterval(min(retryAfter, settings.maxPause).seconds)
        pausedUntil = max(pausedUntil ?? until, until)
      }
      failures += 1
      if probing || failures >= settings.breakerFailures {
        openUntil = now.addingTimeInterval(settings.breakerOpenFor.seconds)
        probing = false
      }
    }
  }
}

import Logging
import Synchronization

/// Logs an error of a loop that keeps retrying (the store away during a
/// database failover, say) once, and then at most once per `interval` with
/// how many times it happened meanwhile, instead of on every poll: an
/// operator reads what is wrong, not a thousand lines of it.
final class RepeatedErrorLog: Sendable {
  private let logger: Logger
  private let interval: Duration
  private struct Seen {
    var loggedAt: ContinuousClock.Instant
    var since = 0
  }
  private let seen = Mutex<[String: Seen]>([:])
  private let now: @Sendable () -> ContinuousClock.Instant

  init(
    logger: Logger, interval: Duration = .seconds(10),
    now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.logger = logger
    self.interval = interval
    self.now = now
  }

  /// Logs `message` with `error` now, or counts it if it was logged less
  /// than `interval` ago.
  func error(_ message: String, _ error: any Error, metadata: Logger.Metadata = [:]) {
    let now = now()
    let repeated = seen.withLock { seen -> Int? in
      if var entry = seen[message], now - entry.loggedAt < interval {
        entry.since += 1
        seen[message] = entry
        return nil
      }
      let since = seen[message]?.since ?? 0
      seen[message] = Seen(loggedAt: now)
      return since
    }
    guard let repeated else { return }
    var fields = metadata
    fields["error"] = "\(error)"
    if repeated > 0 { fields["repeated"] = "\(repeated)" }
    logger.error("\(message)", metadata: fields)
  }
}

import Foundation
import Logging
import ServiceLifecycle

/// The daemon's side of the retention period: at start and every
/// `check_every`, the messages older than `period` whose deliveries are all
/// final have their personal data replaced by keyed hashes
/// (`Store.applyRetention`).
public struct RetentionLoop: Service {
  let store: any Store
  let period: Duration
  let checkEvery: Duration
  let hash: KeyedHash
  let clock: any WallClock
  let logger: Logger

  public init(
    store: any Store, period: Duration, checkEvery: Duration, hash: KeyedHash,
    clock: any WallClock, logger: Logger
  ) {
    self.store = store
    self.period = period
    self.checkEvery = checkEvery
    self.hash = hash
    self.clock = clock
    self.logger = logger
  }

  /// Passes until its turn to stop (or cancellation).
  public func run() async {
    await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        await pass()
        try? await Task.sleep(for: checkEvery)
      }
    }
  }

  /// One pass; what it did is logged (counts only).
  @discardableResult
  public func pass() async -> RetentionOutcome? {
    let now = clock.now()
    do {
      let outcome = try await store.applyRetention(
        before: now.addingTimeInterval(-period.seconds), hash: hash, at: now,
        period: DurationText.format(period))
      if outcome.messages > 0 || outcome.inquiries > 0 || outcome.drafts > 0 {
        logger.notice(
          "retention period applied",
          metadata: [
            "messages": "\(outcome.messages)", "deliveries": "\(outcome.deliveries)",
            "audit_events": "\(outcome.auditEvents)", "inquiries": "\(outcome.inquiries)",
            "drafts": "\(outcome.drafts)",
            "period": "\(DurationText.format(period))",
          ])
      }
      return outcome
    } catch {
      logger.error("retention pass failed; tried again later", metadata: ["error": "\(error)"])
      return nil
    }
  }
}

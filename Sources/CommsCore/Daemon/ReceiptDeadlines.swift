import Logging
import ServiceLifecycle

/// Sent deliveries whose handset receipt did not come within their
/// endpoint's `receipt_timeout` become `unconfirmed` (`Store.expireReceipts`):
/// the gateway took them, and nothing more is known. Runs only when an
/// endpoint has receipts; on several nodes each runs it, and the store's
/// condition makes every move happen once.
struct ReceiptDeadlines: Service {
  let store: any Store
  let clock: any WallClock
  /// How often deadlines are looked at: a tenth of the shortest timeout,
  /// between 1 s and 1 min.
  let interval: Duration
  let logger: Logger

  init(store: any Store, clock: any WallClock, shortestTimeout: Duration, logger: Logger) {
    self.store = store
    self.clock = clock
    self.interval = min(max(shortestTimeout / 10, .seconds(1)), .seconds(60))
    self.logger = logger
  }

  func run() async {
    await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        await self.pass()
        try? await Task.sleep(for: self.interval)
      }
    }
  }

  /// Moves every delivery past its deadline, 500 at a time.
  func pass() async {
    do {
      var moved = 0
      for _ in 0..<1000 {
        let count = try await store.expireReceipts(at: clock.now())
        moved += count
        if count < 500 { break }
      }
      if moved > 0 {
        logger.notice("no receipt in time: unconfirmed", metadata: ["deliveries": "\(moved)"])
      }
    } catch {
      logger.warning("cannot mark deliveries without a receipt", metadata: ["error": "\(error)"])
    }
  }
}

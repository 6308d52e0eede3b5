import Foundation
import Logging
import ServiceLifecycle

/// On a store several nodes share, takes back the leases of a node that
/// died (`kill -9`, a lost machine) once they run out, so the others send
/// what it held. Every node runs one; the leases' expiry decides, so two
/// keepers never return the same lease twice (the store skips rows another
/// keeper holds).
struct LeaseKeeper: Service {
  init(store: any Store, clock: any WallClock, logger: Logger) {
    self.store = store
    self.clock = clock
    self.logger = logger
    errors = RepeatedErrorLog(logger: logger)
  }

  let store: any Store
  let clock: any WallClock
  let logger: Logger
  /// Errors of a store that is away, logged once per 10 s with a count.
  let errors: RepeatedErrorLog
  /// How often to look: a dead node's deliveries wait at most their lease plus this.
  var interval: Duration = .seconds(1)

  /// Looks until its turn to stop (or cancellation).
  func run() async {
    await cancelWhenGracefulShutdown { await keep() }
  }

  private func keep() async {
    while !Task.isCancelled {
      do {
        let returned = try await store.reclaimLeases(now: clock.now(), all: false)
        if returned > 0 {
          logger.notice(
            "expired leases returned to the queue (a node stopped without finishing them)",
            metadata: ["count": "\(returned)"])
        }
      } catch {
        errors.error("cannot return expired leases", error)
      }
      try? await Task.sleep(for: interval)
    }
  }
}

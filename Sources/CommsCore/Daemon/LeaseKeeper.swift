import Foundation
import Logging

/// On a store several nodes share, takes back the leases of a node that
/// died (`kill -9`, a lost machine) once they run out, so the others send
/// what it held. Every node runs one; the leases' expiry decides, so two
/// keepers never return the same lease twice (the store skips rows another
/// keeper holds).
struct LeaseKeeper: Sendable {
  let store: any Store
  let clock: any WallClock
  let logger: Logger
  /// How often to look: a dead node's deliveries wait at most their lease plus this.
  var interval: Duration = .seconds(1)

  func run() async {
    while !Task.isCancelled {
      do {
        let returned = try await store.reclaimLeases(now: clock.now(), all: false)
        if returned > 0 {
          logger.notice(
            "expired leases returned to the queue (a node stopped without finishing them)",
            metadata: ["count": "\(returned)"])
        }
      } catch {
        logger.error("cannot return expired leases", metadata: ["error": "\(error)"])
      }
      try? await Task.sleep(for: interval)
    }
  }
}

import Foundation
import Logging

/// While the daemon runs under systemd: `WATCHDOG=1` at half the watchdog
/// timeout, and a `STATUS=` line with the queue (`queued 1200, held 35, in
/// flight 64`) at most every `statusEvery`. The pings come from a task of
/// the daemon's own: if its tasks stop being run, systemd notices and
/// restarts it.
struct ServiceHeartbeat: Sendable {
  let notifier: SystemdNotifier
  let store: any Store
  var statusEvery: Duration = .seconds(10)

  func run() async {
    guard notifier.isActive else { return }
    let clock = ContinuousClock()
    var lastStatus = clock.now - statusEvery
    let tick = min(notifier.watchdogInterval ?? statusEvery, statusEvery)
    while !Task.isCancelled {
      var lines: [String] = []
      if notifier.watchdogInterval != nil { lines.append("WATCHDOG=1") }
      if clock.now - lastStatus >= statusEvery, let status = await status() {
        lines.append("STATUS=\(status)")
        lastStatus = clock.now
      }
      if !lines.isEmpty { notifier.notify(lines.joined(separator: "\n")) }
      try? await Task.sleep(for: tick)
    }
  }

  func status() async -> String? {
    guard let counts = try? await store.queueCounts() else { return nil }
    return "queued \(counts.queued), held \(counts.held), in flight \(counts.inFlight)"
  }
}

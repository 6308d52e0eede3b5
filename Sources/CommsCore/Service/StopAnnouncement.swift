import Logging
import ServiceLifecycle

/// Last in the daemon's group, so the first to hear of a stop: from here
/// `/readyz` answers 503, and systemd (`STOPPING=1`) and the log hear that
/// the daemon is finishing the transfers in flight. A daemon that never got
/// ready (a port that could not be bound) announces no stop.
struct StopAnnouncement: Service {
  let readiness: Readiness
  let notifier: SystemdNotifier
  let logger: Logger

  func run() async {
    try? await gracefulShutdown()
    let wasReady = readiness.wasReady
    if wasReady { logger.info("stopping: no new leases; waiting for transfers in flight") }
    readiness.beginStopping()
    if wasReady {
      notifier.notify("STOPPING=1\nSTATUS=stopping: finishing the transfers in flight")
    }
  }
}

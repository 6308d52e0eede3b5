import Logging
import ServiceLifecycle

/// Tells systemd (`READY=1`, with the queue as `STATUS=`) and the log that
/// the daemon runs, once every listener is bound; then feeds the watchdog
/// (`ServiceHeartbeat`) until its turn to stop. It starts early in the
/// daemon's group and so stops late: the pings go on while the transfers in
/// flight finish, and no `WATCHDOG=1` ever comes before `READY=1`.
struct ReadyAnnouncement: Service {
  let readiness: Readiness
  let notifier: SystemdNotifier
  let heartbeat: ServiceHeartbeat
  /// What the "commsd is running" line says about the daemon.
  let running: Logger.Metadata
  let logger: Logger

  func run() async {
    let readiness = readiness
    if await cancelWhenGracefulShutdown({ await readiness.wait() }) {
      notifier.notify("READY=1\nSTATUS=\(await heartbeat.status())")
      logger.info("commsd is running", metadata: running)
      let heartbeat = heartbeat
      await cancelWhenGracefulShutdown { await heartbeat.run() }
    }
    // Without systemd the heartbeat has nothing to do: wait for the turn to
    // stop, since a service that returns before it reads as a failure.
    try? await gracefulShutdown()
  }
}

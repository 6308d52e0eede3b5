import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon: opens the store, takes back the leases of its last run, and
/// runs its loops and listeners as one `ServiceGroup` (see
/// `DaemonServices` for who they are and why in that order). It is itself
/// one service, for `commsd serve`'s group that turns SIGTERM and SIGINT
/// into a graceful shutdown: the daemon's group inherits it and stops its
/// services in reverse order, so leasing stops first, the transfers in
/// flight finish and their outcomes are written before the store's last
/// checkpoint.
public final class Daemon: Service {
  public let configuration: Configuration
  let logger: Logger
  let clock: any WallClock

  public init(configuration: Configuration, logger: Logger, clock: any WallClock = SystemClock()) {
    self.configuration = configuration
    self.logger = logger
    self.clock = clock
  }

  public func run() async throws {
    // SIGHUP would end the process until it is trapped, just below. It is
    // trapped before the sockets and the API exist: a reload asked for as
    // soon as the daemon answers waits in `hangups` for the reload service,
    // which starts after them.
    signal(SIGHUP, SIG_IGN)
    let hangups = await UnixSignalsSequence(trapping: .sighup)
    try CurlGlobal.requireLoaded()
    let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
    let store = try configuration.openStore(for: .daemon)
    let sqlite = store as? SQLiteStore
    let postgres = store as? PostgresStore
    var random = SystemRandomNumberGenerator()
    let leaseOwner = LeaseOwner.current(using: &random)
    // The only daemon on an SQLite store takes back every lease at start;
    // a node of a shared store those that ran out (see LeaseKeeper) and
    // those of commsd processes on this host that are gone.
    var returned = try await store.reclaimLeases(now: clock.now(), all: !store.isShared)
    if let postgres {
      returned += try await postgres.reclaimLeases(ofEndedRunsOf: leaseOwner, now: clock.now())
    }
    if returned > 0 {
      logger.notice(
        "deliveries in flight at the last stop returned to the queue",
        metadata: ["count": "\(returned)"])
    }
    try await store.appendAudit([
      AuditEvent(
        kind: "config.loaded", at: clock.now(), actor: leaseOwner.description,
        detail: ["file": configuration.file, "sha256": configuration.hash])
    ])
    for warning in ConfigurationWarnings.of(configuration) {
      logger.warning("unsafe setting", metadata: ["setting": "\(warning)"])
    }

    let services = try DaemonServices(
      configuration: configuration, store: store, sqlite: sqlite, postgres: postgres,
      owner: leaseOwner.description, hangups: hangups, clock: clock, logger: logger)
    FreedMemory.release()  // what parsing the configuration left behind
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(services: services.inStartOrder, logger: logger))
    var failure: (any Error)?
    do {
      try await group.run()
    } catch {
      failure = error
    }
    if services.dispatcher.transfersInFlight == 0 {
      await services.engine.shutdown()
    }  // else: the stop bound passed; the process ends with them (their leases stay)
    withExtendedLifetime(lock) {}
    if let failure { throw failure }
    logger.info("commsd stopped")
  }
}

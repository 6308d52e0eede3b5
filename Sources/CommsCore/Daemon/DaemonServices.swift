import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon's loops and listeners, built from the configuration and an
/// open store, in the order its `ServiceGroup` starts them. The group stops
/// them in reverse, one at a time, each after the one before has returned:
///
/// 1. the stop announcement: `/readyz` says 503, systemd hears `STOPPING=1`;
/// 2. the reload on SIGHUP;
/// 3. the HTTP API: no "accepted" over HTTP from here on;
/// 4. dispatch: no new leases; the transfers in flight finish (at most
///    `stop_timeout`), the buffered leases go back;
/// 5. planning;
/// 6. the recorder: only now, so the outcomes of the transfers that
///    finished during the stop are written (or they would be sent again);
/// 7. the intake socket: `commsd send` is answered until the loops have
///    stopped (what it takes is durable and planned at the next start);
/// 8. the wake socket and the shared store's notifications;
/// 9. the lease keeper, retention, and the audit head log (which logs the
///    head once more, after the last outcomes);
/// 10. the heartbeat: the watchdog is fed through the whole stop;
/// 11. SQLite's checkpoints, after the last write.
///
/// Planning, dispatch and the `READY=1` heartbeat wait for `Readiness`: a
/// port that cannot be bound fails the API service, and the group then
/// stops before anything was planned or sent. Every service ends the group
/// gracefully when it returns or fails, never by cancellation, which would
/// stop the recorder before the transfers in flight had finished.
struct DaemonServices {
  let engine: CurlEngine
  let dispatcher: Dispatcher
  private(set) var inStartOrder: [ServiceGroupConfiguration.ServiceConfiguration] = []

  /// Builds every service. What can refuse the start (the retention key,
  /// the API's hooks, the sockets' paths) is checked here, before the group
  /// runs anything.
  init(
    configuration: Configuration, store: any Store, sqlite: SQLiteStore?,
    postgres: PostgresStore?, owner: String, hangups: UnixSignalsSequence, clock: any WallClock,
    logger: Logger
  ) throws {
    // Twice the transfer slots: flash may run a second set beside a full load.
    let engine = CurlEngine(maxConnections: max(64, configuration.dispatch.maxInFlight * 2))
    self.engine = engine
    let dispatchBell = Doorbell()
    let planBell = Doorbell()
    let readiness = Readiness()
    let recorder = Recorder(
      store: store, owner: owner, policy: configuration.retry, clock: clock,
      batchLimit: configuration.dispatch.recordBatch, written: dispatchBell, logger: logger)
    // Links to the confirmation page, when readers can reach it.
    let links = try configuration.confirm.publicURL.map { _ in
      try ConfirmLinks.load(configuration.confirm)
    }
    let dispatcher = Dispatcher(
      store: store, owner: owner, configuration: configuration, engine: engine,
      transports: [
        .webhook: WebhookTransport(configuration: configuration, clock: clock, links: links),
        .email: EmailTransport(configuration: configuration, clock: clock, links: links),
      ], recorder: recorder, doorbell: dispatchBell, clock: clock, logger: logger)
    self.dispatcher = dispatcher
    let directory = DirectorySource(configuration: configuration)
    let planning = PlanningLoop(
      store: store, planner: Planner(dosing: Dosing()),
      directory: directory,
      policies: configuration.audiences.mapValues(\.dosing),
      digests: DigestBuilder(store: store, audiences: configuration.audiences), clock: clock,
      pollInterval: configuration.dispatch.pollInterval, doorbell: planBell,
      planned: { dispatcher.workArrived() }, inbound: configuration.inboundPolicy, logger: logger)
    let intakeDesk = DaemonIntake(
      configuration: configuration, store: store, directory: directory, owner: owner,
      planBell: planBell, dispatcher: dispatcher, clock: clock, logger: logger)
    let retention = try Self.retentionLoop(
      configuration: configuration, store: store, clock: clock, logger: logger)
    let api = try configuration.api.map { settings in
      try APIServer(
        configuration: configuration, settings: settings, store: store, intake: intakeDesk,
        planBell: planBell, clock: clock, readiness: readiness, dispatcher: dispatcher,
        attempts: recorder.attempts, logger: logger)
    }
    let notifier = SystemdNotifier()

    if let sqlite { add(SQLiteCheckpoints(store: sqlite), "SQLite checkpoints") }
    add(
      ReadyAnnouncement(
        readiness: readiness, notifier: notifier,
        heartbeat: ServiceHeartbeat(notifier: notifier, store: store),
        running: [
          "config": "\(configuration.file)", "store": "\(configuration.storeDescription)",
          "recipients": "\(configuration.recipients.count)",
        ], logger: logger), "heartbeat")
    add(AuditHeadLog(store: store, logger: logger), "audit head log")
    if let retention { add(retention, "retention") }
    if store.isShared {
      add(LeaseKeeper(store: store, clock: clock, logger: logger), "lease keeper")
    }
    if let shortest = configuration.endpoints.values.compactMap(\.receipts?.timeout).min() {
      add(
        ReceiptDeadlines(store: store, clock: clock, shortestTimeout: shortest, logger: logger),
        "receipt deadlines")
    }
    if let postgres {
      // Other nodes' messages and work, by LISTEN/NOTIFY.
      add(
        SharedStoreNotifications(
          store: postgres, plan: { planBell.ring() }, work: { dispatcher.workArrived() }),
        "shared store notifications")
    }
    let wake = try WakeSocket(path: configuration.wakeSocketPath, doorbell: planBell)
    let intake: IntakeSocket
    do {
      intake = try IntakeSocket(
        path: configuration.intakeSocketPath, logger: logger,
        replies: { reply, peer in await intakeDesk.receive(reply, from: peer) },
        handler: { request, peer in await intakeDesk.accept(request, from: peer) })
    } catch {
      wake.close()
      throw error
    }
    add(wake, "wake socket")
    add(intake, "intake socket")
    add(recorder, "record")
    add(WhenReady(readiness: readiness, service: planning), "planning")
    add(WhenReady(readiness: readiness, service: dispatcher), "dispatch")
    if let api { add(api, "HTTP API") } else { readiness.becomeReady() }
    add(
      ConfigurationReload(
        hangups: hangups, running: configuration, store: store, directory: directory, api: api,
        clock: clock,
        logger: logger), "configuration reload")
    add(
      StopAnnouncement(readiness: readiness, notifier: notifier, logger: logger),
      "stop announcement")
  }

  private mutating func add(_ service: any Service, _ name: String) {
    inStartOrder.append(
      .init(
        service: service, successTerminationBehavior: .gracefullyShutdownGroup,
        failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: name))
  }

  /// The retention loop, when `[retention]` sets a period; its key is read
  /// (or made) now, so a bad key file stops the start, not a pass months later.
  private static func retentionLoop(
    configuration: Configuration, store: any Store, clock: any WallClock, logger: Logger
  ) throws -> RetentionLoop? {
    let settings = configuration.retention
    guard let period = settings.period else {
      logger.notice("no retention period configured: personal data is kept until one is")
      return nil
    }
    let key = try RetentionKey.load(path: settings.keyFile)
    return RetentionLoop(
      store: store, period: period, checkEvery: settings.checkEvery, hash: KeyedHash(key: key),
      clock: clock, logger: logger)
  }
}

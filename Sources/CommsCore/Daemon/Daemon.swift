import Foundation
import Logging
import ServiceLifecycle

/// The daemon: the store, the curl engine, and the planning, dispatching and
/// recording loops, run as one service. On graceful shutdown it stops
/// leasing, lets the transfers in flight finish, writes their outcomes and
/// returns.
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
    // SIGHUP would end the process until the reload handler is in place.
    signal(SIGHUP, SIG_IGN)
    try CurlGlobal.requireLoaded()
    let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
    let store: any Store
    var sqlite: SQLiteStore?
    var postgres: PostgresStore?
    switch configuration.store {
    case .sqlite:
      sqlite = try SQLiteStore(path: configuration.storePath, backgroundCheckpoints: true)
      store = sqlite!
    case .postgres(let url, let password):
      postgres = try PostgresStore(url: url, password: password)
      store = postgres!
    }
    let checkpoints = Task { [sqlite] in await sqlite?.runCheckpoints() }
    defer { checkpoints.cancel() }
    var random = SystemRandomNumberGenerator()
    let leaseOwner = LeaseOwner.current(using: &random)
    let owner = leaseOwner.description
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
        kind: "config.loaded", at: clock.now(), actor: owner,
        detail: ["file": configuration.file, "sha256": configuration.hash])
    ])
    for warning in ConfigurationWarnings.of(configuration) {
      logger.warning("unsafe setting", metadata: ["setting": "\(warning)"])
    }

    // Twice the transfer slots: flash may run a second set beside a full load.
    let engine = CurlEngine(maxConnections: max(64, configuration.dispatch.maxInFlight * 2))
    let dispatchBell = Doorbell()
    let planBell = Doorbell()
    let recorder = Recorder(
      store: store, owner: owner, policy: configuration.retry, clock: clock,
      batchLimit: configuration.dispatch.recordBatch, written: dispatchBell, logger: logger)
    let dispatcher = Dispatcher(
      store: store, owner: owner, configuration: configuration, engine: engine,
      transports: [
        .webhook: WebhookTransport(configuration: configuration, clock: clock),
        .email: EmailTransport(configuration: configuration, clock: clock),
      ], recorder: recorder, doorbell: dispatchBell, clock: clock, logger: logger)
    let directory = DirectorySource(configuration: configuration)
    let planning = PlanningLoop(
      store: store, planner: Planner(dosing: Dosing()),
      directory: directory,
      policies: configuration.audiences.mapValues(\.dosing),
      digests: DigestBuilder(store: store, audiences: configuration.audiences), clock: clock,
      pollInterval: configuration.dispatch.pollInterval, doorbell: planBell,
      planned: { dispatcher.workArrived() }, logger: logger)
    let wake = try WakeSocket(path: configuration.wakeSocketPath, doorbell: planBell)
    defer { wake.close() }
    // Other nodes' messages and work, by LISTEN/NOTIFY.
    let listener = postgres?.listen(
      plan: { planBell.ring() }, work: { dispatcher.workArrived() })
    defer { listener?.stop() }
    let leases = store.isShared ? LeaseKeeper(store: store, clock: clock, logger: logger) : nil
    let leaseTask = leases.map { keeper in Task { await keeper.run() } }
    defer { leaseTask?.cancel() }
    let intakeDesk = DaemonIntake(
      configuration: configuration, store: store, directory: directory, owner: owner,
      planBell: planBell, dispatcher: dispatcher, clock: clock, logger: logger)
    let intake = try IntakeSocket(path: configuration.intakeSocketPath, logger: logger) {
      request, peer in
      await intakeDesk.accept(request, from: peer)
    }
    defer { intake.close() }
    FreedMemory.release()  // what parsing the configuration left behind
    let heads = Task { await AuditHeadLog(store: store, logger: logger).run() }
    defer { heads.cancel() }
    let retention = try retentionLoop(store: store).map { loop in Task { await loop.run() } }
    defer { retention?.cancel() }
    let readiness = Readiness()
    let api = try configuration.api.map { settings in
      var server = try APIServer(
        configuration: configuration, settings: settings, store: store, intake: intakeDesk,
        planBell: planBell, clock: clock, readiness: readiness, logger: logger)
      server.dispatcher = dispatcher
      server.attempts = recorder.attempts
      return server
    }
    let apiTask = try await startAPI(api)
    defer { apiTask?.cancel() }
    let reloader = ConfigurationReload(
      running: configuration, store: store, directory: directory, api: api, clock: clock,
      logger: logger)
    let hangup = Self.onHangup { await reloader.reload() }
    defer { hangup.cancel() }
    readiness.set(true)
    let notifier = SystemdNotifier()
    let heartbeat = ServiceHeartbeat(notifier: notifier, store: store)
    notifier.notify("READY=1\nSTATUS=\(await heartbeat.status())")
    let beats = Task { await heartbeat.run() }
    defer { beats.cancel() }

    logger.info(
      "commsd is running",
      metadata: [
        "config": "\(configuration.file)", "store": "\(configuration.storeDescription)",
        "recipients": "\(configuration.recipients.count)",
      ])
    await withGracefulShutdownHandler {
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await planning.run() }
        group.addTask { await recorder.run() }
        await dispatcher.run()
        planning.stop()
        recorder.stop()
      }
    } onGracefulShutdown: {
      self.logger.info("stopping: no new leases; waiting for transfers in flight")
      readiness.set(false)
      notifier.notify("STOPPING=1\nSTATUS=stopping: finishing the transfers in flight")
      apiTask?.cancel()  // no "accepted" over HTTP from here on
      dispatcher.stop()
    }
    intake.close()  // no "accepted" once the loops have stopped
    apiTask?.cancel()
    _ = await apiTask?.result
    checkpoints.cancel()
    await checkpoints.value
    heads.cancel()
    await heads.value
    retention?.cancel()
    await retention?.value
    leaseTask?.cancel()
    await leaseTask?.value
    if dispatcher.transfersInFlight == 0 {
      await engine.shutdown()
    }  // else: the stop bound passed; the process ends with them (their leases stay)
    withExtendedLifetime(lock) {}
    logger.info("commsd stopped")
  }

  /// The retention loop, when `[retention]` sets a period; its key is read
  /// (or made) now, so a bad key file stops the start, not a pass months later.
  private func retentionLoop(store: any Store) throws -> RetentionLoop? {
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

  /// Starts the HTTP API, if configured, and returns once it listens; a
  /// port that cannot be bound stops the start with the reason.
  private func startAPI(_ api: APIServer?) async throws -> Task<Void, any Error>? {
    guard let api else { return nil }
    let (bound, signal) = AsyncStream<Void>.makeStream()
    let task = Task { try await api.run(bound: { signal.yield() }) }
    let listening = Task {
      for await _ in bound { return true }
      return false
    }
    // Whichever comes first: listening, or the server failing to start.
    let failed = Task { () -> (any Error)? in
      if case .failure(let error) = await task.result {
        signal.finish()
        return error
      }
      return nil
    }
    if await listening.value {
      logger.notice(
        "HTTP API listening",
        metadata: [
          "address": "\(api.settings.host):\(api.settings.port)",
          "tls": "\(api.settings.usesTLS)",
        ])
      return task
    }
    throw await failed.value ?? CancellationError()
  }

  /// Calls `reload` on every SIGHUP (`systemctl reload`), one at a time.
  private static func onHangup(_ reload: @escaping @Sendable () async -> Void)
    -> any DispatchSourceSignal
  {
    let source = DispatchSource.makeSignalSource(
      signal: SIGHUP, queue: DispatchQueue(label: "commsd-sighup"))
    source.setEventHandler {
      let done = DispatchSemaphore(value: 0)
      Task {
        await reload()
        done.signal()
      }
      done.wait()
    }
    source.resume()
    return source
  }
}

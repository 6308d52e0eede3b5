import Foundation
import Logging
import Synchronization

/// Runs the planner in the daemon: picks up accepted messages (oldest first)
/// and writes their deliveries. A message accepted while the daemon was down
/// is planned when it starts: acceptance alone is already durable.
public final class PlanningLoop: StoppableLoop {
  let store: any Store
  let planner: Planner
  let directory: DirectorySource
  /// Each audience's dosing policy.
  let policies: [String: DosingPolicy]
  /// Composes the digests whose slot has come.
  let digests: DigestBuilder
  /// Plans the confirmation waves that are due.
  let waves: ConfirmationWaves
  /// Where reminders of unanswered questions go (`answer_within`).
  let inbound: InboundPolicy
  let clock: any WallClock
  let pollInterval: Duration
  let logger: Logger
  /// Errors of a store that is away, logged once per 10 s with a count.
  let errors: RepeatedErrorLog
  /// Rung by the wake socket when a CLI or API call accepted a message.
  public let doorbell: Doorbell
  /// Called after deliveries were planned.
  let planned: @Sendable () -> Void
  private let stopping = Atomic<Bool>(false)

  public init(
    store: any Store, planner: Planner, directory: DirectorySource,
    policies: [String: DosingPolicy], digests: DigestBuilder, clock: any WallClock,
    pollInterval: Duration,
    doorbell: Doorbell,
    planned: @escaping @Sendable () -> Void, inbound: InboundPolicy = InboundPolicy(),
    logger: Logger
  ) {
    self.inbound = inbound
    self.store = store
    self.planner = planner
    self.directory = directory
    self.policies = policies
    self.digests = digests
    waves = ConfirmationWaves(
      store: store, dosing: planner.dosing, policies: policies, logger: logger)
    self.clock = clock
    self.pollInterval = pollInterval
    self.doorbell = doorbell
    self.planned = planned
    self.logger = logger
    errors = RepeatedErrorLog(logger: logger)
  }

  /// Asks `runUntilStopped()` to return after the message it is planning.
  public func stop() {
    stopping.store(true, ordering: .relaxed)
    doorbell.ring()
  }

  /// Plans until `stop()`, finishing the message it is planning.
  public func runUntilStopped() async {
    while !stopping.load(ordering: .relaxed) {
      do {
        // On a shared store another node may be planning now: then this
        // one waits for the next ring or poll.
        let count = try await store.planningTurn { try await planPending() } ?? 0
        if count > 0 { continue }
      } catch {
        errors.error("planning failed", error)
      }
      await doorbell.wait(timeout: await idleWait())
    }
  }

  /// How long to wait when there is nothing to plan: until the next
  /// scheduled release, but at most the poll interval (so a release is on
  /// time whatever `poll_interval` is).
  private func idleWait() async -> Duration {
    guard let next = try? await store.nextReleaseDate() else { return pollInterval }
    let seconds = next.timeIntervalSince(clock.now())
    // One due already was just looked at and not planned (it waits for
    // approval, or another node plans): the ring or the poll brings it.
    guard seconds > 0 else { return pollInterval }
    return min(pollInterval, .clamped(seconds: seconds) + .milliseconds(1))
  }

  /// Messages planned in one transaction after the first stop being added
  /// once their plans have written this many deliveries.
  static let sharedDeliveries = 1_000

  /// Plans up to a batch of waiting messages; returns how many.
  @discardableResult
  public func planPending() async throws -> Int {
    await reloadDirectoryIfChanged()
    var generator = SystemRandomNumberGenerator()
    if try await digests.buildDue(at: clock.now(), using: &generator) > 0 { planned() }
    if try await waves.planDue(at: clock.now(), directory: directory.current) > 0 { planned() }
    if inbound.reminds, try await store.remindUnanswered(policy: inbound, at: clock.now()) > 0 {
      planned()
    }
    if try await ApprovalTurn(store: store, logger: logger).run(
      at: clock.now(), directory: directory.current, displayNames: inbound.displayNames,
      defaultLanguage: inbound.defaultLanguage) > 0
    {
      planned()
    }
    let messages = try await store.unplannedMessages(limit: 16, now: clock.now())
    let directory = directory.current
    let count = try await plan(messages, directory: directory)
    // Audiences approved after their message went to the others.
    let approved = try await store.approvedUnplannedAudiences(limit: 16)
    for message in approved {
      let plan = planner.streamed(
        message, directory: directory, policies: policies,
        history: try await DosingHistory.needed(
          for: message, policies: policies, store: store, now: clock.now()), at: clock.now())
      try await store.savePlan(plan, approved: message.audiences, at: clock.now())
      logger.info(
        "approved audiences planned",
        metadata: [
          "message": "\(message.id)", "audiences": "\(message.audiences.joined(separator: ","))",
        ])
      planned()
    }
    return count + approved.count
  }

  /// Plans `messages` in order, several to a transaction (`savePlans`);
  /// returns how many it planned. A message that Dose weighs against the
  /// recent ones goes alone, after the ones before it are written, so its
  /// history holds them. A plan that fails is logged and left for the next
  /// turn; the others go on: one message the store refuses must not stop
  /// planning for everyone (before plans were shared, the messages behind
  /// it waited; shared, the ones before it would have too).
  private func plan(_ messages: [Message], directory: RecipientDirectory) async throws -> Int {
    var next = messages[...]
    var count = 0
    // After a shared transaction failed, the rest of the turn goes one by one.
    var alone = false
    while let first = next.first {
      let together =
        alone
        ? next.prefix(0) : next.prefix { !DosingHistory.isNeeded(for: $0, policies: policies) }
      let batch = together.isEmpty ? next.prefix(1) : together
      let now = clock.now()
      var history = DosingHistory()
      if together.isEmpty {
        history = try await DosingHistory.needed(
          for: first, policies: policies, store: store, now: now)
      }
      let plans = batch.map { message in
        planner.streamed(
          message, directory: directory, policies: policies, history: history, at: now)
      }
      let written: Int
      do {
        written = try await store.savePlans(plans, at: now, deliveries: Self.sharedDeliveries)
      } catch {
        if plans.count > 1 {
          // One of them failed and took the others' transaction with it.
          alone = true
          continue
        }
        errors.error("planning a message failed", error, metadata: ["message": "\(first.id)"])
        next = next.dropFirst()
        continue
      }
      for message in batch.prefix(written) {
        logger.info(
          "message planned",
          metadata: ["message": "\(message.id)", "priority": "\(message.priority.rawValue)"])
      }
      planned()
      guard written > 0 else { break }
      count += written
      next = next.dropFirst(written)
    }
    return count
  }

  private func reloadDirectoryIfChanged() async {
    let event: AuditEvent
    // Off the cooperative pool: a reload of a large directory must not hold
    // a thread that a flash intake needs.
    let directory = directory
    switch await OffPool.run({ directory.reloadIfChanged() }) {
    case .unchanged:
      return
    case .reloaded(let count, let hash):
      FreedMemory.release()
      logger.notice("recipient directory reloaded", metadata: ["recipients": "\(count)"])
      event = AuditEvent(
        kind: "config.reloaded", at: clock.now(), actor: "commsd",
        detail: ["scope": "recipients", "recipients": String(count), "sha256": hash])
    case .refused(let errors):
      logger.error(
        "changed configuration refused; the recipient directory in use stays",
        metadata: ["errors": "\(errors)"])
      event = AuditEvent(
        kind: "config.refused", at: clock.now(), actor: "commsd",
        detail: ["scope": "recipients", "errors": errors.description])
    }
    do { try await store.appendAudit([event]) } catch {
      logger.error("cannot write audit event", metadata: ["error": "\(error)"])
    }
  }

}

extension DosingHistory {
  /// Whether Dose weighs `message` against recent messages (`needed`).
  public static func isNeeded(for message: Message, policies: [String: DosingPolicy]) -> Bool {
    guard message.priority >= .normal else { return false }
    return message.audiences.contains { name in
      guard let policy = policies[name] else { return false }
      return policy.cap != nil || policy.minimumGap != nil
    }
  }

  /// The recent messages Dose must weigh for `message`: only for normal and
  /// bulk messages to audiences with a cap or a minimum gap (flash and
  /// urgent are not capped). The planner and the dry run read the same.
  public static func needed(
    for message: Message, policies: [String: DosingPolicy], store: any Store, now: Date
  ) async throws -> DosingHistory {
    guard isNeeded(for: message, policies: policies) else { return DosingHistory() }
    let relevant = message.audiences.compactMap { name in policies[name].map { (name, $0) } }
    let capped = relevant.filter { $0.1.cap != nil }
    let gaps = relevant.compactMap { $0.1.minimumGap }
    let window = capped.map { $0.1.capWindow.seconds }.max() ?? 0
    return try await store.dosingHistory(
      audiences: capped.map(\.0), since: now.addingTimeInterval(-window),
      latestSince: gaps.map(\.seconds).max().map { now.addingTimeInterval(-$0) })
  }
}

import Foundation
import Logging
import Synchronization

/// The fourth stage: leases due deliveries from the store, keeps each
/// endpoint's and relay's concurrency, hands transfers to the curl engine,
/// and gives results to the Recorder.
///
/// The hot path has no task and no thread hop per delivery: the dispatcher's
/// one loop prepares transfers (payload, signature, email) and starts them in
/// batches; each completion runs on the curl thread, classifies the answer
/// and queues its record. A global slot is taken only by a running transfer,
/// so a delivery waiting for a busy endpoint never holds back another
/// endpoint's deliveries.
public final class Dispatcher: StoppableLoop {
  /// What the dispatcher may do with one buffered delivery now.
  private enum Verdict {
    case start
    /// No global slot: nothing more can start this round.
    case full
    /// Its target has no free slot or token yet (soon: keep it in memory).
    case wait(until: Date?)
    /// Its target is paused or its breaker open: back to the store until then.
    case postpone(until: Date)
  }

  let store: any Store
  let owner: String
  let settings: DispatchSettings
  let engine: CurlEngine
  let transports: [Channel: any Transport]
  let defaultRelay: String
  let recorder: Recorder
  let clock: any WallClock
  let logger: Logger
  /// Errors of a store that is away, logged once per 10 s with a count.
  let errors: RepeatedErrorLog
  /// Rung when new deliveries were planned, outcomes written, or slots freed.
  public let doorbell: Doorbell
  private let messages = MessageCache(capacity: 256)
  let withdrawn = WithdrawnMessages()
  let slots: Mutex<DispatchSlots>
  private let stopping = Atomic<Bool>(false)
  private let newWork = Atomic<Bool>(false)
  /// Deliveries leased elsewhere in this daemon (flash at intake), or
  /// handed back unstarted by the engine after a failure in their lane,
  /// waiting to join the buffer at the loop's next turn.
  let handedIn = Mutex<[Delivery]>([])
  /// The ends of leases that failed: they may have been committed all the same.
  let leasesInDoubt = Mutex<ClosedRange<Date>?>(nil)
  /// Deliveries handed to the transport and not finished yet: their leases
  /// are renewed with the buffer's (a transfer may outlast a short lease).
  let inFlight = Mutex(InFlightDeliveries())
  /// Deliveries whose transfer was withdrawn before it started (see
  /// `withdrawNotStarted()`), to be settled at the loop's next turn.
  let notStartedQueue = Mutex<[Delivery]>([])

  public init(
    store: any Store, owner: String, configuration: Configuration, engine: CurlEngine,
    transports: [Channel: any Transport], recorder: Recorder, doorbell: Doorbell,
    clock: any WallClock, logger: Logger
  ) {
    self.store = store
    self.owner = owner
    self.settings = configuration.dispatch
    self.engine = engine
    self.transports = transports
    self.recorder = recorder
    self.doorbell = doorbell
    self.clock = clock
    self.logger = logger
    errors = RepeatedErrorLog(logger: logger)
    var limits: [String: Int] = [:]
    var gates: [String: TargetGate] = [:]
    // A receiver's pause is bounded by the target's max_pause and by the
    // longest retry delay: no answer holds a target longer than a retry.
    func gate(_ settings: TargetGate.Settings) -> TargetGate {
      var settings = settings
      settings.maxPause = min(settings.maxPause, configuration.retry.maxDelay)
      return TargetGate(settings)
    }
    for (name, endpoint) in configuration.endpoints {
      limits["endpoint:\(name)"] = endpoint.concurrency
      gates["endpoint:\(name)"] = gate(endpoint.gate)
    }
    for (name, relay) in configuration.relays {
      limits["relay:\(name)"] = relay.concurrency
      gates["relay:\(name)"] = gate(relay.gate)
    }
    self.slots = Mutex(
      DispatchSlots(limits: limits, gates: gates, defaultLimit: configuration.dispatch.maxInFlight))
    self.defaultRelay = configuration.defaultRelay ?? "none"
  }

  /// Whether each endpoint's and relay's circuit breaker is open now.
  public var breakers: [String: Bool] { slots.withLock { $0.breakers } }

  /// The number of transfers running now.
  public var transfersInFlight: Int { slots.withLock { $0.total } }

  /// Stops leasing; `runUntilStopped()` returns once in-flight transfers have finished.
  public func stop() {
    stopping.store(true, ordering: .relaxed)
    doorbell.ring()
  }

  /// Tells the dispatcher that deliveries were planned: it leases at once,
  /// even with a full buffer, because the new work may be flash.
  public func workArrived() {
    newWork.store(true, ordering: .relaxed)
    doorbell.ring()
  }

  /// Starts deliveries already leased to this dispatcher's owner (a flash
  /// message planned and leased at intake) at once, from the caller's task:
  /// the loop may be busy with a lease or a round of bulk. What cannot
  /// start now (its endpoint is at its limit) joins the buffer at the loop's
  /// next turn, ahead of everything else.
  public func hand(_ deliveries: [Delivery], of message: Message) async {
    guard !deliveries.isEmpty else { return }
    messages[message.id] = message
    var waiting = pending(deliveries)
    if !stopping.load(ordering: .relaxed) {
      _ = await startWhatFits(&waiting)
    }
    guard !waiting.isEmpty else { return }
    handedIn.withLock { $0 += waiting.map(\.delivery) }
    doorbell.ring()
  }

  /// Leases and sends until `stop()` or cancellation, then returns the
  /// leases it had not started and waits for the transfers in flight, at
  /// most `stop_timeout`.
  ///
  /// Leasing is batched: deliveries are leased up to four times the transfer
  /// slots and kept in lane order in memory, and the store is asked again
  /// only when fewer than one round of slots is left, or new work arrived.
  /// One lease transaction thus feeds hundreds of transfers.
  ///
  /// What it holds (buffered and in flight) has its leases renewed every
  /// half lease (see `renewLeasesIfDue`): behind a slow or rate-limited
  /// endpoint a delivery may wait in the buffer longer than its lease, and
  /// on a shared store another node would then take it back and send it too.
  public func runUntilStopped() async {
    var buffer: [Pending] = []
    var lastRenewal = clock.now()
    var blocked = TargetSet()
    var nextToken: Date?
    // When a lease that skipped the busy targets found nothing, do not ask
    // again for a second: such a lease scans every queued row of the busy
    // targets (measured: 19 ms against 0.3 ms), so repeating it every round
    // burned most of the daemon's CPU.
    var skipBusyAgainAt = Date.distantPast
    let capacity = settings.maxInFlight * 4
    while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
      var exhausted = false
      let announced = newWork.exchange(false, ordering: .relaxed)
      // Only deliveries that could start soon count: a buffer full of work
      // for one slow endpoint must not stop leasing for the others.
      // By index: `count(where:)` copied every buffered delivery out.
      let startable =
        blocked.isEmpty
        ? buffer.count : buffer.indices.count { !blocked.contains(buffer[$0].target) }
      if startable < settings.maxInFlight || announced {
        let now = clock.now()
        let excluding = blocked.isEmpty || now < skipBusyAgainAt ? [] : names(of: blocked)
        // Without exclusions the buffer itself is the bound; new work (maybe
        // flash) is always looked at.
        var wanted =
          excluding.isEmpty
          ? capacity - buffer.count : max(settings.maxInFlight, capacity - startable)
        if announced { wanted = max(wanted, settings.maxInFlight) }
        // A lease is a write transaction of its own: topping up a nearly
        // full buffer by a dozen on every turn of the loop was 1,700 lease
        // transactions for 20,000 emails behind a relay of concurrency 16
        // (about 12 deliveries each, against about 210 for webhooks). Lease
        // a round of slots at least, unless the buffer is empty.
        if wanted >= settings.maxInFlight || (wanted > 0 && buffer.isEmpty) {
          let leased = await lease(limit: wanted, excluding: excluding)
          exhausted = leased.count < wanted
          if leased.isEmpty && !excluding.isEmpty { skipBusyAgainAt = now.addingTimeInterval(1) }
          if !leased.isEmpty {
            buffer += pending(leased)
            // Flash first, then by due time.
            buffer.sort {
              ($0.delivery.priority.lane, $0.delivery.dueAt) < (
                $1.delivery.priority.lane, $1.delivery.dueAt
              )
            }
          }
        }
      }
      await withdrawNotStarted()
      let handed = takeHandedIn()
      if !handed.isEmpty {
        // Flash, so its lane sorts it first.
        buffer = pending(handed) + buffer
      }
      buffer = await renewLeasesIfDue(buffer, lastRenewal: &lastRenewal)
      if let doubt = leasesInDoubt.withLock({ $0 }),
        await returnUnconfirmedLeases(doubt, holding: buffer)
      {
        leasesInDoubt.withLock { $0 = nil }
      }
      let before = buffer.count
      if recorder.backlog < outcomeBacklogLimit {
        (blocked, nextToken) = await startWhatFits(&buffer)
      } else {
        // The recorder runs behind (a slow store): bulk waits for it, or
        // outcomes would pile up without bound, and with them what a crash
        // sends twice. Flash still starts. The recorder's writes ring the
        // doorbell.
        let flash = buffer.prefix(while: \.flash)
        if !flash.isEmpty {
          var waiting = Array(flash)
          _ = await startWhatFits(&waiting)
          buffer = waiting + buffer.dropFirst(flash.count)
        }
      }
      if buffer.isEmpty && exhausted {
        await doorbell.wait(timeout: await idleWait())
      } else if buffer.count == before || transfersInFlight >= settings.maxInFlight {
        // Nothing could start: wait for a slot (completions ring) or a token.
        var wait = settings.pollInterval
        if let nextToken {
          wait = min(
            wait, max(.milliseconds(1), .clamped(seconds: nextToken.timeIntervalSince(clock.now())))
          )
        }
        await doorbell.wait(timeout: wait)
      }
    }
    await release(buffer.map(\.delivery) + takeHandedIn())
    let deadline = ContinuousClock.now + settings.stopTimeout
    while transfersInFlight > 0 && ContinuousClock.now < deadline {
      await doorbell.wait(timeout: .milliseconds(50))
    }
    if transfersInFlight > 0 {
      logger.notice(
        "stop bound reached: transfers still in flight keep their leases and go again after the restart",
        metadata: ["count": "\(transfersInFlight)"])
    }
  }

  /// How many outcomes may wait to be written before bulk waits for the
  /// recorder: four batches.
  private var outcomeBacklogLimit: Int { max(settings.recordBatch, settings.maxInFlight) * 4 }

  private func takeHandedIn() -> [Delivery] {
    handedIn.withLock { handed in
      defer { handed.removeAll() }
      return handed
    }
  }

  /// Starts the deliveries in `buffer` that have a free global slot, a free
  /// slot and a token at their endpoint or relay, in order, and removes them
  /// from it; what stays waits. Returns the targets that should not be
  /// leased for now, and when the next token comes. Deliveries of a paused
  /// endpoint or an open breaker go back to the store until then.
  ///
  /// The buffer is worked in place, and once a target has no slot (or no
  /// token) this round its later bulk deliveries are passed over without
  /// a look at the slots: behind a relay of concurrency 16 the loop turns
  /// every four completions, and copying its 256 waiting deliveries out and
  /// back on every turn was 45 µs of CPU per email (issue 25).
  private func startWhatFits(_ buffer: inout [Pending]) async -> (
    blocked: TargetSet, nextToken: Date?
  ) {
    var leaving = [Bool](repeating: false, count: buffer.count)
    // Every target in `buffer` was numbered before this snapshot.
    let (limits, lanes) = slots.withLock { ($0.limits, $0.lanes) }
    var waitingPerTarget = [Int](repeating: 0, count: limits.count)
    // Targets that cannot start bulk this round, and those whose bulk goes
    // back to the store (paused, breaker open) until when.
    var closed = TargetSet()
    var postponing = [Date?](repeating: nil, count: limits.count)
    var postponed: [(DeliveryID, Date)] = []
    var dropped: [(DeliveryID, DeliveryState)] = []
    var withdrawals: [MessageID: DeliveryState?] = [:]
    var nextToken: Date?
    var batch: [TransferOrder] = []
    var generator = SystemRandomNumberGenerator()
    let now = clock.now()
    scan: for index in buffer.indices {
      // One retain, not one per field; the delivery is copied out below.
      let pending = buffer[index]
      let (target, flash) = (pending.target, pending.flash)
      let limit = limits[target]
      if !flash {
        if closed.contains(target) {
          waitingPerTarget[target] += 1
          continue
        }
        if let until = postponing[target] {
          postponed.append((pending.delivery.id, until))
          leaving[index] = true
          continue
        }
      }
      // Flash has its own lane to the transport: it may use a second set of
      // `maxInFlight` slots, so it never waits for bulk transfers to finish
      // (measured before: flash p99 waited ~60 ms for one of 64 busy slots).
      let globalLimit = flash ? settings.maxInFlight * 2 : settings.maxInFlight
      let verdict = slots.withLock { slots -> Verdict in
        switch slots.room(for: target, globalLimit: globalLimit, flash: flash) {
        case .free: break
        case .globalFull: return .full
        case .targetFull:
          if flash { slots.flashWaiting[target] = true }
          return .wait(until: nil)
        }
        switch slots.gates[target]?.admit(at: now, flash: flash) {
        case .none: break
        case .rate(let until): return .wait(until: until)
        case .paused(let until): return .postpone(until: until)
        case .breaker(let until): return .postpone(until: until ?? now.addingTimeInterval(1))
        }
        slots.take(target)
        return .start
      }
      switch verdict {
      case .full:
        break scan  // no global slot: not their targets' fault
      case .wait(let until):
        waitingPerTarget[target] += 1
        if let until { nextToken = min(nextToken ?? until, until) }
        if !flash { closed.insert(target) }
        continue
      case .postpone(let until):
        postponed.append((pending.delivery.id, until))
        leaving[index] = true
        waitingPerTarget[target] += limit * 2  // lease none of it for now
        if !flash { postponing[target] = until }
        continue
      case .start:
        break
      }
      leaving[index] = true
      let messageID = pending.delivery.messageID
      // Withdrawn since it was leased (superseded, cancelled, expired): it
      // was not handed to the transport, so it is not sent. Looked up once
      // per message and round, and only for what is about to start: the
      // buffer is scanned on every turn of the loop.
      let withdrawal: DeliveryState?
      if let known = withdrawals[messageID] {
        withdrawal = known
      } else {
        withdrawal = await self.withdrawal(of: messageID, at: now)
        withdrawals[messageID] = .some(withdrawal)
      }
      if let withdrawal {
        dropped.append((pending.delivery.id, withdrawal))
        release(target)
        continue
      }
      guard let transport = transports[pending.delivery.channel] else {
        let result = AttemptResult.permanent(
          status: 0, reason: "no \(pending.delivery.channel) transport")
        finish(
          pending.delivery, result: result, duration: .zero, target: target, name: pending.name,
          using: &generator)
        continue
      }
      switch await prepare(pending, with: transport) {
      case .finished(let result):
        finish(
          pending.delivery, result: result, duration: .zero, target: target, name: pending.name,
          using: &generator)
      case .transfer(let request):
        let place = inFlight.withLock { $0.insert(pending.delivery.id) }
        batch.append(
          TransferOrder(request, lane: lanes[target], urgent: flash, tag: messageID.rawValue) {
            response in
            if let reason = response.unstarted {
              self.notStarted(pending.delivery, target: target, place: place, because: reason)
              return
            }
            var generator = SystemRandomNumberGenerator()
            self.finish(
              pending.delivery, result: transport.classify(response, for: pending.delivery),
              duration: response.duration, target: target, name: pending.name, place: place,
              using: &generator)
          })
      }
    }
    // What stays keeps its order; moved, not copied.
    var kept = 0
    for index in buffer.indices where !leaving[index] {
      if kept != index { buffer.swapAt(kept, index) }
      kept += 1
    }
    buffer.removeLast(buffer.count - kept)
    engine.start(batch)
    if !postponed.isEmpty { await postpone(postponed) }
    if !dropped.isEmpty { await settle(dropped) }
    // A target with more waiting than it can start in a while is not leased.
    var blocked = TargetSet()
    for (target, count) in waitingPerTarget.enumerated() where count >= max(8, 2 * limits[target]) {
      blocked.insert(target)
    }
    return (blocked, nextToken)
  }

  /// Whether message `id` was withdrawn, or has expired, by now.
  private func withdrawal(of id: MessageID, at now: Date) async -> DeliveryState? {
    if let state = withdrawn[id] { return state }
    if let expiresAt = await message(id)?.expiresAt, expiresAt <= now { return .expired }
    return nil
  }

  /// Gives back the slots taken for a delivery that is not started after all.
  private func release(_ target: Int) {
    slots.withLock { _ = $0.free(target) }
  }

  private func prepare(_ pending: Pending, with transport: any Transport) async
    -> PreparedAttempt
  {
    guard let message = await message(pending.delivery.messageID) else {
      return .finished(
        .transient(status: 0, reason: "message not readable from the store", retryAfter: nil))
    }
    return transport.prepare(pending.delivery, message: message)
  }

  /// Records an attempt's result and frees its slots. Runs on the curl
  /// thread for transfers: no I/O here, only the record queued for the
  /// Recorder's next batch.
  private func finish(
    _ delivery: Delivery, result: AttemptResult, duration: Duration, target: Int, name: String,
    place: Int? = nil, using generator: inout some RandomNumberGenerator
  ) {
    let record = recorder.makeRecord(
      for: delivery, result: result, duration: duration, target: name, using: &generator)
    if record.newState == .dead {
      // No reason text here: a relay's answer often repeats the address
      // (`550 <x@y>: rejected`), and logs carry no addresses. The reason is
      // in the store: `commsd status`, the audit log.
      logger.warning(
        "delivery failed for good",
        metadata: [
          "delivery": "\(delivery.id)", "target": "\(name)", "status": "\(record.statusCode)",
        ])
    }
    recorder.add(record)
    if let place { inFlight.withLock { $0.remove(at: place) } }
    // Wake the loop when it has room to act on, once per descent: when the
    // transfers in flight fall to three quarters of the slots in total, or
    // this endpoint's to its wake level (half its deck gone; see
    // `DispatchSlots`), or at once when a flash delivery waits for it.
    // Waking it whenever a full endpoint got one slot back was a wake-up, a
    // turn of the loop and a curl wake-up per delivery: 1.1 context
    // switches per webhook (issue 25).
    let now = clock.now()
    let wake = slots.withLock { slots -> Bool in
      slots.gates[target]?.record(result, at: now)
      let totalFell = slots.free(target)
      let flashWaited = slots.flashWaiting[target]
      slots.flashWaiting[target] = false
      return flashWaited
        || (totalFell && slots.total == DispatchSlots.wakeLevel(settings.maxInFlight))
        || slots.perTarget[target] == slots.wakeLevel(of: target)
    }
    if wake { doorbell.ring() }
  }

  /// How long to wait when there is nothing to do: until the next retry is
  /// due, but at most the poll interval.
  private func idleWait() async -> Duration {
    guard let next = try? await store.nextDueDate() else { return settings.pollInterval }
    let seconds = next.timeIntervalSince(clock.now())
    if seconds <= 0 { return .milliseconds(1) }
    return min(settings.pollInterval, .clamped(seconds: seconds) + .milliseconds(1))
  }

  private func message(_ id: MessageID) async -> Message? {
    if let message = messages[id] { return message }
    guard let message = try? await store.message(id) else { return nil }
    messages[id] = message
    return message
  }
}

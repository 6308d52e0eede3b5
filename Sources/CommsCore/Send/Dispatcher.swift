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
public final class Dispatcher: Sendable {
  /// Transfers running now, in total and per endpoint or relay.
  private struct Slots {
    var total = 0
    var perTarget: [String: Int] = [:]
  }

  let store: any Store
  let owner: String
  let settings: DispatchSettings
  let engine: CurlEngine
  let transports: [Channel: any Transport]
  let limits: [String: Int]
  let defaultRelay: String
  let recorder: Recorder
  let clock: any WallClock
  let logger: Logger
  /// Rung when new deliveries were planned, outcomes written, or slots freed.
  public let doorbell: Doorbell
  private let messages = MessageCache(capacity: 256)
  private let slots = Mutex(Slots())
  private let stopping = Atomic<Bool>(false)
  private let newWork = Atomic<Bool>(false)

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
    var limits: [String: Int] = [:]
    for (name, endpoint) in configuration.endpoints {
      limits["endpoint:\(name)"] = endpoint.concurrency
    }
    for (name, relay) in configuration.relays { limits["relay:\(name)"] = relay.concurrency }
    self.limits = limits
    self.defaultRelay = configuration.defaultRelay ?? "none"
  }

  /// The number of transfers running now.
  public var transfersInFlight: Int { slots.withLock { $0.total } }

  /// Stops leasing; `run()` returns once in-flight transfers have finished.
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

  /// Leases and sends until `stop()` or cancellation, then waits for the
  /// transfers in flight and returns the leases it had not started.
  ///
  /// Leasing is batched: deliveries are leased up to four times the transfer
  /// slots and kept in lane order in memory, and the store is asked again
  /// only when fewer than one round of slots is left, or new work arrived.
  /// One lease transaction thus feeds hundreds of transfers.
  public func run() async {
    var buffer: [Delivery] = []
    let capacity = settings.maxInFlight * 4
    while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
      var exhausted = false
      let announced = newWork.exchange(false, ordering: .relaxed)
      if buffer.count < settings.maxInFlight || announced {
        let wanted = capacity - buffer.count
        let leased = await lease(limit: wanted)
        exhausted = leased.count < wanted
        if !leased.isEmpty {
          buffer += leased
          // Flash first, then by due time.
          buffer.sort { ($0.priority.lane, $0.dueAt) < ($1.priority.lane, $1.dueAt) }
        }
      }
      let before = buffer.count
      buffer = await startWhatFits(buffer)
      if buffer.isEmpty && exhausted {
        await doorbell.wait(timeout: await idleWait())
      } else if buffer.count == before || transfersInFlight >= settings.maxInFlight {
        // Nothing could start: wait for a slot (completions ring).
        await doorbell.wait(timeout: settings.pollInterval)
      }
    }
    while transfersInFlight > 0 { await doorbell.wait(timeout: .milliseconds(50)) }
    await release(buffer)
  }

  /// Starts the deliveries in `buffer` that have a free global slot and a
  /// free slot at their endpoint or relay, in order; returns the rest.
  private func startWhatFits(_ buffer: [Delivery]) async -> [Delivery] {
    var waiting: [Delivery] = []
    var batch: [(request: CurlRequest, completion: @Sendable (CurlResponse) -> Void)] = []
    var generator = SystemRandomNumberGenerator()
    for (index, delivery) in buffer.enumerated() {
      let target = target(of: delivery)
      let limit = limits[target] ?? settings.maxInFlight
      let reserved = slots.withLock { slots -> Bool? in
        guard slots.total < settings.maxInFlight else { return nil }
        guard slots.perTarget[target, default: 0] < limit else { return false }
        slots.total += 1
        slots.perTarget[target, default: 0] += 1
        return true
      }
      guard let reserved else {
        waiting += buffer[index...]
        break
      }
      guard reserved else {
        waiting.append(delivery)
        continue
      }
      let prepared = await prepare(delivery)
      switch prepared {
      case .finished(let result):
        finish(delivery, result: result, duration: .zero, target: target, using: &generator)
      case .transfer(let request):
        let transport = transports[delivery.channel]!
        batch.append(
          (
            request,
            { response in
              var generator = SystemRandomNumberGenerator()
              self.finish(
                delivery, result: transport.classify(response), duration: response.duration,
                target: target, using: &generator)
            }
          ))
      }
    }
    engine.start(batch)
    return waiting
  }

  private func prepare(_ delivery: Delivery) async -> PreparedAttempt {
    guard let transport = transports[delivery.channel] else {
      return .finished(.permanent(status: 0, reason: "no \(delivery.channel) transport"))
    }
    guard let message = await message(delivery.messageID) else {
      return .finished(
        .transient(status: 0, reason: "message not readable from the store", retryAfter: nil))
    }
    return transport.prepare(delivery, message: message)
  }

  /// Records an attempt's result and frees its slots. Runs on the curl
  /// thread for transfers: no I/O here, only the record queued for the
  /// Recorder's next batch.
  private func finish(
    _ delivery: Delivery, result: AttemptResult, duration: Duration, target: String,
    using generator: inout some RandomNumberGenerator
  ) {
    let record = recorder.makeRecord(
      for: delivery, result: result, duration: duration, target: target, using: &generator)
    if record.newState == .dead {
      logger.warning(
        "delivery failed for good",
        metadata: [
          "delivery": "\(delivery.id)", "target": "\(target)", "reason": "\(record.error ?? "")",
        ])
    }
    recorder.add(record)
    let limit = limits[target] ?? settings.maxInFlight
    // Wake the loop only when it has room to act on: a quarter of the slots
    // free, or a full endpoint got a slot back (work may wait for exactly it).
    let wake = slots.withLock { slots -> Bool in
      let wasFull = slots.perTarget[target, default: 0] >= limit
      slots.total -= 1
      slots.perTarget[target, default: 0] -= 1
      return wasFull || slots.total <= settings.maxInFlight * 3 / 4
    }
    if wake { doorbell.ring() }
  }

  private func target(of delivery: Delivery) -> String {
    switch delivery.contact {
    case .email: "relay:\(defaultRelay)"
    case .webhook(let endpoint, _): "endpoint:\(endpoint)"
    }
  }

  private func lease(limit: Int) async -> [Delivery] {
    let now = clock.now()
    do {
      return try await store.lease(
        owner: owner, now: now, until: now.addingTimeInterval(settings.leaseDuration.seconds),
        limit: limit)
    } catch {
      logger.error("cannot lease deliveries", metadata: ["error": "\(error)"])
      return []
    }
  }

  /// Gives leased, unstarted deliveries back to the queue at shutdown, so
  /// the next start (or another node) sends them without waiting for the lease.
  private func release(_ deliveries: [Delivery]) async {
    guard !deliveries.isEmpty else { return }
    do {
      try await store.release(deliveries.map(\.id), owner: owner, at: clock.now())
    } catch {
      logger.error(
        "cannot return unstarted deliveries; their leases expire instead",
        metadata: ["error": "\(error)", "count": "\(deliveries.count)"])
    }
  }

  /// How long to wait when there is nothing to do: until the next retry is
  /// due, but at most the poll interval.
  private func idleWait() async -> Duration {
    guard let next = try? await store.nextDueDate() else { return settings.pollInterval }
    let seconds = next.timeIntervalSince(clock.now())
    if seconds <= 0 { return .milliseconds(1) }
    return min(settings.pollInterval, .milliseconds(Int64(seconds * 1000) + 1))
  }

  private func message(_ id: MessageID) async -> Message? {
    if let message = messages[id] { return message }
    guard let message = try? await store.message(id) else { return nil }
    messages[id] = message
    return message
  }
}

/// Recently used messages, so a fan-out to thousands reads its message once.
final class MessageCache: Sendable {
  private let entries = Mutex<[MessageID: Message]>([:])
  let capacity: Int

  init(capacity: Int) { self.capacity = capacity }

  subscript(id: MessageID) -> Message? {
    get { entries.withLock { $0[id] } }
    set {
      entries.withLock { entries in
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[id] = newValue
      }
    }
  }
}

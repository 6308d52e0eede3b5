import Foundation
import Logging
import Synchronization

/// The fourth stage: leases due deliveries from the store, keeps each
/// endpoint's and relay's concurrency, hands deliveries to their transport,
/// and gives results to the Recorder.
///
/// It leases only as many deliveries as it has free transfer slots, so leases
/// are not held by deliveries that merely wait in memory.
public final class Dispatcher: Sendable {
  let store: any Store
  let owner: String
  let settings: DispatchSettings
  let transports: [Channel: any Transport]
  let limiters: [String: AsyncLimiter]
  let defaultRelay: String
  let recorder: Recorder
  let clock: any WallClock
  let logger: Logger
  /// Rung when new deliveries were planned or outcomes written.
  public let doorbell: Doorbell
  private let messages = MessageCache(capacity: 256)
  private let inFlight = Mutex(0)
  private let stopping = Atomic<Bool>(false)
  private let newWork = Atomic<Bool>(false)

  public init(
    store: any Store, owner: String, configuration: Configuration,
    transports: [Channel: any Transport],
    recorder: Recorder, doorbell: Doorbell, clock: any WallClock, logger: Logger
  ) {
    self.store = store
    self.owner = owner
    self.settings = configuration.dispatch
    self.transports = transports
    self.recorder = recorder
    self.doorbell = doorbell
    self.clock = clock
    self.logger = logger
    var limiters: [String: AsyncLimiter] = [:]
    for (name, endpoint) in configuration.endpoints {
      limiters["endpoint:\(name)"] = AsyncLimiter(limit: endpoint.concurrency)
    }
    for (name, relay) in configuration.relays {
      limiters["relay:\(name)"] = AsyncLimiter(limit: relay.concurrency)
    }
    self.limiters = limiters
    self.defaultRelay = configuration.defaultRelay ?? "none"
  }

  /// The number of transfers running now.
  public var transfersInFlight: Int { inFlight.withLock { $0 } }

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
    await withDiscardingTaskGroup { group in
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
        let free = max(0, settings.maxInFlight - transfersInFlight)
        let starting = buffer.prefix(free)
        for delivery in starting {
          inFlight.withLock { $0 += 1 }
          group.addTask {
            await self.deliver(delivery)
            self.inFlight.withLock { $0 -= 1 }
            self.doorbell.ring()
          }
        }
        buffer.removeFirst(starting.count)
        if buffer.isEmpty && exhausted {
          await doorbell.wait(timeout: await idleWait())
        } else if transfersInFlight >= settings.maxInFlight {
          await doorbell.wait(timeout: settings.pollInterval)
        }
      }
    }
    await release(buffer)
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
    guard transfersInFlight < settings.maxInFlight, let next = try? await store.nextDueDate() else {
      return settings.pollInterval
    }
    let seconds = next.timeIntervalSince(clock.now())
    if seconds <= 0 { return .milliseconds(1) }
    return min(settings.pollInterval, .milliseconds(Int64(seconds * 1000) + 1))
  }

  private func deliver(_ delivery: Delivery) async {
    let target: String =
      switch delivery.contact {
      case .email: "relay:\(defaultRelay)"
      case .webhook(let endpoint, _): "endpoint:\(endpoint)"
      }
    var generator = SystemRandomNumberGenerator()
    guard let message = await message(delivery.messageID) else {
      let record = recorder.makeRecord(
        for: delivery,
        result: .transient(
          status: 0, reason: "message not readable from the store", retryAfter: nil),
        duration: .zero, target: target, using: &generator)
      recorder.add(record)
      return
    }
    guard let transport = transports[delivery.channel] else {
      recorder.add(
        recorder.makeRecord(
          for: delivery, result: .permanent(status: 0, reason: "no \(delivery.channel) transport"),
          duration: .zero,
          target: target, using: &generator))
      return
    }
    let limiter = limiters[target]
    let started = ContinuousClock.now
    let result: AttemptResult
    if let limiter {
      result = await limiter.run { await transport.send(delivery, message: message) }
    } else {
      result = await transport.send(delivery, message: message)
    }
    let record = recorder.makeRecord(
      for: delivery, result: result, duration: ContinuousClock.now - started, target: target,
      using: &generator)
    if case .dead = record.newState {
      logger.warning(
        "delivery failed for good",
        metadata: [
          "delivery": "\(delivery.id)", "target": "\(target)", "reason": "\(record.error ?? "")",
        ])
    }
    recorder.add(record)
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

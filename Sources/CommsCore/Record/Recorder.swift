import Foundation
import Logging
import Synchronization

/// The last stage: turns attempt results into state changes (delivered, retry
/// at a time, dead) and writes them in batches, one transaction and one fsync
/// per batch (group commit).
public final class Recorder: StoppableLoop {
  let store: any Store
  let owner: String
  let policy: RetryPolicy
  let clock: any WallClock
  let batchLimit: Int
  let logger: Logger
  /// Errors of a store that is away, logged once per 10 s with a count.
  let errors: RepeatedErrorLog
  /// Records queued for the next batch, and the deliveries of the batch
  /// being written: until written, their leases are still needed.
  private let queue = Mutex(Queue())
  private struct Queue {
    var pending: [AttemptRecord] = []
    var writing: [DeliveryID] = []
  }
  private let doorbell = Doorbell()
  private let stopping = Atomic<Bool>(false)
  /// Rung after each written batch, so the dispatcher can look for retries due.
  let written: Doorbell

  /// Attempt durations, for `/metrics`.
  public let attempts = DurationHistogram.attempts()

  public init(
    store: any Store, owner: String, policy: RetryPolicy, clock: any WallClock, batchLimit: Int,
    written: Doorbell, logger: Logger
  ) {
    self.store = store
    self.owner = owner
    self.policy = policy
    self.clock = clock
    self.batchLimit = batchLimit
    self.written = written
    self.logger = logger
    errors = RepeatedErrorLog(logger: logger)
  }

  /// The record for one attempt's result: which state it leads to, and when a
  /// retry is due.
  public func makeRecord(
    for delivery: Delivery, result: AttemptResult, duration: Duration, target: String,
    using generator: inout some RandomNumberGenerator
  ) -> AttemptRecord {
    let now = clock.now()
    let attempt = delivery.attempts + 1
    var state: DeliveryState
    var due: Date?
    var status = 0
    var error: String?
    var reference: String?
    switch result {
    case .delivered(let code):
      state = .delivered
      status = code
    case .accepted(let code, let providerRef, let within):
      // The receipt deadline is the delivery's due time while it is sent.
      state = .sent
      status = code
      reference = providerRef
      due = now.addingTimeInterval(within.seconds)
    case .permanent(let code, let reason):
      state = .dead
      status = code
      error = reason
    case .transient(let code, let reason, let retryAfter):
      status = code
      error = reason
      due = policy.nextAttempt(
        afterAttempt: attempt, now: now, createdAt: delivery.createdAt, retryAfter: retryAfter,
        using: &generator)
      state = due == nil ? .dead : .retrying
      if due == nil {
        error = "\(reason); gave up after \(DurationText.format(policy.giveUpAfter))"
      }
    }
    return AttemptRecord(
      deliveryID: delivery.id, messageID: delivery.messageID, newState: state, dueAt: due, at: now,
      target: target, statusCode: status, error: error, duration: duration, attempt: attempt,
      providerRef: reference)
  }

  /// Queues a record for the next batch.
  public func add(_ record: AttemptRecord) {
    attempts.observe(record.target, record.newState.rawValue, seconds: record.duration.seconds)
    queue.withLock { $0.pending.append(record) }
    doorbell.ring()
  }

  /// The deliveries whose outcome is known but not written yet. They are
  /// still `sending` under this node's lease: the dispatcher renews their
  /// leases with those it holds, or a recorder running behind would let
  /// them run out and another node (or this one) send them again.
  public var unwritten: [DeliveryID] {
    queue.withLock { $0.writing + $0.pending.map(\.deliveryID) }
  }

  /// How many outcomes wait to be written (see `unwritten`).
  public var backlog: Int { queue.withLock { $0.writing.count + $0.pending.count } }

  /// Writes batches until `stop()`; then writes what is left and returns.
  /// Not stopped by cancellation itself: outcomes of transfers that happened
  /// must be written, or they would be sent again. In the daemon's group the
  /// recorder's turn to stop comes after dispatch has stopped and its
  /// transfers in flight have finished (see `DaemonServices`).
  public func runUntilStopped() async {
    while !stopping.load(ordering: .relaxed) {
      await flush()
      await doorbell.wait(timeout: .milliseconds(200))
      // Group commit: give a trickle of outcomes 2 ms to become a batch, so
      // one fsync covers many (the cost of one fsync dwarfs the wait).
      if queue.withLock({ $0.pending.count }) < batchLimit / 4 {
        try? await Task.sleep(for: .milliseconds(2))
      }
    }
    await flush()
  }

  /// Asks `runUntilStopped()` to write what is queued and return.
  public func stop() {
    stopping.store(true, ordering: .relaxed)
    doorbell.ring()
  }

  /// Writes everything queued so far.
  public func flush() async {
    while true {
      let batch = queue.withLock { queue -> [AttemptRecord] in
        let batch = Array(queue.pending.prefix(batchLimit))
        queue.pending.removeFirst(batch.count)
        queue.writing = batch.map(\.deliveryID)
        return batch
      }
      guard !batch.isEmpty else { return }
      var delay = Duration.milliseconds(50)
      while true {
        do {
          let skipped = try await store.record(batch, owner: owner)
          if skipped > 0 {
            logger.warning(
              "outcomes skipped: lease no longer held", metadata: ["count": "\(skipped)"])
          }
          queue.withLock { $0.writing = [] }
          break
        } catch {
          // The transfer happened; losing its record would re-send it. Keep
          // trying: a busy or full disk must not turn into lost outcomes.
          // At most a quarter of a second apart: an outage such as a
          // database failover ends at an instant, and bulk sending waits
          // for these writes (a failed try against a store that is away
          // costs a refused connection, not load; one against a host that
          // does not answer waits out libpq's connect_timeout anyway).
          errors.error(
            "cannot write outcomes, retrying", error, metadata: ["count": "\(batch.count)"])
          try? await Task.sleep(for: delay)
          delay = min(delay * 2, .milliseconds(250))
        }
      }
      written.ring()
      // Nothing more to write: the caller's wait for the next records
      // leaves the lock free (a pause here too was a second timer per batch).
      if queue.withLock({ $0.pending.isEmpty }) { return }
      // Between two batches, leave the store's write lock free for a moment,
      // so a `commsd send` in another process gets its turn under a backlog.
      try? await Task.sleep(for: .microseconds(300))
    }
  }
}

import Synchronization

/// Everyday intakes (normal and bulk priority) that arrive while the writer
/// is busy are written together: one transaction and one fsync for all of
/// them, each in its own savepoint so that one refusal (an idempotency
/// conflict) does not touch the others. Every caller hears its own outcome
/// only after the commit, so "accepted" still means durable.
///
/// Measured before (HTTP enqueue bench, 16 connections): one transaction and
/// about one fdatasync per request, 650–800 µs of CPU each.
final class IntakeBatch: Sendable {
  struct Item: Sendable {
    var message: Message
    var fingerprint: String
    var continuation: CheckedContinuation<AcceptOutcome, any Error>
  }

  private struct Queue {
    var items: [Item] = []
    var draining = false
  }

  private let queue = Mutex(Queue())
  /// At most this many intakes in one transaction.
  static let limit = 64

  /// Queues `item`; true when the caller must start draining.
  func add(_ item: Item) -> Bool {
    queue.withLock { queue in
      queue.items.append(item)
      guard !queue.draining else { return false }
      queue.draining = true
      return true
    }
  }

  /// The next intakes to write; empty (and no longer draining) when none wait.
  func next() -> [Item] {
    queue.withLock { queue in
      guard !queue.items.isEmpty else {
        queue.draining = false
        return []
      }
      let taken = Array(queue.items.prefix(Self.limit))
      queue.items.removeFirst(taken.count)
      return taken
    }
  }
}

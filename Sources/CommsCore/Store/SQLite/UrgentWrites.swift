import Synchronization

/// Lets an intake jump the daemon's queue of writes.
///
/// GRDB runs one process's writes one after another, in the order asked.
/// Under a backlog the recorder, the leaser and the planner keep that queue
/// a few transactions deep, each up to some milliseconds long; a flash
/// message's intake would wait behind all of them. Flash and urgent intake
/// writes (and cancellations) count themselves here while they wait, and
/// the bulk writers look before they queue another transaction: while an
/// intake waits, they hold back (at most `maxHold`, so a stuck count cannot
/// stop the daemon). The intake then waits for at most the transaction
/// already running. Everyday intakes do not count: a stream of them would
/// hold delivery back the whole time (see `SQLiteStore.accept`).
final class UrgentWrites: Sendable {
  private let waiting = Atomic<Int>(0)
  static let maxHold = Duration.milliseconds(50)

  /// Whether an urgent write waits now.
  var isWaiting: Bool { waiting.load(ordering: .relaxed) > 0 }

  /// Runs `body` (a write) counted as urgent.
  func run<T>(_ body: () async throws -> T) async rethrows -> T {
    waiting.add(1, ordering: .relaxed)
    defer { waiting.subtract(1, ordering: .relaxed) }
    return try await body()
  }

  /// Returns at once unless an urgent write waits; then once none does, or
  /// after `maxHold`.
  func yield() async {
    guard waiting.load(ordering: .relaxed) > 0 else { return }
    let clock = ContinuousClock()
    let deadline = clock.now + Self.maxHold
    while waiting.load(ordering: .relaxed) > 0 && clock.now < deadline {
      try? await Task.sleep(for: .microseconds(200))
    }
  }
}

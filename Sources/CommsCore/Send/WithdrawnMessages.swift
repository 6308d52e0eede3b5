import Foundation
import Synchronization

/// The messages withdrawn lately (superseded, cancelled, expired), as the
/// dispatcher needs to know them: deliveries it leased but has not started
/// are dropped rather than sent. Read from the store's `withdrawals` log at
/// most every `interval`; a withdrawal made by another process (a
/// `commsd cancel`) is thus seen within that time, and a delivery started
/// before is one "already handed to the transport".
final class WithdrawnMessages: Sendable {
  private struct State {
    var sequence = 0
    var states: [MessageID: DeliveryState] = [:]
    var readAt: ContinuousClock.Instant?
  }
  private let state = Mutex(State())
  let interval: Duration
  /// Old entries are forgotten past this many: their deliveries are long gone.
  static let capacity = 10_000

  init(interval: Duration = .milliseconds(100)) {
    self.interval = interval
  }

  subscript(id: MessageID) -> DeliveryState? { state.withLock { $0.states[id] } }

  /// Reads new withdrawals from `store` if the last read is `interval` old;
  /// returns the messages newly withdrawn.
  @discardableResult
  func refresh(from store: any Store) async -> [MessageID] {
    let now = ContinuousClock.now
    let sequence = state.withLock { state -> Int? in
      if let readAt = state.readAt, now - readAt < interval { return nil }
      state.readAt = now
      return state.sequence
    }
    guard let sequence, let new = try? await store.withdrawals(after: sequence), !new.isEmpty
    else { return [] }
    state.withLock { state in
      if state.states.count + new.count > Self.capacity { state.states.removeAll() }
      for (seq, id, withdrawal) in new {
        state.states[id] = withdrawal
        state.sequence = max(state.sequence, seq)
      }
    }
    return new.map(\.1)
  }
}

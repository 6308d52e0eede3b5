import Synchronization

/// Whether the daemon is ready: the store is open and every listener is
/// bound. `/readyz` answers from it, and the loops that plan and send wait
/// for it, so a port that cannot be bound stops the start before anything
/// is planned or sent. Cleared for good when the daemon begins to stop.
final class Readiness: Sendable {
  private enum Phase {
    case starting
    case ready
    case stopping
  }

  private struct State {
    var phase = Phase.starting
    var wasReady = false
    var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    var nextWaiter = 0
  }

  private let state = Mutex(State())

  var isReady: Bool { state.withLock { $0.phase == .ready } }

  /// Whether the daemon got as far as ready (so its stop is worth announcing).
  var wasReady: Bool { state.withLock { $0.wasReady } }

  /// Every listener is bound: waiters go on.
  func becomeReady() { settle(.ready) }

  /// The daemon stops (or never got ready): waiters give up.
  func beginStopping() { settle(.stopping) }

  /// True once the daemon is ready; false when it stops first, or the
  /// waiting task is cancelled.
  func wait() async -> Bool {
    let id = state.withLock { state -> Int in
      state.nextWaiter += 1
      return state.nextWaiter
    }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let answer = state.withLock { state -> Bool? in
          switch state.phase {
          case .ready: return true
          case .stopping: return false
          case .starting:
            if Task.isCancelled { return false }
            state.waiters[id] = continuation
            return nil
          }
        }
        if let answer { continuation.resume(returning: answer) }
      }
    } onCancel: {
      state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
    }
  }

  private func settle(_ phase: Phase) {
    let (waiters, answer) = state.withLock { state -> ([CheckedContinuation<Bool, Never>], Bool) in
      if state.phase != .stopping { state.phase = phase }
      if state.phase == .ready { state.wasReady = true }
      defer { state.waiters = [:] }
      return (Array(state.waiters.values), state.phase == .ready)
    }
    for waiter in waiters { waiter.resume(returning: answer) }
  }
}

import Synchronization

/// Lets at most `limit` tasks through at once; the others wait in order.
/// Used for each endpoint's and relay's concurrency.
public final class AsyncLimiter: Sendable {
  private struct State {
    var available: Int
    var waiters: [CheckedContinuation<Void, Never>] = []
  }
  private let state: Mutex<State>

  public init(limit: Int) { state = Mutex(State(available: max(1, limit))) }

  /// Runs `body` once a slot is free.
  public func run<T: Sendable>(_ body: () async -> T) async -> T {
    await acquire()
    defer { release() }
    return await body()
  }

  private func acquire() async {
    let acquired = state.withLock { state -> Bool in
      guard state.available > 0 else { return false }
      state.available -= 1
      return true
    }
    if acquired { return }
    await withCheckedContinuation { continuation in
      let now = state.withLock { state -> Bool in
        if state.available > 0 {
          state.available -= 1
          return true
        }
        state.waiters.append(continuation)
        return false
      }
      if now { continuation.resume() }
    }
  }

  private func release() {
    let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
      if state.waiters.isEmpty {
        state.available += 1
        return nil
      }
      return state.waiters.removeFirst()
    }
    next?.resume()
  }
}

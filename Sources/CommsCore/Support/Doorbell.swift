import Synchronization

/// Wakes one waiting loop when there is new work. A ring while nobody waits
/// is remembered, so no wake-up is lost between "checked for work" and "wait".
public final class Doorbell: Sendable {
  private struct State {
    var rung = false
    var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    var nextID = 0
  }
  private let state = Mutex(State())

  public init() {}

  public func ring() {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      if let waiter = state.waiter {
        state.waiter = nil
        return waiter.continuation
      }
      state.rung = true
      return nil
    }
    waiter?.resume()
  }

  /// Whether a loop waits on it now (for tests).
  var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

  /// Returns when rung (now or earlier), when `timeout` passes, or on cancellation.
  public func wait(timeout: Duration) async {
    let id = state.withLock { state -> Int? in
      if state.rung {
        state.rung = false
        return nil
      }
      state.nextID += 1
      return state.nextID
    }
    guard let id else { return }
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        await withTaskCancellationHandler {
          await withCheckedContinuation { continuation in
            let resumeNow = self.state.withLock { state -> Bool in
              if state.rung || Task.isCancelled {
                state.rung = false
                return true
              }
              state.waiter = (id, continuation)
              return false
            }
            if resumeNow { continuation.resume() }
          }
        } onCancel: {
          self.resumeWaiter(id: id)
        }
      }
      group.addTask { try? await Task.sleep(for: timeout) }
      await group.next()
      group.cancelAll()
    }
  }

  private func resumeWaiter(id: Int) {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      guard let waiter = state.waiter, waiter.id == id else { return nil }
      state.waiter = nil
      return waiter.continuation
    }
    waiter?.resume()
  }
}

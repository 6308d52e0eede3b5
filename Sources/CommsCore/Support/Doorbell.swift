import Synchronization

/// Wakes one waiting loop when there is new work. A ring while nobody waits
/// is remembered, so no wake-up is lost between "checked for work" and "wait".
public final class Doorbell: Sendable {
  private struct Waiter {
    let id: Int
    let continuation: CheckedContinuation<Void, Never>
    /// Its deadline at `Deadlines`.
    var deadline: Int?
  }
  private struct State {
    var rung = false
    var waiter: Waiter?
    var nextID = 0
  }
  private let state = Mutex(State())
  private let deadlines: Deadlines

  public convenience init() { self.init(deadlines: .shared) }

  init(deadlines: Deadlines) { self.deadlines = deadlines }

  public func ring() {
    let waiter = state.withLock { state -> Waiter? in
      guard let waiter = state.waiter else {
        state.rung = true
        return nil
      }
      state.waiter = nil
      return waiter
    }
    resume(waiter)
  }

  /// Whether a loop waits on it now (for tests).
  var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

  /// Returns when rung (now or earlier), when `timeout` passes, or on cancellation.
  ///
  /// One continuation and a deadline at `Deadlines`, taken out again when
  /// the bell rings first: no task, no timer per wait (see `Deadlines`).
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
    await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let resumeNow = self.state.withLock { state -> Bool in
          if state.rung || Task.isCancelled {
            state.rung = false
            return true
          }
          // Scheduled under the lock, so a ring cannot come between the
          // waiter and its deadline and leave the deadline behind.
          let deadline = self.deadlines.schedule(after: timeout) { [weak self] in
            self?.resumeWaiter(id: id)
          }
          state.waiter = Waiter(id: id, continuation: continuation, deadline: deadline)
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      self.resumeWaiter(id: id)
    }
  }

  private func resumeWaiter(id: Int) {
    let waiter = state.withLock { state -> Waiter? in
      guard let waiter = state.waiter, waiter.id == id else { return nil }
      state.waiter = nil
      return waiter
    }
    resume(waiter)
  }

  /// Resumes a waiter taken out, and takes its deadline out too.
  private func resume(_ waiter: Waiter?) {
    guard let waiter else { return }
    if let deadline = waiter.deadline { deadlines.cancel(deadline) }
    waiter.continuation.resume()
  }
}

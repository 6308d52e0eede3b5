import CCurl
import Synchronization

/// A transfer handed from an awaiting task to the engine thread.
struct PendingTransfer: Sendable {
  let id: UInt64
  let request: CurlRequest
  /// Called once, with the outcome: on the engine thread when the transfer
  /// ran, on the submitting thread when it was refused at once. Must be
  /// quick and must not call back into the engine.
  let complete: @Sendable (CurlResponse) -> Void
  /// When it was handed over; for a transfer that waited for its lane, when
  /// it left the lane's queue (a response's duration counts from here).
  var started: ContinuousClock.Instant
  var lane: TransferLane? = nil
  var urgent = false
  var tag: String? = nil

  func failure(_ code: CURLcode, _ message: String) -> CurlResponse {
    .failure(code, message, duration: .now - started)
  }

  /// The answer for a transfer that ends without starting, and why.
  func unstarted(_ reason: CurlResponse.Unstarted) -> CurlResponse {
    let message =
      switch reason {
      case .withdrawn: "withdrawn before it started"
      case .laneStopped: "handed back unstarted: a transfer before it in its lane failed"
      }
    var response = failure(CURLE_ABORTED_BY_CALLBACK, message)
    response.unstarted = reason
    return response
  }
}

/// The multi handle as other threads may see it: only for `curl_multi_wakeup`.
///
/// `@unchecked Sendable` is safe because libcurl documents `curl_multi_wakeup`
/// as callable from any thread (since 7.68), nothing else is ever called
/// through this value, and `CurlInbox` calls it only under its lock, which the
/// engine thread also holds when it drops the handle before
/// `curl_multi_cleanup`: no wakeup can reach a freed handle.
struct CurlWakeHandle: @unchecked Sendable {
  let multi: UnsafeMutableRawPointer

  func wake() {
    _ = ccurl_multi_wakeup(multi)
  }
}

/// Where awaiting tasks and the engine thread meet: a lock-protected queue of
/// new transfers, cancellations and shutdown requests.
///
/// Other threads only append here and wake the engine thread; the engine
/// thread takes work out at the top of each loop turn. Nothing in here calls
/// libcurl except `CurlWakeHandle.wake()`.
final class CurlInbox: Sendable {
  /// `running` → `draining` (shutdown asked; no new work) → `stopped`
  /// (thread gone, multi handle cleaned up).
  enum Phase {
    case running, draining, stopped
  }

  /// What the engine thread picks up in one loop turn.
  struct Batch {
    var start: [PendingTransfer] = []
    var cancelledBeforeStart: [PendingTransfer] = []
    var cancelledIDs: [UInt64] = []
    /// Queued transfers withdrawn by their tag, and the tags, for those
    /// waiting in a lane on the engine thread.
    var withdrawnBeforeStart: [PendingTransfer] = []
    var withdrawnTags: Set<String> = []
    var stopping = false
    /// The start of the latest hold in force, if any (see `hold()`).
    var holdSince: ContinuousClock.Instant?
  }

  private struct State {
    var phase = Phase.running
    var wake: CurlWakeHandle?
    /// FIFO of transfers not yet given to libcurl; `head` is its front.
    var queued: [PendingTransfer] = []
    var head = 0
    var cancelled: [UInt64] = []
    var withdrawnTags: Set<String> = []
    var stopWaiters: [CheckedContinuation<Void, Never>] = []
    var lastID: UInt64 = 0
    var holds = 0
    var holdSince: ContinuousClock.Instant?
  }

  private let state = Mutex(State())

  func makeID() -> UInt64 {
    state.withLock { state in
      state.lastID += 1
      return state.lastID
    }
  }

  // MARK: Any thread

  /// Queues `work`, or answers it at once when the engine no longer takes
  /// work or the submitting task is already cancelled.
  func submit(_ work: PendingTransfer) {
    let rejection: CurlResponse? = state.withLock { state in
      guard state.phase == .running else {
        return work.failure(CURLE_FAILED_INIT, "the curl engine is shut down")
      }
      // Read under the lock: a cancellation handler that ran before this
      // point has set the flag; one that runs after finds the work queued.
      if Task.isCancelled {
        return work.failure(CURLE_ABORTED_BY_CALLBACK, "cancelled before it started")
      }
      state.queued.append(work)
      state.wake?.wake()
      return nil
    }
    if let rejection {
      work.complete(rejection)
    }
  }

  /// Holds non-urgent transfers waiting in lanes until `release()` (see
  /// `UrgentPrecedence`). The engine thread sees it at its next turn; no
  /// wakeup, as nothing new is to be started.
  func hold() {
    state.withLock { state in
      state.holds += 1
      state.holdSince = .now
    }
  }

  /// Ends one `hold()`; after the last, wakes the engine thread so the
  /// lanes go on at once.
  func release() {
    state.withLock { state in
      state.holds = max(0, state.holds - 1)
      guard state.holds == 0 else { return }
      state.holdSince = nil
      state.wake?.wake()
    }
  }

  /// Queues many transfers with one lock and one wakeup of the engine thread.
  func submit(all works: [PendingTransfer]) {
    let accepted = state.withLock { state -> Bool in
      guard state.phase == .running else { return false }
      state.queued.append(contentsOf: works)
      state.wake?.wake()
      return true
    }
    if !accepted {
      for work in works {
        work.complete(work.failure(CURLE_FAILED_INIT, "the curl engine is shut down"))
      }
    }
  }

  func cancel(_ id: UInt64) {
    state.withLock { state in
      guard state.phase != .stopped else { return }
      state.cancelled.append(id)
      state.wake?.wake()
    }
  }

  /// Withdraws the transfers tagged with one of `tags` that have not
  /// started (see `CurlEngine.withdrawWaiting(tagged:)`).
  func withdraw(_ tags: Set<String>) {
    state.withLock { state in
      guard state.phase != .stopped else { return }
      state.withdrawnTags.formUnion(tags)
      state.wake?.wake()
    }
  }

  /// Stops taking work; `waiter` (if any) resumes once the thread has
  /// finished the transfers it holds and cleaned up.
  func requestStop(_ waiter: CheckedContinuation<Void, Never>?) {
    let alreadyStopped = state.withLock { state in
      if state.phase == .stopped { return true }
      state.phase = .draining
      if let waiter { state.stopWaiters.append(waiter) }
      state.wake?.wake()
      return false
    }
    if alreadyStopped { waiter?.resume() }
  }

  // MARK: Engine thread

  func attach(_ wake: CurlWakeHandle) {
    state.withLock { $0.wake = wake }
  }

  /// Takes at most `limit` queued transfers, plus every cancellation.
  func take(limit: Int) -> Batch {
    state.withLock { state in
      var batch = Batch()
      batch.stopping = state.phase != .running
      batch.holdSince = state.holdSince
      for id in state.cancelled {
        if let index = state.queued[state.head...].firstIndex(where: { $0.id == id }) {
          batch.cancelledBeforeStart.append(state.queued.remove(at: index))
        } else {
          batch.cancelledIDs.append(id)
        }
      }
      state.cancelled.removeAll()
      if !state.withdrawnTags.isEmpty {
        let tags = state.withdrawnTags
        state.withdrawnTags.removeAll()
        batch.withdrawnTags = tags
        var kept = state.head
        for index in state.head..<state.queued.count {
          let work = state.queued[index]
          if let tag = work.tag, tags.contains(tag) {
            batch.withdrawnBeforeStart.append(work)
          } else {
            state.queued[kept] = work
            kept += 1
          }
        }
        state.queued.removeLast(state.queued.count - kept)
      }
      let end = min(state.queued.count, state.head + max(0, limit))
      batch.start = Array(state.queued[state.head..<end])
      state.head = end
      if state.head == state.queued.count {
        state.queued.removeAll(keepingCapacity: true)
        state.head = 0
      } else if state.head > 1024 && state.head * 2 > state.queued.count {
        state.queued.removeFirst(state.head)
        state.head = 0
      }
      return batch
    }
  }

  /// Whether transfers are still waiting for room in the multi handle.
  var hasQueued: Bool {
    state.withLock { $0.head < $0.queued.count }
  }

  /// Forgets the multi handle before it is cleaned up; returns whatever is
  /// still queued (nothing, unless the engine could not start).
  func detach() -> [PendingTransfer] {
    state.withLock { state in
      state.wake = nil
      if state.phase == .running { state.phase = .draining }
      let left = Array(state.queued[state.head...])
      state.queued.removeAll()
      state.head = 0
      return left
    }
  }

  /// Marks the engine stopped; returns the shutdown calls to resume.
  func markStopped() -> [CheckedContinuation<Void, Never>] {
    state.withLock { state in
      state.phase = .stopped
      state.cancelled.removeAll()
      state.withdrawnTags.removeAll()
      defer { state.stopWaiters.removeAll() }
      return state.stopWaiters
    }
  }
}

import Foundation
import Logging
import Synchronization

/// While the daemon runs under systemd: `WATCHDOG=1` at half the watchdog
/// timeout, and a `STATUS=` line with the queue (`queued 1200, held 35, in
/// flight 64`) refreshed every `statusEvery`. The pings come from a task of
/// the daemon's own: if its tasks stop being run, systemd notices and
/// restarts it.
///
/// The ping never waits for the store: the status is read by a task of its
/// own, each read bounded by `statusBound`, and the ping sends whatever that
/// task last found. A slow store (a PostgreSQL failover, say) shows in the
/// status line; it does not get a working daemon killed by the watchdog.
struct ServiceHeartbeat: Sendable {
  let notifier: SystemdNotifier
  /// The queue line for `STATUS=`, or nil when the store cannot say.
  let queueLine: @Sendable () async -> String?
  var statusEvery: Duration = .seconds(10)
  /// How long one status read may take before the line says the store is slow.
  var statusBound: Duration = .seconds(5)

  init(notifier: SystemdNotifier, store: any Store) {
    self.notifier = notifier
    queueLine = {
      guard let counts = try? await store.queueCounts() else { return nil }
      return "queued \(counts.queued), held \(counts.held), in flight \(counts.inFlight)"
    }
  }

  init(notifier: SystemdNotifier, queueLine: @escaping @Sendable () async -> String?) {
    self.notifier = notifier
    self.queueLine = queueLine
  }

  func run() async {
    guard notifier.isActive else { return }
    let board = StatusBoard()
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        while !Task.isCancelled {
          board.post(await self.status(board))
          try? await Task.sleep(for: self.statusEvery)
        }
      }
      group.addTask { await self.ping(board) }
      await group.next()
      group.cancelAll()
    }
  }

  /// Sends `WATCHDOG=1` every tick, with the status when it has changed;
  /// nothing here waits for anything but the clock.
  private func ping(_ board: StatusBoard) async {
    let tick = min(notifier.watchdogInterval ?? statusEvery, statusEvery)
    while !Task.isCancelled {
      var lines: [String] = []
      if notifier.watchdogInterval != nil { lines.append("WATCHDOG=1") }
      if let status = board.takeNew() { lines.append("STATUS=\(status)") }
      if !lines.isEmpty { notifier.notify(lines.joined(separator: "\n")) }
      try? await Task.sleep(for: tick)
    }
  }

  /// The status line, read within `statusBound`. A read still running from
  /// before is not doubled: a blocked store gets one query, not one per tick.
  func status(_ board: StatusBoard = StatusBoard()) async -> String {
    let slow = "running; the store has not answered within \(statusBound)"
    guard board.startQuery() else { return slow }
    let answer = FirstAnswer()
    let queueLine = queueLine
    let bound = statusBound
    return await withCheckedContinuation { continuation in
      answer.waiting(continuation)
      Task {
        let line = await queueLine()
        board.endQuery()
        answer.give(line ?? "running; the store did not answer")
      }
      Task {
        try? await Task.sleep(for: bound)
        answer.give(slow)
      }
    }
  }
}

/// The status line the reading task last found, for the pinging task; and
/// whether a read is still under way.
final class StatusBoard: Sendable {
  private struct State {
    var line: String?
    var sent = true
    var querying = false
  }
  private let state = Mutex(State())

  func post(_ line: String) {
    state.withLock { state in
      if state.line != line { state.sent = false }
      state.line = line
    }
  }

  /// The line, once after each change.
  func takeNew() -> String? {
    state.withLock { state in
      guard !state.sent else { return nil }
      state.sent = true
      return state.line
    }
  }

  /// Marks a read as started; false while the last one still runs.
  func startQuery() -> Bool {
    state.withLock { state in
      guard !state.querying else { return false }
      state.querying = true
      return true
    }
  }

  func endQuery() { state.withLock { $0.querying = false } }
}

/// Resumes one waiting continuation with whichever answer comes first.
private final class FirstAnswer: Sendable {
  private struct State {
    var continuation: CheckedContinuation<String, Never>?
    var answer: String?
  }
  private let state = Mutex(State())

  func waiting(_ continuation: CheckedContinuation<String, Never>) {
    let early = state.withLock { state -> String? in
      if let answer = state.answer { return answer }
      state.continuation = continuation
      return nil
    }
    if let early { continuation.resume(returning: early) }
  }

  func give(_ answer: String) {
    let continuation = state.withLock { state -> CheckedContinuation<String, Never>? in
      guard state.answer == nil else { return nil }
      state.answer = answer
      defer { state.continuation = nil }
      return state.continuation
    }
    continuation?.resume(returning: answer)
  }
}

import Foundation
import Logging
import Synchronization

/// Keeps a flood of failed authentications (401, and the 429 that follows)
/// from becoming a flood of audit writes queued beside intake, while every
/// refusal stays accounted for.
///
/// Per address and window, the first `perAddress` refusals are written as
/// their own `request.refused` events, and at most `perWindow` of them from
/// all addresses together; the rest are only counted. When the address's
/// window ends, one `request.refused.repeated` event carries the count, and
/// all summaries due are written in one batch (one commit). Past
/// `maxAddresses` tracked addresses, further ones are counted together under
/// the origin `other addresses`. So a flood costs at most `perWindow` single
/// writes and one batch per window, whatever its size.
final class RefusalLedger: Sendable {
  /// One address's refusals in its current window.
  struct Tally: Equatable {
    var since: ContinuousClock.Instant
    var firstAt: Date
    var written = 0
    var counted = 0
    var byStatus: [Int: Int] = [:]
  }

  private struct State {
    var tallies: [String: Tally] = [:]
    var windowStart: ContinuousClock.Instant
    var writtenInWindow = 0
  }

  static let otherAddresses = "other addresses"

  let window: Duration
  let perAddress: Int
  let perWindow: Int
  let maxAddresses: Int
  private let now: @Sendable () -> ContinuousClock.Instant
  private let state: Mutex<State>
  private let store: any Store
  private let clock: any WallClock
  private let logger: Logger

  init(
    store: any Store, clock: any WallClock, logger: Logger, window: Duration = .seconds(60),
    perAddress: Int = 10, perWindow: Int = 100, maxAddresses: Int = 1000,
    now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.store = store
    self.clock = clock
    self.logger = logger
    self.window = window
    self.perAddress = perAddress
    self.perWindow = perWindow
    self.maxAddresses = maxAddresses
    self.now = now
    state = Mutex(State(windowStart: now()))
  }

  /// Counts a refusal from `address`; true when it is to be written as its
  /// own event now, false when only the summary will carry it.
  func admit(_ address: String, status: Int) -> Bool {
    let now = now()
    let at = clock.now()
    return state.withLock { state in
      if now - state.windowStart >= window {
        state.windowStart = now
        state.writtenInWindow = 0
      }
      var key = address
      if state.tallies[key] == nil && state.tallies.count >= maxAddresses {
        key = Self.otherAddresses
      }
      var tally = state.tallies[key] ?? Tally(since: now, firstAt: at)
      tally.byStatus[status, default: 0] += 1
      let single =
        key != Self.otherAddresses && tally.written < perAddress
        && state.writtenInWindow < perWindow
      if single {
        tally.written += 1
        state.writtenInWindow += 1
      } else {
        tally.counted += 1
      }
      state.tallies[key] = tally
      return single
    }
  }

  /// The summaries of windows that have ended (of all, when `all`), taken out
  /// of the ledger. Addresses whose refusals were all written need none.
  func takeEnded(all: Bool = false) -> [AuditEvent] {
    let now = now()
    let at = clock.now()
    let ended = state.withLock { state -> [(String, Tally)] in
      let due = state.tallies.filter { all || now - $0.value.since >= window }
      for key in due.keys { state.tallies[key] = nil }
      return due.sorted { $0.key < $1.key }
    }
    return ended.compactMap { address, tally in
      guard tally.counted > 0 else { return nil }
      let total = tally.written + tally.counted
      return AuditEvent(
        kind: "request.refused.repeated", at: at,
        actor: Sender(kind: .api, name: "anonymous", origin: address).description,
        detail: [
          "count": String(total), "written": String(tally.written),
          "not_written": String(tally.counted),
          "statuses": tally.byStatus.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
            .joined(separator: ","),
          "since": Timestamp.format(tally.firstAt),
        ])
    }
  }

  /// Writes the summaries that are due, every few seconds, and all that are
  /// left when cancelled (so a stop loses no count).
  func run(every interval: Duration = .seconds(5)) async {
    while !Task.isCancelled {
      try? await Task.sleep(for: interval)
      if !Task.isCancelled { await write(takeEnded()) }
    }
    // The store refuses work from a cancelled task: the last batch is
    // written from a task of its own, which the stop waits for.
    await Task { await write(takeEnded(all: true)) }.value
  }

  private func write(_ events: [AuditEvent]) async {
    guard !events.isEmpty else { return }
    do {
      try await store.appendAudit(events)
    } catch {
      logger.error(
        "cannot write the summary of refused requests",
        metadata: ["error": "\(error)", "events": "\(events.count)"])
    }
  }
}

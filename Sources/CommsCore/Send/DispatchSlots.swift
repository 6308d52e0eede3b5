import Foundation

/// The dispatcher's transfers running now, in total and per endpoint or
/// relay, and each target's gate (rate, pause, circuit breaker), with the
/// targets numbered.
///
/// The numbers are for the dispatcher's loop: each turn it looks at every
/// delivery it holds (256 behind a relay of concurrency 16, and the loop
/// turns every four completions there), and hashing the target's name a
/// few times for each was a quarter of the loop's CPU (issue 25). A number
/// indexes arrays. Targets are numbered once, at start from the
/// configuration, and on first sight for a target it does not name (an
/// endpoint since removed): numbers are never reused or taken back.
///
/// A target may have a few transfers more than its concurrency handed to
/// the engine, its deck: they wait in the target's `TransferLane` and start
/// on the curl thread the moment one of its connections frees, so no
/// connection idles until the loop's next turn (issue 25). The lane keeps
/// the concurrency. `total` counts a target's transfers up to its
/// concurrency only, so it stays an upper bound of the transfers running
/// at once: a deck's transfer runs only in place of one of its target's
/// that ended.
///
/// Flash may wait in the lane beyond the deck, up to four times the
/// target's concurrency more (its flash queue): a flash message to more
/// recipients than a target runs at once is handed over whole, at intake,
/// and goes out as fast as the receiver answers. Without it, what did not
/// fit waited for the loop's next turns, each behind a lease or a round of
/// bulk: in the flash benchmark (4 sends at a time, 10 recipients each, an
/// endpoint of concurrency 10), 75 of 200 messages had 5 or 10 deliveries
/// left over, which started up to 60 ms after the intake's commit.
struct DispatchSlots {
  /// Transfers running or about to, counting no target beyond its
  /// concurrency.
  private(set) var total = 0
  /// Per target number: its name, its concurrency, its deck, its lane,
  /// transfers handed over for it and not finished, its gate, and whether
  /// a flash delivery waits there for a slot (the next completion there
  /// then wakes the loop, whatever the wake level).
  private(set) var names: [String] = []
  private(set) var limits: [Int] = []
  private(set) var decks: [Int] = []
  private(set) var lanes: [TransferLane] = []
  private(set) var perTarget: [Int] = []
  var gates: [TargetGate?] = []
  var flashWaiting: [Bool] = []
  private var numbers: [String: Int] = [:]
  /// The concurrency of a target the configuration does not name.
  let defaultLimit: Int

  init(limits: [String: Int], gates: [String: TargetGate], defaultLimit: Int) {
    self.defaultLimit = defaultLimit
    for name in Set(limits.keys).union(gates.keys).sorted() {
      add(name, limit: limits[name] ?? defaultLimit, gate: gates[name])
    }
  }

  /// Half a target's concurrency, at least one: the loop is woken when half
  /// of it has gone (see `wakeLevel(of:)`), so the other half covers the
  /// time the loop takes to hand over more. None for a target with a rate
  /// limit: its tokens are taken when a transfer is handed over, and one
  /// that waited in the lane would go out later than its token allows.
  static func deck(limit: Int, gate: TargetGate?) -> Int {
    gate?.settings.rate == nil ? max(1, limit / 2) : 0
  }

  /// How many flash transfers `target` may have waiting beyond its deck:
  /// four times its concurrency where it has a deck, none where it has not
  /// (a rate limit, for the same reason). Bounded, so that the engine's
  /// lanes stay short (a lane's queue is a plain array) and a flash message
  /// to thousands at one endpoint renders its payloads as they can go, not
  /// all at once.
  func flashQueue(of target: Int) -> Int { decks[target] > 0 ? 4 * limits[target] : 0 }

  /// The number of target `name`, given one now if it has none.
  mutating func number(of name: String) -> Int {
    numbers[name] ?? add(name, limit: defaultLimit, gate: nil)
  }

  /// Numbers target `name` with its concurrency, deck, lane and gate.
  @discardableResult
  private mutating func add(_ name: String, limit: Int, gate: TargetGate?) -> Int {
    let number = names.count
    numbers[name] = number
    names.append(name)
    limits.append(limit)
    decks.append(Self.deck(limit: limit, gate: gate))
    lanes.append(TransferLane(limit: limit))
    perTarget.append(0)
    gates.append(gate)
    flashWaiting.append(false)
    return number
  }

  /// Whether `target` can take one more transfer: one within its
  /// concurrency needs room in `globalLimit`, one in its deck (or, for
  /// `flash`, its flash queue) does not.
  /// With no room anywhere, the global limit is named first, as before
  /// decks: the loop then ends its round instead of counting the target's
  /// deliveries as waiting, which would have it lease around the target (a
  /// lease with exclusions scans the target's queued rows; in the flash
  /// benchmark, p99 behind bulk went from 38 ms to 110-150 ms with the
  /// order reversed).
  func room(for target: Int, globalLimit: Int, flash: Bool = false) -> Room {
    let handed = perTarget[target]
    if handed < limits[target] { return total < globalLimit ? .free : .globalFull }
    if handed < limits[target] + decks[target] + (flash ? flashQueue(of: target) : 0) {
      return .free
    }
    return total < globalLimit ? .targetFull : .globalFull
  }

  enum Room {
    case free, targetFull, globalFull
  }

  /// Counts a transfer handed over for `target`.
  mutating func take(_ target: Int) {
    if perTarget[target] < limits[target] { total += 1 }
    perTarget[target] += 1
  }

  /// Counts a transfer of `target` finished (or not started after all).
  /// Returns whether `total` fell.
  mutating func free(_ target: Int) -> Bool {
    perTarget[target] -= 1
    guard perTarget[target] < limits[target] else { return false }
    total -= 1
    return true
  }

  /// The number of transfers handed over for `target` at which the loop is
  /// woken to hand over more: half its deck used, or for a target without
  /// one, a quarter of its slots free (at least one).
  func wakeLevel(of target: Int) -> Int {
    let limit = limits[target]
    let deck = decks[target]
    return deck > 0 ? limit + deck / 2 : Self.wakeLevel(limit)
  }

  /// A quarter of `limit` free, at least one.
  static func wakeLevel(_ limit: Int) -> Int { limit - max(1, limit / 4) }

  /// Whether each gated target's circuit breaker is open, by name.
  var breakers: [String: Bool] {
    var open: [String: Bool] = [:]
    for (name, gate) in zip(names, gates) {
      if let gate { open[name] = gate.isOpen }
    }
    return open
  }
}

/// A set of target numbers, as flags: looked up for each buffered delivery
/// on every turn of the dispatcher's loop.
struct TargetSet {
  private var flags: [Bool] = []

  /// Whether no number is in it (a handful of targets: a short look).
  var isEmpty: Bool { !flags.contains(true) }

  func contains(_ number: Int) -> Bool { number < flags.count && flags[number] }

  mutating func insert(_ number: Int) {
    if number >= flags.count { flags += [Bool](repeating: false, count: number + 1 - flags.count) }
    flags[number] = true
  }

  /// The numbers in the set.
  var members: [Int] { flags.indices.filter { flags[$0] } }
}

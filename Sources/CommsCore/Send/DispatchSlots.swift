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
struct DispatchSlots {
  var total = 0
  /// Per target number: its name, its concurrency, transfers running there,
  /// its gate, and whether a flash delivery waits there for a slot (the
  /// next completion there then wakes the loop, whatever the wake level).
  private(set) var names: [String] = []
  private(set) var limits: [Int] = []
  var perTarget: [Int] = []
  var gates: [TargetGate?] = []
  var flashWaiting: [Bool] = []
  private var numbers: [String: Int] = [:]
  /// The concurrency of a target the configuration does not name.
  let defaultLimit: Int

  init(limits: [String: Int], gates: [String: TargetGate], defaultLimit: Int) {
    self.defaultLimit = defaultLimit
    for name in Set(limits.keys).union(gates.keys).sorted() {
      let number = self.number(of: name)
      self.limits[number] = limits[name] ?? defaultLimit
      self.gates[number] = gates[name]
    }
  }

  /// The number of target `name`, given one now if it has none.
  mutating func number(of name: String) -> Int {
    if let number = numbers[name] { return number }
    let number = names.count
    numbers[name] = number
    names.append(name)
    limits.append(defaultLimit)
    perTarget.append(0)
    gates.append(nil)
    flashWaiting.append(false)
    return number
  }

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

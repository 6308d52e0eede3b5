/// Where one delivery is in its life. See DESIGN.md, "Delivery states".
///
/// ```
/// queued ─▶ held ─▶ ready ─▶ sending ─▶ delivered
///                     ▲         │
///                     └─ retrying ◀─ transient failure
///                               └─▶ dead
/// any non-final, not in-flight state ─▶ cancelled
/// held ─▶ digested (gathered into a digest delivery that carries it)
/// ```
///
/// Invariants:
/// - `delivered`, `dead`, `cancelled` and `digested` are final: nothing leaves them.
/// - `sending` always carries a lease; when it runs out (a crash), the
///   delivery goes back to `ready` and keeps its id, so receivers can
///   de-duplicate (at-least-once).
/// - A delivery in `sending` cannot be cancelled: it may already have
///   arrived, and the record must say what really happened.
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
  case queued, held, ready, sending, retrying, delivered, dead, cancelled, digested

  /// A final state is never left again.
  public var isFinal: Bool {
    switch self {
    case .delivered, .dead, .cancelled, .digested: true
    case .queued, .held, .ready, .sending, .retrying: false
    }
  }

  /// Whether a delivery in this state may be leased for sending once due.
  public var isLeasable: Bool { self == .ready || self == .retrying }

  /// Whether the state machine allows moving from `self` to `next`.
  public func canMove(to next: DeliveryState) -> Bool {
    switch (self, next) {
    case (.queued, .held), (.queued, .ready), (.queued, .cancelled):
      true
    case (.held, .ready), (.held, .cancelled), (.held, .digested):
      true
    case (.ready, .sending), (.ready, .held), (.ready, .cancelled):
      true
    case (.retrying, .sending), (.retrying, .cancelled):
      true
    case (.sending, .delivered), (.sending, .retrying), (.sending, .dead), (.sending, .ready):
      true
    default:
      false
    }
  }

  /// The next state, or an error naming the illegal transition.
  public func moving(to next: DeliveryState) throws(IllegalTransition) -> DeliveryState {
    guard canMove(to: next) else { throw IllegalTransition(from: self, to: next) }
    return next
  }
}

/// A state change the delivery state machine does not allow.
public struct IllegalTransition: Error, Sendable, Equatable, CustomStringConvertible {
  public let from: DeliveryState
  public let to: DeliveryState
  public var description: String {
    "a delivery cannot move from '\(from.rawValue)' to '\(to.rawValue)'"
  }
}

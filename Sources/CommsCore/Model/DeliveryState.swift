/// Where one delivery is in its life. See DESIGN.md, "Delivery states".
///
/// ```
/// queued ─▶ held ─▶ ready ─▶ sending ─▶ delivered
///                     ▲         │
///                     └─ retrying ◀─ transient failure
///                               └─▶ dead
/// any non-final, not in-flight state ─▶ cancelled, superseded, expired
/// sending ─▶ cancelled, superseded, expired (withdrawn while in flight,
///            and the attempt did not deliver it, or it never started)
/// held ─▶ digested (gathered into a digest delivery that carries it)
/// dead ─▶ ready (an operator's retry)
/// ```
///
/// Every transition the store makes, with the audit event it writes, is in
/// `DeliveryTransition`.
///
/// Invariants:
/// - `delivered`, `dead`, `cancelled`, `superseded`, `expired` and
///   `digested` are final: nothing the daemon does leaves them. The one way
///   out is an operator's: a dead delivery retried (`dead → ready`,
///   `commsd dead retry`, audited as `delivery.retried`).
/// - A withdrawal (cancel, supersede, expiry) never rewrites what happened:
///   a delivery in flight that arrives is recorded as `delivered`.
/// - `sending` always carries a lease; when it runs out (a crash), the
///   delivery goes back to `ready` and keeps its id, so receivers can
///   de-duplicate (at-least-once).
/// - A delivery in `sending` is not withdrawn at once: it may already have
///   arrived, and the record must say what really happened. It is marked,
///   and its outcome decides: delivered, or the withdrawal's state.
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
  case queued, held, ready, sending, retrying, delivered, dead, cancelled, digested
  /// Withdrawn because a newer message replaced it before it went.
  case superseded
  /// Withdrawn because its message's expiry passed before it went.
  case expired

  /// A final state is never left again.
  public var isFinal: Bool {
    switch self {
    case .delivered, .dead, .cancelled, .digested, .superseded, .expired: true
    case .queued, .held, .ready, .sending, .retrying: false
    }
  }

  /// The states a withdrawal (cancel, supersede, expiry) ends in.
  public var isWithdrawal: Bool { self == .cancelled || self == .superseded || self == .expired }

  /// Whether a delivery in this state may be leased for sending once due.
  public var isLeasable: Bool { self == .ready || self == .retrying }

  /// Whether the state machine allows moving from `self` to `next`.
  public func canMove(to next: DeliveryState) -> Bool {
    if next.isWithdrawal { return !isFinal }
    return switch (self, next) {
    case (.queued, .held), (.queued, .ready):
      true
    case (.held, .ready), (.held, .digested):
      true
    case (.ready, .sending), (.ready, .held):
      true
    case (.retrying, .sending):
      true
    case (.sending, .delivered), (.sending, .retrying), (.sending, .dead), (.sending, .ready):
      true
    case (.dead, .ready):
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

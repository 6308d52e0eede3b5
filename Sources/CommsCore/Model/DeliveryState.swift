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
///
/// Over an endpoint with receipts (an SMS gateway's handset receipts):
/// sending ─▶ sent (the gateway took it) ─▶ delivered (the handset's receipt)
///                                      ├─▶ undeliverable (the gateway's final failure;
///                                      │   the next contact follows, as after dead)
///                                      └─▶ unconfirmed (no receipt within receipt_timeout)
/// unconfirmed ─▶ delivered, undeliverable (a receipt that came late)
/// undeliverable ─▶ delivered (a DELIVERED the provider timed after it)
/// ```
///
/// Every transition the store makes, with the audit event it writes, is in
/// `DeliveryTransition`.
///
/// Invariants:
/// - `delivered`, `dead`, `cancelled`, `superseded`, `expired`,
///   `digested`, `undeliverable` and `unconfirmed` are final: nothing the
///   daemon does of itself leaves them. The ways out are an operator's (a
///   dead delivery retried, `dead → ready`, `commsd dead retry`, audited as
///   `delivery.retried`) and a provider's (a receipt that comes after the
///   timeout, or a DELIVERED timed after an UNDELIVERABLE; see
///   `DeliveryTransition.receipt`).
/// - `sent` is past the point of no return, like `delivered`: the gateway
///   has the message, so a withdrawal no longer takes it.
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
  /// Taken by a gateway that sends receipts; the handset's is awaited.
  case sent
  /// The gateway's final word: it could not reach the handset.
  case undeliverable
  /// The gateway took it, and no receipt came within `receipt_timeout`.
  case unconfirmed

  /// A final state is never left again by the daemon itself.
  public var isFinal: Bool {
    switch self {
    case .delivered, .dead, .cancelled, .digested, .superseded, .expired, .undeliverable,
      .unconfirmed:
      true
    case .queued, .held, .ready, .sending, .retrying, .sent: false
    }
  }

  /// Whether the message left commsd for its receiver: delivered, or taken
  /// by a gateway that will send a receipt. A withdrawal in flight does not
  /// overwrite either.
  public var wentOut: Bool { self == .delivered || self == .sent }

  /// The states a withdrawal (cancel, supersede, expiry) ends in.
  public var isWithdrawal: Bool { self == .cancelled || self == .superseded || self == .expired }

  /// Whether a delivery in this state may be leased for sending once due.
  public var isLeasable: Bool { self == .ready || self == .retrying }

  /// Whether the state machine allows moving from `self` to `next`.
  public func canMove(to next: DeliveryState) -> Bool {
    if next.isWithdrawal { return !isFinal && self != .sent }
    return switch (self, next) {
    case (.queued, .held), (.queued, .ready):
      true
    case (.held, .ready), (.held, .digested):
      true
    case (.ready, .sending), (.ready, .held):
      true
    case (.retrying, .sending):
      true
    case (.sending, .delivered), (.sending, .retrying), (.sending, .dead), (.sending, .ready),
      (.sending, .sent):
      true
    case (.sent, .delivered), (.sent, .undeliverable), (.sent, .unconfirmed):
      true
    case (.unconfirmed, .delivered), (.unconfirmed, .undeliverable), (.undeliverable, .delivered):
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

extension DeliveryState {
  /// `delivery.<state>`, the kind of an attempt's audit event, made once
  /// per state rather than for every delivery.
  static let attemptEventKinds = Dictionary(
    uniqueKeysWithValues: allCases.map { ($0, "delivery.\($0.rawValue)") })
}

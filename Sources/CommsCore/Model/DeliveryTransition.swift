/// Every way a delivery's state changes, in one table.
///
/// Each store statement that moves deliveries names its transition and takes
/// its `WHERE state …` condition from here (`condition`), so the states a
/// step may move from are written once. Where a step expects a row to move
/// (a digest item, a lone item released), finding none is an error
/// (`StoreError.illegalTransition`), not a silent skip. A new state (a
/// receipt, a confirmation) is a new row here first, then the statements
/// that use it.
///
/// `DeliveryTransitionTests` walks the table against `DeliveryState.canMove`,
/// so a transition the state machine does not allow cannot be written.
public struct DeliveryTransition: Sendable, Hashable, CustomStringConvertible {
  /// Its name in code, logs and errors.
  public let name: String
  /// The states a delivery may be in for this transition to take it;
  /// empty for one that makes a new delivery.
  public let from: [DeliveryState]
  /// The states it may end in.
  public let to: [DeliveryState]
  /// The audit event it writes (with the same transaction).
  public let event: String
  /// Why it happens, for the README's architecture section and for errors.
  public let summary: String

  public var description: String { name }

  /// `state IN ('ready', 'retrying')` for `column` (e.g. `d.state`). A
  /// transition that makes new deliveries (`plan`, `fallback`) moves none:
  /// its condition matches no row.
  public func condition(_ column: String = "state") -> String {
    if from.isEmpty { return "1 = 0" }
    if from.count == 1 { return "\(column) = '\(from[0].rawValue)'" }
    return "\(column) IN (" + from.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
  }

  /// Whether this transition may take a delivery in `state`.
  public func applies(to state: DeliveryState) -> Bool { from.contains(state) }

  init(
    _ name: String, from: [DeliveryState], to: [DeliveryState], event: String, _ summary: String
  ) {
    self.name = name
    self.from = from
    self.to = to
    self.event = event
    self.summary = summary
  }
}

extension DeliveryTransition {
  private static let withdrawals: [DeliveryState] = [.cancelled, .superseded, .expired]

  /// A plan writes a message's deliveries: due now, held (quiet hours, a
  /// cap, a digest), or waiting for the planner's release.
  public static let plan = DeliveryTransition(
    "plan", from: [], to: [.queued, .held, .ready], event: "message.planned",
    "the planner writes a message's deliveries")

  /// A delivery that died is followed by one to the recipient's next contact.
  public static let fallback = DeliveryTransition(
    "fallback", from: [], to: [.ready], event: "delivery.fallback",
    "a new delivery to the next contact after one died")

  /// Due deliveries are taken for sending, under a lease.
  public static let lease = DeliveryTransition(
    "lease", from: [.ready, .retrying], to: [.sending], event: "delivery.leased",
    "the dispatcher takes due deliveries, flash lane first")

  /// An attempt's outcome; withdrawn while in flight, the withdrawal's state
  /// unless the attempt delivered it (or a gateway with receipts took it).
  public static let record = DeliveryTransition(
    "record", from: [.sending], to: [.delivered, .sent, .retrying, .dead] + withdrawals,
    event: "delivery.<state>", "an attempt's outcome is written")

  /// A gateway's receipt that the handset got it. Receipts are ordered by
  /// the provider's time: a DELIVERED takes a sent or unconfirmed delivery,
  /// and an undeliverable one only when the provider timed it at or after
  /// the UNDELIVERABLE (the phone came back); an older one is stale and
  /// changes nothing. A repeated receipt changes nothing; a transient status
  /// (ENROUTE, BUFFERED, …) is not a receipt.
  public static let receiptDelivered = DeliveryTransition(
    "receipt-delivered", from: [.sent, .unconfirmed, .undeliverable], to: [.delivered],
    event: "receipt.delivered", "a gateway's receipt says the handset got it")

  /// A gateway's final failure (UNDELIVERABLE, EXPIRED, REJECTED, …): the
  /// next contact follows, as after `dead`. A DELIVERED is never overturned.
  public static let receiptUndeliverable = DeliveryTransition(
    "receipt-undeliverable", from: [.sent, .unconfirmed], to: [.undeliverable],
    event: "receipt.undeliverable", "a gateway's receipt says the handset cannot be reached")

  /// No receipt within the endpoint's `receipt_timeout`.
  public static let receiptTimeout = DeliveryTransition(
    "receipt-timeout", from: [.sent], to: [.unconfirmed], event: "delivery.unconfirmed",
    "a gateway took it and no receipt came in time")

  /// Leased, not attempted: the target is paused or its breaker open.
  public static let postpone = DeliveryTransition(
    "postpone", from: [.sending], to: [.ready] + withdrawals, event: "delivery.postponed",
    "a leased delivery goes back with a later due time, not an attempt")

  /// Leased, not started, and the daemon stops.
  public static let release = DeliveryTransition(
    "release", from: [.sending], to: [.ready] + withdrawals, event: "delivery.lease_returned",
    "a stopping daemon gives back what it has not started")

  /// A lease ran out (a node died) or the only daemon restarted.
  public static let reclaim = DeliveryTransition(
    "reclaim", from: [.sending], to: [.ready] + withdrawals, event: "delivery.lease_returned",
    "an expired lease (or every lease, at the only daemon's start) is taken back")

  /// Leased, and its message was withdrawn before it was handed over.
  public static let settleWithdrawn = DeliveryTransition(
    "settle-withdrawn", from: [.sending], to: withdrawals, event: "delivery.<state>",
    "a leased delivery whose message was withdrawn ends without an attempt")

  /// Held (quiet hours, a cap, a predecessor in flight) until its time.
  public static let releaseHeld = DeliveryTransition(
    "release-held", from: [.held], to: [.ready], event: "delivery.released",
    "a held delivery whose time has come becomes ready")

  /// A newer copy waits for its predecessor in flight to be decided.
  public static let waitForPredecessor = DeliveryTransition(
    "wait-for-predecessor", from: [.ready], to: [.held], event: "message.planned",
    "a superseding copy waits for the predecessor in flight to the same reader")

  /// Cancel, supersede, expiry: what has not gone ends at once.
  public static let withdraw = DeliveryTransition(
    "withdraw", from: [.queued, .held, .ready, .retrying], to: withdrawals,
    event: "delivery.<state>", "a message is cancelled, superseded or expires")

  /// Gathered into a digest, which carries it.
  public static let digest = DeliveryTransition(
    "digest", from: [.held], to: [.digested], event: "digest.created",
    "held items are gathered into one digest delivery")

  /// A digest's lone item goes by itself.
  public static let digestAlone = DeliveryTransition(
    "digest-alone", from: [.held], to: [.ready], event: "delivery.released",
    "a digest slot with one item sends it as it is")

  /// A leased row the store cannot read (a damaged file, a hand edit) is
  /// set aside as dead, named in its error, so the rest of the queue goes on.
  public static let quarantine = DeliveryTransition(
    "quarantine", from: [.sending], to: [.dead], event: "delivery.quarantined",
    "a delivery whose row cannot be read is set aside instead of stopping the queue")

  /// An operator puts a dead letter back in the queue.
  public static let retryDead = DeliveryTransition(
    "retry-dead", from: [.dead], to: [.ready], event: "delivery.retried",
    "an operator retries a dead delivery (commsd dead retry)")

  /// Every transition, in the order a delivery meets them.
  public static let all: [DeliveryTransition] = [
    plan, fallback, releaseHeld, waitForPredecessor, lease, record, receiptDelivered,
    receiptUndeliverable, receiptTimeout,
    postpone, release, reclaim, settleWithdrawn, withdraw, digest, digestAlone, retryDead,
    quarantine,
  ]
}

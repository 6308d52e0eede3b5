import Foundation

/// The queue and the audit log. Stages talk to each other only through it.
///
/// Every state change and its audit event are written in one transaction, and
/// a method returns only once its transaction is durable.
public protocol Store: Sendable {
  /// Persists a new message and its `message.accepted` event. A message whose
  /// idempotency key was seen before is not stored again: the earlier one is
  /// returned if its content is the same, and a conflict is thrown if not.
  func accept(_ message: Message, fingerprint: String) async throws -> AcceptOutcome

  /// The fast lane for a flash message the daemon takes itself: accepts
  /// `message`, writes `plan` (made for it) and leases its due deliveries to
  /// `owner` until `until`, all in one durable transaction, so the message
  /// reaches the transport without waiting for the planner's and the
  /// dispatcher's turns at the store. Returns the outcome and the leased
  /// deliveries (none for a duplicate, whose plan is not written).
  func acceptPlannedAndLeased(
    _ message: Message, fingerprint: String, plan: StreamedPlan, owner: String, until: Date
  ) async throws -> (AcceptOutcome, [Delivery])

  /// Messages accepted but not yet expanded into deliveries: flash first,
  /// then by priority, then oldest first.
  func unplannedMessages(limit: Int) async throws -> [Message]

  /// Writes a message's deliveries (with the bulletin numbers taken at
  /// acceptance) as `plan` makes them, and marks it planned, with its audit
  /// events, in one transaction.
  func savePlan(_ plan: StreamedPlan, at: Date) async throws

  /// Moves up to `limit` due deliveries (flash lane first, then by due time)
  /// to `sending`, leased to `owner` until `until`.
  func lease(
    owner: String, now: Date, until: Date, limit: Int, excluding: LeaseExclusion
  ) async throws -> [Delivery]

  /// Writes the outcomes of attempts. An outcome whose delivery is no longer
  /// leased to `owner` is skipped and counted in the result.
  @discardableResult
  func record(_ outcomes: [AttemptRecord], owner: String) async throws -> Int

  /// Extends the leases `owner` holds on `ids` to `until`, in one statement,
  /// and returns the ids it renewed. One that is not renewed is no longer
  /// `owner`'s (its lease ran out and it was taken back, or it ended): the
  /// caller must not send it.
  func renewLeases(_ ids: [DeliveryID], owner: String, until: Date, at: Date) async throws
    -> Set<DeliveryID>

  /// Returns `sending` deliveries to `ready`: those whose lease ran out, or
  /// all of them when `all` (used at start by the only daemon on this store).
  func reclaimLeases(now: Date, all: Bool) async throws -> Int

  /// The retention period: every message accepted before `cutoff` whose
  /// deliveries are all final has its bodies, names, contact addresses,
  /// error texts and audit personal data replaced by keyed hashes (ids,
  /// states, times, subjects and the audit chain stay). Idempotent: a pass
  /// stopped half-way is finished by the next.
  func applyRetention(before cutoff: Date, hash: KeyedHash, at now: Date, period: String)
    async throws -> RetentionOutcome

  /// The earliest due time among deliveries waiting to be sent or released, if any.
  func nextDueDate() async throws -> Date?

  func message(_ id: MessageID) async throws -> Message?
  /// The messages that came in as the CAP alert `identifier` of
  /// `capSender` (one per principal that fed it), first accepted first.
  func capMessages(capSender: String, identifier: String) async throws -> [CAPStoredMessage]
  /// The newest message of the supersede chain `id` is in (`id` itself when
  /// nothing superseded it), and when that one was cancelled, if it was.
  func latestVersion(of id: MessageID) async throws -> (id: MessageID, cancelledAt: Date?)
  /// How `id` was cancelled, or nil if it was not (or does not exist).
  func cancellation(of id: MessageID) async throws -> CancellationRecord?
  func status(of id: MessageID) async throws -> MessageStatus?
  /// Appends events that are not tied to a state change (configuration loaded, …).
  func appendAudit(_ events: [AuditEvent]) async throws
  func auditEvents(messageID: MessageID) async throws -> [StoredAuditEvent]
  /// Events of the given kinds (e.g. `config.refused`), oldest first.
  func auditEvents(kinds: [String]) async throws -> [StoredAuditEvent]

  /// Walks the whole audit chain and names the first event altered,
  /// removed or reordered.
  func verifyAudit() async throws -> AuditChain.Verdict
  /// The newest audit event's sequence and hash, or nil for an empty log.
  func auditHead() async throws -> (sequence: Int64, hash: String)?
  /// The stored hash of audit event `sequence`, to compare with a head logged earlier.
  func auditHash(at sequence: Int64) async throws -> String?
  /// Audit events from `since` (inclusive) to `until` (exclusive), in
  /// sequence order, a page at a time after `sequence`.
  func auditLinks(since: Date, until: Date?, after sequence: Int64, limit: Int) async throws
    -> [AuditChain.Link]
  /// Deliveries waiting to go, held, and leased (systemd's STATUS line).
  func queueCounts() async throws -> (queued: Int, held: Int, inFlight: Int)
  /// The figures for `/metrics`.
  func metricCounts() async throws -> StoreMetricCounts
  /// One page of a message's deliveries in id order, after the delivery id `after`.
  func deliveryPage(of id: MessageID, after: String?, limit: Int) async throws
    -> [MessageStatus.DeliveryLine]

  /// Runs `body` on one snapshot of the store: the reads both stores share
  /// (status, dashboard, reports …) are written once against `StoreReader`.
  func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T
  /// Runs `body` in one durable write transaction: the steps both stores
  /// share (`Store/Steps/`) are written once against `StoreTransaction`.
  /// `turn` says whether it goes ahead of everyday writes (SQLite's one
  /// writer; on PostgreSQL writers do not queue).
  func write<T: Sendable>(
    _ turn: WriteTurn, _ body: @escaping @Sendable (StoreTransaction) throws -> T
  ) async throws -> T

  /// Whether several daemons (nodes) share this store. Then a daemon
  /// starting takes back only leases that ran out, never all of them, and
  /// every node takes back expired leases as it runs.
  var isShared: Bool { get }
  /// Runs `body` (a planning pass) if it is this daemon's turn to plan, and
  /// returns nil if another node is planning now: one plans at a time, so
  /// the dosing history it reads includes every node's deliveries and each
  /// digest is built once.
  func planningTurn<T: Sendable>(_ body: () async throws -> T) async throws -> T?
}

extension Store {
  /// One daemon per SQLite store (its data directory's lock sees to that).
  public var isShared: Bool { false }

  public func planningTurn<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
    try await body()
  }
}

/// Whether a write goes ahead of the daemon's everyday writes.
public enum WriteTurn: Sendable {
  /// Planning, recording, an operator's retry: behind urgent writes.
  case everyday
  /// An intake of flash or urgent, a cancel: ahead of everyday writes.
  case urgent
}

extension Store {
  /// An everyday write (see `write(_:_:)`).
  public func write<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T)
    async throws -> T
  {
    try await write(.everyday, body)
  }
}

/// Targets not to lease from for now (their deliveries would only wait).
public struct LeaseExclusion: Sendable, Equatable {
  public var endpoints: Set<String> = []
  /// All email (the dispatcher sends email through one relay).
  public var email = false

  public init(endpoints: Set<String> = [], email: Bool = false) {
    self.endpoints = endpoints
    self.email = email
  }
}

/// What `Store.accept` did.
public enum AcceptOutcome: Sendable, Equatable {
  case accepted(MessageID)
  /// The idempotency key was used before, for the same content.
  case duplicate(MessageID)
}

/// Errors of the store that a caller can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
  case idempotencyConflict(key: String, existing: MessageID)
  case locked(path: String)
  case corrupt(String)
  /// The request refers to something the store does not allow (e.g. a
  /// message to supersede that does not exist); names the input field.
  case refused(field: String, String)
  /// A step found a delivery in a state its transition does not move from
  /// (see `DeliveryTransition`); nothing was written.
  case illegalTransition(DeliveryTransition, id: String, state: DeliveryState)

  public var description: String {
    switch self {
    case .idempotencyConflict(let key, let existing):
      "the idempotency key \"\(key)\" was already used for message \(existing) with different content"
    case .locked(let path):
      "another commsd daemon already runs on \(path)"
    case .corrupt(let detail):
      "the store holds data it cannot read: \(detail)"
    case .refused(let field, let message):
      "\(field): \(message)"
    case .illegalTransition(let transition, let id, let state):
      "\(id) is \(state.rawValue): \(transition.name) moves only a delivery that is "
        + transition.from.map(\.rawValue).joined(separator: " or ")
    }
  }
}

/// The deliveries planned for one message.
public struct Plan: Sendable {
  public var messageID: MessageID
  public var deliveries: [Delivery]
  /// Recipients per audience, for the `message.planned` audit event.
  public var recipientsPerAudience: [String: Int]

  public init(messageID: MessageID, deliveries: [Delivery], recipientsPerAudience: [String: Int]) {
    self.messageID = messageID
    self.deliveries = deliveries
    self.recipientsPerAudience = recipientsPerAudience
  }
}

/// A plan written while it is made: `produce` hands each delivery to `add`
/// inside the store's planning transaction and returns the recipients per
/// audience. A fan-out to 100,000 people thus never exists in memory at once
/// (measured: holding a 100,000-delivery plan raised the daemon's peak RSS
/// by about 70 MB), and the plan is still written all or nothing.
public struct StreamedPlan: Sendable {
  public var messageID: MessageID
  public var produce: @Sendable (_ add: (Delivery) throws -> Void) throws -> [String: Int]

  public init(
    messageID: MessageID,
    produce: @escaping @Sendable (_ add: (Delivery) throws -> Void) throws -> [String: Int]
  ) {
    self.messageID = messageID
    self.produce = produce
  }

  /// A plan already in memory (small ones, tests).
  public init(_ plan: Plan) {
    messageID = plan.messageID
    produce = { add in
      for delivery in plan.deliveries { try add(delivery) }
      return plan.recipientsPerAudience
    }
  }
}

extension Store {
  public func savePlan(_ plan: Plan, at: Date) async throws {
    try await savePlan(StreamedPlan(plan), at: at)
  }

  /// Leases with nothing excluded.
  public func lease(owner: String, now: Date, until: Date, limit: Int) async throws -> [Delivery] {
    try await lease(owner: owner, now: now, until: until, limit: limit, excluding: LeaseExclusion())
  }
}

/// The result of one attempt, as Record writes it.
public struct AttemptRecord: Sendable {
  public var deliveryID: DeliveryID
  public var messageID: MessageID
  public var newState: DeliveryState
  /// For `retrying`: when to try again.
  public var dueAt: Date?
  public var at: Date
  /// The endpoint or relay name.
  public var target: String
  public var statusCode: Int
  public var error: String?
  public var duration: Duration
  public var attempt: Int

  public init(
    deliveryID: DeliveryID, messageID: MessageID, newState: DeliveryState, dueAt: Date?, at: Date,
    target: String, statusCode: Int, error: String?, duration: Duration, attempt: Int
  ) {
    self.deliveryID = deliveryID
    self.messageID = messageID
    self.newState = newState
    self.dueAt = dueAt
    self.at = at
    self.target = target
    self.statusCode = statusCode
    self.error = error
    self.duration = duration
    self.attempt = attempt
  }
}

/// An audit event as stored, with its sequence number.
public struct StoredAuditEvent: Sendable {
  public var sequence: Int64
  public var event: AuditEvent
}

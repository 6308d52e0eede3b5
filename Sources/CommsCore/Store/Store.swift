import Foundation

/// The queue and the audit log. Stages talk to each other only through it.
///
/// Every state change and its audit event are written in one transaction, and
/// a method returns only once its transaction is durable.
///
/// The protocol holds only what a backend must provide itself: a snapshot to
/// read (`read`), a transaction to write (`write`), and the steps where the
/// stores differ in how writers share the work — intake (SQLite's urgent
/// lane and group commit), the flash fast lane, leasing and taking leases
/// back (`FOR UPDATE SKIP LOCKED` on PostgreSQL), writing outcomes (one
/// statement each on SQLite, a batch on PostgreSQL), retention's turn and
/// clean-up, and verifying the chain. Everything else is written once, as
/// extensions: the reads in `Store/Reading/` (on `StoreReader`) and the
/// write steps in `Store/Steps/` (on `StoreTransaction`). Every way a
/// delivery's state changes is listed in `DeliveryTransition`.
public protocol Store: Sendable {
  /// Persists a new message and its `message.accepted` event. A message whose
  /// idempotency key was seen before is not stored again: the earlier one is
  /// returned if its content is the same, and a conflict is thrown if not.
  func accept(_ message: Message, fingerprint: String) async throws -> AcceptOutcome

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

  /// Walks the whole audit chain and names the first event altered,
  /// removed or reordered. (Each store has its own: SQLite's reads GRDB's
  /// rows as they are, a million events in a few seconds.)
  func verifyAudit() async throws -> AuditChain.Verdict

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

extension Store {
  public func savePlan(_ plan: Plan, at: Date) async throws {
    try await savePlan(StreamedPlan(plan), at: at)
  }

  /// Leases with nothing excluded.
  public func lease(owner: String, now: Date, until: Date, limit: Int) async throws -> [Delivery] {
    try await lease(owner: owner, now: now, until: until, limit: limit, excluding: LeaseExclusion())
  }
}

/// An audit event as stored, with its sequence number.
public struct StoredAuditEvent: Sendable {
  public var sequence: Int64
  public var event: AuditEvent
}

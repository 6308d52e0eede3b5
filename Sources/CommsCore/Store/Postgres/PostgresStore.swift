import Foundation

/// The shared store: one PostgreSQL database that several commsd nodes use
/// at once (scale-out and high availability).
///
/// The same schema, states and audit events as `SQLiteStore`; what differs
/// is how nodes share the work:
/// - leases take due deliveries `FOR UPDATE SKIP LOCKED`, so two nodes
///   never take the same one and never wait for each other's;
/// - one node plans at a time (`planningTurn`, an advisory lock), so the
///   dosing history it reads holds every node's deliveries and each digest
///   is built once;
/// - the audit chain stays one chain, appended at commit under its head's
///   row lock (`PostgresTransaction`);
/// - bulletin numbers are taken under the audience's row lock in the
///   accepting transaction: gapless, in the order of acceptance;
/// - a node learns of new messages and work by `LISTEN/NOTIFY`
///   (`PostgresListener`), not by polling faster.
/// A node that dies leaves its leases to expire; `reclaimLeases` on the
/// others (`all: false`) puts them back in the queue.
///
/// The queue's steps are shared with SQLite (`Store/Steps/` on
/// `StoreTransaction`, the reads on `StoreReader`); the statements are the
/// same SQL, with the row locks as fragments (`forUpdate`,
/// `forUpdateSkipLocked`) that are empty on SQLite. What stays here is what
/// concurrent writers need and SQLite's single writer does not: leasing and
/// taking leases back with SKIP LOCKED, outcomes written as one batch per
/// statement, transactions run again after a deadlock or serialization
/// failure (`PostgresPool.write`), the planning and retention turns, and
/// the schema. The conformance suite holds both stores to the same
/// behaviour.
public final class PostgresStore: Store {
  let pool: PostgresPool
  let url: String
  let password: String?
  /// Planning and retention passes, one node at a time.
  let turns: TurnLocks

  /// Connects `connections` connections to `url` and applies the migrations.
  public init(url: String, password: String? = nil, connections: Int = 6) throws {
    self.url = url
    self.password = password
    pool = try PostgresPool(url: url, password: password, size: connections)
    let first = try PostgresConnection(url: url, password: password)
    try PostgresSchema.migrate(first)
    turns = TurnLocks(connection: first)
  }

  /// `url` with any password in it replaced by `***`.
  static func redacted(_ url: String) -> String { PostgresURL.redacted(url) }

  public func accept(_ message: Message, fingerprint: String) async throws -> AcceptOutcome {
    try await pool.write { transaction in
      try StoreTransaction(connection: .postgres(transaction)).accept(
        message, fingerprint: fingerprint)
    }
  }

}

/// Deliveries inserted many rows per statement: a fan-out to 100,000
/// people would otherwise be 100,000 round trips inside its transaction.
struct DeliveryRows {
  private static let columns = DeliveryWriter.columnCount
  private static let perStatement = 500
  private var parameters: [(any PostgresParameter)?] = []
  private var count = 0

  mutating func add(_ delivery: Delivery, now: String, in transaction: PostgresTransaction) throws {
    parameters += DeliveryWriter.values(of: delivery, now: now).map {
      $0.flatMap(StoreReader.parameter)
    }
    count += 1
    if count == Self.perStatement { try flush(in: transaction) }
  }

  mutating func flush(in transaction: PostgresTransaction) throws {
    guard count > 0 else { return }
    let values = (0..<count).map { row in
      "(" + (1...Self.columns).map { "$\(row * Self.columns + $0)" }.joined(separator: ", ") + ")"
    }
    // The full-size statement keeps one shape, so it is prepared once.
    try transaction.query(
      """
      INSERT INTO deliveries (\(DeliveryWriter.columns))
      VALUES \(values.joined(separator: ", "))
      """, parameters, prepare: count == Self.perStatement || count == 1)
    parameters.removeAll(keepingCapacity: true)
    count = 0
  }
}

extension PostgresStore {
  public var isShared: Bool { true }

  public func planningTurn<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
    try await turns.turn(.planning, body)
  }

  /// Rings `plan` when any node accepts a message and `work` when any node
  /// writes deliveries to send, until the listener is stopped.
  public func listen(
    plan: @escaping @Sendable () -> Void, work: @escaping @Sendable () -> Void
  ) -> PostgresListener {
    PostgresListener(url: url, password: password, onPlan: plan, onWork: work)
  }
}

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
/// The trade-off: the reads and the events are shared with SQLite
/// (`StoreReader`, `AuditEvent+Store`), but the write transactions are a
/// second implementation of the same steps rather than one over a SQL
/// abstraction. SQLite's are tuned around its single writer (urgent intakes
/// jump the queue, everyday ones are group-committed, checkpoints are steps
/// of their own), these around concurrent writers (row locks, SKIP LOCKED,
/// the chain head's turn at commit); one abstraction would have had to hide
/// exactly what makes each fast and correct. The conformance suite holds
/// them to the same behaviour.
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
      try Self.insertAccepted(transaction, message, fingerprint: fingerprint)
    }
  }

  /// The intake transaction's body: the message, its bulletin numbers and
  /// its `message.accepted` event (or the earlier message under the same
  /// key). Two nodes taking one key at once: the second insert fails on the
  /// unique key, the transaction runs again and finds the first.
  static func insertAccepted(
    _ transaction: PostgresTransaction, _ message: Message, fingerprint: String
  ) throws -> AcceptOutcome {
    if let key = message.idempotencyKey,
      let row = try transaction.query(
        "SELECT id, fingerprint FROM messages WHERE idempotency_key = $1", [key]
      ).first
    {
      let existing = MessageID(rawValue: try row[0])
      guard (try row[1] as String) == fingerprint else {
        throw StoreError.idempotencyConflict(key: key, existing: existing)
      }
      return .duplicate(existing)
    }
    if let old = message.supersedes { try checkSupersedable(transaction, old) }
    try transaction.query(
      """
      INSERT INTO messages (id, idempotency_key, fingerprint, sender_kind, sender_name, sender_origin,
        audiences, priority, kind, contents, default_language, accepted_at, filter, supersedes,
        expires_at, mode, cap_sender, cap_identifier, cap_sent, retraction_of)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
      """, StoreRows.storedValues(of: message, fingerprint: fingerprint))
    let numbers = try numberBulletins(transaction, message: message)
    transaction.audit(.accepted(message, bulletins: numbers))
    transaction.notify(.plan)
    return .accepted(message.id)
  }

  /// Takes the next bulletin number of each of the message's audiences.
  /// The audience's row stays locked until the commit, so another node's
  /// message waits and takes the next number: gapless and in order. The
  /// audiences are locked in name order, so two messages to the same
  /// audiences cannot deadlock.
  static func numberBulletins(_ transaction: PostgresTransaction, message: Message) throws
    -> [String: Int]
  {
    var numbers: [String: Int] = [:]
    for audience in Set(message.audiences).sorted() {
      let number =
        try transaction.query(
          """
          INSERT INTO bulletins (audience, last) VALUES ($1, 1)
          ON CONFLICT (audience) DO UPDATE SET last = bulletins.last + 1 RETURNING last
          """, [audience]
        ).first.map { try $0[0] as Int } ?? 0
      try transaction.query(
        "INSERT INTO message_bulletins (message_id, audience, number) VALUES ($1, $2, $3)",
        [message.id.rawValue, audience, number])
      numbers[audience] = number
    }
    return numbers
  }

  public func unplannedMessages(limit: Int) async throws -> [Message] {
    try await pool.read { connection in
      try connection.query(
        """
        \(StoreRows.messageColumns) WHERE planned_at IS NULL
        ORDER BY CASE priority WHEN 'flash' THEN 0 WHEN 'urgent' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
          accepted_at, id
        LIMIT $1
        """, [limit]
      ).map(StoreRows.message(from:))
    }
  }

  public func message(_ id: MessageID) async throws -> Message? {
    try await pool.read { connection in
      try connection.query("\(StoreRows.messageColumns) WHERE id = $1", [id.rawValue])
        .first.map(StoreRows.message(from:))
    }
  }

  public func savePlan(_ plan: StreamedPlan, at: Date) async throws {
    try await pool.write { transaction in try Self.insertPlan(transaction, plan, at: at) }
  }

  /// The planning transaction's body, as SQLite's (`SQLiteStore.insertPlan`).
  static func insertPlan(_ transaction: PostgresTransaction, _ plan: StreamedPlan, at: Date) throws
  {
    let now = Timestamp.format(at)
    guard
      let row = try transaction.query(
        """
        UPDATE messages SET planned_at = $1 WHERE id = $2 AND planned_at IS NULL
        RETURNING supersedes, cancelled_at
        """, [now, plan.messageID.rawValue]
      ).first
    else { return }  // planned already (by another node, or an earlier run)
    let supersedes = (try row[0] as String?).map(MessageID.init(rawValue:))
    if let cancelled: String = try row[1] {
      transaction.audit(
        AuditEvent(
          kind: "message.planned", at: at, messageID: plan.messageID, actor: "commsd",
          detail: ["deliveries": "0", "cancelled_at": cancelled]))
      return
    }
    let bulletins = try transaction.query(
      "SELECT audience, number FROM message_bulletins WHERE message_id = $1",
      [plan.messageID.rawValue]
    ).reduce(into: [String: Int]()) { $0[try $1[0]] = try $1[1] }
    var states: [String: Int] = [:]
    var holds: [String: Int] = [:]
    var count = 0
    var rows = DeliveryRows()
    let perAudience = try plan.produce { delivery in
      var delivery = delivery
      delivery.bulletin = bulletins[delivery.audience] ?? 0
      try rows.add(delivery, now: now, in: transaction)
      states[delivery.state.rawValue, default: 0] += 1
      if let reason = delivery.holdReason { holds[reason.rawValue, default: 0] += 1 }
      count += 1
    }
    try rows.flush(in: transaction)
    var detail = perAudience.reduce(into: [String: String]()) {
      $0["audience.\($1.key)"] = String($1.value)
    }
    for (audience, number) in bulletins { detail["bulletin.\(audience)"] = String(number) }
    detail["deliveries"] = String(count)
    for (state, count) in states { detail["state.\(state)"] = String(count) }
    for (reason, count) in holds { detail["held.\(reason)"] = String(count) }
    if let supersedes { detail["supersedes"] = supersedes.rawValue }
    transaction.audit(
      AuditEvent(
        kind: "message.planned", at: at, messageID: plan.messageID, actor: "commsd",
        detail: detail))
    if supersedes != nil {
      try applySupersede(
        transaction, message: plan.messageID,
        predecessors: predecessors(transaction, of: plan.messageID), at: at,
        fallback: at.addingTimeInterval(SQLiteStore.predecessorWait))
    }
    transaction.notify(.work)
  }

  static func insertDelivery(_ transaction: PostgresTransaction, _ delivery: Delivery, now: String)
    throws
  {
    var rows = DeliveryRows()
    try rows.add(delivery, now: now, in: transaction)
    try rows.flush(in: transaction)
  }

  public func nextDueDate() async throws -> Date? {
    try await pool.read { connection in
      let text: String? = try connection.query(
        "SELECT MIN(due_at) FROM deliveries WHERE state IN ('ready', 'retrying', 'held')"
      ).first?[0]
      return text.flatMap(Timestamp.parse)
    }
  }

  public func appendAudit(_ events: [AuditEvent]) async throws {
    try await pool.write { transaction in
      for event in events { transaction.audit(event) }
    }
  }
}

/// Deliveries inserted many rows per statement: a fan-out to 100,000
/// people would otherwise be 100,000 round trips inside its transaction.
struct DeliveryRows {
  private static let columns = 20
  private static let perStatement = 500
  private var parameters: [(any PostgresParameter)?] = []
  private var count = 0

  mutating func add(_ delivery: Delivery, now: String, in transaction: PostgresTransaction) throws {
    let endpoint: String? =
      if case .webhook(let name, _) = delivery.contact { name } else { nil }
    parameters += [
      delivery.id.rawValue, delivery.messageID.rawValue, delivery.recipientID,
      delivery.recipientName, delivery.audience, delivery.channel.rawValue, endpoint,
      delivery.contact.address, delivery.contactIndex, Contact.json(delivery.contacts),
      delivery.bulletin, delivery.language, delivery.priority.rawValue, delivery.priority.lane,
      delivery.state.rawValue, Timestamp.format(delivery.dueAt), now, now,
      delivery.holdReason?.rawValue, delivery.updatesBulletin,
    ]
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
      INSERT INTO deliveries (id, message_id, recipient_id, recipient_name, audience, channel, endpoint,
        address, contact_index, contacts, bulletin, language, priority, lane, state, due_at,
        created_at, updated_at, hold_reason, updates_bulletin)
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

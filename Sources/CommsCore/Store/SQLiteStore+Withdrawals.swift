import Foundation
import GRDB

/// Withdrawing deliveries that have not gone: supersede, cancel and expiry.
///
/// What has not left (queued, held, ready, retrying) ends at once in the
/// withdrawal's state. What is in flight (`sending`) is only marked: it may
/// already have arrived, so its outcome decides — delivered stays delivered,
/// anything else ends in the withdrawal's state instead of a retry. Readers
/// waiting for such an outcome (the newer message's copy, held as
/// `previous message in flight`) are released when it comes.
extension SQLiteStore {
  /// `?, ?, …` for `count` values.
  static func marks(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
  }

  /// Withdraws the deliveries of `messages` that have not gone, in `state`,
  /// with one audit event per message; marks those in flight. Returns how
  /// many were withdrawn and how many were in flight.
  @discardableResult
  static func withdraw(
    _ db: Database, messages: [MessageID], as state: DeliveryState, at: Date, actor: String,
    reason: String
  ) throws -> (withdrawn: Int, inFlight: Int) {
    guard !messages.isEmpty else { return (0, 0) }
    let ids = messages.map(\.rawValue)
    let now = Timestamp.format(at)
    let rows = try Row.fetchAll(
      db,
      sql: """
        UPDATE deliveries SET state = ?, hold_reason = NULL, waits_for = NULL, updated_at = ?
        WHERE message_id IN (\(marks(ids.count))) AND state IN ('queued', 'held', 'ready', 'retrying')
        RETURNING id, message_id
        """, arguments: StatementArguments([state.rawValue, now] + ids))
    let inFlight = try Row.fetchAll(
      db,
      sql: """
        UPDATE deliveries SET withdrawn = ?, updated_at = ?
        WHERE message_id IN (\(marks(ids.count))) AND state = 'sending' AND withdrawn IS NULL
        RETURNING id, message_id
        """, arguments: StatementArguments([state.rawValue, now] + ids))
    let insert = try db.cachedStatement(
      sql: "INSERT INTO withdrawals (message_id, state, at) VALUES (?, ?, ?)")
    for id in ids {
      try insert.execute(arguments: [id, state.rawValue, now])
      let gone = rows.filter { ($0[1] as String) == id }.map { $0[0] as String }
      let flying = inFlight.filter { ($0[1] as String) == id }.map { $0[0] as String }
      try insertAudit(
        db,
        AuditEvent(
          kind: "delivery.\(state.rawValue)", at: at, messageID: MessageID(rawValue: id),
          actor: actor,
          detail: [
            "reason": reason, "count": String(gone.count), "in_flight": String(flying.count),
            "deliveries": gone.joined(separator: ","),
            "in_flight_deliveries": flying.joined(separator: ","),
          ]))
    }
    return (rows.count, inFlight.count)
  }

  /// The messages `id` replaces, nearest first (B, then A for C → B → A).
  static func predecessors(_ db: Database, of id: MessageID) throws -> [MessageID] {
    var chain: [MessageID] = []
    var next = try String.fetchOne(
      db, sql: "SELECT supersedes FROM messages WHERE id = ?", arguments: [id.rawValue])
    while let current = next, chain.count < 10_000,
      !chain.contains(MessageID(rawValue: current))
    {
      chain.append(MessageID(rawValue: current))
      next = try String.fetchOne(
        db, sql: "SELECT supersedes FROM messages WHERE id = ?", arguments: [current])
    }
    return chain
  }

  /// At acceptance: the message to supersede must exist, be the latest of
  /// its chain, and not be cancelled.
  static func checkSupersedable(_ db: Database, _ old: MessageID) throws {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT cancelled_at, kind FROM messages WHERE id = ?",
        arguments: [old.rawValue])
    else {
      throw StoreError.refused(field: "supersedes", "there is no message \(old) in this store")
    }
    if (row[1] as String) == MessageKind.retraction.rawValue {
      throw StoreError.refused(
        field: "supersedes", "\(old) is a retraction; send a new message instead")
    }
    if let cancelled: String = row[0] {
      throw StoreError.refused(
        field: "supersedes", "\(old) was cancelled at \(cancelled); send a new message instead")
    }
    if let newer = try String.fetchOne(
      db, sql: "SELECT id FROM messages WHERE supersedes = ?", arguments: [old.rawValue])
    {
      throw StoreError.refused(
        field: "supersedes", "\(old) was already superseded by \(newer); supersede \(newer) instead"
      )
    }
  }

  /// In the planning transaction of `message`, which supersedes the chain
  /// `predecessors`: withdraws what of theirs has not gone; marks the new
  /// copies of readers who already have a predecessor as updates to its
  /// bulletin; holds the new copy of a reader whose predecessor is in
  /// flight until that one's outcome (at most `fallback` later).
  static func applySupersede(
    _ db: Database, message: MessageID, predecessors: [MessageID], at: Date, fallback: Date
  ) throws {
    guard !predecessors.isEmpty else { return }
    try withdraw(
      db, messages: predecessors, as: .superseded, at: at, actor: "commsd",
      reason: "superseded by \(message)")
    let ids = predecessors.map(\.rawValue)
    let chain = marks(ids.count)
    try db.execute(
      sql: """
        UPDATE deliveries SET updates_bulletin = (
          SELECT o.bulletin FROM deliveries o
          WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
            AND o.state IN ('delivered', 'digested')
          ORDER BY o.delivered_at DESC, o.updated_at DESC LIMIT 1)
        WHERE message_id = ?
        """, arguments: StatementArguments(ids + [message.rawValue]))
    try db.execute(
      sql: """
        UPDATE deliveries SET state = 'held', hold_reason = ?, due_at = ?,
          waits_for = (SELECT o.id FROM deliveries o
                       WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
                         AND o.state = 'sending' LIMIT 1)
        WHERE message_id = ? AND state = 'ready' AND EXISTS (
          SELECT 1 FROM deliveries o
          WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
            AND o.state = 'sending')
        """,
      arguments: StatementArguments(
        [HoldReason.predecessor.rawValue, Timestamp.format(fallback)] + ids + [message.rawValue]
          + ids))
  }

  /// A withdrawn delivery in flight got its outcome (`delivered` or not):
  /// the newer copies waiting for it go now, marked as an update if it
  /// arrived.
  static func releaseWaiters(
    _ db: Database, of delivery: String, delivered bulletin: Int?, at: Date
  ) throws {
    let now = Timestamp.format(at)
    try db.execute(
      sql: """
        UPDATE deliveries SET state = 'ready', hold_reason = NULL, waits_for = NULL, due_at = ?,
          updated_at = ?, updates_bulletin = COALESCE(?, updates_bulletin)
        WHERE waits_for = ? AND state = 'held'
        """, arguments: [now, now, bulletin, delivery])
  }

  /// Applies expiries that have come, in the leasing transaction.
  static func applyExpiries(_ db: Database, now: Date) throws {
    let due = try String.fetchAll(
      db.cachedStatement(
        sql: """
          SELECT id FROM messages
          WHERE expires_at IS NOT NULL AND expiry_done = 0 AND expires_at <= ?
          """), arguments: [Timestamp.format(now)])
    for id in due {
      try withdraw(
        db, messages: [MessageID(rawValue: id)], as: .expired, at: now, actor: "commsd",
        reason: "not delivered before the message expired")
      try db.execute(sql: "UPDATE messages SET expiry_done = 1 WHERE id = ?", arguments: [id])
    }
  }

  /// Ends deliveries leased to `owner` whose message was withdrawn before
  /// they were handed to the transport; not an attempt.
  public func settleWithdrawn(
    _ items: [(DeliveryID, DeliveryState)], owner: String, at: Date
  ) async throws {
    guard !items.isEmpty else { return }
    try await pool.write { db in
      let now = Timestamp.format(at)
      let statement = try db.cachedStatement(
        sql: """
          UPDATE deliveries SET state = COALESCE(withdrawn, ?), lease_owner = NULL,
            lease_until = NULL, updated_at = ?
          WHERE id = ? AND state = 'sending' AND lease_owner = ?
          RETURNING state, message_id
          """)
      for (id, state) in items {
        guard
          let row = try Row.fetchOne(
            statement, arguments: [state.rawValue, now, id.rawValue, owner])
        else { continue }
        try Self.releaseWaiters(db, of: id.rawValue, delivered: nil, at: at)
        try Self.insertAudit(
          db,
          AuditEvent(
            kind: "delivery.\(row[0] as String)", at: at,
            messageID: MessageID(rawValue: row[1]), deliveryID: id, actor: owner,
            detail: ["reason": "withdrawn before it was handed to the transport"]))
      }
    }
  }

  /// Messages withdrawn after `sequence`, in order, for a running daemon to
  /// drop from what it holds in memory.
  public func withdrawals(after sequence: Int) async throws -> [(Int, MessageID, DeliveryState)] {
    try await pool.read { db in
      try Row.fetchAll(
        db.cachedStatement(
          sql: "SELECT seq, message_id, state FROM withdrawals WHERE seq > ? ORDER BY seq"),
        arguments: [sequence]
      ).map { ($0[0], MessageID(rawValue: $0[1]), DeliveryState(rawValue: $0[2]) ?? .cancelled) }
    }
  }
}

import Foundation

/// Supersede, cancel and expiry, as in `SQLiteStore+Withdrawals.swift`:
/// what has not gone ends at once, what is in flight is marked and its
/// outcome decides.
extension PostgresStore {
  /// `$first, $first+1, …` for `count` values.
  static func marks(_ count: Int, from first: Int) -> String {
    (0..<count).map { "$\(first + $0)" }.joined(separator: ", ")
  }

  @discardableResult
  static func withdraw(
    _ transaction: PostgresTransaction, messages: [MessageID], as state: DeliveryState, at: Date,
    actor: String, reason: String
  ) throws -> (withdrawn: Int, inFlight: Int) {
    guard !messages.isEmpty else { return (0, 0) }
    let ids = messages.map(\.rawValue)
    let now = Timestamp.format(at)
    let rows = try transaction.query(
      """
      UPDATE deliveries SET state = $1, hold_reason = NULL, waits_for = NULL, updated_at = $2
      WHERE message_id IN (\(marks(ids.count, from: 3))) AND state IN ('queued', 'held', 'ready', 'retrying')
      RETURNING id, message_id
      """, [state.rawValue, now] + ids, prepare: false)
    let inFlight = try transaction.query(
      """
      UPDATE deliveries SET withdrawn = $1, updated_at = $2
      WHERE message_id IN (\(marks(ids.count, from: 3))) AND state = 'sending' AND withdrawn IS NULL
      RETURNING id, message_id
      """, [state.rawValue, now] + ids, prepare: false)
    for id in ids {
      transaction.withdrew(MessageID(rawValue: id), as: state, at: now)
      let gone = try rows.filter { (try $0[1] as String) == id }.map { try $0[0] as String }
      let flying = try inFlight.filter { (try $0[1] as String) == id }.map { try $0[0] as String }
      transaction.audit(
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

  /// The messages `id` replaces, nearest first.
  static func predecessors(_ transaction: PostgresTransaction, of id: MessageID) throws
    -> [MessageID]
  {
    var chain: [MessageID] = []
    var next: String? = try transaction.query(
      "SELECT supersedes FROM messages WHERE id = $1", [id.rawValue]
    ).first?[0]
    while let current = next, chain.count < 10_000, !chain.contains(MessageID(rawValue: current)) {
      chain.append(MessageID(rawValue: current))
      next = try transaction.query("SELECT supersedes FROM messages WHERE id = $1", [current])
        .first?[0]
    }
    return chain
  }

  /// At acceptance: the message to supersede must exist, be the latest of
  /// its chain, and not be cancelled.
  static func checkSupersedable(_ transaction: PostgresTransaction, _ old: MessageID) throws {
    guard
      let row = try transaction.query(
        "SELECT cancelled_at, kind FROM messages WHERE id = $1", [old.rawValue]
      ).first
    else {
      throw StoreError.refused(field: "supersedes", "there is no message \(old) in this store")
    }
    if (try row[1] as String) == MessageKind.retraction.rawValue {
      throw StoreError.refused(
        field: "supersedes", "\(old) is a retraction; send a new message instead")
    }
    if let cancelled: String = try row[0] {
      throw StoreError.refused(
        field: "supersedes", "\(old) was cancelled at \(cancelled); send a new message instead")
    }
    if let newer: String = try transaction.query(
      "SELECT id FROM messages WHERE supersedes = $1", [old.rawValue]
    ).first?[0] {
      throw StoreError.refused(
        field: "supersedes", "\(old) was already superseded by \(newer); supersede \(newer) instead"
      )
    }
  }

  /// In the planning transaction of a superseding message (see
  /// `SQLiteStore.applySupersede`).
  static func applySupersede(
    _ transaction: PostgresTransaction, message: MessageID, predecessors: [MessageID], at: Date,
    fallback: Date
  ) throws {
    guard !predecessors.isEmpty else { return }
    try withdraw(
      transaction, messages: predecessors, as: .superseded, at: at, actor: "commsd",
      reason: "superseded by \(message)")
    let ids = predecessors.map(\.rawValue)
    try transaction.query(
      """
      UPDATE deliveries SET updates_bulletin = (
        SELECT o.bulletin FROM deliveries o
        WHERE o.message_id IN (\(marks(ids.count, from: 2))) AND o.recipient_id = deliveries.recipient_id
          AND o.state IN ('delivered', 'digested')
        ORDER BY o.delivered_at DESC NULLS LAST, o.updated_at DESC LIMIT 1)
      WHERE message_id = $1
      """, [message.rawValue] + ids, prepare: false)
    let chain = marks(ids.count, from: 4)
    try transaction.query(
      """
      UPDATE deliveries SET state = 'held', hold_reason = $1, due_at = $2,
        waits_for = (SELECT o.id FROM deliveries o
                     WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
                       AND o.state = 'sending' LIMIT 1)
      WHERE message_id = $3 AND state = 'ready' AND EXISTS (
        SELECT 1 FROM deliveries o
        WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
          AND o.state = 'sending')
      """,
      [HoldReason.predecessor.rawValue, Timestamp.format(fallback), message.rawValue] + ids,
      prepare: false)
  }

  /// A withdrawn delivery in flight got its outcome: the newer copies
  /// waiting for it go now, marked as an update if it arrived.
  static func releaseWaiters(
    _ transaction: PostgresTransaction, of delivery: String, delivered bulletin: Int?, at: Date
  ) throws {
    let now = Timestamp.format(at)
    try transaction.query(
      """
      UPDATE deliveries SET state = 'ready', hold_reason = NULL, waits_for = NULL, due_at = $1,
        updated_at = $1, updates_bulletin = COALESCE($2, updates_bulletin)
      WHERE waits_for = $3 AND state = 'held'
      """, [now, bulletin, delivery])
  }

  /// Applies expiries that have come, in the leasing transaction; a
  /// message another node is expiring right now is left to it.
  static func applyExpiries(_ transaction: PostgresTransaction, now: Date) throws {
    let due = try transaction.query(
      """
      SELECT id FROM messages
      WHERE expires_at IS NOT NULL AND expiry_done = 0 AND expires_at <= $1
      FOR UPDATE SKIP LOCKED
      """, [Timestamp.format(now)]
    ).map { try $0[0] as String }
    for id in due {
      try withdraw(
        transaction, messages: [MessageID(rawValue: id)], as: .expired, at: now, actor: "commsd",
        reason: "not delivered before the message expired")
      try transaction.query("UPDATE messages SET expiry_done = 1 WHERE id = $1", [id])
    }
  }

  public func settleWithdrawn(
    _ items: [(DeliveryID, DeliveryState)], owner: String, at: Date
  ) async throws {
    guard !items.isEmpty else { return }
    try await pool.write { transaction in
      let now = Timestamp.format(at)
      for (id, state) in items {
        guard
          let row = try transaction.query(
            """
            UPDATE deliveries SET state = COALESCE(withdrawn, $1), lease_owner = NULL,
              lease_until = NULL, updated_at = $2
            WHERE id = $3 AND state = 'sending' AND lease_owner = $4
            RETURNING state, message_id
            """, [state.rawValue, now, id.rawValue, owner]
          ).first
        else { continue }
        try Self.releaseWaiters(transaction, of: id.rawValue, delivered: nil, at: at)
        transaction.audit(
          AuditEvent(
            kind: "delivery.\(try row[0] as String)", at: at,
            messageID: MessageID(rawValue: try row[1]), deliveryID: id, actor: owner,
            detail: ["reason": "withdrawn before it was handed to the transport"]))
      }
    }
  }

  public func withdrawals(after sequence: Int) async throws -> [(Int, MessageID, DeliveryState)] {
    try await pool.read { connection in
      try connection.query(
        "SELECT seq, message_id, state FROM withdrawals WHERE seq > $1 ORDER BY seq", [sequence]
      ).map {
        (
          try $0[0], MessageID(rawValue: try $0[1]),
          DeliveryState(rawValue: try $0[2]) ?? .cancelled
        )
      }
    }
  }

  public func cancel(_ cancellation: Cancellation) async throws -> CancelOutcome {
    try await pool.write { transaction in try Self.cancel(transaction, cancellation) }
  }

  /// All in one transaction, as `SQLiteStore.cancel`. The message's row is
  /// locked first, so a cancel on another node waits and then finds it
  /// cancelled.
  static func cancel(_ transaction: PostgresTransaction, _ cancellation: Cancellation) throws
    -> CancelOutcome
  {
    let id = cancellation.messageID
    guard
      let row = try transaction.query(
        "SELECT cancelled_at, pseudonymised_at, kind FROM messages WHERE id = $1 FOR UPDATE",
        [id.rawValue]
      ).first
    else { throw StoreError.refused(field: "id", "there is no message \(id) in this store") }
    if let refusal = cancellation.refusal(
      cancelledAt: try row[0], pseudonymisedAt: try row[1], kind: try row[2])
    {
      throw refusal
    }
    let at = cancellation.at
    try transaction.query(
      "UPDATE messages SET cancelled_at = $1, cancel_reason = $2, cancelled_by = $3 WHERE id = $4",
      [Timestamp.format(at), cancellation.reason, cancellation.actor.description, id.rawValue])
    transaction.audit(
      AuditEvent(
        kind: "message.cancelled", at: at, messageID: id, actor: cancellation.actor.description,
        detail: [
          "reason": cancellation.reason,
          "retraction": cancellation.retraction?.id.rawValue ?? "",
        ]))
    let (withdrawn, inFlight) = try withdraw(
      transaction, messages: [id], as: .cancelled, at: at, actor: cancellation.actor.description,
      reason: cancellation.reason)
    guard let retraction = cancellation.retraction else {
      return CancelOutcome(withdrawn: withdrawn, inFlight: inFlight, retraction: nil, notified: 0)
    }
    _ = try insertAccepted(transaction, retraction, fingerprint: "retraction of \(id)")
    try transaction.query(
      "UPDATE messages SET planned_at = $1 WHERE id = $2",
      [Timestamp.format(at), retraction.id.rawValue])
    let received = try transaction.query(
      """
      SELECT \(StoreRows.deliveryColumns) FROM deliveries
      WHERE message_id = $1 AND (state = 'delivered' OR (state = 'digested' AND EXISTS (
        SELECT 1 FROM deliveries d WHERE d.id = deliveries.digest_id AND d.state = 'delivered')))
      """, [id.rawValue]
    ).map(StoreRows.delivery(from:))
    for delivery in received {
      try insertRetractionCopy(transaction, of: delivery, retraction: retraction.id, at: at)
    }
    transaction.audit(
      AuditEvent(
        kind: "message.planned", at: at, messageID: retraction.id, actor: "commsd",
        detail: ["deliveries": String(received.count), "retraction_of": id.rawValue]))
    transaction.notify(.work)
    return CancelOutcome(
      withdrawn: withdrawn, inFlight: inFlight, retraction: retraction.id,
      notified: received.count)
  }

  /// A delivery of a cancelled message arrived after the cancel: its reader
  /// gets the retraction too, if there is one.
  static func addRetractionCopy(
    _ transaction: PostgresTransaction, for delivery: DeliveryID, at: Date
  ) throws {
    guard
      let row = try transaction.query(
        """
        SELECT \(StoreRows.deliveryColumns),
          (SELECT r.id FROM messages r WHERE r.retraction_of = deliveries.message_id)
        FROM deliveries WHERE id = $1
        """, [delivery.rawValue]
      ).first,
      let retraction: String = try row[StoreRows.deliveryColumnCount]
    else { return }
    try insertRetractionCopy(
      transaction, of: try StoreRows.delivery(from: row),
      retraction: MessageID(rawValue: retraction), at: at)
    transaction.notify(.work)
  }

  static func insertRetractionCopy(
    _ transaction: PostgresTransaction, of received: Delivery, retraction: MessageID, at: Date
  ) throws {
    guard
      let row = try transaction.query(
        """
        SELECT m.priority, b.number FROM messages m
        LEFT JOIN message_bulletins b ON b.message_id = m.id AND b.audience = $1
        WHERE m.id = $2
        """, [received.audience, retraction.rawValue]
      ).first,
      let priority = Priority(rawValue: try row[0])
    else { return }
    var generator = SystemRandomNumberGenerator()
    var copy = Retraction.copy(
      of: received, retraction: retraction, priority: priority, at: at, using: &generator)
    copy.bulletin = try row[1] ?? 0
    try insertDelivery(transaction, copy, now: Timestamp.format(at))
  }
}

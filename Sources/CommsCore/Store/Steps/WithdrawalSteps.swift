import Foundation

/// Withdrawing deliveries that have not gone: supersede, cancel and expiry.
///
/// What has not left (queued, held, ready, retrying) ends at once in the
/// withdrawal's state. What is in flight (`sending`) is only marked: it may
/// already have arrived, so its outcome decides — delivered stays delivered,
/// anything else ends in the withdrawal's state instead of a retry (see
/// `DeliveryTransition.record` and the lease returns). Readers waiting for
/// such an outcome (the newer message's copy, held as `previous message in
/// flight`) are released when it comes.
extension StoreTransaction {
  /// How long a newer copy waits for its predecessor in flight at most
  /// (then it goes, unmarked): about a lease, after which a crashed
  /// daemon's leases are taken back anyway.
  static let predecessorWait: TimeInterval = 300

  /// Withdraws the deliveries of `messages` that have not gone, in `state`,
  /// with one audit event per message; marks those in flight. Returns how
  /// many were withdrawn and how many were in flight.
  @discardableResult
  func withdraw(
    messages: [MessageID], as state: DeliveryState, at: Date, actor: String, reason: String
  ) throws -> (withdrawn: Int, inFlight: Int) {
    guard !messages.isEmpty else { return (0, 0) }
    let ids = messages.map(\.rawValue)
    let now = Timestamp.format(at)
    let list = Self.marks(ids.count)
    let gone = try rows(
      """
      UPDATE deliveries SET state = ?, hold_reason = NULL, waits_for = NULL, updated_at = ?
      WHERE message_id IN (\(list)) AND \(DeliveryTransition.withdraw.condition())
      RETURNING id, message_id
      """, [state.rawValue, now] + ids, shape: .varying)
    // Marked, not moved: the outcome of each decides (DeliveryTransition.record).
    let flying = try rows(
      """
      UPDATE deliveries SET withdrawn = ?, updated_at = ?
      WHERE message_id IN (\(list)) AND state = 'sending' AND withdrawn IS NULL
      RETURNING id, message_id
      """, [state.rawValue, now] + ids, shape: .varying)
    let goneByMessage = try Self.idsByMessage(gone)
    let flyingByMessage = try Self.idsByMessage(flying)
    for id in ids {
      try withdrew(MessageID(rawValue: id), as: state, at: now)
      let goneHere = goneByMessage[id] ?? []
      let flyingHere = flyingByMessage[id] ?? []
      try audit(
        AuditEvent(
          kind: "delivery.\(state.rawValue)", at: at, messageID: MessageID(rawValue: id),
          actor: actor,
          detail: [
            "reason": reason, "count": String(goneHere.count),
            "in_flight": String(flyingHere.count),
            "deliveries": goneHere.joined(separator: ","),
            "in_flight_deliveries": flyingHere.joined(separator: ","),
          ]))
    }
    return (gone.count, flying.count)
  }

  /// Delivery ids (column 0) by message id (column 1), in row order.
  private static func idsByMessage(_ rows: [StoredRow]) throws -> [String: [String]] {
    var result: [String: [String]] = [:]
    for row in rows { result[try row[1], default: []].append(try row[0]) }
    return result
  }

  /// The messages `id` replaces, nearest first (B, then A for C → B → A).
  func predecessors(of id: MessageID) throws -> [MessageID] {
    var chain: [MessageID] = []
    var next: String? = try row("SELECT supersedes FROM messages WHERE id = ?", [id.rawValue])
      .flatMap { try $0[0] }
    while let current = next, chain.count < 10_000, !chain.contains(MessageID(rawValue: current)) {
      chain.append(MessageID(rawValue: current))
      next = try row("SELECT supersedes FROM messages WHERE id = ?", [current]).flatMap {
        try $0[0]
      }
    }
    return chain
  }

  /// At acceptance: the message to supersede must exist, be the latest of
  /// its chain, and not be cancelled.
  func checkSupersedable(_ old: MessageID) throws {
    guard let row = try row("SELECT cancelled_at, kind FROM messages WHERE id = ?", [old.rawValue])
    else {
      throw StoreError.refused(field: "supersedes", "there is no message \(old) in this store")
    }
    if try (row[1] as String) == MessageKind.retraction.rawValue {
      throw StoreError.refused(
        field: "supersedes", "\(old) is a retraction; send a new message instead")
    }
    if let cancelled: String = try row[0] {
      throw StoreError.refused(
        field: "supersedes", "\(old) was cancelled at \(cancelled); send a new message instead")
    }
    if let newer: String = try self.row(
      "SELECT id FROM messages WHERE supersedes = ?", [old.rawValue]
    ).flatMap({ try $0[0] }) {
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
  func applySupersede(message: MessageID, predecessors: [MessageID], at: Date, fallback: Date)
    throws
  {
    guard !predecessors.isEmpty else { return }
    try withdraw(
      messages: predecessors, as: .superseded, at: at, actor: "commsd",
      reason: "superseded by \(message)")
    let ids = predecessors.map(\.rawValue)
    let chain = Self.marks(ids.count)
    // A superseded message is chased no more: its successor asks anew.
    try execute(
      "UPDATE messages SET next_wave_at = NULL WHERE id IN (\(chain))", ids, shape: .varying)
    try execute(
      """
      UPDATE deliveries SET updates_bulletin = (
        SELECT o.bulletin FROM deliveries o
        WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
          AND o.state IN ('delivered', 'digested')
        ORDER BY o.delivered_at DESC NULLS LAST, o.updated_at DESC LIMIT 1)
      WHERE message_id = ?
      """, ids + [message.rawValue], shape: .varying)
    let transition = DeliveryTransition.waitForPredecessor
    try execute(
      """
      UPDATE deliveries SET state = 'held', hold_reason = ?, due_at = ?,
        waits_for = (SELECT o.id FROM deliveries o
                     WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
                       AND o.state = 'sending' LIMIT 1)
      WHERE message_id = ? AND \(transition.condition()) AND EXISTS (
        SELECT 1 FROM deliveries o
        WHERE o.message_id IN (\(chain)) AND o.recipient_id = deliveries.recipient_id
          AND o.state = 'sending')
      """,
      [HoldReason.predecessor.rawValue, Timestamp.format(fallback)] + ids + [message.rawValue]
        + ids, shape: .varying)
  }

  /// A withdrawn delivery in flight got its outcome (`delivered` or not):
  /// the newer copies waiting for it go now, marked as an update if it
  /// arrived.
  func releaseWaiters(of delivery: String, delivered bulletin: Int?, at: Date) throws {
    let now = Timestamp.format(at)
    try execute(
      """
      UPDATE deliveries SET state = 'ready', hold_reason = NULL, waits_for = NULL, due_at = ?1,
        updated_at = ?1, updates_bulletin = COALESCE(?2, updates_bulletin)
      WHERE waits_for = ?3 AND \(DeliveryTransition.releaseHeld.condition())
      """, [now, bulletin, delivery])
  }

  /// Applies expiries that have come, in the leasing transaction; on a
  /// shared store a message another node is expiring right now is left to it.
  func applyExpiries(now: Date) throws {
    let due = try rows(
      """
      SELECT id FROM messages
      WHERE expires_at IS NOT NULL AND expiry_done = 0 AND expires_at <= ?\(forUpdateSkipLocked)
      """, [Timestamp.format(now)]
    ).map { row -> String in try row[0] }
    for id in due {
      try withdraw(
        messages: [MessageID(rawValue: id)], as: .expired, at: now, actor: "commsd",
        reason: "not delivered before the message expired")
      try execute("UPDATE messages SET expiry_done = 1 WHERE id = ?", [id])
    }
  }
}

extension Store {
  /// Ends deliveries leased to `owner` whose message was withdrawn before
  /// they were sent: not handed to the transport, or waiting unstarted in
  /// their target's lane (each in its withdrawal's state, or `state` if
  /// unmarked); not an attempt.
  public func settleWithdrawn(_ items: [(DeliveryID, DeliveryState)], owner: String, at: Date)
    async throws
  {
    guard !items.isEmpty else { return }
    try await write { transaction in
      let now = Timestamp.format(at)
      for (id, state) in items {
        guard
          let row = try transaction.row(
            """
            UPDATE deliveries SET state = COALESCE(withdrawn, ?), lease_owner = NULL,
              lease_until = NULL, updated_at = ?
            WHERE id = ? AND \(DeliveryTransition.settleWithdrawn.condition()) AND lease_owner = ?
            RETURNING state, message_id
            """, [state.rawValue, now, id.rawValue, owner])
        else { continue }  // no longer this owner's (its lease ran out)
        try transaction.releaseWaiters(of: id.rawValue, delivered: nil, at: at)
        try transaction.audit(
          AuditEvent(
            kind: "delivery.\(try row[0] as String)", at: at,
            messageID: MessageID(rawValue: try row[1]), deliveryID: id, actor: owner,
            detail: ["reason": "withdrawn before it was sent"]))
      }
    }
  }

  /// Messages withdrawn after `sequence` (sequence, message, state), in
  /// order, for a running daemon to drop from what it holds in memory.
  public func withdrawals(after sequence: Int) async throws -> [(Int, MessageID, DeliveryState)] {
    try await read { reader in
      try reader.rows(
        "SELECT seq, message_id, state FROM withdrawals WHERE seq > ? ORDER BY seq", [sequence]
      ).map { row in
        let state: String = try row[2]
        return (
          try row[0], MessageID(rawValue: try row[1]), DeliveryState(rawValue: state) ?? .cancelled
        )
      }
    }
  }
}

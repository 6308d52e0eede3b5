import Foundation

/// The planning loop's part in approval: timeouts, and telling approvers
/// (first, and again every `remind_every`) until it is decided.
extension Store {
  /// Applies the timeouts that are due: `hold` keeps the audience waiting
  /// (reminders go on), `send` approves it as the timeout; both are
  /// audited `approval.timed_out`. Returns how many.
  public func applyApprovalTimeouts(at now: Date) async throws -> Int {
    // A read first: the planning loop asks on every turn, and a write
    // transaction would queue behind the intake's for nothing.
    let due = try await read { reader in
      try reader.strings(
        """
        SELECT message_id FROM approvals
        WHERE timeout_at IS NOT NULL AND timeout_at <= ? AND state = 'pending' LIMIT 1
        """, [Timestamp.format(now)])
    }
    guard !due.isEmpty else { return 0 }
    return try await write { transaction in try transaction.applyApprovalTimeouts(at: now) }
  }

  /// The pending approvals whose approvers are due a notice, oldest first.
  public func approvalsDue(at now: Date, limit: Int = 32) async throws -> [ApprovalRecord] {
    try await read { reader in
      let due = try reader.rows(
        """
        SELECT message_id, audience FROM approvals
        WHERE remind_at IS NOT NULL AND remind_at <= ? AND state = 'pending'
        ORDER BY remind_at LIMIT ?
        """, [Timestamp.format(now), limit]
      ).map { (try $0[0] as String, try $0[1] as String) }
      var records: [ApprovalRecord] = []
      for id in Set(due.map(\.0)).sorted() {
        let audiences = Set(due.filter { $0.0 == id }.map(\.1))
        records += try reader.approvalRecords(of: MessageID(rawValue: id))
          .filter { audiences.contains($0.audience) }
      }
      return records
    }
  }

  /// Sends `notice` (with its deliveries, each asking one approver) for
  /// `records`, and sets their next reminder, once: each record is taken
  /// by compare-and-set on `remind_at`, so a second node or a repeat turn
  /// sends nothing. Returns whether it was sent.
  public func askApprovers(
    _ records: [ApprovalRecord], notice: Message, deliveries: [(Delivery, approver: String)],
    at now: Date
  ) async throws -> Bool {
    try await write { transaction in
      try transaction.askApprovers(records, notice: notice, deliveries: deliveries, at: now)
    }
  }

  /// Moves the next notice of `records` on without sending one (every
  /// approver has voted, or none can be reached); audited when nobody can
  /// be told.
  public func postponeApprovalNotice(_ records: [ApprovalRecord], at now: Date) async throws {
    try await write { transaction in
      for record in records {
        try transaction.execute(
          "UPDATE approvals SET remind_at = ? WHERE message_id = ? AND audience = ? AND remind_at = ?",
          [
            Timestamp.format(now.addingTimeInterval(Double(record.remindEvery))),
            record.messageID.rawValue, record.audience, record.remindAt.map(Timestamp.format),
          ])
      }
    }
  }
}

extension StoreTransaction {
  func applyApprovalTimeouts(at now: Date) throws -> Int {
    let at = Timestamp.format(now)
    let due = try rows(
      """
      SELECT message_id, audience, on_timeout, requested_at FROM approvals
      WHERE timeout_at IS NOT NULL AND timeout_at <= ? AND state = 'pending'
      ORDER BY timeout_at LIMIT 32
      """, [at])
    var count = 0
    for row in due {
      let id = MessageID(rawValue: try row[0])
      let audience: String = try row[1]
      let send = try (row[2] as String) == ApprovalRule.OnTimeout.send.rawValue
      let claimed = try rows(
        send
          ? """
          UPDATE approvals SET state = 'approved', timeout_at = NULL, timed_out_at = ?1,
            remind_at = NULL, decided_at = ?1, decided_by = 'timeout', decided_via = 'timeout'
          WHERE message_id = ?2 AND audience = ?3 AND state = 'pending' AND timeout_at IS NOT NULL
          RETURNING audience
          """
          : """
          UPDATE approvals SET timeout_at = NULL, timed_out_at = ?1
          WHERE message_id = ?2 AND audience = ?3 AND state = 'pending' AND timeout_at IS NOT NULL
          RETURNING audience
          """, [at, id.rawValue, audience])
      guard !claimed.isEmpty else { continue }
      var detail = [
        "audience": audience, "on_timeout": send ? "send" : "hold",
        "waited_seconds": String(
          Duration.wholeSeconds(now.timeIntervalSince(Timestamp.parse(try row[3]) ?? now))
            .components.seconds),
      ]
      if send, try !awaitsRelease(id) {
        detail["bulletin"] = try numberBulletins(id, audiences: [audience])[audience].map(
          String.init)
      }
      try audit(
        AuditEvent(
          kind: "approval.timed_out", at: now, messageID: id, actor: "commsd", detail: detail))
      count += 1
    }
    if count > 0 { notify(.plan) }
    return count
  }

  func askApprovers(
    _ records: [ApprovalRecord], notice: Message, deliveries: [(Delivery, approver: String)],
    at now: Date
  ) throws -> Bool {
    for record in records {
      let claimed = try rows(
        """
        UPDATE approvals SET remind_at = ?, reminders = reminders + 1
        WHERE message_id = ? AND audience = ? AND remind_at = ? AND state = 'pending'
        RETURNING audience
        """,
        [
          Timestamp.format(now.addingTimeInterval(Double(record.remindEvery))),
          record.messageID.rawValue, record.audience, record.remindAt.map(Timestamp.format),
        ])
      // Taken by another node or turn, or decided meanwhile: nothing goes.
      guard !claimed.isEmpty else { return false }
    }
    try acceptComposed(notice, deliveries: deliveries.map(\.0), at: now)
    guard let message = records.first?.messageID else { return true }
    for (delivery, approver) in deliveries {
      try execute(
        "INSERT INTO approval_requests (delivery_id, message_id, recipient_id) VALUES (?, ?, ?)",
        [delivery.id.rawValue, message.rawValue, approver])
    }
    try audit(
      AuditEvent(
        kind: records.contains { $0.reminders > 0 } ? "approval.reminded" : "approval.asked",
        at: now, messageID: message, actor: "commsd",
        detail: [
          "audiences": records.map(\.audience).joined(separator: ","),
          "approvers": Set(deliveries.map(\.approver)).sorted().joined(separator: ","),
          "notice": notice.id.rawValue, "deliveries": String(deliveries.count),
        ]))
    return true
  }
}

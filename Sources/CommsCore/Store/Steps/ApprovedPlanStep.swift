import Foundation

/// Planning an audience approved after its message's other audiences went
/// (`others = "go"`), or after the message was planned without it.
extension StoreTransaction {
  /// Writes the deliveries `plan` makes for the approved audiences
  /// `audiences` of its message, once: the audience is taken by
  /// compare-and-set on `approvals.planned_at`, so a second node or a
  /// repeat turn plans nothing. A person who already has a copy of the
  /// message (through an audience that went earlier) gets no second one.
  func planApproved(_ plan: StreamedPlan, audiences: [String], at: Date) throws {
    let now = Timestamp.format(at)
    var taken = Set<String>()
    for audience in audiences {
      let claimed = try rows(
        """
        UPDATE approvals SET planned_at = ?
        WHERE message_id = ? AND audience = ? AND state = 'approved' AND planned_at IS NULL
        RETURNING audience
        """, [now, plan.messageID.rawValue, audience])
      if !claimed.isEmpty { taken.insert(audience) }
    }
    guard !taken.isEmpty,
      let message = try row(
        "SELECT cancelled_at FROM messages WHERE id = ? AND planned_at IS NOT NULL",
        [plan.messageID.rawValue])
    else { return }
    if let cancelled: String = try message[0] {
      return try auditPlannedNothing(plan.messageID, cancelledAt: cancelled, at: at)
    }
    let already = Set(
      try rows(
        "SELECT DISTINCT recipient_id FROM deliveries WHERE message_id = ?",
        [plan.messageID.rawValue]
      ).map { try $0[0] as String })
    let written = try writePlan(plan, at: now, except: already, including: taken.contains)
    var detail = written.detail
    detail["approved"] = "true"
    try audit(
      AuditEvent(
        kind: DeliveryTransition.plan.event, at: at, messageID: plan.messageID, actor: "commsd",
        detail: detail))
    notify(.work)
  }
}

extension Store {
  /// Plans the approved audiences `audiences` of an already planned
  /// message (see `StoreTransaction.planApproved`).
  public func savePlan(_ plan: StreamedPlan, approved audiences: [String], at: Date) async throws {
    try await write { transaction in
      try transaction.planApproved(plan, audiences: audiences, at: at)
    }
  }
}

import Foundation

/// Planning: a message's deliveries written as its plan makes them.
extension StoreTransaction {
  /// The planning transaction's body: the deliveries as the plan makes them,
  /// with the bulletin numbers taken at acceptance, `planned_at`, and
  /// `message.planned`; for a superseding message, the withdrawal of what
  /// of its predecessors has not gone.
  func plan(_ plan: StreamedPlan, at: Date) throws {
    let now = Timestamp.format(at)
    guard
      let row = try row(
        """
        UPDATE messages SET planned_at = ? WHERE id = ? AND planned_at IS NULL
        RETURNING supersedes, cancelled_at
        """, [now, plan.messageID.rawValue])
    else { return }  // planned already (by another node, or an earlier run)
    let supersedes = (try row[0] as String?).map(MessageID.init(rawValue:))
    if let cancelled: String = try row[1] {
      // Cancelled before it was planned: nobody is to get it.
      try audit(
        AuditEvent(
          kind: DeliveryTransition.plan.event, at: at, messageID: plan.messageID, actor: "commsd",
          detail: ["deliveries": "0", "cancelled_at": cancelled]))
      return
    }
    // The bulletin numbers were taken when the message was accepted.
    let bulletins = try self.bulletins(of: plan.messageID)
    var states: [String: Int] = [:]
    var holds: [String: Int] = [:]
    var count = 0
    var writer = DeliveryWriter(self)
    // Audiences waiting for approval, or rejected, are not planned here,
    // whatever the plan was made with: the store decides, not the reader.
    let approvals = try approvalStates(of: plan.messageID)
    let unreleased = Set(
      approvals.filter { [.pending, .rejected, .withdrawn].contains($0.value) }.keys)
    var perAudience = try plan.produce { delivery in
      guard !unreleased.contains(delivery.audience) else { return }
      var delivery = delivery
      delivery.bulletin = bulletins[delivery.audience] ?? 0
      try writer.add(delivery, now: now)
      states[delivery.state.rawValue, default: 0] += 1
      if let reason = delivery.holdReason { holds[reason.rawValue, default: 0] += 1 }
      count += 1
    }
    try writer.finish()
    for audience in unreleased { perAudience[audience] = nil }
    try markApprovalsPlanned(
      of: plan.messageID,
      audiences: perAudience.keys.filter { approvals[$0] == .approved }, at: now)
    var detail = perAudience.reduce(into: [String: String]()) {
      $0["audience.\($1.key)"] = String($1.value)
    }
    for (audience, number) in bulletins { detail["bulletin.\(audience)"] = String(number) }
    detail["deliveries"] = String(count)
    for (state, count) in states { detail["state.\(state)"] = String(count) }
    for (reason, count) in holds { detail["held.\(reason)"] = String(count) }
    for audience in unreleased { detail["awaiting.\(audience)"] = "approval" }
    if let supersedes { detail["supersedes"] = supersedes.rawValue }
    try audit(
      AuditEvent(
        kind: DeliveryTransition.plan.event, at: at, messageID: plan.messageID, actor: "commsd",
        detail: detail))
    if supersedes != nil {
      try applySupersede(
        message: plan.messageID, predecessors: predecessors(of: plan.messageID), at: at,
        fallback: at.addingTimeInterval(Self.predecessorWait))
    }
    notify(.work)
  }
}

extension StoreTransaction {
  /// The bulletin number of each of message `id`'s audiences, taken at acceptance.
  func bulletins(of id: MessageID) throws -> [String: Int] {
    try rows("SELECT audience, number FROM message_bulletins WHERE message_id = ?", [id.rawValue])
      .reduce(into: [String: Int]()) { $0[try $1[0]] = try $1[1] }
  }
}

extension Store {
  /// Writes a message's deliveries (with the bulletin numbers taken at
  /// acceptance) as `plan` makes them, and marks it planned, with its audit
  /// events, in one transaction.
  public func savePlan(_ plan: StreamedPlan, at: Date) async throws {
    try await write { transaction in try transaction.plan(plan, at: at) }
  }
}

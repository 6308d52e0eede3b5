import Foundation

/// Planning: a message's deliveries written as its plan makes them.
extension StoreTransaction {
  /// The planning transaction's body: the deliveries as the plan makes them,
  /// with the bulletin numbers taken at acceptance, `planned_at`, and
  /// `message.planned`; for a superseding message, the withdrawal of what
  /// of its predecessors has not gone. Returns how many deliveries it wrote.
  @discardableResult
  func plan(_ plan: StreamedPlan, at: Date) throws -> Int {
    let now = Timestamp.format(at)
    guard
      let row = try row(
        """
        UPDATE messages SET planned_at = ? WHERE id = ? AND planned_at IS NULL
        RETURNING supersedes, cancelled_at, not_before, audiences, kind
        """, [now, plan.messageID.rawValue])
    else { return 0 }  // planned already (by another node, or an earlier run)
    let supersedes = (try row[0] as String?).map(MessageID.init(rawValue:))
    if let cancelled: String = try row[1] {
      // Cancelled before it was planned: nobody is to get it.
      try auditPlannedNothing(plan.messageID, cancelledAt: cancelled, at: at)
      return 0
    }
    // Audiences waiting for approval, or rejected, are not planned here,
    // whatever the plan was made with: the store decides, not the reader.
    let approvals = try approvalStates(of: plan.messageID)
    let unreleased = approvals.filter { [.pending, .rejected, .withdrawn].contains($0.value) }
    if (try row[2] as String?) != nil,
      let kind = MessageKind(rawValue: try row[4]), !kind.isConversation
    {
      // Released now: its numbers are taken now, after every message that
      // reached the audiences while it waited.
      try numberAtRelease(
        plan.messageID,
        audiences: try JSONCoding.decoder().decode(
          [String].self, from: Data((row[3] as String).utf8)),
        except: Set(unreleased.keys))
    }
    let written = try writePlan(plan, at: now) { unreleased[$0] == nil }
    try markApprovalsPlanned(
      of: plan.messageID,
      audiences: written.perAudience.keys.filter { approvals[$0] == .approved }, at: now)
    var detail = written.detail
    for (audience, state) in unreleased { detail["approval.\(audience)"] = state.rawValue }
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
    return written.count
  }
}

/// What a planning transaction wrote, for its `message.planned` event.
struct WrittenPlan {
  /// Every audience planned, with how many got a copy (0 when nobody).
  var perAudience: [String: Int] = [:]
  var bulletins: [String: Int] = [:]
  var states: [String: Int] = [:]
  var holds: [String: Int] = [:]
  var count = 0

  var detail: [String: String] {
    var detail = perAudience.reduce(into: [String: String]()) {
      $0["audience.\($1.key)"] = String($1.value)
    }
    for (audience, number) in bulletins where perAudience[audience] != nil {
      detail["bulletin.\(audience)"] = String(number)
    }
    detail["deliveries"] = String(count)
    for (state, count) in states { detail["state.\(state)"] = String(count) }
    for (reason, count) in holds { detail["held.\(reason)"] = String(count) }
    return detail
  }
}

extension StoreTransaction {
  /// Writes the deliveries `plan` makes to the audiences `including`
  /// takes, but none to a person in `except` (who has a copy already), with
  /// the bulletin numbers the message holds: shared by a message's plan and
  /// an audience approved after it (`planApproved`).
  func writePlan(
    _ plan: StreamedPlan, at now: String, except: Set<String> = [],
    including: (String) -> Bool
  ) throws -> WrittenPlan {
    var written = WrittenPlan(bulletins: try bulletins(of: plan.messageID))
    var writer = DeliveryWriter(self)
    let produced = try plan.produce { delivery in
      guard including(delivery.audience), !except.contains(delivery.recipientID) else { return }
      var delivery = delivery
      delivery.bulletin = written.bulletins[delivery.audience] ?? 0
      try writer.add(delivery, now: now)
      written.perAudience[delivery.audience, default: 0] += 1
      written.states[delivery.state.rawValue, default: 0] += 1
      if let reason = delivery.holdReason { written.holds[reason.rawValue, default: 0] += 1 }
      written.count += 1
    }
    try writer.finish()
    // An audience with nobody to reach is planned too, with 0.
    for audience in produced.keys where including(audience) && written.perAudience[audience] == nil
    {
      written.perAudience[audience] = 0
    }
    return written
  }

  /// The `message.planned` event of a message cancelled before it was
  /// planned: nobody gets it.
  func auditPlannedNothing(_ message: MessageID, cancelledAt: String, at: Date) throws {
    try audit(
      AuditEvent(
        kind: DeliveryTransition.plan.event, at: at, messageID: message, actor: "commsd",
        detail: ["deliveries": "0", "cancelled_at": cancelledAt]))
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
    _ = try await write { transaction in try transaction.plan(plan, at: at) }
  }

  /// Writes the first of `plans` as `savePlan` does, and the ones after it
  /// in the same transaction while fewer than `deliveries` deliveries have
  /// been written; returns how many plans it wrote (at least one, unless
  /// `plans` is empty). Small messages then share a commit and its fsync:
  /// with one transaction each, a stream of 5-recipient API messages was
  /// planned at about 560 a second, each waiting for its own `fdatasync`
  /// (issue 25). A transaction thus holds at most one large plan, and the
  /// writer is held hardly longer than that plan alone would hold it.
  public func savePlans(_ plans: [StreamedPlan], at: Date, deliveries: Int) async throws -> Int {
    guard !plans.isEmpty else { return 0 }
    return try await write { transaction in
      var written = 0
      var taken = 0
      for plan in plans {
        guard taken == 0 || written < deliveries else { break }
        written += try transaction.plan(plan, at: at)
        taken += 1
      }
      return taken
    }
  }
}

import Foundation

/// Approval's part of acceptance, planning, cancel and supersede.
extension StoreTransaction {
  /// Writes `message`'s approval gates in its accepting transaction: a
  /// pending audience is due for its first notice at once (the planning
  /// loop sends it) and takes its bulletin number only when approved, so
  /// a rejected message leaves no gap.
  func writeApprovals(of message: Message) throws {
    for gate in message.approvalGates ?? [] {
      let at = Timestamp.format(message.acceptedAt)
      let pending = gate.state == .pending
      try execute(
        """
        INSERT INTO approvals (message_id, audience, state, approvers, required, not_sender,
          others_wait, remind_every, on_timeout, requested_at, remind_at, timeout_at, decided_at,
          decided_by, decided_via)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          message.id.rawValue, gate.audience, gate.state.rawValue,
          JSONCoding.string(gate.approvers),
          gate.required, gate.notSender ? 1 : 0, gate.othersWait ? 1 : 0, gate.remindEvery,
          gate.onTimeout, at, pending ? at : nil,
          pending
            ? gate.timeout.map {
              Timestamp.format(message.acceptedAt.addingTimeInterval(Double($0)))
            }
            : nil,
          pending ? nil : at, pending ? nil : "commsd", pending ? nil : "flash",
        ])
      try audit(
        AuditEvent(
          kind: pending ? "approval.requested" : "approval.bypassed", at: message.acceptedAt,
          messageID: message.id, actor: message.sender.description,
          detail: [
            "audience": gate.audience, "approvers": gate.approvers.map(\.id).joined(separator: ","),
            "required": String(gate.required),
            "reason": pending ? "" : "flash is never held: sent without approval",
          ]))
    }
  }

  /// The state of each of `message`'s audiences that asks for approval
  /// (none for most messages: one indexed read).
  func approvalStates(of message: MessageID) throws -> [String: ApprovalGate.State] {
    try rows("SELECT audience, state FROM approvals WHERE message_id = ?", [message.rawValue])
      .reduce(into: [:]) { states, row in
        states[try row[0]] = ApprovalGate.State(rawValue: try row[1]) ?? .pending
      }
  }

  /// Marks the approved audiences `audiences` of `message` as planned.
  func markApprovalsPlanned(of message: MessageID, audiences: some Sequence<String>, at: String)
    throws
  {
    for audience in audiences {
      try execute(
        """
        UPDATE approvals SET planned_at = ?
        WHERE message_id = ? AND audience = ? AND state = 'approved' AND planned_at IS NULL
        """, [at, message.rawValue, audience])
    }
  }

  /// Withdraws what of `message` waits for approval (cancel, supersede):
  /// it is never sent, and its approvers are not reminded again. Returns
  /// the audiences withdrawn.
  @discardableResult
  func withdrawApprovals(of message: MessageID, reason: String, actor: String, at: Date) throws
    -> [String]
  {
    let audiences = try rows(
      """
      UPDATE approvals SET state = 'withdrawn', remind_at = NULL, timeout_at = NULL,
        decided_at = ?, decided_by = ?, decided_via = 'withdrawn', reason = ?
      WHERE message_id = ? AND state = 'pending' RETURNING audience
      """, [Timestamp.format(at), actor, reason, message.rawValue]
    ).map { try $0[0] as String }.sorted()
    if !audiences.isEmpty {
      try audit(
        AuditEvent(
          kind: "approval.withdrawn", at: at, messageID: message, actor: actor,
          detail: ["audiences": audiences.joined(separator: ","), "reason": reason]))
    }
    return audiences
  }

  /// A superseding message's acceptance: a predecessor still waiting for
  /// approval is withdrawn, and when none of it was planned yet it never
  /// will be (its other audiences waited with it).
  func withdrawWaitingPredecessor(_ old: MessageID, by new: Message) throws {
    let withdrawn = try withdrawApprovals(
      of: old, reason: "superseded by \(new.id)", actor: new.sender.description,
      at: new.acceptedAt)
    guard !withdrawn.isEmpty else { return }
    let at = Timestamp.format(new.acceptedAt)
    if try !rows(
      "UPDATE messages SET planned_at = ? WHERE id = ? AND planned_at IS NULL RETURNING id",
      [at, old.rawValue]
    ).isEmpty {
      try audit(
        AuditEvent(
          kind: DeliveryTransition.plan.event, at: new.acceptedAt, messageID: old, actor: "commsd",
          detail: ["deliveries": "0", "superseded_by": new.id.rawValue]))
    }
  }
}
